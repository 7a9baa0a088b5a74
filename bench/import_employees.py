"""Benchmark: importing the employee directory from a 100,000-row CSV as the background job, and 10,000 rows.

Budget (issue 15): 100,000 rows are written in at most 15 s by the import job (a file with more than
IMPORT_INLINE_ROWS rows is confirmed as a Celery job with a progress bar on the job's page); issue 1:
10,000 rows in at most 20 s.

Runs against the PostgreSQL server of DATABASE_URL (default postgres://postgres@127.0.0.1:5432/twoway) on a
database of its own, twoway_bench_import, which it creates and drops; the job's progress goes to the
cache on Redis, as in production: BENCH_REDIS_URL, default redis://127.0.0.1:6379/12 (a database no other
bench uses; only this bench's keys are touched). It generates a company with a six-level org chart (CEO, heads, directors, senior managers, managers,
individual contributors) as a CSV in shuffled order, then, after one untimed warm-up import, measures on
an empty directory each time:
  - import: the whole file into an empty directory;
  - re-import: the same file again (must be 0 created, 0 updated);
  - sync: a month later: 10% new job titles, 2% new managers, 1% leavers (deactivate missing) and 1%
    new hires.
Each is a DirectoryImport job, queued as the confirmation page queues it (the preview's counts as its
expected counts) and written by the Celery task's own function, profiles.tasks.import_directory, called
in this process: the same code a worker runs (claiming the job, the import, the progress written to the
cache, the job's result), without the broker's round trip and a worker's start-up, which are not the
import's and would only add noise. A thread reads the progress as the job page's poll does and the
bench prints what it saw, so a stalled progress bar shows. The 10,000-row figures are measured the same
way (--small-rows 0 leaves them out). The preview (a dry run, in the web request) is timed once per size.

    .venv/bin/python bench/import_employees.py [--rows 100000] [--runs 3] [--small-rows 10000]
        [--small-runs 5] [--database twoway_bench_import]

About 2 minutes on the 2-core machine with the defaults (3 runs at 100k, each of three imports, fewer
than the 7 at 10k had: a run takes half a minute).
"""

import argparse
import csv
import io
import os
import random
import statistics
import sys
import threading
import time
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

BENCH_DATABASE = "twoway_bench_import"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"
BUDGETS = {100_000: 15.0, 10_000: 20.0}
HEADER = ["employee_id", "email", "full_name", "job_title", "department", "level", "manager_email"]
HEADER += ["location", "timezone"]


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
            "employee_id": f"B{len(people):06d}",
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


def to_csv(people: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows([person[column] for column in HEADER] for person in people)
    return out.getvalue()


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
    moved_or_retitled = {id(p) for p in retitled + movers}
    stayers = [p for p in ics if id(p) not in moved_or_retitled]
    leavers = {id(p) for p in rng.sample(stayers, len(people) // 100)}
    people = [p for p in people if id(p) not in leavers]
    hires = []
    for n in range(len(leavers)):
        manager = rng.choice(managers)
        hires.append(
            {
                **manager,
                "employee_id": f"N{n:06d}",
                "email": f"new.hire.{n}@bench.example",
                "full_name": f"New Hire {n}",
                "job_title": "Associate",
                "level": 1,
                "manager_email": manager["email"],
            }
        )
    updated = len(moved_or_retitled)
    expected = {
        "created": len(hires),
        "updated": updated,
        "unchanged": len(people) - updated,
        "deactivated": len(leavers),
    }
    return people + hires, expected


class ProgressWatcher:
    """Asks how far a job is as the job page's poll does (the job read afresh, then
    profiles.services.directory_import_progress), every `interval` s from a thread, and keeps each new
    answer with the time it was first seen."""

    def __init__(self, job, interval: float = 0.25):
        self.job, self.interval = job, interval
        self.seen: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self):
        from django.db import connection

        from profiles.models import DirectoryImport
        from profiles.services import directory_import_progress

        started = time.perf_counter()
        try:
            while not self._stop.is_set():
                percent = directory_import_progress(DirectoryImport.objects.get(pk=self.job.pk))
                if not self.seen or self.seen[-1][1] != percent:
                    self.seen.append((time.perf_counter() - started, percent))
                self._stop.wait(self.interval)
        finally:
            connection.close()  # this thread's own

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def longest_silence(self, total: float) -> float:
        """The longest stretch (s) with no new value, up to `total` (the end of the job)."""
        times = [t for t, _ in self.seen] + [total]
        return max(b - a for a, b in zip(times, times[1:], strict=False)) if len(times) > 1 else total

    def summary(self) -> str:
        return " ".join(f"{percent}%@{at:.1f}s" for at, percent in self.seen)


def run_size(rows: int, runs: int, hr, *, show_progress: bool) -> dict[str, list[float]]:
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from profiles.models import DirectoryImport, Person
    from profiles.services import _import_progress_key, directory_import
    from profiles.tasks import import_directory

    def empty_directory():
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE profiles_person RESTART IDENTITY CASCADE")

    def as_counts(counts: dict) -> str:
        return ",".join(str(counts[name]) for name in ("created", "updated", "unchanged", "deactivated"))

    def timed_job(text: str, expected: dict, *, deactivate_missing: bool = False, what: str):
        # As profiles.services.directory_import_queue queues it (that one enqueues on commit instead).
        job = DirectoryImport.objects.create(
            created_by=hr,
            filename="bench.csv",
            text=text,
            deactivate_missing=deactivate_missing,
            expected_counts=as_counts(expected),
        )
        # A job of an earlier run of the bench (a database dropped since) may have had this id.
        cache.delete(_import_progress_key(job.pk))
        with ProgressWatcher(job) as watcher:
            started = time.perf_counter()
            state = import_directory(job.pk)  # the Celery task's function, run here
            elapsed = time.perf_counter() - started
        job.refresh_from_db()
        if state != DirectoryImport.State.DONE or job.result != expected:
            sys.exit(f"{what}: the job {state}: expected {expected}, got {job.result}")
        return elapsed, watcher

    print(f"\n== {rows} rows ==")
    print(f"Generating a company of {rows} people ...")
    company = make_company(rows)
    text = to_csv(company)
    later, later_expected = next_month(company)
    later_text = to_csv(later)
    print(f"  {len(text.encode()) / 1e6:.1f} MB of CSV; next month: {later_expected}")

    empty_directory()
    started = time.perf_counter()
    preview = directory_import(data=text, dry_run=True)
    preview_seconds = time.perf_counter() - started
    print(f"Preview of the file (dry run, as the upload's page computes it): {preview_seconds:.2f} s")
    if preview.counts != f"{rows},0,0,0":
        sys.exit(f"the preview counted {preview.counts}")

    print("Warm-up import (untimed), counting queries ...")
    created_only = {"created": rows, "updated": 0, "unchanged": 0, "deactivated": 0}
    with CaptureQueriesContext(connection) as queries:
        timed_job(text, created_only, what="warm-up")
    people = dict(Person.objects.values_list("pk", "manager_id"))
    depths = []
    for pk in people:
        depth, manager = 1, people[pk]
        while manager:
            depth, manager = depth + 1, people[manager]
        depths.append(depth)
    tops = sum(1 for manager in people.values() if manager is None)
    print(f"  {len(people)} people, {tops} at the top, org chart {max(depths)} levels deep")
    print(f"  {len(queries)} queries (COPY streams, which Django does not see, not counted)")
    if len(people) != rows or tops != 1:
        sys.exit("the warm-up import did not build the company")

    samples: dict[str, list[float]] = {"import": [], "reimport": [], "sync": [], "silence": []}
    for number in range(1, runs + 1):
        empty_directory()
        elapsed, watcher = timed_job(text, created_only, what="import")
        samples["import"].append(elapsed)
        samples["silence"].append(watcher.longest_silence(elapsed))
        if show_progress:
            print(f"  progress seen: {watcher.summary()}")
        same = {"created": 0, "updated": 0, "unchanged": rows, "deactivated": 0}
        reimport_elapsed, _ = timed_job(text, same, what="re-import")
        samples["reimport"].append(reimport_elapsed)
        sync_elapsed, _ = timed_job(later_text, later_expected, deactivate_missing=True, what="sync")
        samples["sync"].append(sync_elapsed)
        print(
            f"Run {number}/{runs}: import {elapsed:.2f} s (longest without new progress "
            f"{samples['silence'][-1]:.1f} s), re-import {reimport_elapsed:.2f} s (0 created, 0 updated), "
            f"sync {sync_elapsed:.2f} s"
        )
    empty_directory()
    samples["preview"] = [preview_seconds]
    samples["queries"] = [len(queries)]
    return samples


def report(rows: int, runs: int, samples: dict[str, list[float]], names: dict[str, str]) -> None:
    label = f"{rows // 1000}k" if rows % 1000 == 0 else str(rows)
    budget = BUDGETS.get(rows)
    if budget is not None:
        verdict = "within" if _common.percentile(samples["import"], 0.95) <= budget else "OVER"
        print(f"{rows} rows: import p95 is {verdict} the {budget:.0f} s budget ({runs} runs).")
    for kind in ("import", "reimport", "sync"):
        name = names[kind].format(label=label)
        print(f"RESULT {name}={statistics.median(samples[kind]):.2f} s")
        print(
            f"RESULT {name.removesuffix('_seconds')}_p95_seconds={_common.percentile(samples[kind], 0.95):.2f} s"
        )
    median_import = statistics.median(samples["import"])
    print(f"RESULT import_{label}_rows_per_second={rows / median_import:.0f} rows/s")
    print(f"RESULT import_{label}_progress_longest_silence_seconds={max(samples['silence']):.1f} s")
    print(f"RESULT import_{label}_preview_seconds={samples['preview'][0]:.2f} s")
    print(f"RESULT import_{label}_queries={samples['queries'][0]} queries")


# The names for the 100k figures; the 10k ones keep the names of the earlier README rows.
NAMES_LARGE = {
    "import": "import_{label}_seconds",
    "reimport": "import_{label}_reimport_seconds",
    "sync": "import_{label}_sync_seconds",
}
NAMES_SMALL = {
    "import": "import_{label}_seconds",
    "reimport": "reimport_{label}_seconds",
    "sync": "sync_{label}_seconds",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3, help="timed runs at --rows (after one warm-up)")
    parser.add_argument("--small-rows", type=int, default=10_000, help="0: no second size")
    parser.add_argument("--small-runs", type=int, default=5)
    parser.add_argument("--database", default=BENCH_DATABASE, help="created and dropped")
    args = parser.parse_args()

    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    print(f"Creating database {args.database} on {_common.server_host()}; progress on {redis_url} ...")
    _common.create_database(args.database)
    try:
        # Settings read these at import. DEBUG would keep every query in memory (setup_django sets it off).
        _common.setup_django(args.database, REDIS_URL=redis_url)
        from profiles.models import User

        print("Migrating ...")
        _common.migrate()
        # The importing HR admin has no directory entry of their own: the bench's files do not have them.
        hr = User.objects.create_user(email="hr@bench.example", password=None, is_hr_admin=True)
        large = run_size(args.rows, args.runs, hr, show_progress=True)
        small = (
            run_size(args.small_rows, args.small_runs, hr, show_progress=False) if args.small_rows else None
        )
        print()
        report(args.rows, args.runs, large, NAMES_LARGE)
        if small:
            report(args.small_rows, args.small_runs, small, NAMES_SMALL)
    finally:
        print(f"Dropping database {args.database} ...")
        _common.drop_database(args.database)


if __name__ == "__main__":
    main()
