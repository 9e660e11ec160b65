"""manage.py distribute_batch: output, exit codes, Ctrl-C and --run (resume).

Real runs are made with --user, approved in the admin (here: the service), then executed
with --run; test_batch_approval.py tests the approval itself."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from distribution import batch
from distribution.management.commands.distribute_batch import Command
from distribution.models import BatchRun, BatchStatus, Distribution, RuleStatus
from distribution.services import batch_run_approve
from tests.distribution.conftest import make_rule, stocked_gift, with_permissions
from tests.factories import PolicyFactory, UserFactory


def run_command(*args):
    """(exit status, stdout, stderr) as the shell would see them (as ``run_from_argv``
    turns a CommandError into its message and exit status, without closing connections)."""
    out, err = StringIO(), StringIO()
    try:
        call_command(Command(), *args, stdout=out, stderr=err)
        status = 0
    except CommandError as exc:
        err.write(f"CommandError: {exc}")
        status = exc.returncode
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def maker(shenzhen):
    return with_permissions(UserFactory(username="maker_sz", branch=shenzhen), "add_batchrun")


def approve_last_run():
    run = BatchRun.objects.latest("pk")
    return batch_run_approve(actor=UserFactory(username="checker", is_superuser=True), run=run)


@pytest.fixture
def rule(futian):
    gift = stocked_gift(100, code="BOX")
    rule = make_rule("R1", [(gift, 1, "")], conditions=[(1, "premium", "gte", "3000.00")])
    for premium in ("3200.00", "3200.00", "3200.00", "1000.00", "5000.00"):
        PolicyFactory(branch=futian, premium=Decimal(premium))
    return rule


def test_dry_run_prints_progress_and_the_report(rule):
    status, out, _err = run_command("--rule", "r1", "--dry-run", "--chunk-size", "2")

    assert status == 0
    assert "batch dry run #" in out and "5 policies selected" in out
    assert "2/5 (40%)" in out and "5/5 (100%)" in out
    assert "handed out: 4" in out and "refused: 1" in out
    assert "gift BOX" in out and "stock BOX: 4" in out
    assert "top refusal reasons:" in out
    assert not Distribution.objects.exists()


def test_real_run_with_branch_and_dates(rule, shenzhen, maker):
    out = StringIO()
    call_command(
        "distribute_batch",
        "--rule=R1",
        "--branch=4403",
        "--issued-from=2026-01-01",
        "--issued-to=2026-12-31",
        "--user=maker_sz",
        stdout=out,
    )
    run = approve_last_run()
    assert "awaits approval" in out.getvalue() and f"--run {run.pk}" in out.getvalue()
    assert not Distribution.objects.exists()

    out = StringIO()
    call_command("distribute_batch", f"--run={run.pk}", stdout=out)
    assert Distribution.objects.count() == 4
    assert "completed" in out.getvalue().lower() or "已完成" in out.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rule", "NOPE", "--dry-run"], "unknown rule"),
        (["--rule", "R1", "--branch", "9999", "--dry-run"], "unknown branch"),
        (["--rule", "R1", "--issued-from", "2026-13-01", "--dry-run"], "not a date"),
        (
            [
                "--rule",
                "R1",
                "--dry-run",
                "--issued-from",
                "2026-12-01",
                "--issued-to",
                "2026-01-01",
            ],
            "日期",
        ),
        (["--rule", "R1", "--chunk-size", "0"], "chunk-size"),
        (["--resume", "999"], "no batch run"),
        (["--run", "999"], "no batch run"),
        (["--rule", "R1"], "--user"),
        (["--rule", "R1", "--user", "ghost"], "unknown or inactive user"),
        ([], "--rule"),
    ],
)
def test_bad_input_exits_non_zero_with_a_clear_message(rule, args, message):
    """Our own messages are English; the services' are translated (zh-hans by default)."""
    status, _out, err = run_command(*args)
    assert status == 1
    assert message in err
    assert not BatchRun.objects.exists()


def test_a_rule_not_active_is_refused(rule):
    type(rule).objects.filter(pk=rule.pk).update(status=RuleStatus.PAUSED)
    status, _out, err = run_command("--rule", "R1", "--dry-run")
    assert status == 1 and "not active" in err


def test_ctrl_c_stops_the_run_and_resume_finishes_it(rule, maker, monkeypatch):
    real_write = batch.write_chunk
    calls = []

    def interrupted(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real_write(**kwargs)

    monkeypatch.setattr(batch, "write_chunk", interrupted)
    assert run_command("--rule", "R1", "--user", "maker_sz", "--branch", "4403")[0] == 0
    run = approve_last_run()
    status, _out, err = run_command("--run", str(run.pk), "--chunk-size", "2")

    run.refresh_from_db()
    assert status == 130
    assert f"--run {run.pk}" in err
    assert run.status == BatchStatus.STOPPED and run.processed == 2
    assert Distribution.objects.count() == 2

    monkeypatch.setattr(batch, "write_chunk", real_write)
    status, out, _err = run_command("--resume", str(run.pk), "--chunk-size", "2")
    run.refresh_from_db()
    assert status == 0 and run.status == BatchStatus.COMPLETED
    assert Distribution.objects.count() == 4 == run.distributed
    assert "2 already processed" in out

    status, _out, err = run_command("--resume", str(run.pk))
    assert status == 1 and "already completed" in err


def test_a_failure_exits_non_zero_and_says_how_to_resume(rule, maker, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(batch, "write_chunk", broken)
    run_command("--rule", "R1", "--user", "maker_sz", "--branch", "4403")
    run = approve_last_run()
    status, _out, err = run_command("--run", str(run.pk))
    run.refresh_from_db()
    assert status == 1 and "disk on fire" in err and f"--run {run.pk}" in err
    assert run.status == BatchStatus.FAILED
