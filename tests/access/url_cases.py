"""Every named URL of the site, from the resolver, and how to fill it in for a position.

``url_names()`` walks ``django.urls.get_resolver()``; ``url_for`` turns a name, the world,
the requesting role and an object position into a path (None: that position does not
apply to this URL, e.g. a changelist has no object, a provider has no branch).
"""

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from gifts.models import Gift, ImportKind
from tests.access.conftest import IMPORT_KINDS, World
from tests.access.portal_cases import portal_args, portal_query

# URLs that only take a POST: the matrix posts an empty form to them (inside the test's
# savepoint, so whatever they change is undone).
POST_ONLY = {
    "admin:distribution_batchrun_resume",
    "admin:distribution_batchrun_stop",
    "admin:gifts_gift_import_commit",
    "admin:gifts_stockmovement_import_commit",
    "admin:gifts_vouchercode_import_commit",
    "admin:policies_policy_import_commit",
    "admin:suppliers_provider_import_commit",
    "admin:suppliers_supplier_import_commit",
    "admin:suppliers_serviceprovider_import_commit",
    "admin:logout",
    "portal:logout",
    "portal:shipment_deliver",
    "portal:shipment_import_commit",
    "portal:shipments_deliver",
    "set_language",
}
# Object URLs whose row is not the model's plain row.
ROW_OVERRIDES = {
    "admin:suppliers_provider_document": "suppliers.providerdocument",
    "admin:suppliers_provider_portal_user_deactivate": "giftplatform.user",
    "admin:suppliers_provider_portal_user_password": "giftplatform.user",
    "admin:distribution_rule_submit": "distribution.draft_rule",
    "admin:auth_user_password_change": "giftplatform.user",
    "portal:settlement_download": "suppliers.settlement",
}


def _walk(resolver, namespace, found):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = [*namespace, pattern.namespace] if pattern.namespace else namespace
            _walk(pattern, inner, found)
        elif isinstance(pattern, URLPattern) and pattern.name:
            found.add(":".join([*namespace, pattern.name]))


def url_names() -> set[str]:
    found: set[str] = set()
    _walk(get_resolver(), [], found)
    return found


def _admin_prefixes() -> dict[str, str]:
    """``admin:<app>_<model>_`` -> model label, longest first (supplier before provider)."""
    prefixes = {
        f"admin:{model._meta.app_label}_{model._meta.model_name}_": model._meta.label_lower
        for model in admin.site._registry
    }
    return dict(sorted(prefixes.items(), key=lambda item: -len(item[0])))


def model_of(name: str) -> str | None:
    if name in ROW_OVERRIDES:
        return ROW_OVERRIDES[name]
    for prefix, label in _admin_prefixes().items():
        if name.startswith(prefix):
            return label
    return None


def _pk(world: World, label: str | None, position: str):
    row = world.row(label, position) if label else None
    return None if row is None else row.pk


def _object_args(name: str, world: World, role: str, position: str) -> list | None:
    """The reverse() args of an object URL, or None when ``position`` has no row."""
    label = model_of(name)
    if name.endswith(("_import_job", "_import_commit", "_import_errors")) or (
        label == "gifts.importjob"
    ):
        # An import job belongs to the user who uploaded it: "own" is the requester's.
        user = world.users.get(role) or world.users["platform_admin"]
        job = world.job(user, IMPORT_KINDS.get(label, ImportKind.GIFTS), position)
        return None if job is None else [job.pk]
    if name == "admin:distribution_rule_simple_history":
        rule = world.row("distribution.rule", position)
        return None if rule is None else [rule.pk, rule.history.latest().history_id]
    if name == "admin:view_on_site":
        gift = world.row("gifts.gift", position)
        return [ContentType.objects.get_for_model(Gift).pk, gift.pk]
    if name == "workbench:policy":
        return [world.row("policies.policy", position).pk]
    if name == "workbench:receipt":
        return [world.row("distribution.distribution", position).number]
    if name in ("policies:reveal", "admin:policies_policy_reveal"):
        return [world.row("policies.policy", position).pk, "phone"]
    if name.startswith("portal:") and (args := portal_args(name, world, position)):
        return args
    pk = _pk(world, label, position)
    return None if pk is None else [pk]


def url_for(name: str, world: World, role: str, position: str) -> str | None:
    if name not in OBJECT_URLS:
        if position != "own":
            return None
        if name == "admin:app_list":
            return reverse(name, kwargs={"app_label": "gifts"})
        if name == "admin:autocomplete":
            # The branch choices of the gift form: scoped, and only for who may see branches.
            query = "app_label=gifts&model_name=gift&field_name=branch"
            return f"{reverse(name)}?{query}"
        return reverse(name) + portal_query(name, world)
    args = _object_args(name, world, role, position)
    return None if args is None else reverse(name, args=args)


def _object_urls() -> set[str]:
    """Names whose route has a parameter (an object id, a job id, a number ...)."""
    names = set()
    for name in url_names():
        if name == "admin:app_list":  # takes an app label, not an object: asked once
            continue
        try:
            reverse(name)
        except NoReverseMatch:  # the route needs arguments
            names.add(name)
    return names


OBJECT_URLS = _object_urls()
