"""A cash-equivalent category: blocked until a second person allows it, from its own page."""

from django.urls import reverse

from distribution.models import ChangeKind, ChangeRequest
from distribution.services import change_approve
from tests.distribution.conftest import with_permissions
from tests.factories import CategoryFactory


def test_the_category_list_links_to_the_approval_request(client, superuser, approver_shenzhen):
    fuel = CategoryFactory(code="FUEL", name="加油卡", is_cash_equivalent=True)
    CategoryFactory(code="WASH", name="洗车")
    client.force_login(superuser)

    listing = client.get(reverse("admin:gifts_giftcategory_changelist"))
    link = f"{reverse('admin:distribution_changerequest_request_cash')}?category={fuel.pk}"
    assert link in listing.content.decode()
    assert listing.content.decode().count("?category=") == 1

    form = client.get(link)
    assert form.status_code == 200
    posted = client.post(link, {"category": fuel.pk, "note": "春节活动"})
    assert posted.status_code == 302
    change = ChangeRequest.objects.get()
    assert (change.kind, change.category, change.maker) == (
        ChangeKind.ENABLE_CASH_CATEGORY,
        fuel,
        superuser,
    )
    fuel.refresh_from_db()
    assert not fuel.cash_equivalent_enabled

    change_approve(actor=with_permissions(approver_shenzhen), change=change)
    fuel.refresh_from_db()
    assert fuel.cash_equivalent_enabled
    again = client.get(reverse("admin:gifts_giftcategory_changelist")).content.decode()
    assert "?category=" not in again
