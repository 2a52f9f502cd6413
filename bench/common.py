"""Shared set-up for the benchmarks: a fresh PostgreSQL database and timing helpers.

Benchmarks need PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/...).
Each script creates its own database `planner_bench_<name>`, migrates it, and drops it at
the end, so it never touches your data.
"""

from __future__ import annotations

import atexit
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def setup_django(name: str) -> None:
    """Point Django at a throwaway PostgreSQL database for this benchmark and migrate it."""
    import dj_database_url

    base = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    parsed = dj_database_url.parse(base)
    if parsed["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("Benchmarks need PostgreSQL: set DATABASE_URL=postgres://...")
    # BENCH_DB_PREFIX keeps parallel benchmark runs (one per engineer) apart.
    database = f"{os.environ.get('BENCH_DB_PREFIX', 'planner_bench')}_{name}"
    with _admin_connection(parsed) as admin:
        admin.execute(_sql("DROP DATABASE IF EXISTS {} WITH (FORCE)", database))
        admin.execute(_sql("CREATE DATABASE {}", database))
    parsed["NAME"] = database
    user = f"{parsed['USER']}@" if parsed["USER"] else ""
    os.environ["DATABASE_URL"] = (
        f"postgres://{user}{parsed['HOST'] or '127.0.0.1'}:{parsed['PORT'] or 5432}/{database}"
    )
    os.environ.setdefault("DEBUG", "true")
    os.environ.pop("REDIS_URL", None)  # eager Celery: the benchmark times the service itself
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "planner.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    atexit.register(_drop_database, parsed, database)


def _sql(template: str, database: str):
    """DDL cannot take parameters; quote the database name as an identifier instead."""
    from psycopg import sql

    return sql.SQL(template).format(sql.Identifier(database))


def _admin_connection(parsed: dict):
    """A connection to the server's maintenance database, to create and drop databases."""
    import psycopg

    return psycopg.connect(
        host=parsed["HOST"] or "127.0.0.1",
        port=parsed["PORT"] or 5432,
        user=parsed["USER"] or "postgres",
        password=parsed["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


def _drop_database(parsed: dict, database: str) -> None:
    from django.db import connections

    connections.close_all()
    with _admin_connection(parsed) as admin:
        admin.execute(_sql("DROP DATABASE IF EXISTS {} WITH (FORCE)", database))


def member_client(council, *, username: str, role: str):
    """A test Client signed in as a new member of `council`: requests go through the
    middleware, sessions and templates as a browser's would, without the network."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from councils.models import Membership

    user = get_user_model().objects.create(username=username)
    Membership.objects.create(user=user, council=council, role=role)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return client


def get_ok(client, url: str, **headers: str):
    """GET `url`; a benchmark of an error page would measure the wrong thing."""
    response = client.get(url, **headers)
    assert response.status_code == 200, (url, response.status_code)
    return response


def median_ms(func: Callable[[], object], *, repeats: int = 7, warmup: int = 1) -> float:
    for _ in range(warmup):
        func()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def machine_line() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.node() and 'host'}: {os.cpu_count()} cores, {cpu}, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def chain_every_tenth(council) -> list[int]:
    """Make every tenth item of `council` wait on the one before it, so the delivery plan has
    dependencies to honour; the item ids in number order."""
    from planner.models import BacklogItem

    ids = list(council.items.order_by("number").values_list("pk", flat=True))
    through = BacklogItem.depends_on.through
    through.objects.bulk_create(
        through(from_backlogitem_id=ids[i], to_backlogitem_id=ids[i - 1])
        for i in range(10, len(ids), 10)
    )
    return ids
