"""Four eyes for real batch runs: made by one person, approved or rejected by another.

Service, database constraint, admin pages (real admin site, Django's client) and the
command line."""

from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from distribution.batch import batch_run_execute, batch_run_prepare
from distribution.models import BatchRun, BatchStatus, Distribution, QuotaUsage
from distribution.services import batch_run_approve, batch_run_reject
from gifts.models import StockMovement, VoucherCode, VoucherStatus
from tests.distribution.admin_support import admin_url, grant_distribution, messages_of
from tests.distribution.conftest import make_quota, make_rule, stocked_gift, voucher_gift
from tests.factories import PolicyFactory, UserFactory


@pytest.fixture
def rule(futian):
    rule = make_rule("FT-BATCH", [(stocked_gift(50), 1, ""), (voucher_gift(10), 1, "")])
    rule.branch = futian
    rule.save(update_fields=["branch"])
    make_quota("FT-POOL", "voucher_count", "all", 100, branch=futian)
    for _ in range(3):
        PolicyFactory(branch=futian)
    return rule


@pytest.fixture
def maker(futian):
    return grant_distribution(UserFactory(username="maker_ft", branch=futian))


@pytest.fixture
def checker(shenzhen):
    return grant_distribution(UserFactory(username="checker_sz", branch=shenzhen), approve=True)


@pytest.fixture
def run(rule, maker, futian):
    return batch_run_prepare(actor=maker, rule=rule, branch=futian)


# --- service -------------------------------------------------------------------------------


def test_a_real_run_waits_with_its_maker_and_hands_out_nothing(run, maker):
    assert (run.status, run.created_by, run.checker) == (
        BatchStatus.AWAITING_APPROVAL,
        maker,
        None,
    )
    with pytest.raises(ValidationError):
        batch_run_execute(actor=maker, run=run)
    run.refresh_from_db()
    assert run.status == BatchStatus.AWAITING_APPROVAL and not Distribution.objects.exists()


def test_a_real_run_needs_a_named_maker(rule):
    with pytest.raises(ValidationError):
        batch_run_prepare(actor=None, rule=rule)
    assert not BatchRun.objects.exists()


def test_a_dry_run_needs_no_approval(rule, maker):
    run = batch_run_prepare(actor=maker, rule=rule, dry_run=True)
    assert run.status == BatchStatus.PENDING
    run = batch_run_execute(actor=maker, run=run)
    assert run.status == BatchStatus.COMPLETED and run.checker is None
    with pytest.raises(ValidationError):  # nothing to decide on
        batch_run_approve(actor=UserFactory(is_superuser=True), run=run)


def test_the_maker_cannot_approve_their_own_run_even_as_an_approver(run, maker):
    grant_distribution(maker, approve=True)
    with pytest.raises(PermissionDenied):
        batch_run_approve(actor=maker, run=run)
    with pytest.raises(PermissionDenied):
        batch_run_reject(actor=maker, run=run, note="mine")
    run.refresh_from_db()
    assert run.status == BatchStatus.AWAITING_APPROVAL and run.checker is None


def test_the_database_refuses_the_maker_as_checker(run, maker):
    with pytest.raises(IntegrityError), transaction.atomic():
        BatchRun.objects.filter(pk=run.pk).update(checker=maker, decided_at=timezone.now())


def test_the_database_refuses_a_decision_without_who_or_when(run, checker):
    with pytest.raises(IntegrityError), transaction.atomic():
        BatchRun.objects.filter(pk=run.pk).update(checker=checker)
    with pytest.raises(IntegrityError), transaction.atomic():
        BatchRun.objects.filter(pk=run.pk).update(decided_at=timezone.now())


def test_the_database_refuses_a_decided_dry_run(rule, maker, checker):
    dry = batch_run_prepare(actor=maker, rule=rule, dry_run=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        BatchRun.objects.filter(pk=dry.pk).update(checker=checker, decided_at=timezone.now())


def test_without_the_approve_permission_no_decision(run, shenzhen):
    manager = grant_distribution(UserFactory(username="mgr_sz", branch=shenzhen))
    with pytest.raises(PermissionDenied):
        batch_run_approve(actor=manager, run=run)


def test_an_approver_of_another_branch_cannot_decide(run, nanshan):
    outsider = grant_distribution(UserFactory(username="ap_ns", branch=nanshan), approve=True)
    with pytest.raises(PermissionDenied):
        batch_run_approve(actor=outsider, run=run)


def test_approved_run_executes_and_records_who_and_when(run, maker, checker):
    run = batch_run_approve(actor=checker, run=run, note="ok for Q4")
    assert (run.status, run.checker, run.decision_note) == (
        BatchStatus.PENDING,
        checker,
        "ok for Q4",
    )
    assert run.decided_at is not None
    with pytest.raises(ValidationError):
        batch_run_approve(actor=checker, run=run)  # decided once

    run = batch_run_execute(actor=maker, run=run)
    assert run.status == BatchStatus.COMPLETED and Distribution.objects.count() == 3


def test_reject_needs_a_reason_and_releases_nothing_since_nothing_was_reserved(run, checker):
    before = (
        StockMovement.objects.count(),
        VoucherCode.objects.filter(status=VoucherStatus.AVAILABLE).count(),
    )
    with pytest.raises(ValidationError):
        batch_run_reject(actor=checker, run=run, note="  ")

    run = batch_run_reject(actor=checker, run=run, note="wrong quarter")

    assert (run.status, run.checker, run.decision_note) == (
        BatchStatus.REJECTED,
        checker,
        "wrong quarter",
    )
    after = (
        StockMovement.objects.count(),
        VoucherCode.objects.filter(status=VoucherStatus.AVAILABLE).count(),
    )
    assert before == after
    assert not Distribution.objects.exists() and not QuotaUsage.objects.filter(used__gt=0).exists()
    with pytest.raises(ValidationError):
        batch_run_execute(actor=checker, run=run)
    with pytest.raises(ValidationError):
        batch_run_approve(actor=checker, run=run)


def test_a_stopped_approved_run_resumes_without_a_second_approval(run, maker, checker):
    from distribution.batch import batch_run_stop

    batch_run_approve(actor=checker, run=run)

    def stop_after_first_chunk(r):
        batch_run_stop(actor=maker, run=r)

    run = batch_run_execute(actor=maker, run=run, chunk_size=1, progress=stop_after_first_chunk)
    assert run.status == BatchStatus.STOPPED and Distribution.objects.count() == 1
    run = batch_run_execute(actor=maker, run=run, chunk_size=1)
    assert run.status == BatchStatus.COMPLETED and Distribution.objects.count() == 3
    assert Distribution.objects.values("policy").distinct().count() == 3


# --- admin ---------------------------------------------------------------------------------


def test_admin_start_form_saves_a_real_run_awaiting_approval(client, rule, maker, futian):
    client.force_login(maker)
    response = client.post(
        admin_url("batchrun", "start"), {"rule": rule.pk, "branch": futian.pk, "dry_run": ""}
    )
    run = BatchRun.objects.get()
    assert response.status_code == 302 and run.status == BatchStatus.AWAITING_APPROVAL
    assert not Distribution.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "batch-own-awaiting" in page and "batch-approval" not in page


def test_approve_page_confirms_then_approves_and_start_runs_it(client, run, maker, checker):
    client.force_login(checker)
    page = client.get(admin_url("batchrun", "change", run.pk)).content.decode()
    assert admin_url("batchrun", "approve", run.pk) in page
    confirm = client.get(admin_url("batchrun", "approve", run.pk))
    assert confirm.status_code == 200
    assert "FT-BATCH" in confirm.content.decode() and "maker_ft" in confirm.content.decode()
    run.refresh_from_db()
    assert run.status == BatchStatus.AWAITING_APPROVAL  # GET changes nothing

    response = client.post(admin_url("batchrun", "approve", run.pk), {"reason": "fine"})
    run.refresh_from_db()
    assert response.status_code == 302
    assert (run.status, run.checker, run.decision_note) == (BatchStatus.PENDING, checker, "fine")

    client.force_login(maker)
    page = client.get(admin_url("batchrun", "change", run.pk)).content.decode()
    assert "checker_sz" in page and "batch-resume" in page
    client.post(admin_url("batchrun", "resume", run.pk))
    run.refresh_from_db()
    assert run.status == BatchStatus.COMPLETED and Distribution.objects.count() == 3


def test_reject_page_needs_a_reason(client, run, checker):
    client.force_login(checker)
    page = client.post(admin_url("batchrun", "reject", run.pk), {"reason": ""})
    run.refresh_from_db()
    assert page.status_code == 200 and run.status == BatchStatus.AWAITING_APPROVAL
    client.post(admin_url("batchrun", "reject", run.pk), {"reason": "not this month"})
    run.refresh_from_db()
    assert run.status == BatchStatus.REJECTED and run.decision_note == "not this month"


def test_the_maker_approving_through_the_admin_is_refused(client, run, maker):
    grant_distribution(maker, approve=True)
    client.force_login(maker)
    page = client.get(admin_url("batchrun", "change", run.pk)).content.decode()
    assert admin_url("batchrun", "approve", run.pk) not in page
    response = client.post(admin_url("batchrun", "approve", run.pk), {"reason": ""})
    run.refresh_from_db()
    assert response.status_code == 302 and run.status == BatchStatus.AWAITING_APPROVAL
    assert any("自己" in m or "own" in m for m in messages_of(response))


@pytest.mark.parametrize("view", ["approve", "reject"])
def test_an_approver_outside_the_rules_branch_gets_404(client, run, nanshan, view):
    outsider = grant_distribution(UserFactory(username="ap_ns", branch=nanshan), approve=True)
    client.force_login(outsider)
    assert client.get(admin_url("batchrun", view, run.pk)).status_code == 404
    assert client.post(admin_url("batchrun", view, run.pk), {"reason": "x"}).status_code == 404
    assert client.get(admin_url("batchrun", view, 999999)).status_code == 404
    run.refresh_from_db()
    assert run.status == BatchStatus.AWAITING_APPROVAL


@pytest.mark.parametrize("view", ["approve", "reject"])
def test_a_user_without_the_approve_permission_gets_403(client, run, shenzhen, view):
    manager = grant_distribution(UserFactory(username="mgr_sz", branch=shenzhen))
    client.force_login(manager)
    assert client.get(admin_url("batchrun", view, run.pk)).status_code == 403
    assert client.post(admin_url("batchrun", view, run.pk), {"reason": "x"}).status_code == 403
    run.refresh_from_db()
    assert run.status == BatchStatus.AWAITING_APPROVAL


def test_the_list_shows_runs_awaiting_approval_first_in_constant_queries(
    client, rule, maker, checker, futian, django_assert_max_num_queries
):
    def add_runs(n):
        for _ in range(n):
            done = batch_run_prepare(actor=maker, rule=rule, branch=futian)
            batch_run_approve(actor=checker, run=done)
        batch_run_prepare(actor=maker, rule=rule, branch=futian)

    client.force_login(checker)
    add_runs(1)
    with django_assert_max_num_queries(20) as few:
        client.get(admin_url("batchrun", "changelist"))
    add_runs(6)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(admin_url("batchrun", "changelist"))
    rows = list(page.context["cl"].result_list)
    assert [r.status for r in rows[:2]] == [BatchStatus.AWAITING_APPROVAL] * 2
    assert "maker_ft" in page.content.decode() and "checker_sz" in page.content.decode()
    filtered = client.get(admin_url("batchrun", "changelist"), {"status__exact": "awaiting"})
    assert len(filtered.context["cl"].result_list) == 2


# --- command line --------------------------------------------------------------------------


def command(*args):
    out = StringIO()
    call_command("distribute_batch", *args, stdout=out)
    return out.getvalue()


def test_command_real_run_waits_then_runs_once_approved(rule, maker, checker):
    out = command("--rule", "FT-BATCH", "--user", "maker_ft", "--branch", "440304")
    run = BatchRun.objects.get()
    assert run.status == BatchStatus.AWAITING_APPROVAL and run.created_by == maker
    assert f"--run {run.pk}" in out and not Distribution.objects.exists()
    with pytest.raises(CommandError, match="awaits approval"):
        command("--run", str(run.pk))

    batch_run_approve(actor=checker, run=run)
    command("--run", str(run.pk), "--user", "maker_ft")
    run.refresh_from_db()
    assert run.status == BatchStatus.COMPLETED and Distribution.objects.count() == 3
    assert set(Distribution.objects.values_list("created_by", flat=True)) == {maker.pk}


def test_command_refuses_a_rejected_run(run, checker):
    batch_run_reject(actor=checker, run=run, note="no budget")
    with pytest.raises(CommandError, match="rejected: no budget"):
        command("--run", str(run.pk))
    assert not Distribution.objects.exists()


@pytest.mark.parametrize(
    ("user", "args", "message"),
    [
        ("nobody_ft", ["--branch", "440304"], "may not start batch runs"),
        ("maker_ft", [], "must give --branch"),
        ("maker_ft", ["--branch", "440305"], "unknown branch"),
        ("maker_ns", ["--branch", "440305"], "unknown rule"),
    ],
)
def test_command_checks_the_makers_role_and_scope(rule, maker, nanshan, user, args, message):
    UserFactory(username="nobody_ft", branch=maker.branch)
    grant_distribution(UserFactory(username="maker_ns", branch=nanshan))
    with pytest.raises(CommandError, match=message):
        command("--rule", "FT-BATCH", "--user", user, *args)
    assert not BatchRun.objects.exists()
