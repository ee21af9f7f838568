"""Each way a claim can go, end to end, with the clock moved by `collect --date` (issue 5):
paid after the reminder; paid after the demand; to Kronofogden, utslag and paid through
enforcement; disputed and withdrawn; an instalment plan kept and one broken. Each path is
checked where the money and the letters end up, not only the status. (Efterbevakning and back
to Kronofogden: tests/claims/test_surveillance.py.)"""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from claims.decisions import claim_decide
from claims.disputes import dispute_register, dispute_resolve
from claims.enforcement import kfm_answer_record, kfm_application_prepare, kfm_application_send
from claims.models import Claim, Status, Step
from claims.selectors import claim_balance, claim_statement
from letters.models import Letter
from payments.enforcement import kronofogden_payment_record
from payments.models import Settlement
from payments.services import bgmax_import
from payments.settlements import settlements_run
from tests.claims.test_collection import register_on
from tests.payments.bgmax_files import bgmax_file

pytestmark = pytest.mark.django_db

REMINDER, DEMAND, DECISION = date(2026, 4, 7), date(2026, 4, 23), date(2026, 5, 11)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def collect(day: date) -> None:
    call_command("collect", "--date", day.isoformat(), stdout=StringIO())


def pay_by_bankgiro(claim, day, serial):
    owed, _problem = claim_statement(claim, as_of=day)
    bgmax_import(data=bgmax_file([(claim.ocr, owed.total_owed_ore)], paid_on=day,
                                 serial=serial), filename=f"bg{serial}.txt", today=day)


def refreshed(claim) -> Claim:
    return Claim.objects.get(pk=claim.pk)


def letters(claim) -> list[str]:
    return sorted(Letter.objects.filter(claim=claim, state="sent").values_list("kind",
                                                                              flat=True))


def test_paid_after_the_reminder(alice_co):
    claim = register_on(alice_co)
    collect(REMINDER)
    pay_by_bankgiro(claim, date(2026, 4, 10), 1)
    collect(date(2026, 6, 30))
    assert refreshed(claim).status == Status.PAID
    assert letters(claim) == ["reminder"]  # no demand after the payment
    settlements_run(day=date(2026, 4, 10))
    settlement = Settlement.objects.get()
    assert (settlement.capital_ore, settlement.fees_ore) == (123450, 6000)


def test_paid_after_the_demand(alice_co):
    claim = register_on(alice_co)
    collect(DEMAND)
    pay_by_bankgiro(claim, date(2026, 4, 28), 1)
    collect(date(2026, 6, 30))
    assert refreshed(claim).status == Status.PAID
    assert letters(claim) == ["demand", "reminder"]
    assert not Step.objects.filter(claim=claim, kind="decision").exists()
    assert claim_balance(claim).outstanding == 0


def test_to_kronofogden_utslag_and_paid_through_enforcement(alice_co, admin_user):
    claim = register_on(alice_co)
    collect(DECISION)
    claim_decide(claim_id=claim.pk, choice="kronofogden", today=DECISION, user=None)
    application = kfm_application_prepare(claim_id=claim.pk, today=DECISION)
    kfm_application_send(application_id=application.pk, today=DECISION, user=admin_user)
    for answer, day in (("received", date(2026, 5, 14)), ("served", date(2026, 5, 28)),
                        ("judgment", date(2026, 6, 22)), ("enforcement", date(2026, 6, 25))):
        kfm_answer_record(application_id=application.pk, answer=answer, on=day,
                          user=admin_user, kfm_case_number="BF-1-26")
    collect(date(2026, 9, 1))  # nothing happens on a claim at Kronofogden
    assert refreshed(claim).status == Status.AT_KRONOFOGDEN
    owed, _problem = claim_statement(claim, as_of=date(2026, 9, 1))
    kronofogden_payment_record(application_id=application.pk, amount_ore=owed.total_owed_ore,
                               paid_on=date(2026, 9, 1), reference="U-1", today=date(2026, 9, 1),
                               user=admin_user)
    assert refreshed(claim).status == Status.PAID
    # Both of Kronofogden's fees were the debtor's costs, and went back to the creditor.
    settlements_run(day=date(2026, 9, 1))
    settlement = Settlement.objects.get()
    assert settlement.outlays_repaid_ore == 30000 + 60000 == settlement.outlays_charged_ore
    assert settlement.fees_ore == 6000 + 18000


def test_disputed_and_withdrawn(alice_co):
    claim = register_on(alice_co)
    collect(REMINDER)
    dispute = dispute_register(claim_id=claim.pk, channel="post", reason="not_ordered",
                               text="Jag har aldrig beställt något.", received_on=date(2026, 4, 9))
    collect(date(2026, 6, 30))  # no demand while disputed
    assert letters(claim) == ["reminder"] and refreshed(claim).status == Status.DISPUTED
    dispute_resolve(dispute_id=dispute.pk, resolution="withdrawn",
                    reason="Uppdragsgivaren återkallar efter utredning.", today=date(2026, 7, 1),
                    user=None)
    collect(date(2026, 12, 31))
    assert refreshed(claim).status == Status.WITHDRAWN and letters(claim) == ["reminder"]


def test_plan_kept(alice_co):
    from claims.payment_plans import plan_request
    from claims.services import claim_payment_receive

    claim = register_on(alice_co)
    collect(DEMAND)
    plan = plan_request(claim_id=claim.pk, months=2, first_due=date(2026, 5, 25),
                        today=date(2026, 4, 27))
    for n, instalment in enumerate(plan.instalments, start=1):
        due = date.fromisoformat(instalment["due_on"])
        collect(due - timedelta(days=1))
        claim_payment_receive(claim=claim, amount_ore=instalment["amount_ore"], paid_on=due,
                              today=due, source="bgmax", external_id=f"plan-{n}")
    collect(date(2026, 7, 31))
    plan.refresh_from_db()
    assert plan.status == "completed"
    assert sorted(set(letters(claim))) == ["demand", "plan", "reminder"]


def test_plan_broken(alice_co):
    from claims.payment_plans import plan_request

    claim = register_on(alice_co)
    collect(DEMAND)
    plan = plan_request(claim_id=claim.pk, months=3, first_due=date(2026, 5, 25),
                        today=date(2026, 4, 27))
    collect(date(2026, 6, 30))  # the first instalment never came
    plan.refresh_from_db()
    assert plan.status == "broken"
    assert refreshed(claim).status == Status.AWAITING_DECISION  # collection went on
