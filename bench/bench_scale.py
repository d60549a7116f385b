"""Pages, API lists and jobs on the benchmark estate: `DATABASE_URL=postgres://… python bench/bench_scale.py`.

Builds (once, then reuses) the labelled estate of `load_scale_data --pipelines 1000 --members 50` in
its own database (`<DATABASE_URL's name>_scale`), serves it with gunicorn and 2 workers, and measures:
* each page and list endpoint in interleaved rounds beside the sign-in page: median time, the ratio
  to the sign-in page's median (target <= 20x) and the body size (target <= 300 KB for pages);
* 16 concurrent clients for 30 s on the dashboard and the home page: requests, errors, p95;
* each every-minute and nightly job at a moment when its work is due: time and query count (target
  < 1 s for the every-minute jobs). Jobs run in a transaction that is rolled back, so every run of
  the script measures the same work.
Reports every figure, then exits 1 if any target was missed. `--rebuild` builds the estate again.
"""

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time as clock
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")

PIPELINES, MEMBERS = 1000, 50
ROUNDS = 7
PORT = int(os.environ.get("BENCH_PORT", "8731"))
RATIO_TARGET, PAGE_BYTES_TARGET, JOB_SECONDS_TARGET = 20, 300_000, 1.0
CONCURRENT_CLIENTS, CONCURRENT_SECONDS = 16, 30


def scale_database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return ""
    base, _, name = url.rpartition("/")
    return f"{base}/{name or 'portal'}_scale"


def prepare_estate(rebuild: bool) -> None:
    """Create, migrate and load the estate's database unless it already holds the estate."""
    import psycopg

    url = os.environ["DATABASE_URL"]
    admin_url, _, name = url.rpartition("/")
    with psycopg.connect(f"{admin_url}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and rebuild:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], check=True)
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], check=True)  # served with DEBUG off
    with psycopg.connect(url) as conn:
        loaded = conn.execute("SELECT count(*) FROM pipelines_pipeline").fetchone()[0]
    if loaded != PIPELINES:
        began = clock.perf_counter()
        subprocess.run([*manage, "load_scale_data", f"--pipelines={PIPELINES}", f"--members={MEMBERS}"], check=True)
        print(f"Estate loaded in {clock.perf_counter() - began:.0f} s")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("ANALYZE")


def credentials() -> tuple[str, str]:
    """A signed-in session cookie and an API token for one of the estate's members."""
    from django.conf import settings
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from oncall.models import TeamMember

    user = TeamMember.objects.select_related("user").get(name="Bench Member 02").user
    client = Client()
    client.force_login(user)
    token, _ = Token.objects.get_or_create(user=user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}", token.key


def fetch(path: str, headers: dict[str, str]) -> tuple[float, int, int]:
    request = urllib.request.Request(f"http://127.0.0.1:{PORT}{path}", headers=headers)
    began = clock.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            body, status = response.read(), response.status
    except urllib.error.HTTPError as error:
        body, status = error.read(), error.code
    return clock.perf_counter() - began, status, len(body)


def serve() -> subprocess.Popen:
    env = {**os.environ, "DEBUG": "false"}
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "portal.wsgi",
            "--workers=2",
            f"--bind=127.0.0.1:{PORT}",
            "--timeout=300",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(60):
        try:
            fetch("/accounts/login/", {})
            return server
        except OSError:
            clock.sleep(0.5)
    server.terminate()
    sys.exit("gunicorn did not answer")


def measure_pages(month: str, cookie: str, token: str) -> list[str]:
    browser, api = {"Cookie": cookie}, {"Authorization": f"Token {token}"}
    targets = {
        "sign-in page": ("/accounts/login/", {}),
        "/ (home board)": ("/", browser),
        f"/sla/{month}/": (f"/sla/{month}/", browser),
        "/runbooks/": ("/runbooks/", browser),
        "/team/": ("/team/", browser),
        "/incidents/": ("/incidents/", browser),
        "/api/runs/": ("/api/runs/", api),
        "/api/incidents/": ("/api/incidents/", api),
        "/api/notifications/": ("/api/notifications/", api),
    }
    times: dict[str, list[float]] = {name: [] for name in targets}
    sizes, statuses = {}, {}
    for _ in range(ROUNDS):
        for name, (path, headers) in targets.items():
            took, status, size = fetch(path, headers)
            times[name].append(took)
            sizes[name], statuses[name] = size, status
    base = statistics.median(times["sign-in page"])
    missed = []
    print(f"\nPages and lists ({ROUNDS} interleaved rounds, medians; sign-in page {base * 1000:.1f} ms)")
    print(f"  {'what':<22} {'median':>9} {'ratio':>7} {'size':>10}  status")
    for name, values in times.items():
        median = statistics.median(values)
        ratio = median / base
        is_page = not name.startswith("/api/")
        print(f"  {name:<22} {median * 1000:>7.1f}ms {ratio:>6.1f}x {sizes[name] / 1000:>8.1f}KB  {statuses[name]}")
        if statuses[name] != 200 or ratio > RATIO_TARGET or (is_page and sizes[name] > PAGE_BYTES_TARGET):
            missed.append(f"{name}: {median * 1000:.0f} ms ({ratio:.1f}x), {sizes[name] / 1000:.0f} KB")
    return missed


def measure_concurrency(month: str, cookie: str) -> list[str]:
    paths = [f"/sla/{month}/", "/"]
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = clock.perf_counter() + CONCURRENT_SECONDS

    def client(number: int) -> None:
        turn = number
        while clock.perf_counter() < stop:
            try:
                took, status, _ = fetch(paths[turn % 2], {"Cookie": cookie})
            except OSError:
                took, status = 0.0, 0
            turn += 1
            with lock:
                latencies.append(took)
                errors[0] += status != 200

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CONCURRENT_CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    p95 = statistics.quantiles(latencies, n=20)[-1] if len(latencies) > 1 else float("nan")
    rate = len(latencies) / CONCURRENT_SECONDS
    print(f"\n{CONCURRENT_CLIENTS} clients for {CONCURRENT_SECONDS} s on the dashboard and home page")
    print(f"  {len(latencies)} requests ({rate:.1f}/s), {errors[0]} errors, p95 {p95:.2f} s")
    return [f"concurrency: {errors[0]} errors"] if errors[0] else []


def measure_jobs(now: datetime) -> list[str]:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from incidents import communications
    from incidents import services as incident_services
    from oncall.months import add_months
    from oncall.reminders import shift_reminders_send
    from sla import services as sla_services
    from sla.models import SlaReport

    # The morning after the estate's last run: nothing has arrived, every notice and escalation is due.
    morning = (now + timedelta(days=1)).replace(hour=9, minute=5, second=0, microsecond=0)
    month = add_months(now.date(), -1)

    def first_computation():
        SlaReport.objects.filter(month=month).delete()
        sla_services.sla_month_compute(month=month, now=morning)

    jobs = {
        "escalate silent incidents": (lambda: incident_services.incidents_escalate_silence(now=morning), True),
        "delay notices": (lambda: communications.delay_notices_send(now=morning), True),
        "delay contacts": (lambda: communications.delay_contacts_notify(now=morning), True),
        "shift reminders": (lambda: shift_reminders_send(now=morning), False),
        "compute_sla, first computation": (first_computation, False),
        "compute_sla, recompute": (lambda: sla_services.sla_month_compute(month=month, now=morning), False),
    }
    missed = []
    print(f"\nJobs at {morning:%Y-%m-%d %H:%M} UTC (rolled back after each)")
    for name, (job, every_minute) in jobs.items():
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            began = clock.perf_counter()
            job()
            took = clock.perf_counter() - began
            transaction.set_rollback(True)
        target = f" (target < {JOB_SECONDS_TARGET:.0f} s)" if every_minute else ""
        print(f"  {name:<32} {took:>7.2f} s {len(queries):>7} queries{target}")
        if every_minute and took >= JOB_SECONDS_TARGET:
            missed.append(f"{name}: {took:.2f} s")
    return missed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="Build the estate again.")
    parser.add_argument("--skip-concurrency", action="store_true")
    arguments = parser.parse_args()
    url = scale_database_url()
    if not url:
        print("Skipped: this benchmark measures PostgreSQL; set DATABASE_URL=postgres://…")
        return 0
    os.environ["DATABASE_URL"] = url
    prepare_estate(arguments.rebuild)

    import django

    django.setup()
    from pipelines.models import Run

    now = Run.objects.latest("scheduled_for").scheduled_for.astimezone(UTC) + timedelta(hours=2)
    month = f"{now:%Y-%m}"
    cookie, token = credentials()
    server = serve()
    try:
        missed = measure_pages(month, cookie, token)
        if not arguments.skip_concurrency:
            missed += measure_concurrency(month, cookie)
    finally:
        server.terminate()
        server.wait()
    missed += measure_jobs(now)
    if missed:
        print("\nMissed targets:\n  " + "\n  ".join(missed))
        return 1
    print("\nEvery target met.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
