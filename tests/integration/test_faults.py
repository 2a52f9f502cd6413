"""Fault injection: the worker, the broker and the database fail while people keep saving.

Real PostgreSQL, a real Celery worker process, and a Redis of this module's own on a spare
loopback port, so freezing or stopping it disturbs nothing else. Each case checks the four
promises of issue 14: nothing is lost, no run is marked failed wrongly, a save returns
within a second, and the ranking catches up once the fault clears.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from councils.models import Role
from planner import ranking
from planner.models import ItemScore, RankedEntry, RankingRun, RunStatus
from planner.tasks import execute_ranking_run, sweep_rankings
from tests.factories import (
    MembershipFactory,
    UserFactory,
)
from tests.integration.conftest import ROOT, _database_url, council_with_items, need, wait_for

SAVE_SECONDS = 1.0
ITEMS = 6
WORKER_APP = "fault-worker"
WEB_APP = "fault-web"


# --- A Redis of our own ----------------------------------------------------------------


def _free_port(start: int = 16379) -> int:
    """A free loopback port at or above `start` (offset by our pid, so parallel runs differ)."""
    first = start + os.getpid() % 2000
    for port in [*range(first, first + 200), *range(start, first)]:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port for the test Redis")


class OwnRedis:
    """redis-server on a spare port, with no persistence. Freeze, thaw, stop, start."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5, socket_timeout=0.5)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                client.ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        raise AssertionError("the test Redis did not start")

    def freeze(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is None:
            return
        self.thaw()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None


@pytest.fixture(scope="module")
def own_redis(tmp_path_factory) -> Iterator[OwnRedis]:
    if shutil.which("redis-server") is None:
        need("the fault tests start their own redis-server; it is not installed")
    server = OwnRedis(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(own_redis) -> Iterator[str]:
    """Overrides conftest's: the broker and the workers use our own Redis."""
    if own_redis.process is None or own_redis.process.poll() is not None:
        own_redis.start()  # a previous case stopped it
    yield own_redis.url
    own_redis.thaw()  # never leave it frozen for the next case


# --- The data and the saves ------------------------------------------------------------


@pytest.fixture
def council(shared_db):
    return council_with_items(ITEMS)


@pytest.fixture
def editor(council) -> Client:
    user = UserFactory.create(username="fault-editor")
    MembershipFactory(user=user, council=council, role=Role.EDITOR)
    client = Client()
    client.force_login(user)
    return client


def _save_score(client: Client, council, value: int) -> float:
    """Score the first item on the hand-scored criterion `citizen_impact`; the seconds it took.
    The save commits, then sends the ranking run from its on_commit hook, in the request."""
    item = council.items.order_by("pk").first()
    criterion = council.criteria.get(key="citizen_impact")
    version = ItemScore.objects.get(item=item, criterion=criterion).version
    started = time.monotonic()
    response = client.post(
        reverse("item_score", args=[council.slug, item.reference, criterion.pk]),
        {"value": str(value), "version": str(version)},
    )
    elapsed = time.monotonic() - started
    assert response.status_code == 302, response.content[:500]
    assert ItemScore.objects.get(item=item, criterion=criterion).value == value  # not lost
    return elapsed


def _latest_run(council) -> RankingRun:
    return council.runs.order_by("-generation").first()


def _caught_up(council) -> bool:
    """The newest run is done, and its entries are what ranking the data as it stands now
    gives: every save so far is in the ranking."""
    run = _latest_run(council)
    if run is None or run.status != RunStatus.DONE:
        return False
    result = ranking.rank(ranking.load_input(council_id=council.pk))
    expected = [(entry.item_id, f"{entry.score:.2f}", entry.position) for entry in result.ranked]
    stored = [
        (item_id, f"{score:.2f}", position)
        for item_id, score, position in RankedEntry.objects.filter(run=run)
        .order_by("position")
        .values_list("item_id", "score", "position")
    ]
    return len(stored) == ITEMS and stored == expected


def _save_and_wait_for_write_phase(editor: Client, council) -> RankingRun:
    """Save a score promptly, then wait until the worker's run of it is writing its entries."""
    assert _save_score(editor, council, 5) < SAVE_SECONDS
    run = _latest_run(council)
    wait_for(
        lambda: RankingRun.objects.get(pk=run.pk).progress >= ranking.PROGRESS_PLANNED,
        timeout=60,
        message="the worker never reached the write phase",
    )
    return run


def _assert_no_failed_runs(council) -> None:
    failed = list(council.runs.filter(status=RunStatus.FAILED).values_list("generation", "error"))
    assert failed == []


def _catch_up(council, *, timeout: float) -> float:
    started = time.monotonic()
    wait_for(lambda: _caught_up(council), timeout=timeout, message="ranking never caught up")
    return time.monotonic() - started


def _sweep() -> None:
    """What celery beat sends every RANKING_SWEEP_SECONDS."""
    sweep_rankings.delay()


# --- The worker -------------------------------------------------------------------------


def test_worker_killed_mid_run(start_worker, editor, council):
    visibility = 8
    limits = {  # time limits below the visibility timeout, as in production
        "CELERY_VISIBILITY_TIMEOUT": str(visibility),
        "CELERY_TASK_SOFT_TIME_LIMIT": "5",
        "CELERY_TASK_TIME_LIMIT": "6",
    }
    doomed = start_worker(RANKING_TEST_DELAY_SECONDS="60", **limits)
    run = _save_and_wait_for_write_phase(editor, council)
    delivered_at = time.monotonic()
    doomed.kill()
    assert not RankedEntry.objects.filter(run=run).exists()  # nothing half-written

    # Saves go on while no worker runs (this one asks for a newer run).
    assert _save_score(editor, council, 4) < SAVE_SECONDS
    # Redis hands the unacknowledged message out again once the visibility timeout has
    # passed; a worker restores such messages when it starts.
    time.sleep(max(0.0, delivered_at + visibility + 1 - time.monotonic()))
    start_worker(**limits)
    wait_for(
        lambda: RankingRun.objects.get(pk=run.pk).status == RunStatus.DONE,
        timeout=60,
        message="the killed run was never redone",
    )
    _catch_up(council, timeout=60)
    run.refresh_from_db()
    assert run.attempts == 2  # the redelivery of the same message: a real second attempt
    _assert_no_failed_runs(council)


# --- The broker -------------------------------------------------------------------------


def test_broker_frozen_then_resumed(start_worker, editor, council, own_redis, client):
    start_worker()
    assert _save_score(editor, council, 5) < SAVE_SECONDS
    _catch_up(council, timeout=30)

    own_redis.freeze()
    try:
        elapsed = [_save_score(editor, council, value) for value in (1, 2)]
        started = time.monotonic()
        health = client.get(reverse("healthz"))
        health_seconds = time.monotonic() - started
    finally:
        own_redis.thaw()
    assert max(elapsed) < SAVE_SECONDS, elapsed
    assert health.status_code == 503
    assert health.json()["broker"] is False
    assert health_seconds < SAVE_SECONDS
    run = _latest_run(council)
    assert run.status == RunStatus.QUEUED
    assert run.error == ranking.ENQUEUE_FAILED_MESSAGE  # the sweep will send it

    assert client.get(reverse("healthz")).status_code == 200
    _sweep()
    _catch_up(council, timeout=30)
    _assert_no_failed_runs(council)


def test_broker_refusing_connections(start_worker, editor, council, own_redis, client):
    start_worker()
    own_redis.stop()  # nothing listens on the port: connections are refused at once
    try:
        elapsed = _save_score(editor, council, 2)
        started = time.monotonic()
        health = client.get(reverse("healthz"))
        health_seconds = time.monotonic() - started
    finally:
        own_redis.start()  # an empty Redis, as after a restart without persistence
    assert elapsed < SAVE_SECONDS
    assert (health.status_code, health_seconds < SAVE_SECONDS) == (503, True)
    assert _latest_run(council).status == RunStatus.QUEUED

    # The worker reconnects by itself; the sweep re-sends what the broker never got.
    started = time.monotonic()
    wait_for(
        lambda: client.get(reverse("healthz")).status_code == 200,
        timeout=10,
        message="healthz never saw the broker back",
    )
    _sweep()
    _catch_up(council, timeout=60)
    _assert_no_failed_runs(council)
    assert time.monotonic() - started < 60


# --- The database -----------------------------------------------------------------------


def _terminate(application_name: str) -> int:
    """pg_terminate_backend every connection of that application; how many."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = %s AND pid <> pg_backend_pid()"
            # Only this test database's: another run on the same server has its own.
            " AND datname = current_database()",
            [application_name],
        )
        return cursor.fetchone()[0]


def test_database_connection_terminated_mid_run(start_worker, editor, council):
    # The run holds its write transaction open for 3 s; its connection is cut inside it.
    start_worker(RANKING_TEST_DELAY_SECONDS="3", PGAPPNAME=WORKER_APP)
    run = _save_and_wait_for_write_phase(editor, council)
    time.sleep(0.5)
    assert _terminate(WORKER_APP) >= 1
    assert not RankedEntry.objects.filter(run=run).exists()
    # The task retries the transient error on a new connection, as the same delivery.
    _catch_up(council, timeout=60)
    run.refresh_from_db()
    assert (run.status, run.attempts) == (RunStatus.DONE, 2)
    _assert_no_failed_runs(council)


@pytest.fixture
def web_server(shared_db, tmp_path) -> Iterator[str]:
    """gunicorn (one sync worker, persistent database connections) on a spare port."""
    port = _free_port(18000)
    env = {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": _database_url(),
        "DB_CONN_MAX_AGE": "600",
        "REDIS_URL": "",
        "PGAPPNAME": WEB_APP,
    }
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "planner.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _get(f"{base}/healthz") is not None, timeout=30, message="no gunicorn")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()
        # PostgreSQL ends a dead client's backend a moment after the process goes; the next
        # test counts this application's connections, so wait until they are gone.
        wait_for(lambda: _connections(WEB_APP) == 0, timeout=15, message="web connections linger")


def _connections(application_name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE application_name = %s AND datname = current_database()",
            [application_name],
        )
        return cursor.fetchone()[0]


def _get(url: str, cookie: str = "") -> int | None:
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def test_database_connection_terminated_between_requests(web_server, editor, council):
    cookie = f"sessionid={editor.cookies['sessionid'].value}"
    backlog = f"{web_server}{reverse('backlog', args=[council.slug])}"
    assert _get(backlog, cookie) == 200  # the worker now keeps its connection
    assert _terminate(WEB_APP) == 1
    # With CONN_HEALTH_CHECKS the dead connection is noticed and replaced: no 500.
    statuses = [_get(backlog, cookie) for _ in range(3)]
    assert statuses == [200, 200, 200]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a saved score answers 302: keep it
        return None


def _request(url: str, *, cookie: str, data: dict[str, str] | None = None, token: str = ""):
    """(status, headers, body) of a GET, or of a POST of `data` with the CSRF token."""
    headers = {"Cookie": cookie}
    body = None
    if data is not None:
        body = urllib.parse.urlencode(data).encode()
        headers["X-CSRFToken"] = token
    request = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.build_opener(_NoRedirect).open(request, timeout=30) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def _waiting_on_a_lock(application_name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE application_name = %s AND wait_event_type = 'Lock'"
            " AND datname = current_database()",
            [application_name],
        )
        return cursor.fetchone()[0] > 0


def test_database_connection_terminated_mid_request(web_server, editor, council):
    """The save's transaction has written the score and waits on the council's row (held
    here) when its connection is cut: the editor gets the 503 page, nothing is half-written,
    and the next request and the next save succeed."""
    item = council.items.order_by("pk").first()
    criterion = council.criteria.get(key="citizen_impact")
    score = ItemScore.objects.get(item=item, criterion=criterion)
    history_before = score.history.count()
    runs_before = council.runs.count()
    session = f"sessionid={editor.cookies['sessionid'].value}"
    page = f"{web_server}{reverse('item_detail', args=[council.slug, item.reference])}"
    status, headers, _ = _request(page, cookie=session)
    assert status == 200
    token = headers["Set-Cookie"].split("csrftoken=", 1)[1].split(";", 1)[0]
    cookie = f"{session}; csrftoken={token}"
    save_url = (
        f"{web_server}{reverse('item_score', args=[council.slug, item.reference, criterion.pk])}"
    )
    new_value = 5 if score.value != 5 else 4
    form = {"value": str(new_value), "version": str(score.version), "rationale": "Cut"}
    outcome: dict[str, tuple] = {}
    holder = psycopg.connect(_database_url(), autocommit=False)
    try:
        holder.execute("SELECT 1 FROM councils_council WHERE id = %s FOR UPDATE", [council.pk])
        saving = threading.Thread(
            target=lambda: outcome.update(
                cut=_request(save_url, cookie=cookie, data=form, token=token)
            )
        )
        saving.start()
        wait_for(lambda: _waiting_on_a_lock(WEB_APP), timeout=15, message="the save never waited")
        assert _terminate(WEB_APP) == 1
        saving.join(timeout=15)
    finally:
        holder.rollback()
        holder.close()
    status, headers, body = outcome["cut"]
    assert status == 503 and headers["Retry-After"]
    assert "your change has not been saved" in body
    assert "Traceback" not in body
    # Nothing half-written: the score, its history and the run queue are as they were.
    score.refresh_from_db()
    assert score.value != new_value and score.version == int(form["version"])
    assert score.history.count() == history_before
    assert council.runs.count() == runs_before
    # The worker's next requests open a fresh connection: the page, then the same save.
    assert _request(page, cookie=session)[0] == 200
    assert _request(save_url, cookie=cookie, data=form, token=token)[0] == 302
    score.refresh_from_db()
    assert (score.value, score.version) == (new_value, int(form["version"]) + 1)


# --- Duplicate deliveries ---------------------------------------------------------------


def test_duplicate_deliveries_never_fail_a_run(start_worker, editor, council):
    # No worker yet: the saved run waits in the queue, and copies of it pile up (edits and
    # sweeps re-send an overdue run), each a separate message with its own task id.
    assert _save_score(editor, council, 5) < SAVE_SECONDS
    run = _latest_run(council)
    for _ in range(ranking.MAX_ATTEMPTS + 3):
        execute_ranking_run.apply_async(args=[run.pk], retry=False)
    # A worker with several processes takes the copies at once while the first one runs.
    start_worker(concurrency=4, RANKING_TEST_DELAY_SECONDS="2")
    _catch_up(council, timeout=60)
    run.refresh_from_db()
    assert (run.status, run.attempts) == (RunStatus.DONE, 1)
    _assert_no_failed_runs(council)
    # The copies left in the queue are no-ops too: a later save ranks as usual.
    assert _save_score(editor, council, 3) < SAVE_SECONDS
    _catch_up(council, timeout=60)
    _assert_no_failed_runs(council)
