from django.db import models
from django.utils.translation import gettext_lazy as _


class Statistics(models.Model):
    """No table: the holder of the permission to read the statistics pages and exports.

    Named ``view_statistics`` so that roles granting ``stats.view_*`` (auditors, branch
    admins; platform admins hold everything) pick it up through ``manage.py sync_roles``.
    """

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_statistics", _("Can view statistics and export them"))]
        verbose_name = _("statistics")
        verbose_name_plural = _("statistics")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)
