"""Rank ranges (planner/robustness.py) on synthetic seeded backlogs (no database needed).

Targets (issue 10): rank ranges with 2,000 samples for 500 items under 200 ms and for 5,000
items under 2 s, shown beside the plain ranking of the same items (scoring.rank_items, the
pure part of a ranking run) as a ratio; memory bounded (tracemalloc peak, measured in a
separate run because tracing slows numpy down); the compare-items computation (tornado for
one item, the flip weight of every criterion and P(A above B)) under 100 ms at 5,000 items.

Run: .venv/bin/python bench/robustness.py
"""

from __future__ import annotations

import tracemalloc

import numpy as np
from common import machine_line, median_ms

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


if __name__ == "__main__":
    main()
