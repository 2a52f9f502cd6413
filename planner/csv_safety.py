"""Pure CSV helpers shared by export and import: spreadsheet-injection neutralising and
encoding detection. Standard library only, so they test in isolation.

Why not defusedcsv alone
------------------------
defusedcsv (a maintained wrapper of the csv module) prefixes a quote to cells starting with
``= + - @ | %``, but not to cells starting with a tab or carriage return, which OWASP lists,
and not to cells where a trigger follows leading spaces or quotes (`` =1+1``, ``"=1+1``),
which spreadsheets also evaluate. It also leaves numeric-looking text such as ``-2`` alone in
any column, while we decide by column: text columns are always neutralised, numeric columns
are written as real numbers and never touched. A dozen lines with their own tests are clearer
than wrapping it, so exports use the plain csv writer and `neutralise` below.

The round-trip rule
-------------------
On import, `restore` removes a leading ``'`` only where `neutralise` would have added it: a
cell ``'=1+1`` imports as ``=1+1``, and exporting it again gives ``'=1+1`` again. A cell that
starts with ``'`` followed by anything else (``'tis``) keeps its quote. The one thing this
cannot tell apart is a cell someone typed as ``'=1+1`` on purpose; it imports as ``=1+1``.

What is neutralised, and why (issue 14)
---------------------------------------
A text cell gets a leading ``'`` when its first character, or its first character after any
run of the leading noise below, is a trigger. The quote is invisible in a spreadsheet and
`restore` takes it off again on import, so a false positive costs nothing; a miss can run a
formula on a councillor's machine. So where a character is doubtful, we neutralise.

- ``= + - @``, tab and carriage return: OWASP's list; every spreadsheet evaluates them.
- ``|``: neutralised. No current spreadsheet evaluates a cell starting with it, but it is the
  DDE separator (``cmd|' /C calc'!A0``), older Excel and some importers act on it, and
  defusedcsv and most scanners flag it.
- ``%``: neutralised, as defusedcsv does. Excel reads ``%`` as a percentage sign only after a
  number, but some locales and macro languages treat a leading one specially; a title starting
  with ``%`` is rare enough that its invisible quote harms nothing.
- Fullwidth ``＝ ＋ － ＠`` (U+FF1D, U+FF0B, U+FF0D, U+FF20): neutralised. Excel with
  an East Asian input locale converts fullwidth operators to their ASCII forms on entry, so
  ``＝1+1`` can become a formula.
- No-break space (U+00A0), zero-width space, joiner and non-joiner (U+200B to U+200D), word
  joiner (U+2060) and the zero-width no-break space U+FEFF before a trigger: treated like the
  ordinary spaces and quotes in `_LEADING_NOISE`, so ``\u00a0=1+1`` and ``\u200b=1+1`` are
  neutralised. Spreadsheets that trim "whitespace" on import disagree about which characters
  count, and these are invisible, so a reviewer could not see the trigger behind them.
- Everything else (letters, digits, ``#``, ``/``, ``(``, other Unicode) is left alone.

The PostgreSQL COPY fast path in csv_export (`_TRIGGERS_SQL`, `_NOISE_SQL`) spells the same
two sets; tests/planner/test_export_copy.py compares its bytes with this function's.
"""

from __future__ import annotations

import re

# OWASP CSV injection: cells starting with these are evaluated as formulas (or DDE).
# Also `|` (DDE), `%` and the fullwidth forms of = + - @; see the module docstring.
FORMULA_TRIGGERS = frozenset("=+-@\t\r|%\uff1d\uff0b\uff0d\uff20")
# Characters spreadsheets skip (or that cannot be seen) before a formula trigger: spaces,
# quotes, line feed, no-break space, zero-width space / non-joiner / joiner, word joiner, BOM.
_LEADING_NOISE = " \"'\n\u00a0\u200b\u200c\u200d\u2060\ufeff"
# Any first character outside this set cannot start a formula: the fast path for exports.
_SUSPICIOUS_FIRST = FORMULA_TRIGGERS | frozenset(_LEADING_NOISE)

UTF8_BOM = b"\xef\xbb\xbf"
# Control characters never found in a text CSV (tab, LF and CR are fine): a binary file.
_BINARY_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class CsvFileError(ValueError):
    """The file as a whole cannot be read; the message is shown to the user."""


# The export has about 20 columns plus one per criterion. More than this, after dropping
# trailing columns with no heading, is refused before any data row is read (issue 14);
# the CSV and .xlsx imports share it.
MAX_COLUMNS = 200


def neutralise(text: str) -> str:
    """Prefix a single quote to a text cell a spreadsheet would run as a formula."""
    if not text or text[0] not in _SUSPICIOUS_FIRST:
        return text
    if text[0] in FORMULA_TRIGGERS:
        return "'" + text
    stripped = text.lstrip(_LEADING_NOISE)
    if stripped is not text and stripped and stripped[0] in FORMULA_TRIGGERS:
        return "'" + text
    return text


def restore(text: str) -> str:
    """Undo `neutralise`: drop a leading quote only if neutralise would have added it."""
    if text.startswith("'") and neutralise(text[1:]) == text:
        return text[1:]
    return text


def decode_csv_bytes(data: bytes) -> tuple[str, str]:
    """Decode an uploaded CSV as UTF-8 (with or without BOM) or Windows-1252.

    UTF-8 is tried strictly first: Windows-1252 text with any byte above 0x7F (such as £,
    0xA3) is almost never valid UTF-8, so a strict UTF-8 decode that succeeds is reliable.
    Only then is Windows-1252 tried; Python's codec refuses its five undefined bytes
    (0x81, 0x8D, 0x8F, 0x90, 0x9D). NUL and other control bytes mean a binary file, a
    spreadsheet (.xlsx) or UTF-16 text, none of which are CSV we can read.
    Returns (text, encoding name); raises CsvFileError with a message for people.
    """
    if not data:
        raise CsvFileError("The file is empty.")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise CsvFileError(
            "The file is saved as UTF-16 (\u201cUnicode text\u201d). "
            "Save it as \u201cCSV UTF-8 (comma delimited)\u201d and upload it again."
        )
    if data.startswith(b"PK\x03\x04"):
        raise CsvFileError(
            "The file is a spreadsheet (.xlsx), not a CSV. "
            "Save it as \u201cCSV UTF-8 (comma delimited)\u201d and upload it again."
        )
    if b"\x00" in data:
        raise CsvFileError("The file contains NUL bytes, so it is not a text CSV file.")
    if data.startswith(UTF8_BOM):
        try:
            text, encoding = data[len(UTF8_BOM) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            raise CsvFileError(
                "The file starts like UTF-8 but contains bytes that are not UTF-8."
            ) from None
    else:
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            try:
                text, encoding = data.decode("cp1252"), "windows-1252"
            except UnicodeDecodeError:
                raise CsvFileError(
                    "The file's character encoding is not UTF-8 or Windows-1252. "
                    "Save it as \u201cCSV UTF-8 (comma delimited)\u201d and upload it again."
                ) from None
    if _BINARY_CONTROL.search(text):
        raise CsvFileError("The file contains control characters, so it is not a text CSV.")
    return text, encoding
