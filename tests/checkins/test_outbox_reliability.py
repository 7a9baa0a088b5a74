"""The outbox's reliability promises, on the real thing: PostgreSQL, Redis, a Celery worker process and
an SMTP server (aiosmtpd) that receives the mail. Nothing of ours is mocked.

  - a tick run twice for the same moment, two sends or two ticks at once: each row is sent once;
  - a worker killed with SIGKILL while it sends: no duplicate, and the claim is surfaced;
  - the mail server down, then back: retried with backoff, sent once when it returns;
  - a rolled-back transaction enqueues nothing;
  - daylight saving in Europe/Berlin and America/New_York: at the program's hour, local time.
"""

import functools
import json
import os
import signal
import threading
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import redis
import time_machine
from django.db import connections, transaction
from django.urls import reverse
from django.utils import timezone

from checkins import services
from checkins.tasks import tick
from mentoring.celery import app
from pairings import services as pairing_services
from pairings.models import Agreement, MatchRun, Pairing
from profiles import outbox
from profiles.models import Notification
from profiles.outbox import MAX_ATTEMPTS
from profiles.outbox.selectors import may_have_been_sent, stale_claims
from programs import services as program_services
from tests.factories import EnrollmentFactory, PersonFactory, ProgramFactory, UserFactory
from tests.smtp import SmtpServer
from tests.workers import celery_worker, database_url_of_test_db, wait_for

State = Notification.State
Kind = Notification.Kind
LONDON = "Europe/London"  # the factories' time zone


# --- Helpers ---------------------------------------------------------------------------------------------


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def _redis() -> redis.Redis:
    return redis.Redis.from_url(app.conf.broker_url)


def _queued_task_names() -> list[str]:
    """The tasks waiting in the broker (kombu keeps the default queue as Redis lists "celery*")."""
    client = _redis()
    names = []
    for key in client.scan_iter(match="celery*"):
        if client.type(key) == b"list":
            names += [json.loads(raw)["headers"]["task"] for raw in client.lrange(key, 0, -1)]
    return names


def _purge_broker() -> None:
    app.control.purge()
    # A killed worker's message waits in "unacked" for the visibility timeout (an hour), then is
    # redelivered: drop it, so no later worker runs it against another test database.
    _redis().delete("unacked", "unacked_index", "unacked_mutex")


@pytest.fixture(autouse=True)
def _empty_broker(request):
    """Transactional tests really commit, so the services' on_commit enqueues reach Redis: start and end
    with an empty queue."""
    redis_broker = app.conf.broker_url.startswith("redis://")
    if redis_broker:
        _purge_broker()
    yield
    if redis_broker:
        _purge_broker()


def _needs_redis():
    assert app.conf.broker_url.startswith("redis://"), (
        "run with REDIS_URL: this test is about the Redis broker"
    )


def _nine_am(zone: str) -> datetime:
    """09:00 local in `zone` on a Tuesday at least a week ahead (pairings activate today, for real)."""
    day = datetime.now(UTC).date() + timedelta(days=7)
    while day.weekday() != 1:
        day += timedelta(days=1)
    return datetime.combine(day, time(9), tzinfo=ZoneInfo(zone))


def _made_by_hr(count: int, *, zone: str = LONDON, hr=None, accept: bool = True) -> list[Pairing]:
    """`count` pairings made the way HR makes them, both people in `zone`; accepted by both, unless not."""
    hr = hr or UserFactory(is_hr_admin=True)
    program = ProgramFactory(actor=hr)
    pairs = []
    for _ in range(count):
        junior = PersonFactory(time_zone=zone, level=2, department="Marketing")
        senior = PersonFactory(time_zone=zone, level=8, department="Finance")
        pairs.append(
            (
                EnrollmentFactory(program=program, person=junior, role="mentor", status="approved"),
                EnrollmentFactory(program=program, person=senior, role="mentee", status="approved"),
            )
        )
    program = program_services.program_transition(program=program, to_state="matching")
    pairings = []
    for mentor_enrollment, mentee_enrollment in pairs:
        pairing = pairing_services.pairing_create_manual(
            program=program, mentor=mentor_enrollment, mentee=mentee_enrollment, actor=hr
        )
        for enrollment in pairs[len(pairings)] if accept else ():
            pairing = pairing_services.pairing_accept(pairing=pairing, person=enrollment.person)
        pairings.append(pairing)
    return pairings


def _active_pairings(count: int, *, zone: str = LONDON, hr=None) -> list[Pairing]:
    pairings = _made_by_hr(count, zone=zone, hr=hr)
    _without_introductions()
    return pairings


def _without_introductions() -> None:
    """The fixtures made their pairs the way HR does, so each pair was introduced and heard the other's
    yes: those messages are not what these tests are about, so the outbox starts empty."""
    Notification.objects.all().delete()


def _overdue(pairings, *, on: date, days: int = 3) -> None:
    """Test setup of the rhythm columns: each pair's check-in was due `days` before `on`."""
    _without_introductions()
    Pairing.objects.filter(pk__in=[p.pk for p in pairings]).update(
        next_checkin_due=on - timedelta(days=days), last_checkin_on=on - timedelta(days=days + 14)
    )


def _received(server: SmtpServer) -> Counter:
    return Counter((r.rcpt_tos[0], r.subject) for r in server.received)


def _expected(rows) -> Counter:
    return Counter((n.recipient.email, n.title) for n in rows)


def _sent_rows():
    return Notification.objects.filter(state=State.SENT).select_related("recipient")


def _in_threads(count: int, function) -> list:
    """Run `function` in `count` threads released at the same instant, each on its own DB connection."""
    barrier = threading.Barrier(count)
    results, errors = [None] * count, []

    def run(index):
        try:
            barrier.wait(timeout=10)
            results[index] = function()
        except Exception as exc:  # noqa: BLE001 - reported to the test below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


# --- Twice, or at once: one send -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_tick_run_twice_for_the_same_moment_sends_each_row_once(settings, smtp, active_pairing):
    at = _nine_am(LONDON)
    _overdue([active_pairing], on=at.date())
    settings.MAILERS = smtp.mailer()
    with time_machine.travel(at, tick=False):
        tick()
        tick()
    rows = list(Notification.objects.select_related("recipient"))
    assert {n.kind for n in rows} >= {Kind.CHECKIN_OVERDUE}
    assert {n.state for n in rows} == {State.SENT}
    assert all(n.sent_at == at and n.attempts == 1 for n in rows)
    assert _received(smtp) == _expected(rows)
    assert max(_received(smtp).values()) == 1


@pytest.mark.django_db(transaction=True)
def test_two_sends_at_once_share_the_rows_and_send_each_once(settings):
    smtp = SmtpServer(delay=0.05).start()  # slow enough that the two senders overlap
    try:
        at = _nine_am(LONDON)
        pairings = _active_pairings(3)
        _overdue(pairings, on=at.date())
        with time_machine.travel(at, tick=False):
            planned = services.notifications_plan()
            settings.MAILERS = smtp.mailer()
            counts = _in_threads(2, lambda: outbox.notifications_send_due(senders=1))
            assert outbox.notifications_send_due() == 0
    finally:
        smtp.stop()
    assert planned >= 6 and sum(counts) == planned
    assert all(counts), f"both senders should have claimed rows (SKIP LOCKED), got {counts}"
    assert Notification.objects.exclude(state=State.SENT).count() == 0
    assert _received(smtp) == _expected(_sent_rows())
    assert smtp.count == planned


def _connections_to_this_database() -> int:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_one_sweep_with_several_senders_sends_each_row_once_and_closes_their_connections(settings):
    smtp = SmtpServer(delay=0.02).start()  # slow enough that the senders overlap
    try:
        at = _nine_am(LONDON)
        _overdue(_active_pairings(4), on=at.date())
        before = _connections_to_this_database()
        with time_machine.travel(at, tick=False):
            planned = services.notifications_plan()
            settings.MAILERS = smtp.mailer()
            sent = outbox.notifications_send_due(senders=3)
    finally:
        smtp.stop()
    assert planned >= 8 and sent == planned == smtp.count
    assert Notification.objects.exclude(state=State.SENT).count() == 0
    assert _received(smtp) == _expected(_sent_rows())
    assert _connections_to_this_database() == before


@pytest.mark.django_db(transaction=True)
def test_beat_restarted_near_a_due_time_two_ticks_at_once_and_one_more_send_once(settings, smtp):
    # A restarted beat ticks at once (mentoring.celery.tick_when_beat_starts) while its scheduled tick
    # runs, and the next scheduled one follows.
    at = _nine_am(LONDON)
    pairings = _active_pairings(2)
    _overdue(pairings, on=at.date())
    settings.MAILERS = smtp.mailer()
    with time_machine.travel(at, tick=False):
        _in_threads(2, tick)
        tick()
    rows = list(Notification.objects.select_related("recipient"))
    assert len(rows) >= 4 and {n.state for n in rows} == {State.SENT}
    assert _received(smtp) == _expected(rows)
    assert smtp.count == len(rows)


# --- The mail server down, then back ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_mail_server_outage_spends_no_attempts_and_everything_goes_once_it_is_back(
    settings, smtp, active_pairing
):
    """Before: every sweep during an outage spent an attempt of every due row, so about 75 minutes of
    outage turned every row "failed". Now the sweep pauses at the first connection failure."""
    at = _nine_am(LONDON)
    _overdue([active_pairing], on=at.date())
    settings.MAILERS = smtp.mailer()
    smtp.stop()
    with time_machine.travel(at, tick=False) as traveller:
        services.notifications_plan()
        due = Notification.objects.filter(due_at__lte=at).count()
        assert due >= 2
        for minutes in range(0, 24 * 60, 30):  # a whole day of outage, a sweep every half hour
            traveller.move_to(at + timedelta(minutes=minutes))
            assert outbox.notifications_send_due() == 0
        rows = list(Notification.objects.all())
        assert {n.state for n in rows} == {State.PENDING}
        assert {n.attempts for n in rows} == {0} and {n.next_attempt_at for n in rows} == {None}
        assert any("Connection refused" in n.last_error or "Errno" in n.last_error for n in rows)

        smtp.start()  # back, on the same port
        assert outbox.notifications_send_due() == due
        assert outbox.notifications_send_due() == 0
    rows = list(_sent_rows())
    assert len(rows) == due == Notification.objects.count()
    assert all(n.attempts == 1 and n.last_error == "" for n in rows)
    assert _received(smtp) == _expected(rows) and smtp.count == due


@pytest.mark.django_db
def test_a_message_refused_for_now_is_retried_with_backoff_then_fails_and_hr_retry_sends_it_once(
    client, settings, smtp, active_pairing, hr_admin, mentor
):
    at = _nine_am(LONDON)
    _overdue([active_pairing], on=at.date())
    settings.MAILERS = smtp.mailer()
    smtp.refuse_always(mentor.person.email, code=451)  # this mailbox's server says "later", every time
    delays = []
    with time_machine.travel(at, tick=False) as traveller:
        services.notifications_plan()
        mine = Notification.objects.filter(recipient=mentor.person)
        count, others = mine.count(), Notification.objects.exclude(recipient=mentor.person).count()
        now = at
        for attempt in range(1, MAX_ATTEMPTS + 1):
            traveller.move_to(now)
            outbox.notifications_send_due()
            rows = list(mine.all())  # a fresh read each time
            assert {n.attempts for n in rows} == {attempt}
            if attempt < MAX_ATTEMPTS:
                assert {n.state for n in rows} == {State.PENDING}
                (next_at,) = {n.next_attempt_at for n in rows}
                delays.append(next_at - now)
                now = next_at
        assert {n.state for n in rows} == {State.FAILED} and all("451" in n.last_error for n in rows)
        assert delays == [timedelta(minutes=m) for m in (5, 10, 20, 40)]
        # Nobody else waited for this mailbox: their messages went on the first sweep, once.
        assert _sent_rows().count() == others == smtp.count

        traveller.move_to(now + timedelta(days=1))  # a failed row waits for a person, however long
        assert outbox.notifications_send_due() == 0
        client.force_login(hr_admin)
        assert "SMTPDataError: (451" in client.get(reverse("checkins:operations")).content.decode()

        smtp.accept_all()  # the mailbox is fixed
        client.post(reverse("checkins:operations"), {"row": [str(n.pk) for n in rows], "action": "retry"})
        assert set(mine.values_list("state", flat=True)) == {State.PENDING}
        assert outbox.notifications_send_due() == count
        assert outbox.notifications_send_due() == 0
    assert _received(smtp) == _expected(_sent_rows()) and smtp.count == count + others


@pytest.mark.django_db
def test_a_permanent_refusal_fails_at_once(settings, smtp, active_pairing, mentor):
    at = _nine_am(LONDON)
    _overdue([active_pairing], on=at.date())
    settings.MAILERS = smtp.mailer()
    smtp.refuse_always(mentor.person.email, code=550)
    with time_machine.travel(at, tick=False):
        services.notifications_plan()
        outbox.notifications_send_due()
    rows = list(Notification.objects.filter(recipient=mentor.person))
    assert rows and {(n.state, n.attempts) for n in rows} == {(State.FAILED, 1)}
    assert all("550" in n.last_error for n in rows)


@pytest.mark.django_db
def test_a_lost_reply_is_may_have_been_sent_never_resent_on_its_own_and_keeps_its_message_id(
    client, settings, smtp, active_pairing, hr_admin
):
    """The server took the message but its answer came after the timeout. Before: retried as a new email
    with a new Message-ID. Now the row waits for HR, and a resend carries the same Message-ID."""
    at = _nine_am(LONDON)
    _overdue([active_pairing], on=at.date())
    settings.MAILERS = smtp.mailer(timeout=1)
    with time_machine.travel(at, tick=False) as traveller:
        services.notifications_plan()
        total = Notification.objects.count()
        smtp.hold_next()  # the first message waits longer than the client does
        outbox.notifications_send_due(senders=1)
        smtp.release()
        (lost,) = may_have_been_sent()
        assert lost.state == State.UNCERTAIN and lost.attempts == 1
        first_id = smtp.received[0].message["Message-ID"]
        assert first_id == outbox.delivery.message_id(lost)
        # The others went; the lost one is not sent again by any later sweep.
        assert _sent_rows().count() == total - 1
        traveller.move_to(at + timedelta(days=2))
        assert outbox.notifications_send_due() == 0
        client.force_login(hr_admin)
        html = client.get(reverse("checkins:operations")).content.decode()
        section = html.split('id="uncertain"', 1)[1].split('id="failed"', 1)[0]
        assert lost.recipient.full_name in section and f'value="{lost.pk}"' in section
        # HR asked the person: it never arrived. Sent again, with the same Message-ID.
        client.post(reverse("checkins:operations"), {"row": [str(lost.pk)], "action": "retry"})
        assert outbox.notifications_send_due() == 1
    ids = [
        r.message["Message-ID"]
        for r in smtp.received
        if r.subject == lost.title and r.rcpt_tos[0] == lost.recipient.email
    ]
    assert ids == [first_id, first_id]
    lost.refresh_from_db()
    assert lost.state == State.SENT


@pytest.mark.django_db(transaction=True)
def test_fifty_introductions_with_the_third_refused_once_each_arrive_exactly_once(tmp_path, smtp):
    """On a real worker. Before: the introductions task retried its whole batch on an error, so the ones
    before the refused message arrived again (and one address always refused made them arrive 4 times)."""
    _needs_redis()
    _made_by_hr(25, accept=False)
    intros = Notification.objects.filter(kind=Kind.PAIRING_PROPOSED).select_related("recipient")
    assert intros.count() == 50
    smtp.refuse_next(1, code=451, after=2)  # the 3rd message is refused once: "try again later"
    env = {"DATABASE_URL": database_url_of_test_db(), "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp.port)}
    with celery_worker(env, log_path=tmp_path / "worker.log"):
        tick.delay()
        wait_for(lambda: smtp.count == 49, timeout=60, what="49 introductions")
        (refused,) = intros.filter(state=State.PENDING)
        assert refused.attempts == 1 and "451" in refused.last_error and refused.next_attempt_at
        # Its backoff is five minutes: test setup brings that moment forward, then beat ticks again.
        Notification.objects.filter(pk=refused.pk).update(next_attempt_at=timezone.now())
        tick.delay()
        wait_for(lambda: smtp.count == 50, timeout=60, what="the refused introduction, once")
        tick.delay()
        wait_for(lambda: not _queued_task_names(), timeout=30, what="the last tick to run")
    assert smtp.refused == 1 and smtp.count == 50
    assert set(intros.values_list("state", flat=True)) == {State.SENT}
    received = _received(smtp)
    assert received == _expected(intros) and max(received.values()) == 1


# --- Transactions and the broker -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_enqueues_nothing(matching_program, hr_admin):
    _needs_redis()
    _purge_broker()
    with pytest.raises(RuntimeError), transaction.atomic():
        pairing_services.match_run_start(program=matching_program, actor=hr_admin)
        raise RuntimeError("something later in the same request failed")
    assert MatchRun.objects.count() == 0
    assert _queued_task_names() == []

    pairing_services.match_run_start(program=matching_program, actor=hr_admin)  # committed
    assert MatchRun.objects.count() == 1
    assert _queued_task_names() == ["pairings.tasks.run_matching"]


# --- A worker killed while it sends ----------------------------------------------------------------------


KILLED_SENDERS = 2  # the worker's OUTBOX_SENDERS here: each sender has one email in flight when it dies


def _kill_worker_mid_send(tmp_path: Path, smtp: SmtpServer, pairing: Pairing) -> list[Notification]:
    """A real worker runs the tick; SIGKILL while each of its senders' first email waits for the server.

    Returns the rows whose emails were in flight (the server had received them: they may well be
    delivered). Four pairs make eight rows, so some were never tried."""
    _needs_redis()
    today = datetime.now(UTC).date()
    _overdue([pairing, *_active_pairings(3)], on=today)
    services.notifications_plan()
    # Due a minute ago whatever the weekday and hour: the worker is not time-travelled.
    Notification.objects.update(due_at=timezone.now() - timedelta(minutes=1))
    _purge_broker()  # the fixtures' introductions: this worker is here for the tick only
    smtp.hold_next(KILLED_SENDERS)
    env = {
        "DATABASE_URL": database_url_of_test_db(),
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "EMAIL_TIMEOUT": "120",
        "OUTBOX_SENDERS": str(KILLED_SENDERS),
    }
    with celery_worker(env, log_path=tmp_path / "worker.log") as worker:
        tick.delay()
        wait_for(lambda: smtp.held == KILLED_SENDERS, timeout=45, what="every sender's first email")
        assert Notification.objects.filter(state=State.SENDING).count() == KILLED_SENDERS
        children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split()
        for pid in [*map(int, children), worker.pid]:
            os.kill(pid, signal.SIGKILL)
        worker.wait(timeout=10)
    smtp.release()
    assert len(smtp.received) == KILLED_SENDERS
    return [
        Notification.objects.get(recipient__email=received.rcpt_tos[0], title=received.subject)
        for received in smtp.received
    ]


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_send_never_sends_twice_and_the_claims_are_surfaced(
    tmp_path, settings, client, smtp, active_pairing, hr_admin
):
    in_flight = _kill_worker_mid_send(tmp_path, smtp, active_pairing)
    assert {(n.state, n.sent_at) for n in in_flight} == {(State.SENDING, None)}

    # Redis redelivers the killed worker's tick (acks_late) and beat ticks again: the rows are no longer
    # pending, so neither sends them again.
    settings.MAILERS = smtp.mailer()
    tick()
    outbox.notifications_send_due()
    for notification in in_flight:
        notification.refresh_from_db()
        assert notification.state == State.SENDING
        assert _received(smtp)[(notification.recipient.email, notification.title)] == 1
    assert max(_received(smtp).values()) == 1

    assert not set(in_flight) & set(stale_claims())
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert set(stale_claims()) == set(in_flight)
        # Reported by the health check, without taking the app out of service for it.
        outbox_check = client.get(reverse("healthz")).json()["checks"]["outbox"]
        assert (
            outbox_check["ok"] is True
            and f"{len(in_flight)} notifications may have been sent" in outbox_check["detail"]
        )
        client.force_login(hr_admin)
        html = client.get(reverse("checkins:operations")).content.decode()
        stale_section = html.split('id="uncertain"', 1)[1].split('id="failed"', 1)[0]
        for notification in in_flight:
            assert notification.recipient.full_name in stale_section
            assert f'value="{notification.pk}"' in stale_section


@pytest.mark.django_db(transaction=True)
def test_two_ticks_at_once_in_one_worker_strand_at_most_its_senders_when_killed(
    tmp_path, smtp, active_pairing
):
    """A redelivered tick overlapping the next, in one worker. Before: two sweeps, so a kill left twice
    OUTBOX_SENDERS rows in "sending". Now the second sweep sees the first (an advisory lock) and returns."""
    _needs_redis()
    _overdue([active_pairing, *_active_pairings(3)], on=datetime.now(UTC).date())
    services.notifications_plan()
    Notification.objects.update(due_at=timezone.now() - timedelta(minutes=1))
    _purge_broker()
    smtp.hold_next(2 * KILLED_SENDERS)  # enough to hold what two sweeps would have in flight
    env = {
        "DATABASE_URL": database_url_of_test_db(),
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "EMAIL_TIMEOUT": "120",
        "OUTBOX_SENDERS": str(KILLED_SENDERS),
    }
    with celery_worker(env, log_path=tmp_path / "worker.log", concurrency=2) as worker:
        tick.delay()
        tick.delay()
        wait_for(lambda: smtp.held >= KILLED_SENDERS, timeout=45, what="the first sweep's emails")
        wait_for(
            lambda: b"outbox sweep skipped" in (tmp_path / "worker.log").read_bytes(),
            timeout=30,
            what="the second tick to find a sweep running",
        )
        assert smtp.held == KILLED_SENDERS
        children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split()
        for pid in [*map(int, children), worker.pid]:
            os.kill(pid, signal.SIGKILL)
        worker.wait(timeout=10)
    smtp.release()
    assert Notification.objects.filter(state=State.SENDING).count() == KILLED_SENDERS


@pytest.mark.django_db(transaction=True)
def test_rows_a_killed_worker_never_tried_are_still_sent(tmp_path, settings, smtp, active_pairing, hr_admin):
    in_flight = _kill_worker_mid_send(tmp_path, smtp, active_pairing)
    untried = Notification.objects.exclude(pk__in=[n.pk for n in in_flight])
    assert set(untried.values_list("state", flat=True)) == {State.PENDING}
    settings.MAILERS = smtp.mailer()
    outbox.notifications_send_due()
    assert set(untried.values_list("state", flat=True)) == {State.SENT}
    assert max(_received(smtp).values()) == 1
    assert smtp.count == Notification.objects.count()


# --- Daylight saving -------------------------------------------------------------------------------------

# The 2027 changes (all on Sundays): Europe 28 Mar and 31 Oct, United States 14 Mar and 7 Nov.
DST_SUNDAYS = [date(2027, 3, 14), date(2027, 3, 28), date(2027, 10, 31), date(2027, 11, 7)]
ZONES = ["Europe/Berlin", "America/New_York"]


def test_local_send_time_is_nine_local_before_on_and_after_each_change():
    for sunday in DST_SUNDAYS:
        for zone in ZONES:
            for offset in range(-3, 4):
                day = sunday + timedelta(days=offset)
                local = outbox.local_send_time(day=day, zone_name=zone, hour=9).astimezone(ZoneInfo(zone))
                assert local.time() == time(9)
                working_day = day + timedelta(days=(7 - day.weekday()) % 7 if day.weekday() >= 5 else 0)
                assert local.date() == working_day and local.weekday() < 5


@pytest.mark.django_db
def test_reminders_across_daylight_saving_arrive_at_nine_local_once_per_day(settings, smtp):
    """Tick every 30 minutes through the days around each 2027 change, in both zones at once.

    Per zone, three pairs are due on the Saturday before the change, its Sunday and the Monday after, so
    reminders fall on Thursday, Friday and Monday (the weekend ones wait for Monday) and Tuesday."""
    settings.MAILERS = smtp.mailer()
    pairings = {zone: _active_pairings(3, zone=zone) for zone in ZONES}
    expected = {}  # (recipient, kind, period) -> the local day it must arrive, at 09:00
    with time_machine.travel(datetime.combine(DST_SUNDAYS[0], time(), UTC), tick=False) as traveller:
        for sunday in DST_SUNDAYS:
            for zone_pairings in pairings.values():
                for pairing, due in zip(
                    zone_pairings, [sunday + timedelta(days=d) for d in (-1, 0, 1)], strict=True
                ):
                    Pairing.objects.filter(pk=pairing.pk).update(
                        next_checkin_due=due,
                        last_checkin_on=due - timedelta(days=14),
                        activated_at=datetime.combine(sunday - timedelta(days=10), time(12), UTC),
                    )
                    upcoming = due - timedelta(days=pairing.program.reminder_days_before)
                    overdue = due + timedelta(days=1)
                    for person in (pairing.mentor.person, pairing.mentee.person):
                        for kind, day in ((Kind.CHECKIN_UPCOMING, upcoming), (Kind.CHECKIN_OVERDUE, overdue)):
                            while day.weekday() >= 5:
                                day += timedelta(days=1)
                            expected[(person.pk, kind, str(due))] = day
            Agreement.objects.update(mentor_confirmed_at=timezone.now(), mentee_confirmed_at=timezone.now())
            instant = datetime.combine(sunday - timedelta(days=3), time(), UTC)
            while instant < datetime.combine(sunday + timedelta(days=3), time(), UTC):
                traveller.move_to(instant)
                services.notifications_plan()
                outbox.notifications_send_due()
                instant += timedelta(minutes=30)

    rows = list(Notification.objects.select_related("recipient"))
    assert {n.state for n in rows} == {State.SENT}
    arrived = {}
    for n in rows:
        local = n.sent_at.astimezone(ZoneInfo(n.recipient.time_zone))
        arrived[(n.recipient_id, n.kind, n.period)] = local.date()
        assert local.time() == time(9), (n.recipient.time_zone, n.kind, n.period, local)
    assert arrived == expected
    per_local_day = Counter(
        (n.recipient_id, n.sent_at.astimezone(ZoneInfo(n.recipient.time_zone)).date()) for n in rows
    )
    assert max(per_local_day.values()) == 1
    assert _received(smtp) == _expected(rows) and smtp.count == len(rows) == 4 * 2 * 3 * 2 * 2


# --- Known bugs, documented ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_rows_a_slow_but_live_sweep_has_not_reached_are_not_reported_stale(settings, smtp):
    at = _nine_am(LONDON)
    _overdue(_active_pairings(2), on=at.date())
    settings.MAILERS = smtp.mailer(timeout=30)
    with time_machine.travel(at, tick=False) as traveller:
        services.notifications_plan()
        smtp.hold_next()
        one_sender = functools.partial(outbox.notifications_send_due, senders=1)  # rows in order
        (sweep,) = [threading.Thread(target=_in_threads, args=(1, one_sender))]
        sweep.start()
        try:
            assert smtp.arrived.wait(10)
            traveller.move_to(at + timedelta(minutes=16))  # the relay took its time with the first email
            smtp.hold_next()
            smtp.release()
            assert smtp.arrived.wait(10)  # the second row's send has just started
            stale = list(stale_claims().values_list("pk", flat=True))
        finally:
            smtp.release()
            sweep.join(30)
    assert Notification.objects.filter(state=State.SENT).count() == Notification.objects.count()
    assert stale == []


@pytest.mark.django_db
def test_a_reminder_that_becomes_due_in_the_evening_waits_for_the_send_hour(settings, smtp, active_pairing):
    morning = _nine_am(LONDON)
    day = morning.date()
    Pairing.objects.filter(pk=active_pairing.pk).update(
        next_checkin_due=day + timedelta(days=10), last_checkin_on=day - timedelta(days=4)
    )
    settings.MAILERS = smtp.mailer()
    with time_machine.travel(morning, tick=False) as traveller:
        services.notifications_plan()
        outbox.notifications_send_due()  # the morning's own reminders (agreement, HR digest)
        sent_in_the_morning = smtp.count
        # In the evening the pair shortens its cadence to 7 days: its check-in is now overdue.
        traveller.move_to(morning + timedelta(hours=11))
        Agreement.objects.filter(pairing=active_pairing).update(cadence_days=7)
        pairing_services.pairing_set_rhythm(
            pairing=Pairing.objects.get(pk=active_pairing.pk),
            last_checkin_on=day - timedelta(days=12),
            rating_trend=0,
        )
        services.notifications_plan()
        outbox.notifications_send_due()
        assert Notification.objects.filter(kind=Kind.CHECKIN_OVERDUE).count() == 2
        sent_in_the_evening = smtp.count - sent_in_the_morning
        traveller.move_to(morning + timedelta(days=1))
        outbox.notifications_send_due()
    assert sent_in_the_evening == 0
    assert Notification.objects.exclude(state=State.SENT).count() == 0
