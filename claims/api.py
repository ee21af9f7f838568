"""API v1: creditors' systems register and follow claims over JSON (django-ninja).

The contract (issue 2, "API v1") is relied on by integrations; change it only by adding.
Thin: every write goes through ``claims.services``, every rule through ``parse_registration``;
this module only maps JSON to them and their errors to one envelope (see ``DESCRIPTION``).
The portal is Swedish, the API plain English: every operation runs in ``translation.override``.
"""

import datetime
import functools
import re
from decimal import Decimal
from typing import Annotated, Any, Literal, Optional, Union

from django.core.exceptions import SuspiciousOperation
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.utils import timezone, translation
from ninja import Field, NinjaAPI, Path, Query, Router, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.responses import Status as HttpStatus
from ninja.security import HttpBearer
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainValidator,
    StrictBool,
    WithJsonSchema,
    field_validator,
)

from claims.models import Claim, LedgerEntry, Status
from claims.peppol import PeppolError, invoice_document, read_invoice, registration_of
from claims.registration import parse_registration
from claims.selectors import LatePage, balances_for, claim_balance, claim_list
from claims.services import (
    ClaimError,
    claim_report_direct_payment,
    claim_withdraw,
    invoice_register,
)
from creditors.models import PartnerApiKey, PartnerOnboarding
from creditors.partners import (
    creditor_identity,
    partner_creditor,
    partner_creditors,
    partner_key_authenticate,
    partner_onboarding_create,
    partner_onboarding_url,
)
from creditors.services import CreditorError, api_key_authenticate
from ekrav import audit, idempotency
from ekrav.identifiers import IdentifierError, format_identity
from ekrav.money import MoneyError, ore_to_str, parse_sek
from letters.models import Letter  # the API shows what the letters room sent
from webhooks.schemas import openapi_webhooks

PAGE_SIZE = 50
MAX_PAGE = 1_000_000
MAX_ID = 2**63 - 1  # BigAutoField

# parse_registration's flat keys -> the API's nested field paths.
FIELD_PATHS = {
    "debtor_kind": "debtor.kind",
    "debtor_identity_number": "debtor.identity_number",
    "debtor_name": "debtor.name",
    "debtor_street": "debtor.address.street",
    "debtor_postal_code": "debtor.address.postal_code",
    "debtor_city": "debtor.address.city",
    "debtor_country": "debtor.address.country",
    "debtor_email": "debtor.email",
    "debtor_phone": "debtor.phone",
}
ERROR_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               409: "conflict", 422: "validation_error", 429: "too_many_requests"}


# --- Input types -------------------------------------------------------------------------------


def _storable(value: str) -> str:
    # NUL and lone surrogates pass JSON but not PostgreSQL or UTF-8: refuse them here, not as a 500.
    if "\x00" in value:
        raise ValueError("Contains a NUL character.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("Contains characters that are not valid Unicode text.") from None
    return value


def Text(max_length: int, **extra: Any):  # noqa: N802 - reads as a type in the schemas
    return Annotated[str, Field(max_length=max_length, **extra), AfterValidator(_storable)]


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def _iso_date(value: Any) -> datetime.date:
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            raise ValueError("Not a real date.") from None
    raise ValueError("Enter a date as YYYY-MM-DD.")


IsoDate = Annotated[datetime.date, BeforeValidator(_iso_date)]


def _amount(value: Any) -> Union[str, int, Decimal]:
    # bool is an int and a float is inexact: numbers pass as their shortest decimal text.
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError('Enter the amount as a decimal string, e.g. "1234.50".')
    if isinstance(value, float):
        return Decimal(repr(value))
    return _storable(value) if isinstance(value, str) else value


Amount = Annotated[
    Union[str, int, Decimal],
    PlainValidator(_amount),
    WithJsonSchema({
        "anyOf": [{"type": "string", "maxLength": 30}, {"type": "number"}],
        "description": 'SEK as a decimal string with at most two decimals, e.g. "1234.50" '
                       "(a JSON number is accepted too); greater than 0 and at most "
                       "100 000 000.",
        "examples": ["1234.50"],
    }),
]
Money = Annotated[str, Field(pattern=r"^-?\d+\.\d{2}$", examples=["1234.50"])]
StatusName = Literal[tuple(Status.values)]  # type: ignore[valid-type]


class AddressIn(BaseModel):
    street: Text(200)
    postal_code: Text(10, examples=["123 45"])
    city: Text(100)
    country: Optional[Text(60)] = Field(
        None, description='Only Swedish addresses are handled: omit, or "SE" / "Sweden".')


class DebtorIn(BaseModel):
    kind: Literal["person", "company"]
    identity_number: Text(20, description="Personnummer (samordningsnummer accepted) for a "
                                          "person, organisationsnummer for a company.")
    name: Text(200)
    address: AddressIn
    email: Optional[Text(254)] = None
    phone: Optional[Text(20)] = None


class ClaimIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "debtor": {"kind": "person", "identity_number": "19811228-9874",
                   "name": "Dan Gäldenär", "email": "dan@example.se",
                   "address": {"street": "Lillgatan 2", "postal_code": "123 45",
                               "city": "Uppsala"}},
        "invoice_number": "F-1001", "invoice_date": "2025-01-10", "due_date": "2025-02-09",
        "amount": "1234.50", "description": "Målning av staket", "reminder_fee_agreed": True,
    }]})

    debtor: DebtorIn
    invoice_number: Text(50)
    invoice_date: IsoDate
    due_date: IsoDate = Field(..., description="Must be before today: only overdue invoices.")
    amount: Amount
    description: Text(200, description="What the invoice concerns.")
    reminder_fee_agreed: StrictBool


class WithdrawIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "Settled directly"}]})

    reason: Text(500)


class PaymentIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"amount": "500.00", "paid_on": "2025-03-01"}]})

    amount: Amount
    paid_on: IsoDate


class ClaimFilter(Schema):
    status: Annotated[Optional[StatusName], WithJsonSchema(
        {"type": "string", "enum": Status.values,
         "description": "Only claims in this status; omit for all."})] = None
    page: int = Field(1, ge=1, le=MAX_PAGE)

    @field_validator("status", mode="before")
    @classmethod
    def _blank_is_all(cls, value):
        return value or None


# --- Output ------------------------------------------------------------------------------------


class AddressOut(Schema):
    street: str
    postal_code: str
    city: str


class DebtorOut(Schema):
    kind: Literal["person", "company"]
    identity_number: str
    name: str
    address: AddressOut
    email: Optional[str]
    phone: Optional[str]


class RemainingOut(Schema):
    capital: Money
    interest: Money
    fees: Money


class BalanceOut(Schema):
    capital: Money = Field(..., description="Capital registered (every invoice).")
    interest: Money = Field(..., description="Late-payment interest booked so far.")
    fees: Money = Field(..., description="Statutory fees charged.")
    paid: Money = Field(..., description="Every payment: to the agency and reported direct.")
    surplus: Money = Field(..., description="Paid beyond the debt, held for refund.")
    outstanding: Money = Field(..., description="capital + interest + fees - (paid - surplus)")
    remaining: RemainingOut = Field(
        ..., description="What is still owed of each component after every payment was "
                         "allocated costs -> interest -> capital; the parts sum to `outstanding`.")


class AllocationOut(Schema):
    kind: Literal["paid_costs", "paid_interest", "paid_capital", "surplus"]
    amount: Money


class LedgerRowOut(Schema):
    date: datetime.date
    kind: Literal["capital", "interest", "fee", "payment", "direct_payment",
                  "written_off_capital", "written_off_interest"] = Field(
        ..., description="A charge (capital, interest, fee), a payment, or what was written off "
                         "when the creditor withdrew an invoice after a partial objection.")
    amount: Money
    legal_basis: str
    allocations: list[AllocationOut] = Field(
        ..., description="For a payment: how it was used (costs, then interest, then capital; "
                         "what exceeds the debt is held for refund). Empty for a charge.")


class EventOut(Schema):
    date: datetime.date
    kind: str
    text: str


class LetterOut(Schema):
    kind: Literal["reminder", "demand"] = Field(
        ..., description="reminder: påminnelse (PÅM); demand: inkassokrav (IK).")
    sent_on: datetime.date = Field(..., description="The day the letter left ekrav.")
    channel: Literal["digital_mailbox", "print"] = Field(
        ..., description="digital_mailbox: the debtor's Kivra inbox; print: posted on paper.")
    deadline: Optional[datetime.date] = Field(..., description="The letter's payment deadline.")
    pdf_url: str = Field(..., description="The letter as sent (PDF), with the same API key.")


class InvoiceOut(Schema):
    invoice_number: str
    invoice_date: datetime.date
    due_date: datetime.date
    amount: Money
    description: str
    payment_reference: Optional[str] = Field(
        None, description="The OCR (or other reference) printed on the creditor's own invoice, "
                          "when the claim came from an e-invoice; not the case's `ocr`.")
    payee_bankgiro: Optional[str] = Field(
        None, description="The bankgiro printed on the creditor's own invoice (digits), "
                          "when the claim came from an e-invoice.")


class ClaimOut(Schema):
    id: int
    case_number: str
    ocr: str
    status: StatusName
    debtor: DebtorOut
    invoice_number: str = Field(..., description="The case's first invoice (the one that "
                                                 "opened it); every invoice is in `invoices`.")
    due_date: datetime.date = Field(..., description="The due date of `invoice_number`.")
    registered_on: datetime.date
    invoices: list[InvoiceOut] = Field(
        ..., description="Every invoice of the case, in the order registered: an invoice "
                         "registered for the same debtor before the case's collection demand "
                         "went out joins the case (one letter and one fee per step).")
    balance: BalanceOut
    events: list[EventOut]
    letters: list[LetterOut] = Field(..., description="Letters sent, oldest first; held or "
                                                      "cancelled letters are not listed.")


class ClaimRegisteredOut(ClaimOut):
    joined_existing_case: bool = Field(
        ..., description="false: the invoice opened a new case (a new `id`). true: it joined "
                         "the debtor's open case, whose collection demand had not gone out yet; "
                         "that case is returned (an `id` seen before), with this invoice in "
                         "`invoices`.")


class ClaimPage(Schema):
    items: list[ClaimOut]
    page: int
    pages: int = Field(..., description="Number of pages, at least 1. A page past the last "
                                        "is empty, not an error.")
    count: int = Field(..., description="Claims matching the filter, on all pages.")


class ErrorOut(Schema):
    error: str = Field(..., description="Machine-readable code, e.g. validation_error.")
    message: str
    fields: dict[str, list[str]] = Field(
        ..., description="Each bad field (nested path, e.g. debtor.address.postal_code) and "
                         "why; empty when the error is not about a field.")


def _errors(*codes: int) -> dict:
    return {code: ErrorOut for code in codes}


class RuleOut(Schema):
    id: str = Field(..., description="The rule's identifier: an official Peppol BIS Billing "
                                      "3.0 / EN 16931 one (BR-CO-15, PEPPOL-EN16931-R001...) "
                                      "or ekrav's own (EKRAV-SELLER, EKRAV-CURRENCY...).")
    message: str = Field(..., description="The rule's text (the official text for official "
                                          "rules).")
    path: str = Field(..., description="Where in the invoice, e.g. "
                                       "/Invoice/cac:LegalMonetaryTotal/cbc:PayableAmount.")


class InvoiceErrorOut(ErrorOut):
    rules: list[RuleOut] = Field(
        [], description="With `invalid_invoice`: every rule the e-invoice breaks. `fields` "
                        "then names the claim's fields the invoice's values are refused for "
                        "(as `POST /v1/claims` would refuse them).")


# --- The API -----------------------------------------------------------------------------------


CREDITOR_HEADER = "Ekrav-Creditor"
NOT_GRANTED = "No creditor with this organisation number has given you access."


class ApiRefusal(Exception):
    """A request refused while it is authenticated, with the envelope's code."""

    def __init__(self, status: int, code: str, message: str, fields=None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields


def _creditor_named(request) -> Optional[str]:
    """The creditor the Ekrav-Creditor header names (its stored identity), or None."""
    value = request.headers.get(CREDITOR_HEADER, "").strip()
    if not value:
        return None
    try:
        return creditor_identity(value, today=timezone.localdate())
    except IdentifierError as exc:
        raise ApiRefusal(400, "creditor_invalid", str(exc),
                         {CREDITOR_HEADER: [str(exc)]}) from None


class ApiKeyAuth(HttpBearer):
    """A creditor's key acts for its creditor; a partner's key (issue 7) for the creditor the
    Ekrav-Creditor header names, if it granted the partner access. Either way ``request.auth``
    is the creditor acted for, so the endpoints are the same; ``request.partner`` is the
    partner acting, or None."""

    def authenticate(self, request, token):
        token = token.strip()
        request.partner = None
        if token.startswith(PartnerApiKey.PREFIX):
            return self._partner_acts(request, token)
        key = api_key_authenticate(token)
        if key is not None:
            named = _creditor_named(request)
            if named is not None and named != key.organisation_number:
                raise ApiRefusal(404, "creditor_not_found", NOT_GRANTED)
            audit.api_key_acts(key)  # the audit trail names the key, not "anonymous"
        return key

    def _partner_acts(self, request, token):
        key = partner_key_authenticate(token)
        if key is None:
            return None
        named = _creditor_named(request)
        if named is None:
            raise ApiRefusal(400, "creditor_required",
                             f"A partner key names the creditor it acts for: send "
                             f"'{CREDITOR_HEADER}: <organisation number>'.")
        # Unknown, not granted and revoked are one answer: a partner never learns who is a
        # customer of ekrav.
        creditor = partner_creditor(partner=key.partner, identity=named)
        if creditor is None:
            raise ApiRefusal(404, "creditor_not_found", NOT_GRANTED)
        request.partner = key.partner
        audit.partner_key_acts(key, creditor)
        return creditor


class PartnerKeyAuth(HttpBearer):
    """The partner's own endpoints: a partner key, no creditor named; ``request.auth`` is the
    partner. A creditor's key finds nothing here (404), as it finds no other tenant's data."""

    def authenticate(self, request, token):
        token = token.strip()
        key = partner_key_authenticate(token)
        if key is None:
            if api_key_authenticate(token) is not None:
                raise ApiRefusal(404, "not_found", "The partner endpoints take a partner key.")
            return None
        audit.partner_key_acts(key)
        return key.partner


PARTNER_AUTH = PartnerKeyAuth()


def _in_english(run):
    @functools.wraps(run)
    def wrapper(request, *args, **kwargs):
        with translation.override("en"):
            response = run(request, *args, **kwargs)
        response.headers["Content-Language"] = "en"
        return response

    return wrapper


DESCRIPTION = """Register overdue invoices as collection cases (ärenden) and follow them.

Authenticate with `Authorization: Bearer <key>`; keys are created in the portal or by
`manage.py onboard_creditor`. A key sees only its own creditor's claims: any other id is a 404.

An integration partner (e.g. an e-invoicing operator) has a partner key (`ekp_…`) that acts for
every creditor that gave the partner access: each request names the creditor with the header
`Ekrav-Creditor: <organisation number>` (with or without hyphen), and every endpoint then works
as with that creditor's own key. Without the header: 400 `creditor_required`; a malformed number:
400 `creditor_invalid`; a company that has not given access (or revoked it, or is unknown): 404
`creditor_not_found`. A creditor's own key refuses a header naming another company the same
way. The partner's own endpoints are under `/v1/partner/` (tag Partners).
Money is SEK as decimal strings with two decimals ("1234.50"); dates are YYYY-MM-DD.

Every error has the body `{"error": code, "message": text, "fields": {path: [reason]}}`, with
field paths as in the request (`debtor.address.postal_code`). Codes: `bad_request` (400, body
not JSON), `unauthorized` (401), `not_found` (404), `claim_closed` (409), `validation_error`
and `duplicate_invoice` (422). `POST /v1/claims/peppol` (an e-invoice as XML) adds
`invalid_invoice` (422), whose body also has `rules`: `[{"id", "message", "path"}]`, every
Peppol BIS Billing 3.0 / EN 16931 rule (e.g. `BR-CO-15`) or ekrav rule (`EKRAV-*`) it breaks.

One case per debtor: an invoice registered for a debtor whose case with you has not had its
collection demand yet joins that case (the debtor gets one letter and one fee per step). `POST
/v1/claims` then answers 201 with that case and `"joined_existing_case": true`; a case has all
its invoices in `invoices`.

Retries are safe with an `Idempotency-Key` header on any POST (1-255 printable ASCII characters;
a new UUID for each new request): a request repeated with the same key gets the first response
again, with the header `Idempotent-Replayed: true`, and creates nothing (no second claim, letter
or payment). Keys are the creditor's own (a partner acting for it has its own); the first
response is kept 24 hours. Errors the request caused (4xx) are kept too; a server error (5xx) is
not, and nothing of that request was written, so it may be retried. Codes:
`idempotency_key_invalid` (400, a malformed key), `idempotency_key_in_use` (409, the first
request with that key is still running: retry shortly) and `idempotency_key_reused` (422, the key
was used with a different method, path or body)."""


class _Api(NinjaAPI):
    def get_openapi_schema(self, **kwargs):
        # Every POST takes an Idempotency-Key (added in one place: ekrav.idempotency).
        # ... and the webhooks' payloads, as OpenAPI 3.1's top-level `webhooks` (issue 7).
        return _creditor_header_openapi(openapi_webhooks(idempotency.openapi_document(
            super().get_openapi_schema(**kwargs), error_schema=ERROR_SCHEMA)))


ERROR_SCHEMA = {"$ref": "#/components/schemas/ErrorOut"}
api = _Api(title="ekrav API", version="1", urls_namespace="api", auth=ApiKeyAuth(),
               description=DESCRIPTION)
router = Router(tags=["claims"])


def _error(request, status: int, code: str, message: str, fields=None):
    body = {"error": code, "message": str(message), "fields": fields or {}}
    return api.create_response(request, body, status=status)


def _idempotency_scope(request) -> Optional[str]:
    """Whose Idempotency-Keys a request uses: the creditor it acts for; None when it is not
    authenticated (it gets the 401). The one place to change if a key may act for others."""
    # As django-ninja authenticates (the first callback that answers); it does so again in the
    # operation, from the request's memo (creditors.services.bearer_key_find).
    try:
        if "/v1/partner/" in request.path:  # a partner's own endpoints: its own keys
            partner = PARTNER_AUTH(request)
            return f"partner:{partner.pk}" if partner else None
        creditor = next(filter(None, (auth(request) for auth in api.auth)), None)
    except ApiRefusal:  # the operation's authentication gives the answer
        return None
    partner = getattr(request, "partner", None)
    if creditor and partner:  # a partner acting for a creditor: neither's keys but its own
        return f"partner:{partner.pk}:creditor:{creditor.pk}"
    return f"creditor:{creditor.pk}" if creditor else None


# Applied in this order, innermost first: every answer, a replayed one too, is in English.
api.add_decorator(idempotency.idempotent_posts(scope=_idempotency_scope, error=_error),
                  mode="view")
api.add_decorator(_in_english, mode="view")


@api.exception_handler(AuthenticationError)
def _unauthorized(request, exc):
    response = _error(request, 401, "unauthorized",
                      "Send a valid API key as 'Authorization: Bearer <key>'.")
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(ApiRefusal)
def _refused(request, exc: ApiRefusal):
    return _error(request, exc.status, exc.code, exc.message, exc.fields)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, 404, "not_found", "No such claim.")


@api.exception_handler(HttpError)
def _http_error(request, exc):
    if exc.status_code == 400:
        return _error(request, 400, "bad_request", "The request body is not valid JSON.")
    return _error(request, exc.status_code, ERROR_CODES.get(exc.status_code, "error"), exc)


@api.exception_handler(SuspiciousOperation)
def _suspicious(request, exc):
    # e.g. a body over DATA_UPLOAD_MAX_MEMORY_SIZE
    return _error(request, 400, "bad_request", "The request cannot be processed.")


@api.exception_handler(ValidationError)
def _invalid(request, exc):
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        fields.setdefault(_field_path(error.get("loc", ())), []).append(_message(error))
    return _validation_error(request, fields)


def _field_path(loc) -> str:
    source, *rest = loc or ("body",)
    if source == "body":
        rest = rest[1:]  # the view's parameter name ("payload") is not part of the request
    return ".".join(str(part) for part in rest) or str(source)


def _message(error: dict) -> str:
    message = str(error.get("msg", "Invalid value."))
    return message.removeprefix("Value error, ")


def _validation_error(request, fields):
    return _error(request, 422, "validation_error",
                  "Some fields are invalid: " + ", ".join(sorted(fields)) + ".", fields)


def _claim_error(request, exc: ClaimError):
    if exc.code in ("claim_closed", "agreement_not_signed"):
        return _error(request, 409, exc.code, exc.message)
    fields = {FIELD_PATHS.get(k, k): v for k, v in exc.errors.items()}
    if exc.code == "duplicate_invoice":
        return _error(request, 422, "duplicate_invoice", " ".join(fields["invoice_number"]),
                      fields)
    return _validation_error(request, fields)


# --- Reads -------------------------------------------------------------------------------------


SENT_LETTERS = Prefetch("letters", to_attr="sent_letters",
                        queryset=Letter.objects.filter(state=Letter.State.SENT)
                        .order_by("letter_date", "id"))
CHANNELS = {Letter.Channel.DIGITAL: "digital_mailbox", Letter.Channel.PRINT: "print"}


def _claims_of(creditor):
    return (Claim.objects.for_creditor(creditor).select_related("debtor")
            .prefetch_related("invoices", "events", SENT_LETTERS))


def _claim_of(creditor, claim_id: int) -> Claim:
    claim = _claims_of(creditor).filter(pk=claim_id).first()
    if claim is None:
        raise Http404
    return claim


def _claim_out(claim: Claim, balance, request) -> dict:
    debtor = claim.debtor
    invoices = sorted(claim.invoices.all(), key=lambda i: i.pk)  # as registered
    invoice = invoices[0]  # the one that opened the case
    return {
        "id": claim.pk, "case_number": claim.case_number, "ocr": claim.ocr,
        "status": claim.status,
        "debtor": {
            "kind": debtor.kind, "identity_number": format_identity(debtor.identity_number),
            "name": debtor.name,
            "address": {"street": debtor.street, "postal_code": debtor.postal_code,
                        "city": debtor.city},
            "email": debtor.email or None, "phone": debtor.phone or None,
        },
        "invoice_number": invoice.invoice_number, "due_date": invoice.due_date,
        "registered_on": claim.registered_on,
        "invoices": [{"invoice_number": i.invoice_number, "invoice_date": i.invoice_date,
                      "due_date": i.due_date, "amount": ore_to_str(i.amount_ore),
                      "description": i.description,
                      "payment_reference": i.payment_reference or None,
                      "payee_bankgiro": i.payee_bankgiro or None} for i in invoices],
        "balance": {
            "capital": ore_to_str(balance.capital), "interest": ore_to_str(balance.interest),
            "fees": ore_to_str(balance.fees), "paid": ore_to_str(balance.paid),
            "surplus": ore_to_str(balance.surplus),
            "outstanding": ore_to_str(balance.outstanding),
            "remaining": {"capital": ore_to_str(balance.remaining_capital),
                          "interest": ore_to_str(balance.remaining_interest),
                          "fees": ore_to_str(balance.remaining_fees)},
        },
        "events": [{"date": e.occurred_on, "kind": e.kind, "text": e.text}
                   for e in claim.events.all()],
        "letters": [{"kind": letter.kind, "sent_on": letter.sent_on,
                     "channel": CHANNELS[letter.channel], "deadline": letter.deadline,
                     "pdf_url": request.build_absolute_uri(
                         f"/api/v1/claims/{claim.pk}/letters/{letter.pk}/pdf")}
                    for letter in claim.sent_letters],
    }


def _fresh(request, claim_id: int) -> dict:
    claim = _claim_of(request.auth, claim_id)
    return _claim_out(claim, claim_balance(claim), request)


ClaimId = Annotated[int, Path(..., ge=1, le=MAX_ID)]


@router.get("/claims", operation_id="claims_list", summary="List claims",
            response={200: ClaimPage, **_errors(401, 422)})
def claims_list(request, filters: Query[ClaimFilter]):
    """The key's creditor's claims, newest first, 50 a page; ``status`` filters."""
    paginator = Paginator(LatePage(claim_list(creditor=request.auth,
                                              status=filters.status or "")
                                   .prefetch_related("events", SENT_LETTERS)), PAGE_SIZE)
    claims = []
    if filters.page <= paginator.num_pages:
        claims = list(paginator.page(filters.page).object_list)
    balances = balances_for(claims)
    return {"items": [_claim_out(c, balances[c.pk], request) for c in claims],
            "page": filters.page, "pages": paginator.num_pages, "count": paginator.count}


PEPPOL_REQUEST = {"required": True, "description": "One Peppol BIS Billing 3.0 invoice (UBL 2.1 "
                  "Invoice XML, at most 5 MB) as the operator delivered it.",
                  "content": {"application/xml": {"schema": {"type": "string"}},
                              "text/xml": {"schema": {"type": "string"}}}}


# Declared before /claims/{id}: Django tries the routes in order, and {id} matches "peppol".
@router.post("/claims/peppol", operation_id="claim_create_from_peppol",
             summary="Register a claim from a Peppol e-invoice",
             response={201: ClaimRegisteredOut, **_errors(400, 401, 409), 422: InvoiceErrorOut},
             openapi_extra={"requestBody": PEPPOL_REQUEST})
def claim_create_from_peppol(request):
    """Register one overdue invoice from its e-invoice file (Peppol BIS Billing 3.0, UBL),
    sent as the body with `Content-Type: application/xml`: the debtor (the buyer), invoice
    number, dates, amount due (SEK only) and "the invoice concerns" (its lines) are taken from
    the invoice, and an embedded PDF becomes the invoice document. The seller must be the
    key's creditor. Answers as `POST /v1/claims`; an invoice that cannot be registered is a 422
    `invalid_invoice` with every rule it breaks in `rules` (official Peppol / EN 16931 rule ids,
    and ekrav's own `EKRAV-*`) and the refused claim fields in `fields`."""
    if request.content_type not in ("application/xml", "text/xml"):
        return _error(request, 400, "bad_request", "Send the e-invoice as the request body "
                                                   "with Content-Type: application/xml.")
    today = timezone.localdate()
    try:
        invoice = read_invoice(request.body,
                               creditor_identity=request.auth.organisation_number)
    except PeppolError as exc:
        return _invalid_invoice(request, exc.rules, {})
    registration, errors, _notes = registration_of(invoice, today=today)
    if errors:
        return _invalid_invoice(request, [], {FIELD_PATHS.get(k, k): v
                                              for k, v in errors.items()})
    pdf, pdf_name, _note = invoice_document(invoice)
    try:
        registered = invoice_register(creditor=request.auth, registration=registration,
                                      today=today, source=Claim.Source.API, pdf=pdf,
                                      pdf_name=pdf_name)
    except ClaimError as exc:
        return _claim_error(request, exc)
    return HttpStatus(201, {**_fresh(request, registered.claim.pk),
                            "joined_existing_case": registered.joined})


def _invalid_invoice(request, rules, fields):
    reasons = [f"{rule.id}: {rule.message}" for rule in rules]
    reasons += [f"{name}: {' '.join(why)}" for name, why in sorted(fields.items())]
    body = {"error": "invalid_invoice", "fields": fields,
            "message": "The invoice cannot be registered. " + " ".join(reasons),
            "rules": [rule.as_json() for rule in rules]}
    return api.create_response(request, body, status=422)


@router.get("/claims/{id}", operation_id="claim_get", summary="Get a claim",
            response={200: ClaimOut, **_errors(401, 404, 422)})
def claim_get(request, id: ClaimId):  # noqa: A002 - the contract's name
    return _fresh(request, id)


LetterId = Annotated[int, Path(..., ge=1, le=MAX_ID)]


@router.get("/claims/{id}/ledger", operation_id="claim_ledger", summary="A claim's ledger",
            response={200: list[LedgerRowOut], **_errors(401, 404, 422)})
def claim_ledger(request, id: ClaimId):  # noqa: A002 - the contract's name
    """Every amount charged or paid on the claim, oldest first, with its legal basis; each
    payment with its allocation. Append-only: a row once listed is never changed."""
    claim = _claim_of(request.auth, id)
    rows, parts = [], {}
    for entry in claim.ledger.order_by("booked_on", "id"):
        if entry.kind in LedgerEntry.ALLOCATIONS:
            parts.setdefault(entry.key.rsplit(">", 1)[0], []).append(
                {"kind": entry.kind, "amount": ore_to_str(entry.amount_ore)})
        else:
            rows.append(entry)
    return [{"date": e.booked_on, "kind": e.kind, "amount": ore_to_str(e.amount_ore),
             "legal_basis": e.legal_basis, "allocations": parts.get(e.key, [])} for e in rows]


@router.get("/claims/{id}/letters/{letter_id}/pdf", operation_id="claim_letter_pdf",
            summary="Get a letter as PDF", response={**_errors(401, 404, 422)},
            openapi_extra={"responses": {"200": {
                "description": "The letter exactly as it was sent (its SHA-256 is archived).",
                "content": {"application/pdf": {"schema": {"type": "string",
                                                           "format": "binary"}}}}}})
def claim_letter_pdf(request, id: ClaimId, letter_id: LetterId):  # noqa: A002
    claim = _claim_of(request.auth, id)
    letter = claim.letters.filter(pk=letter_id, state=Letter.State.SENT).first()
    if letter is None or not letter.pdf:
        raise Http404
    return FileResponse(letter.pdf.open("rb"), content_type="application/pdf",
                        filename=f"{letter.kind}-{claim.case_number}.pdf")


# --- Writes ------------------------------------------------------------------------------------


def _flat_registration(payload: ClaimIn) -> dict:
    debtor, address = payload.debtor, payload.debtor.address
    return {
        "debtor_kind": debtor.kind, "debtor_identity_number": debtor.identity_number,
        "debtor_name": debtor.name, "debtor_street": address.street,
        "debtor_postal_code": address.postal_code, "debtor_city": address.city,
        "debtor_country": address.country or "", "debtor_email": debtor.email or "",
        "debtor_phone": debtor.phone or "", "invoice_number": payload.invoice_number,
        "invoice_date": payload.invoice_date, "due_date": payload.due_date,
        "amount": payload.amount, "description": payload.description,
        "reminder_fee_agreed": payload.reminder_fee_agreed,
    }


@router.post("/claims", operation_id="claim_create", summary="Register a claim",
             response={201: ClaimRegisteredOut, **_errors(400, 401, 409, 422)})
def claim_create(request, payload: ClaimIn):
    """Register one overdue invoice as a claim (ärende): a new case, or, when the debtor has a
    case whose collection demand has not gone out yet, that case (`joined_existing_case`).

    201 either way: the contract promises 201 with the claim for a registered invoice, and the
    invoice is registered (its capital is booked) whichever case it is in."""
    today = timezone.localdate()
    registration, errors = parse_registration(_flat_registration(payload), today=today)
    if errors:
        return _validation_error(request, {FIELD_PATHS.get(k, k): v for k, v in errors.items()})
    try:
        registered = invoice_register(creditor=request.auth, registration=registration,
                                      today=today, source=Claim.Source.API)
    except ClaimError as exc:
        return _claim_error(request, exc)
    return HttpStatus(201, {**_fresh(request, registered.claim.pk),
                            "joined_existing_case": registered.joined})


@router.post("/claims/{id}/withdraw", operation_id="claim_withdraw",
             summary="Withdraw a claim",
             response={200: ClaimOut, **_errors(400, 401, 404, 409, 422)})
def claim_withdraw_endpoint(request, id: ClaimId, payload: WithdrawIn):  # noqa: A002
    """Återkalla: take the claim back from collection. A closed claim is a 409."""
    claim = _claim_of(request.auth, id)
    try:
        claim_withdraw(claim=claim, reason=payload.reason, today=timezone.localdate())
    except ClaimError as exc:
        return _claim_error(request, exc)
    return _fresh(request, id)


@router.post("/claims/{id}/payments", operation_id="claim_payment_create",
             summary="Report a direct payment",
             response={201: ClaimOut, **_errors(400, 401, 404, 409, 422)})
def claim_payment_create(request, id: ClaimId, payload: PaymentIn):  # noqa: A002
    """Report a payment the debtor made directly to the creditor; paying all closes the claim."""
    claim = _claim_of(request.auth, id)
    try:
        amount_ore = parse_sek(payload.amount)
    except MoneyError as exc:
        return _validation_error(request, {"amount": [str(exc)]})
    try:
        claim_report_direct_payment(claim=claim, amount_ore=amount_ore, paid_on=payload.paid_on,
                                    today=timezone.localdate())
    except ClaimError as exc:
        return _claim_error(request, exc)
    return HttpStatus(201, _fresh(request, id))



# --- Partners (issue 7): onboarding started by an integration partner -------------------------


class PartnerAddressIn(BaseModel):
    street: Text(200)
    postal_code: Text(10, examples=["123 45"])
    city: Text(100)


class PartnerContactIn(BaseModel):
    name: Text(200, description="The company's signatory (firmatecknare).")
    email: Text(254, description="Where ekrav e-mails the link (unless `send_email` is "
                                 "false), and where reports go until the company changes it.")
    phone: Optional[Text(20)] = None
    personnummer: Text(20, description="The signatory's personnummer: they sign the service "
                                       "agreement with BankID.")


class OnboardingIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "organisation_number": "556036-0793", "name": "Bygg AB", "form": "AB",
        "f_tax_confirmed": True,
        "address": {"street": "Storgatan 1", "postal_code": "111 22", "city": "Stockholm"},
        "contact": {"name": "Anna Andersson", "email": "anna@bygg.se",
                    "phone": "070-123 45 67", "personnummer": "19811228-9874"},
        "customer_id": "K-10042",
    }]})

    organisation_number: Text(20, description="For a sole trader (EF): the owner's "
                                              "personnummer.")
    name: Text(200)
    form: Literal["AB", "HB", "KB", "EF"]
    f_tax_confirmed: StrictBool = Field(..., description="The company is approved for F-tax "
                                                         "(F-skatt): ekrav works only for such.")
    address: PartnerAddressIn
    contact: PartnerContactIn
    customer_id: Optional[Text(100)] = Field(None, description="Your id of this customer, "
                                                               "shown back in your lists.")
    send_email: StrictBool = Field(True, description="true (the default): ekrav e-mails the "
                                                     "link to `contact.email`, in Swedish, "
                                                     "naming you. false: you deliver the link "
                                                     "yourself.")


class OnboardingOut(Schema):
    id: int
    status: Literal["pending", "completed", "expired"] = Field(
        ..., description="completed: the company registered (or, already a customer, gave "
                         "you access); expired: 30 days passed unused.")
    organisation_number: str = Field(..., description="As you sent it, normalized.")
    customer_id: Optional[str]
    created_at: datetime.datetime
    expires_at: datetime.datetime
    emailed_at: Optional[datetime.datetime] = Field(..., description="When ekrav's e-mail "
                                                    "with the link reached the mail server; "
                                                    "null if you deliver the link yourself or "
                                                    "the e-mail could not be sent (then "
                                                    "deliver it yourself).")
    completed_at: Optional[datetime.datetime]
    creditor: Optional[str] = Field(..., description="The organisation number of the creditor "
                                                     "that gave you access, once completed.")


class OnboardingCreatedOut(OnboardingOut):
    url: str = Field(..., description="The link for the company (valid once, 30 days): it "
                                      "completes Kom igång and signs the agreement there.")
    email_sent: bool = Field(..., description="Whether ekrav e-mails the link to "
                                              "`contact.email` (as `send_email` asked): it "
                                              "goes out as soon as the onboarding is saved, "
                                              "once; `emailed_at` says when it went.")


class PartnerCreditorOut(Schema):
    organisation_number: str
    name: str
    customer_id: Optional[str]
    granted_at: datetime.datetime
    agreement_signed: bool = Field(..., description="Claims are collected once the company's "
                                                    "signatory has signed the agreement.")


# parse_onboarding's flat keys -> this request's field paths.
PARTNER_PATHS = {"street": "address.street", "postal_code": "address.postal_code",
                 "city": "address.city", "contact_name": "contact.name",
                 "contact_email": "contact.email", "contact_phone": "contact.phone",
                 "contact_personnummer": "contact.personnummer"}
partner_router = Router(tags=["Partners"], auth=PARTNER_AUTH)


def _onboarding_out(onboarding: PartnerOnboarding, now) -> dict:
    creditor = onboarding.creditor
    return {"id": onboarding.pk, "status": onboarding.state_at(now),
            "organisation_number": format_identity(onboarding.organisation_number),
            "customer_id": onboarding.customer_id or None,
            "created_at": onboarding.created_at, "expires_at": onboarding.expires_at,
            "emailed_at": onboarding.emailed_at, "completed_at": onboarding.completed_at,
            "creditor": format_identity(creditor.organisation_number) if creditor else None}


@partner_router.post("/onboardings", operation_id="partner_onboarding_create",
                     summary="Start a company's onboarding",
                     response={201: OnboardingCreatedOut, **_errors(400, 401, 404, 422)})
def partner_onboarding_start(request, payload: OnboardingIn):
    """A link for the company, its data prefilled: it completes Kom igång (payout bankgiro,
    report e-mail), its signatory signs the agreement with BankID, and you get access. ekrav
    e-mails the link to the contact person unless you send `"send_email": false`. The
    answer is the same whether or not the company is already ekrav's customer: then the link
    asks its signatory or administrator to give you access instead."""
    data = {"organisation_number": payload.organisation_number, "name": payload.name,
            "form": payload.form, "f_tax_confirmed": payload.f_tax_confirmed,
            **payload.address.model_dump(),
            **{f"contact_{k}": v for k, v in payload.contact.model_dump().items()}}
    now = timezone.now()
    try:
        onboarding, token = partner_onboarding_create(
            partner=request.auth, data=data, customer_id=payload.customer_id or "", now=now,
            send_email=payload.send_email)
    except CreditorError as exc:
        return _validation_error(request, {PARTNER_PATHS.get(k, k): v
                                           for k, v in exc.errors.items()})
    return HttpStatus(201, {**_onboarding_out(onboarding, now),
                            "url": partner_onboarding_url(token),
                            "email_sent": payload.send_email})


@partner_router.get("/onboardings/{id}", operation_id="partner_onboarding_get",
                    summary="An onboarding's status",
                    response={200: OnboardingOut, **_errors(401, 404, 422)})
def partner_onboarding_get(request, id: ClaimId):  # noqa: A002 - the contract's name
    onboarding = (PartnerOnboarding.objects.select_related("creditor")
                  .filter(partner=request.auth, pk=id).first())
    if onboarding is None:
        return _error(request, 404, "not_found", "No such onboarding.")
    return _onboarding_out(onboarding, timezone.now())


@partner_router.get("/creditors", operation_id="partner_creditors_list",
                    summary="The creditors that gave you access",
                    response={200: list[PartnerCreditorOut], **_errors(401, 404)})
def partner_creditors_list(request):
    return [{"organisation_number": format_identity(grant.creditor.organisation_number),
             "name": grant.creditor.name, "customer_id": grant.customer_id or None,
             "granted_at": grant.granted_at,
             "agreement_signed": grant.agreement_signed}
            for grant in partner_creditors(request.auth)]


CREDITOR_HEADER_PARAMETER = {
    "name": CREDITOR_HEADER, "in": "header", "required": False,
    "schema": {"type": "string", "maxLength": 20, "examples": ["556036-0793"]},
    "description": "With a partner key (required): the organisation number of the creditor "
                   "the partner acts for, which must have given it access. With a creditor's "
                   "own key: omit it, or name that creditor."}
CREDITOR_HEADER_ERRORS = {
    400: "No creditor named (creditor_required) or a malformed number (creditor_invalid)",
    404: "The named creditor has not given you access (creditor_not_found)"}


def _creditor_header_openapi(schema: dict) -> dict:
    """Every endpoint a partner key reaches takes the Ekrav-Creditor header and can answer
    the errors of naming a creditor (the partner's own endpoints do not)."""
    for path, operations in schema.get("paths", {}).items():
        if path.startswith("/api/v1/partner/"):
            continue
        for operation in operations.values():
            operation.setdefault("parameters", []).append(dict(CREDITOR_HEADER_PARAMETER))
            responses = operation.setdefault("responses", {})
            for status, description in CREDITOR_HEADER_ERRORS.items():
                if status not in responses and str(status) not in responses:
                    responses[status] = {"description": description, "content": {
                        "application/json": {"schema": dict(ERROR_SCHEMA)}}}
    return schema


api.add_router("/v1", router)
api.add_router("/v1/partner", partner_router)
