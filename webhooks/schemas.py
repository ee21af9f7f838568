"""The webhook payloads as pydantic models, for the OpenAPI document's top-level ``webhooks``
section (OpenAPI 3.1): ``openapi_webhooks`` adds one entry per event type to the API's schema
(claims.api). The payloads themselves are built by ``webhooks.payloads``; a test checks each
built payload against its model here."""

import datetime
from typing import Literal, Optional

from django.utils import translation
from pydantic import BaseModel, Field

from webhooks.models import EventType
from webhooks.services import BACKOFF, TIMEOUT_SECONDS

Money = str  # SEK as a decimal string with two decimals, as in the API ("1234.50")


class WebhookCreditor(BaseModel):
    organisation_number: str


class WebhookClaim(BaseModel):
    id: int = Field(..., description="The claim's id in the API: GET /v1/claims/{id}.")
    case_number: str
    ocr: str
    status: str = Field(..., description="The claim's status now (the API's `status`).")


class WebhookInvoice(BaseModel):
    invoice_number: str
    invoice_date: datetime.date
    due_date: datetime.date
    amount: Money = Field(..., examples=["1234.50"])
    description: str


class ClaimRegisteredData(BaseModel):
    claim: WebhookClaim
    invoice: WebhookInvoice
    joined_existing_case: bool = Field(
        ..., description="true: the invoice joined the debtor's open case (as in the API).")


class StatusChangedData(BaseModel):
    claim: WebhookClaim
    previous_status: str
    status: str


class DecisionNeededData(BaseModel):
    claim: WebhookClaim


class WebhookLetter(BaseModel):
    id: int
    kind: str = Field(..., description="reminder (påminnelse), demand (inkassokrav), ...")
    channel: Literal["digital_mailbox", "print"]
    sent_on: datetime.date
    deadline: Optional[datetime.date]


class LetterSentData(BaseModel):
    claim: WebhookClaim
    letter: WebhookLetter


class WebhookPayment(BaseModel):
    amount: Money
    paid_on: datetime.date
    source: str = Field(..., description="bgmax, swish, card or trustly.")
    surplus: Money = Field(..., description="Paid beyond the debt, held for refund.")


class PaymentReceivedData(BaseModel):
    claim: WebhookClaim
    payment: WebhookPayment
    claim_paid_in_full: bool


class WebhookSettlement(BaseModel):
    id: int
    day: datetime.date = Field(..., description="The day whose payments are settled.")
    payout_on: datetime.date = Field(..., description="The bank day the payout arrives.")
    payout: Money
    capital: Money
    interest: Money
    outlays_deducted: Money
    commission: Money
    bankgiro: str
    cases: int


class SettlementPaidData(BaseModel):
    settlement: WebhookSettlement


class WebhookEndpointRef(BaseModel):
    id: int
    url: str


class PingData(BaseModel):
    endpoint: WebhookEndpointRef


DATA = {
    EventType.CLAIM_REGISTERED: ClaimRegisteredData,
    EventType.CLAIM_STATUS_CHANGED: StatusChangedData,
    EventType.DECISION_NEEDED: DecisionNeededData,
    EventType.LETTER_SENT: LetterSentData,
    EventType.PAYMENT_RECEIVED: PaymentReceivedData,
    EventType.SETTLEMENT_PAID: SettlementPaidData,
    EventType.PING: PingData,
}


def _event_model(event_type, data_model):
    name = "Webhook" + data_model.__name__.removesuffix("Data") + "Event"
    annotations = {"id": str, "type": Literal[str(event_type)], "created": datetime.datetime,
                   "creditor": WebhookCreditor, "data": data_model}
    return type(name, (BaseModel,), {
        "__annotations__": annotations,
        "__doc__": f"The `{event_type}` event.",
        "id": Field(..., description="evt_…: the event's id, the same on every retry."),
    })


EVENTS = {t: _event_model(t, model) for t, model in DATA.items()}

_backoff_text = [f"{int(d.total_seconds() // 3600)} h" if d.total_seconds() >= 3600
                 else f"{int(d.total_seconds() // 60)} min" for d in BACKOFF]
SIGNATURE_DOC = f"""

## Webhooks

Register endpoints under *Webhooks* in the portal's company menu. Each event (see `webhooks`
in this document) is POSTed as JSON with the headers `Ekrav-Event` (the type),
`Ekrav-Event-Id`, `Ekrav-Delivery` and `Ekrav-Signature: t=<unix seconds>,v1=<hex>`, where
`v1` is HMAC-SHA256 with the endpoint's secret over `"<t>.<raw body>"`; after a secret
rotation a second `v1` (the old secret) is sent for 24 hours. Verify before trusting:

```python
expected = hmac.new(secret.encode(), f"{{t}}.".encode() + body, hashlib.sha256).hexdigest()
ok = any(hmac.compare_digest(expected, v1) for v1 in signatures) and abs(time.time() - t) < 300
```

Answer 2xx within {TIMEOUT_SECONDS:.0f} seconds; otherwise the delivery is retried after
{", ".join(_backoff_text)}, then marked failed (it can be sent again from the portal).
Redirects are not followed. Deduplicate on the event's `id`."""

HEADERS = [
    {"name": "Ekrav-Signature", "in": "header", "required": True,
     "schema": {"type": "string"},
     "description": "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, \"<t>.<raw body>\")>"},
    {"name": "Ekrav-Event", "in": "header", "required": True, "schema": {"type": "string"}},
    {"name": "Ekrav-Event-Id", "in": "header", "required": True, "schema": {"type": "string"}},
    {"name": "Ekrav-Delivery", "in": "header", "required": True,
     "schema": {"type": "string"}},
]


def _english(text) -> str:
    with translation.override("en"):
        return str(text)


def openapi_webhooks(schema: dict) -> dict:
    """``schema`` with a ``webhooks`` entry per event type and the payloads' components."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    webhooks = schema.setdefault("webhooks", {})
    for event_type, model in EVENTS.items():
        json_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(json_schema.pop("$defs", {}))
        components[model.__name__] = json_schema
        webhooks[str(event_type)] = {"post": {
            "summary": _english(event_type.label), "operationId": f"webhook_{event_type}".replace(
                ".", "_"),
            "tags": ["webhooks"], "parameters": HEADERS,
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}},
            "responses": {"200": {"description": "Any 2xx: delivered. Anything else, or no "
                                                 "answer in time: retried with backoff."}},
        }}
    info = schema.setdefault("info", {})
    info["description"] = (info.get("description") or "") + SIGNATURE_DOC
    return schema
