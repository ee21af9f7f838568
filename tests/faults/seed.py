"""Data for the fault tests, made the way the benchmarks make it (bench/ is reused, not copied).

    python -m tests.faults.seed claims COUNT REGISTERED_ON SEED
    python -m tests.faults.seed bgmax PAYMENTS FILE SEED

``claims``: two creditors onboarded for real (bench/collection_tick.py) and COUNT claims
registered on REGISTERED_ON written in bulk (bench/bulk_claims.py), all due on the next bank
day. ``bgmax``: a BgMax file of PAYMENTS payments, 90% of them on the claims' OCRs
(bench/bgmax_import.py). The same SEED gives the same rows in a fresh database, which is how
a test compares a run that was interrupted with one that was not.
"""

import os
import random
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str]) -> None:
    sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ekrav.settings")
    import django

    django.setup()
    what, count, arg, seed = argv[0], int(argv[1]), argv[2], int(argv[3])
    if what == "claims":
        from bulk_claims import claims_bulk_register
        from collection_tick import make_creditors

        creditors = make_creditors(2, random.Random(seed))
        claims_bulk_register(creditor_ids=[c.pk for c in creditors], count=count,
                             registered_on=date.fromisoformat(arg),
                             rng=random.Random(seed + 1))
    elif what == "bgmax":
        from bgmax_import import bgmax_file

        from claims.models import Claim

        ocrs = list(Claim.objects.order_by("pk").values_list("ocr", flat=True))
        Path(arg).write_bytes(bgmax_file(ocrs, count, random.Random(seed + 2)))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
