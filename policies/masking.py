"""Personal data as staff see it by default: enough to recognise, not to copy."""


def mask_id_number(value: str) -> str:
    """110105********1234: region and the last four stay readable."""
    if len(value) < 10:
        return "*" * len(value)
    return f"{value[:6]}{'*' * (len(value) - 10)}{value[-4:]}"


def mask_phone(value: str) -> str:
    """138****5678."""
    if len(value) < 7:
        return "*" * len(value)
    return f"{value[:3]}{'*' * (len(value) - 7)}{value[-4:]}"
