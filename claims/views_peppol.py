"""E-faktura (Peppol) registration pages: upload invoice files -> preview -> confirm -> result.

Thin: the reading is ``claims.peppol`` (pure), the rules ``claims.registration``, the writes
``claims.services.invoice_register`` (one per invoice, each refused alone). The preview looks
like the CSV import's and names fields the way it does (``claims.views_import``).

The uploaded files wait for the confirmation in the default storage under
``peppol-uploads/<creditor id>/<batch>/``: the creditor's id in the path is the tenancy (another
creditor's batch is not found: a 404), the batch a random token. Nothing is registered before
the confirmation, which reads the files again with that day's rules; afterwards the files are
deleted and only the result stays, so confirming twice registers nothing twice (and an invoice
number already registered is refused like everywhere else).
"""

import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from claims.forms import ClaimForm
from claims.models import Claim
from claims.peppol import MAX_BYTES, PeppolError, invoice_document, read_invoice, registration_of
from claims.services import (
    ClaimError,
    duplicate_invoice_message,
    invoice_register,
    registered_cases,
)
from claims.views import _plan_preview  # the registration form's own plan, fees and interest
from claims.views_import import _column_names, _reasons
from creditors.decorators import creditor_required
from creditors.services import agreement_signed
from ekrav.identifiers import IdentifierError, normalize_bankgiro

BATCH_DIR = "peppol-uploads"
MAX_FILES = 50
BATCH_KEPT = timedelta(days=1)  # then deleted, at the creditor's next upload
_BATCH = re.compile(r"[0-9a-f]{32}")
NAMES, RESULT = "names.json", "result.json"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented recipe)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={
            "accept": ".xml,application/xml,text/xml"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if not data and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class PeppolUploadForm(forms.Form):
    files = MultipleFileField(label=gettext_lazy("E-invoice files (XML)"))

    def clean_files(self):
        uploads = self.cleaned_data["files"]
        if len(uploads) > MAX_FILES:
            raise forms.ValidationError(_("At most %(n)d files at a time.") % {"n": MAX_FILES})
        too_large = [u.name for u in uploads if u.size > MAX_BYTES]
        if too_large:
            raise forms.ValidationError(
                _("Larger than %(mb)d MB: %(names)s.") % {
                    "mb": MAX_BYTES // (1024 * 1024), "names": ", ".join(too_large)[:300]})
        return uploads


@dataclass
class Entry:
    """One uploaded file as the preview shows it and the confirmation registers it."""

    n: int
    name: str
    invoice: object = None  # PeppolInvoice
    rules: list = field(default_factory=list)
    errors: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    registration: object = None
    pdf: object = None
    pdf_name: str = ""
    plan: dict | None = None
    reasons: list = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.registration is not None and not self.rules and not self.errors


# --- the batch on disk -------------------------------------------------------------------------


def _dir(creditor, batch: str) -> str:
    if not _BATCH.fullmatch(batch):
        raise Http404
    return f"{BATCH_DIR}/{creditor.pk}/{batch}"


def _batch_save(creditor, uploads) -> str:
    batch = secrets.token_hex(16)
    folder = _dir(creditor, batch)
    for n, upload in enumerate(uploads, start=1):
        upload.seek(0)
        default_storage.save(f"{folder}/{n:03d}.xml", ContentFile(upload.read()))
    names = [upload.name.replace("\\", "/").rsplit("/", 1)[-1][:200] for upload in uploads]
    default_storage.save(f"{folder}/{NAMES}", ContentFile(json.dumps(names).encode()))
    return batch


def _read_json(path):
    if not default_storage.exists(path):
        return None
    with default_storage.open(path, "rb") as handle:
        return json.loads(handle.read().decode())


def _batch_files(creditor, batch: str) -> list[tuple[str, bytes]]:
    folder = _dir(creditor, batch)
    names = _read_json(f"{folder}/{NAMES}")
    if names is None:
        raise Http404
    files = []
    for n, name in enumerate(names, start=1):
        try:
            with default_storage.open(f"{folder}/{n:03d}.xml", "rb") as handle:
                files.append((name, handle.read()))
        except FileNotFoundError:  # deleted as old, or by a confirmation just finishing
            raise Http404 from None
    return files


def _batch_delete_files(folder: str, keep=()) -> None:
    _dirs, files = default_storage.listdir(folder)
    for name in files:
        if name not in keep:
            default_storage.delete(f"{folder}/{name}")


def _batch_done(folder: str, result: dict) -> None:
    default_storage.save(f"{folder}/{RESULT}", ContentFile(json.dumps(result).encode()))
    _batch_delete_files(folder, keep=(NAMES, RESULT))


def _batches_forget_old(creditor, now) -> None:
    """Uploads a creditor left unconfirmed (or confirmed) for a day are deleted."""
    root = f"{BATCH_DIR}/{creditor.pk}"
    if not default_storage.exists(root):
        return
    for batch in default_storage.listdir(root)[0]:
        names = f"{root}/{batch}/{NAMES}"
        if default_storage.exists(names) and \
                default_storage.get_modified_time(names) < now - BATCH_KEPT:
            _batch_delete_files(f"{root}/{batch}")


# --- reading the files -------------------------------------------------------------------------


def _entries(creditor, files, today, *, with_plan=False) -> list[Entry]:
    entries = [_entry(creditor, n, name, data, today)
               for n, (name, data) in enumerate(files, start=1)]
    _flag_duplicates(creditor, entries)
    names = _column_names()
    for entry in entries:
        entry.reasons = _reasons(entry.errors, names)
        if with_plan and entry.valid:
            entry.plan = _plan_preview(creditor, _plan_form(creditor, entry.invoice.values))
    return entries


def _entry(creditor, n, name, data, today) -> Entry:
    try:
        invoice = read_invoice(data, creditor_identity=creditor.organisation_number)
    except PeppolError as exc:
        return Entry(n=n, name=name, rules=exc.rules)
    registration, errors, notes = registration_of(invoice, today=today)
    pdf, pdf_name, pdf_note = invoice_document(invoice)
    notes += [note for note in (pdf_note, _bankgiro_note(creditor, invoice.bankgiro)) if note]
    return Entry(n=n, name=name, invoice=invoice, errors=errors, notes=notes,
                 registration=registration, pdf=pdf, pdf_name=pdf_name)


def _bankgiro_note(creditor, bankgiro: str) -> str:
    """The invoice's bankgiro is shown, and said when it is not the creditor's own with ekrav:
    a debtor who pays the invoice there pays the creditor directly (report it as paid)."""
    if not bankgiro:
        return ""
    try:
        same = normalize_bankgiro(bankgiro) == normalize_bankgiro(creditor.bankgiro)
    except IdentifierError:
        same = False
    if same:
        return ""
    return _("The invoice asks for payment to bankgiro %(invoice)s, not to your bankgiro "
             "%(mine)s.") % {"invoice": bankgiro, "mine": creditor.bankgiro}


def _flag_duplicates(creditor, entries) -> None:
    """An invoice number the creditor has registered, or one twice in this upload, is
    refused, as in the CSV import."""
    readable = [e for e in entries if e.invoice is not None]
    cases = registered_cases(creditor, [e.invoice.values["invoice_number"] for e in readable])
    seen = set()
    for entry in readable:
        number = entry.invoice.values["invoice_number"]
        if number in cases:
            entry.errors.setdefault("invoice_number", []).insert(
                0, duplicate_invoice_message(number, cases[number]))
        elif number in seen:
            entry.errors.setdefault("invoice_number", []).append(
                _("Invoice %(number)s is in this upload twice.") % {"number": number})
        seen.add(number)


def _plan_form(creditor, values: dict) -> ClaimForm:
    data = {k: v for k, v in values.items() if k != "reminder_fee_agreed"}
    if values.get("reminder_fee_agreed"):
        data["reminder_fee_agreed"] = "on"
    return ClaimForm(data, creditor=creditor)


# --- the pages ---------------------------------------------------------------------------------


@creditor_required
def peppol_upload(request):
    posted = request.method == "POST"
    form = PeppolUploadForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        _batches_forget_old(request.creditor, timezone.now())
        batch = _batch_save(request.creditor, form.cleaned_data["files"])
        return redirect("claims:peppol_preview", batch=batch)
    return render(request, "claims/peppol_upload.html", {
        "form": form, "max_files": MAX_FILES, "max_mb": MAX_BYTES // (1024 * 1024),
        "agreement_missing": not agreement_signed(request.creditor),
    }, status=400 if form.errors else 200)


@creditor_required
@require_GET
def peppol_preview(request, batch):
    """Every file: the claim it becomes (debtor, amount, due date, OCR, the steps and their
    costs), or the rules it breaks. After the confirmation: what was registered."""
    folder = _dir(request.creditor, batch)
    result = _read_json(f"{folder}/{RESULT}")
    if result is not None:
        return render(request, "claims/peppol_result.html", {"batch": batch, **result})
    entries = _entries(request.creditor, _batch_files(request.creditor, batch),
                       timezone.localdate(), with_plan=True)
    valid = sum(1 for e in entries if e.valid)
    return render(request, "claims/peppol_preview.html", {
        "batch": batch, "entries": entries, "valid_count": valid,
        "invalid_count": len(entries) - valid})


@creditor_required
@require_POST
def peppol_confirm(request, batch):
    """Register every file that passes the rules today; each refused alone."""
    folder = _dir(request.creditor, batch)
    if _read_json(f"{folder}/{RESULT}") is not None:
        messages.info(request, _("These e-invoices have already been registered."))
        return redirect("claims:peppol_preview", batch=batch)
    today = timezone.localdate()
    entries = _entries(request.creditor, _batch_files(request.creditor, batch), today)
    result = {"created": [], "refused": []}
    for entry in entries:
        if entry.valid:
            try:
                registered = invoice_register(
                    creditor=request.creditor, registration=entry.registration, today=today,
                    user=request.user, source=Claim.Source.WEB, pdf=entry.pdf,
                    pdf_name=entry.pdf_name)
            except ClaimError as exc:
                entry.reasons = _reasons(exc.errors, _column_names())
            else:
                result["created"].append({
                    "name": entry.name, "invoice_number": registered.invoice.invoice_number,
                    "claim_id": registered.claim.pk, "case_number": registered.claim.case_number,
                    "case": "joined" if registered.joined else "opened"})
                continue
        result["refused"].append({
            "name": entry.name,
            "invoice_number": entry.invoice.values["invoice_number"] if entry.invoice else "",
            "reasons": [f"{r.id}: {r.message}" for r in entry.rules] + entry.reasons})
    # Once the claims are committed: a rolled-back request leaves the upload to confirm again.
    transaction.on_commit(lambda: _batch_done(folder, result))
    if result["created"]:
        messages.success(request, _("%(n)d e-invoice(s) registered.") % {
            "n": len(result["created"])})
    return redirect("claims:peppol_preview", batch=batch)
