"""Benchmark: list 10,000 people through the REST API, page by page, over HTTP, with a token.

Budget (issue 14): the whole directory of 10,000 people in at most 5 s.

It creates a database of its own (twoway_bench_api, dropped at the end unless --keep), migrates it, adds
10,000 people (in departments, with managers) and an HR admin's directory:read token, then starts
gunicorn on a free local port on that database (DEBUG off, as in production) and walks GET
/api/v1/people from the first page to the last, following next_cursor, with `requests`. Each walk is
checked to return every person exactly once. The walk is repeated --runs times after one untimed warm-up;
the figure is the median (p95 beside it). Every call goes through the whole stack: the token check, the
rate limit (in REDIS_URL's Redis when set; raised for the runs), the audit row. A second figure walks the
default page size (100).

    .venv/bin/python bench/api.py [--people 10000] [--limit 1000] [--runs 5] [--keep]
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

DATABASE = "twoway_bench_api"
BUDGET_SECONDS = 5.0
DEPARTMENTS = ["Engineering", "Finance", "Marketing", "Sales", "Operations", "People & Culture", "Legal"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def build(people: int) -> str:
    """The people and a token; returns the token's secret."""
    from profiles.api_tokens import api_token_create
    from profiles.models import Person, User

    admin = User.objects.create_user(email="bench.hr@example.com", is_hr_admin=True)
    rows = [
        Person(
            email=f"person{n}@example.com",
            full_name=f"Person {n}",
            job_title="Analyst",
            department=DEPARTMENTS[n % len(DEPARTMENTS)],
            location="London" if n % 3 else "Berlin",
            level=1 + n % 9,
            employee_id=f"E{n:06d}",
        )
        for n in range(people)
    ]
    Person.objects.bulk_create(rows, batch_size=2000)
    ids = list(Person.objects.order_by("pk").values_list("pk", flat=True))
    # One manager for every 8 people, the first people managing the rest.
    managed = [Person(pk=pk, manager_id=ids[i // 8]) for i, pk in enumerate(ids) if i // 8 != i]
    Person.objects.bulk_update(managed, ["manager"], batch_size=2000)
    _token, secret = api_token_create(created_by=admin, name="bench", scopes=["directory:read"])
    return secret


def start_server(port: int) -> subprocess.Popen:
    env = os.environ | {
        "DATABASE_URL": _common.with_database(_common.SERVER_URL, DATABASE),
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        # Counted as in production (the same Redis round trip per call), but high enough for the runs:
        # six walks of 100 pages of 100 within a minute would pass production's 600.
        "API_RATE_LIMIT_PER_MINUTE": "100000",
    }
    server = subprocess.Popen(  # a fixed command line: our own gunicorn on loopback
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "mentoring.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        cwd=_common.BASE_DIR,
        env=env,
    )
    import requests

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=10)
            return server
        except requests.RequestException:  # not listening yet, or its workers still booting
            time.sleep(0.5)
    server.terminate()
    server.wait(timeout=10)
    raise SystemExit("gunicorn did not start")


def walk(session, base: str, secret: str, limit: int) -> tuple[list[int], int]:
    ids, pages, cursor = [], 0, None
    while True:
        params = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        response = session.get(
            f"{base}/api/v1/people", params=params, headers={"Authorization": f"Bearer {secret}"}, timeout=30
        )
        response.raise_for_status()
        body = response.json()
        ids += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None or pages > 100_000:
            return ids, pages


def check(ids: list[int], expected: int) -> None:
    if not len(ids) == expected == len(set(ids)):
        raise SystemExit(f"a walk missed or repeated someone: {len(ids)} rows, {len(set(ids))} distinct")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--limit", type=int, default=1000, help="people per page (the API's largest)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    print(f"Creating database {DATABASE} with {args.people} people ...")
    _common.create_database(DATABASE)
    server = None
    try:
        _common.setup_django(DATABASE)
        _common.migrate()
        secret = build(args.people)
        from django.db import connections

        connections.close_all()

        import requests

        port = free_port()
        server = start_server(port)
        base = f"http://127.0.0.1:{port}"
        session = requests.Session()
        expected = args.people
        for page_size, label in (
            (args.limit, "api_directory_10k_seconds"),
            (100, "api_directory_10k_default_page_seconds"),
        ):
            ids, pages = walk(session, base, secret, page_size)  # warm-up
            check(ids, expected)
            timings = []
            for _ in range(args.runs):
                started = time.perf_counter()
                ids, pages = walk(session, base, secret, page_size)
                timings.append(time.perf_counter() - started)
                check(ids, expected)
            median = statistics.median(timings)
            print(
                f"  {expected} people in {pages} pages of {page_size} over HTTP (gunicorn, 2 workers): "
                f"median {median:.2f} s, p95 {_common.percentile(timings, 0.95):.2f} s over {args.runs} runs"
                + (f" (budget {BUDGET_SECONDS:.0f} s)" if page_size == args.limit else "")
            )
            print(f"RESULT {label}={median:.3f} s")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        if not args.keep:
            _common.drop_database(DATABASE)
            print(f"Dropped {DATABASE}.")


if __name__ == "__main__":
    main()
