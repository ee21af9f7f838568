"""The registration form's planned timeline ("Det här händer om du registrerar"): the engine's
plan for a claim that does not exist yet, with the interest by each step, and nothing saved."""

from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from claims.collection import collect_until
from claims.forms import ClaimForm
from claims.engine import REGISTERED, Snapshot, planned_steps
from claims.interest import CapitalChange, ReferenceRate as Rate, interest_lines
from claims.models import Claim, Event, Invoice, LedgerEntry, ReferenceRate, Status
from claims.selectors import (
    claim_books,
    claim_policy,
    claim_snapshots,
    fee_caps_on,
    policy_of,
    reference_rates,
)
from claims.services import JOINABLE, claim_report_direct_payment
from claims.statement import Charge, statement
from claims.views import JOIN_FIELDS, PLAN_FIELDS, _planned
from debtors.models import Debtor
from tests.conftest import another_debtor, register, registration_data

pytestmark = pytest.mark.django_db

URL = "/arenden/nytt/plan/"


def preview(client, **overrides):
    response = client.post(URL, registration_data(**overrides))
    assert response.status_code == 200
    return response, response.context["plan"]


def steps_of(plan):
    return [row["step"] for row in plan["steps"]]


def test_the_plan_is_the_engines_plan_for_the_same_inputs(alice_client, alice_co):
    today = timezone.localdate()
    response, plan = preview(alice_client, amount="1 234,50", reminder_fee_agreed=True)

    expected = planned_steps(
        Snapshot(status=REGISTERED, registered_on=today, debtor_kind="person",
                 reminder_fee_agreed=True, outstanding_ore=123450),
        today, policy_of(alice_co.policy, interest_enabled=True), fee_caps_on(today))
    assert steps_of(plan) == expected
    assert [s.kind for s in expected] == ["reminder", "demand", "decision"]
    assert [[f.amount_ore for f in s.fees] for s in expected] == [[6000], [18000], []]
    html = response.content.decode()
    for step in expected:
        assert step.on.isoformat() in html
        if step.deadline:
            assert step.deadline.isoformat() in html
    assert "60,00\u00a0kr" in html and "180,00\u00a0kr" in html


def test_the_plan_is_what_the_claim_page_shows_once_registered(alice_client, alice_co, alice):
    """Same inputs, same engine: the preview before and the claim page's plan after."""
    _, plan = preview(alice_client)
    claim = register(alice_co, alice)
    today = timezone.localdate()
    after = planned_steps(claim_snapshots([claim])[claim.pk], today, claim_policy(claim),
                          fee_caps_on(today))
    assert steps_of(plan) == after
    assert not plan.get("needs")


def test_interest_by_each_step_and_the_total_at_the_decision(alice_client):
    due = timezone.localdate() - timedelta(days=30)
    _, plan = preview(alice_client, due_date=due.isoformat(), amount="10000")
    rates = [Rate(valid_from=r.valid_from, rate=r.rate) for r in ReferenceRate.objects.all()]
    for row in plan["steps"]:
        lines = interest_lines(start=due + timedelta(days=1), end=row["step"].on,
                               capital=[CapitalChange(due + timedelta(days=1), 1_000_000)],
                               rates=rates)
        assert row["interest_ore"] == sum(line.amount_ore for line in lines) > 0
    decision = plan["steps"][-1]
    assert decision["step"].kind == "decision" and plan["last_on"] == decision["step"].on
    assert plan["fees_ore"] == 6000 + 18000
    assert plan["total_ore"] == 1_000_000 + 24000 + decision["interest_ore"]


def test_a_company_owes_late_payment_compensation_instead_of_the_two_fees(alice_client):
    response, plan = preview(alice_client, debtor_kind="company",
                             debtor_identity_number="556036-0793", reminder_fee_agreed=True)
    fees = [(s.kind, f.kind, f.amount_ore) for s in steps_of(plan) for f in s.fees]
    assert fees == [("demand", "late_payment_compensation", 45000)]
    assert plan["fees_ore"] == 45000
    html = response.content.decode()
    assert "450,00\u00a0kr" in html and "förseningsersättning" in html
    assert "60,00\u00a0kr" not in html and "180,00\u00a0kr" not in html


def test_no_reminder_fee_unless_agreed(alice_client):
    _, plan = preview(alice_client, reminder_fee_agreed=False)
    assert [[f.kind for f in s.fees] for s in steps_of(plan)] == [[], ["collection_fee"], []]


def test_interest_switched_off_in_the_policy_is_said(alice_client, alice_co):
    alice_co.policy.interest_enabled = False
    alice_co.policy.save()
    response, plan = preview(alice_client, amount="1000")
    assert plan["interest_enabled"] is False
    assert plan["total_ore"] == 100000 + 6000 + 18000
    html = response.content.decode()
    assert 'data-testid="plan-no-interest"' in html
    assert 'data-testid="plan-interest"' not in html


def days_ago(n):
    return (timezone.localdate() - timedelta(days=n)).isoformat()


@pytest.mark.parametrize("overrides,fields", [
    ({"amount": "tolv kronor"}, ["amount"]),
    ({"amount": "0"}, ["amount"]),
    ({"amount": "12,345"}, ["amount"]),
    ({"amount": ""}, ["amount"]),
    ({"due_date": ""}, ["due_date"]),
    ({"due_date": "2026-13-45"}, ["due_date"]),
    ({"due_date": days_ago(-3)}, ["due_date"]),
    ({"due_date": days_ago(0)}, ["due_date"]),
    ({"invoice_date": days_ago(1), "due_date": days_ago(5)}, ["due_date"]),
    ({"invoice_date": days_ago(-3)}, ["invoice_date", "due_date"]),
    ({"invoice_date": "i går"}, ["invoice_date"]),
    ({"debtor_kind": "martian"}, ["debtor_kind"]),
    ({"debtor_kind": ""}, ["debtor_kind"]),
])
def test_values_not_yet_valid_give_a_hint_not_an_error(alice_client, overrides, fields):
    alice_client.cookies["django_language"] = "en"
    response, plan = preview(alice_client, **overrides)
    labels = [str(label) for label, _why in plan["needs"]]
    assert labels == [str(ClaimForm.base_fields[field].label) for field in fields]
    blank = {name for name, value in overrides.items() if value == ""}
    assert all(why for (_label, why), field in zip(plan["needs"], fields) if field not in blank)
    assert "steps" not in plan
    assert 'data-testid="plan-needs"' in response.content.decode()


def test_the_plan_needs_no_invoice_date_nor_the_other_fields(alice_client):
    response = alice_client.post(URL, {"debtor_kind": "person", "amount": "500",
                                       "due_date": registration_data()["due_date"]})
    assert response.status_code == 200
    assert len(steps_of(response.context["plan"])) == 3


def test_nothing_is_written(alice_client):
    before = [m.objects.count() for m in (Claim, Debtor, Invoice, LedgerEntry, Event)]
    with CaptureQueriesContext(connection) as queries:
        preview(alice_client)
    writes = [q["sql"] for q in queries
              if not q["sql"].lstrip().upper().startswith(("SELECT", "SAVEPOINT", "RELEASE"))]
    # The session may be touched by the login; nothing of ekrav's own.
    assert [sql for sql in writes if "django_session" not in sql] == []
    assert [m.objects.count() for m in (Claim, Debtor, Invoice, LedgerEntry, Event)] == before


def test_anonymous_is_sent_to_log_in(client, db):
    response = client.post(URL, registration_data())
    assert response.status_code == 302 and "/konto/login/" in response["Location"]


def test_only_post(alice_client):
    assert alice_client.get(URL).status_code == 405


def test_each_company_sees_its_own_policy_only(client, alice, alice_co, charlie, charlie_co):
    """Charlie's slower, interest-free policy never shows in alice's plan, nor hers in his."""
    charlie_co.policy.reminder_deadline_days = 30
    charlie_co.policy.interest_enabled = False
    charlie_co.policy.charge_reminder_fee = False
    charlie_co.policy.save()
    register(alice_co, alice, invoice_number="A-1")

    client.force_login(charlie)
    _, theirs = preview(client)
    client.force_login(alice)
    _, hers = preview(client)

    assert hers["interest_enabled"] and not theirs["interest_enabled"]
    assert [f.kind for f in steps_of(hers)[0].fees] == ["reminder_fee"]
    assert steps_of(theirs)[0].fees == ()
    assert steps_of(theirs)[0].deadline > steps_of(hers)[0].deadline
    assert steps_of(theirs)[1].on > steps_of(hers)[1].on


def test_the_form_shows_the_panel_asking_for_what_it_needs(alice_client):
    response = alice_client.get("/arenden/nytt/")
    html = response.content.decode()
    assert 'id="plan-preview"' in html and 'hx-post="/arenden/nytt/plan/"' in html
    assert "<script" not in html.split('id="plan-preview"')[1].split("</section>")[0]
    needs = [str(label) for label, _ in response.context["plan"]["needs"]]
    assert len(needs) == 2  # the due date and the amount; the debtor kind has its default


def test_a_refused_registration_keeps_the_plan_of_its_values(alice_client):
    response = alice_client.post("/arenden/nytt/",
                                 registration_data(debtor_identity_number="19811228-9875"))
    assert response.status_code == 200 and not Claim.objects.exists()
    assert len(steps_of(response.context["plan"])) == 3


def test_in_english(alice_client):
    alice_client.cookies["django_language"] = "en"
    response, _ = preview(alice_client)
    html = response.content.decode()
    assert "What happens if you register" in html and "reminder fee" in html


def test_a_rate_table_that_does_not_reach_the_due_date_is_said_not_hidden(alice_client):
    response, plan = preview(alice_client, invoice_date="2014-12-01", due_date="2015-01-01",
                             amount="1000")
    assert plan["interest_problem"] and plan["owed"] is None
    assert plan["total_ore"] == 100000 + 24000  # without interest, and the panel says so
    assert 'class="error"' in response.content.decode()


def test_the_preview_takes_no_write_lock(alice_client):
    """No transaction (ATOMIC_REQUESTS' BEGIN IMMEDIATE on SQLite) for a read at every change."""
    with CaptureQueriesContext(connection) as queries:
        preview(alice_client)
    sql = [q["sql"] for q in queries]
    # The view's last query; the session middleware may save the session afterwards, apart.
    last = max(i for i, s in enumerate(sql) if "claims_referencerate" in s)
    assert not [s for s in sql[:last] if s.upper().startswith(("BEGIN", "SAVEPOINT"))]


# --- one case per debtor (issue 3): the invoice would join the debtor's open case --------------

REGISTERED_ON = date(2026, 4, 2)  # Skärtorsdag: the reminder goes on Tuesday 7 April


def old_invoice(**overrides):
    return {"invoice_number": "F-1", "invoice_date": "2026-02-01", "due_date": "2026-03-01",
            **overrides}


NEW_INVOICE = {"invoice_number": "F-2", "invoice_date": "2026-03-01", "due_date": "2026-03-31",
               "amount": "500"}


def preview_on(client, user, day, **overrides):
    with time_machine.travel(day, tick=False):
        client.force_login(user)  # the session would have expired by then
        return preview(client, **{**NEW_INVOICE, **overrides})


def planned_after_registering(creditor, user, day, **overrides):
    """The case's plan on the claim page once the invoice is registered, and its statement as
    of the plan's last day with the plan's fees: what the preview promised."""
    with time_machine.travel(day, tick=False):
        claim = register(creditor, user, **{**NEW_INVOICE, **overrides})
        planned = _planned(claim)
    books = claim_books(Claim.objects.get(pk=claim.pk))
    charges = [*books.charges, *(Charge(on=s.on, kind=f.kind, amount_ore=f.amount_ore)
                                 for s in planned for f in s.fees)]
    owed = statement(invoices=books.invoices, charges=charges, payments=books.payments,
                     as_of=planned[-1].on, rates=reference_rates(),
                     interest_enabled=claim_policy(claim).interest_enabled)
    return claim, planned, owed


def test_an_open_registered_case_takes_the_invoice_and_its_plan_is_shown(
        alice_client, alice_co, alice):
    with time_machine.travel(REGISTERED_ON, tick=False):
        case = register(alice_co, alice, **old_invoice())
    response, plan = preview_on(alice_client, alice, REGISTERED_ON)

    assert plan["join"]["claim"].pk == case.pk
    html = response.content.decode()
    assert f'data-case="{case.case_number}"' in html and f"/arenden/{case.pk}/" in html
    assert 'data-testid="plan-join-invoice"' in html and "F-1" in html
    assert 'data-testid="plan-join-reminder"' not in html
    # One reminder fee and one collection fee for the whole case, on the case's dates.
    assert [(s.kind, s.on, [f.amount_ore for f in s.fees]) for s in steps_of(plan)] == [
        ("reminder", date(2026, 4, 7), [6000]), ("demand", date(2026, 4, 23), [18000]),
        ("decision", date(2026, 5, 11), [])]
    assert plan["capital_ore"] == 123450 + 50000 and plan["fees_ore"] == 24000

    claim, planned, owed = planned_after_registering(alice_co, alice, REGISTERED_ON)
    assert claim.pk == case.pk and Claim.objects.count() == 1
    assert steps_of(plan) == planned
    assert plan["total_ore"] == owed.total_owed_ore
    assert plan["owed"].interest_accrued_ore == owed.interest_accrued_ore > 0
    assert [row["interest_ore"] for row in plan["steps"]][-1] == owed.interest_accrued_ore


def test_after_the_reminder_the_plan_goes_on_from_the_demand_without_a_second_fee(
        alice_client, alice_co, alice):
    with time_machine.travel(REGISTERED_ON, tick=False):
        case = register(alice_co, alice, **old_invoice())
    collect_until(until=date(2026, 4, 7))
    day = date(2026, 4, 10)
    alice_client.cookies["django_language"] = "en"
    response, plan = preview_on(alice_client, alice, day)

    assert plan["join"]["claim"].pk == case.pk
    assert [(s.kind, s.on, [f.kind for f in s.fees]) for s in steps_of(plan)] == [
        ("demand", date(2026, 4, 23), ["collection_fee"]), ("decision", date(2026, 5, 11), [])]
    assert plan["fees_ore"] == 6000 + 18000  # the reminder's fee, booked, and the demand's
    html = response.content.decode()
    assert 'data-testid="plan-join-reminder"' in html
    assert "The case's reminder went out on 2026-04-07 (to pay by 2026-04-17)" in html
    assert f"The invoice is added to case {case.case_number}" in html

    claim, planned, owed = planned_after_registering(alice_co, alice, day)
    assert claim.pk == case.pk
    assert steps_of(plan) == planned
    assert plan["total_ore"] == owed.total_owed_ore


def test_a_payment_on_the_case_is_in_the_plans_total(alice_client, alice_co, alice):
    with time_machine.travel(REGISTERED_ON, tick=False):
        case = register(alice_co, alice, **old_invoice())
    with time_machine.travel(date(2026, 4, 3), tick=False):
        claim_report_direct_payment(claim=case, amount_ore=20000, paid_on=date(2026, 4, 3),
                                    today=date(2026, 4, 3))
    response, plan = preview_on(alice_client, alice, date(2026, 4, 3))
    assert plan["paid_ore"] == 20000
    assert 'data-testid="plan-total-paid"' in response.content.decode()
    _claim, planned, owed = planned_after_registering(alice_co, alice, date(2026, 4, 3))
    assert steps_of(plan) == planned and plan["total_ore"] == owed.total_owed_ore


@pytest.mark.parametrize("status", [s for s in Status.values if s not in JOINABLE])
def test_a_case_past_its_demand_or_closed_is_not_joined(alice_client, alice_co, alice, status):
    case = register(alice_co, alice, invoice_number="F-1")
    Claim.objects.filter(pk=case.pk).update(status=status)
    response, plan = preview(alice_client, invoice_number="F-2")
    assert plan["join"] is None and len(steps_of(plan)) == 3
    assert 'data-testid="plan-join"' not in response.content.decode()


def test_another_debtor_or_an_identity_not_yet_valid_is_a_new_case(alice_client, alice_co,
                                                                   alice):
    register(alice_co, alice, invoice_number="F-1")
    for identity in ("", "19811228", "19811228-9875", another_debtor(1)["debtor_identity_number"]):
        _, plan = preview(alice_client, invoice_number="F-2", debtor_identity_number=identity)
        assert plan["join"] is None, identity
        assert plan["capital_ore"] == 123450  # the new invoice alone


def test_the_join_is_said_while_the_plan_still_needs_fields(alice_client, alice_co, alice):
    case = register(alice_co, alice, invoice_number="F-1")
    response, plan = preview(alice_client, invoice_number="F-2", amount="")
    assert plan["needs"] and plan["join"]["claim"].pk == case.pk
    html = response.content.decode()
    assert 'data-testid="plan-join"' in html and 'data-testid="plan-needs"' in html


def test_a_changed_debtor_kind_is_said_and_planned_as_the_registration_will_do(
        alice_client, alice_co, alice):
    """An enskild firma's personnummer as a company: debtor_upsert changes the kind for the
    whole case, so its fees become the company's."""
    case = register(alice_co, alice, invoice_number="F-1")
    response, plan = preview(alice_client, invoice_number="F-2", debtor_kind="company")
    assert plan["join"]["claim"].pk == case.pk and plan["join"]["kind_changes"]
    assert 'data-testid="plan-join-kind"' in response.content.decode()
    fees = [(s.kind, f.kind) for s in steps_of(plan) for f in s.fees]
    assert fees == [("demand", "late_payment_compensation")]
    _, same = preview(alice_client, invoice_number="F-2")
    assert not same["join"]["kind_changes"]


def test_charlies_identical_debtor_never_shows_alices_case(client, alice, alice_co, charlie,
                                                          charlie_co):
    alices = register(alice_co, alice, invoice_number="F-1", amount="9876,50")
    client.force_login(charlie)
    response, plan = preview(client, invoice_number="F-2")
    html = response.content.decode()
    assert plan["join"] is None
    assert alices.case_number not in html and f"/arenden/{alices.pk}/" not in html
    assert "9\u00a0876,50" not in html and "plan-join" not in html

    # Charlie's own case for the same person is his to see, and only his is.
    charlies = register(charlie_co, charlie, invoice_number="C-1")
    _, plan = preview(client, invoice_number="C-2")
    assert plan["join"]["claim"].pk == charlies.pk
    client.force_login(alice)
    _, plan = preview(client, invoice_number="F-2")
    assert plan["join"]["claim"].pk == alices.pk


def test_joining_writes_nothing_and_takes_no_lock(alice_client, alice_co, alice):
    register(alice_co, alice, invoice_number="F-1")
    before = [m.objects.count() for m in (Claim, Debtor, Invoice, LedgerEntry, Event)]
    with CaptureQueriesContext(connection) as queries:
        _, plan = preview(alice_client, invoice_number="F-2", debtor_name="Ny Namnsson",
                          debtor_street="Ny väg 9")
    assert plan["join"] is not None
    sql = [q["sql"] for q in queries]
    writes = [s for s in sql if not s.lstrip().upper().startswith(("SELECT", "SAVEPOINT",
                                                                     "RELEASE"))]
    assert [s for s in writes if "django_session" not in s] == []
    assert not [s for s in sql if "FOR UPDATE" in s.upper() or s.upper().startswith("BEGIN")]
    assert [m.objects.count() for m in (Claim, Debtor, Invoice, LedgerEntry, Event)] == before
    assert Debtor.objects.get().name == "Dan Gäldenär"  # not refreshed by a preview


def test_the_panel_is_redrawn_when_the_identity_number_changes(alice_client):
    html = alice_client.get("/arenden/nytt/").content.decode()
    trigger = html.split('hx-trigger="')[1].split('"')[0]
    params = html.split('hx-params="')[1].split('"')[0].split(",")
    assert sorted(params) == sorted(PLAN_FIELDS + JOIN_FIELDS)
    for name in params:
        assert f"#id_{name}" in trigger, name


def test_a_name_other_than_the_cases_is_said(alice_client, alice_co, alice):
    """A mistyped identity number can hit another debtor's case: the panel names its debtor."""
    register(alice_co, alice, invoice_number="F-1")
    response, plan = preview(alice_client, invoice_number="F-2", debtor_name="Eva Annan")
    assert plan["join"]["name_differs"]
    html = response.content.decode()
    assert 'data-testid="plan-join-name"' in html and "Dan Gäldenär" in html
    for same in ("Dan Gäldenär", "  dan   GÄLDENÄR ", ""):
        response, plan = preview(alice_client, invoice_number="F-2", debtor_name=same)
        assert not plan["join"]["name_differs"], same
        assert 'data-testid="plan-join-name"' not in response.content.decode()
