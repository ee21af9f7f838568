"""The Swish QR code's text on a letter (Swish QR-code specification 6.1, "Swish C2B").

``C{payee};{amount};{message};{lock mask}``: the amount in kronor with two decimals and a
decimal comma, the message URL-encoded. The lock mask's bits say what the payer may edit
(payee 1, amount 2, message 4); 0 locks everything, so the payment carries exactly the
letter's amount and the OCR that matches it to the case. Pure.
"""

from urllib.parse import quote

LOCKED = 0


def swish_qr_text(*, payee: str, amount_ore: int, ocr: str, mask: int = LOCKED) -> str:
    if not payee.isdigit():
        raise ValueError(f"a Swish number is digits only, not {payee!r}")
    if amount_ore <= 0:
        raise ValueError("a Swish payment needs a positive amount")
    if not 0 <= mask <= 7:
        raise ValueError(f"lock mask {mask} is not a 3-bit mask")
    kronor, ore = divmod(amount_ore, 100)
    return f"C{payee};{kronor},{ore:02d};{quote(ocr, safe='')};{mask}"
