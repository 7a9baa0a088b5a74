"""Shared plumbing of the bench scripts: a PostgreSQL database of their own, and Django set up on it.

Every benchmark runs against the server of DATABASE_URL (default postgres://postgres@127.0.0.1:5432/twoway)
but on a database it creates (and drops) itself, never on the one DATABASE_URL names.
"""

import math
import os
import secrets
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/twoway"
# The server URL as given, before setup_django() points DATABASE_URL at a bench database.
SERVER_URL = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def server_host() -> str:
    return urlsplit(SERVER_URL).hostname or "localhost"


def _maintenance():
    import psycopg

    return psycopg.connect(with_database(SERVER_URL, "postgres"), autocommit=True)


def database_exists(name: str) -> bool:
    with _maintenance() as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def drop_database(name: str) -> None:
    """Drop the database, closing this process's connections to it first (and anyone else's: FORCE)."""
    from psycopg import sql

    if "django" in sys.modules:
        from django.conf import settings

        if settings.configured:
            from django.db import connections

            connections.close_all()
    with _maintenance() as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def create_database(name: str) -> None:
    """A new, empty database (an old one of that name is dropped first)."""
    from psycopg import sql

    drop_database(name)
    with _maintenance() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def setup_django(database: str, **environ: str) -> None:
    """Configure Django on `database` of the DATABASE_URL server (once per process; later calls switch the
    default connection to `database`). Settings read the environment at import, so `environ` (DEBUG,
    ALLOWED_HOSTS, ...) only counts on the first call."""
    from django.conf import settings

    if settings.configured:
        use_database(database)
        return
    # DEBUG would keep every query in memory.
    os.environ.update({"DEBUG": "false", **environ})
    os.environ["DATABASE_URL"] = with_database(SERVER_URL, database)
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mentoring.settings")
    import django

    django.setup()


def use_database(database: str) -> None:
    """Point Django's default connection at another database of the same server (as the test runner does)."""
    from django.conf import settings
    from django.db import connections

    connection = connections["default"]
    if connection.settings_dict["NAME"] == database:
        return
    connection.close()
    settings.DATABASES["default"]["NAME"] = database
    connection.settings_dict["NAME"] = database


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def with_second_factor(user) -> None:
    """Give `user` an authenticator app when one of their roles requires it (MFA_REQUIRED_ROLES):
    without one, every page but the one that sets it up redirects there."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.conf import settings

    from profiles.middleware import roles_of

    if roles_of(user) & set(settings.MFA_REQUIRED_ROLES) and not Authenticator.objects.filter(
        user=user, type=Authenticator.Type.TOTP
    ):
        TOTP.activate(user, generate_totp_secret())


def logged_in_clients(pages: dict) -> dict:
    """A Django test client per page, logged in (force_login) as the user the page names, with the
    second factor their roles require."""
    from django.test import Client

    made = {}
    for name, (user, _url) in pages.items():
        with_second_factor(user)
        made[name] = Client()
        made[name].force_login(user)
    return made


def time_requests(name: str, fetch, url: str, *, runs: int, warmup: int, before=None) -> list[float]:
    """Milliseconds of `runs` calls of fetch(url) after `warmup` untimed ones (`before` runs, untimed,
    ahead of each timed call); prints the median, the p95 and the size of the answer."""
    import statistics
    import time

    for _ in range(warmup):
        body = fetch(url)
    timings = []
    for _ in range(runs):
        if before is not None:
            before()
        started = time.perf_counter()
        body = fetch(url)
        timings.append((time.perf_counter() - started) * 1000)
    print(
        f"  {name} ({url}): median {statistics.median(timings):.1f} ms, "
        f"p95 {percentile(timings, 0.95):.1f} ms, {len(body) / 1024:.0f} KB"
    )
    return timings


def host_pace_ms() -> float:
    """Milliseconds this machine takes for a fixed piece of pure Python (the best of three), printed
    beside a benchmark's figures: a shared machine's speed varies by the hour (by up to two times on
    these 2-core machines), and a page or a sweep that did not change is slower in about the same
    proportion. Figures of different hours compare through it, not as they are."""
    import time

    best = math.inf
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for n in range(10_000_000):
            total += n * n % 7
        best = min(best, (time.perf_counter() - started) * 1000)
    return best
