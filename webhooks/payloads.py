"""The ``data`` of each event type, built from the objects its source has at hand (pure: no
ORM queries, no clock). Field names and money follow the API's claim schema (claims.api):
``id``, ``case_number``, ``ocr``, ``status``; amounts in SEK as decimal strings ("1234.50").

The rooms above pass their own objects in; this module only reads their attributes, so
``webhooks`` imports nothing above ``creditors``.
"""

from ekrav.money import ore_to_str


def _date(value):
    return value.isoformat() if value else None


def claim_ref(claim, *, status=None) -> dict:
    """The claim as events name it: enough to fetch the rest with ``GET /v1/claims/{id}``."""
    return {"id": claim.pk, "case_number": claim.case_number, "ocr": claim.ocr,
            "status": status or claim.status}


def claim_ref_of_row(row: dict) -> dict:
    """``claim_ref`` of a ``values("pk", "case_number", "ocr", "status")`` row."""
    return {"id": row["pk"], "case_number": row["case_number"], "ocr": row["ocr"],
            "status": row["status"]}


def claim_registered(claim, invoice, *, joined: bool) -> dict:
    return {"claim": claim_ref(claim),
            "invoice": {"invoice_number": invoice.invoice_number,
                        "invoice_date": _date(invoice.invoice_date),
                        "due_date": _date(invoice.due_date),
                        "amount": ore_to_str(invoice.amount_ore),
                        "description": invoice.description},
            "joined_existing_case": joined}


def status_changed(claim: dict, *, previous: str) -> dict:
    return {"claim": claim, "previous_status": previous, "status": claim["status"]}


def decision_needed(claim: dict) -> dict:
    return {"claim": claim}


def letter_sent(claim: dict, letter, *, channel=None, sent_on=None) -> dict:
    channel = str(channel or letter.channel)
    return {"claim": claim,
            "letter": {"id": letter.pk, "kind": letter.kind,
                       "channel": {"kivra": "digital_mailbox"}.get(channel, channel),
                       "sent_on": _date(sent_on or letter.sent_on),
                       "deadline": _date(letter.deadline)}}


def payment_received(claim: dict, *, amount_ore: int, paid_on, source: str,
                     surplus_ore: int, closed: bool) -> dict:
    return {"claim": claim,
            "payment": {"amount": ore_to_str(amount_ore), "paid_on": _date(paid_on),
                        "source": source, "surplus": ore_to_str(surplus_ore)},
            "claim_paid_in_full": closed}


def settlement_paid(settlement, *, payout_on) -> dict:
    return {"settlement": {
        "id": settlement.pk, "day": _date(settlement.day), "payout_on": _date(payout_on),
        "payout": ore_to_str(settlement.payout_ore), "capital": ore_to_str(settlement.capital_ore),
        "interest": ore_to_str(settlement.interest_ore),
        "outlays_deducted": ore_to_str(settlement.outlays_charged_ore),
        "commission": ore_to_str(settlement.commission_ore),
        "bankgiro": settlement.bankgiro, "cases": len(settlement.lines),
    }}


def ping(endpoint) -> dict:
    return {"endpoint": {"id": endpoint.pk, "url": endpoint.url}}
