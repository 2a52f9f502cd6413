"""Peak memory of building each council page at a large council: no page may build more than
about 50 MB, whatever the council's size (issue 14). Exits non-zero when a page does.

A council of 50,000 items (BENCH_MEMORY_ITEMS), every item scored, with a done ranking and
its delivery plan, a published plan and a dependency on every tenth item. Each page is
requested through Django's test Client (middleware, session, templates) as an admin, after
one untraced warm-up, and its peak is Python's allocations under tracemalloc from the request
to the response's last byte (a streamed CSV is consumed whole). tracemalloc counts what
Python allocates, not libpq's own buffers; those hold one query's rows at a time.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/page_memory.py
"""

from __future__ import annotations

import os
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    chain_every_tenth,
    get_ok,
    machine_line,
    member_client,
    setup_django,
)

ITEMS = int(os.environ.get("BENCH_MEMORY_ITEMS", "50000"))
LIMIT_MB = 50.0


def seed():
    from datetime import date

    from planner import plans, ranking
    from planner.management.commands.seed_demo import seed_bulk_council
    from planner.models import ItemScore

    council = seed_bulk_council(slug="bench-memory", items=ITEMS)
    ids = chain_every_tenth(council)
    run = ranking.request_run(council=council)
    ranking.execute_run(run_id=run.pk)
    plans.publish_plan(
        council=council, title="Plan", committee="Cabinet", meeting_date=date(2027, 3, 11)
    )
    # A later plan in which a tenth of the items lost value, for the plan comparison.
    ItemScore.objects.filter(item__council=council, item_id__in=ids[::10]).update(value=1)
    run = ranking.request_run(council=council)
    ranking.execute_run(run_id=run.pk)
    plans.publish_plan(
        council=council, title="Later plan", committee="Cabinet", meeting_date=date(2027, 6, 10)
    )
    return council


def pages(council) -> dict[str, str]:
    from django.urls import reverse

    from planner import delivery, ranking, weightings

    slug = council.slug
    plan, later_plan = council.plans.order_by("meeting_date")
    item = council.items.order_by("number").first()
    profile = council.profiles.get(is_active=True)
    later = delivery.delivery_plan(council=council, run=ranking.latest_done_run(council))
    biggest = max(later.groups, key=lambda group: group.count)
    last_page = max(1, -(-biggest.count // delivery.ROWS_PER_HORIZON))
    preview = "&".join(
        [f"method={profile.method}"]
        + [
            f"weight_{criterion.pk}={profile.weight_for(criterion) or 1}"
            for criterion in weightings.active_criteria(council)
        ]
    )

    def url(name: str, *args: object) -> str:
        return reverse(name, args=[slug, *args])

    return {
        "dashboard": url("dashboard"),
        "backlog": url("backlog"),
        "backlog, last page by title": url("backlog") + "?sort=title&page=100000",
        "roadmap": url("roadmap"),
        f"roadmap ?all={biggest.key}": url("roadmap") + f"?all={biggest.key}",
        f"roadmap ?all={biggest.key}, last page": url("roadmap")
        + f"?all={biggest.key}&page={last_page}",
        "item": url("item_detail", item.reference),
        "weightings": url("weightings"),
        "weightings preview": url("weightings_preview") + "?" + preview,
        "plans": url("plans"),
        "published plan": url("plan_detail", plan.slug),
        "plan comparison": url("plan_compare") + f"?a={plan.slug}&b={later_plan.slug}",
        "exports": url("exports"),
        "ranking CSV (streamed)": url("ranking_export"),
        "backlog CSV (streamed)": url("backlog_export"),
        "method CSV (streamed)": url("method_export"),
        "plan CSV (streamed)": url("plan_export", plan.slug),
    }


def build(client, url: str) -> int:
    """Request the page and read it to the last byte; its size in bytes."""
    response = get_ok(client, url)
    if response.streaming:
        return sum(len(chunk) for chunk in response.streaming_content)
    return len(response.content)


def peak_mb(client, url: str) -> tuple[float, int, float]:
    build(client, url)  # warm-up: imports, template compilation, the session
    tracemalloc.start()
    start = time.perf_counter()
    size = build(client, url)
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6, size, seconds


def main() -> None:
    setup_django("page_memory")
    from django.db import connection

    from councils.models import Role

    started = time.perf_counter()
    council = seed()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(machine_line())
    print(f"{ITEMS:,} items, seeded and ranked in {time.perf_counter() - started:.0f} s")
    client = member_client(council, username="bench-memory", role=Role.ADMIN)
    over = []
    print(f"  {'page':<36} {'peak':>9} {'size':>10} {'time (traced)':>14}")
    for name, url in pages(council).items():
        peak, size, seconds = peak_mb(client, url)
        flag = "  OVER" if peak > LIMIT_MB else ""
        print(f"  {name:<36} {peak:6.1f} MB {size / 1024:7.0f} KiB {seconds:11.2f} s{flag}")
        if peak > LIMIT_MB:
            over.append(name)
    if over:
        sys.exit(f"Over the {LIMIT_MB:.0f} MB page budget: {', '.join(over)}")
    print(f"Every page builds within {LIMIT_MB:.0f} MB.")


if __name__ == "__main__":
    main()
