"""The Swedish catalogue is whole and compiled: every message has a Swedish text no one has to
doubt (no entry left fuzzy, which gettext would skip and show in English), and the compiled .mo
the server reads says what the .po says."""

import ast
import gettext
from pathlib import Path

LOCALE = Path(__file__).resolve().parent.parent / "locale" / "sv" / "LC_MESSAGES"


def _entries(po: Path) -> list[dict]:
    """Each entry of a .po file: its flags, msgctxt, msgid, msgid_plural and msgstr(s)."""
    entries, entry, field = [], {"flags": set()}, None
    for line in po.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if "msgid" in entry:
                entries.append(entry)
            entry, field = {"flags": set()}, None
        elif line.startswith("#,"):
            entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry[field] += ast.literal_eval(line)
        else:
            field, _space, value = line.partition(" ")
            entry[field] = ast.literal_eval(value)
    return entries


ENTRIES = [e for e in _entries(LOCALE / "django.po") if e["msgid"]]  # not the header


def test_the_catalogue_is_read():
    assert len(ENTRIES) > 500


def test_every_message_has_a_settled_swedish_text():
    fuzzy = [e["msgid"] for e in ENTRIES if "fuzzy" in e["flags"]]  # gettext shows English
    empty = [e["msgid"] for e in ENTRIES
             if not all(v for k, v in e.items() if k.startswith("msgstr"))]
    assert (fuzzy, empty) == ([], [])


def test_the_compiled_catalogue_matches_the_source():
    with open(LOCALE / "django.mo", "rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    stale = []
    for entry in ENTRIES:
        context = f"{entry['msgctxt']}\x04" if "msgctxt" in entry else ""
        if "msgid_plural" in entry:
            got = compiled.ngettext(context + entry["msgid"], entry["msgid_plural"], 1)
            want = entry["msgstr[0]"]
        else:
            got, want = compiled.gettext(context + entry["msgid"]), entry["msgstr"]
        if got != want:
            stale.append(entry["msgid"])
    assert not stale, f"run compilemessages: {stale[:5]}"
