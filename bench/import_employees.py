"""Benchmark: importing the employee directory from a 10,000-row CSV (profiles.services.directory_import).

Budget (issue): 10,000 rows import in at most 20 s on PostgreSQL.

Runs against the PostgreSQL server of DATABASE_URL (default postgres://postgres@127.0.0.1:5432/twoway) on a
database of its own, twoway_bench_import, which it creates and drops. It generates a company with a
six-level org chart (CEO, heads, directors, senior managers, managers, individual contributors) as a CSV
in shuffled order, then, after one untimed warm-up import, measures on an empty directory each time:
  - import: the whole file into an empty directory;
  - re-import: the same file again (must be 0 created, 0 updated);
  - sync: a month later: 10% new job titles, 2% new managers, 1% leavers (--deactivate-missing) and 1%
    new hires.

    .venv/bin/python bench/import_employees.py [--rows 10000] [--runs 7]
"""

import argparse
import csv
import io
import math
import os
import random
import secrets
import statistics
import sys
import time
import unicodedata
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/twoway"
BENCH_DATABASE = "twoway_bench_import"
BUDGET_SECONDS = 20.0
HEADER = ["employee_id", "email", "full_name", "job_title", "department", "level", "manager_email"]
HEADER += ["location", "timezone"]


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def recreate_database(maintenance_url: str, *, create: bool) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(maintenance_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(BENCH_DATABASE))
        )
        if create:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DATABASE)))


def ascii_slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def make_company(size: int, seed: int = 2026) -> list[dict]:
    """CEO (9) -> 8 heads (8) -> 4 directors each (7) -> 4 senior managers (6) -> 5 managers (5) ->
    individual contributors (1-4) spread over the managers until there are `size` people."""
    from profiles.demo.company import DEPARTMENTS, FIRST_NAMES, LAST_NAMES, LOCATIONS

    rng = random.Random(seed)
    people: list[dict] = []

    def add(level, department, title, manager):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        city, time_zone = rng.choice(LOCATIONS) if manager is None or rng.random() < 0.3 else manager["_home"]
        person = {
            "employee_id": f"B{len(people):05d}",
            "email": f"{ascii_slug(first)}.{ascii_slug(last)}.{len(people)}@bench.example",
            "full_name": f"{first} {last}",
            "job_title": title,
            "department": department,
            "level": level,
            "manager_email": manager["email"] if manager else "",
            "location": city,
            "timezone": time_zone,
            "_home": (city, time_zone),
        }
        people.append(person)
        return person

    ceo = add(9, "Executive Office", "Chief Executive Officer", None)
    departments = [*DEPARTMENTS.items(), ("Legal", ("Counsel", "Legal"))]
    managers = []
    for department, (ic_title, area) in departments:
        head = add(8, department, f"Chief {area} Officer", ceo)
        for _ in range(4):
            director = add(7, department, f"Director of {area}", head)
            for _ in range(4):
                senior = add(6, department, f"Senior {area} Manager", director)
                managers += [(add(5, department, f"{area} Manager", senior), ic_title) for _ in range(5)]
    while len(people) < size:
        manager, ic_title = managers[len(people) % len(managers)]
        level = rng.choice([1, 2, 2, 3, 3, 4])
        add(level, manager["department"], f"{ic_title} (L{level})", manager)
    del people[size:]  # a --rows smaller than the management tree cuts it, keeping managers first
    rng.shuffle(people)  # exports come in no useful order: managers often follow their reports
    return people


def to_csv(people: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows([person[column] for column in HEADER] for person in people)
    return out.getvalue().encode()


def next_month(people: list[dict], seed: int = 7) -> tuple[list[dict], dict]:
    """The same company a month later, and the counts an import of it should report."""
    rng = random.Random(seed)
    people = [dict(person) for person in people]
    managers = [p for p in people if p["level"] == 5]
    ics = [p for p in people if p["level"] <= 4]
    retitled = rng.sample(people, len(people) // 10)
    for person in retitled:
        person["job_title"] += " (acting)"
    movers = rng.sample(ics, len(people) // 50)
    for person in movers:
        person["manager_email"] = rng.choice(
            [m for m in managers[:50] if m["email"] != person["manager_email"]]
        )["email"]
    leavers = {
        id(p)
        for p in rng.sample([p for p in ics if p not in movers and p not in retitled], len(people) // 100)
    }
    people = [p for p in people if id(p) not in leavers]
    hires = []
    for n in range(len(leavers)):
        manager = rng.choice(managers)
        hires.append(
            {
                **manager,
                "employee_id": f"N{n:05d}",
                "email": f"new.hire.{n}@bench.example",
                "full_name": f"New Hire {n}",
                "job_title": "Associate",
                "level": 1,
                "manager_email": manager["email"],
            }
        )
    updated = len({id(p) for p in retitled + movers})
    expected = {
        "created": len(hires),
        "updated": updated,
        "unchanged": len(people) - updated,
        "deactivated": len(leavers),
    }
    return people + hires, expected


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def run(rows: int, runs: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from profiles.models import Person
    from profiles.services import directory_import

    def empty_directory():
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE profiles_person RESTART IDENTITY CASCADE")

    def timed_import(data, **options):
        started = time.perf_counter()
        result = directory_import(data=data, **options)
        elapsed = time.perf_counter() - started
        if result.errors:
            sys.exit(f"import failed: {[str(error) for error in result.errors[:5]]}")
        counts = {name: getattr(result, name) for name in ("created", "updated", "unchanged", "deactivated")}
        return elapsed, counts

    def check(what, counts, expected):
        if counts != expected:
            sys.exit(f"{what}: expected {expected}, got {counts}")

    print(f"Generating a company of {rows} people ...")
    company = make_company(rows)
    data = to_csv(company)
    later, later_expected = next_month(company)
    later_data = to_csv(later)
    print(f"  {len(data) / 1e6:.1f} MB of CSV; next month: {later_expected}")

    print("Warm-up import (untimed), counting queries ...")
    empty_directory()
    with CaptureQueriesContext(connection) as queries:
        directory_import(data=data)
    people = dict(Person.objects.values_list("pk", "manager_id"))
    depths = []
    for pk in people:
        depth, manager = 1, people[pk]
        while manager:
            depth, manager = depth + 1, people[manager]
        depths.append(depth)
    tops = sum(1 for manager in people.values() if manager is None)
    print(f"  {len(people)} people, {tops} at the top, org chart {max(depths)} levels deep")
    print(f"  {len(queries)} queries")
    if len(people) != rows or tops != 1:
        sys.exit("the warm-up import did not build the company")

    samples: dict[str, list[float]] = {"import": [], "reimport": [], "sync": []}
    created_only = {"created": rows, "updated": 0, "unchanged": 0, "deactivated": 0}
    for number in range(1, runs + 1):
        empty_directory()
        elapsed, counts = timed_import(data)
        check("import", counts, created_only)
        samples["import"].append(elapsed)
        reimport_elapsed, counts = timed_import(data)
        check("re-import", counts, {"created": 0, "updated": 0, "unchanged": rows, "deactivated": 0})
        samples["reimport"].append(reimport_elapsed)
        sync_elapsed, counts = timed_import(later_data, deactivate_missing=True)
        check("sync", counts, later_expected)
        samples["sync"].append(sync_elapsed)
        print(
            f"Run {number}/{runs}: import {elapsed:.2f} s, re-import {reimport_elapsed:.2f} s "
            f"(0 created, 0 updated), sync {sync_elapsed:.2f} s"
        )
    empty_directory()

    label = f"{rows // 1000}k" if rows % 1000 == 0 else str(rows)
    median_import = statistics.median(samples["import"])
    verdict = "within" if percentile(samples["import"], 0.95) <= BUDGET_SECONDS else "OVER"
    print(f"Import p95 is {verdict} the {BUDGET_SECONDS:.0f} s budget ({runs} runs).")
    for name, values in samples.items():
        print(f"RESULT {name}_{label}_seconds={statistics.median(values):.2f} s")
        print(f"RESULT {name}_{label}_p95_seconds={percentile(values, 0.95):.2f} s")
    print(f"RESULT import_{label}_rows_per_second={rows / median_import:.0f} rows/s")
    print(f"RESULT import_{label}_queries={len(queries)} queries")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7, help="timed runs (after one warm-up)")
    args = parser.parse_args()

    server_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    maintenance_url = with_database(server_url, "postgres")
    print(f"Creating database {BENCH_DATABASE} on {urlsplit(server_url).hostname} ...")
    recreate_database(maintenance_url, create=True)
    # Settings read these at import: they must be set before django.setup().
    os.environ["DATABASE_URL"] = with_database(server_url, BENCH_DATABASE)
    os.environ["DEBUG"] = "false"  # DEBUG would keep every query in memory
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mentoring.settings")
    try:
        import django
        from django.core.management import call_command

        django.setup()
        print("Migrating ...")
        call_command("migrate", verbosity=0, interactive=False)
        run(args.rows, args.runs)
    finally:
        from django.db import connections

        connections.close_all()
        print(f"Dropping database {BENCH_DATABASE} ...")
        recreate_database(maintenance_url, create=False)


if __name__ == "__main__":
    main()
