"""The pure CSV helpers: injection neutralising, its inverse, encoding detection, cycles."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.csv_safety import CsvFileError, decode_csv_bytes, neutralise, restore


@pytest.mark.parametrize(
    "payload",
    ["=1+1", "+1", "-2", "@SUM(A1)", "\tcmd", "\rcmd", '=HYPERLINK("http://x")'],
)
def test_cells_starting_with_a_trigger_get_a_quote(payload):
    assert neutralise(payload) == "'" + payload


@pytest.mark.parametrize("payload", [" =1+1", '"=1+1', "' +1", "\n-2"])
def test_triggers_after_leading_spaces_or_quotes_are_also_guarded(payload):
    assert neutralise(payload) == "'" + payload


@pytest.mark.parametrize("text", ["", "Ynys Môn", "Pay £5 online", "a=b", "'tis", "DIG-001", " a"])
def test_ordinary_text_is_left_alone(text):
    assert neutralise(text) == text


@pytest.mark.parametrize("payload", ["=1+1", "-2", "@x", "\tx", " =x", "'=x"])
def test_restore_undoes_neutralise(payload):
    assert restore(neutralise(payload)) == payload


def test_restore_keeps_a_quote_we_did_not_add():
    assert restore("'tis the season") == "'tis the season"


@given(st.text())
def test_restore_is_the_inverse_of_neutralise_for_any_text(text):
    assert restore(neutralise(text)) == text


@given(st.text())
def test_neutralised_text_never_starts_with_a_trigger(text):
    assert neutralise(text)[:1] not in {"=", "+", "-", "@", "\t", "\r"}


def test_utf8_is_decoded_strictly():
    assert decode_csv_bytes("Ynys Môn, £5".encode()) == ("Ynys Môn, £5", "utf-8")


def test_utf8_with_bom_drops_the_bom():
    assert decode_csv_bytes(b"\xef\xbb\xbfTitle") == ("Title", "utf-8-sig")


def test_windows_1252_pound_sign_is_read():
    assert decode_csv_bytes(b"Cost \xa3500") == ("Cost £500", "windows-1252")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"Title\x00", "NUL"),
        (b"\xff\xfeT\x00", "UTF-16"),
        (b"PK\x03\x04rest", "spreadsheet"),
        (b"caf\x81", "encoding"),
        (b"\x01\x02\x03binary", "control characters"),
        (b"\xef\xbb\xbf\xa3", "not UTF-8"),
    ],
)
def test_unreadable_files_get_a_clear_message(data, message):
    with pytest.raises(CsvFileError, match=message):
        decode_csv_bytes(data)


# --- The neutralisation decision (issue 14 item 7; see csv_safety's docstring) ------------


def test_a_cell_starting_with_a_pipe_is_neutralised():
    assert neutralise("|cmd' /C calc'!A0") == "'|cmd' /C calc'!A0"


def test_a_cell_starting_with_a_percent_sign_is_neutralised():
    assert neutralise("%age uplift") == "'%age uplift"


@pytest.mark.parametrize("payload", ["\uff1d1+1", "\uff0b1", "\uff0d2", "\uff20SUM(A1)"])
def test_a_cell_starting_with_a_fullwidth_trigger_is_neutralised(payload):
    assert neutralise(payload) == "'" + payload


@pytest.mark.parametrize(
    "space", ["\u00a0", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", " \u00a0\u200b"]
)
def test_invisible_or_no_break_spaces_before_a_trigger_are_neutralised(space):
    assert neutralise(space + "=1+1") == "'" + space + "=1+1"
    assert restore(neutralise(space + "=1+1")) == space + "=1+1"


@pytest.mark.parametrize("text", ["\u00a0Ynys M\u00f4n", "\u200bplain", "#1 priority", "50% off"])
def test_those_spaces_and_other_characters_alone_are_left_alone(text):
    assert neutralise(text) == text
