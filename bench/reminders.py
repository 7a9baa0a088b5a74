"""Benchmark: reminders at scale, sent by real Celery workers to a real SMTP server, each exactly once.

Budgets (issue 15): 10,000 due reminders sent by one worker process within 30 s; 100,000 sent by four
worker processes within 150 s, the workers sharing the rows through the outbox's claims (each row claimed
by itself with SELECT ... FOR UPDATE SKIP LOCKED), with no message twice and none lost.

Runs against the PostgreSQL server of DATABASE_URL (default postgres://postgres@127.0.0.1:5432/twoway) on a
database of its own, twoway_h15d_reminders, which it creates, migrates and drops, and on Redis database 13
of REDIS_URL's server (default redis://127.0.0.1:6379), which it purges first. The SMTP server is a small
asyncio SMTP sink in a process of its own on 127.0.0.1:8660 (--smtp-port): it speaks SMTP to the
workers' smtplib as any server would and counts every message by its Message-ID (aiosmtpd, which the
tests use, costs about 1.3 ms of CPU a message: on two cores it would take the workers' place).

  1. 10,000 reminders, one worker: 5,000 active pairings whose check-in is overdue (bench data, written
     straight to the tables); per run, checkins.services.notifications_plan() creates the 10,000
     CHECKIN_OVERDUE rows (timed; rows whose send hour is later today are made due now, since the worker
     cannot travel in time), then `checkins.tasks.tick` is enqueued for ONE `celery -A mentoring worker
     --pool solo` process; timed from the enqueue until every row is "sent" and the server has them all.
  2. 100,000 reminders, four workers: 45,000 more pairings (50,000), planned once (timed), then the tick
     is enqueued for FOUR worker processes (--pool solo each, so one process each: `--concurrency 1`),
     timed the same way. The tick asks the other workers to join (profiles.tasks.send_due_notifications);
     how many rows each worker sent is read from its log. Three runs by default (--big-runs), the same
     rows made pending again for each: the median is the figure.
  Each run checks at the server that every row's Message-ID arrived exactly once: duplicates and lost
  messages are counted (and the run fails if there is any). Each run also prints the CPU a message took
  in the workers, in PostgreSQL (every postgres process of this host) and in the sink, and how busy the
  host's cores were: what sets the pace when more workers stop adding throughput.

    .venv/bin/python bench/reminders.py [--pairs 5000] [--runs 3] [--big-pairs 50000] [--big-workers 4]
        [--big-runs 3]
"""

import argparse
import asyncio
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

BENCH_DATABASE = "twoway_h15d_reminders"
REDIS_DB = 13
BUDGET_SECONDS = 30.0
BIG_BUDGET_SECONDS = 150.0
SMTP_PORT = 8660
ZONES = ["Europe/London", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Asia/Tokyo", "UTC"]


def redis_url() -> str:
    parts = urlsplit(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    return urlunsplit(parts._replace(path=f"/{REDIS_DB}"))


def build(pairs: int, *, first: int = 0) -> None:
    """`pairs` active pairings, both sides in one of ZONES, agreement confirmed, check-in 3 days overdue
    (people numbered from 2 * `first`, so a second call adds more)."""
    from django.utils import timezone

    from pairings.models import Agreement, Pairing
    from profiles.models import Person, User
    from programs import services as program_services
    from programs.models import Enrollment, Program

    now = timezone.now()
    today = timezone.localdate()
    hr = User.objects.get_or_create(email="hr@bench.example", defaults={"is_hr_admin": True})[0]
    program = program_services.program_create(
        actor=hr,
        data={
            "name": f"Reminder bench {first}",
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
            for n in range(2 * first, 2 * (first + pairs))
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


# --- The SMTP sink -------------------------------------------------------------------------------------------

_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)


class _SinkSession(asyncio.Protocol):
    """One SMTP connection: EHLO, MAIL, RCPT, DATA ... "." as RFC 5321 says; every message accepted.
    It offers PIPELINING (RFC 2920) as nearly every mail server does, and like them answers a group of
    commands that came together in one write."""

    def __init__(self, counts: Counter):
        self.counts = counts
        self.buffer = bytearray()
        self.in_data = False

    def connection_made(self, transport):
        self.transport = transport
        transport.write(b"220 twoway-bench-sink ESMTP\r\n")

    def data_received(self, data: bytes):
        self.buffer += data
        answers = []
        while True:
            if self.in_data:
                end = self.buffer.find(b"\r\n.\r\n")
                if end < 0:
                    break
                content = bytes(self.buffer[: end + 2])
                del self.buffer[: end + 5]
                self.in_data = False
                headers = content.split(b"\r\n\r\n", 1)[0]
                found = _MESSAGE_ID.search(headers)
                self.counts[found.group(1).decode() if found else ""] += 1
                answers.append(b"250 2.0.0 Message accepted for delivery\r\n")
                continue
            end = self.buffer.find(b"\r\n")
            if end < 0:
                break
            command = bytes(self.buffer[:4]).upper()
            del self.buffer[: end + 2]
            if command == b"EHLO":
                answers.append(b"250-twoway-bench-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
            elif command == b"DATA":
                self.in_data = True
                answers.append(b"354 End data with <CR><LF>.<CR><LF>\r\n")
            elif command == b"QUIT":
                self.transport.write(b"".join(answers) + b"221 Bye\r\n")
                self.transport.close()
                return
            elif command in (b"HELO", b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                answers.append(b"250 OK\r\n")
            else:
                answers.append(b"502 Command not implemented\r\n")
        if answers:
            self.transport.write(b"".join(answers))


def _sink_main(port: int, control) -> None:
    """The sink's process: an asyncio SMTP server, and commands from the bench on the `control` pipe."""
    counts: Counter = Counter()
    loop = asyncio.new_event_loop()

    def command():
        what = control.recv()
        if what == "count":
            control.send(counts.total())
        elif what == "take":  # the Message-IDs seen since the last take, with how often each came
            control.send(dict(counts))
            counts.clear()
        elif what == "cpu":
            control.send(time.process_time())
        elif what == "stop":
            loop.stop()

    server = loop.run_until_complete(loop.create_server(lambda: _SinkSession(counts), "127.0.0.1", port))
    loop.add_reader(control.fileno(), command)
    control.send("ready")
    loop.run_forever()
    server.close()


class Sink:
    """The SMTP sink, run in a process of its own (its CPU is not the bench's, nor shared by its GIL)."""

    def __init__(self, port: int):
        self.port = port
        self._control, theirs = multiprocessing.Pipe()
        self._process = multiprocessing.get_context("spawn").Process(
            target=_sink_main, args=(port, theirs), daemon=True
        )

    def _ask(self, what: str):
        self._control.send(what)
        return self._control.recv()

    def start(self) -> "Sink":
        self._process.start()
        if not self._control.poll(30) or self._control.recv() != "ready":
            sys.exit(f"the SMTP sink did not start on port {self.port}")
        return self

    def count(self) -> int:
        return self._ask("count")

    def take(self) -> dict[str, int]:
        return self._ask("take")

    def cpu(self) -> float:
        return self._ask("cpu")

    def stop(self) -> None:
        self._control.send("stop")
        self._process.join(10)


# --- Workers ---------------------------------------------------------------------------------------------------

CELERY = str(Path(sys.executable).with_name("celery"))
_SUCCEEDED = re.compile(
    rb"Task (checkins\.tasks\.tick|profiles\.tasks\.send_due_notifications)\[[^\]]+\] succeeded in [0-9.]+s: (\d+)"
)


class Worker(NamedTuple):
    pid: int
    log: Path


_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int, *, children: bool = False) -> float:
    """The CPU (user and system) that process `pid` has used, with its ended `children`'s, from /proc
    (Linux); 0 once it has gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(value) for value in fields[11 : 15 if children else 13]) / _TICKS


def postgres_cpu_seconds() -> float:
    """The CPU of every postgres process on this host: the server's (with the backends that have ended,
    as a sender thread's does when its sweep ends) and its running backends'."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if "(postgres)" in stat.read_text():
                total += cpu_seconds(int(stat.parent.name), children=True)
        except OSError:
            continue
    return total


def host_busy_seconds() -> tuple[float, float]:
    """(CPU seconds busy, CPU seconds in all) of every core since boot, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return (sum(fields) - idle) / _TICKS, sum(fields) / _TICKS


@contextmanager
def workers(count: int, env: dict[str, str], logs: Path):
    """`count` `celery -A mentoring worker --pool solo` processes (one process each), each named for
    itself: a worker's sweep lock is named after it, so same-named workers would not sweep side by side."""
    logs.mkdir(parents=True, exist_ok=True)
    started = []
    try:
        for number in range(1, count + 1):
            log_path = logs / f"worker{number}.log"
            with open(log_path, "wb") as log:
                process = subprocess.Popen(
                    [CELERY, "-A", "mentoring", "worker", "--pool", "solo", "--loglevel", "INFO"]
                    + [
                        "--without-mingle",
                        "--without-gossip",
                        "--hostname",
                        f"bench{number}-{os.getpid()}@%h",
                    ],
                    cwd=_common.BASE_DIR,
                    env={**os.environ, **env},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            started.append((process, log_path))
        deadline = time.monotonic() + 120
        for process, log_path in started:
            while b"ready." not in log_path.read_bytes():
                if process.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"a worker did not start:\n{log_path.read_text()}")
                time.sleep(0.2)
        yield [Worker(process.pid, log_path) for process, log_path in started]
    finally:
        for process, _log_path in started:
            process.terminate()
        for process, _log_path in started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def sent_by_worker(started: list[Worker], before: list[int]) -> list[int]:
    """How many messages each worker's sweeps sent since `before` (each log's length then)."""
    return [
        sum(int(m.group(2)) for m in _SUCCEEDED.finditer(worker.log.read_bytes()[offset:]))
        for worker, offset in zip(started, before, strict=True)
    ]


# --- Runs ------------------------------------------------------------------------------------------------------


def vacuum_outbox() -> None:
    """Vacuum the outbox's table after a run's rows are deleted or made pending again, as autovacuum
    would between two mornings (this host's PostgreSQL may run with it off): each run then starts from a
    table like the first run's, not one holding every earlier run's dead rows."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) profiles_notification")


def plan(expected: int, *, fresh: bool = True) -> float:
    """Plan the overdue reminders (all of them again when `fresh`); every planned row is made due now."""
    from django.utils import timezone

    from checkins.services import notifications_plan
    from profiles.models import Notification

    if fresh:
        Notification.objects.all().delete()
        vacuum_outbox()
    started = time.perf_counter()
    notifications_plan()
    elapsed = time.perf_counter() - started
    created = Notification.objects.count()
    kinds = set(Notification.objects.values_list("kind", flat=True))
    if created != expected or kinds != {Notification.Kind.CHECKIN_OVERDUE}:
        sys.exit(f"planning left {created} rows of kinds {kinds}, expected {expected} overdue reminders")
    later = Notification.objects.filter(due_at__gt=timezone.now()).update(due_at=timezone.now())
    print(f"  planned {expected} rows in {elapsed:.2f} s ({later} made due now: their send hour is later)")
    return elapsed


def expected_message_ids() -> set[str]:
    from profiles.models import Notification
    from profiles.outbox.delivery import message_id

    return {message_id(n) for n in Notification.objects.only("pk", "created_at").iterator(chunk_size=5000)}


def _cpu_now(sink: Sink, started: list[Worker]) -> dict[str, float]:
    busy, cores = host_busy_seconds()
    return {
        "workers": sum(cpu_seconds(worker.pid) for worker in started),
        "database": postgres_cpu_seconds(),
        "sink": sink.cpu(),
        "busy": busy,
        "cores": cores,
    }


def send(sink: Sink, started: list[Worker], expected: int, timeout: float) -> dict:
    """Enqueue the tick and wait until every row is sent and the sink has every message; then count."""
    from django.db.models import Count

    from checkins.tasks import tick
    from profiles.models import Notification

    sink.take()
    offsets = [worker.log.stat().st_size for worker in started]
    cpu = _cpu_now(sink, started)
    started_at = time.perf_counter()
    tick.delay()
    while True:
        elapsed = time.perf_counter() - started_at
        if sink.count() >= expected:
            if Notification.objects.filter(state=Notification.State.SENT).count() == expected:
                break
        if elapsed > timeout:
            sys.exit(f"timed out after {timeout} s: {sink.count()} messages received")
        time.sleep(0.1)
    elapsed = time.perf_counter() - started_at
    used = {name: value - cpu[name] for name, value in _cpu_now(sink, started).items()}
    time.sleep(1)  # a message sent twice would arrive about now
    received = sink.take()
    wanted = expected_message_ids()
    duplicates = sum(n - 1 for n in received.values() if n > 1)
    lost = len(wanted - received.keys())
    strangers = len(received.keys() - wanted)
    states = dict(Notification.objects.values_list("state").annotate(n=Count("pk")).order_by())
    time.sleep(1)  # the last tasks' "succeeded" lines
    shares = sent_by_worker(started, offsets)
    per_message = {name: 1000 * used[name] / expected for name in ("workers", "database", "sink")}
    print(
        f"  sent {expected} in {elapsed:.2f} s ({expected / elapsed:.0f} messages/s); by worker: "
        f"{', '.join(map(str, shares))}; at the server: {sum(received.values())} messages, {duplicates} "
        f"twice, {lost} lost, {strangers} unknown"
    )
    print(
        "  CPU a message: "
        + ", ".join(f"{name} {ms:.2f} ms" for name, ms in per_message.items())
        + f"; the host's {used['cores'] / elapsed:.0f} cores were {100 * used['busy'] / used['cores']:.0f}% busy"
    )
    if states != {Notification.State.SENT: expected}:
        sys.exit(f"rows not all sent: {states}")
    return {"seconds": elapsed, "duplicates": duplicates, "lost": lost + strangers, "cpu_ms": per_message}


def size(count: int) -> str:
    """A count as the metric names say it: 10000 -> "10k"."""
    return f"{count // 1000}k" if count % 1000 == 0 else str(count)


def run(args) -> None:
    from django.conf import settings

    from mentoring.celery import app
    from profiles.models import Notification

    env = {
        "DATABASE_URL": _common.with_database(_common.SERVER_URL, BENCH_DATABASE),
        "REDIS_URL": settings.CELERY_BROKER_URL,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(args.smtp_port),
        "LOG_LEVEL": "WARNING",
    }
    print(f"Purging the broker ({settings.CELERY_BROKER_URL}) ...")
    app.control.purge()
    sink = Sink(args.smtp_port).start()
    print(f"SMTP sink on 127.0.0.1:{args.smtp_port} (a process of its own)")
    small, big = [], []
    with ExitStack() as stack:
        stack.callback(sink.stop)
        stack.callback(app.control.purge)
        logs = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        expected = 2 * args.pairs
        print(f"Building {args.pairs} active pairings with an overdue check-in ...")
        started = time.perf_counter()
        build(args.pairs)
        print(f"  built in {time.perf_counter() - started:.1f} s")
        plans = []
        print("Starting one worker ...")
        with workers(1, env, logs / "one") as started_workers:
            for number in range(1, args.runs + 1):
                print(f"Run {number}/{args.runs}, {expected} reminders, 1 worker:")
                plans.append(plan(expected))
                small.append(send(sink, started_workers, expected, timeout=10 * BUDGET_SECONDS))
        if args.big_runs:
            more = args.big_pairs - args.pairs
            big_expected = 2 * args.big_pairs
            print(f"Building {more} more active pairings ({args.big_pairs}) ...")
            started = time.perf_counter()
            build(more, first=args.pairs)
            print(f"  built in {time.perf_counter() - started:.1f} s")
            print(f"Starting {args.big_workers} workers ...")
            with workers(args.big_workers, env, logs / "many") as started_workers:
                for number in range(1, args.big_runs + 1):
                    print(
                        f"Run {number}/{args.big_runs}, {big_expected} reminders, {args.big_workers} workers:"
                    )
                    if number == 1:
                        big_plan = plan(big_expected)
                    else:  # the same rows again, as if new
                        Notification.objects.update(
                            state="pending", sent_at=None, attempts=0, claimed_at=None
                        )
                        vacuum_outbox()
                    big.append(send(sink, started_workers, big_expected, timeout=10 * BIG_BUDGET_SECONDS))

    if small:  # --runs 0: the many-worker runs only
        median = statistics.median(r["seconds"] for r in small)
        print(
            f"{expected:,} with 1 worker: {', '.join(f'{r["seconds"]:.2f}' for r in small)} s; median {median:.2f} s "
            f"(budget {BUDGET_SECONDS:.0f} s)"
        )
        print(f"RESULT reminders_{size(expected)}_1worker_seconds={median:.2f} s")
        print(
            f"RESULT reminders_{size(expected)}_1worker_seconds_max={max(r['seconds'] for r in small):.2f} s"
        )
        print(f"RESULT reminders_plan_seconds={statistics.median(plans):.2f} s")
        print(f"RESULT reminders_throughput_1worker={expected / median:.0f} msgs/s")
        for name in ("workers", "database", "sink"):
            ms = statistics.median(r["cpu_ms"][name] for r in small)
            print(f"RESULT reminders_cpu_per_message_1worker_{name}={ms:.2f} ms")
    if big:
        big_median = statistics.median(r["seconds"] for r in big)
        rate = big_expected / big_median
        print(
            f"{big_expected:,} with {args.big_workers} workers: {', '.join(f'{r["seconds"]:.2f}' for r in big)} s "
            f"(budget {BIG_BUDGET_SECONDS:.0f} s)"
        )
        print(f"RESULT reminders_{size(big_expected)}_{args.big_workers}workers_seconds={big_median:.2f} s")
        print(
            f"RESULT reminders_{size(big_expected)}_{args.big_workers}workers_seconds_max="
            f"{max(r['seconds'] for r in big):.2f} s"
        )
        for name in ("workers", "database", "sink"):
            ms = statistics.median(r["cpu_ms"][name] for r in big)
            print(f"RESULT reminders_cpu_per_message_{args.big_workers}workers_{name}={ms:.2f} ms")
        print(f"RESULT reminders_plan_{size(big_expected)}_seconds={big_plan:.2f} s")
        print(f"RESULT reminders_throughput_{args.big_workers}workers={rate:.0f} msgs/s")
        print(
            f"RESULT reminders_throughput_per_worker_{args.big_workers}workers={rate / args.big_workers:.0f} msgs/s"
        )
        if small:
            print(f"RESULT reminders_scaling_{args.big_workers}workers={rate / (expected / median):.2f} x")
    print(f"RESULT reminders_duplicates={sum(r['duplicates'] for r in small + big)}")
    print(f"RESULT reminders_lost={sum(r['lost'] for r in small + big)}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--pairs", type=int, default=5000, help="pairings of the one-worker runs (2 reminders each)"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--big-pairs", type=int, default=50000, help="pairings of the many-worker runs")
    parser.add_argument("--big-workers", type=int, default=4)
    parser.add_argument("--big-runs", type=int, default=3, help="0: only the one-worker runs")
    parser.add_argument("--smtp-port", type=int, default=SMTP_PORT)
    args = parser.parse_args()

    print(f"Creating database {BENCH_DATABASE} on {_common.server_host()} ...")
    _common.create_database(BENCH_DATABASE)
    try:
        _common.setup_django(BENCH_DATABASE, REDIS_URL=redis_url())
        _common.migrate()
        pace_before = _common.host_pace_ms()
        run(args)
        print(f"RESULT host_pace_before_ms={pace_before:.0f} ms")
        print(f"RESULT host_pace_after_ms={_common.host_pace_ms():.0f} ms")
    finally:
        print(f"Dropping database {BENCH_DATABASE} ...")
        _common.drop_database(BENCH_DATABASE)


if __name__ == "__main__":
    main()
