"""The gift lines as the statistics' running tables read them (``totals``, ``reach``):
one SQL row per line with its local day and month, branch, rule, hand-out, policy,
units, value, cost and the text key of each facet asked for."""

from django.db.models import CharField, DateField, ExpressionWrapper, F, QuerySet, Value
from django.db.models.functions import Cast, Coalesce, Trunc
from django.utils import timezone

from distribution.models import Facet

# The item field (or its hand-out's) each facet's key is read from (stored as text).
FACET_FIELDS = {
    Facet.GIFT: "gift_id",
    Facet.CATEGORY: "category_id",
    Facet.KIND: "kind",
    Facet.PROVIDER: "provider_id",
    Facet.PRODUCT: "distribution__product",
    Facet.CHANNEL: "distribution__channel",
    Facet.AGENT: "distribution__agent_code",
    Facet.VEHICLE_TYPE: "distribution__vehicle_type",
    Facet.STATUS: "distribution__status",
}


def _local(kind: str) -> Trunc:
    return Trunc(
        "distribution__created_at",
        kind,
        output_field=DateField(),
        tzinfo=timezone.get_default_timezone(),
    )


def lines_sql(items: QuerySet, money, facets) -> tuple[str, tuple]:
    """The SQL of ``items`` as rows with the columns ``l_day``, ``l_month``,
    ``l_branch_id``, ``l_rule_code``, ``l_handout``, ``l_policy_id``, ``l_units``,
    ``l_value``, ``l_cost`` and ``f_<facet>`` for each facet in ``facets``. Read once per
    statement (a common table), however many facets group it."""
    text = CharField(max_length=40)
    columns = {
        "l_day": _local("day"),
        "l_month": _local("month"),
        "l_branch_id": F("distribution__branch_id"),
        "l_rule_code": F("distribution__rule_code"),
        "l_handout": F("distribution_id"),
        "l_policy_id": F("distribution__policy_id"),
        "l_units": F("quantity"),
        "l_value": ExpressionWrapper(F("quantity") * F("unit_value"), output_field=money),
        "l_cost": ExpressionWrapper(F("quantity") * F("unit_cost"), output_field=money),
        **{
            f"f_{facet}": Coalesce(Cast(FACET_FIELDS[facet], text), Value("", output_field=text))
            for facet in facets
        },
    }
    return items.order_by().annotate(**columns).values(*columns).query.sql_with_params()
