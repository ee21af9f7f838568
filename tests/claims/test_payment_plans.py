"""Instalment plans: the schedule (pure), then against the database — within the creditor's
limits a plan runs at once (fee, letter with the schedule, collection paused); beyond them the
creditor decides; a missed instalment breaks it and collection goes on; paid, it is completed."""

from datetime import date, timedelta

import pytest
from hypothesis import given, strategies as st

from claims.models import Claim, PaymentPlan, Status, Step
from claims.payment_plans import plan_decide, plan_request
from claims.plans import Instalment, limits_problems, plan_state, schedule
from claims.services import ClaimError, claim_payment_receive
from ekrav.calendar import is_bank_day
from letters.models import Letter
from letters.services import collection_day_run
from tests.debtors.conftest import DEMAND_DAY, register_on

ASKED = date(2026, 4, 27)  # the Monday after the collection demand
FIRST = date(2026, 5, 25)


@given(total=st.integers(1, 10**9), months=st.integers(1, 36),
       first=st.dates(date(2026, 1, 1), date(2030, 12, 31)))
def test_the_schedule_adds_up_on_bank_days(total, months, first):
    plan = schedule(total_ore=total, months=months, first_due=first)
    assert sum(i.amount_ore for i in plan) == total and len(plan) == months
    assert all(is_bank_day(i.due_on) for i in plan)
    assert [i.n for i in plan] == list(range(1, months + 1))
    assert all(a.due_on < b.due_on for a, b in zip(plan, plan[1:]))


def test_equal_whole_kronor_the_last_takes_the_rest():
    plan = schedule(total_ore=123456, months=3, first_due=date(2026, 5, 25))
    assert [i.amount_ore for i in plan] == [41100, 41100, 41256]


def test_the_creditors_limits():
    plan = schedule(total_ore=300000, months=6, first_due=date(2026, 5, 25))
    assert limits_problems(instalments=plan, max_months=6, min_instalment_ore=20000,
                           today=ASKED) == []
    assert limits_problems(instalments=plan, max_months=3, min_instalment_ore=60000,
                           today=ASKED) == ["months>3", "instalment<60000"]


PLAN = [Instalment(1, date(2026, 5, 25), 10000), Instalment(2, date(2026, 6, 25), 10000)]


@pytest.mark.parametrize("paid, today, state", [
    (0, date(2026, 5, 30), "kept"),  # within the five days of grace
    (0, date(2026, 5, 31), "broken"),
    (10000, date(2026, 6, 30), "kept"),
    (10000, date(2026, 7, 1), "broken"),
    (20000, date(2026, 5, 1), "completed"),
])
def test_kept_broken_completed(paid, today, state):
    assert plan_state(instalments=PLAN, paid_ore=paid, today=today,
                      grace_days=5).state == state


# --- Against the database -------------------------------------------------------------------------

@pytest.fixture
def demanded(alice_co, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    claim = register_on(alice_co)
    collection_day_run(until=DEMAND_DAY)
    return Claim.objects.get(pk=claim.pk)


@pytest.mark.django_db
def test_within_the_limits_a_plan_runs_at_once_and_is_written(demanded):
    plan = plan_request(claim_id=demanded.pk, months=3, first_due=FIRST, today=ASKED)
    assert plan.status == "active" and plan.by_policy and plan.fee_ore == 17000
    claim = Claim.objects.get(pk=demanded.pk)
    assert claim.status == Status.PAYMENT_PLAN and claim.next_action_on is None
    assert claim.ledger.get(key=f"fee:payment_plan_fee:{plan.pk}").amount_ore == 17000
    collection_day_run(until=date(2026, 5, 20))
    letter = Letter.objects.get(claim=claim, kind="plan")
    assert letter.state == "sent" and letter.content["kind"] == "plan"
    assert len(letter.content["instalments"]) == 3
    assert not Step.objects.filter(claim=claim, kind="decision").exists()  # paused


@pytest.mark.django_db
def test_beyond_the_limits_the_creditor_decides(demanded, alice):
    plan = plan_request(claim_id=demanded.pk, months=24, first_due=FIRST, today=ASKED)
    assert plan.status == "requested" and "months>6" in plan.note
    assert Claim.objects.get(pk=demanded.pk).status == Status.DEMAND_SENT
    with pytest.raises(ClaimError):
        plan_request(claim_id=demanded.pk, months=3, first_due=FIRST, today=ASKED)
    plan_decide(plan_id=plan.pk, approve=True, today=ASKED, user=alice)
    plan.refresh_from_db()
    assert (plan.status, plan.decided_by, plan.by_policy) == ("active", alice, False)
    with pytest.raises(ClaimError):
        plan_decide(plan_id=plan.pk, approve=False, today=ASKED, user=alice)


@pytest.mark.django_db
def test_a_missed_instalment_breaks_the_plan_and_collection_goes_on(demanded):
    plan_request(claim_id=demanded.pk, months=3, first_due=FIRST, today=ASKED)
    collection_day_run(until=FIRST + timedelta(days=6))
    plan = PaymentPlan.objects.get()
    assert plan.status == "broken"
    assert Claim.objects.get(pk=demanded.pk).status in (Status.DEMAND_SENT,
                                                        Status.AWAITING_DECISION)
    collection_day_run(until=date(2026, 6, 30))
    assert Step.objects.filter(claim=demanded, kind="decision").exists()


@pytest.mark.django_db
def test_a_kept_plan_is_completed(demanded):
    plan = plan_request(claim_id=demanded.pk, months=2, first_due=FIRST, today=ASKED)
    for n, instalment in enumerate(plan.instalments, start=1):
        due = date.fromisoformat(instalment["due_on"])
        collection_day_run(until=due - timedelta(days=1))
        claim_payment_receive(claim=demanded, amount_ore=instalment["amount_ore"], paid_on=due,
                              today=due, source="bgmax", external_id=f"i{n}")
    collection_day_run(until=date(2026, 7, 10))
    plan.refresh_from_db()
    assert plan.status == "completed"
    # What interest added during the plan is asked for afterwards, or the claim is paid.
    assert Claim.objects.get(pk=demanded.pk).status != Status.PAYMENT_PLAN


@pytest.mark.django_db
@pytest.mark.parametrize("months, first_due, field", [
    (0, FIRST, "months"), (37, FIRST, "months"), (3, ASKED, "first_due"),
    (3, ASKED + timedelta(days=63), "first_due")])
def test_bad_requests_are_refused_at_their_field(demanded, months, first_due, field):
    with pytest.raises(ClaimError) as info:
        plan_request(claim_id=demanded.pk, months=months, first_due=first_due, today=ASKED)
    assert field in info.value.errors and not PaymentPlan.objects.exists()
