"""The registration form's planned timeline ("Det här händer om du registrerar"): the engine's
plan for a claim that does not exist yet, with the interest by each step, and nothing saved."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from claims.forms import ClaimForm
from claims.engine import REGISTERED, Snapshot, planned_steps
from claims.interest import CapitalChange, ReferenceRate as Rate, interest_lines
from claims.models import Claim, Event, Invoice, LedgerEntry, ReferenceRate
from claims.selectors import claim_policy, claim_snapshots, fee_caps_on, policy_of
from debtors.models import Debtor
from tests.conftest import register, registration_data

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
