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
from claims.registration import parse_registration
from claims.selectors import balances_for, claim_balance, claim_list
from claims.services import (
    ClaimError,
    claim_report_direct_payment,
    claim_withdraw,
    invoice_register,
)
from creditors.services import api_key_authenticate
from ekrav import audit
from ekrav.identifiers import format_identity
from ekrav.money import MoneyError, ore_to_str, parse_sek
from letters.models import Letter  # the API shows what the letters room sent

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


# --- The API -----------------------------------------------------------------------------------


class ApiKeyAuth(HttpBearer):
    def authenticate(self, request, token):
        key = api_key_authenticate(token.strip())
        if key is not None:
            audit.api_key_acts(key)  # the audit trail names the key, not "anonymous"
        return key


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
Money is SEK as decimal strings with two decimals ("1234.50"); dates are YYYY-MM-DD.

Every error has the body `{"error": code, "message": text, "fields": {path: [reason]}}`, with
field paths as in the request (`debtor.address.postal_code`). Codes: `bad_request` (400, body
not JSON), `unauthorized` (401), `not_found` (404), `claim_closed` (409), `validation_error`
and `duplicate_invoice` (422).

One case per debtor: an invoice registered for a debtor whose case with you has not had its
collection demand yet joins that case (the debtor gets one letter and one fee per step). `POST
/v1/claims` then answers 201 with that case and `"joined_existing_case": true`; a case has all
its invoices in `invoices`."""

api = NinjaAPI(title="ekrav API", version="1", urls_namespace="api", auth=ApiKeyAuth(),
               description=DESCRIPTION)
api.add_decorator(_in_english, mode="view")
router = Router(tags=["claims"])


def _error(request, status: int, code: str, message: str, fields=None):
    body = {"error": code, "message": str(message), "fields": fields or {}}
    return api.create_response(request, body, status=status)


@api.exception_handler(AuthenticationError)
def _unauthorized(request, exc):
    response = _error(request, 401, "unauthorized",
                      "Send a valid API key as 'Authorization: Bearer <key>'.")
    response["WWW-Authenticate"] = "Bearer"
    return response


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
    if exc.code == "claim_closed":
        return _error(request, 409, "claim_closed",
                      exc.message)
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
                      "description": i.description} for i in invoices],
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
    paginator = Paginator(claim_list(creditor=request.auth, status=filters.status or "")
                          .prefetch_related("events", SENT_LETTERS), PAGE_SIZE)
    claims = []
    if filters.page <= paginator.num_pages:
        claims = list(paginator.page(filters.page).object_list)
    balances = balances_for(claims)
    return {"items": [_claim_out(c, balances[c.pk], request) for c in claims],
            "page": filters.page, "pages": paginator.num_pages, "count": paginator.count}


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
             response={201: ClaimRegisteredOut, **_errors(400, 401, 422)})
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


api.add_router("/v1", router)
