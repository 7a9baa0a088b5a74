"""Several sweeps share the outbox: claimers on their own connections never take the same row, and a
tick with many due rows brings a second real worker in to send a share, each message once.

Nothing of ours is mocked: PostgreSQL, Redis, real `celery -A mentoring worker` processes and an SMTP
server (aiosmtpd) that receives the mail.
"""

import re
import threading
from collections import Counter
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, connections
from django.utils import timezone

from checkins.tasks import tick
from mentoring.celery import app
from profiles import outbox
from profiles.models import Notification
from profiles.outbox import ROWS_PER_SWEEP, Message
from profiles.outbox.delivery import _CLAIM_ONE_SQL, _claim, _claims_in_due_order, message_id
from tests.factories import PersonFactory
from tests.smtp import SmtpServer
from tests.workers import celery_worker, database_url_of_test_db, wait_for

State = Notification.State
SUCCEEDED = re.compile(
    rb"Task (?:checkins\.tasks\.tick|profiles\.tasks\.send_due_notifications)\[[^\]]+\] succeeded in "
    rb"[0-9.]+s: (\d+)"
)


def _due_rows(count: int, period: str = "2026-W49") -> list[int]:
    """`count` emails due a minute ago, to a few people (each row its own subject)."""
    people = [PersonFactory() for _ in range(4)]
    due = timezone.now() - timedelta(minutes=1)
    return outbox.plan(
        [
            Message(
                recipient=people[n % len(people)],
                kind=Notification.Kind.CHECKIN_OVERDUE,
                subject=f"pairing:{n}",
                period=period,
                title=f"Reminder {n}",
                body="A short call counts.",
                link="/mentoring/",
                why="The last check-in was more than 14 days ago.",
                due_at=due,
            )
            for n in range(count)
        ]
    )


@pytest.mark.django_db
def test_one_more_sweep_is_asked_for_per_rows_per_sweep_due_rows():
    assert outbox.notifications_sweeps_wanted() == 1
    _due_rows(ROWS_PER_SWEEP)
    assert outbox.notifications_sweeps_wanted() == 1
    (one_more,) = _due_rows(1)
    assert outbox.notifications_sweeps_wanted() == 2
    # Not due yet, or sent already: not counted.
    Notification.objects.filter(pk=one_more).update(due_at=timezone.now() + timedelta(hours=1))
    assert outbox.notifications_sweeps_wanted() == 1


@pytest.mark.django_db(transaction=True)
def test_claimers_on_their_own_connections_never_take_the_same_row():
    ids = set(_due_rows(600))
    now = timezone.now()
    claimed: list[list[int]] = [[] for _ in range(4)]
    start = threading.Barrier(len(claimed))
    errors = []

    def claimer(mine: list[int]) -> None:
        try:
            start.wait()
            while (notification := _claim(now, None)[0]) is not None:
                mine.append(notification.pk)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claimer, args=(mine,)) for mine in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    every = [pk for mine in claimed for pk in mine]
    assert len(every) == len(set(every)) == len(ids) and set(every) == ids
    assert all(claimed), f"each claimer should have taken rows side by side, got {list(map(len, claimed))}"
    assert set(Notification.objects.values_list("state", flat=True)) == {State.SENDING}


def _claim_plan() -> str:
    """The plan PostgreSQL keeps for a claim on this connection once psycopg has prepared it (the generic
    plan, made without the values), for the statement _claim() sends."""
    numbered = iter(range(1, 6))
    sql = re.sub("%s", lambda _match: f"${next(numbered)}", _CLAIM_ONE_SQL.format(only="", paused=""))
    with connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = force_generic_plan")
        cursor.execute(
            f"PREPARE claim_plan(timestamptz, bigint, timestamptz, timestamptz, timestamptz) AS {sql}"
        )
        try:
            cursor.execute("EXPLAIN EXECUTE claim_plan(now(), NULL, now(), now(), now())")
            return "\n".join(line for (line,) in cursor.fetchall())
        finally:
            cursor.execute("DEALLOCATE claim_plan")
            cursor.execute("RESET plan_cache_mode")


@pytest.mark.django_db(transaction=True)
def test_claims_walk_the_pending_index_even_when_the_statistics_have_not_seen_the_rows():
    # The first morning of a new deployment: 20,000 reminders planned into an outbox table that has
    # never been analyzed (autovacuum gets to it a minute or more later, or never when it is off, as on
    # this host's PostgreSQL). The rows are copies of one planned row, written at once.
    (seed,) = _due_rows(1, period="seed")
    columns = [f.column for f in Notification._meta.concrete_fields if f.column != "id"]
    copied = ["'batch-' || n" if column == "period" else column for column in columns]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO profiles_notification ({', '.join(columns)}) "  # noqa: S608 - the model's columns
            f"SELECT {', '.join(copied)} FROM profiles_notification, generate_series(1, 20000) AS n "
            "WHERE id = %s",
            [seed],
        )

    # Reproduced: left to the statistics, each claim reads every pending row and sorts them.
    assert "Sort" in _claim_plan()
    with _claims_in_due_order():
        plan = _claim_plan()
    assert "Index Scan using notification_claim_order" in plan and "Sort" not in plan, plan
    # The setting is the sweep's alone: the connection plans as before once it is over.
    assert "Sort" in _claim_plan()


def _sent_by(log_path: Path) -> int:
    return sum(int(found.group(1)) for found in SUCCEEDED.finditer(log_path.read_bytes()))


@pytest.mark.django_db(transaction=True)
def test_a_tick_with_many_due_rows_shares_them_with_a_second_worker_each_sent_once(tmp_path):
    assert app.conf.broker_url.startswith("redis://"), "run with REDIS_URL: this test is about workers"
    app.control.purge()
    rows = _due_rows(2 * ROWS_PER_SWEEP)
    smtp = SmtpServer(delay=0.01).start()  # slow enough that one worker alone could not finish at once
    env = {
        "DATABASE_URL": database_url_of_test_db(),
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "OUTBOX_SENDERS": "2",
    }
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    try:
        with ExitStack() as workers:
            for name, log_path in zip(["first", "second"], logs, strict=True):
                workers.enter_context(celery_worker(env, log_path=log_path, name=name))
            tick.delay()
            wait_for(lambda: smtp.count >= len(rows), timeout=120, what="every message")
            wait_for(lambda: sum(map(_sent_by, logs)) == len(rows), timeout=30, what="both sweeps to finish")
    finally:
        smtp.stop()
        app.control.purge()
    shares = list(map(_sent_by, logs))
    assert all(shares), f"both workers should have sent a share, got {shares}"
    assert set(Notification.objects.values_list("state", flat=True)) == {State.SENT}
    received = Counter(str(r.message["Message-ID"]) for r in smtp.received)
    assert max(received.values()) == 1 and smtp.count == len(rows)
    assert set(received) == {message_id(n) for n in Notification.objects.all()}


@pytest.mark.django_db
def test_the_outbox_table_has_no_index_that_another_makes_redundant():
    """Every notification is written three times (planned, claimed, sent), and each write goes into every
    index of the table: an index whose columns lead another's (and that enforces nothing and covers
    every row) only costs the sweep. The recipient's own foreign-key index was one (a tenth of a claim's
    WAL): notification_once and notification_unread begin with the recipient."""
    with connections["default"].cursor() as cursor:
        cursor.execute(
            """
            SELECT i.relname, x.indisunique, x.indpred IS NOT NULL, x.indexprs IS NOT NULL,
                   string_to_array(x.indkey::text, ' ')::int[], string_to_array(x.indclass::text, ' ')
            FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
            WHERE x.indrelid = 'profiles_notification'::regclass
            """
        )
        indexes = cursor.fetchall()
    plain = [(name, cols, ops) for name, unique, partial, expr, cols, ops in indexes if not expr]
    redundant = [
        (name, other)
        for name, unique, partial, expr, cols, ops in indexes
        if not (unique or partial or expr)
        for other, other_cols, other_ops in plain
        if other != name
        and other not in {n for n, _u, p, _e, _c, _o in indexes if p}
        and other_cols[: len(cols)] == cols
        and other_ops[: len(ops)] == ops
    ]
    assert len(indexes) >= 6 and redundant == []
