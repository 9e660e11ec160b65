"""Reads about providers: contract expiry and a provider's portal users."""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone

from giftplatform.access import restrict
from suppliers.models import Provider


def contract_warning_days() -> int:
    """How many days before its end a contract is flagged (PROVIDER_CONTRACT_WARNING_DAYS)."""
    return getattr(settings, "PROVIDER_CONTRACT_WARNING_DAYS", 30)


def today() -> datetime.date:
    return timezone.localdate()


def contract_expiring_condition(day: datetime.date | None = None) -> Q:
    """Contracts that end from ``day`` to ``day`` + the warning days (not yet expired)."""
    day = day or today()
    horizon = day + datetime.timedelta(days=contract_warning_days())
    return Q(contract_end__gte=day, contract_end__lte=horizon)


def contract_expired_condition(day: datetime.date | None = None) -> Q:
    return Q(contract_end__lt=day or today())


def provider_portal_users(*, user, provider: Provider) -> QuerySet:
    """``provider``'s portal users within ``user``'s reach, newest first."""
    users = get_user_model().objects.filter(provider=provider, branch__isnull=True)
    return restrict(users, user, "view").prefetch_related("groups").order_by("-date_joined", "-pk")
