"""Create the role groups with their permissions (giftplatform/roles.py) in every database.

Permissions are normally created by post_migrate, after all migrations; this migration
creates them first for every app so the role patterns resolve. It depends on the latest
migration of every app whose permissions the roles name; permissions of models added
later reach the groups through ``manage.py sync_roles``.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def create_roles(apps, schema_editor):
    from giftplatform.roles import apply_roles

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    apply_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


def drop_roles(apps, schema_editor):
    from giftplatform.roles import ROLES

    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__in=[role.code for role in ROLES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("giftplatform", "0002_user_provider"),
        ("suppliers", "0001_initial"),
        ("gifts", "0004_voucher_claim_index"),
        ("policies", "0002_pii_reveal"),
        ("distribution", "0001_initial"),
        ("guardian", "0003_remove_groupobjectpermission_guardian_gr_content_ae6aec_idx_and_more"),
    ]

    operations = [migrations.RunPython(create_roles, drop_roles)]
