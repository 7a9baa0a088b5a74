"""People hear about what happens to them: each event plans its message once, for the right people, shown
in the app (unless it is a login email) and emailed by the outbox's sweep, with the reason it was sent."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from checkins import services as checkin_services
from pairings import services as pairing_services
from pairings.models import MatchingSettings, MentorRequest, Pairing
from profiles.models import Notification
from programs import services as program_services
from tests.delivery import deliver
from tests.factories import EnrollmentFactory, ProgramFactory

pytestmark = pytest.mark.django_db

Kind = Notification.Kind


def _messages(kind, **filters):
    return list(Notification.objects.filter(kind=kind, **filters).select_related("recipient"))


def _to(kind) -> list[str]:
    return sorted(n.recipient.email if n.recipient else n.email for n in _messages(kind))


def test_an_enrollment_decision_reaches_the_person_with_the_reason(hr_admin, mentor):
    program = ProgramFactory(actor=hr_admin, state="enrolling")
    enrollment = EnrollmentFactory(program=program, person=mentor.person, role="mentor")
    program_services.enrollment_decide(
        enrollment=enrollment, actor=hr_admin, status="declined", reason="The cohort is full this time."
    )
    (message,) = _messages(Kind.ENROLLMENT_DECIDED)
    assert message.recipient == mentor.person and "The cohort is full this time." in message.body
    assert message.link == reverse("programs:my_enrollment", args=[enrollment.pk]) and message.why
    deliver()
    assert [m.to for m in mail.outbox] == [[mentor.person.email]]


def test_a_published_pairing_introduces_both_and_a_yes_tells_the_partner(published_pairing, mentor, mentee):
    assert _to(Kind.PAIRING_PROPOSED) == sorted([mentor.person.email, mentee.person.email])
    pairing_services.pairing_accept(pairing=published_pairing, person=mentor.person)
    pairing_services.pairing_accept(pairing=published_pairing, person=mentor.person)  # a double click
    (first,) = _messages(Kind.PAIRING_ACCEPTED)
    assert first.recipient == mentee.person and "said yes" in first.title
    pairing_services.pairing_accept(pairing=published_pairing, person=mentee.person)
    second = Notification.objects.get(kind=Kind.PAIRING_ACCEPTED, recipient=mentor.person)
    assert "you are paired" in second.title
    deliver()
    assert len(mail.outbox) == 4


def test_a_decline_tells_the_partner_but_never_the_reason(published_pairing, mentor, mentee):
    pairing_services.pairing_decline(
        pairing=published_pairing, person=mentee.person, reason="Too senior a clash"
    )
    (message,) = _messages(Kind.PAIRING_ENDED)
    assert message.recipient == mentor.person
    assert "Too senior a clash" not in message.title + message.body


def test_ending_tells_the_partner_and_withdraws_the_reminders_still_waiting(
    active_pairing, mentor, mentee, hr_admin
):
    Pairing.objects.filter(pk=active_pairing.pk).update(
        next_checkin_due=timezone.localdate() - timedelta(days=3)
    )
    checkin_services.notifications_plan()
    waiting = Notification.objects.filter(kind=Kind.CHECKIN_OVERDUE, state=Notification.State.PENDING)
    assert waiting.count() == 2
    pairing_services.pairing_end(pairing=active_pairing, user=mentor, reason="We are done, thank you")
    (message,) = _messages(Kind.PAIRING_ENDED)
    assert message.recipient == mentee.person and "thank you" not in message.body
    assert not Notification.objects.filter(
        kind=Kind.CHECKIN_OVERDUE, state=Notification.State.PENDING
    ).exists()


def test_hr_ending_a_pairing_tells_both(active_pairing, mentor, mentee, hr_admin):
    pairing_services.pairing_end(pairing=active_pairing, user=hr_admin, reason="")
    assert _to(Kind.PAIRING_ENDED) == sorted([mentor.person.email, mentee.person.email])


def test_an_agreement_change_asks_the_partner_once_a_day(active_pairing, mentor, mentee):
    data = {"cadence_days": 21, "meeting_format": "video", "confidentiality": "ours", "off_limits": ""}
    pairing_services.agreement_save(pairing=active_pairing, person=mentee.person, data=data)
    pairing_services.agreement_save(
        pairing=active_pairing, person=mentee.person, data=data | {"off_limits": "Pay"}
    )
    (message,) = _messages(Kind.AGREEMENT_CHANGED)
    assert message.recipient == mentor.person


def test_meetings_planned_moved_and_cancelled_reach_the_partner_in_their_own_time(
    active_pairing, mentor, mentee
):
    mentee.person.time_zone = "America/New_York"
    mentee.person.save()
    active_pairing = Pairing.objects.select_related("program", "mentor__person", "mentee__person").get(
        pk=active_pairing.pk
    )
    starts = (timezone.now() + timedelta(days=3)).replace(hour=14, minute=0, second=0, microsecond=0)
    meeting = checkin_services.meeting_plan(
        pairing=active_pairing,
        person=mentor.person,
        starts_at=starts,
        duration_minutes=30,
        meeting_format="video",
    )
    (planned,) = _messages(Kind.MEETING_PLANNED)
    assert planned.recipient == mentee.person and "America/New_York" in planned.body
    assert "10:00" in planned.body or "09:00" in planned.body  # 14:00 UTC, in New York's own hour
    checkin_services.meeting_cancel(
        meeting=meeting, person=mentee.person, new_starts_at=starts + timedelta(days=1)
    )
    (moved,) = _messages(Kind.MEETING_MOVED)
    assert moved.recipient == mentor.person
    checkin_services.meeting_cancel(meeting=meeting, person=mentor.person)
    (cancelled,) = _messages(Kind.MEETING_CANCELLED)
    assert cancelled.recipient == mentee.person


def test_a_new_concern_reaches_hr_at_once_without_its_words(
    active_pairing, mentor, hr_admin, django_capture_on_commit_callbacks, celery_eager
):
    with django_capture_on_commit_callbacks(execute=True):
        concern = checkin_services.concern_raise(
            pairing=active_pairing, person=mentor.person, kind="concern", text="My mentee talks over me"
        )
    (message,) = _messages(Kind.CONCERN_RAISED)
    assert message.recipient == hr_admin.person and message.state == Notification.State.SENT
    assert message.link == reverse("checkins:concern_handle", args=[concern.pk])
    assert "talks over me" not in message.title + message.body
    (email,) = [m for m in mail.outbox if m.to == [hr_admin.email]]
    assert "talks over me" not in email.body and mentor.person.full_name not in email.body


def _mentee_choice(program, mentor, mentee):
    """The program lets mentees choose; the persona mentor's and mentee's enrollments in it."""
    MatchingSettings.objects.create(program=program, mode=MatchingSettings.Mode.MENTEE_CHOICE)
    return program.enrollments.get(person=mentor.person), program.enrollments.get(person=mentee.person)


def test_a_mentee_request_and_the_answer(matching_program, mentor, mentee):
    junior, senior = _mentee_choice(matching_program, mentor, mentee)
    request = pairing_services.mentor_request_create(mentee=senior, mentor=junior)
    (asked,) = _messages(Kind.MENTOR_REQUESTED)
    assert asked.recipient == mentor.person and asked.link == reverse("pairings:requests")
    pairing_services.mentor_request_answer(request=request, person=mentor.person, accept=True)
    (answered,) = _messages(Kind.REQUEST_ANSWERED)
    assert answered.recipient == mentee.person and "said yes" in answered.title


def test_an_expired_request_tells_the_mentee_to_choose_again(matching_program, mentor, mentee):
    junior, senior = _mentee_choice(matching_program, mentor, mentee)
    request = pairing_services.mentor_request_create(mentee=senior, mentor=junior)
    MentorRequest.objects.filter(pk=request.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert pairing_services.mentor_requests_expire() == 1
    assert pairing_services.mentor_requests_expire() == 0
    (message,) = _messages(Kind.REQUEST_ANSWERED)
    assert message.recipient == mentee.person and "expired" in message.title
    assert message.link == reverse("pairings:choose", args=[senior.pk])


def test_a_password_reset_is_an_outbox_row_not_shown_in_the_app_and_its_link_is_wiped_once_sent(
    client, mentor
):
    client.post("/accounts/password/reset/", {"email": mentor.email})
    (row,) = _messages(Kind.ACCOUNT)
    assert row.recipient == mentor.person and not row.in_app and "/accounts/password/reset/key/" in row.body
    (email,) = [m for m in deliver() if m.to == [mentor.email]]
    assert "/accounts/password/reset/key/" in email.body
    row.refresh_from_db()
    assert row.state == Notification.State.SENT and row.body == ""
    client.force_login(mentor)
    assert row.title not in client.get(reverse("checkins:notifications")).content.decode()


def test_nothing_in_the_tree_sends_mail_but_the_outbox():
    """The one path: no module but the outbox's delivery opens a mail connection or builds an email."""
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[2]
    senders = re.compile(
        r"(?<!def )send_mail\(|EmailMessage\(|EmailMultiAlternatives\(|mailers\.|smtplib\.SMTP\(|\.send\(\)"
    )
    offenders = [
        str(path.relative_to(root))
        for app in ("common", "mentoring", "profiles", "programs", "pairings", "checkins")
        for path in (root / app).rglob("*.py")
        if senders.search(path.read_text())
        and path.relative_to(root).as_posix() != "profiles/outbox/delivery.py"
    ]
    assert offenders == [], offenders
