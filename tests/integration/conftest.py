"""Integration tests: real Redis, real PostgreSQL, and real Celery worker processes.

The worker is a separate process, so it can only see data the test has committed: these
tests use `transactional_db`, and need PostgreSQL (an in-memory SQLite database is invisible
to another process). Outside CI a missing service skips the tests; under CI=true it fails
them, because CI promises real services.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection

IN_CI = os.environ.get("CI", "").lower() == "true"
ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")
WORKER_READY_SECONDS = 60


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.integration)


def need(reason: str) -> None:
    """Skip on a developer machine without the service; fail in CI, where it must exist."""
    if IN_CI:
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def redis_url() -> str:
    """The real broker (REDIS_URL), checked with a PING."""
    url = os.environ.get("REDIS_URL", "")
    if not url:
        need("integration tests need REDIS_URL (e.g. redis://127.0.0.1:6379/4)")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except redis.RedisError as error:
        need(f"Redis at {url} is not answering: {error}")
    return url


@pytest.fixture
def shared_db(transactional_db) -> None:
    """Committed data in PostgreSQL, so a worker process can read what the test wrote."""
    if connection.vendor != "postgresql":
        need("integration tests need PostgreSQL: set DATABASE_URL=postgres://...")


@pytest.fixture
def queue_name() -> str:
    """A queue of our own, so no other test run's worker takes our tasks."""
    return f"itest-{uuid.uuid4().hex[:10]}"


def set_broker(app, url: str) -> None:
    """Point the app's producers at `url`, dropping pooled connections to the old one."""
    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture(autouse=True)
def eager_celery(settings):
    """Overrides the unit tests' eager Celery: here tasks really go through Redis."""
    yield


@pytest.fixture
def broker(redis_url, queue_name, settings) -> Iterator:
    """The Celery app publishing to the real Redis, on this test's own queue."""
    from planner.celery import app

    saved = {
        key: app.conf[key] for key in ("task_always_eager", "task_default_queue", "broker_url")
    }
    app.conf.task_always_eager = False
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_default_queue = queue_name
    set_broker(app, redis_url)
    yield app
    try:
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(queue_name)
    except Exception:  # the queue may never have been declared
        pass
    app.conf.task_always_eager = saved["task_always_eager"]
    app.conf.task_default_queue = saved["task_default_queue"]
    set_broker(app, saved["broker_url"])


def _database_url() -> str:
    config = connection.settings_dict
    user = config.get("USER") or "postgres"
    password = f":{config['PASSWORD']}" if config.get("PASSWORD") else ""
    host = config.get("HOST") or "127.0.0.1"
    port = config.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{config['NAME']}"


class Worker:
    """One `celery worker` process on the test's queue, logging to a file."""

    def __init__(
        self, *, name: str, queue: str, env: dict[str, str], log: Path, concurrency: int = 1
    ) -> None:
        self.log = log
        self.handle = log.open("w")
        self.process = subprocess.Popen(
            [
                str(CELERY),
                "-A",
                "planner",
                "worker",
                # Several processes only when a test needs deliveries executed side by side.
                "--pool=solo" if concurrency == 1 else "--pool=prefork",
                f"--concurrency={concurrency}",
                "-Q",
                queue,
                "-n",
                f"{name}@%h",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.handle,
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self) -> None:
        deadline = time.monotonic() + WORKER_READY_SECONDS
        while time.monotonic() < deadline:
            if " ready." in self.output():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError(f"worker did not start:\n{self.output()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: no warm shutdown, no ack, no rollback by the worker itself."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.handle.close()


@pytest.fixture
def start_worker(shared_db, broker, queue_name, redis_url, tmp_path) -> Iterator[Callable]:
    """Start worker processes against the test database and this test's queue.

    `start_worker(**env)` adds environment variables, e.g. RANKING_TEST_DELAY_SECONDS;
    `concurrency=8` starts a prefork worker with eight processes.
    Every worker is stopped before the database is flushed.
    """
    workers: list[Worker] = []

    def start(concurrency: int = 1, **extra_env: str) -> Worker:
        env = {
            **os.environ,
            "DEBUG": os.environ.get("DEBUG", "true"),
            "DATABASE_URL": _database_url(),
            "REDIS_URL": redis_url,
            "CELERY_QUEUE": queue_name,
            "PYTHONUNBUFFERED": "1",
            "RANKING_TEST_DELAY_SECONDS": "0",
            **extra_env,
        }
        worker = Worker(
            name=f"{queue_name}-{len(workers) + 1}",
            queue=queue_name,
            env=env,
            log=tmp_path / f"worker-{len(workers) + 1}.log",
            concurrency=concurrency,
        )
        workers.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in workers:
        worker.stop()


def council_with_items(count: int):
    """A council of `count` scored items whose citizen-impact scores vary (1 to 5), so a
    ranking of it has an order and ties to get right."""
    from planner.models import ItemScore
    from tests.factories import BacklogItemFactory, CouncilFactory, score_all

    council = CouncilFactory()
    for number in range(count):
        item = BacklogItemFactory.create(council=council)
        score_all(item, 3)
        ItemScore.objects.filter(item=item, criterion__key="citizen_impact").update(
            value=1 + number % 5
        )
    return council


def wait_for(predicate: Callable[[], bool], *, timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(message)
