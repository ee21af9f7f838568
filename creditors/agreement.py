"""The service agreement (uppdragsavtal) a creditor signs with BankID at onboarding: its text,
versioned, filled in with the company. Pure: no ORM, no clock.

The text is what the signatory reads in the BankID app and what ends up in the signature, so it
is short and complete in itself; a new version is a new ``VERSION`` and a new text (signatures
of the old one stay as they were signed)."""

from __future__ import annotations

from dataclasses import dataclass

VERSION = "2026-11-01"


@dataclass(frozen=True)
class Parties:
    company: str
    organisation_number: str  # as printed: 556036-0793
    bankgiro: str  # as printed: 5050-1055
    agency: str
    agency_organisation_number: str


def agreement_text(parties: Parties) -> str:
    """The agreement as signed (plain text, Swedish: it is the binding document)."""
    p = parties
    return (
        f"Uppdragsavtal inkasso, version {VERSION}\n\n"
        f"Uppdragsgivare: {p.company}, org.nr {p.organisation_number}.\n"
        f"Inkassoföretag: {p.agency}, org.nr {p.agency_organisation_number}.\n\n"
        "1. Uppdraget. Uppdragsgivaren ger inkassoföretaget i uppdrag att driva in de "
        "fordringar som uppdragsgivaren registrerar i ekrav, enligt inkassolagen (1974:182) "
        "och god inkassosed: påminnelse, inkassokrav, och efter uppdragsgivarens beslut eller "
        "kravpolicy ansökan om betalningsföreläggande hos Kronofogden eller efterbevakning.\n"
        "2. Fordringarna. Uppdragsgivaren svarar för att varje registrerad fordran är riktig, "
        "förfallen och inte tvistig, och meddelar genast betalningar som kommer direkt till "
        "uppdragsgivaren, krediteringar och invändningar från gäldenären.\n"
        "3. Kostnader. Uppdragsgivaren betalar ingen avgift för uppdraget. Lagstadgade "
        "ersättningar (påminnelseavgift, inkassoavgift, förseningsersättning) betalas av "
        "gäldenären och tillfaller inkassoföretaget. Kronofogdens avgifter läggs ut av "
        "uppdragsgivaren och återbetalas när gäldenären betalar dem. Provision på kapital "
        "som drivs in under efterbevakning tas ut enligt prislistan.\n"
        f"4. Redovisning. Inbetalt kapital och ränta redovisas och betalas ut dagligen till "
        f"uppdragsgivarens bankgiro {p.bankgiro}, med avräkningsnota per e-post. Byte av "
        "bankgiro kräver ny underskrift med BankID av firmatecknare.\n"
        "5. Personuppgifter. Inkassoföretaget behandlar gäldenärernas personuppgifter som "
        "personuppgiftsansvarigt för inkassoverksamheten, enligt dataskyddsförordningen och "
        "inkassolagen.\n"
        "6. Återkallelse och uppsägning. Uppdragsgivaren kan återkalla ett enskilt ärende när "
        "som helst. Avtalet gäller tills vidare med en månads ömsesidig uppsägningstid; "
        "pågående ärenden avslutas enligt detta avtal.\n\n"
        "Jag intygar att jag är behörig firmatecknare för uppdragsgivaren och godkänner "
        "avtalet.")
