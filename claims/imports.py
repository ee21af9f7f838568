"""CSV bulk registration, the writes: preview, confirm, run.

How it behaves, and why:

- **Preview.** The file is parsed (``claims.csv_import``) and stored with every row and its
  errors, plus the errors only the database knows ("already registered in case X"). A file that
  cannot be used as a whole (too large, not CSV, undecodable, wrong columns) raises
  ``ClaimImportError`` and nothing is stored.
- **The same file twice.** It is not refused: every row it created is now "already registered",
  so a second import can only create rows that were invalid the first time (a due date that has
  since passed, say). The preview says the file was imported before
  (``claim_import_same_file_done``). The exactly-once key of the rows themselves is the
  per-creditor unique invoice number.
- **Confirm** is a compare-and-set preview -> running; the task is queued on commit.
- **One case per debtor.** A row joins its debtor's open case that has not had its collection
  demand yet (an earlier row of the same file included) or opens a new one
  (``claims.services.invoice_register``); the report says which, per line.
- **Run.** All rows are created in ONE transaction, in chunks of bulk statements
  (``claims.services.claim_register_many``: a few statements per chunk, not ~17 per row). If
  the system fails (any exception that is not a rule of the domain: a bug, the database going
  away) the transaction rolls back, nothing is created, and the import is marked failed with a
  reason. A row the domain refuses *at this moment* (its invoice number registered meanwhile by
  someone else, or rows that no longer pass the rules) is refused alone: it goes to
  ``report["refused"]`` and the other rows are still created.
- **Exactly once.** The run locks the import and works only while it is ``running``; it marks it
  ``done`` in the same transaction as the claims, so a second delivery of the task finds it
  done and does nothing.
- **Progress** (rows processed / total, after each chunk of 10%) goes to the Django cache, not
  the database: the work is inside one transaction that nobody else can see until it commits.
  Progress is best effort; a cache that is down never fails an import. On SQLite (the embedded
  default) that transaction holds the database's write lock for the whole run: the status and
  detail pages only read, so they are served outside a transaction and keep answering.
"""

import hashlib
import logging
import os
from datetime import date, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from claims.csv_import import CsvFileError, parse_csv, row_registration
from claims.models import Claim, ClaimImport
from claims.services import (
    BULK_CHUNK,
    ClaimError,
    claim_register_many,
    duplicate_invoice_message,
    registered_cases,
)

logger = logging.getLogger(__name__)

PROGRESS_TIMEOUT = 24 * 3600


class ClaimImportError(Exception):
    """The import cannot go on; ``messages`` say why, for the page."""

    def __init__(self, messages):
        self.messages = [str(m) for m in messages]
        super().__init__(" ".join(self.messages))


def claim_import_preview(*, creditor, user, filename: str, data: bytes,
                         today: date) -> ClaimImport:
    """Parse an uploaded CSV into a stored preview of every row and its errors."""
    limit = settings.CSV_IMPORT_MAX_BYTES
    if len(data) > limit:
        raise ClaimImportError([_("The file is larger than %(mb)s MB. Split it into smaller "
                                  "files.") % {"mb": _megabytes(limit)}])
    try:
        parsed = parse_csv(data, today=today)
    except CsvFileError as exc:
        raise ClaimImportError(exc.messages) from None
    _flag_registered(creditor, parsed.rows)
    return ClaimImport.objects.create(
        creditor=creditor, created_by=user, filename=_base_name(filename),
        sha256=_sha256(data), encoding=parsed.encoding, delimiter=parsed.delimiter,
        language=translation.get_language() or "", rows=parsed.rows,
        total_rows=len(parsed.rows), valid_rows=sum(1 for r in parsed.rows if not r["errors"]))


def claim_import_same_file_done(claim_import: ClaimImport) -> ClaimImport | None:
    """The creditor's earlier, finished import of exactly this file, if there is one."""
    return (ClaimImport.objects.for_creditor(claim_import.creditor)
            .filter(sha256=claim_import.sha256, state=ClaimImport.State.DONE)
            .exclude(pk=claim_import.pk).defer("rows").order_by("-finished_at").first())


@transaction.atomic
def claim_import_confirm(*, claim_import: ClaimImport) -> ClaimImport:
    """The creditor confirms the preview: queue the run, once."""
    if claim_import.valid_rows == 0:
        raise ClaimImportError([_("There are no valid rows to import.")])
    moved = (ClaimImport.objects.filter(pk=claim_import.pk, state=ClaimImport.State.PREVIEW)
             .update(state=ClaimImport.State.RUNNING, confirmed_at=timezone.now()))
    if moved != 1:
        raise ClaimImportError([_("This import has already been confirmed.")])
    claim_import.refresh_from_db(fields=["state", "confirmed_at"])
    _progress_set(claim_import.pk, 0, claim_import.valid_rows)

    from claims.tasks import claim_import_run_task  # tasks import this module

    import_id = claim_import.pk
    transaction.on_commit(lambda: claim_import_run_task.delay(import_id))
    return claim_import


def claim_import_run(*, import_id: int, today: date) -> ClaimImport | None:
    """Create every valid row of a confirmed import in one transaction (see the module doc)."""
    try:
        with transaction.atomic():
            claim_import = (ClaimImport.objects.select_for_update(of=("self",))
                            .select_related("creditor", "created_by")
                            .filter(pk=import_id).first())
            if claim_import is None or claim_import.state != ClaimImport.State.RUNNING:
                return claim_import  # never confirmed, or already done: nothing to do twice
            with translation.override(claim_import.language or settings.LANGUAGE_CODE):
                report = _register_rows(claim_import, today)
            ClaimImport.objects.filter(pk=import_id).update(
                state=ClaimImport.State.DONE, created_count=len(report["created"]),
                report=report, finished_at=timezone.now())
    except Exception:
        logger.exception("claim import %s failed; nothing was created", import_id)
        _mark_failed(import_id)
    finally:
        _progress_clear(import_id)
    return ClaimImport.objects.filter(pk=import_id).first()


# A confirmed import whose run has not started by then has lost its task (tests/faults).
STALLED_AFTER = timedelta(minutes=5)


def claim_imports_resume(*, now) -> list[int]:
    """Queue again the confirmed imports nobody is running: their task was lost (the broker
    emptied, the worker gone, the database down while the run was marked failed). A run holds
    its import's row locked to the end, so one still running is skipped here; a run queued
    twice changes nothing (``claim_import_run`` runs only a RUNNING import)."""
    from claims.tasks import claim_import_run_task  # tasks import this module

    with transaction.atomic():
        ids = list(ClaimImport.objects.select_for_update(skip_locked=True)
                   .filter(state=ClaimImport.State.RUNNING,
                           confirmed_at__lt=now - STALLED_AFTER)
                   .order_by("pk").values_list("pk", flat=True))
    for import_id in ids:
        claim_import_run_task.delay(import_id)
    return ids


def claim_import_progress(claim_import: ClaimImport) -> dict:
    """``{"done", "total", "percent"}`` of a running import, from the cache."""
    total = claim_import.valid_rows
    done = 0
    try:
        value = cache.get(_progress_key(claim_import.pk))
    except Exception:  # a cache outage only hides the progress bar
        value = None
    if value:
        done, total = value
    if claim_import.state == ClaimImport.State.DONE:
        done = total
    percent = int(100 * done / total) if total else 0
    return {"done": done, "total": total, "percent": percent}


def _register_rows(claim_import: ClaimImport, today: date) -> dict:
    rows = [row for row in claim_import.rows if not row["errors"]]
    total = len(rows)
    # Progress is set after each chunk, so a chunk is the progress bar's step: 10%. A chunk
    # costs about ten statements whatever its size, and 1% steps (20-row chunks in a 2000-row
    # file) made the run twice as slow on PostgreSQL (bench/csv_import.py).
    step = min(BULK_CHUNK, max(1, total // 10))
    report = {"created": [], "refused": []}
    for start in range(0, total, step):
        chunk = rows[start:start + step]
        _register_chunk(claim_import, chunk, today, report)
        _progress_set(claim_import.pk, start + len(chunk), total)
    return report


def _register_chunk(claim_import: ClaimImport, rows: list[dict], today: date,
                    report: dict) -> None:
    # The rules are checked again: a row valid at preview may not be now (a due date, say).
    parsed = [(row, *row_registration(row["values"], today=today)) for row in rows]
    registrations = [registration for _row, registration, _errors in parsed if registration]
    results = iter(claim_register_many(
        creditor=claim_import.creditor, registrations=registrations, today=today,
        user=claim_import.created_by, source=Claim.Source.CSV) if registrations else ())
    for row, registration, errors in parsed:
        values = row["values"]
        if registration is not None:
            result = next(results)
            if isinstance(result, ClaimError):
                errors = result.errors  # refused now (e.g. registered meanwhile); row undone alone
            else:
                report["created"].append({
                    "line": row["line"], "invoice_number": values["invoice_number"],
                    "claim_id": result.claim.pk, "case_number": result.claim.case_number,
                    "case": "joined" if result.joined else "opened"})
        if errors:
            report["refused"].append({"line": row["line"],
                                      "invoice_number": values["invoice_number"],
                                      "errors": errors})


def _mark_failed(import_id: int) -> None:
    language = (ClaimImport.objects.filter(pk=import_id).values_list("language", flat=True)
                .first()) or settings.LANGUAGE_CODE
    with translation.override(language):
        reason = _("The import stopped because of an unexpected error, so nothing was created. "
                   "Upload the file again to retry; contact support if it happens again.")
    ClaimImport.objects.filter(pk=import_id, state=ClaimImport.State.RUNNING).update(
        state=ClaimImport.State.FAILED, failure=reason, finished_at=timezone.now())


def _flag_registered(creditor, rows: list[dict]) -> None:
    """Add "already registered in case X" to rows whose invoice number the creditor has."""
    cases = registered_cases(creditor, [r["values"]["invoice_number"] for r in rows
                                        if r["values"]["invoice_number"]])
    for row in rows:
        number = row["values"]["invoice_number"]
        if number in cases:
            row["errors"].setdefault("invoice_number", []).insert(
                0, duplicate_invoice_message(number, cases[number]))


def _base_name(filename: str) -> str:
    # Some browsers send the whole Windows path; only the name is the user's business here.
    return os.path.basename(filename.replace("\\", "/"))[:200]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):g}"


def _progress_key(import_id: int) -> str:
    return f"ekrav:claim-import:{import_id}:progress"


def _progress_set(import_id: int, done: int, total: int) -> None:
    try:
        cache.set(_progress_key(import_id), (done, total), PROGRESS_TIMEOUT)
    except Exception:
        logger.warning("could not write the progress of claim import %s", import_id,
                       exc_info=True)


def _progress_clear(import_id: int) -> None:
    try:
        cache.delete(_progress_key(import_id))
    except Exception:
        logger.warning("could not clear the progress of claim import %s", import_id,
                       exc_info=True)
