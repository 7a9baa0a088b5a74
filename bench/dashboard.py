"""Benchmark: the leaders' success dashboard, its CSV exports and the rollups behind it.

Budgets (issue #10): on the reference company (200,000 check-ins) the dashboard answers in a median of at
most 50 ms of server time with a constant number of queries, and at most 100 ms at --scale 10 (2,000,000
check-ins); the CSV export of the largest table takes at most 2 s.

"dashboard" is the page as leaders get it: the rebuild task renders the usual views (all programs, each
family, each cohort) into the cache as soon as the rollups are built, so every view of them until the next
build is served from there. "dashboard_computed", "dashboard_department" and "dashboard_cohort" are
computed on the request, as the first view of a choice of filters after a build (the build's time is moved
on before each request, so nothing of it is cached).

For each scale it builds the company with make_company.build() on a database of its own (dropped at the
end unless --keep), rebuilds the rollups as the Celery task does (timed), then requests, logged in as a
leader with force_login and through Django's whole middleware stack with DEBUG off:
  - the dashboard with no filter (what a leader opens), a department filter and one cohort;
  - the CSV of the largest table: HR's pair health for every active pair (5,000 at scale 1), and the
    dashboard's weekly trend.
A tiny company (10 pairs) gives the query count to compare with.

    .venv/bin/python bench/dashboard.py [--scales 1,10] [--requests 100] [--keep]
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

DATABASE = "twoway_bench_dashboard"
SMALL_PAIRS = 10
WARMUP = 10
BUDGET_MS = {1.0: 50.0, 10.0: 100.0}
CSV_BUDGET_SECONDS = 2.0


def plan() -> dict:
    """Who asks for what, in the company of the current database."""
    from django.db.models import Count, Q
    from django.urls import reverse

    from pairings.models import Pairing
    from profiles.models import Person, User
    from programs.models import Program

    leader = User.objects.filter(is_leader=True, is_active=True).order_by("pk").first()
    hr = User.objects.filter(is_hr_admin=True, is_active=True).order_by("pk").first()
    program = (
        Program.objects.annotate(n=Count("pairings", filter=Q(pairings__status=Pairing.Status.ACTIVE)))
        .order_by("-n", "pk")
        .first()
    )
    department = (
        Person.objects.values("department")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("department", flat=True)[0]
    )
    index = reverse("dashboards:index")
    return {
        "dashboard": (leader, index),
        "dashboard_computed": (leader, index),
        "dashboard_department": (leader, f"{index}?department={department}"),
        "dashboard_cohort": (leader, f"{index}?program={program.pk}&grain=week"),
        "csv_pair_health": (hr, reverse("checkins:pair_health_csv")),
        "csv_trend_week": (leader, reverse("dashboards:export", args=["trend-activity"]) + "?grain=week"),
    }


def fetch(client, url) -> bytes:
    response = client.get(url)
    if response.status_code != 200:
        sys.exit(f"GET {url}: HTTP {response.status_code}, not 200")
    return b"".join(response.streaming_content) if response.streaming else response.content


def count_queries(pages: dict) -> dict[str, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for name, client in _common.logged_in_clients(pages).items():
        url = pages[name][1]
        fetch(client, url)
        if name != "dashboard" and not name.startswith("csv"):
            new_build()
        with CaptureQueriesContext(connection) as queries:
            fetch(client, url)
        counts[name] = len(queries)
    return counts


def new_build() -> None:
    """As if the rollups had just been rebuilt: the figures of the next request are computed afresh (the
    page caches them under the build's time), while what does not depend on a build stays cached."""
    from checkins.dashboard.rollup import DASHBOARD_HEARTBEAT
    from checkins.services import heartbeat_record

    heartbeat_record(name=DASHBOARD_HEARTBEAT)


def time_pages(pages: dict, requests: int) -> dict[str, list[float]]:
    """Every page computed afresh (as the first view after a build of the rollups), except "dashboard" and
    the CSVs, served as they are after a build."""
    samples = {}
    for name, client in _common.logged_in_clients(pages).items():
        csv = name.startswith("csv")
        samples[name] = _common.time_requests(
            name,
            lambda url, client=client: fetch(client, url),
            pages[name][1],
            runs=5 if csv else requests,
            warmup=2 if csv else WARMUP,
            before=None if name == "dashboard" or csv else new_build,
        )
    return samples


def rebuild() -> dict:
    """What the Celery task does: rebuild the rollups, then render the usual views into the cache."""
    from checkins.tasks import rebuild_dashboard

    return rebuild_dashboard()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1,10", help="company scales to measure, comma separated")
    parser.add_argument("--requests", type=int, default=100, help="timed requests per page")
    parser.add_argument("--keep", action="store_true", help="keep the databases this run builds")
    args = parser.parse_args()
    scales = [float(s) for s in args.scales.split(",")]

    static_root = tempfile.TemporaryDirectory(prefix="twoway-bench-static-")
    # Redis for the cache, as in production (a database of its own); plain HTTP for the test client.
    env = {
        "ALLOWED_HOSTS": "testserver",
        "SECURE_SSL_REDIRECT": "false",
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9"),
    }
    env["STATIC_ROOT"] = static_root.name
    small = f"{DATABASE}_small"
    _common.setup_django(small, **env)

    import make_company
    from django.core.management import call_command

    print("Collecting static files (DEBUG off serves them from a manifest) ...")
    call_command("collectstatic", interactive=False, verbosity=0)
    results: dict[str, str] = {}
    built = []
    try:
        print(f"Tiny company ({SMALL_PAIRS} pairs) in {small} ...")
        built.append(small)
        make_company.build(database=small, pairs=SMALL_PAIRS, people=1_000, programs=2, verbose=False)
        rebuild()
        small_queries = count_queries(plan())
        print(f"  queries: {small_queries}")
        for scale in scales:
            database = f"{DATABASE}_{scale:g}".replace(".", "_")
            print(f"Reference company at scale {scale:g} in {database} ...")
            built.append(database)
            company = make_company.build(scale=scale, database=database, verbose=False)
            print(f"  built in {company['seconds']:.1f} s: {company['rows_checkins']:,} check-ins")
            rollup_times = []
            for _ in range(3):
                started = time.perf_counter()
                result = rebuild()
                rollup_times.append(time.perf_counter() - started)
            print(
                f"  rollups: {result['rows']:,} rows; rebuilt in {', '.join(f'{t:.1f}' for t in rollup_times)} s"
            )
            pages = plan()
            queries = count_queries(pages)
            print(f"  queries: {queries}")
            load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
            print(f"Timing (load average {load}) ...")
            samples = time_pages(pages, args.requests)
            suffix = "" if scale == 1 else f"_scale{scale:g}"
            median = statistics.median(samples["dashboard"])
            budget = BUDGET_MS.get(scale)
            verdict = (
                f"{'within' if median <= budget else 'OVER'} the {budget:.0f} ms budget" if budget else ""
            )
            same = "the same as" if queries["dashboard"] == small_queries["dashboard"] else "NOT the same as"
            print(
                f"dashboard at scale {scale:g}: median {median:.1f} ms {verdict}; {queries['dashboard']} queries, "
                f"{same} with {SMALL_PAIRS} pairs ({small_queries['dashboard']})"
            )
            csv_seconds = statistics.median(samples["csv_pair_health"]) / 1000
            print(
                f"largest CSV (pair health) at scale {scale:g}: {csv_seconds:.2f} s, "
                f"{'within' if csv_seconds <= CSV_BUDGET_SECONDS else 'OVER'} the {CSV_BUDGET_SECONDS:.0f} s budget"
            )
            for name, timings in samples.items():
                metric = name if name.startswith("csv") else name
                results[f"{metric}{suffix}_median_ms"] = f"{statistics.median(timings):.1f} ms"
                results[f"{metric}{suffix}_p95_ms"] = f"{_common.percentile(timings, 0.95):.1f} ms"
            for name in ("dashboard", "dashboard_computed", "dashboard_department", "dashboard_cohort"):
                results[f"{name}{suffix}_queries"] = f"{queries[name]} queries"
            results[f"dashboard{suffix}_queries_small"] = f"{small_queries['dashboard']} queries"
            results[f"csv_pair_health{suffix}_seconds"] = f"{csv_seconds:.2f} s"
            results[f"dashboard_rollup{suffix}_seconds"] = f"{statistics.median(rollup_times):.1f} s"
            if not args.keep:
                print(f"Dropping database {database} ...")
                _common.drop_database(database)
                built.remove(database)
    finally:
        static_root.cleanup()
        for name in built if not args.keep else []:
            print(f"Dropping database {name} ...")
            _common.drop_database(name)
        if args.keep and built:
            print(f"Kept: {', '.join(built)}")
    for name, value in results.items():
        print(f"RESULT {name}={value}")


if __name__ == "__main__":
    main()
