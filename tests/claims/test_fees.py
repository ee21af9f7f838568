"""The statutory fees of a step (lag 1981:739): which fee, how much, never twice, never over cap."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from claims.engine import Policy
from claims.fees import LEGAL_BASIS, Fee, FeeCaps, FeeKind, step_fees

R, C, L = FeeKind.REMINDER, FeeKind.COLLECTION, FeeKind.LATE_PAYMENT_COMPENSATION
CAPS = FeeCaps(reminder_ore=6000, collection_ore=18000, late_payment_compensation_ore=45000)


def fees(step, debtor="person", agreed=True, policy=Policy(), charged=frozenset(), caps=CAPS):
    return step_fees(step=step, debtor_kind=debtor, reminder_fee_agreed=agreed, caps=caps,
                     policy=policy, already_charged=frozenset(charged))


def amounts(result):
    return {f.kind: f.amount_ore for f in result}


@pytest.mark.parametrize("step, debtor, agreed, charge, expected", [
    # person who agreed to the reminder fee: 60 kr, then 180 kr
    ("reminder", "person", True, True, {R: 6000}),
    ("demand", "person", True, True, {C: 18000}),
    # person without an agreement (2 §): nothing, then 180 kr
    ("reminder", "person", False, True, {}),
    ("demand", "person", False, True, {C: 18000}),
    # the creditor's policy does not charge the reminder fee
    ("reminder", "person", True, False, {}),
    ("demand", "person", True, False, {C: 18000}),
    # company: nothing at the reminder (even if agreed), förseningsersättning 450 kr instead
    ("reminder", "company", True, True, {}),
    ("reminder", "company", False, True, {}),
    ("demand", "company", True, True, {L: 45000}),
    ("demand", "company", False, False, {L: 45000}),
    # a decision is no letter and carries no fee
    ("decision", "person", True, True, {}),
    ("decision", "company", True, True, {}),
])
def test_fee_per_step_and_debtor(step, debtor, agreed, charge, expected):
    result = fees(step, debtor, agreed, Policy(charge_reminder_fee=charge))
    assert amounts(result) == expected
    assert all(f.legal_basis == LEGAL_BASIS[f.kind] for f in result)


def test_legal_basis_is_swedish_and_names_the_law():
    assert "4 a §" in LEGAL_BASIS[L]
    for kind in FeeKind:
        assert "lag (1981:739) om ersättning för inkassokostnader m.m." in LEGAL_BASIS[kind]


def test_fee_kinds_match_the_ledger_vocabulary():
    assert [k.value for k in FeeKind] == [
        "reminder_fee", "collection_fee", "late_payment_compensation"]
    assert FeeKind.REMINDER == "reminder_fee"  # a plain string from the ledger compares equal


@pytest.mark.parametrize("step, debtor, charged", [
    ("reminder", "person", {R}),  # one påminnelseavgift per claim
    ("demand", "person", {C}),  # one inkassoavgift per claim
    ("demand", "company", {L}),  # one förseningsersättning per claim
    ("demand", "company", {R}),  # 450 never on top of 60 ...
    ("demand", "company", {C}),  # ... nor of 180
    ("demand", "company", {R, C}),
    ("demand", "person", {L}),  # and the 60/180 never on top of the 450
    ("reminder", "person", {L}),
    ("reminder", "person", {"reminder_fee"}),  # strings straight from the ledger
])
def test_never_twice_never_both(step, debtor, charged):
    assert fees(step, debtor, charged=charged) == ()


def test_other_fees_already_charged_do_not_block():
    assert amounts(fees("demand", "person", charged={R, "payment_plan_fee"})) == {C: 18000}
    assert amounts(fees("demand", "company", charged={"payment_plan_fee"})) == {L: 45000}


@pytest.mark.parametrize("policy, step, debtor, expected", [
    (Policy(reminder_fee_ore=9900), "reminder", "person", 6000),  # asks more: gets the cap
    (Policy(collection_fee_ore=25000), "demand", "person", 18000),
    (Policy(late_payment_compensation_ore=50000), "demand", "company", 45000),
    (Policy(reminder_fee_ore=5000), "reminder", "person", 5000),  # asks less: gets that
    (Policy(collection_fee_ore=15000), "demand", "person", 15000),
    (Policy(reminder_fee_ore=6000), "reminder", "person", 6000),  # exactly the cap
])
def test_policy_amount_is_capped(policy, step, debtor, expected):
    assert [f.amount_ore for f in fees(step, debtor, policy=policy)] == [expected]


def test_a_zero_fee_is_no_fee():
    assert fees("reminder", policy=Policy(reminder_fee_ore=0)) == ()
    zero = FeeCaps(reminder_ore=0, collection_ore=0, late_payment_compensation_ore=0)
    assert fees("demand", caps=zero) == ()
    assert fees("demand", "company", caps=zero) == ()


def test_caps_follow_the_dated_table_not_constants():
    raised = FeeCaps(reminder_ore=7500, collection_ore=20000, late_payment_compensation_ore=50000)
    assert amounts(fees("reminder", caps=raised)) == {R: 7500}
    assert amounts(fees("demand", caps=raised)) == {C: 20000}
    assert amounts(fees("demand", "company", caps=raised)) == {L: 50000}
    # a policy amount set under the old cap stays what the creditor asked
    assert amounts(fees("reminder", caps=raised, policy=Policy(reminder_fee_ore=6000))) == {
        R: 6000}


@pytest.mark.parametrize("kwargs", [
    {"step": "letter"}, {"step": "Reminder"}, {"debtor": "consumer"}, {"debtor": ""}])
def test_unknown_step_or_debtor_is_refused(kwargs):
    with pytest.raises(ValueError):
        fees(**{"step": "reminder", **kwargs})


@pytest.mark.parametrize("values", [(-1, 18000, 45000), (6000, -1, 45000), (6000, 18000, 1.5),
                                    (True, 18000, 45000)])
def test_caps_are_whole_non_negative_ore(values):
    with pytest.raises(ValueError):
        FeeCaps(*values)


def test_fee_is_frozen():
    fee = Fee(kind=R, amount_ore=6000, legal_basis=LEGAL_BASIS[R])
    with pytest.raises(AttributeError):
        fee.amount_ore = 1


amount = st.integers(min_value=0, max_value=100_000)


@given(step=st.sampled_from(["reminder", "demand", "decision"]),
       debtor=st.sampled_from(["person", "company"]), agreed=st.booleans(),
       charge=st.booleans(), charged=st.frozensets(st.sampled_from(list(FeeKind))),
       caps=st.builds(FeeCaps, amount, amount, amount),
       asked=st.tuples(*[st.none() | amount] * 3))
def test_fees_never_exceed_caps_never_repeat_never_mix(step, debtor, agreed, charge, charged,
                                                       caps, asked):
    policy = Policy(charge_reminder_fee=charge, reminder_fee_ore=asked[0],
                    collection_fee_ore=asked[1], late_payment_compensation_ore=asked[2])
    result = fees(step, debtor, agreed, policy, charged, caps)
    assert len(result) <= 1
    for fee in result:
        assert 0 < fee.amount_ore <= caps.cap(fee.kind)
        assert fee.kind not in charged
        after = charged | {fee.kind}
        assert not ({R, C} & after and L in after), "450 kr on top of 60/180 kr"
        if debtor == "company":
            assert fee.kind is L and step == "demand"
        if fee.kind is R:
            assert debtor == "person" and agreed and charge and step == "reminder"
