"""Reads for gifts and their ledgers, always from what the user may see."""

from django.db.models import QuerySet

from giftplatform.access import restrict, sees_everything
from gifts.models import Gift, StockMovement


def visible_gifts(*, user, action: str = "view") -> QuerySet[Gift]:
    return restrict(Gift.objects.all(), user, action)


def stock_movements(*, user, gift: Gift | None = None) -> QuerySet[StockMovement]:
    """Stock movements, newest first; a movement is visible exactly when its gift is."""
    queryset = restrict(StockMovement.objects.select_related("gift", "actor"), user, "view")
    if gift is not None:
        queryset = queryset.filter(gift=gift)
    if sees_everything(user):
        return queryset
    return queryset.filter(gift__in=visible_gifts(user=user).values("pk"))


def import_jobs_for(user) -> QuerySet:
    """The import jobs a user may look at: their own (all of them for superusers)."""
    from gifts.models import ImportJob

    return restrict(ImportJob.objects.select_related("actor"), user, "view")
