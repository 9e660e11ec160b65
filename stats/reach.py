"""The policies reached, counted from the reach rows (``distribution.HandoutReach``)
rather than de-duplicated from the lines: each row knows the day of its policy's
previous live hand-out under the same value, so the policies a group reached are its
rows whose previous day falls before the group's first day, one per policy. Policies
whose hand-outs lie in more than one branch (``spans``) could be in two groups or
half out of scope, so theirs are de-duplicated the plain way: they are few.

A group's first day is the latest of the period's start and the starts of its period
keys (a week within a month starts at whichever begins later).
"""

from collections import defaultdict
from collections.abc import Callable

from django.db.models import Count, DateField, Q, QuerySet, Value
from django.db.models.functions import Greatest

from stats.dimensions import DIMENSIONS
from stats.sources import REACH


def reach_counted(
    rows: QuerySet, keys: dict, dimensions: tuple, date_from, key_of: Callable
) -> dict[tuple, int]:
    """Policies reached per group of ``rows`` (grouped by the expressions ``keys`` of
    ``dimensions``; one group, ``()``, without keys), keyed by ``key_of(record)``."""
    first = _first_under_value(dimensions, date_from)
    names = list(keys)
    found = defaultdict(int)
    parts = (
        (rows.filter(first, spans=False), Count("*")),
        (rows.filter(spans=True), Count(REACH.policy, distinct=True)),
    )
    for part, counted in parts:
        if names:
            records = part.annotate(**keys).values(*names).annotate(policies=counted)
        else:
            records = [part.aggregate(policies=counted)]
        for record in records:
            if record["policies"]:
                found[key_of(record) if names else ()] += record["policies"]
    return dict(found)


def _first_under_value(dimensions: tuple, date_from) -> Q:
    """Rows whose policy had no live hand-out under their value earlier in their group."""
    starts = [Value(date_from, output_field=DateField())] if date_from else []
    for code in dimensions:
        if DIMENSIONS[code].is_period:
            starts.append(REACH.period(DIMENSIONS[code].period))
    none_before = Q(previous_day__isnull=True)
    if not starts:
        return none_before
    start = starts[0] if len(starts) == 1 else Greatest(*starts, output_field=DateField())
    return none_before | Q(previous_day__lt=start)
