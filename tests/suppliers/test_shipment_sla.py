"""Days waiting are mainland working days: weekends and public holidays off, swapped days on."""

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from distribution.shipment_selectors import (
    overdue_cutoff,
    sla_working_days,
    waiting,
    working_days_between,
)

D = datetime.date
# National Day 2025: 1-8 October off; Sunday 28 September and Saturday 11 October worked.


def _due(day: datetime.date, hour=15):
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))
    return SimpleNamespace(due_at=moment)


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        (D(2025, 9, 30), D(2025, 9, 30), 0),
        (D(2025, 9, 30), D(2025, 10, 8), 0),  # the whole holiday
        (D(2025, 9, 30), D(2025, 10, 9), 1),
        (D(2025, 9, 30), D(2025, 10, 11), 3),  # the swapped Saturday counts
        (D(2025, 9, 26), D(2025, 9, 29), 2),  # Sunday 28 September is a working day
        (D(2025, 11, 7), D(2025, 11, 10), 1),  # an ordinary weekend
    ],
)
def test_working_days_follow_the_chinese_calendar(start, end, days):
    assert working_days_between(start, end) == days


def test_overdue_after_the_sla_across_national_day(settings):
    settings.SHIPMENT_SLA_WORKING_DAYS = 3
    item = _due(D(2025, 9, 30))
    assert waiting(item, D(2025, 10, 8)) == (0, False)  # eight calendar days, no working day
    assert waiting(item, D(2025, 10, 11)) == (3, False)
    assert waiting(item, D(2025, 10, 13)) == (4, True)


def test_the_sla_is_a_setting(settings):
    settings.SHIPMENT_SLA_WORKING_DAYS = 1
    assert sla_working_days() == 1
    assert waiting(_due(D(2025, 9, 30)), D(2025, 10, 10)) == (2, True)


def test_overdue_cutoff_agrees_with_waiting(settings):
    settings.SHIPMENT_SLA_WORKING_DAYS = 3
    today = D(2025, 10, 13)
    cutoff = overdue_cutoff(today)
    for offset in range(0, 25):
        day = today - datetime.timedelta(days=offset)
        item = _due(day, hour=0)
        assert (item.due_at < cutoff) == waiting(item, today)[1], day
