"""Swedish identifiers: personnummer, organisationsnummer, bankgiro, OCR, postal code, phone.

Pure functions: no ORM, no clock. Whoever needs "today" passes it in, so the rules can be
tested for any date. Every normalizer returns the canonical stored form (digits only, or
E.164 for phones) and raises ``IdentifierError`` with a message meant for the user.
"""

import re
from datetime import date

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _


class IdentifierError(ValueError):
    """A value that is not a valid identifier; ``message`` is shown to the user."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    def __str__(self):
        return str(self.message)


def _compact(value: str, drop: str = " \u00a0\t") -> str:
    """Remove characters people type for readability (spaces, non-breaking spaces)."""
    if not isinstance(value, str):
        raise IdentifierError(_("Enter the number as text."))
    return "".join(ch for ch in value.strip() if ch not in drop)


# --- Luhn ----------------------------------------------------------------------------------


def _luhn_sum(digits: str, double_rightmost: bool) -> int:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if (i % 2 == 0) == double_rightmost:
            n *= 2
            n -= 9 if n > 9 else 0
        total += n
    return total


def luhn_check_digit(digits: str) -> int:
    """The digit to append to ``digits`` so that the whole string passes Luhn."""
    if not digits or not digits.isascii() or not digits.isdigit():
        raise IdentifierError(_("Only digits can carry a check digit."))
    # The payload's rightmost digit is doubled because the check digit will follow it.
    return (10 - _luhn_sum(digits, double_rightmost=True) % 10) % 10


def luhn_valid(digits: str) -> bool:
    if not isinstance(digits, str) or len(digits) < 2:
        return False
    if not digits.isascii() or not digits.isdigit():
        return False
    return _luhn_sum(digits, double_rightmost=False) % 10 == 0


# --- Personnummer ----------------------------------------------------------------------------

# Century is optional; '-' or '+' only between birth date and serial number.
_PNR_RE = re.compile(r"(\d{2})?(\d{6})([-+]?)(\d{4})", re.ASCII)

_COORDINATION_OFFSET = 60


def _birth_year(yy: int, mmdd: tuple[int, int], plus: bool, today: date) -> int:
    """Latest year ending in ``yy`` whose birthday is not after ``today``; '+' means 100+."""
    year = today.year - (today.year - yy) % 100
    if year == today.year and mmdd > (today.month, today.day):
        year -= 100
    return year - 100 if plus else year


def normalize_personnummer(value: str, *, today: date) -> str:
    """Return the 12-digit form YYYYMMDDNNNC; samordningsnummer (day + 60) are accepted."""
    match = _PNR_RE.fullmatch(_compact(value))
    if not match:
        raise IdentifierError(
            _("A personnummer has 10 or 12 digits, e.g. YYMMDD-NNNN or YYYYMMDD-NNNN.")
        )
    century, yymmdd, sep, serial = match.groups()
    if century and sep == "+":
        # '+' only makes sense where the century is missing.
        raise IdentifierError(_("Use '+' only with the 10-digit form YYMMDD+NNNN."))
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    real_day = dd - _COORDINATION_OFFSET if dd > _COORDINATION_OFFSET else dd
    if century:
        year = int(century + yymmdd[:2])
    else:
        year = _birth_year(yy, (mm, real_day), sep == "+", today)
    try:
        born = date(year, mm, real_day)
    except ValueError:
        raise IdentifierError(
            _("The personnummer does not contain a real date of birth.")
        ) from None
    if born > today:
        raise IdentifierError(_("The personnummer has a date of birth in the future."))
    if not luhn_valid(yymmdd + serial):
        raise IdentifierError(
            _("The last digit of the personnummer (check digit) is wrong; check for a typo.")
        )
    return f"{year:04d}{yymmdd[2:]}{serial}"


def _require_digits(value: str, length: int, what: str) -> None:
    if not (isinstance(value, str) and len(value) == length and value.isascii()
            and value.isdigit()):
        raise ValueError(f"{what} must be {length} digits, got {value!r}")


def is_samordningsnummer(pnr12: str) -> bool:
    _require_digits(pnr12, 12, "pnr12")
    return int(pnr12[6:8]) > _COORDINATION_OFFSET


def format_personnummer(pnr12: str) -> str:
    _require_digits(pnr12, 12, "pnr12")
    return f"{pnr12[:8]}-{pnr12[8:]}"


# --- Organisationsnummer ---------------------------------------------------------------------

# Bolagsverket's 12-digit form puts "16" in front of the 10 digits.
_ORGNR_RE = re.compile(r"(\d{2})?(\d{6})-?(\d{4})", re.ASCII)


def normalize_organisationsnummer(value: str) -> str:
    """Return the 10-digit organisationsnummer."""
    match = _ORGNR_RE.fullmatch(_compact(value))
    if not match:
        raise IdentifierError(
            _("An organisationsnummer has 10 digits, e.g. NNNNNN-NNNN.")
        )
    prefix, orgnr = match.group(1), match.group(2) + match.group(3)
    if prefix not in (None, "16"):
        raise IdentifierError(
            _("This is a personnummer, not an organisationsnummer (12 digits not starting "
              "with 16).")
        )
    if int(orgnr[2:4]) < 20:
        # A "month" in digits 3-4 means someone typed a person's number.
        raise IdentifierError(
            _("This is a personnummer, not an organisationsnummer (digits 3-4 are below 20).")
        )
    if not luhn_valid(orgnr):
        raise IdentifierError(
            _("The last digit of the organisationsnummer (check digit) is wrong; "
              "check for a typo.")
        )
    return orgnr


def format_organisationsnummer(orgnr10: str) -> str:
    _require_digits(orgnr10, 10, "orgnr10")
    return f"{orgnr10[:6]}-{orgnr10[6:]}"


# --- Company forms ---------------------------------------------------------------------------

COMPANY_FORMS = ("AB", "HB", "KB", "EF")

_FORM_FIRST_DIGIT = {
    "AB": ("5", _("An AB's organisationsnummer starts with 5.")),
    "HB": ("9", _("An HB's organisationsnummer starts with 9.")),
    "KB": ("9", _("A KB's organisationsnummer starts with 9.")),
}


def normalize_company_identity(value: str, form: str, *, today: date) -> str:
    """Identity of a customer company: orgnr (10 digits) or, for EF, the owner's pnr (12)."""
    if form not in COMPANY_FORMS:
        raise IdentifierError(
            _("Only aktiebolag (AB), handelsbolag (HB), kommanditbolag (KB) and "
              "enskild firma (EF) can be customers.")
        )
    if form == "EF":
        return _enskild_firma_identity(value, today)
    first, mismatch = _FORM_FIRST_DIGIT[form]
    if _looks_like_personnummer(value):
        # A person's number given for a company most likely means the form is wrong.
        raise IdentifierError(format_lazy(
            "{} {}", mismatch, _("A personnummer is only used for an enskild firma (EF).")
        ))
    orgnr = normalize_organisationsnummer(value)
    if orgnr[0] != first:
        raise IdentifierError(mismatch)
    return orgnr


def _enskild_firma_identity(value: str, today: date) -> str:
    if _looks_like_organisationsnummer(value):
        raise IdentifierError(
            _("An enskild firma (EF) is identified by the owner's personnummer, "
              "not an organisationsnummer.")
        )
    return normalize_personnummer(value, today=today)


def _looks_like_personnummer(value: str) -> bool:
    digits = _digits_only(value)
    if len(digits) == 12:
        return not digits.startswith("16")
    return len(digits) == 10 and int(digits[2:4]) < 20


def _looks_like_organisationsnummer(value: str) -> bool:
    digits = _digits_only(value)
    if len(digits) == 12 and digits.startswith("16"):
        digits = digits[2:]
    return len(digits) == 10 and int(digits[2:4]) >= 20


def _digits_only(value: str) -> str:
    if not isinstance(value, str):
        return ""
    return "".join(ch for ch in value if ch.isascii() and ch.isdigit())


# --- Debtors ---------------------------------------------------------------------------------

DEBTOR_KINDS = ("person", "company")


def normalize_debtor_identity(value: str, kind: str, *, today: date) -> str:
    """Person: 12-digit pnr. Company: 10-digit orgnr, or an enskild firma's 12-digit pnr."""
    if kind not in DEBTOR_KINDS:
        raise ValueError(f"kind must be one of {DEBTOR_KINDS}, got {kind!r}")
    if kind == "person" and _looks_like_organisationsnummer(value):
        # A valid Swedish number of the wrong kind: not a foreign case, just the wrong choice.
        raise IdentifierError(
            _("This looks like an organisationsnummer (digits 3-4 are 20 or more); "
              "register the debtor as a company.")
        )
    # Shape decides which number a company debtor meant: an enskild firma uses a pnr.
    as_person = kind == "person" or _looks_like_personnummer(value)
    try:
        if as_person:
            return normalize_personnummer(value, today=today)
        return normalize_organisationsnummer(value)
    except IdentifierError as exc:
        # Ten or twelve digits is a Swedish number with a typo: say what is wrong with it.
        # Any other shape is a foreign identity, which ekrav does not collect on.
        if len(_digits_only(value)) in (10, 12) and _only_number_characters(value):
            raise
        raise IdentifierError(format_lazy(
            "{} {}",
            _("Only Swedish personnummer and organisationsnummer are accepted; foreign "
              "debtors (utländska ärenden) are not handled."),
            exc.message,
        )) from exc


def _only_number_characters(value: str) -> bool:
    return all(ch.isdigit() or ch in " -+\u00a0" for ch in value.strip())


def format_identity(value: str) -> str:
    if isinstance(value, str) and len(value) == 12:
        return format_personnummer(value)
    return format_organisationsnummer(value)


def mask_identity(value: str) -> str:
    """An identity number for lists and logs: a personnummer without its last four digits
    (19811228-****); an organisation number, which is public, as it is."""
    if isinstance(value, str) and len(value) == 12:
        return format_personnummer(value)[:9] + "****"
    return format_identity(value)


# A personnummer or samordningsnummer in free text (a log line): [CC]YYMMDD, an optional - or +,
# four digits; masked whenever the first six digits after the century could be a birth date
# (or a samordningsnummer's day + 60). Over-masking an OCR reference that looks like one is
# the price of never logging a person's number.
_PERSONNUMMER_IN_TEXT = re.compile(r"(?<!\d)((?:19|20)?(\d{2})(\d{2})(\d{2})[-+]?)(\d{4})(?!\d)")


def mask_personnummer_in_text(text: str) -> str:
    def mask(found):
        month, day = int(found.group(3)), int(found.group(4))
        if 1 <= month <= 12 and (1 <= day <= 31 or 61 <= day <= 91):
            return found.group(1) + "****"
        return found.group(0)
    return _PERSONNUMMER_IN_TEXT.sub(mask, text)


# --- Bankgiro --------------------------------------------------------------------------------

_BANKGIRO_RE = re.compile(r"\d{3,4}-?\d{4}", re.ASCII)


def normalize_bankgiro(value: str) -> str:
    """Return 7 or 8 digits."""
    compact = _compact(value)
    if not _BANKGIRO_RE.fullmatch(compact):
        raise IdentifierError(
            _("A bankgiro number has 7 or 8 digits, e.g. NNN-NNNN or NNNN-NNNN.")
        )
    digits = compact.replace("-", "")
    if not digits.strip("0"):
        # All zeros passes Luhn; it is the placeholder people type, not an account.
        raise IdentifierError(_("000-0000 is a placeholder, not a real bankgiro number."))
    if not luhn_valid(digits):
        raise IdentifierError(
            _("The last digit of the bankgiro number (check digit) is wrong; check for a typo.")
        )
    return digits


def format_bankgiro(digits: str) -> str:
    if not (isinstance(digits, str) and digits.isascii() and digits.isdigit()
            and len(digits) in (7, 8)):
        raise ValueError(f"bankgiro must be 7 or 8 digits, got {digits!r}")
    return f"{digits[:-4]}-{digits[-4:]}"


# --- OCR reference ---------------------------------------------------------------------------

OCR_MIN_LENGTH = 2
OCR_MAX_LENGTH = 25


def ocr_from_base(base: str, *, length_digit: bool = True) -> str:
    """Append the optional length digit, then the Luhn check digit over everything."""
    if not base or not base.isascii() or not base.isdigit():
        raise IdentifierError(_("An OCR reference is built from digits only."))
    total = len(base) + (2 if length_digit else 1)
    if total > OCR_MAX_LENGTH:
        raise IdentifierError(_("An OCR reference has at most 25 digits."))
    payload = base + (str(total % 10) if length_digit else "")
    return payload + str(luhn_check_digit(payload))


def ocr_valid(ocr: str, *, require_length_digit: bool = False) -> bool:
    if not isinstance(ocr, str) or not OCR_MIN_LENGTH <= len(ocr) <= OCR_MAX_LENGTH:
        return False
    if not luhn_valid(ocr):
        return False
    if require_length_digit:
        return len(ocr) >= 3 and int(ocr[-2]) == len(ocr) % 10
    return True


# --- Postal code -----------------------------------------------------------------------------

_POSTAL_RE = re.compile(r"[1-9]\d{2} ?\d{2}", re.ASCII)


def normalize_postal_code(value: str) -> str:
    if not isinstance(value, str):
        raise IdentifierError(_("Enter the postal code as text."))
    compact = " ".join(value.replace("\u00a0", " ").split())
    if not _POSTAL_RE.fullmatch(compact):
        raise IdentifierError(
            _("A Swedish postal code has 5 digits, e.g. 123 45, and does not start with 0.")
        )
    return compact.replace(" ", "")


def format_postal_code(value: str) -> str:
    _require_digits(value, 5, "postal code")
    return f"{value[:3]} {value[3:]}"


# --- Phone -----------------------------------------------------------------------------------

_PHONE_DROP = " \u00a0\t-()/."


def normalize_phone(value: str) -> str:
    """Return E.164, e.g. +46701234567. Only Swedish numbers."""
    national = _phone_national_part(_compact(_drop_trunk_hint(value), drop=_PHONE_DROP))
    if not national.isascii() or not national.isdigit():
        raise IdentifierError(_("A phone number may only contain digits, spaces, '-' and '+'."))
    if not 7 <= len(national) <= 9:
        raise IdentifierError(
            _("A Swedish phone number has 8 to 10 digits including the leading 0.")
        )
    if national.startswith("0"):
        raise IdentifierError(_("There is a 0 too many at the start of the phone number."))
    return "+46" + national


def _drop_trunk_hint(value: str) -> str:
    # "+46 (0)70 ..." is a common way of writing it; the (0) is not dialled.
    return value.replace("(0)", "") if isinstance(value, str) else value


def _phone_national_part(compact: str) -> str:
    if compact.startswith("+") or compact.startswith("00"):
        rest = compact[1:] if compact.startswith("+") else compact[2:]
        if not rest.startswith("46"):
            raise IdentifierError(_("Only Swedish phone numbers (+46) are accepted."))
        # People often keep the trunk 0 after +46; it is never part of the number.
        return rest[2:].removeprefix("0")
    if compact.startswith("0"):
        return compact[1:]
    raise IdentifierError(_("Start the phone number with 0 or +46."))
