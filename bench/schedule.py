"""The delivery-plan scheduler on synthetic seeded backlogs (no database needed).

Rank order at 500 and 5,000 items over 8 quarters (targets, issue 9: < 20 ms and < 300 ms);
best value at 500 items over 8 quarters on 5 seeded backlogs (proven optimal, median < 2 s),
and at 5,000 items, where it stops at the time limit and reports its gap.

Run: .venv/bin/python bench/schedule.py [--time-limit SECONDS]   (default 10, the product's)
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time

from common import machine_line, median_ms

from planner.schedule import BEST_VALUE, PlanItem, PlanLimits, build_schedule

QUARTERS = 8
CAPACITY = 400.0  # team-days a quarter: a team of about seven
SEEDS = (1, 2, 3, 4, 5)


def backlog(size: int, seed: int) -> tuple[list[PlanItem], PlanLimits]:
    """A believable backlog: mostly small and medium items, a few large ones, some money,
    some work under way, some unestimated and not-ready items, and a few dependencies.
    Capacity and budgets scale with the backlog so that about a third of it fits."""
    rng = random.Random(seed)
    items = []
    for number in range(1, size + 1):
        effort = rng.choice([5, 10, 20, 30, 45, 60, 90, 120, 200, 400])
        status = rng.choices(["ready", "new", "triage", "in_progress"], [70, 15, 10, 5])[0]
        earlier = list(range(max(1, number - 50), number))
        items.append(
            PlanItem(
                id=number,
                reference=f"DIG-{number:04d}",
                position=number,
                score=round(100 - 60 * number / size + rng.uniform(-5, 5), 1),
                effort_days=None if rng.random() < 0.03 else float(effort),
                one_off_cost=float(rng.choice([0, 0, 5_000, 20_000, 60_000])),
                recurring_cost=float(rng.choice([0, 0, 0, 2_000, 10_000])),
                status=status if status != "in_progress" or number % 40 == 0 else "ready",
                depends_on=(rng.choice(earlier),) if earlier and rng.random() < 0.05 else (),
            )
        )
    scale = size / 500
    limits = PlanLimits(
        capacities=tuple(CAPACITY * scale for _ in range(QUARTERS)),
        financial_years=tuple(2027 + (t + 2) // 4 for t in range(QUARTERS)),
        reference_capacity=CAPACITY / 4,  # a single item is at most a quarter of the team
        one_off_budgets=dict.fromkeys((2027, 2028, 2029), 400000 * scale),
        recurring_budgets=dict.fromkeys((2027, 2028, 2029), 150000 * scale),
    )
    return items, limits


def rank_order_ms(size: int) -> float:
    items, limits = backlog(size, SEEDS[0])
    return median_ms(lambda: build_schedule(items, limits), repeats=7)


def best_value(
    size: int, seed: int, time_limit: float
) -> tuple[float, bool | None, float | None, float]:
    items, limits = backlog(size, seed)
    started = time.perf_counter()
    plan = build_schedule(items, limits, mode=BEST_VALUE, time_limit_seconds=time_limit)
    elapsed = time.perf_counter() - started
    gain = plan.objective / plan.rank_order_objective - 1 if plan.rank_order_objective else 0.0
    return elapsed, plan.optimal, plan.gap, gain


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=10.0, help="best-value limit (s)")
    args = parser.parse_args()
    print(machine_line())
    print(f"{'run':<32} | {'median':>10} | notes")
    print(f"{'-' * 32}-+-{'-' * 10}-+------")
    failures = []
    for size, target in ((500, 20.0), (5_000, 300.0)):
        took = rank_order_ms(size)
        name = f"rank order, {size:,} x {QUARTERS}"
        print(f"{name:<32} | {took:>7.1f} ms | target < {target:.0f} ms")
        if took >= target:
            failures.append(f"rank order at {size}: {took:.1f} ms")
    runs = [best_value(500, seed, args.time_limit) for seed in SEEDS]
    took = statistics.median(run[0] for run in runs)
    optimal = sum(1 for run in runs if run[1])
    gains = ", ".join(f"{run[3]:+.1%}" for run in runs)
    print(
        f"{f'best value, 500 x {QUARTERS} (5 seeds)':<32} | {took:>8.2f} s | "
        f"{optimal}/5 proven optimal; gain over rank order {gains}"
    )
    if took >= 2 or optimal < len(SEEDS):
        failures.append(f"best value at 500: {took:.2f} s, {optimal}/5 optimal")
    took, proven, gap, gain = best_value(5_000, SEEDS[0], args.time_limit)
    gap_text = "n/a" if gap is None else f"{gap:.3%}"
    print(
        f"{f'best value, 5,000 x {QUARTERS}':<32} | {took:>8.2f} s | limit {args.time_limit:g} s; "
        f"{'optimal' if proven else 'not proven'}; gap {gap_text}; gain {gain:+.1%}"
    )
    if failures:
        print("MISSED TARGETS: " + "; ".join(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
