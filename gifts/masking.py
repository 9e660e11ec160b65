"""Voucher codes as exported to people who do not manage them.

A code is a bearer secret: whoever holds it can redeem the service at the provider.
The last four characters stay readable, enough to match a code a customer reads out.
"""

VISIBLE = 4


def mask_voucher_code(value: str) -> str:
    """ABCD-EFGH-1234 -> **********1234; a code of eight characters or fewer is all stars."""
    if len(value) <= 2 * VISIBLE:
        return "*" * len(value)
    return "*" * (len(value) - VISIBLE) + value[-VISIBLE:]
