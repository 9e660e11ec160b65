"""django-axes in the admin: unlocking is deleting a lock (an access attempt); the sign-in
logs are audit rows, kept like every other (nobody deletes them, superusers included)."""

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin


class KeptLogMixin:
    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(AccessAttempt, AccessAttemptAdmin)
admin.site.register(AccessLog, type("AccessLogAdmin", (KeptLogMixin, AccessLogAdmin), {}))
admin.site.register(
    AccessFailureLog, type("AccessFailureLogAdmin", (KeptLogMixin, AccessFailureLogAdmin), {})
)
