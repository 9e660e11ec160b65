"""The site's URLs plus the baselines of bench_workbench_offer, both behind what every view
of the platform has (a logged-in staff user, the row fetched through giftplatform.access):

- /bench/page/<pk>/: a plain Django view that fetches one policy by primary key and shows
  it: its fields rendered by a template, as any Django detail page does;
- /bench/plain/<pk>/: the same fetch answered with three fields in a bare HttpResponse,
  no template at all (the floor under any page).
"""

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpResponse
from django.template import engines
from django.urls import path

from giftplatform.access import get_or_404
from giftplatform.urls import urlpatterns as site
from policies.models import Policy

POLICY_PAGE = engines["django"].from_string(
    """<!DOCTYPE html>
<html lang="{{ LANGUAGE_CODE }}"><head><meta charset="utf-8">
<title>{{ policy.policy_no }}</title></head>
<body><h1>{{ policy.policy_no }} {{ policy.get_status_display }}</h1>
<dl>
<dt>insured</dt><dd>{{ policy.insured_name }}</dd>
<dt>product</dt><dd>{{ policy.get_product_display }}</dd>
<dt>premium</dt><dd>{{ policy.premium }}</dd>
<dt>plate</dt><dd>{{ policy.plate }}</dd>
<dt>VIN</dt><dd>{{ policy.vin }}</dd>
<dt>vehicle</dt><dd>{{ policy.vehicle_type }} {{ policy.usage }} {{ policy.seats }}</dd>
<dt>first registration</dt><dd>{{ policy.first_registration_date|date:"Y-m-d" }}</dd>
<dt>issued</dt><dd>{{ policy.issue_date|date:"Y-m-d" }}</dd>
<dt>period</dt><dd>{{ policy.start_date|date:"Y-m-d" }} – {{ policy.end_date|date:"Y-m-d" }}</dd>
<dt>channel</dt><dd>{{ policy.channel }} {{ policy.agent_code }}</dd>
<dt>branch</dt><dd>{{ policy.branch_id }}</dd>
</dl></body></html>"""
)


@staff_member_required
def policy_page(request, pk: int):
    policy = get_or_404(Policy.objects.all(), request.user, pk=pk)
    return HttpResponse(POLICY_PAGE.render({"policy": policy}, request))


@staff_member_required
def plain_policy(request, pk: int):
    policy = get_or_404(Policy.objects.all(), request.user, pk=pk)
    return HttpResponse(f"{policy.policy_no} {policy.insured_name} {policy.premium}")


urlpatterns = [
    path("bench/page/<int:pk>/", policy_page),
    path("bench/plain/<int:pk>/", plain_policy),
    *site,
]
