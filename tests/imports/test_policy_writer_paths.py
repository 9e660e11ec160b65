"""The policy writers' shortcuts: no owner look-up for who sees every branch; contract
services staged once per distinct cell (COPY) and compared as jsonb on the way back."""

import pytest

from gifts.models import ImportStatus
from policies import imports
from policies.models import Policy
from tests.imports.sheets import POLICY_HEADERS, policy_no, policy_row, table, write_xlsx


def three_rows() -> list[dict]:
    return [policy_row(n) for n in (1, 2, 3)]


@pytest.fixture
def owners_calls(monkeypatch):
    calls = []
    original = imports._owners

    def counted(policy_nos):
        calls.append(len(policy_nos))
        return original(policy_nos)

    monkeypatch.setattr(imports, "_owners", counted)
    return calls


def test_an_actor_who_sees_every_branch_needs_no_owner_look_up(
    run, tmp_path, futian, settings, owners_calls
):
    settings.IMPORT_BATCH_SIZE = 2
    path = write_xlsx(tmp_path / "p.xlsx", table(POLICY_HEADERS, three_rows()))

    job = run("policies", path)

    assert job.status == ImportStatus.COMMITTED, job.errors
    assert (job.created_count, owners_calls) == (3, [])


def test_a_branch_manager_still_has_owners_looked_up(
    run, tmp_path, futian, manager_futian, settings, owners_calls
):
    settings.IMPORT_BATCH_SIZE = 2
    path = write_xlsx(tmp_path / "p.xlsx", table(POLICY_HEADERS, three_rows()))

    job = run("policies", path, actor=manager_futian)

    assert job.status == ImportStatus.COMMITTED, job.errors
    assert owners_calls == [2, 1]


def test_contract_services_shared_and_distinct_cells_round_trip(run, tmp_path, futian, settings):
    settings.IMPORT_BATCH_SIZE = 3
    both, driving = "道路救援7次，代为送检1次", "代为驾驶2次"
    cells = [both, "", driving, both, "", driving, ""]
    rows = [policy_row(n, 增值服务=cell) for n, cell in enumerate(cells, start=1)]
    path = write_xlsx(tmp_path / "p.xlsx", table(POLICY_HEADERS, rows))

    first = run("policies", path)
    again = run("policies", path)

    assert (first.created_count, again.unchanged_count, again.updated_count) == (7, 7, 0)
    stored = dict(Policy.objects.values_list("policy_no", "contract_services"))
    assert stored[policy_no(1)] == {"road_rescue": 7, "inspection_on_behalf": 1}
    assert stored[policy_no(2)] == {}
    assert stored[policy_no(6)] == {"designated_driving": 2}
    assert stored[policy_no(4)] == stored[policy_no(1)]
