"""Demo provider data for the staff pages: bank details, a contract about to end, one that
has ended, and this period's open settlements of the demo supplier and service provider.

Called by ``seed_demo`` after the hand-outs and parcels. Bank details are written only
where a provider has none (the contract dates move with them, relative to the day of the
first run); the open settlements are brought up to date on every run (never a settled one).
"""

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from distribution.settlements import settlement_create, settlement_period
from suppliers.models import Provider

BANKS = ("招商银行深圳分行", "中国工商银行深圳福田支行", "中国建设银行深圳南山支行")
EXPIRING = {"S004": 20}  # code -> days until the contract ends (flagged amber)
EXPIRED = {"P003": -5}  # ... or since it ended (flagged red)
SETTLED_PROVIDERS = ("S002", "P001")


def seed_provider_details(*, stdout=None) -> int:
    """Bank details (and contract ends) for the providers without them; how many."""
    today = timezone.localdate()
    changed = 0
    for n, provider in enumerate(Provider.objects.filter(bank_account_no="").order_by("code")):
        provider.bank_name = BANKS[n % len(BANKS)]
        provider.bank_account_name = provider.name
        provider.bank_account_no = f"7559{provider.pk:04d}{20260000 + n:08d}"
        days = EXPIRING.get(provider.code, EXPIRED.get(provider.code))
        if days is not None:
            provider.contract_end = today + datetime.timedelta(days=days)
            provider.contract_start = min(provider.contract_start or today, provider.contract_end)
        provider.full_clean()
        provider.save()
        changed += 1
    settlements = 0
    for provider in Provider.objects.filter(code__in=SETTLED_PROVIDERS):
        start, end = settlement_period(provider, today)
        try:
            settlement_create(actor=None, provider=provider, period_start=start, period_end=end)
        except ValidationError:
            continue  # this period was settled by hand: left as it is
        settlements += 1
    if stdout is not None:
        stdout.write(
            _("Provider bank details: %(changed)d added; open settlements: %(settlements)d")
            % {"changed": changed, "settlements": settlements}
        )
    return changed
