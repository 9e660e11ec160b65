"""Who may export what: the model's view permission (403 otherwise), staff only (anonymous
users go to the login page); every export is logged and shows on the audit page, scoped."""

import pytest
from django.contrib.auth.models import Permission
from django.db.models import ProtectedError
from django.urls import reverse

from giftplatform.models import ExportLog
from tests.distribution.admin_support import messages_of
from tests.exports.conftest import export_url, read_sheet
from tests.factories import PolicyFactory, UserFactory

LABELS = [
    "policies.policy",
    "distribution.distribution",
    "gifts.gift",
    "gifts.stockmovement",
    "gifts.vouchercode",
]


@pytest.mark.parametrize("label", LABELS)
def test_anonymous_users_are_sent_to_the_login_page(client, db, label):
    response = client.get(export_url(label))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("label", LABELS)
def test_staff_without_the_view_permission_get_403(client, futian, label):
    client.force_login(UserFactory(username="nobody", branch=futian))

    assert client.get(export_url(label)).status_code == 403
    assert not ExportLog.objects.exists()


@pytest.mark.parametrize(
    ("label", "status"),
    [
        ("policies.policy", 200),
        ("distribution.distribution", 200),
        ("gifts.gift", 200),
        ("gifts.stockmovement", 403),
        ("gifts.vouchercode", 403),
    ],
)
def test_counter_staff_export_what_they_may_view(client, counter_futian, label, status):
    client.force_login(counter_futian)

    assert client.get(export_url(label)).status_code == status


def test_only_get_is_allowed(client, auditor_futian):
    client.force_login(auditor_futian)

    assert client.post(export_url("policies.policy")).status_code == 405


def test_the_export_is_logged_with_who_what_filters_and_rows(client, auditor_futian, futian):
    PolicyFactory.create_batch(3, branch=futian)
    client.force_login(auditor_futian)

    read_sheet(client.get(export_url("policies.policy", "status__exact=in_force&p=3")))

    log = ExportLog.objects.get()
    assert (log.user, log.branch, log.model_label) == (auditor_futian, futian, "policies.policy")
    assert (log.row_count, log.full_personal_data, log.full_voucher_codes) == (3, False, False)
    assert log.filters == "状态: 有效"
    assert log.query_string == "status__exact=in_force"
    assert log.history.get().history_user == auditor_futian


def test_a_full_personal_data_export_is_logged_as_such(client, counter_futian, futian):
    PolicyFactory(branch=futian)
    client.force_login(counter_futian)

    read_sheet(client.get(export_url("policies.policy")))

    assert ExportLog.objects.get().full_personal_data is True


def test_export_logs_cannot_be_deleted(client, auditor_futian, futian):
    client.force_login(auditor_futian)
    read_sheet(client.get(export_url("gifts.gift")))

    with pytest.raises(ProtectedError):
        ExportLog.objects.get().delete()
    with pytest.raises(ProtectedError):
        ExportLog.objects.all().delete()
    assert ExportLog.objects.count() == 1


def test_the_audit_page_lists_exports_within_the_auditors_subtree(
    client, auditor_futian, auditor_nanshan, futian
):
    PolicyFactory(branch=futian)
    client.force_login(auditor_futian)
    read_sheet(client.get(export_url("policies.policy")))
    audit = reverse("audit") + "?model=giftplatform.exportlog"

    own = client.get(audit)
    client.force_login(auditor_nanshan)
    sibling = client.get(audit)

    assert own.status_code == 200
    [entry] = own.context["entries"]
    assert entry.user == auditor_futian
    assert entry.object_name.startswith("policies.policy")
    assert sibling.status_code == 200
    assert sibling.context["entries"] == []


def test_more_rows_than_the_limit_are_refused_with_a_message(
    client, auditor_futian, futian, settings
):
    settings.EXPORT_MAX_ROWS = 4
    PolicyFactory.create_batch(5, branch=futian)
    client.force_login(auditor_futian)

    response = client.get(export_url("policies.policy", "status__exact=in_force"))

    assert response.status_code == 302
    assert response["Location"].endswith("?status__exact=in_force")
    assert any("4" in message for message in messages_of(response))
    assert not ExportLog.objects.exists()
    settings.EXPORT_MAX_ROWS = 5
    assert len(read_sheet(client.get(export_url("policies.policy"))).rows) == 5


def test_a_bad_filter_goes_back_to_the_list_with_its_error_flag(client, auditor_futian):
    client.force_login(auditor_futian)

    response = client.get(export_url("gifts.stockmovement", "created_at__year=x"))

    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


def test_the_view_permission_alone_is_enough(client, futian):
    user = UserFactory(username="viewer", branch=futian)
    user.user_permissions.add(Permission.objects.get(codename="view_gift"))
    client.force_login(user)

    assert read_sheet(client.get(export_url("gifts.gift"))).rows == []


def test_the_sheet_is_an_uncached_attachment(client, auditor_futian):
    client.force_login(auditor_futian)

    response = client.get(export_url("gifts.gift"))

    assert "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"].lower().startswith("attachment; filename*=utf-8''")
    assert response["Content-Disposition"].endswith(".xlsx")
    read_sheet(response)
