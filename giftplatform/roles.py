"""Roles: Django groups with a defined permission set, declared here and nowhere else.

A role says *what* a user may do; ``giftplatform.access`` says *where* (the branch
subtree of their home branch, or their provider). A user may hold several roles; their
permissions add up.

==========================  ==============================================================
role (group name)           what it may do (always within the holder's own scope)
==========================  ==============================================================
platform_admin 平台管理员     every permission: users, roles, branches, reference data,
                            gifts, rules, quotas, approvals, personal data, sharing single
                            objects (grant_object_permission). Not superuser:
                            rows stay scoped to the home branch's subtree (the root branch
                            = everything) and superuser rights are only granted by a
                            superuser.
branch_admin 机构管理员       manage the users of the home-branch subtree (create, edit,
                            deactivate, reset passwords, assign branch and roles no wider
                            than their own); view everything in the subtree but the audit
                            trail; reveal personal data (view_pii). No business changes.
gift_manager 礼品管理员       gifts, stock, voucher codes, import jobs, suppliers and
                            policies: import, add, edit, view; distribution rules, their
                            conditions and rewards, quotas, change requests and batch runs:
                            add, edit, view; distributions and statistics: view.
                            Nothing is deleted.
counter_staff 机构经办        view policies, gifts and rules; hand gifts out (add and view
                            distributions); reveal personal data (view_pii).
approver 审核员               approve distributions, change requests (rule activations,
                            quota raises) and batch runs - never their own; view
                            distributions, rules, quotas, changes, policies and gifts.
auditor 统计/审计             view everything of the platform's apps, no changes, no
                            personal-data reveal.
supplier_user 供货商用户       no admin permission; the portal (later issue) scopes them to
                            their provider (``User.provider``).
service_provider_user 服务商用户  same, for service providers.
==========================  ==============================================================

Who is in whose reach (users, roles one may hand out) is decided in
``giftplatform.access`` with everything else about scope.

Permission sets are ``"app_label.codename"`` patterns; ``*`` is a wildcard resolved
against the Permission rows that exist when the roles are applied, so a model added
later is picked up by ``manage.py sync_roles``. ``apply_roles`` serves both the data
migration (historical models) and that command.
"""

from dataclasses import dataclass
from fnmatch import fnmatchcase

from django.utils.translation import gettext_lazy as _

# The platform's own apps: "view everything" means their models (and the role list).
DOMAIN_APPS = ("giftplatform", "suppliers", "gifts", "policies", "distribution", "stats")
VIEW_ALL = (*(f"{app}.view_*" for app in DOMAIN_APPS), "auth.view_group")
# Custom permissions that look like view/add/change but are decisions of their own.
PII = "policies.view_pii"


@dataclass(frozen=True)
class Role:
    code: str
    label: str  # lazy: shown in the admin and by seed_demo in the active language
    permissions: tuple[str, ...]
    exclude: tuple[str, ...] = ()


ROLES: tuple[Role, ...] = (
    Role("platform_admin", _("platform admin"), ("*.*",)),
    Role(
        "branch_admin",
        _("branch admin"),
        (*VIEW_ALL, "giftplatform.add_user", "giftplatform.change_user", PII),
        # The audit page is the platform admins' and auditors' (they watch the branch admins).
        exclude=("giftplatform.view_audit_trail",),
    ),
    Role(
        "gift_manager",
        _("gift manager"),
        (
            *(f"{app}.{verb}_*" for app in ("gifts", "suppliers") for verb in ("add", "change")),
            "gifts.view_*",
            "suppliers.view_*",
            "policies.add_policy",
            "policies.change_policy",
            "policies.view_policy",
            *(
                f"distribution.{verb}_{model}"
                for model in (
                    "rule",
                    "rulecondition",
                    "rulereward",
                    "quota",
                    "changerequest",
                    "batchrun",
                )
                for verb in ("add", "change", "view")
            ),
            "distribution.view_*",
            "giftplatform.view_branch",
            "stats.view_statistics",
        ),
    ),
    Role(
        "counter_staff",
        _("counter staff"),
        (
            "policies.view_policy",
            PII,
            "gifts.view_gift",
            "gifts.view_giftcategory",
            "distribution.view_rule",
            "distribution.view_rulecondition",
            "distribution.view_rulereward",
            "distribution.add_distribution",
            "distribution.view_distribution",
            "distribution.view_distributionitem",
        ),
    ),
    Role(
        "approver",
        _("approver"),
        (
            "distribution.approve_*",
            "distribution.view_*",
            "policies.view_policy",
            "gifts.view_gift",
            "gifts.view_giftcategory",
        ),
    ),
    Role("auditor", _("auditor"), VIEW_ALL, exclude=(PII,)),
    Role("supplier_user", _("supplier user"), ()),
    Role("service_provider_user", _("service provider user"), ()),
)
BY_CODE = {role.code: role for role in ROLES}


def role_label(code: str) -> str:
    role = BY_CODE.get(code)
    return str(role.label) if role else code


def _matches(name: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatchcase(name, pattern) for pattern in patterns)


def resolve(role: Role, available: dict[str, object]) -> list:
    """The permissions of ``available`` (``"app.codename"`` -> row) that ``role`` grants."""
    return [
        permission
        for name, permission in sorted(available.items())
        if _matches(name, role.permissions) and not _matches(name, role.exclude)
    ]


def apply_roles(group_model=None, permission_model=None) -> dict[str, int]:
    """Create or update one group per role with exactly its permissions; idempotent.

    Pass the historical ``Group`` and ``Permission`` models from a migration; the
    defaults are the current ones. Returns role code -> number of permissions.
    """
    if group_model is None or permission_model is None:
        from django.contrib.auth.models import Group, Permission

        group_model, permission_model = Group, Permission
    available = {
        f"{app_label}.{codename}": pk
        for pk, app_label, codename in permission_model.objects.values_list(
            "pk", "content_type__app_label", "codename"
        )
    }
    counts = {}
    for role in ROLES:
        group, _created = group_model.objects.get_or_create(name=role.code)
        wanted = set(resolve(role, available))
        current = set(group.permissions.values_list("pk", flat=True))
        if wanted != current:
            group.permissions.set(wanted)
        counts[role.code] = len(wanted)
    return counts


def permission_names(group) -> set[str]:
    return {
        f"{app_label}.{codename}"
        for app_label, codename in group.permissions.values_list(
            "content_type__app_label", "codename"
        )
    }
