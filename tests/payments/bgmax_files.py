"""BgMax files written for a test: one deposit of the given payments, each with its OCR
(reference code 2), in the layout of Bankgirot's example file (tests/fixtures)."""

from datetime import date


def bgmax_file(payments: list[tuple[str, int]], *, paid_on: date, serial: int = 1) -> bytes:
    """``payments``: (OCR, öre) each. ``serial`` makes the deposit (and its payments) new."""
    lines = ["01BGMAX               0120260320173035010331P", "050009912346          SEK"]
    for n, (ocr, amount) in enumerate(payments, start=1):
        lines.append(f"20{9000000 + n:010d}{ocr:>25}{amount:018d}21{n:012d}0")
    total = sum(amount for _ocr, amount in payments)
    lines.append(f"15{'5841000001009823':0>35}{paid_on:%Y%m%d}{serial:05d}{total:018d}"
                 f"SEK{len(payments):08d}")
    lines.append(f"70{len(payments):08d}{0:08d}{0:08d}{1:08d}")
    return ("\r\n".join(lines) + "\r\n").encode("iso-8859-1")
