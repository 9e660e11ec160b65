"""The page a locked-out sign-in gets (django-axes' AXES_LOCKOUT_CALLABLE)."""

import math

from axes.helpers import get_cool_off, get_failure_limit
from django.conf import settings
from django.contrib import admin
from django.shortcuts import render
from django.urls import reverse

PORTAL_LOCKOUT_TEMPLATE = "portal/lockout.html"


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_TEMPLATE in the admin frame, or in the portal's for a portal
    sign-in, with the wait in whole minutes.

    Every refused attempt during a lock-out starts the cool-off again (axes'
    AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT), so the full cool-off is the wait.
    """
    cool_off = get_cool_off(request)
    context = {
        "failure_limit": get_failure_limit(request, credentials),
        "minutes": math.ceil(cool_off.total_seconds() / 60) if cool_off else None,
    }
    if request.path == reverse("portal:login"):
        template = PORTAL_LOCKOUT_TEMPLATE
    else:
        template = settings.AXES_LOCKOUT_TEMPLATE
        context.update(admin.site.each_context(request))
    return render(request, template, context, status=settings.AXES_HTTP_RESPONSE_CODE)
