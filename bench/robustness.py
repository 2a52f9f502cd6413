"""Rank ranges (planner/robustness.py) on synthetic seeded backlogs (no database needed).

Targets (issue 10): rank ranges with 2,000 samples for 500 items under 200 ms and for 5,000
items under 2 s, shown beside the plain ranking of the same items (scoring.rank_items, the
pure part of a ranking run) as a ratio; memory bounded (tracemalloc peak, measured in a
separate run because tracing slows numpy down); the compare-items computation (tornado for
one item, the flip weight of every criterion and P(A above B)) under 100 ms at 5,000 items.

Then the same at the service level, on PostgreSQL: planner.rank_ranges.fill_run (load the
run's scores, confidence and efforts, compute, write every entry in one UPDATE) beside the
plain ranking run of the same council (ranking.execute_run: load, score, plan, COPY, done),
at 500 and 5,000 items, with the tracemalloc peak of fill_run at 5,000.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/robustness.py
(BENCH_SERVICE=0 skips the database part.)
"""

from __future__ import annotations

import os
import sys
import tracemalloc

import numpy as np
from common import machine_line, median_ms, setup_django

from planner import robustness
from planner.scoring import METHODS, WEIGHTED_SUM, CriterionInput, ItemInput, rank_items

CRITERIA = [
    CriterionInput(1, "citizen_impact", "benefit", 25),
    CriterionInput(2, "savings", "benefit", 20),
    CriterionInput(3, "confidence", "benefit", 10),
    CriterionInput(4, "statutory", "benefit", 15),
    CriterionInput(5, "risk_reduction", "benefit", 10),
    CriterionInput(6, "cost", "cost", 10),
    CriterionInput(7, "effort", "cost", 10),
]
TARGETS_MS = {500: 200, 5_000: 2_000}
COMPARE_TARGET_MS = 100


def backlog(size: int, method: str) -> tuple[np.ndarray, list[ItemInput]]:
    rng = np.random.default_rng(size)
    values = rng.integers(1, 6, (size, len(CRITERIA)))
    items = [
        ItemInput(i, float(i), {c.id: int(v) for c, v in zip(CRITERIA, row, strict=True)})
        for i, row in enumerate(values)
    ]
    order = [ranked.item_id for ranked in rank_items(items, CRITERIA, method).ranked]
    return values[order], items


def main() -> None:
    print(machine_line())
    for size, target in TARGETS_MS.items():
        for method in METHODS:
            values, items = backlog(size, method)
            efforts = np.random.default_rng(0).integers(5, 120, size)

            def ranges(values=values, efforts=efforts, method=method):
                return robustness.rank_ranges(
                    CRITERIA, method, values, values[:, 2], seed=1, efforts=efforts, capacity=180
                )

            ranges_ms = median_ms(ranges, repeats=5)
            plain_ms = median_ms(
                lambda items=items, method=method: rank_items(items, CRITERIA, method), repeats=5
            )
            tracemalloc.start()
            ranges()
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            verdict = "ok" if ranges_ms < target else "MISSED"
            print(
                f"{size:>5} items {method:<12} rank ranges {ranges_ms:7.1f} ms "
                f"(target {target}, {verdict}); plain ranking {plain_ms:6.1f} ms; "
                f"ratio {ranges_ms / plain_ms:5.1f}x; peak {peak:5.1f} MiB"
            )
    values, _items = backlog(5_000, WEIGHTED_SUM)

    def compare() -> None:
        robustness.tornado(CRITERIA, WEIGHTED_SUM, values, 3)
        for index in range(len(CRITERIA)):
            robustness.flip_weight(CRITERIA, values[3].tolist(), values[30].tolist(), index)
        robustness.p_above(
            CRITERIA,
            WEIGHTED_SUM,
            values[3].tolist(),
            values[30].tolist(),
            (values[3, 2], values[30, 2]),
        )

    compare_ms = median_ms(compare, repeats=7)
    verdict = "ok" if compare_ms < COMPARE_TARGET_MS else "MISSED"
    print(
        f"compare-items computation at 5,000 items: {compare_ms:.1f} ms "
        f"(target {COMPARE_TARGET_MS}, {verdict})"
    )

    failures = []
    if os.environ.get("BENCH_SERVICE", "1") != "0":
        failures = service()
    if failures:
        sys.exit("; ".join(failures))


SERVICE_SIZES = (500, 5_000)


def build_council(slug: str, size: int):
    """A council of `size` scored, estimated, ready items, through the ORM's bulk_create so
    that every column takes its model default (a few seconds at 5,000 items)."""
    from councils.models import Council, CouncilType
    from planner.defaults import ensure_council_defaults
    from planner.models import BacklogItem, ItemScore, Status

    council = Council.objects.create(
        slug=slug, name=f"Ranges {size}", council_type=CouncilType.UNITARY
    )
    ensure_council_defaults(council)
    theme_ids = list(council.themes.values_list("pk", flat=True))
    criteria = list(council.criteria.filter(active=True).values_list("pk", flat=True))
    rng = np.random.default_rng(size)
    items = BacklogItem.objects.bulk_create(
        BacklogItem(
            council=council,
            number=number,
            reference=f"DIG-{number:03d}",
            title=f"Benchmark challenge {number}",
            theme_id=theme_ids[number % len(theme_ids)],
            status=Status.READY,
            effort_days=5 + (number * 37) % 60,  # so that P(Now) has work to do
        )
        for number in range(1, size + 1)
    )
    values = rng.integers(1, 6, (size, len(criteria)))
    ItemScore.objects.bulk_create(
        (
            ItemScore(item=item, criterion_id=criterion, value=int(value))
            for item, row in zip(items, values, strict=True)
            for criterion, value in zip(criteria, row, strict=True)
        ),
        batch_size=5_000,
    )
    return council


def service() -> list[str]:
    """fill_run beside execute_run on the same council, per size; returns missed targets."""
    setup_django("robustness")
    from ranking import new_run

    from planner import rank_ranges
    from planner import ranking as ranking_service

    failures = []
    for size in SERVICE_SIZES:
        council = build_council(f"ranges-{size}", size)

        def plain(council=council) -> int:
            run = new_run(council)
            ranking_service.execute_run(run_id=run.pk, ranges_later=False)
            return run.pk

        run_id = plain()
        plain_ms = median_ms(plain, repeats=5)
        ranges_ms = median_ms(lambda run_id=run_id: rank_ranges.fill_run(run_id), repeats=5)
        tracemalloc.start()
        rank_ranges.fill_run(run_id)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        target = TARGETS_MS[size]
        verdict = "ok" if ranges_ms < target else "MISSED"
        print(
            f"service {size:>5} items: fill_run {ranges_ms:7.1f} ms (compute target {target},"
            f" {verdict}); ranking run {plain_ms:7.1f} ms; ratio {ranges_ms / plain_ms:4.2f}x;"
            f" peak {peak:5.1f} MiB",
            flush=True,
        )
        run = ranking_service.latest_done_run(council)
        middle = run.entries.order_by("position").values_list("item_id", flat=True)[size // 2]
        tornado_ms = median_ms(lambda run=run, item=middle: rank_ranges.tornado(run, item))
        print(f"service {size:>5} items: the item page's tornado {tornado_ms:6.1f} ms", flush=True)
        if size == 5_000 and ranges_ms >= target:
            failures.append(f"fill_run at 5,000 items took {ranges_ms:.0f} ms")
    return failures


if __name__ == "__main__":
    main()
