"""Solvency checks end to end: claims awaiting their decision are checked with the credit
bureau client against ekrav's simulator over real HTTP, and each creditor's policy decides
what it can; the rest wait in the decision inbox. A bureau that is down stops the run, which
the next one resumes."""

from datetime import date

import httpx
import pytest

from claims.collection import collect_until
from claims.creditinfo import CreditInfoClient
from claims.decisions import claims_to_check, solvency_checks_run
from claims.models import Claim, Decision, SolvencyCheck, Status
from creditors.models import CollectionPolicy
from ekrav.identifiers import luhn_check_digit
from tests.claims.test_collection import register_on

DECISION_DAY = date(2026, 5, 11)
USER, PASSWORD = "ekrav-test", "not-in-logs"


def person(digit: str, n: int = 0) -> str:
    """A personnummer the simulator reports on by ``digit`` (claims.creditinfo_simulator)."""
    born, serial = f"197001{n + 1:02d}", f"{digit}00"
    return f"{born}-{serial}{luhn_check_digit(born[2:] + serial)}"


@pytest.fixture
def base(live_server):
    return live_server.url + "/sim/kreditupplysning"


@pytest.fixture
def bureau(base):
    client = CreditInfoClient(base, USER, PASSWORD, timeout=5)
    yield client
    client.close()


@pytest.fixture
def sim_credentials(settings):
    settings.CREDITINFO_USERNAME, settings.CREDITINFO_PASSWORD = USER, PASSWORD


def waiting_claims(creditor, digits):
    claims = [register_on(creditor, invoice_number=f"F-{n}", debtor_identity_number=person(d, n),
                          debtor_name=f"Gäldenär {d}")
              for n, d in enumerate(digits)]
    collect_until(until=DECISION_DAY)
    return [Claim.objects.get(pk=c.pk) for c in claims]


def automatic(creditor, min_capital_ore=100_000):
    CollectionPolicy.objects.filter(creditor=creditor).update(
        decide_automatically=True, kronofogden_min_capital_ore=min_capital_ore)


def test_the_policy_decides_what_it_can_and_leaves_the_rest(transactional_db, alice_co, bureau,
                                                            sim_credentials):
    automatic(alice_co)  # capital 1 234,50 kr: Kronofogden for a solvent debtor
    solvent, remarks, deceased, frozen = waiting_claims(alice_co, "0476")
    done = solvency_checks_run(today=DECISION_DAY, client=bureau)
    assert done == {"checked": 4, "decided": 2, "failed": 0}
    status = {c.pk: c.status for c in Claim.objects.all()}
    assert status[solvent.pk] == Status.AT_KRONOFOGDEN
    assert status[remarks.pk] == Status.SURVEILLANCE
    assert status[deceased.pk] == status[frozen.pk] == Status.AWAITING_DECISION
    assert SolvencyCheck.objects.get(claim=remarks).payment_remarks == 2
    assert SolvencyCheck.objects.get(claim=frozen).outcome == "debt_restructuring"
    assert set(Decision.objects.values_list("by_policy", flat=True)) == {True}
    # Checked once: a second run takes no new report.
    assert solvency_checks_run(today=DECISION_DAY, client=bureau)["checked"] == 0


def test_below_the_threshold_a_solvent_debtor_goes_to_surveillance(transactional_db, alice_co,
                                                                     bureau, sim_credentials):
    automatic(alice_co, min_capital_ore=500_000)
    (claim,) = waiting_claims(alice_co, "1")
    solvency_checks_run(today=DECISION_DAY, client=bureau)
    assert Claim.objects.get(pk=claim.pk).status == Status.SURVEILLANCE


def test_without_automatic_decisions_every_claim_waits_with_its_check(transactional_db,
                                                                        alice_co, bureau,
                                                                        sim_credentials):
    (claim,) = waiting_claims(alice_co, "0")
    assert solvency_checks_run(today=DECISION_DAY, client=bureau) == {
        "checked": 1, "decided": 0, "failed": 0}
    assert Claim.objects.get(pk=claim.pk).status == Status.AWAITING_DECISION
    assert SolvencyCheck.objects.get(claim=claim).outcome == "solvent"


def test_a_bureau_that_is_down_stops_the_run_and_the_next_resumes(transactional_db, alice_co,
                                                                  base, bureau,
                                                                  sim_credentials):
    automatic(alice_co)
    first, second = waiting_claims(alice_co, "01")
    identity = first.debtor.identity_number
    httpx.post(f"{base}/_control/subjects/{identity}", json={"behaviour": "fail"})
    assert solvency_checks_run(today=DECISION_DAY, client=bureau)["checked"] == 0
    assert not SolvencyCheck.objects.exists() and list(claims_to_check()) == [first, second]
    httpx.post(f"{base}/_control/subjects/{identity}", json={"behaviour": "solvent"})
    assert solvency_checks_run(today=DECISION_DAY, client=bureau)["checked"] == 2


def test_a_report_refused_for_one_debtor_leaves_that_claim_to_its_creditor(
        transactional_db, alice_co, base, sim_credentials):
    automatic(alice_co)
    (claim,) = waiting_claims(alice_co, "0")
    wrong = CreditInfoClient(base, USER, PASSWORD, timeout=5)
    httpx.post(f"{base}/_control/subjects/{claim.debtor.identity_number}",
               json={"behaviour": "malformed"})
    assert solvency_checks_run(today=DECISION_DAY, client=wrong) == {
        "checked": 0, "decided": 0, "failed": 1}
    assert Claim.objects.get(pk=claim.pk).status == Status.AWAITING_DECISION
    wrong.close()
