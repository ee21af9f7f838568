"""Every template, as Django reads it: a ``{# … #}`` comment ends on its own line (Django's
one-line comment), or its text is printed on the page — use ``{% comment %}`` for more."""

import re
from pathlib import Path

from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR) / "templates"
_OPEN_COMMENT = re.compile(r"\{#(?![^\n]*#\})")


def test_no_one_line_comment_runs_over_lines():
    found = [f"{path.relative_to(TEMPLATES)}:{text[:m.start()].count(chr(10)) + 1}"
             for path in sorted(TEMPLATES.rglob("*"))
             if path.suffix in (".html", ".txt")
             for text in [path.read_text()]
             for m in _OPEN_COMMENT.finditer(text)]
    assert found == [], f"a {{# comment spans lines in {found}"
