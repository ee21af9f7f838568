"""How fast letters are rendered, against plain WeasyPrint on the same HTML in the same run.

    .venv/bin/python bench/letter_rendering.py [--letters N] [--processes P]

No database: it builds a collection demand (inkassokrav) with sample data through the same pure
modules as a real letter (``letters.samples``), then times, per letter:

- the LETTER: what ``letter_create`` does to produce one letter: the Django template with its
  Swish QR code (segno), WeasyPrint with the process's reused font configuration and
  stylesheet, the PDF's text read back for the compliance check (pypdf) and its sha256;
- the BASELINE: WeasyPrint alone on the same HTML string, with a reused FontConfiguration and
  CSS: the floor for this letter on this machine.

It prints letters/second on one core for each, the ratio letter/baseline against the target
(issue 3: within 1.5x), which font subsetter WeasyPrint used (libharfbuzz-subset0 when
installed, else fontTools at about 4x the cost), and with ``--processes`` the letters/second of
a pool of processes forked after warm-up (``gc.freeze`` first, so the children share pages).
"""

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.5


def setup_django():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("EKRAV_VAR_DIR", tempfile.mkdtemp(prefix="ekrav-bench-letters-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ekrav.settings")
    import django

    django.setup()


def sample_demand():
    from datetime import date
    from decimal import Decimal

    from django.conf import settings

    from claims import interest
    from claims.law_seed import RATES
    from letters.samples import agency_party, sample_letter

    agency = settings.AGENCY
    return sample_letter(
        kind="demand", today=date(2026, 11, 23), agency=agency_party(agency),
        agency_bankgiro=agency["bankgiro"], swish_number=agency["swish_number"],
        mitt_arende_url=settings.MITT_ARENDE_URL,
        rates=[interest.ReferenceRate(valid_from=d, rate=Decimal(r)) for d, r, _v in RATES])


def subsetter() -> str:
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    if harfbuzz_subset and harfbuzz.hb_version_atleast(4, 1, 0):
        return "harfbuzz (libharfbuzz-subset0)"
    return "fontTools (install libharfbuzz-subset0: about 4x faster)"


def time_each(fn, n) -> list[float]:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def _pool_worker(n):
    from letters.render import render_letter

    content = sample_demand()
    for _ in range(n):
        render_letter(content)
    return n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--letters", type=int, default=60)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    setup_django()
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from letters.render import STATIC, STYLESHEET, _fetcher, letter_html, render_letter

    content = sample_demand()
    html = letter_html(content)
    fonts, fetcher = FontConfiguration(), _fetcher()
    css = CSS(filename=str(STYLESHEET), font_config=fonts, url_fetcher=fetcher)

    def baseline():
        HTML(string=html, base_url=str(STATIC) + "/", url_fetcher=fetcher).write_pdf(
            stylesheets=[css], font_config=fonts)

    def letter():
        render_letter(content)

    for fn in (baseline, letter):  # warm-up: fonts loaded, templates compiled
        fn()
    rounds = []
    for _ in range(3):  # interleaved, so both see the same machine
        rounds.append((time_each(baseline, args.letters // 3),
                       time_each(letter, args.letters // 3)))
    base = statistics.median(t for b, _l in rounds for t in b)
    ours = statistics.median(t for _b, l in rounds for t in l)
    ratio = ours / base
    print(f"letter: one-page inkassokrav, {len(html)} bytes of HTML; subsetter: {subsetter()}")
    print(f"baseline (WeasyPrint, reused fonts + CSS): {base * 1000:6.1f} ms/letter "
          f"= {1 / base:5.1f} letters/s per core")
    print(f"ekrav letter (template + QR + render + text check + sha256): {ours * 1000:6.1f} "
          f"ms/letter = {1 / ours:5.1f} letters/s per core")
    print(f"ratio letter/baseline: {ratio:.2f}x (target <= {TARGET_RATIO}x): "
          f"{'OK' if ratio <= TARGET_RATIO else 'OVER TARGET'}")
    if args.processes > 1:
        gc.freeze()
        per = max(args.letters // args.processes, 1)
        with get_context("fork").Pool(args.processes) as pool:
            pool.map(_pool_worker, [1] * args.processes)  # warm each child
            start = time.perf_counter()
            done = sum(pool.map(_pool_worker, [per] * args.processes))
            elapsed = time.perf_counter() - start
        print(f"{args.processes} processes: {done / elapsed:5.1f} letters/s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
