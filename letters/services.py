"""Writes of letters: render a step's letter once, deliver it once, batch the day's print.

The flow (each part safe to run twice, and by two workers at once):

1. ``letters_prepare``: every reminder/demand step without a letter gets one. The letter is
   written from the claim as of the step's day, checked (``letters.compliance``), rendered,
   checked again on its text, and stored with its sha256. A letter that fails a check is kept
   as *held* with the reasons, for a case handler; it is never sent.
2. ``letters_deliver``: on a bank day, each ready letter goes to the debtor's digital mailbox
   (Kivra) when the debtor is a person who has one, otherwise to print. A rejected delivery
   falls back to print at once; a failed one is retried up to ``KIVRA_MAX_ATTEMPTS`` times.
   A letter whose claim was paid or withdrawn in the meantime is cancelled, never sent.
3. ``print_batch_close``: the day's print letters become one merged PDF and a CSV manifest.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import timezone, translation
from pypdf import PdfReader, PdfWriter

from claims.collection import collect_until, days_to_run
from claims.models import Step, TickRun
from claims.payment_plans import plans_check
from claims.surveillance import surveillance_letters_take
from ekrav.calendar import is_bank_day
from letters import kivra
from letters.compliance import MIN_DEMAND_DAYS, content_problems, text_problems
from letters.content import DEMAND
from letters.models import DeliveryAttempt, Letter, PrintBatch
from letters.render import render_document, render_letter
from letters.selectors import NoContent, letter_content
from webhooks.services import letters_sent_emit

log = logging.getLogger(__name__)
LETTER_STEPS = (Step.Kind.REMINDER, Step.Kind.DEMAND, Step.Kind.SURVEILLANCE,
                Step.Kind.PLAN)
# A claim's later step makes its earlier letter moot (e.g. after downtime both are due).
LATER = {Step.Kind.REMINDER: (Step.Kind.DEMAND, Step.Kind.DECISION), Step.Kind.DEMAND: (),
         Step.Kind.SURVEILLANCE: (), Step.Kind.PLAN: ()}


def letters_prepare(*, today: date) -> int:
    """A letter for every letter step taken up to ``today`` that has none yet."""
    steps = (Step.objects.filter(kind__in=LETTER_STEPS, letter__isnull=True, taken_on__lte=today)
             .select_related("claim__creditor__policy", "claim__debtor").order_by("id"))
    return sum(1 for step in steps.iterator(chunk_size=200) if letter_create(step=step))


def letter_create(*, step: Step) -> Letter | None:
    """Write, check, render and store the letter of ``step``; None if one already exists."""
    reason = _moot(step)
    if reason:
        return _store(_unsaved(step, state=Letter.State.CANCELLED, problems=[reason]))
    return _store(_written(step))


def _unsaved(step: Step, **fields) -> Letter:
    return Letter(claim_id=step.claim_id, step=step, kind=step.kind, letter_date=step.taken_on,
                  deadline=step.deadline, **fields)


def _written(step: Step) -> Letter:
    """The step's letter, checked and (when its content passes) rendered; not yet saved."""
    try:
        content = letter_content(step)
    except NoContent as exc:
        return _unsaved(step, state=Letter.State.HELD, problems=[str(exc)])
    letter = _unsaved(step, amount_ore=content.total_ore, content=content.as_evidence())
    problems = content_problems(content)
    if problems:
        letter.state, letter.problems = Letter.State.HELD, problems
        return letter
    rendered = render_letter(content)
    problems = text_problems(content, rendered.text)
    letter.state = Letter.State.HELD if problems else Letter.State.READY
    letter.problems, letter.sha256, letter.pages = problems, rendered.sha256, rendered.pages
    letter.rendered_at = timezone.now()
    letter.pdf.save(f"{letter.kind}.pdf", ContentFile(rendered.pdf), save=False)
    return letter


def letter_recheck(*, letter_id: int) -> Letter:
    """A held letter, written and checked again (a handler has fixed what was missing: the
    rate table, the agency's details). It was never sent, so it may be rewritten; a letter
    that passes becomes ready, one that still fails stays held with the new reasons."""
    with transaction.atomic():
        letter = Letter.objects.select_for_update().select_related("step__claim").get(
            pk=letter_id)
        if letter.state != Letter.State.HELD:
            return letter
        fresh = _written(letter.step)
        old_pdf = letter.pdf.name if letter.pdf else ""
        for name in ("state", "problems", "content", "amount_ore", "sha256", "pages",
                     "rendered_at"):
            setattr(letter, name, getattr(fresh, name))
        letter.pdf = fresh.pdf
        letter.save()
    if old_pdf and old_pdf != letter.pdf.name:
        letter.pdf.storage.delete(old_pdf)
    return letter


# An objection stops every letter at once (inkassolagen); the letter waits, held, for the
# objection's resolution, when a handler re-checks it (letter_recheck) or lets it go.
DISPUTED_HOLD = "Ärendet är bestritt: brevet skickas inte medan bestridandet utreds."


def _moot(step: Step) -> str:
    claim = step.claim
    if claim.is_closed:
        return f"Ärendet är {claim.get_status_display().lower()}; brevet skickas inte."
    if Step.objects.filter(claim_id=step.claim_id, kind__in=LATER[step.kind]).exists():
        return "Ett senare steg har redan tagits; brevet skickas inte."
    return ""


def _store(letter: Letter) -> Letter | None:
    """Save the letter unless the step already has one: the one-to-one on the step is the
    exactly-once key, so a second worker's copy is discarded with its file."""
    try:
        with transaction.atomic():
            letter.save()
    except IntegrityError:
        if letter.pdf:
            letter.pdf.delete(save=False)
        return None
    return letter


def letters_deliver(*, today: date, client: kivra.KivraClient | None = None) -> int:
    """Hand every ready letter over, on bank days only; returns how many left ekrav."""
    if not is_bank_day(today):
        return 0
    _release_stale_sending()
    client = client if client is not None else kivra.KivraClient.from_settings()
    ready = list(Letter.objects.filter(state=Letter.State.READY, letter_date__lte=today)
                 .select_related("claim__debtor").order_by("id"))
    mailboxes = _mailboxes(client, ready)
    sent = 0
    for letter in ready:
        sent += _deliver_one(letter.pk, today=today, client=client, mailboxes=mailboxes)
    return sent


# A worker that took a letter to Kivra and died there: after this long the letter is tried
# again. Resending the archived PDF is safe: Kivra drops an identical payload as a duplicate.
SENDING_TIMEOUT = timedelta(minutes=30)


def _release_stale_sending() -> None:
    Letter.objects.filter(state=Letter.State.SENDING,
                          sending_since__lt=timezone.now() - SENDING_TIMEOUT).update(
        state=Letter.State.READY, sending_since=None)


def _mailboxes(client, letters) -> set[str] | None:
    """The persons among the letters' debtors who have a digital mailbox; None when the
    mailbox service cannot be asked now (each letter then counts a failed attempt)."""
    ssns = {letter.claim.debtor.identity_number for letter in letters
            if letter.claim.debtor.kind == "person"}
    if client is None or not ssns:
        return set()
    try:
        return client.usermatch(sorted(ssns))
    except kivra.KivraError as exc:
        log.warning("Kivra usermatch failed: %s", exc)
        return None


def _deliver_one(letter_id: int, *, today: date, client, mailboxes) -> int:
    """One letter: decided and marked in a short transaction, handed to Kivra outside any
    transaction (no lock is held while the network answers), the outcome recorded after."""
    with transaction.atomic():
        letter = (Letter.objects.select_for_update(skip_locked=True, of=("self",))
                  .select_related("claim__debtor").filter(pk=letter_id,
                                                          state=Letter.State.READY).first())
        if letter is None:
            return 0  # another worker has it, or it has moved on
        claim = letter.claim
        if claim.is_closed:
            _set(letter, state=Letter.State.CANCELLED,
                 problems=[f"Ärendet blev {claim.get_status_display().lower()} innan brevet "
                           "skickades."])
            return 0
        if claim.collection_stopped:
            _set(letter, state=Letter.State.HELD, problems=[DISPUTED_HOLD])
            return 0
        late = _too_late(letter, today)
        if late:
            _set(letter, state=Letter.State.HELD, problems=[late])
            return 0
        ssn = claim.debtor.identity_number if claim.debtor.kind == "person" else None
        if client is None or not ssn or (mailboxes is not None and ssn not in mailboxes):
            _to_print(letter, DeliveryAttempt.Outcome.NO_MAILBOX if client and ssn
                      else DeliveryAttempt.Outcome.QUEUED, "")
            return 0
        letter.digital_attempts += 1
        _set(letter, state=Letter.State.SENDING, sending_since=timezone.now())
    outcome = _send_digital(letter, client=client, ssn=ssn, unavailable=mailboxes is None)
    with transaction.atomic():
        return _record_digital(letter, outcome, today=today)


def _too_late(letter: Letter, today: date) -> str:
    """A letter may leave after its date (a worker was down), but never with less time to
    pay than the law and the letter itself promise."""
    shortest = MIN_DEMAND_DAYS if letter.kind == DEMAND else 1
    if letter.deadline and letter.deadline < today + timedelta(days=shortest):
        return (f"Brevet kunde inte skickas i tid: sista betalningsdag {letter.deadline} ger "
                f"mindre än {shortest} dagar från {today}. Ta ställning i ärendet.")
    return ""


KIVRA_TYPES = {Letter.Kind.REMINDER: kivra.TYPE_REMINDER,
               Letter.Kind.DEMAND: kivra.TYPE_DEBT_COLLECTION}


def _send_digital(letter: Letter, *, client, ssn: str, unavailable: bool):
    """Kivra's content id, or the KivraError that came back instead."""
    try:
        if unavailable:
            raise kivra.KivraUnavailable("usermatch unavailable")
        with letter.pdf.open("rb") as f:
            pdf = f.read()
        return client.send_content(
            ssn=ssn, subject=f"{letter.get_kind_display()} – ärende {letter.claim.case_number}",
            pdf=pdf, filename=f"{letter.kind}-{letter.claim.case_number}.pdf",
            payment=kivra.KivraPayment(amount_ore=letter.amount_ore, due_date=letter.deadline,
                                       ocr=letter.claim.ocr,
                                       bankgiro=settings.AGENCY["bankgiro"]),
            generated_at=letter.letter_date, kivra_type=KIVRA_TYPES[letter.kind])
    except kivra.KivraError as exc:
        return exc


def _record_digital(letter: Letter, outcome, *, today: date) -> int:
    if isinstance(outcome, kivra.KivraRejected):
        _to_print(letter, DeliveryAttempt.Outcome.REJECTED, str(outcome))
        return 0
    if isinstance(outcome, kivra.KivraError):
        if letter.digital_attempts >= settings.KIVRA_MAX_ATTEMPTS:
            _to_print(letter, DeliveryAttempt.Outcome.FAILED, f"{outcome} (sista försöket)")
        else:
            _attempt(letter, Letter.Channel.DIGITAL, DeliveryAttempt.Outcome.FAILED,
                     str(outcome))
            _set(letter, state=Letter.State.READY, sending_since=None)
        return 0
    _attempt(letter, Letter.Channel.DIGITAL, DeliveryAttempt.Outcome.DELIVERED, outcome)
    _set(letter, state=Letter.State.SENT, channel=Letter.Channel.DIGITAL, sent_on=today,
         external_id=outcome, sending_since=None)
    letters_sent_emit(letters=[letter])
    return 1


def _to_print(letter: Letter, outcome: str, detail: str) -> None:
    channel = Letter.Channel.DIGITAL if outcome in (
        DeliveryAttempt.Outcome.REJECTED, DeliveryAttempt.Outcome.FAILED) else Letter.Channel.PRINT
    _attempt(letter, channel, outcome, detail)
    if channel == Letter.Channel.DIGITAL:
        _attempt(letter, Letter.Channel.PRINT, DeliveryAttempt.Outcome.QUEUED, "")
    _set(letter, state=Letter.State.TO_PRINT, sending_since=None)


def _attempt(letter, channel, outcome, detail) -> None:
    DeliveryAttempt.objects.create(letter=letter, channel=channel, outcome=outcome,
                                   detail=detail[:300])


def _set(letter: Letter, **changes) -> None:
    for name, value in changes.items():
        setattr(letter, name, value)
    Letter.objects.filter(pk=letter.pk).update(digital_attempts=letter.digital_attempts,
                                               **changes)


@transaction.atomic
def print_batch_close(*, day: date) -> PrintBatch | None:
    """The day's print letters as one PDF and a CSV manifest; the letters are then sent.

    One batch a day (the unique day): letters queued after it wait for the next bank day's.
    """
    if not is_bank_day(day) or PrintBatch.objects.filter(day=day).exists():
        return None
    queued = list(Letter.objects.select_for_update(of=("self",))
                  .filter(state=Letter.State.TO_PRINT, letter_date__lte=day)
                  .select_related("claim").order_by("id"))
    letters = [letter for letter in queued if not letter.claim.collection_stopped]
    for letter in queued:
        if letter.claim.is_closed:  # paid or withdrawn while waiting for the printer
            _set(letter, state=Letter.State.CANCELLED,
                 problems=[f"Ärendet blev {letter.claim.get_status_display().lower()} innan "
                           "brevet skrevs ut."])
        elif letter.claim.collection_stopped:
            _set(letter, state=Letter.State.HELD, problems=[DISPUTED_HOLD])
    if not letters:
        return None
    pdf, manifest, pages = _merge(letters)
    batch = PrintBatch(day=day, sha256=hashlib.sha256(pdf).hexdigest(),
                       letter_count=len(letters), page_count=pages)
    batch.pdf.save(f"brev-{day}.pdf", ContentFile(pdf), save=False)
    batch.manifest.save(f"manifest-{day}.csv", ContentFile(manifest), save=False)
    batch.save()
    Letter.objects.filter(pk__in=[letter.pk for letter in letters]).update(
        state=Letter.State.SENT, channel=Letter.Channel.PRINT, sent_on=day, print_batch=batch)
    letters_sent_emit(letters=letters, channel=Letter.Channel.PRINT, sent_on=day)
    return batch


# A spreadsheet reads a cell starting with one of these as a formula (=HYPERLINK(...) in a
# debtor's name): such text gets a leading apostrophe, which shows it as the text it is.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    """Typed text for the manifest, never a formula when the print house opens it."""
    return f"'{text}" if str(text).startswith(_FORMULA_STARTS) else text


def _merge(letters: list[Letter]) -> tuple[bytes, bytes, int]:
    """One PDF of the letters in order (each starting on a new sheet: a one-page letter is
    followed by a blank back page for duplex printing) and the manifest that lists them."""
    writer, rows = PdfWriter(), io.StringIO()
    out = csv.writer(rows, delimiter=";")
    out.writerow(["letter_id", "case_number", "kind", "recipient", "street", "postal_code",
                  "city", "first_page", "pages"])
    page = 1
    for letter in letters:
        with letter.pdf.open("rb") as f:
            reader = PdfReader(io.BytesIO(f.read()))
        for p in reader.pages:
            writer.add_page(p)
        if len(reader.pages) % 2:
            writer.add_blank_page()
        debtor = letter.content.get("debtor", {})
        out.writerow([letter.pk, letter.claim.case_number, letter.kind,
                      *(_cell(debtor.get(field, ""))
                        for field in ("name", "street", "postal_code", "city")),
                      page, len(reader.pages)])
        page += len(reader.pages) + len(reader.pages) % 2
    writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=True)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue(), rows.getvalue().encode("utf-8-sig"), page - 1


def letters_dispatch(*, today: date, client: kivra.KivraClient | None = None) -> dict:
    """Prepare and deliver: what the worker runs after the tick and then every hour."""
    prepared = letters_prepare(today=today)
    sent = letters_deliver(today=today, client=client)
    return {"prepared": prepared, "sent": sent}


def collection_day_run(*, until: date, client: kivra.KivraClient | None = None) -> list[dict]:
    """The daily run, day by day up to ``until``: the tick, then that day's letters, then that
    day's print batch. Catching up after downtime (or moving the demo's clock) this way gives
    every letter the date it would have had.

    When ``until``'s tick had already run, the rest of its day is done all the same: the run
    redelivered after its worker died between the tick and the letters (tests/faults) would
    otherwise leave that day's letters unmade and its print batch unclosed. Each part is
    exactly-once, so a day that had been finished changes nothing."""

    days = []
    for day in days_to_run(until):
        results = collect_until(until=day)
        if results:
            days.append(_day_after_tick(day, results[-1].steps_taken, client))
    last_run = TickRun.objects.filter(finished_at__isnull=False).aggregate(d=Max("day"))["d"]
    if not days and last_run == until:
        finished = _day_after_tick(until, 0, client)
        if any(finished[name] for name in ("steps", "prepared", "sent", "printed")):
            days.append(finished)
    return days


def _day_after_tick(day: date, steps: int, client) -> dict:
    plans_check(today=day)  # a plan broken yesterday lets today's letters go on
    surveillance = surveillance_letters_take(today=day)
    dispatched = letters_dispatch(today=day, client=client)
    batch = print_batch_close(day=day)
    return {"day": day.isoformat(), "steps": steps + surveillance, **dispatched,
            "printed": batch.letter_count if batch else 0}


# --- Documents of other rooms: the Kronofogden application's readable copy -------------------

KFM_STYLESHEET = Path(settings.BASE_DIR) / "static" / "letters" / "kronofogden.css"


def kfm_application_html(application) -> str:
    """The readable copy of an application, from its file (claims.kronofogden): what is
    printed is what was sent."""
    from claims import kronofogden as kfm

    app = kfm.parse_application_xml(bytes(application.xml))
    with translation.override("sv"):
        return render_to_string("claims/kronofogden_application.html", {
            "app": app, "sha256": application.sha256, "totals": kfm.totals(app),
            "grounds": kfm.grounds_text(app),
            "subs": [{"claim": s, "label": kfm.sub_claim_label(s.kind)} for s in app.sub_claims]})


def kfm_application_pdf(*, application_id: int) -> bytes | None:
    """The application's PDF, rendered and stored once (None for a held application)."""
    from claims.models import KronofogdenApplication

    application = KronofogdenApplication.objects.get(pk=application_id)
    if application.pdf:
        with application.pdf.open("rb") as stored:
            return stored.read()
    if not application.sha256:
        return None
    pdf, _pages = render_document(html=kfm_application_html(application),
                                  stylesheet=KFM_STYLESHEET)
    with transaction.atomic():
        locked = KronofogdenApplication.objects.select_for_update().get(pk=application_id)
        if not locked.pdf:  # another worker may have stored it meanwhile: keep the first
            locked.pdf.save(f"bf-{locked.reference}.pdf", ContentFile(pdf), save=True)
    return pdf


def kfm_application_pdfs_render(*, limit: int = 50) -> int:
    """Render the PDFs still missing (beat); returns how many were made."""
    from claims.models import KronofogdenApplication

    due = (KronofogdenApplication.objects.filter(pdf="").exclude(sha256="")
           .values_list("pk", flat=True)[:limit])
    for pk in due:
        kfm_application_pdf(application_id=pk)
    return len(due)


# --- The statute of limitations (claims.limitation), refreshed for the handlers' list --------

def limitation_refresh(*, batch: int = 500) -> int:
    """Compute every open claim's limitation date afresh (its letters are this room's) and
    store it on the claim for the admin's "statute-barred soon" list; returns how many."""
    from claims.enforcement import claims_limitation_store
    from claims.models import CLOSED_STATUSES, Claim
    from letters.selectors import limitations_of

    ids = list(Claim.objects.exclude(status__in=CLOSED_STATUSES).order_by("pk")
               .values_list("pk", flat=True))
    done = 0
    for start in range(0, len(ids), batch):
        claims = list(Claim.objects.filter(pk__in=ids[start:start + batch])
                      .select_related("debtor").prefetch_related("invoices"))
        done += claims_limitation_store(dates={
            pk: found.expires_on for pk, found in limitations_of(claims).items()})
    return done
