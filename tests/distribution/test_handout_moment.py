"""Each gift line keeps its hand-out's time (``handed_out_at``), which the statistics read
a period's lines by: written with the hand-out, by the batch run too, and moved with it."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from distribution.models import DistributionItem
from distribution.services import distribution_create, handouts_move
from stats.selectors import StatsQuery, grouped
from tests.distribution.conftest import make_rule, stocked_gift
from tests.factories import PolicyFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _lines(distribution) -> list:
    return list(DistributionItem.objects.filter(distribution=distribution))


def test_a_hand_out_lines_carry_its_time_and_move_with_it(futian, admin_user):
    gift = stocked_gift(50, face_value=Decimal("80.00"), unit_cost=Decimal("30.00"))
    other = stocked_gift(50, face_value=Decimal("20.00"), unit_cost=Decimal("9.00"))
    rule = make_rule("M1", [(gift, 2, ""), (other, 1, "")])
    handout = distribution_create(
        actor=None, policy=PolicyFactory(branch=futian), rule=rule, idempotency_key="m-1"
    )
    lines = _lines(handout)
    assert len(lines) == 2
    assert {line.handed_out_at for line in lines} == {handout.created_at}

    # 23:30 on 31 March in Shanghai is 15:30 UTC: the line belongs to March, locally.
    moment = datetime(2026, 3, 31, 23, 30, tzinfo=SHANGHAI)
    handouts_move({handout.pk: moment})
    handout.refresh_from_db()
    assert handout.created_at == moment
    assert {line.handed_out_at for line in _lines(handout)} == {moment}

    # A question about March that reads the lines (gift x status) finds both lines there.
    march = StatsQuery(
        dimensions=("gift", "status"),
        date_from=datetime(2026, 3, 1).date(),
        date_to=datetime(2026, 3, 31).date(),
    )
    found = grouped(user=admin_user, query=march, use_totals=False)
    assert sorted(row.values["units"] for row in found.rows) == [1, 2]
    april = StatsQuery(
        dimensions=("gift", "status"),
        date_from=datetime(2026, 4, 1).date(),
        date_to=datetime(2026, 4, 30).date(),
    )
    assert grouped(user=admin_user, query=april, use_totals=False).rows == []
