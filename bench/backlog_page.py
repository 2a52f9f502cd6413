"""Backlog page timing on a 5,000-item council, against a trivial view (/healthz) measured in
the same run.

Target: median under 150 ms for GET /c/<slug>/backlog/ (first page of 50, default sort by
rank, with a completed ranking run). Requests go through Django's test Client (middleware,
sessions, templates; no network), after one warm-up request each.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/backlog_page.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import get_ok, machine_line, median_ms, member_client, setup_django  # noqa: E402

ITEMS = 5_000
REPEATS = 15
TARGET_MS = 150


def seed():
    from django.db import connection

    from planner import ranking
    from planner.management.commands.seed_demo import seed_bulk_council

    council = seed_bulk_council(slug="bench-backlog", items=ITEMS)
    # A completed run, so the score and rank columns (and sorting by them) are exercised.
    run = ranking.request_run(council=council)
    ranking.execute_run(run_id=run.pk)
    # Fresh bulk inserts have no planner statistics yet; a live database would (autovacuum).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return council


def main() -> None:
    setup_django("backlog")
    from councils.models import Role

    council = seed()
    client = member_client(council, username="bench-lead", role=Role.EDITOR)
    theme = council.themes.first()
    backlog = f"/c/{council.slug}/backlog/"
    pages = {
        "healthz (baseline)": "/healthz",
        "backlog, first page": backlog,
        "backlog, page 40 by title": f"{backlog}?sort=title&page=40",
        "backlog, theme + search + needs scoring (htmx)": (
            f"{backlog}?theme={theme.pk}&q=challenge&needs_scoring=on&sort=-score"
        ),
    }
    print(machine_line())
    print(f"{ITEMS:,} items, ranked; median of {REPEATS} requests after one warm-up")
    results = {}
    for name, url in pages.items():
        headers = {"HTTP_HX_REQUEST": "true"} if "htmx" in name else {}

        results[name] = median_ms(
            lambda url=url, headers=headers: get_ok(client, url, **headers), repeats=REPEATS
        )
    baseline = results["healthz (baseline)"]
    for name, ms in results.items():
        print(f"  {name:<48} {ms:7.1f} ms  ({ms / baseline:5.1f}x baseline)")
    main_ms = results["backlog, first page"]
    verdict = "meets" if main_ms < TARGET_MS else "MISSES"
    print(f"Backlog first page {main_ms:.1f} ms: {verdict} the {TARGET_MS} ms target")


if __name__ == "__main__":
    main()
