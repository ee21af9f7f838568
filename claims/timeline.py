"""How each kind of event reads on the timeline, in the reader's language."""

from django.utils.translation import get_language, gettext as _

from ekrav.money import format_amount


def format_sek(ore):
    return format_amount(ore, language=get_language() or "sv")


# Where a payment to the agency came from, as the reader names it.
SOURCES = {"bgmax": "bankgiro", "swish": "Swish", "card": "kort", "trustly": "Trustly"}


def event_text(event) -> str:
    data = event.data or {}
    kind = event.kind
    if kind == "registered":
        return _("Claim registered: invoice %(invoice)s, %(amount)s.") % {
            "invoice": data.get("invoice_number", ""),
            "amount": format_sek(data.get("amount_ore", 0)),
        }
    if kind == "invoice_added":
        return _("Invoice %(invoice)s, %(amount)s, joined this case: it was registered before "
                 "the collection demand went out, so the debtor gets one letter and one fee per "
                 "step.") % {
            "invoice": data.get("invoice_number", ""),
            "amount": format_sek(data.get("amount_ore", 0)),
        }
    if kind == "withdrawn":
        return _("Claim withdrawn by the creditor. Reason: %(reason)s") % {
            "reason": data.get("reason", "")}
    if kind == "direct_payment":
        return _("The creditor reported a direct payment of %(amount)s paid on %(date)s.") % {
            "amount": format_sek(data.get("amount_ore", 0)), "date": data.get("paid_on", "")}
    if kind == "payment":
        return _("Payment of %(amount)s received (%(source)s), paid on %(date)s.") % {
            "amount": format_sek(data.get("amount_ore", 0)), "date": data.get("paid_on", ""),
            "source": SOURCES.get(data.get("source"), data.get("source", ""))}
    if kind == "paid":
        return _("The claim is paid in full and closed.")
    if kind in ("step_reminder", "step_demand"):
        text = (_("Payment reminder (påminnelse) to the debtor, to pay by %(deadline)s.")
                if kind == "step_reminder" else
                _("Collection demand (inkassokrav) to the debtor, to pay by %(deadline)s."))
        text %= {"deadline": data.get("deadline") or ""}
        fees = [format_sek(f["amount_ore"]) for f in data.get("fees", []) if f["amount_ore"]]
        if fees:
            text += " " + _("Fee charged to the debtor: %(fees)s.") % {"fees": ", ".join(fees)}
        return text
    if kind == "step_decision":
        return _("The collection demand's deadline has passed without full payment: the "
                 "creditor decides how to go on.")
    if kind == "note" and data.get("from") == "debtor":
        return _debtor_note_text(data)
    return data.get("text", "")


def _debtor_note_text(data) -> str:
    """What the debtor told us in Mitt Ärende (debtors.services)."""
    if data.get("kind") == "already_paid":
        text = _("The debtor says in Mitt Ärende that %(amount)s was paid on %(date)s.") % {
            "amount": format_sek(data.get("amount_ore", 0)), "date": data.get("paid_on", "")}
        if data.get("hold_until"):
            text += " " + _("No step is taken before %(date)s while the payment is looked "
                            "for.") % {"date": data["hold_until"]}
        if data.get("note"):
            text += " " + _("The debtor's note: %(note)s") % {"note": data["note"]}
        return text
    return _("Message from the debtor in Mitt Ärende: %(text)s") % {"text": data.get("text", "")}
