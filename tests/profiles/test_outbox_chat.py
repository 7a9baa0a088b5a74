"""Slack and Microsoft Teams as channels of the outbox, against a local server that behaves like Slack's
Web API and a Teams workflow webhook (tests/chat_server.py): each row sent once, retried with backoff
after a rate limit or a 5xx, failed for good when Slack doesn't know the person, "may have been sent"
when the answer to a post is lost, and each channel independent of the others. Nothing of ours is mocked.
"""

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from checkins import services as checkin_services
from mentoring.celery import app
from profiles import outbox
from profiles.models import Notification, NotificationPreference
from profiles.outbox import Message, notifications_send_due, notify
from profiles.outbox.selectors import notifications_of
from tests.chat_server import ChatServer
from tests.factories import PersonFactory, UserFactory
from tests.smtp import SmtpServer, free_port
from tests.workers import celery_worker, database_url_of_test_db, wait_for

State = Notification.State
Kind = Notification.Kind
Channel = Notification.Channel
SITE = "https://twoway.example.com"
SLACK_ID = "U0MENTOR"


@pytest.fixture
def chat(settings):
    server = ChatServer().start()
    settings.SLACK_BOT_TOKEN = server.token
    settings.SLACK_API_URL = server.slack_url
    settings.TEAMS_HR_WEBHOOK_URL = ""
    settings.CHAT_TIMEOUT = 1
    settings.SITE_URL = SITE
    yield server
    server.stop()


@pytest.fixture
def teams(chat, settings):
    settings.TEAMS_HR_WEBHOOK_URL = chat.teams_url
    return chat


@pytest.fixture
def slack_mentor(chat, mentor):
    """The persona mentor, known to Slack, who chose Slack (and email) for "your partner said yes"."""
    chat.slack_users[mentor.person.email] = SLACK_ID
    outbox.notification_preference_set(
        person=mentor.person, kind=Kind.PAIRING_ACCEPTED, email=True, slack=True
    )
    return mentor.person


def _tell(person, *, subject="pairing:7", kind=Kind.PAIRING_ACCEPTED, at_once=False) -> list[int]:
    return notify(
        Message(
            recipient=person,
            kind=kind,
            subject=subject,
            period="accepted",
            title="Your partner said yes",
            body="Sam Senior accepted the pairing <& is ready>.",
            link="/pairings/7/",
            why="You hear when your partner answers.",
        ),
        at_once=at_once,
    )


def _sweep(now=None) -> int:
    return notifications_send_due(senders=1, now=now)


def _row(channel, **filters) -> Notification:
    return Notification.objects.get(channel=channel, **filters)


# --- Slack: sent once, with the email's words ------------------------------------------------------------


def test_a_person_who_chose_slack_gets_one_direct_message_and_one_email_even_when_the_sweep_runs_twice(
    chat, slack_mentor
):
    _tell(slack_mentor)
    _sweep()
    _sweep()
    assert len(chat.posts) == 1 and len(mail.outbox) == 1
    (post,) = chat.posts
    assert post["channel"] == SLACK_ID  # a direct message from the app, to the user Slack found by email
    assert chat.lookups == [slack_mentor.email]
    text = json.dumps(post["blocks"])
    assert (
        "*Your partner said yes*" in text
        and "Sam Senior accepted the pairing &lt;&amp; is ready&gt;." in text
    )
    assert f"<{SITE}/pairings/7/|Open in Twoway>" in text
    assert (
        "You hear when your partner answers." in text and f"{SITE}{reverse('checkins:preferences')}" in text
    )
    assert post["text"].startswith("Your partner said yes")
    assert _row(Channel.SLACK).state == State.SENT and _row(Channel.EMAIL).state == State.SENT
    # In the app the message shows once: the Slack row is not an in-app one.
    assert [n.channel for n in notifications_of(person=slack_mentor)] == [Channel.EMAIL]
    # Planning it again (the same event) plans nothing new, on either channel.
    assert _tell(slack_mentor) == []


def test_the_slack_message_is_in_the_readers_language(chat, slack_mentor, mentor):
    mentor.language = "de"
    mentor.save(update_fields=["language"])
    _tell(slack_mentor)
    _sweep()
    footer = chat.posts[0]["blocks"][1]["elements"][0]["text"]
    assert footer.startswith("Warum Sie diese Nachricht erhalten: You hear when your partner answers.")


def test_the_slack_user_id_is_looked_up_once_for_many_messages(chat, slack_mentor):
    for number in range(3):
        _tell(slack_mentor, subject=f"pairing:{number}")
    _sweep()
    assert len(chat.posts) == 3 and chat.lookups == [slack_mentor.email]


def test_nothing_goes_to_slack_for_a_person_who_did_not_choose_it(chat, slack_mentor, mentee):
    chat.slack_users[mentee.person.email] = "U0MENTEE"
    _tell(mentee.person)  # chose nothing
    _tell(slack_mentor, kind=Kind.MEETING_PLANNED)  # chose Slack, but for another kind
    _sweep()
    assert chat.posts == [] and chat.lookups == []
    assert not Notification.objects.filter(channel=Channel.SLACK).exists()
    assert len(mail.outbox) == 2


def test_without_a_bot_token_slack_is_neither_planned_nor_offered(
    chat, slack_mentor, settings, client, mentor
):
    settings.SLACK_BOT_TOKEN = ""
    _tell(slack_mentor)
    _sweep()
    assert chat.posts == [] and not Notification.objects.filter(channel=Channel.SLACK).exists()
    client.force_login(mentor)
    page = client.get(reverse("checkins:preferences")).content.decode()
    assert "slack-" not in page and "Slack" not in page


def test_turning_slack_off_after_planning_skips_the_row(chat, slack_mentor):
    _tell(slack_mentor)
    outbox.notification_preference_set(
        person=slack_mentor, kind=Kind.PAIRING_ACCEPTED, email=True, slack=False
    )
    _sweep()
    assert chat.posts == []
    row = _row(Channel.SLACK)
    assert row.state == State.SKIPPED and row.skip_reason == "Slack is off for this kind"


def test_a_sign_up_or_reset_link_never_goes_to_slack(chat, mentor):
    preference = outbox.notification_preference_set(
        person=mentor.person, kind=Kind.ACCOUNT, email=True, slack=True
    )
    assert preference.slack is False


# --- Slack's failures --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        (429, {"Retry-After": "900"}, {"ok": False, "error": "ratelimited"}),  # HTTP 429, as Slack sends it
        (200, {"Retry-After": "900"}, {"ok": False, "error": "ratelimited"}),  # ok:false in a 200
    ],
    ids=["http-429", "ok-false-ratelimited"],
)
def test_a_rate_limit_is_retried_no_sooner_than_retry_after_then_sent_once(chat, slack_mentor, answer):
    _tell(slack_mentor)
    _tell(slack_mentor, subject="pairing:8")
    chat.script("chat.postMessage", answer)
    now = timezone.now()
    _sweep(now)
    limited, waiting = Notification.objects.filter(channel=Channel.SLACK).order_by("pk")
    limited.refresh_from_db()
    assert limited.state == State.PENDING and limited.attempts == 1
    assert "429" in limited.last_error or "ratelimited" in limited.last_error
    # Retry-After (15 minutes) is longer than the first backoff (5): it wins.
    assert limited.next_attempt_at >= now + timedelta(seconds=900)
    # Slack said "slow down": the other Slack row waits for the next sweep, its attempts untouched.
    assert waiting.state == State.PENDING and waiting.attempts == 0
    assert len(mail.outbox) == 2  # email went on
    _sweep(now + timedelta(minutes=1))
    assert len(chat.posts) == 1  # the second row; the limited one waits
    _sweep(now + timedelta(minutes=16))
    _sweep(now + timedelta(minutes=17))
    assert len(chat.posts) == 2
    assert set(Notification.objects.filter(channel=Channel.SLACK).values_list("state", flat=True)) == {
        State.SENT
    }


def test_a_slack_server_error_is_retried_with_backoff(chat, slack_mentor):
    _tell(slack_mentor)
    chat.script("chat.postMessage", (500, {}, "oops"), (503, {}, "down"))
    now = timezone.now()
    _sweep(now)
    row = _row(Channel.SLACK)
    assert row.state == State.PENDING and row.attempts == 1 and "HTTP 500" in row.last_error
    assert row.next_attempt_at == now + timedelta(minutes=5)
    _sweep(now + timedelta(minutes=5))
    row.refresh_from_db()
    assert row.attempts == 2 and row.next_attempt_at == now + timedelta(minutes=5 + 10)
    _sweep(now + timedelta(minutes=15))
    row.refresh_from_db()
    assert row.state == State.SENT and len(chat.posts) == 1


def test_a_person_slack_does_not_know_fails_at_once_and_still_sees_the_notice_in_the_app(chat, slack_mentor):
    del chat.slack_users[slack_mentor.email]
    _tell(slack_mentor)
    _sweep()
    row = _row(Channel.SLACK)
    assert row.state == State.FAILED and row.attempts == 1 and "users_not_found" in row.last_error
    _sweep()
    assert chat.posts == [] and chat.lookups == [slack_mentor.email]  # never asked again on its own
    assert [n.title for n in notifications_of(person=slack_mentor)] == ["Your partner said yes"]
    assert _row(Channel.EMAIL).state == State.SENT


def test_a_wrong_token_is_refused_and_retried_not_sent(chat, slack_mentor, settings):
    settings.SLACK_BOT_TOKEN = "xoxb-wrong"
    _tell(slack_mentor)
    _sweep()
    row = _row(Channel.SLACK)
    assert row.state == State.PENDING and row.attempts == 1 and "invalid_auth" in row.last_error
    assert chat.posts == []


def test_a_post_whose_answer_is_lost_may_have_been_sent_and_is_never_sent_again(chat, slack_mentor):
    _tell(slack_mentor)
    chat.slow_next("chat.postMessage", seconds=2.5)  # it arrives; its answer comes after our 1 s timeout
    _sweep()
    row = _row(Channel.SLACK)
    assert row.state == State.UNCERTAIN and "Timeout" in row.last_error
    _sweep(timezone.now() + timedelta(hours=1))
    assert len(chat.posts) == 1
    # HR checks with the person and confirms it arrived: it stays sent.
    assert outbox.notification_confirm_sent(notification_ids=[row.pk]) == 1
    _sweep()
    assert len(chat.posts) == 1


def test_a_lookup_that_times_out_is_retried_later(chat, slack_mentor):
    _tell(slack_mentor)
    chat.slow_next("users.lookupByEmail", seconds=2.5)
    _sweep()
    row = _row(Channel.SLACK)
    assert row.state == State.PENDING and row.attempts == 1 and chat.posts == []  # nothing was posted


# --- Channels independent of each other --------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_slack_down_does_not_hold_back_email_and_costs_no_attempt(settings, chat, slack_mentor):
    smtp = SmtpServer().start()
    settings.MAILERS = smtp.mailer()
    try:
        _tell(slack_mentor)
        _tell(slack_mentor, subject="pairing:8")
        chat.stop()  # connections refused
        assert _sweep() == 2
        assert smtp.count == 2
        slack_rows = Notification.objects.filter(channel=Channel.SLACK)
        assert {(row.state, row.attempts) for row in slack_rows} == {(State.PENDING, 0)}
        chat.start()  # back, on the same port
        assert _sweep() == 2 and len(chat.posts) == 2 and smtp.count == 2
    finally:
        smtp.stop()


@pytest.mark.django_db(transaction=True)
def test_a_mail_server_down_does_not_hold_back_slack(settings, chat, slack_mentor):
    settings.MAILERS = {
        "default": {
            "BACKEND": "common.mail.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": free_port(), "timeout": 1},
        }
    }
    _tell(slack_mentor)
    _tell(slack_mentor, subject="pairing:8")
    assert _sweep() == 2
    assert len(chat.posts) == 2
    email_rows = Notification.objects.filter(channel=Channel.EMAIL)
    assert {(row.state, row.attempts) for row in email_rows} == {(State.PENDING, 0)}


def test_an_email_refused_for_good_leaves_its_slack_row_alone(settings, chat, slack_mentor):
    smtp = SmtpServer().start()
    settings.MAILERS = smtp.mailer()
    try:
        smtp.refuse_always(slack_mentor.email)
        _tell(slack_mentor)
        _sweep()
        assert _row(Channel.EMAIL).state == State.FAILED
        assert _row(Channel.SLACK).state == State.SENT and len(chat.posts) == 1
    finally:
        smtp.stop()


# --- Teams: HR's channel -----------------------------------------------------------------------------------


def test_a_new_concern_reaches_hrs_teams_channel_once_as_an_adaptive_card_without_its_words(
    teams, active_pairing, mentor, hr_admin
):
    second_hr = UserFactory(is_hr_admin=True, email="hr.two@example.com")
    PersonFactory(user=second_hr, email=second_hr.email)
    concern = checkin_services.concern_raise(
        pairing=active_pairing, person=mentor.person, kind="concern", text="My mentee talks over me"
    )
    _sweep()
    _sweep()
    assert len(teams.cards) == 1  # one card for the channel, though two HR admins were told
    (card,) = teams.cards
    assert card["type"] == "message"
    (attachment,) = card["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    content = attachment["content"]
    assert content["type"] == "AdaptiveCard" and content["version"] == "1.4"
    assert content["body"][0]["text"].startswith("A new concern is waiting for you")
    assert content["actions"][0]["url"] == SITE + reverse("checkins:concern_handle", args=[concern.pk])
    assert "talks over me" not in json.dumps(card)
    row = _row(Channel.TEAMS)
    assert row.state == State.SENT and row.recipient is None and not row.in_app
    # The two HR admins' emails went too, each once.
    assert (
        Notification.objects.filter(kind=Kind.CONCERN_RAISED, channel=Channel.EMAIL, state=State.SENT).count()
        == 2
    )


def test_the_teams_card_is_in_the_sites_language_whatever_the_first_hr_admin_reads(
    teams, active_pairing, mentor, hr_admin
):
    hr_admin.language = "de"  # the first HR admin (the lowest id) reads German
    hr_admin.save(update_fields=["language"])
    second_hr = UserFactory(is_hr_admin=True, email="hr.two@example.com")
    PersonFactory(user=second_hr, email=second_hr.email)
    checkin_services.concern_raise(pairing=active_pairing, person=mentor.person, kind="concern", text="...")
    german = Notification.objects.get(
        kind=Kind.CONCERN_RAISED, channel=Channel.EMAIL, recipient=hr_admin.person
    )
    assert not german.title.startswith("A new concern")
    _sweep()
    (card,) = teams.cards
    assert card["attachments"][0]["content"]["body"][0]["text"].startswith("A new concern is waiting for you")


def test_teams_gets_nothing_of_a_participants_own_messages(teams, slack_mentor):
    _tell(slack_mentor)
    _sweep()
    assert teams.cards == [] and not Notification.objects.filter(channel=Channel.TEAMS).exists()


def _hr_message(hr_admin, subject="concern:99"):
    return outbox.to_hr_admins(
        kind=Kind.CONCERN_RAISED,
        subject=subject,
        period="raised",
        link="/hr/concerns/99/",
        words=lambda: {
            "title": "A new concern is waiting for you",
            "body": "Someone raised it.",
            "why": "HR hears.",
        },
    )


def test_a_teams_rate_limit_is_retried_after_retry_after(teams, hr_admin):
    notify(*_hr_message(hr_admin))
    teams.script("teams", (429, {"Retry-After": "1200"}, "Too many requests"))
    now = timezone.now()
    _sweep(now)
    row = _row(Channel.TEAMS)
    assert row.state == State.PENDING and row.attempts == 1 and "429" in row.last_error
    assert row.next_attempt_at >= now + timedelta(seconds=1200)
    _sweep(now + timedelta(minutes=10))
    assert teams.cards == []
    _sweep(now + timedelta(minutes=21))
    assert len(teams.cards) == 1 and _row(Channel.TEAMS).state == State.SENT


def test_teams_unreachable_costs_no_attempt_and_its_urls_signature_is_not_recorded(teams, hr_admin, settings):
    settings.TEAMS_HR_WEBHOOK_URL = teams.teams_url + "?api-version=1&sig=s3cret-signature"
    notify(*_hr_message(hr_admin))
    teams.stop()
    _sweep()
    row = _row(Channel.TEAMS)
    assert row.state == State.PENDING and row.attempts == 0 and "ConnectionError" in row.last_error
    assert "s3cret" not in row.last_error
    teams.start()
    _sweep()
    assert len(teams.cards) == 1 and _row(Channel.TEAMS).state == State.SENT


def test_a_card_teams_refuses_fails_and_hrs_channel_hears_of_failures_once_a_day(teams, hr_admin):
    notify(*_hr_message(hr_admin))
    notify(*_hr_message(hr_admin, subject="concern:100"))
    teams.script("teams", (400, {}, "Bad Request: invalid card"), (400, {}, "Bad Request: invalid card"))
    _sweep()
    failed = Notification.objects.filter(channel=Channel.TEAMS, kind=Kind.CONCERN_RAISED)
    assert set(failed.values_list("state", flat=True)) == {State.FAILED}
    # Two failures, one notice to the channel (today's), sent in the same sweep.
    (notice,) = Notification.objects.filter(kind=Kind.OUTBOX_FAILED)
    assert notice.channel == Channel.TEAMS and notice.state == State.SENT
    assert [card["attachments"][0]["content"]["body"][0]["text"] for card in teams.cards] == [
        "A message could not be sent"
    ]
    assert teams.cards[0]["attachments"][0]["content"]["actions"][0]["url"] == SITE + reverse(
        "checkins:operations"
    )


# --- Choosing Slack -----------------------------------------------------------------------------------------


def test_a_person_chooses_slack_per_kind_on_the_preferences_page_and_unsubscribing_keeps_it(
    chat, client, mentor
):
    client.force_login(mentor)
    url = reverse("checkins:preferences")
    page = client.get(url).content.decode()
    assert 'name="slack-pairing_accepted"' in page and 'name="slack-account"' not in page
    shown = outbox.notification_kinds_for(user=mentor)
    data = {kind: "on" for kind in shown} | {"slack-pairing_accepted": "on"}
    client.post(url, data)
    preference = NotificationPreference.objects.get(person=mentor.person, kind=Kind.PAIRING_ACCEPTED)
    assert preference.email and preference.slack
    assert not NotificationPreference.objects.filter(person=mentor.person, slack=True).exclude(
        kind=Kind.PAIRING_ACCEPTED
    )
    assert (
        'name="slack-pairing_accepted" id="slack-pairing_accepted" checked'
        in client.get(url).content.decode()
    )
    # The email's one-click unsubscribe turns email off and leaves Slack as chosen.
    token = outbox.unsubscribe_token(person_id=mentor.person.pk, kind=Kind.PAIRING_ACCEPTED)
    client.post(reverse("checkins:unsubscribe", args=[token]))
    preference.refresh_from_db()
    assert not preference.email and preference.slack
    chat.slack_users[mentor.person.email] = SLACK_ID
    _tell(mentor.person)
    _sweep()
    assert len(chat.posts) == 1 and mail.outbox == []
    assert _row(Channel.EMAIL).state == State.SKIPPED


def test_hrs_outbox_page_shows_the_channel_of_a_failed_row(chat, slack_mentor, client, hr_admin):
    del chat.slack_users[slack_mentor.email]
    _tell(slack_mentor)
    _sweep()
    client.force_login(hr_admin)
    page = client.get(reverse("checkins:operations")).content.decode()
    failed = page[page.index('id="failed"') : page.index('id="retrying"')]
    assert "<td>Slack</td>" in failed and "users_not_found" in failed


# --- A real worker ------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_on_redis_sends_an_at_once_message_to_slack_once(tmp_path, chat, slack_mentor):
    assert app.conf.broker_url.startswith("redis://"), "run with REDIS_URL: this test is about the broker"
    app.control.purge()
    env = {
        "DATABASE_URL": database_url_of_test_db(),
        "SLACK_BOT_TOKEN": chat.token,
        "SLACK_API_URL": chat.slack_url,
        "SITE_URL": SITE,
        "EMAIL_HOST": "",
    }
    try:
        with celery_worker(env, log_path=tmp_path / "worker.log"):
            ids = _tell(slack_mentor, at_once=True)  # committed: handed to the worker at once
            wait_for(
                lambda: Notification.objects.filter(pk__in=ids, state=State.SENT).count() == 2,
                timeout=30,
                what="the email and Slack rows to be sent",
            )
            from profiles.tasks import send_notifications  # noqa: PLC0415

            send_notifications.delay(ids)  # the hand-over delivered twice: nothing more goes
            log = tmp_path / "worker.log"
            wait_for(lambda: log.read_text().count("succeeded") >= 2, timeout=30, what="the second hand-over")
        assert len(chat.posts) == 1
    finally:
        app.control.purge()
