"""The batch runner's admin hook (start form, stop, resume), on an admin site of its own so
it is tested whatever distribution/admin.py registers."""

import pytest
from django.contrib import admin
from django.urls import include, path, reverse

from distribution.batch_admin import BatchRunnerAdminMixin
from distribution.models import BatchRun, BatchStatus, Distribution
from distribution.services import batch_run_approve
from giftplatform.access import restrict
from tests.distribution.batch_support import approved_run
from tests.distribution.conftest import make_rule, stocked_gift, with_permissions
from tests.factories import PolicyFactory, UserFactory

site = admin.AdminSite(name="admin")


class RunAdmin(BatchRunnerAdminMixin, admin.ModelAdmin):
    def get_queryset(self, request):
        return restrict(super().get_queryset(request), request.user, "view")


site.register(BatchRun, RunAdmin)
urlpatterns = [path("i18n/", include("django.conf.urls.i18n")), path("admin/", site.urls)]

pytestmark = pytest.mark.urls("tests.distribution.test_batch_admin")


@pytest.fixture
def runner(shenzhen):
    user = UserFactory(username="runner_sz", branch=shenzhen)
    return with_permissions(user, "add_batchrun", "view_batchrun")


@pytest.fixture
def setup(futian):
    gift = stocked_gift(100)
    rule = make_rule("R1", [(gift, 1, "")])
    for _ in range(3):
        PolicyFactory(branch=futian)
    return rule


def test_a_real_run_waits_for_approval_then_starts_inline(client, runner, setup, shenzhen):
    client.force_login(runner)
    page = client.get(reverse("admin:distribution_batchrun_start"))
    assert page.status_code == 200 and b"batch-start" in page.content

    response = client.post(
        reverse("admin:distribution_batchrun_start"),
        {"rule": setup.pk, "branch": shenzhen.pk, "dry_run": ""},
    )

    run = BatchRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:distribution_batchrun_change", args=[run.pk])
    assert run.status == BatchStatus.AWAITING_APPROVAL and run.created_by == runner
    assert not Distribution.objects.exists()
    page = client.get(response["Location"])
    assert page.status_code == 200 and b"batch-resume" not in page.content
    start = reverse("admin:distribution_batchrun_resume", args=[run.pk])
    client.post(start)
    run.refresh_from_db()
    assert run.status == BatchStatus.AWAITING_APPROVAL and not Distribution.objects.exists()

    batch_run_approve(actor=UserFactory(username="checker", is_superuser=True), run=run)
    page = client.get(response["Location"])
    assert b"batch-resume" in page.content  # labelled "start"
    client.post(start)

    run.refresh_from_db()
    assert run.status == BatchStatus.COMPLETED and Distribution.objects.count() == 3


def test_the_add_button_opens_the_start_form(client, runner, setup):
    client.force_login(runner)
    response = client.get(reverse("admin:distribution_batchrun_add"))
    assert response["Location"] == reverse("admin:distribution_batchrun_start")


def test_a_branch_user_must_pick_a_branch_in_scope(client, setup, futian, nanshan):
    user = with_permissions(UserFactory(username="runner_ft", branch=futian), "add_batchrun")
    client.force_login(user)
    response = client.post(
        reverse("admin:distribution_batchrun_start"), {"rule": setup.pk, "branch": nanshan.pk}
    )
    assert response.status_code == 200 and not BatchRun.objects.exists()
    response = client.post(reverse("admin:distribution_batchrun_start"), {"rule": setup.pk})
    assert response.status_code == 200 and not BatchRun.objects.exists()


def test_without_permission_no_start(client, setup, shenzhen):
    user = UserFactory(username="nobody", branch=shenzhen)
    client.force_login(user)
    assert client.get(reverse("admin:distribution_batchrun_start")).status_code == 403


def test_stop_then_resume(client, runner, setup, shenzhen):
    client.force_login(runner)
    run = approved_run(setup, maker=runner, branch=shenzhen)

    response = client.post(reverse("admin:distribution_batchrun_stop", args=[run.pk]))
    run.refresh_from_db()
    assert response.status_code == 302 and run.status == BatchStatus.STOPPED
    page = client.get(reverse("admin:distribution_batchrun_change", args=[run.pk]))
    assert b"batch-resume" in page.content

    response = client.post(reverse("admin:distribution_batchrun_resume", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == BatchStatus.COMPLETED and Distribution.objects.count() == 3
    assert client.get(reverse("admin:distribution_batchrun_stop", args=[run.pk])).status_code == 405
