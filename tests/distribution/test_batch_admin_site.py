"""The batch runner as the real admin site registers it."""

from django.urls import reverse

from distribution.models import BatchRun, BatchStatus, Distribution
from tests.distribution.conftest import make_rule, stocked_gift, with_permissions
from tests.factories import PolicyFactory, UserFactory


def test_a_dry_run_from_the_admin_writes_nothing_and_shows_its_report(client, shenzhen, futian):
    runner = with_permissions(
        UserFactory(username="runner", branch=shenzhen), "add_batchrun", "view_batchrun"
    )
    rule = make_rule("R1", [(stocked_gift(10), 1, "")])
    for _ in range(4):
        PolicyFactory(branch=futian)
    client.force_login(runner)

    add = client.get(reverse("admin:distribution_batchrun_add"))
    assert add.status_code == 302
    start = add["Location"]
    assert client.get(start).status_code == 200
    response = client.post(start, {"rule": rule.pk, "branch": shenzhen.pk, "dry_run": "on"})

    run = BatchRun.objects.get()
    assert response["Location"] == reverse("admin:distribution_batchrun_change", args=[run.pk])
    assert run.dry_run and run.status == BatchStatus.COMPLETED and run.processed == 4
    assert not Distribution.objects.exists()
    page = client.get(response["Location"])
    assert page.status_code == 200 and "100%" in page.content.decode()
