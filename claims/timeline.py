"""How each kind of event reads on the timeline, in the reader's language."""

from django.utils.translation import get_language, gettext as _

from ekrav.money import format_amount


def format_sek(ore):
    return format_amount(ore, language=get_language() or "sv")


# Where a payment to the agency came from, as the reader names it.
SOURCES = {"bgmax": "bankgiro", "swish": "Swish", "card": "kort", "trustly": "Trustly",
           "kfm": "Kronofogden"}


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
    if kind == "step_surveillance":
        return _("Surveillance letter (efterbevakning) to the debtor, to pay by %(deadline)s.") % {
            "deadline": data.get("deadline") or ""}
    if kind == "step_decision":
        return _("The collection demand's deadline has passed without full payment: the "
                 "creditor decides how to go on.")
    if kind == "solvency_check":
        return _solvency_text(data)
    if kind == "decision":
        return _decision_text(data)
    if kind == "kronofogden":
        return _kronofogden_text(data)
    if kind == "dispute":
        return _dispute_text(data)
    if kind == "plan":
        return _plan_text(data)
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


def _solvency_text(data) -> str:
    from claims.models import Outcome

    outcome = data.get("outcome") or ""
    label = Outcome(outcome).label if outcome in Outcome.values else outcome
    text = _("Solvency check (REX) on the debtor: %(outcome)s.") % {"outcome": label}
    if data.get("payment_remarks"):
        text += " " + _("Payment remarks: %(n)d.") % {"n": data["payment_remarks"]}
    if data.get("debt_at_kfm_ore"):
        text += " " + _("Debts at Kronofogden: %(amount)s.") % {
            "amount": format_sek(data["debt_at_kfm_ore"])}
    return text


def _decision_text(data) -> str:
    choice = data.get("choice")
    text = {"kronofogden": _("Decided: apply to Kronofogden for an order to pay "
                             "(betalningsföreläggande)."),
            "surveillance": _("Decided: long-term surveillance (efterbevakning)."),
            "withdraw": _("Decided: the claim is withdrawn."),
            "back_from_surveillance": _("The debtor can pay again (new solvency check): the "
                                        "claim waits for a new decision, Kronofogden or "
                                        "continued surveillance.")}.get(choice, choice or "")
    if data.get("by_policy"):
        text += " " + _("By the creditor's collection policy.")
    if data.get("reason"):
        text += " " + _("Note: %(reason)s") % {"reason": data["reason"]}
    return text


def _kronofogden_text(data) -> str:
    state = data.get("state")
    if state == "held":
        return _("The application to Kronofogden is held: %(problems)s") % {
            "problems": "; ".join(data.get("problems", []))}
    if state == "sent":
        return _("The application for betalningsföreläggande was sent to Kronofogden "
                 "(reference %(ref)s).") % {"ref": data.get("reference", "")}
    answers = {
        "received": _("Kronofogden has received the application."),
        "served": _("Kronofogden has served the application on the debtor (delgivning)."),
        "objected": _("The debtor objected at Kronofogden (bestridande): the claim is "
                      "disputed."),
        "judgment": _("Kronofogden has issued an utslag: the debtor is ordered to pay."),
        "enforcement": _("Enforcement (verkställighet) applied for at Kronofogden."),
        "no_assets": _("Kronofogden found no assets to distrain (SUT): the claim goes to "
                       "long-term surveillance."),
    }
    if state in answers:
        text = answers[state]
        if data.get("kfm_case_number"):
            text += " " + _("Kronofogden's case number: %(number)s.") % {
                "number": data["kfm_case_number"]}
        if data.get("note"):
            text += " " + data["note"]
        return text
    return _("The application for betalningsföreläggande is prepared, to be sent to "
             "Kronofogden.")


def _dispute_text(data) -> str:
    from claims.models import Dispute

    state, words = data.get("state"), data.get("text", "")
    if state == "registered":
        channel = dict(Dispute.Channel.choices).get(data.get("channel"), "")
        reason = dict(Dispute.Reason.choices).get(data.get("reason"), "")
        values = {"channel": str(channel).lower(), "reason": str(reason).lower()}
        if data.get("invoices"):
            text = _("The debtor objected to invoice %(invoices)s (%(channel)s): %(reason)s. "
                     "That part is held while the objection is looked into; the rest is "
                     "collected.") % {**values, "invoices": ", ".join(data["invoices"])}
        else:
            text = _("The debtor objected to the claim (%(channel)s): %(reason)s. Collection "
                     "is stopped while the objection is looked into.") % values
    elif state == "answered":
        position = dict(Dispute.Position.choices).get(data.get("position"), "")
        text = _("The creditor's position on the objection: %(position)s.") % {
            "position": str(position).lower()}
    else:
        resolution = dict(Dispute.Resolution.choices).get(data.get("resolution"), "")
        text = _("The objection is resolved: %(resolution)s.") % {
            "resolution": str(resolution).lower()}
    return f"{text} {words}".strip()


def _plan_text(data) -> str:
    state = data.get("state")
    if state == "requested":
        return _("The debtor asked for an instalment plan over %(months)s months (%(total)s).") % {
            "months": data.get("months"), "total": format_sek(data.get("total_ore", 0))}
    if state == "active":
        text = _("Instalment plan agreed: %(months)s monthly instalments of %(total)s in all, "
                 "the first due %(date)s. Collection pauses while it is kept.") % {
            "months": data.get("months"), "total": format_sek(data.get("total_ore", 0)),
            "date": data.get("first_due", "")}
        if data.get("by_policy"):
            text += " " + _("Within the creditor's limits.")
        return text
    if state == "rejected":
        return _("The instalment plan was not agreed: collection goes on.")
    if state == "broken":
        missed = data.get("missed") or {}
        return _("The instalment plan is broken: instalment %(n)s, due %(date)s, was not paid. "
                 "Collection goes on.") % {"n": missed.get("n", ""),
                                           "date": missed.get("due_on", "")}
    return _("The instalment plan is completed.")
