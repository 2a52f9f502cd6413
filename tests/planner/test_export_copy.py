"""The PostgreSQL fast path of the live exports (COPY ... TO STDOUT, lines written by the
database) gives exactly the bytes of the Python path (csv module and csv_safety.neutralise)
on tricky data: quotes, newlines, formula triggers, tabs, CR, £ and Welsh letters, None and
decimals, dependencies to sort, quarter spans and reasons."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from planner import backlog, csv_export, robustness
from planner.models import RankedEntry, RankingRun, Stage, Status, Theme
from tests.factories import BacklogItemFactory, done_run_for, score_all

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the COPY path is PostgreSQL's"),
]

TRICKY = [
    'She said "hello", then left',
    "two\nlines",
    "carriage\rreturn",
    "crlf\r\nend",
    "=1+1",
    "+44 1234",
    "-2",
    "@SUM(A1)",
    "\tstarts with a tab",
    "\rstarts with CR",
    " =1+1",
    '"=1+1',
    "'=1+1",
    "\n@x",
    "'tis fine",
    "|cmd' /C calc'!A0",
    "%age uplift",
    "50% off",
    "\uff1d1+1",
    "\uff20SUM(A1)",
    "\u00a0=1+1",
    "\u200b-2",
    " \ufeff+1",
    "\u00a0plain",
    "Ynys Môn £1,500 – Llŷn ŵŷ",
    "back\\slash \\n not a newline",
    "bell\x07 and form\x0c feed and\x0b vtab and\x08 backspace",
    ",",
    '"',
    "",
    "   ",
]


def _python_path(head, values, namer):
    return csv_export.csv_chunks(head, csv_export._item_rows(csv_export._stream(values), namer))


def _both(make_export, monkeypatch) -> tuple[bytes, bytes]:
    fast = b"".join(make_export().chunks)
    monkeypatch.setattr(csv_export, "_copy_chunks", _python_path)
    slow = b"".join(make_export().chunks)
    return fast, slow


@pytest.fixture
def tricky(council):
    themes = [
        Theme.objects.create(council=council, name=name, position=90 + i)
        for i, name in enumerate(["=Theme", 'Theme "quoted"', "Thema, Cymraeg ŵ"])
    ]
    items = []
    for n, text in enumerate(TRICKY):
        item = BacklogItemFactory(
            council=council,
            title=text or "plain",
            problem=text,
            owner=TRICKY[-1 - n],
            theme=themes[n % 3],
            status=[Status.READY, Status.NEW, Status.IN_PROGRESS, Status.PARKED][n % 4],
            stage=[Stage.DISCOVERY, ""][n % 2],
            effort_days=None if n % 5 == 0 else Decimal("12.5") + n,
            one_off_cost=None if n % 3 == 0 else Decimal("1500.05") * n,
            recurring_cost=Decimal("0.00") if n % 2 else None,
        )
        if n % 6:
            score_all(item, 1 + n % 5)
        items.append(item)
    for n in range(3, len(items), 3):  # several dependencies per item, to be sorted
        items[n].depends_on.add(items[n - 1], items[n - 2], items[0])
    run = done_run_for(
        council, items[: len(items) - 3], scores=[f"{99.5 - n:.2f}" for n in range(len(items) - 3)]
    )
    run.plan = {"start": "2027-04-01", "first_month": 4, "quarters": [], "years": []}
    run.save()
    for n, entry in enumerate(RankedEntry.objects.filter(run=run).order_by("position")):
        start = None if n % 4 == 3 else n % 9
        entry.start_quarter = start
        entry.end_quarter = None if start is None else start + n % 3
        entry.horizon = ["now", "next", "later", "unscheduled", ""][n % 5]
        entry.schedule_reason = "waiting_on"
        entry.schedule_details = {"text": TRICKY[n]} if n % 7 else {}
        if n % 4 != 1:  # some entries' rank ranges are still being worked out
            entry.rank_low, entry.rank_high = max(n - 2, 1), n + 3 + n % 5
            entry.stability = robustness.stability(entry.rank_high - entry.rank_low)
        entry.save()
    return run


def test_ranking_export_fast_path_bytes_equal_the_python_path(council, tricky, monkeypatch):
    def make():
        return csv_export.export_ranking(council=council, user=None, run=tricky)

    fast, slow = _both(make, monkeypatch)
    assert fast.startswith(b"\xef\xbb\xbf") and b"\r\n" in fast
    assert fast.count(b"\r\n") > len(TRICKY) - 3  # a header and every ranked row
    assert "1–3,settled".encode() in fast and b",,\r\n" in fast  # known and not yet
    assert fast == slow


def test_backlog_export_fast_path_bytes_equal_the_python_path(council, tricky, monkeypatch):
    def make():
        return csv_export.export_backlog(
            council=council, user=None, items=backlog.filter_items(council, {})
        )

    fast, slow = _both(make, monkeypatch)
    assert fast == slow
    assert "Llŷn".encode() in fast


@pytest.mark.parametrize("first_month", [1, 4, 10])
def test_quarter_names_in_sql_match_python_for_any_year_start(council, first_month, monkeypatch):
    items = [BacklogItemFactory(council=council) for _ in range(3)]
    run = done_run_for(council, items)
    run.plan = {"start": date(2027, 11, 5).isoformat(), "first_month": first_month}
    run.save()
    for n, entry in enumerate(RankedEntry.objects.filter(run=run)):
        entry.start_quarter, entry.end_quarter = [(0, 0), (3, 90), (7, None)][n]
        entry.save()

    def make():
        return csv_export.export_ranking(council=council, user=None, run=run)

    fast, slow = _both(make, monkeypatch)
    assert fast == slow
    assert b" to Q" in fast


def test_a_run_without_a_plan_exports_the_same_both_ways(council, monkeypatch):
    items = [BacklogItemFactory(council=council, title="=x") for _ in range(2)]
    run = done_run_for(council, items)
    assert RankingRun.objects.get(pk=run.pk).plan in ({}, None)

    def make():
        return csv_export.export_ranking(council=council, user=None, run=run)

    fast, slow = _both(make, monkeypatch)
    assert fast == slow


def test_dependencies_come_sorted_by_length_then_text_from_the_database(council, monkeypatch):
    # Created in an order that is neither: the database's string_agg sorts them now.
    needed = [BacklogItemFactory(council=council, number=n) for n in (1000, 99, 999, 10000, 100)]
    item = BacklogItemFactory(council=council, number=5)
    item.depends_on.add(*needed)
    run = done_run_for(council, [item, *needed])

    def make():
        return csv_export.export_ranking(council=council, user=None, run=run)

    fast, slow = _both(make, monkeypatch)
    assert b",DIG-099;DIG-100;DIG-999;DIG-1000;DIG-10000," in fast
    assert fast == slow
