"""Benchmark: the pages that grow with the company, on the reference company and the enterprise one.

Budgets (issue 15), median server time on the reference company (10,000 people) AND the enterprise
company (100,000 people, 50,000 pairs, 2,000,000 check-ins), with the same number of queries at both:
  - participant home ("My mentoring", checkins:home)                            <= 15 ms
  - HR pair health, a page of 50, all programs and the biggest running program  <= 25 ms
  - HR directory list (profiles:directory), first page                          <= 25 ms
  - enrollment list of the program with the most enrollments, first page        <= 25 ms
  - the leaders' dashboard (dashboards:index) after the rollups' rebuild          <= 50 ms
  - API lists /api/v1/people and /api/v1/pairings, default page, bearer token    <= 25 ms

For each size it builds the company with make_company.build(employees=...) on a database of its own
(twoway_bench_pages_10k, twoway_bench_pages_100k; dropped at the end unless --keep), or reuses a company
kept by `make_company.py --keep` or `pages.py --keep`: every --database NAME holding a company replaces
the build for the size of its directory (a reused database is never dropped). It also builds a tiny
company (10 pairs, twoway_bench_pages_tiny) whose query counts must match too: a page of 50 is full at
both sizes, so only a company smaller than a page shows a query per row.

Then, per company: the dashboards' rollups are rebuilt as the Celery task does (rebuild_dashboard, which
also renders the usual views into the cache, Redis at BENCH_REDIS_URL, default db 10); every request goes
through Django's whole middleware stack with django.test.Client, DEBUG off, static files from a manifest,
logged in with force_login (the participant with the most check-ins in their active pairings, an HR
admin, a leader) or, for the API, with an HR admin's directory:read token from api_token_create (each
call audited and rate-counted as in production, with the limit raised for the run). After a warm-up,
each page is requested --requests times; query counts come from CaptureQueriesContext. It exits with
status 1 when a page's query count differs between the sizes.

    .venv/bin/python bench/pages.py [--sizes 10000,100000] [--requests 200] [--database NAME ...] [--keep]
                                    [--compare-prepared]

--compare-prepared also times each page with and without prepared statements (docs/architecture.md,
"Prepared statements"), alternating in blocks of ten requests: the two figures of one hour.

The enterprise company takes most of the run (building it: minutes); build it once and reuse it:
    .venv/bin/python bench/make_company.py --employees 100000 --database twoway_bench_pages_100k --keep
    .venv/bin/python bench/pages.py --database twoway_bench_pages_100k
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

DATABASE_PREFIX = "twoway_bench_pages"
SIZES = "10000,100000"
TINY_PAIRS = 10
WARMUP = 20
BUDGET_MS = {
    "home": 15.0,
    "pair_health": 25.0,
    "pair_health_program": 25.0,
    "directory": 25.0,
    "enrollments": 25.0,
    "dashboard": 50.0,
    "api_people": 25.0,
    "api_pairings": 25.0,
}


def label(size: int) -> str:
    return f"{size // 1000}k" if size % 1000 == 0 and size >= 1000 else str(size)


def company_size(database: str) -> int | None:
    """The number of people of the company in `database`, or None when it holds none."""
    if not _common.database_exists(database):
        return None
    import psycopg

    with psycopg.connect(_common.with_database(_common.SERVER_URL, database)) as conn:
        try:
            if not conn.execute("SELECT EXISTS (SELECT 1 FROM checkins_checkin)").fetchone()[0]:
                return None
            return conn.execute("SELECT count(*) FROM profiles_person").fetchone()[0]
        except psycopg.errors.UndefinedTable:
            return None


def use_cache_of(database: str) -> None:
    """A cache key prefix per company: the companies of one run share the bench's Redis database."""
    from django.conf import settings
    from django.core.cache import cache

    prefix = f"twoway-bench:{database}"
    settings.CACHES["default"]["KEY_PREFIX"] = prefix
    cache.key_prefix = prefix


def subjects() -> dict:
    """Who asks for what, in the company of the current database."""
    from collections import Counter

    from django.db.models import Count, Q
    from django.urls import reverse

    from common.db import of_ids
    from pairings.models import Pairing
    from profiles.api_tokens import api_token_create
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
    # A participant and nothing else: a role would add its second-factor check to the page's queries.
    # of_ids: one array parameter, where an IN list of 100,000 ids would pass PostgreSQL's 65,535.
    with_login = set(
        of_ids(
            Person.objects.filter(user__isnull=False, user__is_hr_admin=False, user__is_leader=False),
            "id",
            list(checkins),
        ).values_list("pk", flat=True)
    )
    busiest = max(with_login, key=lambda pk: (checkins[pk], -pk))
    participant = Person.objects.select_related("user").get(pk=busiest)
    hr = User.objects.filter(is_hr_admin=True, is_active=True).order_by("pk").first()
    leader = User.objects.filter(is_leader=True, is_active=True).order_by("pk").first()
    running = (
        Program.objects.filter(state=Program.State.RUNNING)
        .annotate(n=Count("pairings", filter=Q(pairings__status=Pairing.Status.ACTIVE)))
        .order_by("-n", "pk")
        .first()
    )
    biggest = Program.objects.annotate(n=Count("enrollments")).order_by("-n", "pk").first()
    for user in (participant.user, hr, leader):
        _common.with_second_factor(user)
    _token, secret = api_token_create(created_by=hr, name="bench/pages.py", scopes=["directory:read"])
    pair_health = reverse("checkins:pair_health")
    return {
        "token": secret,
        "describe": (
            f"{Person.objects.count():,} people; participant {participant.email}: {pairs[busiest]} active "
            f"pairings, {checkins[busiest]} check-ins; program {running.pk}: {running.n} active pairings; "
            f"program {biggest.pk}: {biggest.n} enrollments; {len(live):,} active pairings in all"
        ),
        "pages": {
            "home": (participant.user, reverse("checkins:home")),
            "pair_health": (hr, f"{pair_health}?page=1"),
            "pair_health_program": (hr, f"{pair_health}?program={running.pk}&page=1"),
            "directory": (hr, reverse("profiles:directory")),
            "enrollments": (hr, reverse("programs:enrollments", args=[biggest.pk])),
            "dashboard": (leader, reverse("dashboards:index")),
            "api_people": (None, "/api/v1/people"),
            "api_pairings": (None, "/api/v1/pairings"),
        },
    }


def clients(plan: dict) -> dict:
    """A Django test client per page: logged in as its user, or carrying the API token."""
    from django.test import Client

    made = {}
    for name, (user, _url) in plan["pages"].items():
        if user is None:
            made[name] = Client(headers={"Authorization": f"Bearer {plan['token']}"})
        else:
            made[name] = Client()
            made[name].force_login(user)
    return made


def get(client, url) -> bytes:
    response = client.get(url)
    if response.status_code != 200:
        sys.exit(f"GET {url}: HTTP {response.status_code}, not 200")
    return response.content


def count_queries(plan: dict) -> dict[str, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for name, client in clients(plan).items():
        url = plan["pages"][name][1]
        get(client, url)  # warm: the session, the caches
        with CaptureQueriesContext(connection) as queries:
            get(client, url)
        counts[name] = len(queries)
    return counts


def time_pages(plan: dict, requests: int) -> dict[str, list[float]]:
    samples = {}
    for name, client in clients(plan).items():
        samples[name] = _common.time_requests(
            name,
            lambda url, client=client: get(client, url),
            plan["pages"][name][1],
            runs=requests,
            warmup=WARMUP,
        )
    return samples


PREPARED_BLOCK = 10  # requests of one kind in a row when comparing prepared statements with none


def time_unprepared(plan: dict, requests: int) -> dict[str, dict[str, list[float]]]:
    """Each page with prepared statements and without (psycopg's prepare_threshold None), alternating
    in blocks of PREPARED_BLOCK requests, so both figures come from the same minutes of this host,
    whose pace changes by up to two times from hour to hour."""
    from django.db import connection

    if not connection.features.uses_server_side_binding:  # DATABASE_PREPARE_THRESHOLD=off
        return {}
    print("  with and without prepared statements, alternating (--compare-prepared) ...")
    connection.ensure_connection()
    raw = connection.connection
    threshold = raw.prepare_threshold
    out = {}
    try:
        for name, client in clients(plan).items():
            url = plan["pages"][name][1]
            timings = {"prepared": [], "unprepared": []}
            for _ in range(max(1, requests // PREPARED_BLOCK)):
                for kind, value in (("prepared", threshold), ("unprepared", None)):
                    raw.prepare_threshold = value
                    get(client, url)  # untimed: the first of a block
                    for _ in range(PREPARED_BLOCK):
                        started = time.perf_counter()
                        get(client, url)
                        timings[kind].append((time.perf_counter() - started) * 1000)
            print(
                f"  {name}: median {statistics.median(timings['prepared']):.1f} ms prepared, "
                f"{statistics.median(timings['unprepared']):.1f} ms planned on each request"
            )
            out[name] = timings
    finally:
        raw.prepare_threshold = threshold
    return out


def rebuild_dashboards() -> float:
    """What the Celery task does every 15 minutes: rebuild the rollups and render the usual views."""
    from checkins.tasks import rebuild_dashboard

    started = time.perf_counter()
    rebuild_dashboard()
    return time.perf_counter() - started


def measure(database: str, requests: int | None, compare_prepared: bool = False) -> tuple[dict, dict, dict]:
    """Query counts and (unless requests is None) timings of every page in the company of `database`,
    and with `compare_prepared` each page's timings with and without prepared statements."""
    _common.use_database(database)
    use_cache_of(database)
    seconds = rebuild_dashboards()
    print(f"  dashboards' rollups rebuilt in {seconds:.1f} s")
    plan = subjects()
    print(f"  {plan['describe']}")
    queries = count_queries(plan)
    print(f"  queries: {queries}")
    if requests is None:
        return queries, {}, {}
    load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    print(f"  timing {requests} requests per page after {WARMUP} warm-up requests (load average {load}) ...")
    samples = time_pages(plan, requests)
    return queries, samples, time_unprepared(plan, requests) if compare_prepared else {}


def main() -> None:
    started = time.perf_counter()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=SIZES, help="companies to measure: employees, comma separated")
    parser.add_argument("--scale", type=float, default=1.0, help="check-ins per pair: 40 x scale")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument(
        "--database",
        action="append",
        default=[],
        metavar="NAME",
        help="reuse the company kept in NAME for the size of its directory (never dropped); repeatable",
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases this run builds")
    parser.add_argument(
        "--compare-prepared",
        action="store_true",
        help="also time each page with and without prepared statements, alternating (DATABASE_PREPARE_THRESHOLD)",
    )
    parser.add_argument("--prefix", default=DATABASE_PREFIX, help="names of the databases this run builds")
    args = parser.parse_args()
    pace_before = _common.host_pace_ms()
    sizes = [int(s) for s in args.sizes.split(",")]

    reuse: dict[int, str] = {}
    for name in args.database:
        size = company_size(name)
        if size is None:
            sys.exit(f"--database {name}: no company there (build one with make_company.py --keep)")
        if size not in sizes:
            sys.exit(f"--database {name}: a company of {size:,} people, not one of --sizes {args.sizes}")
        reuse[size] = name

    tiny = f"{args.prefix}_tiny"
    static_root = tempfile.TemporaryDirectory(prefix="twoway-bench-static-")
    # Settings read these at import: production-like (DEBUG off, Redis cache), but plain HTTP for the
    # test client, and an API rate limit high enough for the timed requests (still counted on each call).
    env = {
        "ALLOWED_HOSTS": "testserver",
        "SECURE_SSL_REDIRECT": "false",
        "STATIC_ROOT": static_root.name,
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10"),
        "API_RATE_LIMIT_PER_MINUTE": "1000000",
    }
    _common.setup_django(tiny, **env)

    import make_company
    from django.core.management import call_command

    print("Collecting static files (DEBUG off serves them from a manifest) ...")
    call_command("collectstatic", interactive=False, verbosity=0)
    built: list[str] = []
    queries: dict[str, dict[str, int]] = {}
    samples: dict[str, dict[str, list[float]]] = {}
    compared: dict[str, dict] = {}
    try:
        print(f"Tiny company ({TINY_PAIRS} pairs) in {tiny} ...")
        built.append(tiny)
        make_company.build(database=tiny, pairs=TINY_PAIRS, people=1_000, programs=2, verbose=False)
        queries["tiny"], _, _ = measure(tiny, None)
        for size in sizes:
            database = reuse.get(size) or f"{args.prefix}_{label(size)}"
            if size in reuse:
                print(f"Reusing the company of {size:,} people in {database} ...")
            else:
                print(f"Company of {size:,} people (check-ins x {args.scale:g}) in {database} ...")
                built.append(database)
                company = make_company.build(
                    employees=size, scale=args.scale, database=database, verbose=False
                )
                print(f"  built in {company['seconds']:.1f} s: {company['rows_checkins']:,} check-ins")
            queries[label(size)], samples[label(size)], compared[label(size)] = measure(
                database, args.requests, args.compare_prepared
            )
            if not args.keep and database in built:
                print(f"Dropping database {database} ...")
                _common.drop_database(database)
                built.remove(database)
    finally:
        static_root.cleanup()
        for name in built if not args.keep else []:
            print(f"Dropping database {name} ...")
            _common.drop_database(name)
        if args.keep and built:
            print(f"Kept: {', '.join(built)} (reuse with --database NAME)")

    labels = [label(size) for size in sizes]
    differ = []
    for name, budget in BUDGET_MS.items():
        counts = {size: queries[size][name] for size in ["tiny", *labels]}
        same = len(set(counts.values())) == 1
        if not same:
            differ.append(name)
        medians = ", ".join(
            f"{size} {statistics.median(samples[size][name]):.1f} ms"
            f" ({'within' if statistics.median(samples[size][name]) <= budget else 'OVER'})"
            for size in labels
        )
        queries_text = ", ".join(f"{size} {n}" for size, n in counts.items())
        print(
            f"{name}: median {medians} the {budget:.0f} ms budget; queries {queries_text}"
            f"{'' if same else ': NOT THE SAME'}"
        )
    print(f"Run time: {time.perf_counter() - started:.0f} s")
    print(f"RESULT host_pace_before_ms={pace_before:.0f} ms")
    print(f"RESULT host_pace_after_ms={_common.host_pace_ms():.0f} ms")
    for size in labels:
        for name, timings in samples[size].items():
            print(f"RESULT page_{name}_{size}_median_ms={statistics.median(timings):.1f} ms")
            print(f"RESULT page_{name}_{size}_p95_ms={_common.percentile(timings, 0.95):.1f} ms")
    for size in labels:
        for name, timings in compared[size].items():
            for kind, values in timings.items():
                print(f"RESULT page_{name}_{size}_{kind}_median_ms={statistics.median(values):.1f} ms")
    for size in ["tiny", *labels]:
        for name, count in queries[size].items():
            print(f"RESULT page_{name}_{size}_queries={count} queries")
    if differ:
        sys.exit(f"FAILED: the query count differs between the companies for {', '.join(differ)}")


if __name__ == "__main__":
    main()
