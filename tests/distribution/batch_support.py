"""Batch runs past four eyes, for tests about what a run does rather than its approval."""

from distribution.batch import batch_run_prepare
from distribution.models import BatchRun
from distribution.services import batch_run_approve
from tests.factories import UserFactory


def two_people():
    """A maker and a checker who may approve anything (the approval is not under test)."""
    return UserFactory(), UserFactory(is_superuser=True)


def approved_run(rule, maker=None, checker=None, **selection) -> BatchRun:
    """A real run of ``rule`` prepared by ``maker`` and approved by ``checker``."""
    if maker is None or checker is None:
        default_maker, default_checker = two_people()
        maker, checker = maker or default_maker, checker or default_checker
    run = batch_run_prepare(actor=maker, rule=rule, **selection)
    return batch_run_approve(actor=checker, run=run)
