"""What the supplier's pages show (reads); filled in with the shipment pages."""


def home_context(provider) -> dict:
    return {"provider": provider}
