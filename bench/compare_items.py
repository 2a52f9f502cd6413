"""The "Why is X above Y?" page (/c/<slug>/compare-items/) on a 5,000-item council, against a
trivial view (/healthz) measured in the same run.

Target (issue 10): median under 100 ms at 5,000 items, for the weighted sum (exact flip
weights) and for RICE and WSJF (flip weights found by a numeric search on each criterion).
Requests go through Django's test Client (middleware, sessions, templates; no network) on
PostgreSQL, after one warm-up request each. The page reads two entries and the run's
criteria, never the whole ranking, so its time should not grow with the backlog.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/compare_items.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    get_ok,
    machine_line,
    median_ms,
    member_client,
    setup_django,
)

ITEMS = 5_000
REPEATS = 15
TARGET_MS = 100
# Two items near the top and one further down: a close pair and a distant one.
PAIRS = ((3, 4), (2, 400))


def main() -> None:
    setup_django("compare_items")
    from councils.models import Role
    from planner import ranking
    from planner.management.commands.seed_demo import seed_bulk_council
    from planner.models import Method, RankedEntry

    council = seed_bulk_council(slug="bench-compare", items=ITEMS)
    client = member_client(council, username="bench-viewer", role=Role.VIEWER)
    slug = council.slug
    print(machine_line())
    print(f"{ITEMS:,} items; median of {REPEATS} requests after one warm-up")
    baseline = median_ms(lambda: get_ok(client, "/healthz"), repeats=REPEATS)
    print(f"  {'healthz (baseline)':<34} {baseline:8.1f} ms")
    missed = False
    for method in (Method.WEIGHTED_SUM, Method.RICE, Method.WSJF):
        council.profiles.filter(is_active=True).update(method=method)
        run = ranking.run_now(council=council)
        # The worker's rank ranges as they will be once computed (a separate step).
        RankedEntry.objects.filter(run=run).update(rank_low=1, rank_high=9, stability="contested")
        positions = dict(
            RankedEntry.objects.filter(run=run).values_list("position", "item__reference")
        )
        print(f"  {method.label} ({run.item_count:,} ranked)")
        for upper, lower in PAIRS:
            url = f"/c/{slug}/compare-items/?a={positions[upper]}&b={positions[lower]}"
            took = median_ms(lambda url=url: get_ok(client, url), repeats=REPEATS)
            verdict = "meets" if took < TARGET_MS else "MISSES"
            missed |= took >= TARGET_MS
            label = f"positions {upper} and {lower}"
            print(
                f"    {label:<32} {took:8.1f} ms  {took / baseline:5.1f}× healthz"
                f"  ({verdict} {TARGET_MS} ms)"
            )
    if missed:
        sys.exit(1)


if __name__ == "__main__":
    main()
