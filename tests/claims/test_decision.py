"""claims.decision, pure: what the policy decides after the collection demand, which ways the
law leaves open, and what each way is expected to bring."""

from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from claims import decision as d
from claims.decision import DecisionPolicy, Track

AUTO = DecisionPolicy(automatic=True, kronofogden_min_capital_ore=100_000)


@pytest.mark.parametrize("outcome, capital, expected", [
    ("solvent", 100_000, "kronofogden"),  # at the threshold
    ("solvent", 99_999, "surveillance"),  # below it
    ("insolvent", 10_000_000, "surveillance"),
    ("payment_remarks", 10_000_000, "surveillance"),
    ("debt_restructuring", 10_000_000, None),  # frozen: the creditor decides
    ("bankruptcy", 10_000_000, None),
    ("deceased", 10_000_000, None),  # an estate is a person's to judge
    ("unknown", 10_000_000, None),
    (None, 10_000_000, None),  # no check: never decided blind
])
def test_the_policy_decides_only_what_it_can(outcome, capital, expected):
    assert d.policy_choice(outcome=outcome, capital_ore=capital, policy=AUTO) == expected


@given(outcome=st.sampled_from([*d.OUTCOMES, None]), capital=st.integers(0, 10**10))
def test_a_policy_that_does_not_decide_never_does(outcome, capital):
    policy = DecisionPolicy(automatic=False, kronofogden_min_capital_ore=0)
    assert d.policy_choice(outcome=outcome, capital_ore=capital, policy=policy) is None


@given(outcome=st.sampled_from([*d.OUTCOMES, None]), capital=st.integers(0, 10**10),
       threshold=st.integers(0, 10**10))
def test_the_policy_never_chooses_a_way_the_law_closes(outcome, capital, threshold):
    policy = DecisionPolicy(automatic=True, kronofogden_min_capital_ore=threshold)
    choice = d.policy_choice(outcome=outcome, capital_ore=capital, policy=policy)
    assert choice is None or choice in d.allowed_choices(outcome)
    assert choice != d.WITHDRAW  # withdrawing is the creditor's alone


@pytest.mark.parametrize("outcome", d.FROZEN)
def test_no_kronofogden_while_collection_is_frozen(outcome):
    assert d.allowed_choices(outcome) == (d.SURVEILLANCE, d.WITHDRAW)


@pytest.mark.parametrize("outcome", [o for o in d.OUTCOMES if o not in d.FROZEN] + [None])
def test_every_way_is_open_otherwise(outcome):
    assert d.allowed_choices(outcome) == d.CHOICES


def test_paid_share_counts_only_claims_whose_story_is_over():
    assert Track(decided=5, paid=0, closed=0).paid_share is None
    assert Track(decided=5, paid=1, closed=4).paid_share == Fraction(1, 4)


def test_expectations_carry_the_fee_and_the_track_of_their_outcome():
    tracks = {("kronofogden", "solvent"): Track(10, 6, 8),
              ("surveillance", "solvent"): Track(3, 0, 1),
              ("kronofogden", "unknown"): Track(2, 2, 2)}
    solvent = d.expectations(outcome="solvent", kronofogden_fee_ore=30_000, tracks=tracks)
    assert [(e.choice, e.allowed, e.outlay_ore) for e in solvent] == [
        ("kronofogden", True, 30_000), ("surveillance", True, 0), ("withdraw", True, 0)]
    assert [e.track for e in solvent] == [Track(10, 6, 8), Track(3, 0, 1), Track(0, 0, 0)]
    unchecked = d.expectations(outcome=None, kronofogden_fee_ore=30_000, tracks=tracks)
    assert unchecked[0].track == Track(2, 2, 2)  # no check reads as "unknown"
    frozen = d.expectations(outcome="bankruptcy", kronofogden_fee_ore=30_000, tracks=tracks)
    assert [e.allowed for e in frozen] == [False, True, True]
