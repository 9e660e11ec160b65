from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class GiftPlatformConfig(AppConfig):
    name = "giftplatform"
    verbose_name = _("Organisation and users")

    def ready(self):
        post_migrate.connect(sync_roles_after_migrate, dispatch_uid="giftplatform.sync_roles")


def sync_roles_after_migrate(sender, app_config=None, using="default", **kwargs):
    """After the last app has migrated, bring every role up to date with the permissions
    that exist (a new model's permissions, history tables): roles never lag the schema."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    from giftplatform.roles import apply_roles

    configs = list(apps.get_app_configs())
    if app_config is not configs[-1]:
        return
    for config in configs:  # the last app's own permissions may not exist yet
        create_permissions(config, verbosity=0, using=using)
    apply_roles()
