"""The Django side of the load benchmark (bench/load.py), run as a subprocess of it.

bench/load.py runs Locust, which monkey-patches the standard library with gevent as it is
imported; Django stays out of that process. This script does everything that needs the ORM:

    load_data.py seed  --councils N --items M --users U --out FILE   (migrate, seed, sign in)
    load_data.py rank-all --timeout S        (rank every council through the workers, timed)
    load_data.py runs  --since ISO                                   (what the workers did)
    load_data.py drop                                                (drop the database)

The database is the one DATABASE_URL names; `seed` drops and re-creates it first. Results go
to stdout (or --out) as JSON.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SEED_PASSWORD = "load-benchmark"  # noqa: S105 - a throwaway database, dropped after the run


def _parsed_url() -> dict:
    import dj_database_url

    parsed = dj_database_url.parse(os.environ["DATABASE_URL"])
    if parsed["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("The load benchmark needs PostgreSQL: set DATABASE_URL=postgres://...")
    return parsed


def recreate_database() -> None:
    from bench.common import _admin_connection, _sql

    parsed = _parsed_url()
    with _admin_connection(parsed) as admin:
        admin.execute(_sql("DROP DATABASE IF EXISTS {} WITH (FORCE)", parsed["NAME"]))
        admin.execute(_sql("CREATE DATABASE {}", parsed["NAME"]))


def drop_database() -> None:
    from bench.common import _admin_connection, _sql

    parsed = _parsed_url()
    with _admin_connection(parsed) as admin:
        admin.execute(_sql("DROP DATABASE IF EXISTS {} WITH (FORCE)", parsed["NAME"]))


def _django() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "planner.settings")
    django.setup()


def seed(*, councils: int, items: int, users: int, out: Path) -> None:
    """Councils of `items` scored items (not yet ranked: `rank-all` does that through the
    workers); `users` editors, each a member of one to three councils, already signed in (a
    session each), so the benchmark measures working with the pages, not password hashing."""
    recreate_database()
    _django()
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.db import connection, connections

    from councils.models import Council, Membership, Role

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrated = time.perf_counter()
    slugs = [f"load-{n:03}" for n in range(1, councils + 1)]
    # One process per core: seeding is Python-bound (building the rows), not database-bound.
    processes = min(os.cpu_count() or 1, 4)
    connections.close_all()
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(
            pool.map(
                _seed_councils,
                [slugs[part::processes] for part in range(processes)],
                [items] * processes,
            )
        )
    seeded = list(Council.objects.filter(slug__in=slugs).order_by("slug"))
    # Statistics and visibility maps, as autovacuum keeps them on a live database: without
    # them PostgreSQL plans the fresh tables as if empty, and autovacuum's catching up on
    # 800,000 new rows would compete with the measured phases.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    rng = random.Random(16)
    User = get_user_model()
    password = make_password(SEED_PASSWORD)  # hashed once: every user shares it
    people = User.objects.bulk_create(
        User(username=f"load-user-{n:03}", password=password) for n in range(1, users + 1)
    )
    memberships = []
    for index, person in enumerate(people):
        # Everyone works mostly in "their" council; some also sit on one or two more.
        home = seeded[index % len(seeded)]
        extra = rng.sample(seeded, k=min(rng.choice((0, 0, 1, 2)), len(seeded)))
        for council in {home, *extra}:
            memberships.append(Membership(user=person, council=council, role=Role.EDITOR))
    Membership.objects.bulk_create(memberships)
    backend = "django.contrib.auth.backends.ModelBackend"
    member_of: dict[int, list[str]] = {}
    for membership in Membership.objects.select_related("council"):
        member_of.setdefault(membership.user_id, []).append(membership.council.slug)
    sessions = {}
    for person in people:
        store = SessionStore()
        store[SESSION_KEY] = str(person.pk)
        store[BACKEND_SESSION_KEY] = backend
        store[HASH_SESSION_KEY] = person.get_session_auth_hash()
        store.create()
        sessions[person.username] = store.session_key
    data = {
        "councils": [_council_data(council) for council in seeded],
        "users": [
            {
                "username": person.username,
                "session": sessions[person.username],
                "councils": sorted(member_of[person.pk]),
            }
            for person in people
        ],
        "timings": {
            "migrate_s": round(migrated - started, 1),
            "seed_s": round(time.perf_counter() - migrated, 1),
        },
    }
    out.write_text(json.dumps(data))


def _seed_councils(slugs: list[str], items: int) -> None:
    """Seed some of the councils, in a process of its own."""
    _django()
    from planner.management.commands.seed_demo import seed_bulk_council

    for slug in slugs:
        seed_bulk_council(slug=slug, items=items)


def _council_data(council) -> dict:
    criteria = council.criteria.filter(active=True).order_by("position", "pk")
    return {
        "slug": council.slug,
        "items": list(
            council.items.filter(archived=False)
            .order_by("number")
            .values_list("reference", flat=True)
        ),
        "scored_by_hand": list(
            criteria.filter(derived_from_estimate=False).values_list("pk", flat=True)
        ),
        "criteria": list(criteria.values_list("pk", flat=True)),
    }


def _percentile(samples: list[float], fraction: float) -> float:
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[min(int(fraction * len(ordered)), len(ordered) - 1)]


def rank_all(*, timeout: float) -> dict:
    """Ask for a ranking of every council at once, through the broker, and time the workers
    through them: the workers' capacity (runs per second), with no web traffic competing."""
    _django()
    from django.db.models import Max, Min

    from councils.models import Council
    from planner import ranking
    from planner.models import RankingRun, RunStatus

    councils = list(Council.objects.order_by("slug"))
    asked = time.perf_counter()
    run_ids = [ranking.request_run(council=council).pk for council in councils]
    deadline = asked + timeout
    pending = RankingRun.objects.filter(
        pk__in=run_ids, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
    )
    while pending.exists() and time.perf_counter() < deadline:
        time.sleep(0.2)
    finished = RankingRun.objects.filter(pk__in=run_ids, status=RunStatus.DONE)
    span = finished.aggregate(first=Min("started_at"), last=Max("finished_at"))
    durations = [
        (run.finished_at - run.started_at).total_seconds() * 1000
        for run in finished.only("started_at", "finished_at")
    ]
    wall = (span["last"] - span["first"]).total_seconds() if durations else 0.0
    return {
        "asked": len(run_ids),
        "done": len(durations),
        "wall_s": round(wall, 2),
        "runs_per_s": round(len(durations) / wall, 2) if wall else 0.0,
        "worker_ms_p50": round(statistics.median(durations), 1) if durations else 0.0,
        "worker_ms_p95": round(_percentile(durations, 0.95), 1),
    }


def runs_since(*, since: datetime) -> dict:
    """Every run asked for since `since`: how long each took on a worker, whether any run
    was claimed by two deliveries, and whether any council had two runs computing at once."""
    _django()
    from planner.models import RankingRun, RunStatus

    rows = list(
        RankingRun.objects.filter(requested_at__gte=since)
        .order_by("council_id", "started_at")
        .values_list("council_id", "status", "attempts", "started_at", "finished_at", "claimed_by")
    )
    done = [row for row in rows if row[1] == RunStatus.DONE]
    durations = [(row[4] - row[3]).total_seconds() * 1000 for row in done]
    overlaps = 0
    previous: dict[int, datetime] = {}
    for council_id, status, _, started, finished, _ in rows:
        if status != RunStatus.DONE:
            continue
        if council_id in previous and started < previous[council_id]:
            overlaps += 1
        previous[council_id] = max(finished, previous.get(council_id, finished))
    return {
        "runs": len(rows),
        "done": len(done),
        "failed": sum(1 for row in rows if row[1] == RunStatus.FAILED),
        "still_pending": sum(1 for row in rows if row[1] in (RunStatus.QUEUED, RunStatus.RUNNING)),
        "claimed_more_than_once": sum(1 for row in rows if row[2] > 1),
        "deliveries": sorted({row[5] for row in done if row[5]}),
        "same_council_overlaps": overlaps,
        "worker_ms_p50": round(statistics.median(durations), 1) if durations else 0.0,
        "worker_ms_p95": round(_percentile(durations, 0.95), 1),
        "worker_ms_mean": round(statistics.fmean(durations), 1) if durations else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    seeding = commands.add_parser("seed")
    seeding.add_argument("--councils", type=int, required=True)
    seeding.add_argument("--items", type=int, required=True)
    seeding.add_argument("--users", type=int, required=True)
    seeding.add_argument("--out", type=Path, required=True)
    ranking_all = commands.add_parser("rank-all")
    ranking_all.add_argument("--timeout", type=float, default=300)
    since = commands.add_parser("runs")
    since.add_argument("--since", required=True)
    commands.add_parser("drop")
    args = parser.parse_args()
    if args.command == "seed":
        seed(councils=args.councils, items=args.items, users=args.users, out=args.out)
    elif args.command == "rank-all":
        print(json.dumps(rank_all(timeout=args.timeout)))
    elif args.command == "runs":
        print(json.dumps(runs_since(since=datetime.fromisoformat(args.since))))
    else:
        drop_database()


if __name__ == "__main__":
    main()
