"""How each kind of event reads on the timeline, in the reader's language."""

from django.utils.translation import get_language, gettext as _

from ekrav.money import format_amount


def format_sek(ore):
    return format_amount(ore, language=get_language() or "sv")


def event_text(event) -> str:
    data = event.data or {}
    kind = event.kind
    if kind == "registered":
        return _("Claim registered: invoice %(invoice)s, %(amount)s.") % {
            "invoice": data.get("invoice_number", ""),
            "amount": format_sek(data.get("amount_ore", 0)),
        }
    if kind == "withdrawn":
        return _("Claim withdrawn by the creditor. Reason: %(reason)s") % {
            "reason": data.get("reason", "")}
    if kind == "direct_payment":
        return _("The creditor reported a direct payment of %(amount)s paid on %(date)s.") % {
            "amount": format_sek(data.get("amount_ore", 0)), "date": data.get("paid_on", "")}
    if kind == "paid":
        return _("The claim is paid in full and closed.")
    return data.get("text", "")
