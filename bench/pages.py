"""Page timings for the CIO's pages on a 5,000-item council: dashboard, roadmap, a published
plan and a plan comparison, against a trivial view (/healthz) measured in the same run; and
the weight (bytes) of every page of such a council.

Target: median under 200 ms for the dashboard and roadmap. Requests go through Django's test
Client (middleware, sessions, templates; no network), after one warm-up request each.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/pages.py
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    chain_every_tenth,
    get_ok,
    machine_line,
    median_ms,
    member_client,
    setup_django,
)

ITEMS = 5_000
REPEATS = 9
TARGET_MS = 200


def seed():
    from planner import plans, ranking
    from planner.management.commands.seed_demo import seed_bulk_council
    from planner.models import HorizonOverride
    from planner.planning import plan_quarters

    council = seed_bulk_council(slug="bench-pages", items=ITEMS)
    ids = chain_every_tenth(council)
    first_quarter = plan_quarters(council)[0].start
    HorizonOverride.objects.bulk_create(
        HorizonOverride(item_id=pk, quarter=first_quarter, reason="Bench pin")
        for pk in ids[500:505]
    )
    for meeting in (date(2027, 1, 14), date(2027, 3, 11)):
        run = ranking.request_run(council=council)
        ranking.execute_run(run_id=run.pk)
        plans.publish_plan(
            council=council, title=f"Plan {meeting:%B}", committee="Cabinet", meeting_date=meeting
        )
        # Some movement between the two plans.
        council.items.filter(number__lte=300).update(status="ready")
    return council


def body(response) -> bytes:
    """The whole body: the CSV exports stream, and a browser downloads all of it."""
    return b"".join(response.streaming_content) if response.streaming else response.content


def main() -> None:
    setup_django("pages")
    from councils.models import Role

    council = seed()
    client = member_client(council, username="bench-cio", role=Role.VIEWER)
    slug = council.slug
    first, second = council.plans.order_by("meeting_date")
    item = council.items.order_by("number").values_list("reference", flat=True).first()
    pages = {
        "healthz (baseline)": "/healthz",
        "dashboard": f"/c/{slug}/",
        "roadmap": f"/c/{slug}/roadmap/",
        "published plan": f"/c/{slug}/plans/{second.slug}/",
        "plan comparison": f"/c/{slug}/plans/compare/?a={first.slug}&b={second.slug}",
        # Weighed too (issue 16: every page's weight at 5,000 items); no time target.
        "backlog": f"/c/{slug}/backlog/",
        "item page": f"/c/{slug}/items/{item}/",
        "weightings": f"/c/{slug}/weightings/",
        "plans list": f"/c/{slug}/plans/",
        "ranking CSV": f"/c/{slug}/export/ranking.csv",
    }
    print(machine_line())
    print(f"{ITEMS:,} ranked items; median of {REPEATS} requests after one warm-up")
    results = {}
    for name, url in pages.items():
        size = len(body(get_ok(client, url)))
        results[name] = median_ms(lambda url=url: body(get_ok(client, url)), repeats=REPEATS)
        print(f"  {name:<20} {results[name]:8.1f} ms   {size / 1024:8.0f} KiB")
    for name in ("dashboard", "roadmap"):
        verdict = "meets" if results[name] < TARGET_MS else "MISSES"
        print(f"  {name} {verdict} the {TARGET_MS} ms target")


if __name__ == "__main__":
    main()
