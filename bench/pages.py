"""Benchmark: the two pages that grow with the company: a participant's "My mentoring" and HR's pair health.

Budgets (issue): "My mentoring" at most 25 ms and pair health (a page of 50) at most 40 ms, median, on the
reference company; and the same number of queries for a company of 10 pairs as for one of 5,000.

It builds the reference company with make_company.build() on a database of its own (twoway_bench_pages,
dropped at the end unless --keep), or reuses a company kept by `make_company.py --keep` when --database
names an existing database (a reused database is never dropped). It also builds a tiny company (10 pairs,
<database>_small) to count the queries of the same pages there.

Every request goes through Django's whole middleware stack with django.test.Client, DEBUG off, static
files from a manifest (collectstatic into a temporary directory), logged in with force_login as:
  - the participant with the most check-ins in their active pairings: GET checkins:home;
  - an HR admin: GET checkins:pair_health ?page=1, and ?program=<the biggest running program>&page=1.
After a warm-up, each page is requested --requests times; query counts come from CaptureQueriesContext.

    .venv/bin/python bench/pages.py [--scale 1] [--requests 200] [--database NAME] [--keep]
"""

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

DEFAULT_DATABASE = "twoway_bench_pages"
SMALL_PAIRS = 10
WARMUP = 20
BUDGET_MS = {"home": 25.0, "pair_health": 40.0, "pair_health_program": 40.0}


def has_company(database: str) -> bool:
    if not _common.database_exists(database):
        return False
    import psycopg

    with psycopg.connect(_common.with_database(_common.SERVER_URL, database)) as conn:
        try:
            return conn.execute("SELECT EXISTS (SELECT 1 FROM checkins_checkin)").fetchone()[0]
        except psycopg.errors.UndefinedTable:
            return False


def subjects() -> dict:
    """Who logs in and what they ask for, in the company of the current database."""
    from collections import Counter

    from django.db.models import Count, Q
    from django.urls import reverse

    from pairings.models import Pairing
    from profiles.models import Person, User
    from programs.models import Program

    checkins, pairs = Counter(), Counter()
    live = list(
        Pairing.objects.filter(status=Pairing.Status.ACTIVE)
        .annotate(n=Count("checkins"))
        .values_list("mentor__person", "mentee__person", "n")
    )
    for mentor, mentee, n in live:
        for person in (mentor, mentee):
            checkins[person] += n
            pairs[person] += 1
    with_login = set(
        Person.objects.filter(user__isnull=False, pk__in=list(checkins)).values_list("pk", flat=True)
    )
    busiest = max(with_login, key=lambda pk: (checkins[pk], -pk))
    participant = Person.objects.select_related("user").get(pk=busiest)
    hr = User.objects.filter(is_hr_admin=True, is_active=True).order_by("pk").first()
    program = (
        Program.objects.filter(state=Program.State.RUNNING)
        .annotate(n=Count("pairings", filter=Q(pairings__status=Pairing.Status.ACTIVE)))
        .order_by("-n", "pk")
        .first()
    )
    pair_health = reverse("checkins:pair_health")
    return {
        "participant": participant.user,
        "hr": hr,
        "describe": (
            f"participant {participant.email}: {pairs[busiest]} active pairings, {checkins[busiest]} check-ins; "
            f"program {program.pk}: {program.n} active pairings; "
            f"{len(live)} active pairings in all"
        ),
        "pages": {
            "home": (participant.user, reverse("checkins:home")),
            "pair_health": (hr, f"{pair_health}?page=1"),
            "pair_health_program": (hr, f"{pair_health}?program={program.pk}&page=1"),
        },
    }


def get(client, url):
    response = client.get(url)
    if response.status_code != 200:
        sys.exit(f"GET {url}: HTTP {response.status_code}, not 200")
    return response


def count_queries(pages: dict) -> dict[str, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for name, client in _common.logged_in_clients(pages).items():
        url = pages[name][1]
        get(client, url)  # warm: the session, the caches
        with CaptureQueriesContext(connection) as queries:
            get(client, url)
        counts[name] = len(queries)
    return counts


def time_pages(pages: dict, requests: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {}
    for name, client in _common.logged_in_clients(pages).items():
        samples[name] = _common.time_requests(
            name,
            lambda url, client=client: get(client, url).content,
            pages[name][1],
            runs=requests,
            warmup=WARMUP,
        )
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="check-ins: 200,000 x scale")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--database", help="reuse this company database if it exists (never dropped)")
    parser.add_argument("--keep", action="store_true", help="keep the databases this run builds")
    args = parser.parse_args()

    database = args.database or DEFAULT_DATABASE
    small = f"{database}_small"
    reuse = bool(args.database) and has_company(database)
    static_root = tempfile.TemporaryDirectory(prefix="twoway-bench-static-")
    # Settings read these at import: production-like (DEBUG off), but plain HTTP for the test client.
    env = {"ALLOWED_HOSTS": "testserver", "SECURE_SSL_REDIRECT": "false", "STATIC_ROOT": static_root.name}
    _common.setup_django(database, **env)

    import make_company
    from django.core.management import call_command

    print("Collecting static files (DEBUG off serves them from a manifest) ...")
    call_command("collectstatic", interactive=False, verbosity=0)
    built = []
    try:
        print(f"Tiny company ({SMALL_PAIRS} pairs) in {small} ...")
        built.append(small)
        make_company.build(
            scale=args.scale, database=small, pairs=SMALL_PAIRS, people=1_000, programs=2, verbose=False
        )
        plan = subjects()
        print(f"  {plan['describe']}")
        small_queries = count_queries(plan["pages"])
        print(f"  queries: {small_queries}")

        if reuse:
            print(f"Reusing the company in {database} ...")
            _common.use_database(database)
        else:
            print(f"Reference company (scale {args.scale:g}) in {database} ...")
            built.append(database)
            result = make_company.build(scale=args.scale, database=database, verbose=False)
            print(f"  built in {result['seconds']:.1f} s: {result['rows_checkins']:,} check-ins")
        plan = subjects()
        print(f"  {plan['describe']}")
        queries = count_queries(plan["pages"])
        print(f"  queries: {queries}")
        load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
        print(
            f"Timing {args.requests} requests per page, after {WARMUP} warm-up requests (load average {load}) ..."
        )
        samples = time_pages(plan["pages"], args.requests)
    finally:
        static_root.cleanup()
        for name in built if not args.keep else []:
            print(f"Dropping database {name} ...")
            _common.drop_database(name)
        if args.keep and built:
            print(f"Kept: {', '.join(built)}")

    for name, timings in samples.items():
        median = statistics.median(timings)
        verdict = "within" if median <= BUDGET_MS[name] else "OVER"
        same = "the same as" if queries[name] == small_queries[name] else "NOT the same as"
        print(
            f"{name}: median {median:.1f} ms, {verdict} the {BUDGET_MS[name]:.0f} ms budget; "
            f"{queries[name]} queries, {same} with {SMALL_PAIRS} pairs ({small_queries[name]})"
        )
    for name, timings in samples.items():
        print(f"RESULT {name}_median_ms={statistics.median(timings):.1f} ms")
        print(f"RESULT {name}_p95_ms={_common.percentile(timings, 0.95):.1f} ms")
    for name in samples:
        print(f"RESULT {name}_queries={queries[name]} queries")
        print(f"RESULT {name}_queries_small={small_queries[name]} queries")


if __name__ == "__main__":
    main()
