"""Sign-in logs are audit rows: listed for admins, deleted by nobody."""

from axes.models import AccessLog
from django.urls import reverse
from django.utils import timezone


def test_sign_in_logs_are_listed_and_never_deleted(client, superuser):
    log = AccessLog.objects.create(
        username="someone", ip_address="10.0.0.9", user_agent="x", attempt_time=timezone.now()
    )
    client.force_login(superuser)

    listing = client.get(reverse("admin:axes_accesslog_changelist"))
    assert listing.status_code == 200 and "10.0.0.9" in listing.content.decode()
    delete = reverse("admin:axes_accesslog_delete", args=[log.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert AccessLog.objects.filter(pk=log.pk).exists()
