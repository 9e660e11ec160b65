"""Users are audited like everything else; signing in is not a change."""

from django.contrib.auth.models import Group

from giftplatform.audit import audit_entries
from tests.factories import UserFactory


def test_roles_follow_the_schema_after_migrate(db):
    auditor = Group.objects.get(name="auditor")
    names = {f"{p.content_type.app_label}.{p.codename}" for p in auditor.permissions.all()}
    # History tables came after the roles migration: the post-migrate sync picked them up.
    assert {"gifts.view_historicalgift", "giftplatform.view_historicaluser"} <= names


def test_a_change_is_recorded_a_sign_in_is_not(futian, nanshan, client, superuser):
    user = UserFactory(username="moved", branch=futian)
    before = user.history.count()

    client.force_login(user)  # stamps last_login only
    assert user.history.count() == before

    user.branch = nanshan
    user.save()
    latest = user.history.first()
    assert user.history.count() == before + 1 and latest.branch_id == nanshan.pk
    assert not hasattr(latest, "password")


def test_the_audit_page_lists_user_changes_in_scope(futian, nanshan, superuser):
    UserFactory(username="ft_person", branch=futian)
    UserFactory(username="ns_person", branch=nanshan)
    watcher = UserFactory(username="ft_watch", branch=futian)

    everything, _more = audit_entries(user=superuser, model="giftplatform.user")
    scoped, _more = audit_entries(user=watcher, model="giftplatform.user")

    def names(entries):
        return {e.object_name.split(" ")[0] for e in entries}

    assert {"ft_person", "ns_person"} <= names(everything)
    assert "ft_person" in names(scoped) and "ns_person" not in names(scoped)
