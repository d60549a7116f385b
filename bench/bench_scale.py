"""Pages, API lists and jobs on the benchmark estate: `DATABASE_URL=postgres://… python bench/bench_scale.py`.

Builds (once, then reuses) the labelled estate of `load_scale_data --pipelines 1000 --members 50` in
its own database (`<DATABASE_URL's name>_scale`), serves it with gunicorn and 2 workers, and measures:
* each page and list endpoint in interleaved rounds beside the sign-in page: median time, the ratio
  to the sign-in page's median (target <= 20x) and the body size (target <= 300 KB for pages);
* 16 concurrent clients for 30 s on the dashboard and the home page: requests, errors, p95;
* each every-minute and daily job at a moment when its work is due: time and query count (target
  < 1 s for the every-minute jobs; `bench_sla.py` measures the nightly SLA computation). Jobs run in
  a transaction that is rolled back, so every run of the script measures the same work.
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
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")

from estate import estate_now, prepare_estate, scale_database_url  # noqa: E402

ROUNDS = 7
PORT = int(os.environ.get("BENCH_PORT", "8731"))
RATIO_TARGET, PAGE_BYTES_TARGET, JOB_SECONDS_TARGET = 20, 300_000, 1.0
CONCURRENT_CLIENTS, CONCURRENT_SECONDS = 16, 30


def credentials() -> tuple[str, str]:
    """A signed-in session cookie for one of the estate's members, and an API token for its team leader, who
    reads every notification (a member reads only their own: an empty list would measure nothing)."""
    from django.conf import settings
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from oncall.models import TeamMember

    user = TeamMember.objects.select_related("user").get(name="Bench Member 02").user
    client = Client()
    client.force_login(user)
    leader = TeamMember.objects.select_related("user").get(name="Bench Member 01").user
    token, _ = Token.objects.get_or_create(user=leader)
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


JOB_ROUNDS = 3


def measure_jobs(now: datetime) -> list[str]:
    """Each job at an instant when its work is due, as a worker that has run before (imports and URLs
    loaded): one untimed run, then the median of `JOB_ROUNDS`, each rolled back."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from incidents import communications
    from incidents import services as incident_services
    from oncall.calendar import is_business_day, team_closed_days
    from oncall.reminders import shift_reminders_send

    # The next business morning after the estate's last run: nothing has arrived, so every delay notice
    # and escalation is due; three days later every delay rule's contact is due too.
    morning = (now + timedelta(days=1)).replace(hour=9, minute=5, second=0, microsecond=0)
    while not is_business_day(morning.date(), team_closed_days(morning)):
        morning += timedelta(days=1)
    days_later = morning + timedelta(days=3)
    jobs = {
        "escalate silent incidents": (lambda: incident_services.incidents_escalate_silence(now=morning), True),
        "delay notices": (lambda: communications.delay_notices_send(now=morning), True),
        "delay contacts (3 days on)": (lambda: communications.delay_contacts_notify(now=days_later), True),
        "shift reminders": (lambda: shift_reminders_send(now=morning), False),
    }
    missed = []
    print(f"\nJobs at {morning:%a %Y-%m-%d %H:%M} UTC (median of {JOB_ROUNDS} after a first run; rolled back)")
    print(f"  {'job':<30} {'median':>8} {'first':>8} {'queries':>8} {'work':>6}")
    for name, (job, every_minute) in jobs.items():
        times, work, queries = [], 0, 0
        for _ in range(JOB_ROUNDS + 1):
            with transaction.atomic(), CaptureQueriesContext(connection) as captured:
                began = clock.perf_counter()
                work = job()
                times.append(clock.perf_counter() - began)
                transaction.set_rollback(True)
            queries = len(captured)
        median = statistics.median(times[1:])
        target = f" (target < {JOB_SECONDS_TARGET:.0f} s)" if every_minute else ""
        print(f"  {name:<30} {median:>6.2f} s {times[0]:>6.2f} s {queries:>8} {work:>6}{target}")
        if every_minute and median >= JOB_SECONDS_TARGET:
            missed.append(f"{name}: {median:.2f} s")
    return missed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="Build the estate again.")
    parser.add_argument("--skip-concurrency", action="store_true")
    arguments = parser.parse_args()
    if not scale_database_url():
        print("Skipped: this benchmark measures PostgreSQL; set DATABASE_URL=postgres://…")
        return 0
    prepare_estate(arguments.rebuild)

    import django

    django.setup()
    now = estate_now()
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
