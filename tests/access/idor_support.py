"""What the IDOR tests share: a snapshot of every table an IDOR could write to, and the
rows of the shared world by position."""

from django.apps import apps
from django.forms.models import model_to_dict

WATCHED = (
    "giftplatform.branch",
    "giftplatform.user",
    "gifts.gift",
    "gifts.stockmovement",
    "gifts.vouchercode",
    "policies.policy",
    "policies.piireveal",
    "distribution.rule",
    "distribution.rulereward",
    "distribution.quota",
    "distribution.distribution",
    "distribution.changerequest",
    "distribution.batchrun",
)


def snapshot(*rows):
    counts = {label: apps.get_model(label).objects.count() for label in WATCHED}
    fields = [model_to_dict(type(row).objects.get(pk=row.pk)) for row in rows]
    return counts, fields


class Unchanged:
    """``with Unchanged(row, ...):`` the row counts and the rows' fields stay as they were."""

    def __init__(self, *rows):
        self.rows = rows

    def __enter__(self):
        self.before = snapshot(*self.rows)
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            assert snapshot(*self.rows) == self.before


def sibling(world, label):
    return world.row(label, "sibling")


def own(world, label):
    return world.row(label, "own")
