"""What a site's database holds, read with SQL (the test process has no Django connection to
it), in forms that compare: a run that was interrupted against one that was not."""

from collections import Counter

# Domain columns only: ids of claims and creditors are the same in two sites seeded alike, the
# ids of rows written by the run (steps, letters, ledger rows) and every timestamp are not.
QUERIES = {
    "claims": "SELECT id, status, next_action_on FROM claims_claim",
    "steps": "SELECT claim_id, kind, sequence, taken_on, deadline FROM claims_step",
    "ledger": "SELECT claim_id, kind, key, amount_ore, booked_on FROM claims_ledgerentry",
    "letters": "SELECT l.claim_id, s.kind, s.sequence, l.kind, l.state, l.letter_date, "
               "l.amount_ore, l.channel, l.sent_on FROM letters_letter l "
               "JOIN claims_step s ON s.id = l.step_id",
    "payments": "SELECT source, external_id, claim_id, state, amount_ore, surplus_ore "
                "FROM payments_incomingpayment",
    "tick_runs": "SELECT day, finished_at IS NOT NULL FROM claims_tickrun",
}


def rows(site, query: str) -> list[tuple]:
    with site.postgres.connect(site.database) as conn:
        return conn.execute(query).fetchall()


def value(site, query: str):
    return rows(site, query)[0][0]


def snapshot(site, *parts: str) -> dict[str, Counter]:
    """Each part as a multiset of rows: a duplicate shows as a count of 2."""
    return {part: Counter(rows(site, QUERIES[part])) for part in parts}


def assert_same(got: dict[str, Counter], expected: dict[str, Counter]) -> None:
    """Equal part by part, with the first differences spelled out when not."""
    for part in expected:
        if got[part] != expected[part]:
            extra, missing = got[part] - expected[part], expected[part] - got[part]
            raise AssertionError(
                f"{part}: {sum(extra.values())} rows too many, {sum(missing.values())} missing; "
                f"e.g. too many {list(extra.items())[:3]}, missing {list(missing.items())[:3]}")


def assert_no_duplicates(snap: dict[str, Counter]) -> None:
    for part, counter in snap.items():
        twice = [(row, n) for row, n in counter.items() if n > 1]
        assert not twice, f"{part}: rows present more than once, e.g. {twice[:3]}"


def assert_as_if_uninterrupted(site, reference, *parts: str) -> None:
    """``site``'s ``parts`` hold no row twice and are what an uninterrupted run left in
    ``reference`` (seeded alike)."""
    got = snapshot(site, *parts)
    assert_no_duplicates(got)
    assert_same(got, snapshot(reference, *parts))
