"""Charlie, who must see nothing of alice's: every creditor-facing URL and API endpoint that
takes an object id is requested as charlie with alice's ids, and every one answers 404.

The routes are read from the URL configuration, so a new route with an id fails here until it
is covered (added to ``ids``) — tenancy is not something to remember, it is checked.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from django.core.files.base import ContentFile

from claims.models import ClaimImport, Dispute, DisputeAttachment, PaymentPlan, Step
from creditors.models import ApiKey, Membership
from creditors.services import api_key_create
from letters.models import Letter
from payments.models import Settlement
from tests.conftest import another_debtor, register

pytestmark = pytest.mark.django_db

# sim/: the simulators of outside systems (Kivra, ...) hold no creditor's data.
SKIP_PREFIXES = ("admin/", "konto/", "i18n/", "inbjudan/", "sim/")
PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def routes(patterns=None, prefix=""):
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from routes(p.url_patterns, route)
        elif isinstance(p, URLPattern) and PARAM.search(route):
            yield route.lstrip("^").rstrip("$")


def fill(route, ids):
    def sub(match):
        name = match.group(2)
        if name not in ids:
            pytest.fail(f"{route}: add '{name}' to the tenancy test")
        return str(ids[name])
    return "/" + PARAM.sub(sub, route)


@pytest.fixture
def alice_objects(alice_co, alice, bob):
    claim = register(alice_co, alice)
    register(alice_co, alice, invoice_number="F-2", **another_debtor(1))
    invoice = claim.invoices.get()
    imported = ClaimImport.objects.create(creditor=alice_co, filename="a.csv", sha256="0" * 64,
                                          encoding="utf-8", delimiter=";")
    key, _secret = api_key_create(creditor=alice_co, name="k")
    step = Step.objects.create(claim=claim, kind="reminder", taken_on=claim.registered_on,
                               deadline=claim.registered_on)
    letter = Letter.objects.create(claim=claim, step=step, kind="reminder", state="sent",
                                   channel="print", letter_date=claim.registered_on,
                                   sent_on=claim.registered_on,
                                   pdf=ContentFile(b"%PDF-1.4 alice", name="r.pdf"))
    return {
        "claim_id": claim.pk, "id": claim.pk, "invoice_id": invoice.pk,
        "import_id": imported.pk, "key_id": key.pk, "letter_id": letter.pk,
        "membership_id": Membership.objects.get(user=bob).pk,
        # A Swish payment request id (Mitt Ärende's pay pages, Swish's callback): none is
        # charlie's to see, and an unknown one is not there.
        "instruction_id": "0" * 32,
        "settlement_id": Settlement.objects.create(
            creditor=alice_co, day=claim.registered_on, capital_ore=0, interest_ore=0,
            fees_ore=0, payout_ore=0, bankgiro="50501055",
            pdf=ContentFile(b"%PDF-1.4 alice", name="a.pdf")).pk,
        # An objection waiting for alice's position (claims.disputes).
        "dispute_id": Dispute.objects.create(
            claim=claim, received_on=claim.registered_on, channel="post", reason="other",
            text="x", previous_status=claim.status).pk,
        # A document sent with that objection.
        "attachment_id": DisputeAttachment.objects.create(
            dispute_id=Dispute.objects.get(claim=claim).pk, name="kvitto.pdf",
            content_type="application/pdf", size=14, sha256="0" * 64,
            file=ContentFile(b"%PDF-1.4 alice", name="k.pdf")).pk,
        # An instalment plan waiting for alice's answer (claims.payment_plans).
        "plan_id": PaymentPlan.objects.create(
            claim=claim, status="requested", months=12, first_due=claim.registered_on,
            instalments=[], total_ore=100, requested_on=claim.registered_on).pk,
        # The API's catch-all for unknown paths: probe it with a claim-shaped path.
        "rest": f"v1/claims/{claim.pk}/anything",
    }


def test_charlie_gets_404_for_everything_of_alices(alice_objects, charlie_client, charlie_key):
    checked = []
    for route in routes():
        if route.startswith(SKIP_PREFIXES):
            continue
        url = fill(route, alice_objects)
        auth = {"HTTP_AUTHORIZATION": f"Bearer {charlie_key}"} if url.startswith("/api/") else {}
        answers = {
            "GET": charlie_client.get(url, **auth).status_code,
            "POST": charlie_client.post(url, {"reason": "x", "amount": "1", "paid_on": "2026-01-01"},
                                        content_type="application/json" if auth else
                                        "application/x-www-form-urlencoded", **auth).status_code,
        }
        # A method the route does not have (405) reveals nothing; any other answer must be 404.
        assert set(answers.values()) <= {404, 405} and 404 in answers.values(), (url, answers)
        checked.append(url)
    assert any("/arenden/" in u for u in checked) and any(u.startswith("/api/") for u in checked)
    # Nothing of alice's changed hands or state.
    assert not ApiKey.objects.filter(pk=alice_objects["key_id"], revoked_at__isnull=False).exists()
    assert Membership.objects.get(pk=alice_objects["membership_id"]).is_active
    assert Dispute.objects.get(pk=alice_objects["dispute_id"]).position == ""
    assert PaymentPlan.objects.get(pk=alice_objects["plan_id"]).status == "requested"


def test_alices_own_requests_succeed(alice_objects, alice_client):
    # The same URLs are reachable for their owner: the 404s above are tenancy, not typos.
    assert alice_client.get(f"/arenden/{alice_objects['claim_id']}/").status_code == 200
    assert alice_client.get(f"/import/{alice_objects['import_id']}/").status_code == 200


def test_charlies_list_shows_none_of_alices_claims(alice_objects, charlie_client):
    response = charlie_client.get("/?q=F-2")
    assert response.context["rows"] == []
