"""CSV export throughput and memory: the backlog and ranking exports at 10k and 100k rows.

Target (issue 9): at least 60,000 rows/s as served, with the delivery plan's Horizon,
Quarters and Why columns, and peak memory that does not grow with the row count. Rows per
second come from untraced runs (median of three); peak memory comes from a separate run under
tracemalloc, which slows Python down, so it is not timed. The ranking's entries carry a stored
plan as a worker writes it (horizon, quarters, reason and its plain-English text).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/export.py
"""

from __future__ import annotations

import gc
import os
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine_line, setup_django  # noqa: E402

SIZES = tuple(int(n) for n in os.environ.get("BENCH_SIZES", "10000,100000").split(","))
REPEATS = 3
TARGET_ROWS_PER_S = 60_000


def seed(slug: str, count: int):
    """A council with `count` scored items, a dependency on every tenth and a done ranking,
    loaded with COPY (bulk_create is several times slower at this size)."""
    from django.db import connection
    from django.utils import timezone

    from councils.models import Council, CouncilType
    from planner.defaults import ensure_council_defaults
    from planner.models import BacklogItem, RankingRun, RunStatus

    council = Council.objects.create(
        name=f"Bench {slug}", slug=slug, council_type=CouncilType.UNITARY
    )
    ensure_council_defaults(council)
    themes = list(council.themes.values_list("pk", flat=True))
    criteria = list(council.criteria.filter(active=True).values_list("pk", flat=True))
    rng = random.Random(count)
    now = timezone.now()
    statuses = ["new", "triage", "ready", "in_progress", "parked"]
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(
            "COPY planner_backlogitem (council_id, number, reference, title, problem, theme_id,"
            " status, owner, effort_days, one_off_cost, recurring_cost, stage, version,"
            " archived, created_at, updated_at) FROM STDIN"
        ) as copy:
            for n in range(1, count + 1):
                copy.write_row(
                    (
                        council.pk,
                        n,
                        BacklogItem.format_reference(n),
                        f"Benchmark challenge {n}: Ynys Môn £{n}",
                        "Residents cannot do this online, so they phone.",
                        themes[n % len(themes)],
                        statuses[n % len(statuses)],
                        "Digital team",
                        rng.randint(1, 60),
                        "1500.00",
                        None,
                        "discovery",
                        1,
                        False,
                        now,
                        now,
                    )
                )
        ids = list(council.items.order_by("number").values_list("pk", flat=True))
        with raw.copy(
            "COPY planner_itemscore (item_id, criterion_id, value, rationale, set_at, version)"
            " FROM STDIN"
        ) as copy:
            for item_id in ids:
                for criterion_id in criteria:
                    copy.write_row((item_id, criterion_id, rng.randint(1, 5), "", now, 1))
        with raw.copy(
            "COPY planner_backlogitem_depends_on (from_backlogitem_id, to_backlogitem_id)"
            " FROM STDIN"
        ) as copy:
            for index in range(10, len(ids), 10):
                copy.write_row((ids[index], ids[index - 1]))
        run = RankingRun.objects.create(
            council=council,
            generation=1,
            status=RunStatus.DONE,
            method="weighted_sum",
            finished_at=now,
            item_count=len(ids),
            plan={"start": "2027-04-01", "first_month": 4, "quarters": [], "years": []},
        )
        order = ids[:]
        rng.shuffle(order)
        with raw.copy(
            "COPY planner_rankedentry (run_id, item_id, score, rank, position, tied,"
            " contributions, start_quarter, end_quarter, horizon, schedule_reason,"
            " schedule_details) FROM STDIN"
        ) as copy:
            for position, item_id in enumerate(order, start=1):
                score = f"{100 - position * 100 / len(order):.2f}"
                copy.write_row(
                    (run.pk, item_id, score, position, position, False, "{}", *_place(position))
                )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return council, run


def _place(position: int) -> tuple:
    """A stored place in the plan: the first 40 items placed, then capacity runs out, every
    seventh waits on another, and the last tenth is not scheduled within the 8 quarters."""
    if position % 7 == 0:
        start = min(7, position // 40)
        text = f"waiting on DIG-{position - 1:03d}"
        return start, start + 1, _horizon(start), "waiting_on", f'{{"text": "{text}"}}'
    if position > 9 * 40:
        return None, None, "unscheduled", "no_capacity", '{"text": "no capacity within the plan"}'
    start = min(7, position // 40)
    reason = "" if start == 0 else "no_capacity"
    text = "" if start == 0 else f"no capacity until Q{start % 4 + 1} {2027 + start // 4}/28"
    return start, start, _horizon(start), reason, f'{{"text": "{text}", "days": 5.0}}'


def _horizon(start: int) -> str:
    return "now" if start == 0 else "next" if start <= 2 else "later"


def consume(make_export) -> tuple[int, int]:
    export = make_export()
    size = rows = 0
    for chunk in export.chunks:
        size += len(chunk)
        rows += chunk.count(b"\r\n")
    return rows - 1, size


def measure(label: str, make_export, count: int) -> dict:
    consume(make_export)  # warm up caches and the query plan
    timings = []
    for _ in range(REPEATS):
        gc.collect()
        start = time.perf_counter()
        rows, size = consume(make_export)
        timings.append(time.perf_counter() - start)
    assert rows == count, (rows, count)
    seconds = statistics.median(timings)
    gc.collect()
    tracemalloc.start()
    consume(make_export)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    result = {
        "label": label,
        "rows": count,
        "seconds": seconds,
        "rows_per_s": count / seconds,
        "mb": size / 1e6,
        "peak_mb": peak / 1e6,
    }
    print(
        f"{label:>20} {count:>7,} rows: {seconds:6.2f} s, {result['rows_per_s']:>8,.0f} rows/s, "
        f"{result['mb']:6.1f} MB file, peak traced memory {result['peak_mb']:6.2f} MB"
    )
    return result


def main() -> None:
    setup_django("export")
    from planner import backlog, csv_export

    print(machine_line())
    for count in SIZES:
        council, run = seed(f"bench-export-{count}", count)

        def backlog_export(c=council):
            return csv_export.export_backlog(
                council=c, user=None, items=backlog.filter_items(c, {})
            )

        def ranking_export(c=council, r=run):
            return csv_export.export_ranking(council=c, user=None, run=r)

        # As served: Horizon, Quarters and Why come from the run's entry in the same row.
        measure("backlog", backlog_export, count)
        result = measure("ranking", ranking_export, count)
        if count == max(SIZES) and result["rows_per_s"] < TARGET_ROWS_PER_S:
            print(f"MISSED TARGET: {result['rows_per_s']:,.0f} < {TARGET_ROWS_PER_S:,} rows/s")


if __name__ == "__main__":
    main()
