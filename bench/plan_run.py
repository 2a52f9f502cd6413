"""A full ranking run WITH its delivery plan (load, score, rank, schedule, write, done) at 10,000
items in rank-order mode, beside the phases it is made of.

The council looks like a demo council at scale: every item scored on the 7 default criteria,
efforts 5-120 team-days, one-off and recurring costs, ~10% in progress (with days remaining),
~3% unestimated, a dependency on every twentieth item, a few pins, 8 quarters of 140 team-days
from Q1 2027/28 and one-off and recurring budgets in the first two financial years. Target
(issue 9): a median under 0.5 s at 10,000 items. Baselines printed beside it: the same run
without a plan (planning.plan_run replaced by an empty plan), and the SQL-only ranking of
bench/ranking.py (one INSERT ... SELECT ... rank() OVER).

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/plan_run.py
     [--profile]  (prints the top of a cProfile of one run)
"""

from __future__ import annotations

import os
import random
import sys
import time

from common import machine_line, setup_django

SIZE = int(os.environ.get("BENCH_SIZE", "10000"))
REPEATS = 7
TARGET_MS = 500
EFFORTS = ([5, 10, 15, 20, 30, 40, 60, 90, 120], [8, 12, 12, 14, 14, 12, 12, 8, 8])


def add_plan_data(council, size: int) -> None:
    """Efforts, costs, statuses, dependencies, pins and budgets, written in a few statements."""
    from datetime import date

    from django.db import connection

    from councils.models import FinancialYearBudget
    from planner.models import HorizonOverride

    rng = random.Random(size)
    council.planning_start = date(2027, 4, 1)
    council.capacity_days_per_quarter = 140
    council.save()
    ids = list(council.items.order_by("number").values_list("pk", flat=True))
    rows = []
    for item_id in ids:
        status = rng.choices(["in_progress", "ready", "new", "triage"], [10, 55, 20, 15])[0]
        effort = None if rng.random() < 0.03 else rng.choices(*EFFORTS)[0]
        remaining = round(effort * 0.2, 1) if status == "in_progress" and effort else None
        one_off = rng.choice([0, 5_000, 12_000, 25_000, 60_000])
        recurring = rng.choice([0, 0, 2_500, 8_000])
        rows.append((item_id, status, effort, remaining, one_off, recurring))
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE plan_data (id bigint, status text, effort numeric,"
            " remaining numeric, one_off numeric, recurring numeric)"
        )
        with cursor.cursor.copy("COPY plan_data FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            "UPDATE planner_backlogitem i SET status = d.status, effort_days = d.effort,"
            " remaining_days = d.remaining, one_off_cost = d.one_off,"
            " recurring_cost = d.recurring FROM plan_data d WHERE i.id = d.id"
        )
        cursor.execute("DROP TABLE plan_data")
        with cursor.cursor.copy(
            "COPY planner_backlogitem_depends_on (from_backlogitem_id, to_backlogitem_id)"
            " FROM STDIN"
        ) as copy:
            for index in range(20, len(ids), 20):
                copy.write_row((ids[index], ids[index - rng.randint(1, 15)]))
        cursor.execute("ANALYZE")
    for index in range(5):
        HorizonOverride.objects.create(
            item_id=ids[100 * index + 50], quarter=date(2027, 4, 1), reason="Statutory"
        )
    FinancialYearBudget.objects.create(council=council, year=2027, one_off=900_000, recurring=None)
    FinancialYearBudget.objects.create(
        council=council, year=2028, one_off=1_500_000, recurring=200_000
    )


def median_run_ms(council, *, repeats: int = REPEATS) -> tuple[float, list[float]]:
    from bench.ranking import new_run
    from planner import ranking

    samples = []
    for attempt in range(repeats + 1):
        run = new_run(council)
        started = time.perf_counter()
        ranking.execute_run(run_id=run.pk, ranges_later=False)
        if attempt:
            samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return samples[len(samples) // 2], samples


def phases_ms(council) -> dict[str, float]:
    """One run's phases, timed apart (medians of five)."""
    import statistics

    from django.db import transaction

    from bench.ranking import new_run
    from planner import ranking
    from planner.models import RankedEntry

    timings: dict[str, list[float]] = {"load": [], "score": [], "plan": [], "write": []}
    for _ in range(5):
        run = new_run(council)
        t0 = time.perf_counter()
        data = ranking.load_input(council_id=council.pk)
        t1 = time.perf_counter()
        result = ranking.rank(data)
        t2 = time.perf_counter()
        plan = ranking.plan_for(council_id=council.pk, result=result)
        t3 = time.perf_counter()
        with transaction.atomic():
            ranking.write_entries(run_id=run.pk, result=result, plan=plan)
        t4 = time.perf_counter()
        RankedEntry.objects.filter(run=run).delete()
        run.delete()
        for name, value in zip(timings, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            timings[name].append(value * 1000)
    return {name: statistics.median(values) for name, values in timings.items()}


def without_plan_ms(council) -> float:
    """The same run with an empty plan: what scheduling adds."""
    from planner import planning

    real = planning.plan_run
    planning.plan_run = lambda **kwargs: planning.RunPlan("rank_order", {}, {}, [])
    try:
        return median_run_ms(council)[0]
    finally:
        planning.plan_run = real


def main() -> None:
    setup_django("plan_run")
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from common import median_ms

    from bench.ranking import build_council, scratch_run, sql_baseline

    print(machine_line())
    print(f"load average {os.getloadavg()[0]:.2f}")
    council = build_council(f"bench-plan-{SIZE}", SIZE)
    add_plan_data(council, SIZE)
    if "--profile" in sys.argv:
        import cProfile
        import pstats

        from bench.ranking import new_run
        from planner import ranking

        run = new_run(council)
        ranking.execute_run(run_id=new_run(council).pk, ranges_later=False)  # warm up
        profiler = cProfile.Profile()
        profiler.enable()
        ranking.execute_run(run_id=run.pk, ranges_later=False)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
        return
    ours, samples = median_run_ms(council)
    run = council.runs.filter(status="done").order_by("-generation").first()
    placed = run.entries.exclude(start_quarter=None).count()
    print(
        f"full run with plan, {SIZE:,} items: median {ours:.0f} ms "
        f"(samples {', '.join(f'{s:.0f}' for s in samples)}); {placed:,} placed, "
        f"{len(run.needs_estimate)} need an estimate, mode {run.schedule_mode}"
    )
    phases = phases_ms(council)
    print("phases (median ms): " + ", ".join(f"{k} {v:.0f}" for k, v in phases.items()))
    bare = without_plan_ms(council)
    baseline = median_ms(lambda: sql_baseline(scratch_run(council)), repeats=REPEATS)
    print(f"same run without a plan: {bare:.0f} ms (ratio {ours / bare:.2f})")
    print(f"SQL-only ranking baseline: {baseline:.0f} ms (ratio {ours / baseline:.2f})")
    print(f"target < {TARGET_MS} ms: {'met' if ours < TARGET_MS else 'MISSED'}")


if __name__ == "__main__":
    main()
