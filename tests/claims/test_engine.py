"""The collection engine: on which bank day each step is taken, with what deadline and fees.

Dates are real 2026/2027 dates around weekends and Swedish holidays; the expected days are
worked out by hand here, not with the calendar, so these vectors check the calendar too.
"""

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from claims.engine import (
    MIN_DEMAND_DEADLINE_DAYS, STATUSES, Policy, Snapshot, Step, apply_step, decide,
    next_action_on, planned_steps,
)
from claims.fees import LEGAL_BASIS, Fee, FeeCaps, FeeKind
from ekrav.calendar import is_bank_day, next_bank_day

D = date.fromisoformat
R, C, L = FeeKind.REMINDER, FeeKind.COLLECTION, FeeKind.LATE_PAYMENT_COMPENSATION
CAPS = FeeCaps(reminder_ore=6000, collection_ore=18000, late_payment_compensation_ore=45000)
POLICY = Policy()
CLOSED_OR_STOPPED = sorted(STATUSES - {"registered", "reminder_sent", "demand_sent"})


def fee(kind, amount):
    return Fee(kind=kind, amount_ore=amount, legal_basis=LEGAL_BASIS[kind])


def registered(on, debtor="person", agreed=True, outstanding=123450, **kw):
    return Snapshot(status="registered", registered_on=D(on), debtor_kind=debtor,
                    reminder_fee_agreed=agreed, outstanding_ore=outstanding, **kw)


def reminded(deadline, sent="2026-03-03", **kw):
    return replace(registered("2026-03-02"), status="reminder_sent", reminder_sent_on=D(sent),
                   reminder_deadline=D(deadline), **kw)


def demanded(deadline, sent="2026-03-26", **kw):
    return replace(reminded("2026-03-13"), status="demand_sent", demand_sent_on=D(sent),
                   demand_deadline=D(deadline), **kw)


def first_step_on_or_after(snapshot, start, policy=POLICY, days=400):
    for n in range(days):
        step = decide(snapshot, start + timedelta(days=n), policy, CAPS)
        if step is not None:
            return step
    return None


# -- the reminder (påminnelse): the first bank day after registration ----------------------------

@pytest.mark.parametrize("registered_on, reminder_on", [
    ("2026-03-02", "2026-03-03"),  # Monday -> Tuesday
    ("2026-03-06", "2026-03-09"),  # Friday -> Monday
    ("2026-03-07", "2026-03-09"),  # Saturday -> Monday
    ("2026-03-08", "2026-03-09"),  # Sunday -> Monday
    ("2026-04-02", "2026-04-07"),  # Maundy Thursday -> Good Friday, Easter, Easter Monday -> Tue
    ("2026-04-03", "2026-04-07"),  # registered on Good Friday itself
    ("2026-04-30", "2026-05-04"),  # 1 May (första maj) is a Friday
    ("2026-05-13", "2026-05-15"),  # Ascension Day, Thursday 14 May
    ("2026-01-05", "2026-01-07"),  # Epiphany, Tuesday 6 January
    ("2026-06-18", "2026-06-22"),  # Midsummer Eve, Friday 19 June
    ("2026-12-18", "2026-12-21"),  # Friday -> Monday
    ("2026-12-23", "2026-12-28"),  # Christmas Eve, Christmas Day, Boxing Day (Sat), Sunday
    ("2026-12-30", "2027-01-04"),  # New Year's Eve, New Year's Day (Fri), weekend
    ("2027-03-25", "2027-03-30"),  # Maundy Thursday 2027 (Easter 28 March)
])
def test_reminder_on_first_bank_day_after_registration(registered_on, reminder_on):
    snapshot = registered(registered_on)
    assert next_action_on(snapshot, POLICY) == D(reminder_on)
    step = first_step_on_or_after(snapshot, D(registered_on))
    assert (step.kind, step.on) == ("reminder", D(reminder_on))
    # nothing the day before, and never on the day of registration
    assert decide(snapshot, D(reminder_on) - timedelta(days=1), POLICY, CAPS) is None
    assert decide(snapshot, D(registered_on), POLICY, CAPS) is None


@pytest.mark.parametrize("sent, deadline", [
    ("2026-03-03", "2026-03-13"),  # a bank day: as is
    ("2026-12-14", "2026-12-28"),  # +10 = Christmas Eve
    ("2026-12-15", "2026-12-28"),  # +10 = Christmas Day
    ("2026-12-16", "2026-12-28"),  # +10 = Boxing Day (Saturday)
    ("2026-12-17", "2026-12-28"),  # +10 = Sunday 27 December
    ("2026-03-24", "2026-04-07"),  # +10 = Good Friday -> Easter Monday -> Tuesday
    ("2026-05-04", "2026-05-15"),  # +10 = Ascension Day
    ("2026-06-09", "2026-06-22"),  # +10 = Midsummer Eve
    ("2026-03-11", "2026-03-23"),  # +10 = Saturday
])
def test_reminder_deadline_moves_to_next_bank_day(sent, deadline):
    snapshot = registered("2026-01-01")  # due long ago: the tick takes it on `sent`
    step = decide(snapshot, D(sent), POLICY, CAPS)
    assert step == Step(kind="reminder", on=D(sent), deadline=D(deadline), fees=(fee(R, 6000),))


def test_reminder_deadline_days_is_policy():
    step = decide(registered("2026-03-02"), D("2026-03-03"), Policy(reminder_deadline_days=14),
                  CAPS)
    assert step.deadline == D("2026-03-17")


@pytest.mark.parametrize("today, expected_on", [
    ("2026-03-03", "2026-03-03"),  # on time
    ("2026-03-04", "2026-03-04"),  # the tick was down: caught up the day it runs
    ("2026-03-10", "2026-03-10"),
    ("2026-03-07", None),  # ... but never on a Saturday
    ("2026-03-08", None),  # or a Sunday
    ("2026-04-06", None),  # or Easter Monday
    ("2026-12-24", None),  # or Christmas Eve
    ("2026-03-02", None),  # and never early
])
def test_reminder_catch_up_after_downtime(today, expected_on):
    step = decide(registered("2026-03-02"), D(today), POLICY, CAPS)
    if expected_on is None:
        assert step is None
    else:
        assert step.kind == "reminder" and step.on == D(expected_on)
        assert step.deadline == next_bank_day(D(expected_on) + timedelta(days=10))


# -- the collection demand (inkassokrav) -------------------------------------------------------

@pytest.mark.parametrize("reminder_deadline, demand_on", [
    ("2026-03-13", "2026-03-19"),  # Fri + 5 = Wed 18: passed on Thursday 19
    ("2026-03-16", "2026-03-23"),  # Mon + 5 = Sat 21: the next bank day after is Monday 23
    ("2026-03-30", "2026-04-07"),  # Mon + 5 = Sat 4 April (Easter): Tuesday 7 April
    ("2026-04-27", "2026-05-04"),  # Mon + 5 = Sat 2 May: Monday 4 May
    ("2026-05-08", "2026-05-15"),  # Fri + 5 = Wed 13: Thursday 14 is Ascension Day
    ("2026-12-18", "2026-12-28"),  # Fri + 5 = Wed 23: Christmas -> Monday 28
    ("2026-12-28", "2027-01-04"),  # Mon + 5 = Sat 2 January: Monday 4 January
])
def test_demand_after_deadline_plus_grace(reminder_deadline, demand_on):
    snapshot = reminded(reminder_deadline)
    assert next_action_on(snapshot, POLICY) == D(demand_on)
    # deadline + grace itself is not "passed"; nothing until the bank day after it
    grace_end = D(reminder_deadline) + timedelta(days=5)
    assert decide(snapshot, grace_end, POLICY, CAPS) is None
    step = first_step_on_or_after(snapshot, D(reminder_deadline))
    assert (step.kind, step.on) == ("demand", D(demand_on))
    assert step.deadline == next_bank_day(D(demand_on) + timedelta(days=10))


@pytest.mark.parametrize("sent, policy_days, deadline", [
    ("2026-03-19", 10, "2026-03-30"),  # +10 = Sunday 29 -> Monday
    ("2026-04-23", 10, "2026-05-04"),  # +10 = Sunday 3 May -> Monday 4
    ("2026-04-23", 8, "2026-05-04"),  # +8 = 1 May (första maj, a Friday) -> Monday 4
    ("2026-12-16", 8, "2026-12-28"),  # +8 = Christmas Eve -> Monday 28
    ("2026-12-17", 8, "2026-12-28"),  # +8 = Christmas Day
    ("2026-12-18", 8, "2026-12-28"),  # +8 = Boxing Day
    ("2026-12-22", 10, "2027-01-04"),  # +10 = New Year's Day (Friday) -> Monday 4 January
    ("2026-03-19", 30, "2026-04-20"),  # a longer policy: +30 = Saturday 18 April
])
def test_demand_deadline_on_a_bank_day_never_under_eight_days(sent, policy_days, deadline):
    policy = Policy(demand_deadline_days=policy_days)
    step = decide(reminded("2026-01-02"), D(sent), policy, CAPS)
    assert step.kind == "demand" and step.on == D(sent)
    assert step.deadline == D(deadline)
    assert step.deadline >= D(sent) + timedelta(days=8)


def test_grace_days_is_policy():
    assert next_action_on(reminded("2026-03-13"), Policy(grace_days=0)) == D("2026-03-16")
    assert next_action_on(reminded("2026-03-13"), Policy(grace_days=10)) == D("2026-03-24")


# -- the decision ------------------------------------------------------------------------------

@pytest.mark.parametrize("demand_deadline, decision_on", [
    ("2026-03-30", "2026-04-07"),  # Mon + 5 = Sat 4 April, then Easter
    ("2026-05-04", "2026-05-11"),  # Mon + 5 = Sat 9 May
    ("2026-06-15", "2026-06-22"),  # Mon + 5 = Sat 20 June (Midsummer Day)
    ("2026-12-21", "2026-12-28"),  # Mon + 5 = Sat 26 December
    ("2026-12-28", "2027-01-04"),  # Mon + 5 = Sat 2 January
    ("2026-03-04", "2026-03-10"),  # Wed + 5 = Mon 9: passed on Tuesday 10
])
def test_decision_after_demand_deadline_plus_grace(demand_deadline, decision_on):
    snapshot = demanded(demand_deadline)
    assert next_action_on(snapshot, POLICY) == D(decision_on)
    step = first_step_on_or_after(snapshot, D(demand_deadline))
    assert step == Step(kind="decision", on=D(decision_on), deadline=None, fees=())
    assert apply_step(snapshot, step).status == "awaiting_decision"


# -- a whole claim -----------------------------------------------------------------------------

EASTER_TIMELINE = [("reminder", "2026-04-07", "2026-04-17"),
                   ("demand", "2026-04-23", "2026-05-04"),
                   ("decision", "2026-05-11", None)]
CHRISTMAS_TIMELINE = [("reminder", "2026-12-14", "2026-12-28"),
                      ("demand", "2027-01-04", "2027-01-14"),
                      ("decision", "2027-01-20", None)]


@pytest.mark.parametrize("registered_on, timeline", [
    ("2026-04-02", EASTER_TIMELINE), ("2026-12-11", CHRISTMAS_TIMELINE)])
@pytest.mark.parametrize("debtor, agreed, fees", [
    ("person", True, [(fee(R, 6000),), (fee(C, 18000),), ()]),
    ("person", False, [(), (fee(C, 18000),), ()]),
    ("company", True, [(), (fee(L, 45000),), ()]),
    ("company", False, [(), (fee(L, 45000),), ()]),
])
def test_daily_ticks_and_planned_timeline(registered_on, timeline, debtor, agreed, fees):
    snapshot = registered(registered_on, debtor, agreed)
    expected = [Step(kind=k, on=D(on), deadline=dl and D(dl), fees=f)
                for (k, on, dl), f in zip(timeline, fees)]
    assert planned_steps(snapshot, D(registered_on), POLICY, CAPS) == expected
    taken, day = [], D(registered_on)
    while day < D(registered_on) + timedelta(days=90):
        step = decide(snapshot, day, POLICY, CAPS)
        if step:
            taken.append(step)
            snapshot = apply_step(snapshot, step)
            assert decide(snapshot, day, POLICY, CAPS) is None  # the same tick again: nothing
        day += timedelta(days=1)
    assert taken == expected
    assert snapshot.status == "awaiting_decision"
    assert snapshot.fees_charged == {f.kind for s in expected for f in s.fees}
    assert snapshot.outstanding_ore == 123450 + sum(f.amount_ore for s in expected for f in s.fees)


def test_planned_steps_from_the_middle_and_with_a_non_bank_today():
    snapshot = reminded("2026-04-17", sent="2026-04-07")
    assert planned_steps(snapshot, D("2026-04-18"), POLICY, CAPS) == [
        Step("demand", D("2026-04-23"), D("2026-05-04"), (fee(C, 18000),)),
        Step("decision", D("2026-05-11"), None, ())]
    # long overdue and looked at on a Saturday: the next step goes on Monday
    assert [(s.kind, s.on) for s in planned_steps(snapshot, D("2026-06-06"), POLICY, CAPS)] == [
        ("demand", D("2026-06-08")), ("decision", D("2026-06-24"))]


@pytest.mark.parametrize("status", CLOSED_OR_STOPPED)
def test_planned_steps_empty_when_nothing_will_happen(status):
    snapshot = replace(demanded("2026-03-30"), status=status)
    assert planned_steps(snapshot, D("2026-06-01"), POLICY, CAPS) == []
    assert planned_steps(replace(registered("2026-03-02"), outstanding_ore=0), D("2026-03-02"),
                         POLICY, CAPS) == []


def test_planned_steps_does_not_change_the_snapshot():
    snapshot = registered("2026-04-02")
    planned_steps(snapshot, D("2026-04-02"), POLICY, CAPS)
    assert snapshot == registered("2026-04-02")


# -- statuses: never skipped, never repeated, stopped where the law says stop -----------------

@pytest.mark.parametrize("status, expected", [
    ("registered", "reminder"), ("reminder_sent", "demand"), ("demand_sent", "decision"),
    *[(s, None) for s in CLOSED_OR_STOPPED],
])
def test_every_status(status, expected):
    snapshot = replace(demanded("2026-03-30"), status=status)  # every date long passed
    step = decide(snapshot, D("2026-09-01"), POLICY, CAPS)
    assert (step and step.kind) == expected
    assert (next_action_on(snapshot, POLICY) is None) == (expected is None)


def test_known_statuses():
    assert STATUSES == {"registered", "reminder_sent", "demand_sent", "awaiting_decision",
                        "at_kronofogden", "surveillance", "disputed", "payment_plan", "paid",
                        "withdrawn", "written_off"}


@pytest.mark.parametrize("snapshot, step", [
    (registered("2026-03-02"), Step("demand", D("2026-03-03"), D("2026-03-13"), ())),
    (registered("2026-03-02"), Step("decision", D("2026-03-03"), None, ())),
    (reminded("2026-03-13"), Step("reminder", D("2026-03-20"), D("2026-03-30"), ())),
    (demanded("2026-03-30"), Step("demand", D("2026-04-07"), D("2026-04-17"), ())),
    (replace(demanded("2026-03-30"), status="awaiting_decision"),
     Step("decision", D("2026-04-07"), None, ())),
    (replace(registered("2026-03-02"), status="paid"),
     Step("reminder", D("2026-03-03"), D("2026-03-13"), ())),
])
def test_apply_step_refuses_a_skipped_or_repeated_step(snapshot, step):
    with pytest.raises(ValueError):
        apply_step(snapshot, step)


def test_apply_step_records_dates_fees_and_what_is_owed():
    snapshot = registered("2026-03-02", outstanding=10000, fees_charged=frozenset())
    step = decide(snapshot, D("2026-03-03"), POLICY, CAPS)
    after = apply_step(snapshot, step)
    assert (after.status, after.reminder_sent_on, after.reminder_deadline) == (
        "reminder_sent", D("2026-03-03"), D("2026-03-13"))
    assert after.fees_charged == {R} and after.outstanding_ore == 16000
    demand = decide(after, D("2026-03-19"), POLICY, CAPS)
    after = apply_step(after, demand)
    assert (after.status, after.demand_sent_on, after.demand_deadline) == (
        "demand_sent", D("2026-03-19"), D("2026-03-30"))
    assert after.fees_charged == {R, C} and after.outstanding_ore == 34000
    assert after.reminder_sent_on == D("2026-03-03")  # earlier dates are kept


# -- payments and holds ------------------------------------------------------------------------

@pytest.mark.parametrize("outstanding, takes_step", [
    (123450, True), (1, True),  # a partial payment does not stop the next step
    (0, False), (-500, False),  # paid in full (or overpaid): nothing
])
@pytest.mark.parametrize("snapshot, today", [
    (registered("2026-03-02"), "2026-03-03"),
    (reminded("2026-03-13"), "2026-03-19"),
    (demanded("2026-03-30"), "2026-04-07"),
])
def test_partial_and_full_payment(outstanding, takes_step, snapshot, today):
    snapshot = replace(snapshot, outstanding_ore=outstanding)
    assert (decide(snapshot, D(today), POLICY, CAPS) is not None) == takes_step
    assert (next_action_on(snapshot, POLICY) is not None) == takes_step


@pytest.mark.parametrize("hold_until, today, expected", [
    ("2026-03-10", "2026-03-09", None),  # held: nothing while today < hold_until
    ("2026-03-10", "2026-03-10", "2026-03-10"),  # the hold ends: the step goes that day
    ("2026-03-10", "2026-03-11", "2026-03-11"),
    ("2026-03-14", "2026-03-14", None),  # a hold ending on a Saturday ...
    ("2026-03-14", "2026-03-16", "2026-03-16"),  # ... releases on Monday
    ("2026-03-01", "2026-03-03", "2026-03-03"),  # a hold already over changes nothing
    ("2026-03-03", "2026-03-03", "2026-03-03"),
])
def test_hold_until(hold_until, today, expected):
    snapshot = registered("2026-03-02", hold_until=D(hold_until))
    step = decide(snapshot, D(today), POLICY, CAPS)
    assert (step and step.on) == (expected and D(expected))
    first = first_step_on_or_after(snapshot, D("2026-03-02"))
    assert next_action_on(snapshot, POLICY) == first.on


def test_hold_delays_the_planned_timeline():
    snapshot = reminded("2026-03-13", hold_until=D("2026-04-02"))
    plan = planned_steps(snapshot, D("2026-03-14"), POLICY, CAPS)
    assert [(s.kind, s.on) for s in plan] == [("demand", D("2026-04-02")),
                                              ("decision", D("2026-04-20"))]


# -- fees through the engine -------------------------------------------------------------------

def test_fees_already_charged_are_not_charged_again():
    snapshot = registered("2026-03-02", fees_charged=frozenset({"reminder_fee"}))
    assert decide(snapshot, D("2026-03-03"), POLICY, CAPS).fees == ()
    snapshot = reminded("2026-03-13", fees_charged=frozenset({"collection_fee"}))
    assert decide(snapshot, D("2026-03-19"), POLICY, CAPS).fees == ()
    company = replace(reminded("2026-03-13"), debtor_kind="company",
                      fees_charged=frozenset({R}))
    assert decide(company, D("2026-03-19"), POLICY, CAPS).fees == ()  # never 450 on top of 60


def test_policy_asking_more_than_the_cap_gets_the_cap():
    greedy = Policy(reminder_fee_ore=10000, collection_fee_ore=30000,
                    late_payment_compensation_ore=90000)
    person = planned_steps(registered("2026-03-02"), D("2026-03-02"), greedy, CAPS)
    assert [f.amount_ore for s in person for f in s.fees] == [6000, 18000]
    company = planned_steps(registered("2026-03-02", "company"), D("2026-03-02"), greedy, CAPS)
    assert [f.amount_ore for s in company for f in s.fees] == [45000]


def test_no_reminder_fee_when_the_policy_does_not_charge_it():
    plan = planned_steps(registered("2026-03-02"), D("2026-03-02"),
                         Policy(charge_reminder_fee=False), CAPS)
    assert [s.fees for s in plan] == [(), (fee(C, 18000),), ()]


# -- validation --------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [
    {"demand_deadline_days": 7}, {"demand_deadline_days": 0}, {"demand_deadline_days": -10},
    {"reminder_deadline_days": 0}, {"grace_days": -1}, {"demand_deadline_days": 10.0},
    {"demand_deadline_days": "10"}, {"grace_days": True}, {"charge_reminder_fee": 1},
    {"interest_enabled": None}, {"reminder_fee_ore": -1}, {"collection_fee_ore": 1.5},
])
def test_policy_outside_legal_bounds_is_refused(kwargs):
    with pytest.raises(ValueError):
        Policy(**kwargs)


def test_policy_defaults_and_bounds():
    assert Policy() == Policy(reminder_deadline_days=10, grace_days=5, demand_deadline_days=10,
                              charge_reminder_fee=True, interest_enabled=True)
    assert MIN_DEMAND_DEADLINE_DAYS == 8
    Policy(demand_deadline_days=8, grace_days=0, reminder_deadline_days=1, reminder_fee_ore=0)


@pytest.mark.parametrize("kwargs", [
    {"status": "sent"}, {"debtor_kind": "consumer"},
    {"status": "reminder_sent"},  # without the reminder's deadline
    {"status": "demand_sent", "reminder_deadline": D("2026-03-13")},  # without the demand's
])
def test_snapshot_refuses_what_it_cannot_decide_on(kwargs):
    base = {"status": "registered", "registered_on": D("2026-03-02"), "debtor_kind": "person",
            "reminder_fee_agreed": True, "outstanding_ore": 100}
    with pytest.raises(ValueError):
        Snapshot(**{**base, **kwargs})


def test_interest_switch_does_not_change_the_steps():
    snapshot = registered("2026-04-02")
    assert planned_steps(snapshot, D("2026-04-02"), Policy(interest_enabled=False), CAPS) == \
        planned_steps(snapshot, D("2026-04-02"), POLICY, CAPS)


# -- properties --------------------------------------------------------------------------------

ORDER = ["reminder", "demand", "decision"]
DAYS = 150

policies = st.builds(
    Policy, reminder_deadline_days=st.integers(1, 30), grace_days=st.integers(0, 10),
    demand_deadline_days=st.integers(8, 30), charge_reminder_fee=st.booleans(),
    reminder_fee_ore=st.none() | st.integers(0, 20000),
    collection_fee_ore=st.none() | st.integers(0, 40000),
    late_payment_compensation_ore=st.none() | st.integers(0, 90000))
caps = st.builds(FeeCaps, st.integers(0, 10000), st.integers(0, 30000), st.integers(0, 60000))
registration_days = st.dates(min_value=date(2024, 1, 1), max_value=date(2032, 12, 31))
claims = st.builds(
    Snapshot, status=st.just("registered"), registered_on=registration_days,
    debtor_kind=st.sampled_from(["person", "company"]), reminder_fee_agreed=st.booleans(),
    outstanding_ore=st.integers(1, 10_000_000))
# a payment on a day offset: "full", or a percentage of what is owed (partial)
payments = st.dictionaries(st.integers(0, DAYS), st.just("full") | st.integers(1, 99),
                           max_size=6)
outages = st.sets(st.integers(0, DAYS), max_size=60)
holds = st.none() | st.tuples(st.integers(0, DAYS), st.integers(1, 20))


def simulate(snapshot, policy, fee_caps, *, paid=None, down=(), hold=None):
    """Tick a claim day by day from its registration; return the steps and what was checked."""
    paid, start = paid or {}, snapshot.registered_on
    steps, promised = [], None  # promised: next_action_on when the claim last changed
    for n in range(DAYS + 1):
        today = start + timedelta(days=n)
        if n in paid:
            owed = snapshot.outstanding_ore
            owed = 0 if paid[n] == "full" else owed - owed * paid[n] // 100
            snapshot = replace(snapshot, outstanding_ore=owed)
        if hold and hold[0] == n:
            snapshot = replace(snapshot, hold_until=today + timedelta(days=hold[1]))
        if n in down:
            continue
        promised = next_action_on(snapshot, policy)
        step = decide(snapshot, today, policy, fee_caps)
        if step is None:
            # decide is exactly as eager as next_action_on says
            assert promised is None or today < promised or not is_bank_day(today)
            continue
        assert promised is not None and promised <= today
        assert step.on == today and snapshot.outstanding_ore > 0
        before, snapshot = snapshot, apply_step(snapshot, step)
        steps.append((step, before))
        assert decide(snapshot, today, policy, fee_caps) is None  # a second tick: nothing
    return steps, snapshot


def check_steps(steps, policy, fee_caps):
    assert [s.kind for s, _ in steps] == ORDER[:len(steps)]  # a prefix, in order, once each
    charged = []
    for step, before in steps:
        assert is_bank_day(step.on)
        if step.kind == "reminder":
            assert step.on > before.registered_on
            assert step.deadline >= step.on + timedelta(days=policy.reminder_deadline_days)
        elif step.kind == "demand":
            assert step.on > before.reminder_deadline + timedelta(days=policy.grace_days)
            assert step.deadline >= step.on + timedelta(days=MIN_DEMAND_DEADLINE_DAYS)
            assert step.deadline >= step.on + timedelta(days=policy.demand_deadline_days)
        else:
            assert step.on > before.demand_deadline + timedelta(days=policy.grace_days)
            assert step.deadline is None and step.fees == ()
        if step.deadline is not None:  # the first bank day on or after sent + the policy's days
            days = (policy.reminder_deadline_days if step.kind == "reminder"
                    else policy.demand_deadline_days)
            assert is_bank_day(step.deadline)
            assert step.deadline >= step.on + timedelta(days=days)
            assert not any(is_bank_day(step.on + timedelta(days=k))
                           for k in range(days, (step.deadline - step.on).days))
        for f in step.fees:
            assert 0 < f.amount_ore <= fee_caps.cap(f.kind)
            charged.append(f.kind)
            if before.debtor_kind == "company":
                assert f.kind is L
    assert len(charged) == len(set(charged))  # never twice
    assert not ({R, C} & set(charged) and L in charged)  # 450 never on top of 60/180


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshot=claims, policy=policies, fee_caps=caps, paid=payments, down=outages, hold=holds)
def test_simulated_claim_with_payments_and_outages(snapshot, policy, fee_caps, paid, down, hold):
    steps, final = simulate(snapshot, policy, fee_caps, paid=paid, down=down, hold=hold)
    check_steps(steps, policy, fee_caps)
    full = [n for n, p in paid.items() if p == "full"]
    if full:  # nothing after full payment
        paid_on = snapshot.registered_on + timedelta(days=min(full))
        assert all(step.on < paid_on for step, _ in steps)
    if hold:  # nothing while held
        start, until = (snapshot.registered_on + timedelta(days=hold[0]),
                        snapshot.registered_on + timedelta(days=hold[0] + hold[1]))
        assert not any(start <= step.on < until for step, _ in steps)


@settings(max_examples=150, deadline=None)
@given(snapshot=claims, policy=policies, fee_caps=caps, hold_days=st.none() | st.integers(0, 30))
def test_planned_steps_is_what_the_daily_tick_does(snapshot, policy, fee_caps, hold_days):
    if hold_days is not None:
        snapshot = replace(snapshot,
                           hold_until=snapshot.registered_on + timedelta(days=hold_days))
    steps, final = simulate(snapshot, policy, fee_caps)
    taken = [s for s, _ in steps]
    assert [s.kind for s in taken] == ORDER  # unpaid: every step happens within the window
    assert final.status == "awaiting_decision"
    check_steps(steps, policy, fee_caps)
    assert planned_steps(snapshot, snapshot.registered_on, policy, fee_caps) == taken
    # from any day on, the plan is the rest of what actually happens
    for n, (step, before) in enumerate(steps):
        since = taken[n - 1].on + timedelta(days=1) if n else before.registered_on
        for day in {since, step.on - timedelta(days=1), step.on}:
            if day >= since:
                assert planned_steps(before, day, policy, fee_caps) == taken[n:]
        # and the claim's next_action_on is the exact day of its next step
        assert next_action_on(before, policy) == step.on


statuses = st.sampled_from(sorted(STATUSES))
any_day = st.dates(min_value=date(2025, 1, 1), max_value=date(2030, 12, 31))


@settings(max_examples=300, deadline=None)
@given(status=statuses, registered_on=any_day, debtor=st.sampled_from(["person", "company"]),
       offsets=st.tuples(st.integers(-40, 40), st.integers(-40, 40)),
       hold=st.none() | st.integers(-20, 60),
       outstanding=st.integers(-100, 100), start=st.integers(-30, 60), policy=policies)
def test_next_action_on_is_the_first_day_decide_acts(status, registered_on, debtor, offsets,
                                                     hold, outstanding, start, policy):
    """For any snapshot, ticking daily from any day, the first step comes on
    next_bank_day(max(that day, next_action_on)); and never when next_action_on is None."""
    on = lambda k: registered_on + timedelta(days=k)  # noqa: E731
    snapshot = Snapshot(status=status, registered_on=registered_on, debtor_kind=debtor,
                        reminder_fee_agreed=True, outstanding_ore=outstanding,
                        reminder_deadline=on(offsets[0]), demand_deadline=on(offsets[1]),
                        hold_until=None if hold is None else on(hold))
    first_day = on(start)
    due = next_action_on(snapshot, policy)
    step = first_step_on_or_after(snapshot, first_day, policy, days=120)
    if due is None:
        assert step is None
    else:
        assume(due <= first_day + timedelta(days=100))
        assert is_bank_day(due)
        assert step is not None and step.on == next_bank_day(max(first_day, due))
