"""The site's URLs plus the baseline of bench_workbench_offer: a plain view that fetches one
policy by primary key."""

from django.http import HttpResponse
from django.urls import path

from giftplatform.urls import urlpatterns as site
from policies.models import Policy


def plain_policy(request, pk: int):
    policy = Policy.objects.get(pk=pk)
    return HttpResponse(f"{policy.policy_no} {policy.insured_name} {policy.premium}")


urlpatterns = [path("bench/plain/<int:pk>/", plain_policy), *site]
