"""The weightings preview at a large council, before and after the server-side cap (issue 14).

Before: the preview ranked the whole backlog in the request (4.5 s at 400,000 items). After:
up to PREVIEW_FULL_LIMIT items it still does; beyond, it re-ranks the current top
PREVIEW_SUBSET. Both are timed here on the same council in the same run: "before" by lifting
the limit. The HTTP request (test Client, htmx fragment) is timed after the cap too.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python bench/weightings_preview.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import get_ok, machine_line, median_ms, member_client, setup_django  # noqa: E402

ITEMS = int(os.environ.get("BENCH_PREVIEW_ITEMS", "100000"))
REPEATS = 5


def main() -> None:
    setup_django("weightings_preview")
    from django.db import connection
    from django.urls import reverse

    from councils.models import Role
    from planner import ranking, weightings
    from planner.management.commands.seed_demo import seed_bulk_council

    council = seed_bulk_council(slug="bench-preview", items=ITEMS)
    run = ranking.request_run(council=council)
    ranking.execute_run(run_id=run.pk)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    profile = council.profiles.get(is_active=True)
    criteria = weightings.active_criteria(council)
    weights = {str(c.pk): profile.weight_for(c) or 1.0 for c in criteria}
    weights[str(criteria[0].pk)] = 100.0  # a change of weights, as someone typing would make

    def preview():
        return weightings.preview(council=council, method=profile.method, weights=weights)

    capped = preview()
    assert capped.is_partial and not capped.error, capped
    after = median_ms(preview, repeats=REPEATS)
    limit = weightings.PREVIEW_FULL_LIMIT
    weightings.PREVIEW_FULL_LIMIT = 10**9  # the behaviour before the cap: the whole backlog
    try:
        whole = preview()
        assert not whole.is_partial and not whole.error
        before = median_ms(preview, repeats=3)
    finally:
        weightings.PREVIEW_FULL_LIMIT = limit
    # The capped preview re-ranks the current top, so under new weights its top 10 can differ
    # from the whole backlog's; say how many of the ten agree.
    agree = len({row.reference for row in capped.rows} & {row.reference for row in whole.rows})
    client = member_client(council, username="bench-preview", role=Role.VIEWER)
    url = reverse("weightings_preview", args=[council.slug])
    params = {"method": profile.method, **{f"weight_{k}": str(v) for k, v in weights.items()}}
    request = median_ms(
        lambda: get_ok(
            client,
            url + "?" + "&".join(f"{k}={v}" for k, v in params.items()),
            HTTP_HX_REQUEST="true",
        ),
        repeats=REPEATS,
    )
    print(machine_line())
    print(f"{ITEMS:,} items ({capped.backlog_size:,} rankable); median of {REPEATS} (before: 3)")
    print(f"  before (whole backlog)        {before:9.1f} ms")
    print(f"  after (top {weightings.PREVIEW_SUBSET:,} re-ranked)  {after:9.1f} ms")
    print(f"  ratio before / after          {before / after:9.1f} x")
    print(f"  preview request, after (htmx) {request:9.1f} ms")
    print(f"  top 10 shared with the whole-backlog preview: {agree} of {len(whole.rows)}")


if __name__ == "__main__":
    main()
