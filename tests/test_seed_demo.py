"""The demo data command: made through the services, and a second run changes nothing."""

from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from claims.models import Claim, Event, Invoice, LedgerEntry, Status, Step
from claims.selectors import claim_balance
from creditors.models import ApiKey, Creditor, Membership
from debtors.models import Debtor
from ekrav.management.commands import seed_demo
from letters.models import Letter, PrintBatch

MODELS = (get_user_model(), EmailAddress, Creditor, Membership, ApiKey, Debtor, Claim, Invoice,
          Event, LedgerEntry, Step, Letter, PrintBatch)


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def run(**kwargs):
    out = StringIO()
    call_command("seed_demo", stdout=out, **kwargs)
    return out.getvalue()


@pytest.fixture
def no_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)


@pytest.mark.django_db
def test_second_run_changes_nothing(no_secret_key):
    first = run()
    after_first = counts()
    second = run()

    assert counts() == after_first
    invoices = len(seed_demo.DEMO_CLAIMS) + len(seed_demo.SECOND_COMPANY_CLAIMS)
    assert after_first["Invoice"] == invoices
    # DEMO-1008 and DEMO-1013 join their debtor's open case: one case fewer each.
    assert after_first["Claim"] == invoices - 2
    assert "shown once" in first and "ek_" in first
    assert "ek_" not in second and "0 created" in second


@pytest.mark.django_db
def test_demo_users_and_companies(no_secret_key):
    output = run()

    staff = get_user_model().objects.get(email=seed_demo.STAFF_EMAIL)
    # A case handler, not a superuser: the handlers' group (ekrav.roles).
    assert staff.is_staff and not staff.is_superuser
    assert list(staff.groups.values_list("name", flat=True)) == ["Handläggare"]
    assert staff.check_password(seed_demo.STAFF_PASSWORD)
    demo = get_user_model().objects.get(email=seed_demo.DEMO_EMAIL)
    assert demo.check_password(seed_demo.DEMO_PASSWORD) and not demo.is_staff
    companies = Creditor.objects.for_user(demo).order_by("name")
    assert companies.count() == 2
    # The portal opens on the first by name: the company with the most demo claims.
    assert companies.first().name == seed_demo.DEMO_COMPANY["name"]
    assert Creditor.objects.get(bankgiro="50501055").form == "AB"
    assert seed_demo.STAFF_PASSWORD in output and seed_demo.DEMO_PASSWORD in output


@pytest.mark.django_db
def test_claims_in_a_mix_of_states(no_secret_key):
    run()

    main = Creditor.objects.get(name=seed_demo.DEMO_COMPANY["name"])
    claims = Claim.objects.for_creditor(main)
    assert claims.filter(status=Status.WITHDRAWN).count() == 1
    assert claims.filter(status=Status.PAID).count() == 1
    partly = claims.get(invoices__invoice_number="DEMO-1007")
    balance = claim_balance(partly)
    assert partly.status == Status.DEMAND_SENT and 0 < balance.paid < balance.capital
    assert set(Debtor.objects.for_creditor(main).values_list("kind", flat=True)) == {
        "person", "company"}
    # The same debtor registered twice is one debtor row.
    assert claims.filter(debtor__name="Anna Svensson").values("debtor").distinct().count() == 1


@pytest.mark.django_db
def test_refuses_a_real_deployment(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-real-production-secret")

    with pytest.raises(CommandError, match="SECRET_KEY"):
        run()
    assert get_user_model().objects.count() == 0


@pytest.mark.django_db
def test_the_demo_shows_every_stage_of_collection(no_secret_key):
    run()
    stages = set(Claim.objects.values_list("status", flat=True))
    assert {Status.REGISTERED, Status.REMINDER_SENT, Status.DEMAND_SENT,
            Status.AWAITING_DECISION, Status.AT_KRONOFOGDEN, Status.DISPUTED,
            Status.PAYMENT_PLAN, Status.PAID, Status.WITHDRAWN} <= stages
    from claims.models import Dispute, KronofogdenApplication, PaymentPlan

    assert KronofogdenApplication.objects.get().state == "prepared"
    whole, partial = (Dispute.objects.get(invoices__isnull=True),
                      Dispute.objects.get(invoices__isnull=False))
    assert whole.channel == partial.channel == "mitt_arende"
    assert list(partial.invoices.values_list("invoice_number", flat=True)) == ["DEMO-1013"]
    assert partial.claim.status == Status.REGISTERED  # the other invoice is collected
    assert PaymentPlan.objects.get().status == "active"


@pytest.mark.django_db
def test_invoices_registered_before_the_demand_share_a_case(no_secret_key):
    run()
    main = Creditor.objects.get(name=seed_demo.DEMO_COMPANY["name"])

    def case_of(number):
        return Claim.objects.get(invoices__invoice_number=number)

    kontor = case_of("DEMO-1007")
    assert case_of("DEMO-1008") == kontor and kontor.creditor == main
    # One demand for both invoices, with one förseningsersättning (a company debtor).
    assert kontor.steps.filter(kind="demand").count() == 1
    assert list(kontor.ledger.filter(kind=LedgerEntry.Kind.FEE).values_list("key", flat=True)
                ) == ["fee:late_payment_compensation"]
    # DEMO-1008 came after the case's reminder: it goes out with the case's demand.
    assert [e.kind for e in kontor.events.all()] == [
        "registered", "step_reminder", "invoice_added", "step_demand", "direct_payment"]
    cafe = case_of("DEMO-1010")
    assert case_of("DEMO-1013") == cafe and cafe.status == Status.REGISTERED
    # A debtor's case that has had its demand takes no more invoices; another company's never.
    assert case_of("DEMO-1012") != case_of("DEMO-1003")
    assert case_of("HB-2002").creditor != main


@pytest.mark.django_db
def test_the_paid_claim_owes_nothing_interest_included(no_secret_key):
    run()
    paid = Claim.objects.get(invoices__invoice_number="DEMO-1009")
    balance = claim_balance(paid)
    assert paid.status == Status.PAID
    assert balance.interest > 0 and balance.outstanding == 0


@pytest.mark.django_db
def test_every_letter_step_sent_its_letter_by_kivra_or_print(no_secret_key, settings):
    # The simulator's address, as bin/start configures it: the seed reaches it in-process.
    settings.KIVRA_BASE_URL = "http://testserver/sim/kivra"
    run()
    steps = Step.objects.filter(kind__in=["reminder", "demand"])
    letters = Letter.objects.filter(step__in=steps)
    assert steps.count() == letters.count() > 0
    # A step whose claim moved on before its letter could go is cancelled; the rest are sent.
    assert set(letters.values_list("state", flat=True)) <= {"sent", "cancelled"}
    channels = set(letters.filter(state="sent").values_list("channel", flat=True))
    assert channels == {"kivra", "print"}
    assert PrintBatch.objects.exists()
