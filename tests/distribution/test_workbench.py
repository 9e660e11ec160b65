"""The counter workbench: search, scope, the explained offer, hand-out, idempotency, receipt."""

import uuid

import pytest
from django.urls import reverse
from django.utils.html import escape

from distribution.models import Distribution, DistributionStatus
from distribution.services.handout import distribution_create
from distribution.workbench.pages import option_groups
from gifts.models import Gift
from tests.distribution.conftest import make_rule, stocked_gift, voucher_gift, with_role
from tests.factories import PolicyFactory, UserFactory

pytestmark = pytest.mark.django_db

ID_NUMBER = "11010519491231002X"
PHONE = "13912345678"


@pytest.fixture
def client_futian(client, clerk_futian):
    client.force_login(clerk_futian)
    return client


@pytest.fixture
def our_policy(futian):
    return PolicyFactory(
        branch=futian,
        policy_no="PDAA202644030099000001",
        plate="粤B12345",
        id_number=ID_NUMBER,
        phone=PHONE,
        insured_name="李四",
        seats=5,
    )


@pytest.fixture
def nanshan_policy(nanshan):
    return PolicyFactory(branch=nanshan, policy_no="PDAA202644030599000001", phone="13700000000")


@pytest.fixture
def choice_rule():
    """One rule, one choose-one group of two stocked gifts."""
    wash = stocked_gift(10, name="洗车套装")
    vacuum = stocked_gift(10, name="车载吸尘器")
    rule = make_rule("R1", rewards=[(wash, 1, "A"), (vacuum, 1, "A")], name="新车礼")
    return rule, wash, vacuum


def policy_url(policy):
    return reverse("workbench:policy", args=[policy.pk])


def form_key(response) -> str:
    return str(response.context["form"]["key"].value())


def handout_data(key, picks, **recipient):
    """POST data: ``picks`` maps a rule to {option group label: gift} (or {} for none)."""
    data = {"key": key, **recipient}
    for rule, chosen in picks.items():
        data[f"rule_{rule.pk}"] = "on"
        verdict_groups = sorted({r.option_group for r in rule.rewards.all() if r.option_group})
        for index, label in enumerate(verdict_groups):
            if label in chosen:
                reward = rule.rewards.get(option_group=label, gift=chosen[label])
                data[f"rule_{rule.pk}_group_{index}"] = str(reward.pk)
    return data


# Search --------------------------------------------------------------------------------


def test_search_needs_a_staff_login(client):
    response = client.get(reverse("workbench:search"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_search_page_has_an_autofocused_labelled_box(client_futian):
    response = client_futian.get(reverse("workbench:search"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="q"' in html and "autofocus" in html
    assert '<label for="id_q">' in html
    assert f'action="{reverse("set_language")}"' in html  # the header's language switch


@pytest.mark.parametrize(
    "text",
    [
        "PDAA202644030099000001",
        "pdaa202644030099000001 ",
        "粤B12345",
        "粤B·12345",
        "VIN",
        PHONE,
        ID_NUMBER,
        ID_NUMBER.lower(),
    ],
)
def test_search_by_each_identifier_goes_to_the_one_policy(client_futian, our_policy, text):
    text = our_policy.vin if text == "VIN" else text
    response = client_futian.get(reverse("workbench:search"), {"q": text})
    assert response.status_code == 302
    assert response["Location"] == policy_url(our_policy)


def test_search_lists_several_policies_to_choose_from(client_futian, our_policy, futian):
    other = PolicyFactory(branch=futian, phone=PHONE)
    response = client_futian.get(reverse("workbench:search"), {"q": PHONE})
    html = response.content.decode()
    assert response.status_code == 200
    assert policy_url(our_policy) in html and policy_url(other) in html
    table = html[html.index('id="search-results"') :]
    assert "139****5678" in table and PHONE not in table  # what the clerk typed is echoed only


def test_search_says_clearly_when_nothing_matches(client_futian, our_policy):
    response = client_futian.get(reverse("workbench:search"), {"q": "PDAA0000"})
    assert response.status_code == 200
    assert 'id="no-results"' in response.content.decode()


def test_search_finds_nothing_outside_the_clerks_branch(client_futian, nanshan_policy):
    for text in (nanshan_policy.policy_no, nanshan_policy.phone, nanshan_policy.vin):
        response = client_futian.get(reverse("workbench:search"), {"q": text})
        assert response.status_code == 200
        assert 'id="no-results"' in response.content.decode()
        assert 'id="search-results"' not in response.content.decode()
        assert policy_url(nanshan_policy) not in response.content.decode()


# Scope ---------------------------------------------------------------------------------


def test_policy_and_receipt_outside_scope_are_404(client_futian, nanshan_policy, superuser):
    gift = stocked_gift(5)
    rule = make_rule("RN", rewards=[(gift, 1, "")])
    made = distribution_create(
        actor=superuser, policy=nanshan_policy, rule=rule, idempotency_key="k-nanshan"
    )
    assert client_futian.get(policy_url(nanshan_policy)).status_code == 404
    receipt = reverse("workbench:receipt", args=[made.number])
    assert client_futian.get(receipt).status_code == 404


def test_receipt_with_a_number_outside_scope_is_404(
    client_futian, our_policy, nanshan_policy, superuser
):
    gift = stocked_gift(5)
    rule = make_rule("RS", rewards=[(gift, 1, "")])
    ours = distribution_create(actor=superuser, policy=our_policy, rule=rule, idempotency_key="a")
    theirs = distribution_create(
        actor=superuser, policy=nanshan_policy, rule=rule, idempotency_key="b"
    )
    url = reverse("workbench:receipt", args=[ours.number])
    assert client_futian.get(url).status_code == 200
    assert client_futian.get(url, {"n": theirs.number}).status_code == 404
    assert client_futian.get(url, {"n": "D-NOT-THERE"}).status_code == 404


def test_an_unknown_policy_is_404(client_futian):
    assert client_futian.get(reverse("workbench:policy", args=[999999])).status_code == 404


# Policy page and offer -----------------------------------------------------------------


def test_policy_page_masks_id_number_and_mobile(client_futian, our_policy, choice_rule):
    response = client_futian.get(policy_url(our_policy))
    html = response.content.decode()
    assert response.status_code == 200
    assert "110105********002X" in html
    assert "139****5678" in html
    assert ID_NUMBER not in html
    assert PHONE not in html  # the recipient mobile is not prefilled with it either


def test_offer_explains_why_a_rule_does_not_match(client_futian, our_policy):
    gift = stocked_gift(5, name="七座礼")
    make_rule("R7", rewards=[(gift, 1, "")], conditions=[(1, "seats", "gte", 7)], name="七座车礼")
    response = client_futian.get(policy_url(our_policy))
    (card,) = response.context["cards"]
    assert not card.verdict.matched
    assert card.verdict.reasons
    html = response.content.decode()
    assert "rule-unmatched" in html
    for reason in card.verdict.reasons:
        assert escape(reason) in html
    # No hand-out control for a rule that does not match.
    assert f'name="rule_{card.verdict.rule_id}"' not in html


def test_offer_shows_options_quota_warnings_and_approval(client_futian, our_policy):
    from tests.distribution.conftest import make_quota

    cheap = stocked_gift(5, name="雨刷", face_value="50.00")
    dear = stocked_gift(5, name="行车记录仪", face_value="400.00")
    make_rule(
        "RA", rewards=[(cheap, 1, "A"), (dear, 1, "A")], approval_threshold="10.00", name="续保礼"
    )
    make_quota("Q1", "gift_amount", "all", "55.00", warn_percent=80, name="福田池")
    response = client_futian.get(policy_url(our_policy))
    html = response.content.decode()
    (card,) = response.context["cards"]
    assert card.verdict.matched and card.verdict.needs_approval
    assert card.warned
    assert "badge-approval" in html and "badge-warn" in html
    assert "福田池" in html
    # The dear option overdraws the pool: shown, disabled, with why.
    (group,) = option_groups(card.verdict)
    refused = next(line for line in group.options if line.gift_name == "行车记录仪")
    assert not refused.allowed
    assert f'value="{refused.reward_id}" disabled' in html


# Hand-out --------------------------------------------------------------------------------


def test_choose_an_option_and_confirm_hands_out_once(client_futian, our_policy, choice_rule):
    rule, wash, vacuum = choice_rule
    page = client_futian.get(policy_url(our_policy))
    data = handout_data(form_key(page), {rule: {"A": vacuum}}, recipient_name="李四")

    response = client_futian.post(policy_url(our_policy), data)

    (made,) = Distribution.objects.filter(policy=our_policy)
    assert response.status_code == 302
    assert response["Location"] == reverse("workbench:receipt", args=[made.number])
    assert [i.gift_id for i in made.items.all()] == [vacuum.pk]
    assert Gift.objects.get(pk=vacuum.pk).stock == 9
    assert Gift.objects.get(pk=wash.pk).stock == 10
    assert made.idempotency_key == f"{data['key']}:{rule.code}"


def test_the_same_post_twice_hands_out_once(client_futian, our_policy, choice_rule):
    rule, wash, _ = choice_rule
    data = handout_data(str(uuid.uuid4()), {rule: {"A": wash}})

    first = client_futian.post(policy_url(our_policy), data)
    second = client_futian.post(policy_url(our_policy), data)

    assert Distribution.objects.filter(policy=our_policy).count() == 1
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Gift.objects.get(pk=wash.pk).stock == 9


def test_missing_choice_is_asked_for_and_nothing_is_handed_out(
    client_futian, our_policy, choice_rule
):
    rule, _, _ = choice_rule
    response = client_futian.post(
        policy_url(our_policy), handout_data(str(uuid.uuid4()), {rule: {}})
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Distribution.objects.exists()


def test_nothing_ticked_is_an_error(client_futian, our_policy, choice_rule):
    response = client_futian.post(policy_url(our_policy), {"key": str(uuid.uuid4())})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not Distribution.objects.exists()


def test_refusal_shows_reasons_and_hands_out_nothing_across_rules(
    client_futian, our_policy, futian, superuser
):
    plenty = stocked_gift(5, name="洗车券")
    scarce = stocked_gift(1, name="限量车模")
    first = make_rule("RP", rewards=[(plenty, 1, "")], priority=200, name="常规礼")
    second = make_rule("RS", rewards=[(scarce, 1, "")], priority=100, name="限量礼")
    page = client_futian.get(policy_url(our_policy))
    assert all(card.verdict.matched for card in page.context["cards"])
    # Between rendering and confirming, the last scarce gift goes to another customer.
    distribution_create(
        actor=superuser, policy=PolicyFactory(branch=futian), rule=second, idempotency_key="x"
    )

    response = client_futian.post(
        policy_url(our_policy), handout_data(form_key(page), {first: {}, second: {}})
    )

    assert response.status_code == 200
    assert response.context["refusal"]
    html = response.content.decode()
    assert 'id="refusal"' in html and "限量礼" in html
    for reason in response.context["refusal"]:
        assert escape(reason) in html
    assert not Distribution.objects.filter(policy=our_policy).exists()
    assert Gift.objects.get(pk=plenty.pk).stock == 5  # the first rule was rolled back too
    assert "rule-" in html and response.context["cards"]  # the offer is shown again


def test_two_rules_in_one_confirm_show_on_one_receipt(client_futian, our_policy):
    tea = stocked_gift(5, name="茶具")
    wash = voucher_gift(3, name="洗车服务")
    one = make_rule("R1", rewards=[(tea, 1, "")], priority=200, name="茶具礼")
    two = make_rule("R2", rewards=[(wash, 2, "")], priority=100, name="洗车礼")
    page = client_futian.get(policy_url(our_policy))

    response = client_futian.post(
        policy_url(our_policy),
        handout_data(form_key(page), {one: {}, two: {}}, delivery_address="深圳市福田区福华路1号"),
        follow=True,
    )

    made = list(Distribution.objects.filter(policy=our_policy).order_by("rule__priority"))
    assert len(made) == 2
    html = response.content.decode()
    for distribution in made:
        assert distribution.number in html
    codes = [i.voucher.code for i in made[0].items.all()]
    assert len(codes) == 2 and all(code in html for code in codes)
    assert "茶具" in html and our_policy.policy_no in html and "李四" in html
    assert made[1].delivery_address == "深圳市福田区福华路1号"
    assert 'id="print"' in html


def test_receipt_notes_pending_approval_and_tax(client_futian, our_policy, clerk_futian):
    gift = stocked_gift(5, name="抽奖奖品", face_value="500.00")
    rule = make_rule(
        "RL", rewards=[(gift, 1, "")], approval_threshold="100.00", tax_treatment="casual"
    )
    made = distribution_create(
        actor=clerk_futian, policy=our_policy, rule=rule, idempotency_key="t"
    )
    assert made.status == DistributionStatus.PENDING_APPROVAL

    response = client_futian.get(reverse("workbench:receipt", args=[made.number]))

    html = response.content.decode()
    assert "status-pending_approval" in html
    assert "¥100.00" in html  # 20% of ¥500 withheld
    assert str(clerk_futian) in html


def test_policy_page_lists_past_distributions(client_futian, our_policy, clerk_futian):
    gift = stocked_gift(5, name="香薰")
    rule = make_rule("RH", rewards=[(gift, 2, "")], max_per_policy=3, name="香薰礼")
    made = distribution_create(
        actor=clerk_futian, policy=our_policy, rule=rule, idempotency_key="h"
    )

    html = client_futian.get(policy_url(our_policy)).content.decode()

    assert made.number in html and "香薰 × 2" in html and "香薰礼" in html


def test_offer_counts_hand_outs_the_clerk_cannot_see(client, clerk_futian, nanshan, our_policy):
    """A policy moved to 南山 after a hand-out in 福田: 南山's clerk does not see the 福田
    distribution, but the offer still counts it against the rule's maximum."""
    gift = stocked_gift(5, name="香薰")
    rule = make_rule("ONCE", rewards=[(gift, 1, "")], max_per_policy=1, name="一次礼")
    made = distribution_create(
        actor=clerk_futian, policy=our_policy, rule=rule, idempotency_key="moved"
    )
    our_policy.branch = nanshan
    our_policy.save(update_fields=["branch"])
    clerk_nanshan = with_role(UserFactory(username="clerk_ns", branch=nanshan), "counter_staff")
    client.force_login(clerk_nanshan)

    response = client.get(policy_url(our_policy))

    assert response.status_code == 200
    assert response.context["past"] == ()
    assert made.number not in response.content.decode()
    (card,) = response.context["cards"]
    assert not card.verdict.matched
    assert card.verdict.reasons
