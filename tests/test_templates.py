"""House rules for the templates themselves."""

from __future__ import annotations

from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
MAX_LINE = 200


def test_no_template_line_is_over_200_characters():
    long_lines = [
        f"{path.relative_to(TEMPLATES)}:{number} ({len(line)} characters)"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if len(line) > MAX_LINE
    ]
    assert list(TEMPLATES.rglob("*.html")), "no templates found: is TEMPLATES right?"
    assert long_lines == []
