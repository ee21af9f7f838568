"""Many registered claims at once, for the benchmarks that need the issue's scale (1,000,000).

``claim_register_many`` makes ~1,000 claims/s (it checks and joins cases like a real CSV
import), so a million would take a quarter of an hour before a benchmark starts. This writes
the same rows in PostgreSQL itself (``INSERT ... SELECT`` over ``generate_series``, the OCRs
computed here and sent by one COPY): per claim a debtor, the claim (status registered,
``next_action_on`` its first bank day, case number and OCR as ``claims.services`` draws them),
one invoice (a second for ~30%, which joins the case: "invoice added"), the registered event
and a capital ledger row per invoice with its key and Swedish legal basis. It is only for a
fresh benchmark database (it sets ids itself and moves the sequences past them).
"""

import random
from datetime import date

CASE_NUMBER_OFFSET = 100000  # claims.services: case number = 100000 + id


def claims_bulk_register(*, creditor_ids: list[int], count: int, registered_on: date,
                         rng: random.Random) -> int:
    """``count`` claims spread over ``creditor_ids``, registered on ``registered_on``, in a
    few statements; returns how many claims were written."""
    from django.db import connection, transaction
    from django.utils import timezone

    from ekrav.calendar import first_bank_day_after
    from ekrav.identifiers import ocr_from_base

    ocrs, seen = [], set()
    while len(ocrs) < count:
        ocr = ocr_from_base(str(rng.randrange(10**9, 10**10)))
        if ocr not in seen:
            seen.add(ocr)
            ocrs.append(ocr)
    values = {"now": timezone.now(), "on": registered_on, "creditors": list(creditor_ids),
              "next": first_bank_day_after(registered_on), "offset": CASE_NUMBER_OFFSET,
              "seed": rng.random() * 2 - 1}
    with transaction.atomic(), connection.cursor() as cursor:
        # The rows are consistent by construction; checking ~10 million foreign keys at
        # commit took three of the four minutes a million claims took. Only a superuser
        # (the benchmark's default "postgres") may skip them: anyone else waits.
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("CREATE TEMPORARY TABLE bench_ocr (n bigint PRIMARY KEY, ocr text) "
                       "ON COMMIT DROP")
        with cursor.copy("COPY bench_ocr (n, ocr) FROM STDIN") as copy:
            copy.write("".join(f"{n}\t{ocr}\n" for n, ocr in enumerate(ocrs, 1)))
        cursor.execute("SELECT setseed(%(seed)s)", values)
        for statement in _STATEMENTS:
            cursor.execute(statement, values)
        for table in ("debtors_debtor", "claims_claim", "claims_invoice", "claims_event",
                      "claims_ledgerentry"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"(SELECT max(id) FROM {table}))")
    return count


_CREDITOR = "(%(creditors)s::bigint[])[1 + (n - 1) %% cardinality(%(creditors)s::bigint[])]"

_STATEMENTS = (
    # One debtor per case; ~25% companies, as bench/collection_tick.py makes them.
    f"""INSERT INTO debtors_debtor (id, kind, identity_number, name, street, postal_code, city,
        email, phone, created_at, updated_at, creditor_id)
    SELECT n, CASE WHEN random() < 0.25 THEN 'company' ELSE 'person' END,
        lpad((190000000000 + n)::text, 12, '0'), 'Bench Gäldenär ' || n, 'Storgatan ' || (n %% 99 + 1),
        (10000 + n %% 89999)::text, 'Stockholm',
        CASE WHEN random() < 0.6 THEN 'kund' || n || '@example.se' ELSE '' END, '',
        %(now)s, %(now)s, {_CREDITOR}
    FROM bench_ocr""",
    f"""INSERT INTO claims_claim (id, case_number, ocr, status, registered_on, source,
        interest_enabled, next_action_on, created_at, created_by_id, creditor_id, debtor_id)
    SELECT n, (%(offset)s + n)::text, ocr, 'registered', %(on)s, 'csv', true, %(next)s,
        %(now)s, NULL, {_CREDITOR}, n
    FROM bench_ocr""",
    # Invoice n is the claim's first; invoice count + n its second, for ~30% of the claims.
    """CREATE TEMPORARY TABLE bench_invoice ON COMMIT DROP AS
    SELECT n AS id, n AS claim_id, 'registered' AS event_kind, random() AS r, random() AS a
    FROM bench_ocr
    UNION ALL
    SELECT (SELECT count(*) FROM bench_ocr) + n, n, 'invoice_added', random(), random()
    FROM bench_ocr WHERE random() < 0.3""",
    """INSERT INTO claims_invoice (id, invoice_number, invoice_date, due_date, amount_ore,
        description, reminder_fee_agreed, pdf, pdf_name, claim_id, creditor_id)
    SELECT i.id, 'F-' || (100000 + i.id), %(on)s::date - (40 + (i.r * 361)::int),
        %(on)s::date - (10 + (i.r * 361)::int), 10000 + (i.a * 24990000)::bigint,
        'Målning', i.id %% 2 = 0, '', '', i.claim_id, c.creditor_id
    FROM bench_invoice i JOIN claims_claim c ON c.id = i.claim_id""",
    """INSERT INTO claims_event (id, kind, occurred_on, created_at, data, actor_id, claim_id)
    SELECT v.id, b.event_kind, %(on)s, %(now)s,
        jsonb_build_object('invoice_number', v.invoice_number, 'amount_ore', v.amount_ore,
                           'source', 'csv'), NULL, v.claim_id
    FROM claims_invoice v JOIN bench_invoice b ON b.id = v.id""",
    """INSERT INTO claims_ledgerentry (id, kind, amount_ore, booked_on, legal_basis, key,
        created_at, claim_id, event_id)
    SELECT v.id, 'capital', v.amount_ore, %(on)s,
        'Faktura ' || v.invoice_number || ' med förfallodatum ' || v.due_date::text,
        'capital:invoice:' || v.id, %(now)s, v.claim_id, v.id
    FROM claims_invoice v""",
)
