"""Benchmark: 10,000 due reminders sent by one real Celery worker to a real SMTP server.

Budget (issue): 10,000 due notifications are sent within 60 s.

Runs against the PostgreSQL server of DATABASE_URL (default postgres://postgres@127.0.0.1:5432/twoway) on a
database of its own, twoway_bench_reminders, which it creates, migrates and drops, and on Redis database 7
of REDIS_URL's server (default redis://127.0.0.1:6379), which it purges first. It builds 5,000 active
pairings whose check-in is overdue (bench data, written straight to the tables), then for each run:
  - plan: checkins.services.notifications_plan() creates the 10,000 CHECKIN_OVERDUE rows (timed);
    rows whose send hour has not come yet today in their person's zone are made due now, since the
    worker cannot travel in time;
  - send: `checkins.tasks.tick` is enqueued for ONE `celery -A mentoring worker` process (started once,
    before the first run) that sends to a local aiosmtpd server; timed from the enqueue until the server
    has received 10,000 messages and every row is "sent".

    .venv/bin/python bench/reminders.py [--pairs 5000] [--runs 3]
"""

import argparse
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

BENCH_DATABASE = "twoway_bench_reminders"
REDIS_DB = 7
BUDGET_SECONDS = 60.0
ZONES = ["Europe/London", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Asia/Tokyo", "UTC"]


def redis_url() -> str:
    import os

    parts = urlsplit(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    return urlunsplit(parts._replace(path=f"/{REDIS_DB}"))


def build(pairs: int) -> None:
    """`pairs` active pairings, both sides in one of ZONES, agreement confirmed, check-in 3 days overdue."""
    from django.utils import timezone

    from pairings.models import Agreement, Pairing
    from profiles.models import Person, User
    from programs import services as program_services
    from programs.models import Enrollment, Program

    now = timezone.now()
    today = timezone.localdate()
    hr = User.objects.create_user(email="hr@bench.example", password=None, is_hr_admin=True)
    program = program_services.program_create(
        actor=hr,
        data={
            "name": "Reminder bench",
            "description": "Bench program.",
            "starts_on": today - timedelta(days=60),
            "ends_on": today + timedelta(days=120),
            "enrollment_opens_on": today - timedelta(days=90),
            "enrollment_closes_on": today - timedelta(days=70),
        },
    )
    Program.objects.filter(pk=program.pk).update(state=Program.State.RUNNING)
    people = Person.objects.bulk_create(
        [
            Person(
                email=f"person{n}@bench.example",
                full_name=f"Bench Person {n}",
                job_title="Analyst",
                department=f"Department {n % 10}",
                level=2 if n % 2 == 0 else 8,
                time_zone=ZONES[(n // 2) % len(ZONES)],
                employee_id=f"R{n:05d}",
            )
            for n in range(2 * pairs)
        ],
        batch_size=2000,
    )
    enrollments = Enrollment.objects.bulk_create(
        [
            Enrollment(
                program=program,
                person=person,
                role="mentor" if n % 2 == 0 else "mentee",
                status="approved",
                hopes="Learn from each other.",
                preferred_format="video",
                languages="English",
            )
            for n, person in enumerate(people)
        ],
        batch_size=2000,
    )
    pairings = Pairing.objects.bulk_create(
        [
            Pairing(
                program=program,
                mentor=enrollments[2 * n],
                mentee=enrollments[2 * n + 1],
                status=Pairing.Status.ACTIVE,
                mentor_accepted_at=now - timedelta(days=20),
                mentee_accepted_at=now - timedelta(days=20),
                activated_at=now - timedelta(days=20),
                last_checkin_on=today - timedelta(days=17),
                next_checkin_due=today - timedelta(days=3),
                late_from=today + timedelta(days=5),
            )
            for n in range(pairs)
        ],
        batch_size=2000,
    )
    Agreement.objects.bulk_create(
        [
            Agreement(pairing=p, cadence_days=14, mentor_confirmed_at=now, mentee_confirmed_at=now)
            for p in pairings
        ],
        batch_size=2000,
    )


def plan(expected: int) -> float:
    from django.utils import timezone

    from checkins.services import notifications_plan
    from profiles.models import Notification

    Notification.objects.all().delete()
    started = time.perf_counter()
    created = notifications_plan()
    elapsed = time.perf_counter() - started
    kinds = set(Notification.objects.values_list("kind", flat=True))
    if created != expected or kinds != {Notification.Kind.CHECKIN_OVERDUE}:
        sys.exit(f"planning made {created} rows of kinds {kinds}, expected {expected} overdue reminders")
    later = Notification.objects.filter(due_at__gt=timezone.now()).update(due_at=timezone.now())
    print(f"  planned {created} rows in {elapsed:.2f} s ({later} made due now: their send hour is later)")
    return elapsed


def send(smtp, expected: int, timeout: float) -> float:
    from django.db.models import Count

    from checkins.tasks import tick
    from profiles.models import Notification

    smtp.count = 0
    cpu = time.process_time()  # this process: mostly the SMTP server, which shares the machine
    started = time.perf_counter()
    tick.delay()
    while True:
        elapsed = time.perf_counter() - started
        if smtp.count >= expected:
            sent = Notification.objects.filter(state=Notification.State.SENT).count()
            if sent == expected:
                break
        if elapsed > timeout:
            sys.exit(f"timed out after {timeout} s: {smtp.count} messages received")
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    states = dict(Notification.objects.values_list("state").annotate(n=Count("pk")).order_by())
    if smtp.count != expected or states != {Notification.State.SENT: expected}:
        sys.exit(f"expected {expected} messages and rows sent, got {smtp.count} messages, rows {states}")
    print(
        f"  sent {expected} in {elapsed:.2f} s ({expected / elapsed:.0f} messages/s); the SMTP server's process "
        f"used {time.process_time() - cpu:.1f} s of CPU meanwhile"
    )
    return elapsed


def run(pairs: int, runs: int) -> None:
    from django.conf import settings

    from mentoring.celery import app
    from tests.smtp import SmtpServer
    from tests.workers import celery_worker

    expected = 2 * pairs
    print(f"Building {pairs} active pairings with an overdue check-in ...")
    started = time.perf_counter()
    build(pairs)
    print(f"  built in {time.perf_counter() - started:.1f} s")

    print(f"Purging the broker ({settings.CELERY_BROKER_URL}) ...")
    app.control.purge()
    smtp = SmtpServer(keep=False).start()
    print(f"SMTP server (aiosmtpd) on 127.0.0.1:{smtp.port}; starting one worker ...")
    env = {
        "DATABASE_URL": _common.with_database(_common.SERVER_URL, BENCH_DATABASE),
        "REDIS_URL": settings.CELERY_BROKER_URL,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "LOG_LEVEL": "WARNING",
    }
    plans, sends = [], []
    with tempfile.TemporaryDirectory() as tmp, celery_worker(env, log_path=Path(tmp) / "worker.log"):
        for number in range(1, runs + 1):
            print(f"Run {number}/{runs}:")
            plans.append(plan(expected))
            sends.append(send(smtp, expected, timeout=10 * BUDGET_SECONDS))
    smtp.stop()
    app.control.purge()

    median = statistics.median(sends)
    print(
        f"Send times: {', '.join(f'{s:.2f}' for s in sends)} s; median {median:.2f} s (budget {BUDGET_SECONDS:.0f} s)"
    )
    print(f"RESULT reminders_10k_seconds={median:.2f} s")
    print(f"RESULT reminders_10k_seconds_max={max(sends):.2f} s")
    print(f"RESULT reminders_plan_seconds={statistics.median(plans):.2f} s")
    print(f"RESULT reminders_send_rate={expected / median:.0f} msgs/s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pairs", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    print(f"Creating database {BENCH_DATABASE} on {_common.server_host()} ...")
    _common.create_database(BENCH_DATABASE)
    try:
        _common.setup_django(BENCH_DATABASE, REDIS_URL=redis_url())
        _common.migrate()
        run(args.pairs, args.runs)
    finally:
        print(f"Dropping database {BENCH_DATABASE} ...")
        _common.drop_database(BENCH_DATABASE)


if __name__ == "__main__":
    main()
