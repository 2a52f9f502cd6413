"""Load benchmark: a production-like stack on 127.0.0.1 driven by Locust (`make bench-load`).

It starts, from the working tree:
- PostgreSQL: a database of its own (planner_load by default), dropped afterwards;
- Redis: a database number of its own (5 by default), flushed afterwards;
- gunicorn with 3 sync workers and DEBUG off (one "web container"; --web 2 starts two);
- one Celery worker (--workers 2 starts two) and Celery beat.

It seeds 380 councils of 300 scored items with 100 editors (bench/load_data.py, a Django
subprocess: Locust patches the standard library with gevent on import, so Django stays out
of this process), asks for a ranking of every council at once (the workers' capacity: runs per
second per worker), then runs three Locust phases against the stack:
1. baseline: /ping (a view that does nothing) with 20 users and no think time;
2. people: 100 users, each waiting 3-10 s between actions, reading the dashboard, backlog,
   roadmap, item pages, exports and the weightings preview, and scoring an item in about one
   request in ten. After each score it polls the ranking status until the ranking that
   includes the edit is done: the edit-to-fresh-ranking latency;
3. stress: 20 users with no think time, the same mix: the stack's maximum throughput.

Everything is bounded: each phase has a duration, each status poll a deadline, each process
a lifetime, and the stack is torn down in `finally`. Scale it down for a quick run:

    .venv/bin/python bench/load.py --councils 20 --users 10 --seconds 20
"""

# Locust must be imported before anything else: it monkey-patches the standard library.
import locust  # noqa: F401, I001  (must come first)
from locust import FastHttpUser, between, constant, task
from locust.env import Environment

import argparse
import json
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import gevent
import psutil
import redis

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
# Pages people read, by name, with how often a user picks each (scoring is about 1 request
# in 10: a score costs two requests, the item page it reads and the POST).
TARGET_P95_MS = 300
TARGET_FRESH_P95_MS = 2000
PAGES_WITH_TARGETS = ("dashboard", "backlog", "roadmap")
# A status poll every 100 ms measures freshness to within 50 ms; 30 s is "never".
POLL_SECONDS = 0.1
POLL_DEADLINE_SECONDS = 30
_VERSION = re.compile(r'name="version" value="(\d+)"')


@dataclass
class Workload:
    """What the simulated users share: the seeded councils and users, and what they measure."""

    councils: dict[str, dict]
    users: list[dict]
    hosts: list[str]
    fresh_ms: list[float] = field(default_factory=list)
    stale_after_deadline: int = 0
    conflicts: int = 0
    next_user: int = 0
    rng: random.Random = field(default_factory=lambda: random.Random(16))

    def claim_user(self) -> dict:
        person = self.users[self.next_user % len(self.users)]
        self.next_user += 1
        return person


WORKLOAD: Workload | None = None


class PlannerUser(FastHttpUser):
    """A council officer: signs in as one seeded editor and works in their councils."""

    abstract = True
    host = "http://127.0.0.1"
    # Connection timeouts: a request slower than this is a failure, not a long sample.
    network_timeout = 30.0
    connection_timeout = 10.0

    def __init__(self, environment) -> None:
        assert WORKLOAD is not None
        index = WORKLOAD.next_user
        self.person = WORKLOAD.claim_user()
        # With two web "containers", users are shared between them, as a load balancer would.
        self.host = WORKLOAD.hosts[index % len(WORKLOAD.hosts)]
        super().__init__(environment)
        self.csrf = secrets.token_hex(16)  # 32 characters: a CSRF secret Django accepts
        self.cookie = f"sessionid={self.person['session']}; csrftoken={self.csrf}"

    def _get(self, url: str, name: str, **headers: str):
        return self.client.get(url, name=name, headers={"Cookie": self.cookie, **headers})

    def _council(self) -> dict:
        assert WORKLOAD is not None
        return WORKLOAD.councils[WORKLOAD.rng.choice(self.person["councils"])]

    def _item_url(self, council: dict) -> str:
        assert WORKLOAD is not None
        return f"/c/{council['slug']}/items/{WORKLOAD.rng.choice(council['items'])}/"

    @task(15)
    def dashboard(self) -> None:
        self._get(f"/c/{self._council()['slug']}/", "dashboard")

    @task(15)
    def backlog(self) -> None:
        assert WORKLOAD is not None
        page = WORKLOAD.rng.choice(("", "?page=2", "?sort=title", "?status=ready"))
        self._get(f"/c/{self._council()['slug']}/backlog/{page}", "backlog")

    @task(10)
    def roadmap(self) -> None:
        self._get(f"/c/{self._council()['slug']}/roadmap/", "roadmap")

    @task(15)
    def item(self) -> None:
        self._get(self._item_url(self._council()), "item")

    @task(5)
    def export(self) -> None:
        assert WORKLOAD is not None
        name = WORKLOAD.rng.choice(("ranking", "backlog"))
        self._get(f"/c/{self._council()['slug']}/export/{name}.csv", f"export ({name} CSV)")

    @task(5)
    def weightings_preview(self) -> None:
        assert WORKLOAD is not None
        council = self._council()
        weights = "&".join(
            f"weight_{pk}={WORKLOAD.rng.randint(0, 100)}" for pk in council["criteria"]
        )
        url = f"/c/{council['slug']}/weightings/preview/?method=weighted_sum&{weights}"
        self._get(url, "weightings preview", **{"HX-Request": "true"})

    @task(8)
    def score(self) -> None:
        assert WORKLOAD is not None
        council = self._council()
        url = self._item_url(council)
        page = self._get(url, "item")
        criterion = WORKLOAD.rng.choice(council["scored_by_hand"])
        action = f"{url}score/{criterion}/"
        start = page.text.find(f'action="{action}"') if page.text else -1
        found = _VERSION.search(page.text or "", start) if start >= 0 else None
        if found is None:
            return  # the item page failed, and is counted as a failure already
        headers = {"Cookie": self.cookie, "X-CSRFToken": self.csrf, "HX-Request": "true"}
        form = {"value": str(WORKLOAD.rng.randint(1, 5)), "version": found.group(1)}
        with self.client.post(
            action, data=form, headers=headers, name="score (POST)", catch_response=True
        ) as response:
            if response.status_code == 409:
                # Someone else scored it first: the optimistic lock doing its job.
                WORKLOAD.conflicts += 1
                response.success()
                return
        if response.status_code == 200:
            self._time_fresh_ranking(council["slug"])

    def _time_fresh_ranking(self, slug: str) -> None:
        """Poll as the page does (but 10 times a second) until no run is queued or running:
        the edit's request_run either created a run or joined a queued one that has not
        loaded its data yet, so the first "nothing pending" answer shows a ranking with it."""
        assert WORKLOAD is not None
        saved = time.perf_counter()
        deadline = saved + POLL_DEADLINE_SECONDS
        while time.perf_counter() < deadline:
            status = self._get(
                f"/c/{slug}/ranking/status/", "ranking status (poll)", **{"HX-Request": "true"}
            )
            if status.status_code == 200 and "ranking-updated" in (
                status.headers.get("HX-Trigger") or ""
            ):
                WORKLOAD.fresh_ms.append((time.perf_counter() - saved) * 1000)
                return
            gevent.sleep(POLL_SECONDS)
        WORKLOAD.stale_after_deadline += 1


class PersonUser(PlannerUser):
    wait_time = between(3, 10)


class StressUser(PlannerUser):
    wait_time = constant(0)


class PingUser(FastHttpUser):
    """The baseline: a view that touches neither the database nor the broker."""

    host = "http://127.0.0.1"
    wait_time = constant(0)

    def __init__(self, environment) -> None:
        assert WORKLOAD is not None
        index = WORKLOAD.next_user
        WORKLOAD.next_user += 1
        self.host = WORKLOAD.hosts[index % len(WORKLOAD.hosts)]
        super().__init__(environment)

    @task
    def ping(self) -> None:
        self.client.get("/ping", name="ping (baseline)")


# --- The stack -----------------------------------------------------------------------------


class Stack:
    """The processes under test. Each runs under coreutils `timeout` where it exists, so a
    benchmark killed outright still cannot leave them running for longer than its budget."""

    def __init__(self, *, env: dict[str, str], logs: Path, lifetime: int) -> None:
        self.env = env
        self.logs = logs
        self.lifetime = lifetime
        self.processes: list[subprocess.Popen] = []

    def start(self, name: str, args: list[str], **env: str) -> subprocess.Popen:
        guard = ["timeout", "--signal=TERM", "--kill-after=10", str(self.lifetime)]
        command = (guard if shutil.which("timeout") else []) + args
        log = (self.logs / f"{name}.log").open("w")
        process = subprocess.Popen(
            command, cwd=ROOT, env={**self.env, **env}, stdout=log, stderr=subprocess.STDOUT
        )
        self.processes.append(process)
        return process

    def cpu_seconds(self) -> float:
        """CPU used so far by every process of the stack (gunicorn and Celery, children too)."""
        total = 0.0
        for process in self.processes:
            try:
                root = psutil.Process(process.pid)
                for member in [root, *root.children(recursive=True)]:
                    times = member.cpu_times()
                    total += times.user + times.system
            except psutil.Error:
                continue
        return total

    @staticmethod
    def postgres_cpu_seconds() -> dict[int, float]:
        """CPU used so far by each PostgreSQL process (the stack's queries, and anything else
        this server runs: on a shared server it is an upper bound)."""
        used = {}
        for process in psutil.process_iter(["name", "cpu_times"]):
            times = process.info["cpu_times"]
            if process.info["name"] == "postgres" and times:
                used[process.pid] = times.user + times.system
        return used

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        end = time.monotonic() + 15
        for process in self.processes:
            try:
                process.wait(timeout=max(end - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def django_step(env: dict[str, str], *args: str, timeout: float) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "load_data.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        raise SystemExit(f"bench/load_data.py {args[0]} failed")
    return result.stdout


def wait_until_serving(url: str, seconds: float) -> None:
    from geventhttpclient import URL, HTTPClient

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            client = HTTPClient.from_url(URL(url), connection_timeout=1, network_timeout=2)
            if client.get("/ping").status_code == 200:
                return
        except OSError:
            pass
        gevent.sleep(0.25)
    raise SystemExit(f"{url} did not start serving within {seconds:.0f} s")


# --- Measuring --------------------------------------------------------------------------------


@dataclass
class PhaseResult:
    name: str
    users: int
    seconds: float
    requests: int
    failures: int
    rps: float
    pages: dict[str, dict[str, float]]
    fresh_ms: list[float]
    stale: int
    conflicts: int
    cpu: dict[str, float]
    load_average: tuple[float, float, float]
    errors: list[str]


def run_phase(name: str, user_class, *, users: int, seconds: int, stack: Stack) -> PhaseResult:
    assert WORKLOAD is not None
    WORKLOAD.fresh_ms, WORKLOAD.stale_after_deadline, WORKLOAD.conflicts = [], 0, 0
    env = Environment(user_classes=[user_class])
    runner = env.create_local_runner()
    me = psutil.Process()
    machine_before = psutil.cpu_times()
    mine_before = sum(me.cpu_times()[:2])
    stack_before = stack.cpu_seconds()
    postgres_before = stack.postgres_cpu_seconds()
    started = time.monotonic()
    runner.start(users, spawn_rate=max(users / 5, 1))
    gevent.sleep(seconds)
    runner.stop()
    runner.quit()
    elapsed = time.monotonic() - started
    machine_after = psutil.cpu_times()
    busy = sum(
        getattr(machine_after, f) - getattr(machine_before, f)
        for f in ("user", "nice", "system", "irq", "softirq", "steal")
    )
    cores = psutil.cpu_count() or 1
    capacity = elapsed * cores
    generator = sum(me.cpu_times()[:2]) - mine_before
    stack_cpu = stack.cpu_seconds() - stack_before
    # Per process: backends that ended during the phase drop out of both sides.
    postgres_cpu = sum(
        used - postgres_before.get(pid, 0.0) for pid, used in stack.postgres_cpu_seconds().items()
    )
    stats = env.stats
    pages = {}
    for (entry_name, _method), entry in sorted(stats.entries.items()):
        pages[entry_name] = {
            "count": entry.num_requests,
            "failures": entry.num_failures,
            "p50": entry.get_response_time_percentile(0.5) or 0,
            "p95": entry.get_response_time_percentile(0.95) or 0,
            "kib": round(entry.avg_content_length / 1024, 1),
        }
    total = stats.total
    return PhaseResult(
        name=name,
        users=users,
        seconds=round(elapsed, 1),
        requests=total.num_requests,
        failures=total.num_failures,
        rps=round(total.num_requests / elapsed, 1),
        pages=pages,
        fresh_ms=list(WORKLOAD.fresh_ms),
        stale=WORKLOAD.stale_after_deadline,
        conflicts=WORKLOAD.conflicts,
        cpu={
            "load generator": round(100 * generator / capacity, 1),
            "stack (gunicorn, Celery)": round(100 * stack_cpu / capacity, 1),
            "PostgreSQL": round(100 * postgres_cpu / capacity, 1),
            "whole machine": round(100 * busy / capacity, 1),
        },
        load_average=os.getloadavg(),
        errors=[f"{e.method} {e.name}: {e.error} x{e.occurrences}" for e in stats.errors.values()],
    )


def percentile(samples: list[float], fraction: float) -> float:
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[min(int(fraction * len(ordered)), len(ordered) - 1)]


def report(phases: list[PhaseResult], baseline: PhaseResult, extra: dict) -> None:
    print(f"\n{extra['machine']}")
    print(
        f"Seeded {extra['councils']} councils x {extra['items']} items, {extra['users_seeded']} "
        f"users in {extra['seed']['seed_s']} s (migrations {extra['seed']['migrate_s']} s); "
        f"{extra['web']} web container(s) x 3 gunicorn workers, {extra['workers']} Celery worker(s)"
    )
    print(
        f"\nBaseline /ping: {baseline.rps:.0f} requests/s with {baseline.users} users "
        f"(p50 {baseline.pages.get('ping (baseline)', {}).get('p50', 0):.0f} ms), "
        f"{baseline.failures} failures"
    )
    for phase in phases:
        print(
            f"\n== {phase.name}: {phase.users} users for {phase.seconds:.0f} s: "
            f"{phase.rps:.1f} requests/s ({phase.rps / baseline.rps:.1%} of /ping), "
            f"{phase.requests} requests, {phase.failures} failed"
        )
        print(f"  {'page':<26}{'requests':>9}{'failed':>8}{'p50 ms':>9}{'p95 ms':>9}{'avg KiB':>9}")
        for name, row in phase.pages.items():
            print(
                f"  {name:<26}{row['count']:>9}{row['failures']:>8}{row['p50']:>9.0f}"
                f"{row['p95']:>9.0f}{row['kib']:>9.1f}"
            )
        fresh = phase.fresh_ms
        print(
            f"  edit-to-fresh-ranking: {len(fresh)} edits timed, "
            f"p50 {percentile(fresh, 0.5):.0f} ms, p95 {percentile(fresh, 0.95):.0f} ms; "
            f"{phase.stale} still stale after {POLL_DEADLINE_SECONDS} s; "
            f"{phase.conflicts} edit conflicts (409)"
        )
        cpu = ", ".join(f"{k} {v:.0f}%" for k, v in phase.cpu.items())
        load = " ".join(f"{x:.1f}" for x in phase.load_average)
        print(f"  CPU share of the machine: {cpu}; load average {load}")
        for error in phase.errors[:10]:
            print(f"  error: {error}")
    print("\nRanking runs")
    runs = extra["runs"]
    print(
        f"  during the phases: {runs['done']} done, {runs['failed']} failed, "
        f"{runs['still_pending']} pending at the end; worker time p50 {runs['worker_ms_p50']} ms, "
        f"p95 {runs['worker_ms_p95']} ms; runs claimed more than once: "
        f"{runs['claimed_more_than_once']}; one council ranked twice at once: "
        f"{runs['same_council_overlaps']} times"
    )
    for worker, count in extra["per_worker"].items():
        print(f"  {worker}: {count} runs during the phases")
    burst = extra["burst"]
    print(
        f"  every council at once, before the phases: {burst['done']} of {burst['asked']} "
        f"done in {burst['wall_s']} s, "
        f"{burst['runs_per_s']} runs/s across {extra['workers']} worker(s) "
        f"({burst['runs_per_s'] / extra['workers']:.1f} per worker); worker time p50 "
        f"{burst['worker_ms_p50']} ms, p95 {burst['worker_ms_p95']} ms"
    )
    for worker, count in extra["burst_per_worker"].items():
        print(f"  {worker}: {count} runs of that burst")
    print("\nTargets")
    people = phases[0]
    print(f"  {'meets' if all(p.failures == 0 for p in phases) else 'MISSES'}: 0 failed requests")
    for page in PAGES_WITH_TARGETS:
        p95 = people.pages.get(page, {}).get("p95", 0)
        verdict = "meets" if p95 < TARGET_P95_MS else "MISSES"
        print(f"  {verdict}: {page} p95 {p95:.0f} ms < {TARGET_P95_MS} ms at {people.users} users")
    fresh_p95 = percentile(people.fresh_ms, 0.95)
    verdict = "meets" if people.fresh_ms and fresh_p95 < TARGET_FRESH_P95_MS else "MISSES"
    print(f"  {verdict}: edit-to-fresh-ranking p95 {fresh_p95:.0f} ms < {TARGET_FRESH_P95_MS} ms")
    verdict = "meets" if 0 < burst["worker_ms_p50"] < 30 else "MISSES"
    size = f"a {extra['items']}-item council"
    print(f"  {verdict}: a ranking run of {size}: {burst['worker_ms_p50']} ms < 30 ms")


def worker_counts(logs: Path, workers: int) -> dict[str, int]:
    """Runs each worker finished, from its log (one line per task it completed)."""
    counts = {}
    for number in range(1, workers + 1):
        text = (logs / f"worker{number}.log").read_text(errors="replace")
        counts[f"worker {number}"] = len(
            re.findall(r"execute_ranking_run\[[^\]]+\] succeeded", text)
        )
    return counts


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Load benchmark of the planner stack.")
    parser.add_argument("--councils", type=int, default=380)
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--users", type=int, default=100, help="simulated people (think time)")
    parser.add_argument("--seconds", type=int, default=120, help="the people phase's length")
    parser.add_argument("--stress-users", type=int, default=20)
    parser.add_argument("--stress-seconds", type=int, default=60)
    parser.add_argument("--baseline-seconds", type=int, default=15)
    parser.add_argument("--web", type=int, default=1, help="web containers (3 gunicorn each)")
    parser.add_argument("--workers", type=int, default=1, help="Celery workers")
    parser.add_argument("--port", type=int, default=8760)
    parser.add_argument("--database", default="planner_load")
    parser.add_argument("--redis-db", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if min(args.councils, args.items, args.users, args.seconds, args.web, args.workers) < 1:
        parser.error("every count and duration must be at least 1")
    return args


def stack_env(args: argparse.Namespace) -> dict[str, str]:
    """Production settings (DEBUG off) on plain http://127.0.0.1, with the benchmark's own
    database and Redis database number."""
    base = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    server = re.sub(r"/[^/?]*(\?|$)", rf"/{args.database}\1", base.split("://", 1)[1], count=1)
    redis_base = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{server}",
        "REDIS_URL": re.sub(r"/\d*$", f"/{args.redis_db}", redis_base),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "planner.settings",
    }


def start_stack(stack: Stack, *, hosts: list[str], workers: int) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=ROOT,
        env=stack.env,
        check=True,
        timeout=300,
    )
    for number, host in enumerate(hosts, start=1):
        bind = host.removeprefix("http://")
        gunicorn = [str(VENV_BIN / "gunicorn"), "planner.wsgi", "--workers=3", f"--bind={bind}"]
        stack.start(f"web{number}", [*gunicorn, "--timeout=60", "--log-level=warning"])
    celery = [str(VENV_BIN / "celery"), "-A", "planner"]
    for number in range(1, workers + 1):
        stack.start(
            f"worker{number}",
            [
                *celery,
                "worker",
                f"--hostname=load{number}@%h",
                "--concurrency=1",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
            ],
            # INFO: each finished task logs a line, which counts the runs per worker.
            LOG_LEVEL="INFO",
        )
    schedule = f"--schedule={stack.logs / 'beat-schedule'}"
    stack.start("beat", [*celery, "beat", "--loglevel=WARNING", schedule])
    for host in hosts:
        wait_until_serving(host, 60)


def main() -> None:
    global WORKLOAD
    args = parse_args()
    env = stack_env(args)
    budget = args.baseline_seconds + args.seconds + args.stress_seconds + 600
    logs = Path(tempfile.mkdtemp(prefix="planner-load-"))
    stack = Stack(env=env, logs=logs, lifetime=budget)
    hosts = [f"http://127.0.0.1:{args.port + n}" for n in range(args.web)]
    try:
        seed_file = logs / "seed.json"
        sizes = [f"--councils={args.councils}", f"--items={args.items}", f"--users={args.users}"]
        django_step(env, "seed", *sizes, f"--out={seed_file}", timeout=900)
        seeded = json.loads(seed_file.read_text())
        start_stack(stack, hosts=hosts, workers=args.workers)
        burst = json.loads(django_step(env, "rank-all", "--timeout=300", timeout=360))
        if burst["done"] != burst["asked"]:
            raise SystemExit(f"Only {burst['done']} of {burst['asked']} councils were ranked.")
        burst_per_worker = worker_counts(logs, args.workers)
        since = datetime.now(UTC)  # the phases' runs only
        WORKLOAD = Workload(
            councils={council["slug"]: council for council in seeded["councils"]},
            users=seeded["users"],
            hosts=hosts,
        )
        stress_users = args.stress_users
        baseline = run_phase(
            "baseline", PingUser, users=stress_users, seconds=args.baseline_seconds, stack=stack
        )
        people = run_phase(
            "people", PersonUser, users=args.users, seconds=args.seconds, stack=stack
        )
        stress = run_phase(
            "stress", StressUser, users=stress_users, seconds=args.stress_seconds, stack=stack
        )
        runs = json.loads(django_step(env, "runs", f"--since={since.isoformat()}", timeout=120))
        after = worker_counts(logs, args.workers)
        from bench.common import machine_line

        extra = {
            "machine": machine_line(),
            "councils": args.councils,
            "items": args.items,
            "users_seeded": len(seeded["users"]),
            "seed": seeded["timings"],
            "web": args.web,
            "workers": args.workers,
            "runs": runs,
            "burst": burst,
            "burst_per_worker": burst_per_worker,
            "per_worker": {name: after[name] - burst_per_worker[name] for name in after},
        }
        report([people, stress], baseline, extra)
        if args.json:
            phases = [phase.__dict__ for phase in (baseline, people, stress)]
            args.json.write_text(json.dumps({"phases": phases, **extra}, default=str))
    finally:
        stack.stop()
        django_step(env, "drop", timeout=120)
        redis.Redis.from_url(env["REDIS_URL"], socket_timeout=5).flushdb()
        print(f"Logs: {logs}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
