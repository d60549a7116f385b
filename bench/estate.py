"""The benchmark estate the scale benchmarks share: `load_scale_data --pipelines 1000 --members 50` in its own
PostgreSQL database (`<DATABASE_URL's name>_scale`), built once and reused by later runs."""

import os
import subprocess
import sys
import time as clock
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIPELINES, MEMBERS = 1000, 50


def scale_database_url() -> str:
    """The estate's database beside DATABASE_URL's, or "" when DATABASE_URL is not PostgreSQL."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return ""
    base, _, name = url.rpartition("/")
    return f"{base}/{name or 'portal'}_scale"


def prepare_estate(rebuild: bool = False) -> None:
    """Point DATABASE_URL at the estate's database, and create, migrate and load it unless it holds the estate."""
    import psycopg

    url = scale_database_url()
    os.environ["DATABASE_URL"] = url
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
        if loaded:
            sys.exit(f"{name} holds {loaded} pipelines, not the estate's {PIPELINES}; run with --rebuild")
        began = clock.perf_counter()
        subprocess.run([*manage, "load_scale_data", f"--pipelines={PIPELINES}", f"--members={MEMBERS}"], check=True)
        print(f"Estate loaded in {clock.perf_counter() - began:.0f} s")
    # As autovacuum leaves a live database (it may be off on a test server): statistics, a visibility map,
    # and none of the dead rows that earlier benchmarks' rolled-back writes leave behind.
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def estate_now() -> datetime:
    """The instant the estate was built at: two hours after its last scheduled run. Needs django.setup()."""
    from pipelines.models import Run

    return Run.objects.latest("scheduled_for").scheduled_for.astimezone(UTC) + timedelta(hours=2)
