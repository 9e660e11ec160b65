"""Hand-outs taxed as casual income (偶然所得), per recipient and local month."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Case,
    Count,
    DateField,
    F,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Trunc

from distribution.models import (
    LIVE_STATUSES,
    Distribution,
    TaxTreatment,
)
from giftplatform.access import restrict
from stats.compliance.common import (
    CASUAL_INCOME_RATE,
    CENT,
    ComplianceQuery,
    money,
)
from stats.dimensions import LOCAL
from stats.selectors import local_start

# ----------------------------------------------------------------- casual income tax


@dataclass
class TaxRow:
    month: date
    recipient_name: str
    id_number: str  # in full: the view masks it for the user
    phone: str
    count: int
    value: Decimal
    withheld: Decimal  # sum of Distribution.withholding

    @property
    def due(self) -> Decimal:
        """20 % of the face value, to the cent (half up)."""
        return (self.value * CASUAL_INCOME_RATE).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def difference(self) -> Decimal:
        return self.due - self.withheld


def casual_distributions(*, user, query: ComplianceQuery) -> QuerySet:
    """Live hand-outs taxed as casual income in the period, within scope and filters."""
    found = restrict(Distribution.objects.all(), user, "view").order_by()
    found = found.filter(
        status__in=list(LIVE_STATUSES),
        tax_treatment=TaxTreatment.CASUAL,
        created_at__gte=local_start(query.date_from),
        created_at__lt=query.end,
    )
    if query.branch is not None:
        found = found.filter(branch__path__startswith=query.branch.path)
    if query.product:
        found = found.filter(policy__product=query.product)
    return found


def casual_income(*, user, query: ComplianceQuery) -> tuple[list[TaxRow], dict]:
    """Per recipient (name, mobile, ID number) and local month: hand-outs, face value and
    tax withheld; and the totals. A hand-out records the recipient's name and mobile but
    no ID number of their own: the ID is the insured's where the recipient is the insured,
    blank otherwise. Two queries."""
    found = casual_distributions(user=user, query=query)
    keyed = found.annotate(
        month=Trunc("created_at", "month", output_field=DateField(), tzinfo=LOCAL),
        id_no=Case(
            When(recipient_name=F("policy__insured_name"), then=F("policy__id_number")),
            default=Value(""),
        ),
    )
    grouped = (
        keyed.values("month", "recipient_name", "recipient_phone", "id_no")
        .annotate(count=Count("pk"), value=Sum("total_value"), withheld=Sum("withholding"))
        .order_by("month", "recipient_name", "recipient_phone", "id_no")
    )
    rows = [
        TaxRow(
            month=_month(record["month"]),
            recipient_name=record["recipient_name"],
            id_number=record["id_no"] or "",
            phone=record["recipient_phone"],
            count=record["count"],
            value=money(record["value"]),
            withheld=money(record["withheld"]),
        )
        for record in grouped
    ]
    total = found.aggregate(
        count=Count("pk"), value=Sum("total_value"), withheld=Sum("withholding")
    )
    totals = {
        "count": total["count"] or 0,
        "value": money(total["value"]),
        "withheld": money(total["withheld"]),
        "due": sum((row.due for row in rows), Decimal("0.00")),
    }
    totals["difference"] = totals["due"] - totals["withheld"]
    return rows, totals


def _month(value) -> date:
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        return value.date()
    return value
