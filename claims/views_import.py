"""CSV bulk registration pages: upload -> preview -> confirm -> progress -> result.

Thin: the work is in ``claims.imports`` (services) and ``claims.csv_import`` (pure parsing).
Every import is fetched within the active creditor: another creditor's import is a 404.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from claims.csv_import import COLUMNS, MAX_ROWS, template_csv
from claims.imports import (
    ClaimImportError,
    claim_import_confirm,
    claim_import_preview,
    claim_import_progress,
    claim_import_same_file_done,
)
from claims.models import ClaimImport
from creditors.decorators import creditor_required
from creditors.services import agreement_signed

PREVIEW_PAGE_SIZE = 200
RECENT_IMPORTS = 10


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV file"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.CSV_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB. Split it into smaller files.")
                % {"mb": f"{limit / (1024 * 1024):g}"})
        return upload


def _english() -> bool:
    return (translation.get_language() or "").startswith("en")


def _import_for(request, import_id, *, with_rows=True) -> ClaimImport:
    imports = ClaimImport.objects.for_creditor(request.creditor)
    if not with_rows:
        imports = imports.defer("rows")
    return get_object_or_404(imports, pk=import_id)


@creditor_required
def import_upload(request):
    """The upload form, the documented columns, and (``?template=1``) the example file."""
    if request.method == "GET" and request.GET.get("template"):
        response = HttpResponse(template_csv(today=timezone.localdate(), english=_english()),
                                content_type="text/csv; charset=utf-8")
        name = "ekrav-import-template.csv" if _english() else "ekrav-importmall.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    posted = request.method == "POST"
    form = ImportUploadForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            claim_import = claim_import_preview(
                creditor=request.creditor, user=request.user, filename=upload.name,
                data=upload.read(), today=timezone.localdate())
        except ClaimImportError as exc:
            for message in exc.messages:
                form.add_error("file", message)
        else:
            return redirect("claims:import_detail", import_id=claim_import.pk)
    recent = (ClaimImport.objects.for_creditor(request.creditor)
              .defer("rows", "report")[:RECENT_IMPORTS])
    return render(request, "claims/import_upload.html", {
        "form": form, "columns": COLUMNS, "english": _english(), "recent": recent,
        "max_rows": MAX_ROWS, "max_mb": f"{settings.CSV_IMPORT_MAX_BYTES / (1024 * 1024):g}",
        "agreement_missing": not agreement_signed(request.creditor),
    }, status=400 if form.errors else 200)


# Read-only pages stay outside the request transaction: on SQLite a running import holds the
# write lock, and these pages must keep answering while it does (see claims.imports).
@transaction.non_atomic_requests
@creditor_required
@require_GET
def import_detail(request, import_id):
    """The preview (every row and its errors), then the progress, then the result."""
    claim_import = _import_for(request, import_id)
    context = {"imp": claim_import, "columns": COLUMNS, "english": _english()}
    if claim_import.state == ClaimImport.State.PREVIEW:
        shown = request.GET.get("show")
        shown = shown if shown in ("errors", "valid") else "all"
        rows = claim_import.rows
        if shown == "errors":
            rows = [r for r in rows if r["errors"]]
        elif shown == "valid":
            rows = [r for r in rows if not r["errors"]]
        page = Paginator(rows, PREVIEW_PAGE_SIZE).get_page(request.GET.get("page"))
        names = _column_names()
        context.update({
            "shown": shown, "page": page, "table": [_row_view(r, names) for r in page.object_list],
            "invalid_rows": claim_import.total_rows - claim_import.valid_rows,
            "same_file": claim_import_same_file_done(claim_import),
        })
    elif claim_import.state == ClaimImport.State.RUNNING:
        context["progress"] = claim_import_progress(claim_import)
    else:
        context.update(_result(claim_import))
    return render(request, "claims/import_detail.html", context)


@creditor_required
@require_POST
def import_confirm(request, import_id):
    claim_import = _import_for(request, import_id, with_rows=False)
    try:
        claim_import_confirm(claim_import=claim_import)
    except ClaimImportError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("claims:import_detail", import_id=claim_import.pk)


@transaction.non_atomic_requests
@creditor_required
@require_GET
def import_status(request, import_id):
    """The progress fragment htmx polls; once the import has finished, reload the page."""
    claim_import = _import_for(request, import_id, with_rows=False)
    response = render(request, "claims/_import_status.html", {
        "imp": claim_import, "progress": claim_import_progress(claim_import)})
    if claim_import.state != ClaimImport.State.RUNNING:
        response["HX-Refresh"] = "true"
    return response


def _column_names() -> dict:
    return {c.field: c.english if _english() else c.swedish for c in COLUMNS}


def _row_view(row: dict, names: dict) -> dict:
    """One preview line: every reason named by its column (the table is wider than a screen),
    and the cells those reasons are about, highlighted."""
    errors = row["errors"]
    return {
        "line": row["line"], "valid": not errors, "reasons": _reasons(errors, names),
        "cells": [{"value": row["values"].get(c.field, ""), "errors": errors.get(c.field, [])}
                  for c in COLUMNS],
    }


def _reasons(errors: dict, names: dict) -> list[str]:
    """Every reason of a row, each prefixed by the column it is about."""
    return [f"{names[field]}: {message}" if field in names else message
            for field, messages_ in errors.items() for message in messages_]


def _result(claim_import: ClaimImport) -> dict:
    names = _column_names()
    report = claim_import.report or {}
    not_imported = [
        {"line": r["line"], "invoice_number": r["values"].get("invoice_number", ""),
         "reasons": _reasons(r["errors"], names)}
        for r in claim_import.rows if r["errors"]]
    not_imported += [
        {"line": r["line"], "invoice_number": r["invoice_number"],
         "reasons": _reasons(r["errors"], names)} for r in report.get("refused", [])]
    not_imported.sort(key=lambda r: r["line"])
    created = _created_view(report.get("created", []))
    return {"created": created, "not_imported": not_imported,
            "opened_count": sum(1 for c in created if c["case"] == "opened"),
            "joined_count": sum(1 for c in created if c["case"] == "joined")}


def _created_view(created: list[dict]) -> list[dict]:
    """Each created line with whether it opened a new case or joined an open one (one case
    per debtor, issue 3), and for a line that joined a case an earlier line of this file
    opened, that line. A report from before cases were joined says neither ("case" is "")."""
    opened_on = {}
    rows = []
    for entry in created:
        case = entry.get("case", "")
        if case == "opened":
            opened_on.setdefault(entry["claim_id"], entry["line"])
        rows.append({**entry, "case": case,
                     "opened_on_line": opened_on.get(entry["claim_id"]) if case == "joined"
                     else None})
    return rows
