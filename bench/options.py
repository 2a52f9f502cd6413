"""Weighting options (issue 10): the options comparison, and the weightings preview with its
rank moves and horizon changes.

- Comparison: the options page's service (`planner.options.compare`) for the live weights,
  four options and "Do nothing" at a 5,000-item council, beside the baseline of reading the
  live run's top 10 alone (what the weightings page's "current ranking" costs).
- Preview: at PREVIEW_PLAN_LIMIT rankable items the preview also schedules its ranking to show
  horizon changes; timed with and without that (the preview before this change).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres DEBUG=true \\
        .venv/bin/python bench/options.py

Exits non-zero when a target is missed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine_line, median_ms, setup_django  # noqa: E402

COMPARE_ITEMS = int(os.environ.get("BENCH_OPTIONS_ITEMS", "5000"))
COMPARE_TARGET_MS = 200
# The preview is called as someone types (400 ms debounce): its horizons must stay cheap.
PREVIEW_TARGET_MS = 150
REPEATS = 7


def _save_options(council, count: int) -> list:
    from planner import options, ranking

    criteria = list(council.criteria.filter(active=True))
    saved = []
    for number in range(count):
        favoured = criteria[number % len(criteria)].pk
        weights = {str(c.pk): (60 if c.pk == favoured else 10) for c in criteria}
        option = options.save_option(
            council=council, name=f"Option {number + 1}", method="weighted_sum", weights=weights
        )
        ranking.execute_run(run_id=option.option_runs.get().pk)
        saved.append(option)
    return saved


def main() -> int:
    setup_django("options")
    from django.db import connection

    from planner import options, ranking, weightings
    from planner.management.commands.seed_demo import seed_bulk_council

    missed = False
    council = seed_bulk_council(slug="bench-options", items=COMPARE_ITEMS)
    ranking.run_now(council=council)
    saved = _save_options(council, options.MAX_COMPARED)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    comparison = options.compare(council=council, options=saved)
    assert len(comparison.columns) == options.MAX_COMPARED + 2
    compare_ms = median_ms(lambda: options.compare(council=council, options=saved), repeats=REPEATS)
    top_ms = median_ms(lambda: weightings.current_top(council), repeats=REPEATS)
    verdict = "ok" if compare_ms < COMPARE_TARGET_MS else "MISSED"
    missed |= verdict == "MISSED"
    print(machine_line())
    print(f"{COMPARE_ITEMS:,} items, live + {len(saved)} options + Do nothing; median of {REPEATS}")
    print(
        f"  compare                    {compare_ms:8.1f} ms (target {COMPARE_TARGET_MS}, {verdict})"
    )
    print(f"  baseline: live top 10 only {top_ms:8.1f} ms (ratio {compare_ms / top_ms:.1f} x)")

    small = seed_bulk_council(slug="bench-options-preview", items=weightings.PREVIEW_PLAN_LIMIT)
    ranking.run_now(council=small)
    profile = small.profiles.get(is_active=True)
    criteria = weightings.active_criteria(small)
    weights = {str(c.pk): profile.weight_for(c) or 1.0 for c in criteria}
    weights[str(criteria[1].pk)] = 100.0

    def preview():
        return weightings.preview(council=small, method=profile.method, weights=weights)

    shown = preview()
    assert shown.shows_horizons and not shown.error, shown
    with_horizons = median_ms(preview, repeats=REPEATS)
    limit = weightings.PREVIEW_PLAN_LIMIT
    weightings.PREVIEW_PLAN_LIMIT = 0  # the preview before horizon changes
    try:
        assert not preview().shows_horizons
        without = median_ms(preview, repeats=REPEATS)
    finally:
        weightings.PREVIEW_PLAN_LIMIT = limit
    verdict = "ok" if with_horizons < PREVIEW_TARGET_MS else "MISSED"
    missed |= verdict == "MISSED"
    print(f"preview at {shown.backlog_size:,} rankable items; median of {REPEATS}")
    print(
        f"  with horizon changes       {with_horizons:8.1f} ms"
        f" (target {PREVIEW_TARGET_MS}, {verdict})"
    )
    print(f"  without (before)           {without:8.1f} ms (ratio {with_horizons / without:.1f} x)")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
