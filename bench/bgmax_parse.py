"""How fast parse_bgmax reads a BgMax file, against a floor measured in the same run.

    .venv/bin/python bench/bgmax_parse.py [--payments N] [--per-deposit M] [--seed S]

Generates a file of N payments (default 100,000) in deposits of M, as Bankgirot writes them for
an agency: OCR references (reference code 2), one deduction in fifty, half the payments with the
payer's name, address and organisation number (TK26-TK29), one in ten with an extra reference
and an information text. Lines are right-trimmed and end in CRLF, like real files.

The BASELINE is the least any parser must do: split the same bytes into lines and turn every
payment line's amount into an int. The ratio parse/baseline says what the record checks, the
field slicing and the frozen dataclasses cost on top of that.
"""

import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ekrav.settings")

from payments.bgmax import parse_bgmax  # noqa: E402 - needs the path above

NAMES = ("Anna Andersson", "Erik Johansson", "Måleri Åström AB", "Karin Nilsson", "Örjan Ek")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument("--per-deposit", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    args = parser.parse_args()
    data = generate(args.payments, args.per_deposit, random.Random(args.seed))
    parsed = parse_bgmax(data)
    assert len(parsed.payments) == args.payments, "the generator and the parser disagree"
    parse_s = best_of(args.repeat, lambda: parse_bgmax(data))
    floor_s = best_of(args.repeat, lambda: baseline(data))
    lines = data.count(b"\n")
    print(f"file: {len(data) / 1e6:.1f} MB, {lines} lines, "
          f"{args.payments} payments in {len(parsed.deposits)} deposits")
    print(f"parse_bgmax: {parse_s:.3f} s = {args.payments / parse_s:,.0f} payments/s")
    print(f"baseline (split + int of amounts): {floor_s:.3f} s = "
          f"{args.payments / floor_s:,.0f} payments/s")
    print(f"ratio parse/baseline: {parse_s / floor_s:.1f}x")
    return 0


def best_of(repeat, run) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def baseline(data: bytes) -> int:
    total = 0
    for line in data.split(b"\n"):
        if line[:2] == b"20":
            total += int(line[37:55])
    return total


def generate(payments: int, per_deposit: int, rng: random.Random) -> bytes:
    lines = ["01BGMAX               0120250612173035010331P"]
    counts = [0, 0, 0, 0]
    serial = 0
    for first in range(0, payments, per_deposit):
        lines.append("050009912346          SEK")
        total = size = 0
        for _ in range(min(per_deposit, payments - first)):
            serial += 1
            total += payment(lines, counts, serial, rng, total)
            size += 1
        counts[3] += 1
        lines.append(f"15{'5841000001009823':0>35}20250612{counts[3]:05d}{total:018d}"
                     f"SEK{size:08d}")
    lines.append("70" + "".join(f"{count:08d}" for count in counts))
    return ("\r\n".join(lines) + "\r\n").encode("iso-8859-1")


def payment(lines, counts, serial, rng, deposited) -> int:
    """Appends one payment's records; returns its signed amount in öre."""
    amount = rng.randrange(100, 5_000_000)
    # A deduction never takes the deposit below zero: TK15 has no sign.
    deduction = rng.random() < 0.02 and amount <= deposited
    ocr = str(rng.randrange(10**9, 10**12))
    kind = "21" if deduction else "20"
    lines.append(f"{kind}{rng.randrange(10**6, 10**8):010d}{ocr:>25}{amount:018d}22"
                 f"{serial:012d}0" + ("0" if deduction else ""))
    counts[1 if deduction else 0] += 1
    if rng.random() < 0.1:
        lines.append(f"22{0:010d}{ocr[:-1] + '7':>25}{0:018d}22{serial:012d}0")
        lines.append(f"25Faktura {ocr}")
        counts[2] += 1
    if rng.random() < 0.5:
        lines.append(f"26{rng.choice(NAMES)}")
        lines.append(f"27{'Storgatan 2':<35}12345")
        lines.append("28Storåker")
        lines.append("29005500001234")
    return -amount if deduction else amount


if __name__ == "__main__":
    sys.exit(main())
