"""Period arithmetic of the overview, as properties over any dates."""

from datetime import date, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from distribution.periods import period_start
from stats import dashboard
from stats.selectors import period_label
from tests.stats.world import SHANGHAI

DAYS = st.dates(min_value=date(2001, 1, 1), max_value=date(2090, 12, 31))


@given(DAYS, st.integers(min_value=0, max_value=400))
def test_the_previous_range_has_the_same_length_and_ends_the_day_before(start, length):
    end = start + timedelta(days=length)
    before_from, before_to = dashboard.previous_range(start, end)
    assert before_to == start - timedelta(days=1)
    assert (before_to - before_from) == (end - start)


@given(DAYS, st.sampled_from(["day", "month", "quarter", "year"]))
def test_a_pool_period_ends_the_day_before_the_next_one_starts(day, period):
    start = period_start(period, datetime.combine(day, time(12), tzinfo=SHANGHAI))
    end = dashboard.period_end(period, start)
    assert start <= day <= end
    following = datetime.combine(end + timedelta(days=1), time(12), tzinfo=SHANGHAI)
    assert period_start(period, following) == end + timedelta(days=1)


@given(DAYS)
def test_period_labels_sort_like_the_periods(day):
    later = day + timedelta(days=40)
    for kind in ("month", "quarter", "year"):
        assert period_label(kind, day) <= period_label(kind, later)
