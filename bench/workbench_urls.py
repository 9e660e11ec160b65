"""The site's URLs plus the baseline of bench_workbench_offer: a plain view that fetches one
policy by primary key, behind what every view of the platform has (a logged-in staff user,
the row fetched through giftplatform.access)."""

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpResponse
from django.urls import path

from giftplatform.access import get_or_404
from giftplatform.urls import urlpatterns as site
from policies.models import Policy


@staff_member_required
def plain_policy(request, pk: int):
    policy = get_or_404(Policy.objects.all(), request.user, pk=pk)
    return HttpResponse(f"{policy.policy_no} {policy.insured_name} {policy.premium}")


urlpatterns = [path("bench/plain/<int:pk>/", plain_policy), *site]
