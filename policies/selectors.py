"""Reads for policies, always from what the user may see."""

import re

from django.db.models import Q, QuerySet

from giftplatform.access import restrict
from giftplatform.validators import PROVINCE_ABBREVIATIONS, fold_width
from policies.models import PiiReveal, Policy

_VIN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
_ID_NUMBER = re.compile(r"^\d{17}[\dX]$")
_MOBILE = re.compile(r"^(?:\+?86)?(1\d{10})$")
_PLATE_SEPARATORS = re.compile(r"[·•・.\-]")


def policy_lookup_condition(text: str) -> Q | None:
    """The exact, indexed condition for what ``text`` looks like; None for blank text.

    Plate (starts with a province abbreviation, separators dropped), VIN (17
    characters), ID number (18 digits or X), mobile (11 digits from 1), otherwise the
    policy no. An identifier that also happens to be a policy no. still finds that
    policy: the policy no. is ORed in, an equality on its unique index.
    """
    value = re.sub(r"\s+", "", fold_width(text or "")).upper()
    if not value:
        return None
    if value[0] in PROVINCE_ABBREVIATIONS:
        return Q(plate=_PLATE_SEPARATORS.sub("", value))
    exact = Q(policy_no=value)
    if _VIN.match(value):
        return Q(vin=value) | exact
    if _ID_NUMBER.match(value):
        return Q(id_number=value) | exact
    mobile = _MOBILE.match(value)
    if mobile:
        return Q(phone=mobile.group(1)) | exact
    return exact


def policy_lookup(*, user, text: str) -> QuerySet[Policy]:
    """Policies ``user`` may see whose identifier equals what ``text`` looks like."""
    condition = policy_lookup_condition(text)
    policies = restrict(Policy.objects.select_related("branch"), user, "view")
    return policies.none() if condition is None else policies.filter(condition)


def pii_reveals(*, user) -> QuerySet:
    """The personal-data reveal log as ``user`` may read it."""
    return restrict(PiiReveal.objects.select_related("policy", "user"), user, "view")
