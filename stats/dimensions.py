"""What the statistics group by and what they measure: codes, labels, ORM expressions.

Every path starts from ``DistributionItem`` (one gift line of one hand-out), the finest
row the figures are made of. Periods are cut in local time (Asia/Shanghai): an item
handed out at 23:30 on 31 January in Shenzhen belongs to January, whatever UTC says.
"""

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, DateField, DecimalField, F, Sum
from django.db.models.functions import Trunc
from django.utils.translation import gettext_lazy as _

from distribution.models import DistributionStatus
from gifts.models import GiftKind
from policies.models import Product

MONEY = DecimalField(max_digits=16, decimal_places=2)
LOCAL = ZoneInfo(settings.TIME_ZONE)
# A line's copy of its hand-out's time (indexed on the line; always equal to it).
MOMENT = "handed_out_at"


@dataclass(frozen=True)
class Dimension:
    code: str
    label: str
    key: str = ""  # lookup path of the grouped value (branch: computed, see selectors)
    name: str = ""  # lookup path of its display name, grouped along with the key
    choices: dict | None = None  # display names of a choice field's values
    period: str = ""  # Trunc kind for the period dimensions
    handout: str = ""  # lookup path from the hand-out, for those it holds itself

    @property
    def is_period(self) -> bool:
        return bool(self.period)

    def expression(self):
        if self.period:
            return Trunc(MOMENT, self.period, output_field=DateField(), tzinfo=LOCAL)
        return F(self.key)


DIMENSIONS: dict[str, Dimension] = {
    d.code: d
    for d in (
        Dimension("branch", _("branch")),
        Dimension("gift", _("gift"), "gift_id", "gift__name"),
        # The category and kind the gift had when handed out (copied onto the line).
        Dimension("category", _("gift category"), "category_id", "category__name"),
        Dimension("kind", _("gift kind"), "kind", choices=dict(GiftKind.choices)),
        Dimension("provider", _("provider"), "provider_id", "provider__name"),
        Dimension("rule", _("rule code"), "distribution__rule_code", handout="rule_code"),
        # The policy's, as the hand-out copied them when it was made.
        Dimension(
            "product",
            _("product"),
            "distribution__product",
            choices=dict(Product.choices),
            handout="product",
        ),
        Dimension("channel", _("channel"), "distribution__channel", handout="channel"),
        Dimension("agent", _("agent code"), "distribution__agent_code", handout="agent_code"),
        Dimension(
            "vehicle_type", _("vehicle type"), "distribution__vehicle_type", handout="vehicle_type"
        ),
        Dimension(
            "status",
            _("distribution status"),
            "distribution__status",
            choices=dict(DistributionStatus.choices),
            handout="status",
        ),
        Dimension("day", _("day"), period="day"),
        Dimension("week", _("week"), period="week"),
        Dimension("month", _("month"), period="month"),
        Dimension("quarter", _("quarter"), period="quarter"),
        Dimension("year", _("year"), period="year"),
    )
}


@dataclass(frozen=True)
class Measure:
    code: str
    label: str
    money: bool = False
    ratio: bool = False


MEASURES: dict[str, Measure] = {
    m.code: m
    for m in (
        Measure("count", _("distributions")),
        Measure("units", _("units")),
        Measure("value", _("face value (CNY)"), money=True),
        Measure("cost", _("cost (CNY)"), money=True),
        Measure("policies", _("policies reached")),
        Measure("premium", _("premium of those policies (CNY)"), money=True),
        Measure("cost_ratio", _("cost / premium (%)"), ratio=True),
    )
}
DEFAULT_MEASURES = ("count", "units", "value", "cost")

# The measures summed by the one grouped query; the policies reached, their premium and
# the ratio need each policy counted once, which a second query does (see selectors).
ITEM_AGGREGATES = {
    "count": Count("distribution_id", distinct=True),
    "units": Sum("quantity"),
    "value": Sum(F("quantity") * F("unit_value"), output_field=MONEY),
    "cost": Sum(F("quantity") * F("unit_cost"), output_field=MONEY),
}
