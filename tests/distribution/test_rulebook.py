"""The live rules as the engine reads them: shapes kept between changes, gift facts fresh."""

from decimal import Decimal

from django.utils import timezone

from distribution import rulebook
from distribution.services import change_approve, rule_new_version, rule_pause, rule_resume
from distribution.services.changes import rule_request_activation
from tests.distribution.conftest import make_rule, stocked_gift, voucher_gift
from tests.factories import UserFactory


def codes(specs):
    return sorted(s.code for s in specs)


def test_a_warm_cache_reads_one_query(db, django_assert_num_queries):
    for n in range(5):
        make_rule(f"R{n}", [(stocked_gift(5), 1, ""), (voucher_gift(3), 1, "A")])
    now = timezone.now()
    rulebook.live_rule_specs(now)
    with django_assert_num_queries(1):  # the stamp and the gifts' facts together
        specs = rulebook.live_rule_specs(now)
    assert len(specs) == 5 and all(len(s.rewards) == 2 for s in specs)


def test_no_active_rule_still_reads_the_stamp(db, django_assert_num_queries):
    now = timezone.now()
    assert rulebook.live_rule_specs(now) == []
    with django_assert_num_queries(1):
        assert rulebook.live_rule_specs(now) == []
    make_rule("LATE", [(stocked_gift(5), 1, "")])
    (spec,) = rulebook.live_rule_specs(now)
    assert spec.code == "LATE" and spec.rewards[0].available == 5


def test_status_changes_and_new_versions_are_seen_at_once(futian, approver_shenzhen):
    maker = UserFactory(username="maker", branch=futian)
    gift = stocked_gift(5)
    rule = make_rule("R1", [(gift, 1, "")], conditions=[(1, "premium", "gte", "1000.00")])
    make_rule("R2", [(gift, 1, "")])
    now = timezone.now()
    assert codes(rulebook.live_rule_specs(now)) == ["R1", "R2"]

    rule = rule_pause(actor=maker, rule=rule)
    assert codes(rulebook.live_rule_specs(now)) == ["R2"]
    rule = rule_resume(actor=maker, rule=rule)
    assert codes(rulebook.live_rule_specs(now)) == ["R1", "R2"]

    draft = rule_new_version(actor=maker, rule=rule)
    draft.conditions.update(value="2000.00")
    change_approve(actor=approver_shenzhen, change=rule_request_activation(actor=maker, rule=draft))
    r1 = next(s for s in rulebook.live_rule_specs(now) if s.code == "R1")
    assert r1.rule_id == draft.pk and r1.conditions[0].value == "2000.00"


def test_gift_facts_are_read_every_time(db):
    gift = stocked_gift(5)
    make_rule("R1", [(gift, 1, "")])
    now = timezone.now()
    assert rulebook.live_rule_specs(now)[0].rewards[0].face_value == Decimal("100.00")
    type(gift).objects.filter(pk=gift.pk).update(face_value=Decimal("120.00"), is_active=False)
    reward = rulebook.live_rule_specs(now)[0].rewards[0]
    assert reward.face_value == Decimal("120.00") and not reward.usable


def test_voucher_codes_are_counted_up_to_what_one_policy_could_take(db):
    """A look-up counts a gift's codes only as far as all live rules together could hand
    one policy (here 2 + 3), never past the cap; a batch run (no cap) counts them all."""
    gift = voucher_gift(codes=40)
    make_rule("R1", [(gift, 2, "")])
    make_rule("R2", [(gift, 3, "")])
    now = timezone.now()
    rulebook.live_rule_specs(now)  # cold cache: the shapes are read first
    assert {r.available for s in rulebook.live_rule_specs(now) for r in s.rewards} == {5}
    assert {r.available for s in rulebook.live_rule_specs(now, 4) for r in s.rewards} == {4}
    batch = rulebook.live_rule_specs(now, voucher_cap=None)
    assert {r.available for s in batch for r in s.rewards} == {40}


def test_a_shortfall_is_counted_exactly(db):
    gift = voucher_gift(codes=3)
    make_rule("R1", [(gift, 2, "")])
    make_rule("R2", [(gift, 3, "")])
    now = timezone.now()
    rulebook.live_rule_specs(now)
    assert {r.available for s in rulebook.live_rule_specs(now) for r in s.rewards} == {3}


def test_a_rule_without_targets_reaches_its_owners_subtree(futian, nanshan, shenzhen):
    gift = stocked_gift(5)
    make_rule("FT", [(gift, 1, "")], branch=futian)
    make_rule("ALL", [(gift, 1, "")])
    targeted = make_rule("TGT", [(gift, 1, "")], branch=shenzhen)
    targeted.target_branches.set([nanshan])
    paths = {s.code: s.branch_paths for s in rulebook.live_rule_specs(timezone.now())}
    assert paths == {"FT": (futian.path,), "ALL": (), "TGT": (nanshan.path,)}
