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

MODELS = (get_user_model(), EmailAddress, Creditor, Membership, ApiKey, Debtor, Claim, Invoice,
          Event, LedgerEntry, Step)


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
    assert after_first["Claim"] == len(seed_demo.DEMO_CLAIMS) + len(
        seed_demo.SECOND_COMPANY_CLAIMS)
    assert "shown once" in first and "ek_" in first
    assert "ek_" not in second and "0 created" in second


@pytest.mark.django_db
def test_demo_users_and_companies(no_secret_key):
    output = run()

    staff = get_user_model().objects.get(email=seed_demo.STAFF_EMAIL)
    assert staff.is_staff and staff.is_superuser
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
            Status.AWAITING_DECISION, Status.PAID, Status.WITHDRAWN} <= stages
