"""A full ranking run (load, score, write, done) at 1k, 10k and 100k items, beside a baseline.

The baseline is the same weighted-sum ranking computed inside PostgreSQL by one
`INSERT … SELECT … rank() OVER (…)` statement. The two results are checked to agree on every
item's score, rank, position and tie flag. A naive per-row `save()` implementation runs at 1k
items only, for scale. Targets (issue 4): 10k items under 1 s; 100k at most 2× the baseline.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/ranking.py
"""

from __future__ import annotations

import io
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from common import machine_line, median_ms, setup_django

SIZES = [int(size) for size in os.environ.get("BENCH_SIZES", "1000,10000,100000").split(",")]
REPEATS = {1_000: 7, 10_000: 5, 100_000: 3}
NAIVE_SIZE = 1_000

BASELINE_SQL = """
INSERT INTO planner_rankedentry (run_id, item_id, score, rank, position, tied, contributions,
                                 horizon, schedule_reason, schedule_details)
WITH weights AS (
    SELECT * FROM unnest(%(ids)s::bigint[], %(weights)s::numeric[], %(costs)s::boolean[])
        AS w(criterion_id, weight, is_cost)
), scored AS (
    SELECT item.id AS item_id, item.created_at,
           round(sum(w.weight * CASE WHEN w.is_cost THEN 5 - s.value ELSE s.value - 1 END)
                 * 100 / %(denominator)s, 2) AS score,
           jsonb_object_agg(s.criterion_id::text, round(
               w.weight * CASE WHEN w.is_cost THEN 5 - s.value ELSE s.value - 1 END
               * 100 / %(denominator)s, 4)) AS contributions
    FROM planner_backlogitem item
    JOIN planner_itemscore s ON s.item_id = item.id
    JOIN weights w ON w.criterion_id = s.criterion_id
    WHERE item.council_id = %(council)s AND NOT item.archived AND item.status <> 'done'
    GROUP BY item.id
    HAVING count(*) = %(criteria)s
)
SELECT %(run)s, item_id, score,
       rank() OVER (ORDER BY score DESC),
       row_number() OVER (ORDER BY score DESC, created_at, item_id),
       count(*) OVER (PARTITION BY score) > 1,
       contributions, '', '', '{}'::jsonb
FROM scored
"""


def build_council(slug: str, size: int):
    """A council of `size` fully scored, rankable items, written with COPY (seconds, not
    minutes, at 100k items)."""
    from django.db import connection, transaction

    from councils.models import Council, CouncilType
    from planner.defaults import ensure_council_defaults

    council = Council.objects.create(
        slug=slug, name=f"Benchmark {size}", council_type=CouncilType.UNITARY
    )
    ensure_council_defaults(council)
    theme_ids = list(council.themes.values_list("pk", flat=True))
    criterion_ids = list(council.criteria.filter(active=True).values_list("pk", flat=True))
    rng = random.Random(size)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with transaction.atomic(), connection.cursor() as cursor:
        items = io.StringIO()
        for number in range(1, size + 1):
            created = (start + timedelta(seconds=number)).isoformat()
            items.write(
                f"{council.pk}\t{number}\tDIG-{number:03d}\tBenchmark challenge {number}\t"
                f"Generated.\t{theme_ids[number % len(theme_ids)]}\tready\t\tdiscovery\t1\tf\t"
                f"{created}\t{created}\n"
            )
        with cursor.cursor.copy(
            "COPY planner_backlogitem (council_id, number, reference, title, problem, "
            "theme_id, status, owner, stage, version, archived, created_at, updated_at) "
            "FROM STDIN"
        ) as copy:
            copy.write(items.getvalue())
        cursor.execute("SELECT id FROM planner_backlogitem WHERE council_id = %s", [council.pk])
        item_ids = [row[0] for row in cursor.fetchall()]
        now = start.isoformat()
        scores = io.StringIO()
        for item_id in item_ids:
            for criterion_id in criterion_ids:
                scores.write(f"{item_id}\t{criterion_id}\t{rng.randint(1, 5)}\t\t{now}\t1\n")
        with cursor.cursor.copy(
            "COPY planner_itemscore (item_id, criterion_id, value, rationale, set_at, version) "
            "FROM STDIN"
        ) as copy:
            copy.write(scores.getvalue())
        cursor.execute("ANALYZE planner_backlogitem")
        cursor.execute("ANALYZE planner_itemscore")
    return council


def new_run(council):
    from django.db.models import Max

    from planner.models import RankingRun

    latest = council.runs.aggregate(latest=Max("generation"))["latest"] or 0
    return RankingRun.objects.create(council=council, generation=latest + 1)


def median_of(setup, work, *, repeats: int) -> float:
    """Median milliseconds of `work(setup())`, with one untimed warm-up; setup is untimed."""
    samples = []
    for attempt in range(repeats + 1):
        prepared = setup()
        started = time.perf_counter()
        work(prepared)
        if attempt:
            samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def full_run(run) -> int:
    """The service as a worker calls it: claim, load, score, write, done (and prune). The rank
    ranges are a task of their own after the run is live (bench/robustness.py times them);
    eager Celery would otherwise run them inside this timing."""
    from planner import ranking

    ranking.execute_run(run_id=run.pk, ranges_later=False)
    return run.pk


def scratch_run(council):
    """A fresh run for the baseline to fill; earlier scratch runs are dropped first."""
    from planner.models import RankingRun, RunStatus

    RankingRun.objects.filter(council=council, status=RunStatus.QUEUED).delete()
    return new_run(council)


def sql_baseline(run) -> int:
    """The same weighted-sum ranking in one statement, into a scratch run."""
    from django.db import connection, transaction

    council = run.council
    profile = council.profiles.get(is_active=True)
    criteria = list(council.criteria.filter(active=True).values_list("pk", "direction"))
    weights = [float(profile.weights.get(str(pk), 0)) for pk, _ in criteria]
    params = {
        "ids": [pk for pk, _ in criteria],
        "weights": weights,
        "costs": [direction == "cost" for _, direction in criteria],
        "denominator": 4 * sum(weights),  # 1–5 scales: (value − 1) ÷ 4 normalises
        "council": council.pk,
        "criteria": len(criteria),
        "run": run.pk,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(BASELINE_SQL, params)
    return run.pk


def naive_run(council) -> None:
    """What the service avoids: a query per item and a save() per entry."""
    from planner import ranking, scoring
    from planner.models import ItemScore

    run = new_run(council)
    data = ranking.load_input(council_id=council.pk)
    items = []
    for item in council.items.filter(archived=False).exclude(status="done"):
        scores = dict(ItemScore.objects.filter(item=item).values_list("criterion_id", "value"))
        items.append(
            scoring.ItemInput(id=item.pk, created=item.created_at.timestamp(), scores=scores)
        )
    result = scoring.rank_items(items, data.criteria, data.method)
    for entry in result.ranked:
        ranking.ranked_entry(run_id=run.pk, entry=entry).save()
    run.status = "done"
    run.save()


def rows(run_id: int) -> list[tuple]:
    from planner.models import RankedEntry

    return list(
        RankedEntry.objects.filter(run_id=run_id)
        .order_by("position")
        .values_list("item_id", "score", "rank", "position", "tied")
    )


def main() -> None:
    setup_django("ranking")
    from planner.models import RankingRun, RunStatus

    print(machine_line())
    print(
        f"{'items':>8} | {'full run (ms)':>13} | {'SQL baseline (ms)':>17} | {'ratio':>5} | agree"
    )
    print(f"{'-' * 8}-+-{'-' * 13}-+-{'-' * 17}-+-{'-' * 5}-+------")
    failures = []
    for size in SIZES:
        started = time.perf_counter()
        council = build_council(f"bench-{size}", size)
        build_s = time.perf_counter() - started
        repeats = REPEATS.get(size, 3)
        ours = median_of(lambda council=council: new_run(council), full_run, repeats=repeats)
        baseline = median_of(
            lambda council=council: scratch_run(council), sql_baseline, repeats=repeats
        )
        service_run = full_run(new_run(council))
        baseline_run = sql_baseline(scratch_run(council))
        agree = rows(service_run) == rows(baseline_run)
        done = RankingRun.objects.get(pk=service_run)
        assert done.status == RunStatus.DONE and done.item_count == size
        ratio = ours / baseline
        print(
            f"{size:>8} | {ours:>13.0f} | {baseline:>17.0f} | {ratio:>5.2f} | "
            f"{'yes' if agree else 'NO'}   (data built in {build_s:.1f} s)",
            flush=True,
        )
        if not agree:
            failures.append(f"{size}: results differ from the SQL baseline")
        if size == 10_000 and ours >= 1000:
            failures.append(f"10k run took {ours:.0f} ms (target < 1000 ms)")
        if size == 100_000 and ratio > 2:
            failures.append(f"100k run is {ratio:.2f}× the baseline (target ≤ 2×)")
    if NAIVE_SIZE in SIZES:
        from councils.models import Council

        council = Council.objects.get(slug=f"bench-{NAIVE_SIZE}")
        naive = median_ms(lambda: naive_run(council), repeats=3, warmup=0)
        print(f"naive per-row save() at {NAIVE_SIZE} items: {naive:.0f} ms")
    if failures:
        print("MISSED TARGETS: " + "; ".join(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
