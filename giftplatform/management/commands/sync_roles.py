"""``manage.py sync_roles``: make the role groups match giftplatform/roles.py again.

Idempotent: run it after a role definition changes or after new models (and with them
new permissions) arrive; a second run changes nothing.
"""

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.translation import gettext as _

from giftplatform.roles import BY_CODE, apply_roles


class Command(BaseCommand):
    help = _("Create or update the role groups and their permissions from giftplatform/roles.py.")

    @transaction.atomic
    def handle(self, *args, **options):
        for app_config in apps.get_app_configs():
            create_permissions(app_config, verbosity=0)
        for code, count in apply_roles().items():
            self.stdout.write(
                _("%(role)s (%(label)s): %(count)d permissions")
                % {"role": code, "label": BY_CODE[code].label, "count": count}
            )
