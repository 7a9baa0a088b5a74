"""Privacy rights: the personal-data registry covers every model that links to a person, a person downloads
their own data (never their partner's private text), HR erases a person, and old notes are purged."""

import json
import re
from datetime import datetime, timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.urls import reverse
from django.utils import timezone

from checkins import services as checkin_services
from checkins.models import Action, CheckIn, Concern, Meeting, Reflection
from checkins.tasks import notes_retention_purge
from common import personal_data
from pairings import services as pairing_services
from pairings.models import Goal, MentorRequest, Pairing
from profiles import services as profile_services
from profiles.models import (
    Invitation,
    Notification,
    NotificationPreference,
    Person,
    PersonHistory,
    Profile,
    User,
)
from programs import services as program_services
from programs.models import Enrollment, Program, SurveyAnswer, SurveyResponse
from tests.factories import EnrollmentFactory, PersonFactory, ProgramFactory
from tests.helpers import PERSONAS

pytestmark = pytest.mark.django_db

OUR_APPS = ("profiles", "programs", "pairings", "checkins", "common", "mentoring")


# --- Helpers ----------------------------------------------------------------------------------------------


def _reflection(tag: str, rating: int):
    return checkin_services.ReflectionInput(
        learned=f"LEARNED-{tag}",
        change_next_time=f"CHANGE-{tag}",
        rating=rating,
        private_notes=f"PRIVATE-{tag}",
    )


def _log(pairing, person, tag, *, days_ago=1, rating=3):
    return checkin_services.checkin_log(
        pairing=pairing,
        person=person,
        happened_on=timezone.localdate() - timedelta(days=days_ago),
        duration_minutes=45,
        meeting_format="video",
        themes=[],
        shared_notes=f"SHARED-{tag}",
        reflection=_reflection(tag, rating),
    )


def _goal(pairing, person, side, tag):
    return pairing_services.goal_save(
        pairing=pairing,
        person=person,
        goal=None,
        owner_side=side,
        title=f"GOAL-{tag}",
        description=f"GOALTEXT-{tag}",
        target_date=timezone.localdate() + timedelta(days=60),
    )


SNAPSHOT_MODELS = (
    User,
    Person,
    PersonHistory,
    Profile,
    Invitation,
    Notification,
    NotificationPreference,
    Enrollment,
    SurveyResponse,
    SurveyAnswer,
    Pairing,
    Goal,
    MentorRequest,
    Meeting,
    CheckIn,
    Reflection,
    Action,
    Concern,
    EmailAddress,
)


def _snapshot() -> dict:
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in SNAPSHOT_MODELS}


@pytest.fixture
def pair_history(active_pairing, mentor, mentee, hr_admin):
    """Both sides have written: check-ins logged by each side with both reflections, goals on both sides,
    a "you said, we did", a concern the mentee raised (with HR's notes), the mentee's profile, a meeting
    the mentee planned (its message to the mentor names the mentee)."""
    by_mentor = _log(active_pairing, mentor.person, "mentor", days_ago=2, rating=2)
    checkin_services.reflection_add(
        checkin=by_mentor, person=mentee.person, reflection=_reflection("mentee", 5)
    )
    by_mentee = _log(active_pairing, mentee.person, "mentee-logged", days_ago=1, rating=4)
    checkin_services.reflection_add(
        checkin=by_mentee, person=mentor.person, reflection=_reflection("mentor-added", 3)
    )
    _goal(active_pairing, mentor.person, "mentor", "mentor")
    _goal(active_pairing, mentee.person, "mentee", "mentee")
    checkin_services.action_record(
        pairing=active_pairing,
        person=mentee.person,
        kind="tool",
        title="ACTION-mentee",
        description="ACTIONTEXT-mentee",
        shareable=True,
    )
    concern = checkin_services.concern_raise(
        pairing=active_pairing, person=mentee.person, kind="concern", text="CONCERN-mentee"
    )
    checkin_services.concern_update(concern=concern, user=hr_admin, status="in_progress", hr_notes="HRNOTE-x")
    profile_services.profile_save(
        person=mentee.person,
        about="ABOUT-mentee",
        pronouns="she/her",
        languages="English",
        preferred_format="",
    )
    checkin_services.meeting_plan(
        pairing=active_pairing,
        person=mentee.person,
        starts_at=timezone.now() + timedelta(days=3),
        duration_minutes=45,
        meeting_format="video",
    )
    return active_pairing


@pytest.fixture
def ended_pair_history(pair_history, hr_admin):
    return pairing_services.pairing_end(pairing=pair_history, user=hr_admin, reason="HRREASON-x")


def _download(client, user) -> dict:
    client.force_login(user)
    response = client.get(reverse("profiles:my_data"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="twoway-my-data-')
    assert "no-store" in response["Cache-Control"]
    return json.loads(response.content)


# --- (a) The registry covers every model linked to a person or a login -----------------------------------


def _person_links():
    """Every (model, field) of our apps with a ForeignKey or OneToOne straight to Person or User."""
    for model in apps.get_models():
        if model._meta.app_label not in OUR_APPS:
            continue
        for field in model._meta.get_fields():
            if (
                field.concrete
                and (field.many_to_one or field.one_to_one)
                and field.related_model in (Person, User)
            ):
                yield model, field


def test_the_link_finder_sees_the_links_we_know_of():
    found = {f"{model._meta.label}.{field.name}" for model, field in _person_links()}
    assert {"checkins.Reflection.author", "programs.Enrollment.person", "profiles.Person.user"} <= found


def test_every_model_linked_to_a_person_is_exported_or_deliberately_excluded():
    covered = personal_data.covered_links()
    excluded = personal_data.exclusions()
    missing = sorted({model._meta.label for model, _field in _person_links()} - set(covered) - set(excluded))
    assert not missing, (
        f"{missing} link to a person or a login but are in no personal-data section and not excluded: "
        "register them in their app's personal_data.py (common.personal_data.register or exclude)."
    )


def test_every_link_of_a_covered_model_is_followed_or_deliberately_excluded():
    covered = personal_data.covered_links()
    excluded = personal_data.exclusions()
    missing = sorted(
        f"{model._meta.label}.{field.name}"
        for model, field in _person_links()
        if model._meta.label not in excluded
        and field.name not in covered.get(model._meta.label, set())
        and f"{model._meta.label}.{field.name}" not in excluded
    )
    assert not missing, f"{missing}: say in the section's covers which links it follows, or exclude them"


def test_every_label_in_the_registry_names_a_real_model_or_field():
    labels = [(label, links) for label, links in personal_data.covered_links().items()]
    labels += [(label, ()) for label in personal_data.exclusions()]
    for label, links in labels:
        app_label, model_name, *field_name = label.split(".")
        model = apps.get_model(app_label, model_name)  # LookupError names a stale label
        for name in [*field_name, *links]:
            try:
                model._meta.get_field(name)
            except FieldDoesNotExist:
                pytest.fail(f"{label}: no field {name}")
    for exclusion in personal_data.exclusions().values():
        assert str(exclusion.reason).strip(), f"{exclusion.label} is excluded without a reason"


# --- (b) Download my data --------------------------------------------------------------------------------


def test_my_data_holds_my_own_private_notes_and_never_my_partners(client, pair_history, mentor, mentee):
    data = _download(client, mentor)
    text = json.dumps(data)
    assert data["format"] == "twoway-personal-data" and data["person_id"] == mentor.person.pk
    for mine in ("PRIVATE-mentor", "LEARNED-mentor", "CHANGE-mentor", "PRIVATE-mentor-added", "GOAL-mentor"):
        assert mine in text
    # The pair's shared notes and goals, whichever side wrote them; the partner's name as the app shows it.
    for shared in ("SHARED-mentor", "SHARED-mentee-logged", "GOAL-mentee", mentee.person.full_name):
        assert shared in text
    # Never the partner's reflections, private notes, concern, profile, or HR's own notes.
    for theirs in (
        "PRIVATE-mentee",
        "LEARNED-mentee",
        "CHANGE-mentee",
        "CONCERN-mentee",
        "ABOUT-mentee",
        "HRNOTE",
    ):
        assert theirs not in text
    # The senior records "you said, we did": not the mentor's.
    assert "ACTION-mentee" not in text
    pairing = data["sections"]["pairings"]["pairings"][0]
    assert pairing["partner"] == mentee.person.full_name and pairing["status"] == "Active"
    checkins = data["sections"]["checkins"][0]["checkins"]
    assert [c["your_reflection"]["rating"] for c in checkins] == [2, 3]


def test_my_data_holds_what_i_raised_and_recorded_but_not_hrs_notes(client, pair_history, mentee):
    data = _download(client, mentee)
    text = json.dumps(data)
    for mine in ("PRIVATE-mentee", "CONCERN-mentee", "ACTION-mentee", "ACTIONTEXT-mentee", "ABOUT-mentee"):
        assert mine in text
    for theirs in ("PRIVATE-mentor", "LEARNED-mentor", "HRNOTE"):
        assert theirs not in text
    sections = data["sections"]
    assert sections["login"]["email"] == mentee.email
    assert sections["directory"]["level"] == mentee.person.level
    assert sections["concerns"][0]["status"] == "In progress"
    assert {row["label"] for row in data["not_included"]} >= {"checkins.Concern.hr_notes"}
    # The message the mentee's meeting sent went to the mentor, not to them.
    assert all(m["kind"] != "A check-in was planned" for m in sections["notifications"]["messages"])


def test_my_data_never_writes_a_secret_link_into_the_file(client, mentee):
    Notification.objects.create(
        recipient=mentee.person,
        kind=Notification.Kind.ACCOUNT,
        subject="account",
        period="reset",
        title="Reset your password",
        body="https://example.test/reset/SECRET-TOKEN/",
        link="https://example.test/reset/SECRET-TOKEN/",
        why="You asked.",
        due_at=timezone.now(),
    )
    data = _download(client, mentee)
    assert "SECRET-TOKEN" not in json.dumps(data)
    assert data["sections"]["notifications"]["messages"][0]["title"] == "Reset your password"


@pytest.mark.parametrize("persona", PERSONAS)
def test_everyone_in_the_directory_downloads_their_own_data_only(client, request, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    response = client.get(reverse("profiles:my_data"))
    if persona == "outsider":  # a login with no directory entry
        assert response.status_code == 403
        return
    assert response.status_code == 200
    assert json.loads(response.content)["sections"]["login"]["email"] == user.email


def test_anonymous_visitors_go_to_login_for_my_data(client):
    response = client.get(reverse("profiles:my_data"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_account_page_links_to_my_data(client, mentee):
    client.force_login(mentee)
    assert reverse("profiles:my_data") in client.get(reverse("profiles:account")).content.decode()


# --- (c) Erase -------------------------------------------------------------------------------------------


def _erase(client, person, confirmation):
    return client.post(reverse("profiles:erase", args=[person.pk]), {"confirmation": confirmation})


def test_hr_erases_a_person_texts_go_and_what_others_need_stays(
    client, ended_pair_history, hr_admin, mentor, mentee
):
    pairing = ended_pair_history
    person = mentee.person
    old_name = person.full_name
    mentee_client = type(client)()
    mentee_client.force_login(mentee)
    assert mentee_client.get(reverse("profiles:account")).status_code == 200
    assert Notification.objects.filter(recipient=mentor.person, title__contains=old_name).exists()
    checkins_before = CheckIn.objects.filter(pairing=pairing).count()

    client.force_login(hr_admin)
    assert client.get(reverse("profiles:erase", args=[person.pk])).status_code == 200
    response = _erase(client, person, "ERASE")
    assert response.status_code == 302 and response["Location"] == reverse(
        "profiles:person", args=[person.pk]
    )

    person.refresh_from_db()
    assert person.full_name == f"Erased person #{person.pk}"
    assert person.email == f"erased-{person.pk}@erased.invalid"
    assert (person.job_title, person.location, person.employee_id, person.manager_id) == ("", "", "", None)
    assert not person.is_active
    assert (person.department, person.level) == ("Finance", 8)  # the aggregates' dimensions stay
    user = User.objects.get(pk=mentee.pk)
    assert not user.is_active and not user.has_usable_password() and user.email == person.email
    assert not EmailAddress.objects.filter(user=user).exists()
    # Signed out everywhere.
    response = mentee_client.get(reverse("profiles:account"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    # Their words are gone; the ratings, rows and dates stay.
    theirs = Reflection.objects.filter(author=person)
    assert theirs.count() == 2
    assert set(theirs.values_list("learned", "change_next_time", "private_notes")) == {("", "", "")}
    assert sorted(theirs.values_list("rating", flat=True)) == [4, 5]
    assert CheckIn.objects.get(pairing=pairing, logged_by_side="mentee").shared_notes == ""
    concern = Concern.objects.get(raised_by=person)
    assert (concern.text, concern.hr_notes, concern.status) == ("", "", "in_progress")
    assert Goal.objects.get(pairing=pairing, owner_side="mentee").title == "(erased)"
    action = Action.objects.get(pairing=pairing)
    assert (action.title, action.description, action.shareable, action.kind) == (
        "(erased)",
        "",
        False,
        "tool",
    )
    assert not Profile.objects.filter(person=person).exists()
    assert not Notification.objects.filter(recipient=person).exists()
    assert not Notification.objects.filter(title__contains=old_name).exists()
    assert not Notification.objects.filter(body__contains=old_name).exists()
    introduction = Notification.objects.get(recipient=mentor.person, kind="pairing_proposed")
    assert f"you will mentor {person.full_name}, and learn" in introduction.body  # no "(Analyst)" either

    # The partner's own record is untouched, and the pair still exists with its dates and status.
    assert Reflection.objects.get(author=mentor.person, checkin__logged_by_side="mentor").private_notes == (
        "PRIVATE-mentor"
    )
    assert CheckIn.objects.get(pairing=pairing, logged_by_side="mentor").shared_notes == "SHARED-mentor"
    assert Goal.objects.get(pairing=pairing, owner_side="mentor").title == "GOAL-mentor"
    pairing.refresh_from_db()
    assert pairing.status == "ended" and pairing.ended_at is not None and pairing.activated_at is not None
    assert pairing.closing_reason == "HRREASON-x"  # HR's reason, not the erased person's
    assert CheckIn.objects.filter(pairing=pairing).count() == checkins_before
    assert Notification.objects.filter(recipient=mentor.person).exists()


def test_erasing_twice_changes_nothing_the_second_time(ended_pair_history, hr_admin, mentee):
    personal_data.personal_data_erase(person=mentee.person, actor=hr_admin)
    before = _snapshot()
    changed = personal_data.personal_data_erase(
        person=Person.objects.get(pk=mentee.person.pk), actor=hr_admin
    )
    assert set(changed.values()) == {0}
    assert _snapshot() == before


def test_a_wrong_confirmation_changes_nothing(client, ended_pair_history, hr_admin, mentee):
    client.force_login(hr_admin)
    before = _snapshot()
    for typed in ("", "erase", "Erase", "someone.else@example.com", mentee.person.full_name):
        response = _erase(client, mentee.person, typed)
        assert response.status_code == 200
        assert _snapshot() == before
    assert "nothing was erased" in _erase(client, mentee.person, "nope").content.decode()


def test_the_persons_email_in_any_case_confirms(client, ended_pair_history, hr_admin, mentee):
    client.force_login(hr_admin)
    assert _erase(client, mentee.person, f"  {mentee.person.email.upper()} ").status_code == 302
    assert not Person.objects.get(pk=mentee.person.pk).is_active


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "hr_admin"])
def test_only_hr_admins_can_erase_and_a_refused_try_changes_nothing(
    client, request, persona, ended_pair_history, mentee
):
    client.force_login(request.getfixturevalue(persona))
    before = _snapshot()
    assert client.get(reverse("profiles:erase", args=[mentee.person.pk])).status_code == 403
    assert _erase(client, mentee.person, "ERASE").status_code == 403
    assert _snapshot() == before


def test_anonymous_visitors_cannot_erase(client, ended_pair_history, mentee):
    before = _snapshot()
    response = _erase(client, mentee.person, "ERASE")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert _snapshot() == before


def test_a_person_in_a_live_pairing_is_not_erased(client, pair_history, hr_admin, mentee):
    client.force_login(hr_admin)
    before = _snapshot()
    page = client.get(reverse("profiles:erase", args=[mentee.person.pk])).content.decode()
    assert "end it first" in page
    response = _erase(client, mentee.person, "ERASE")
    assert response.status_code == 200 and "end it first" in response.content.decode()
    assert _snapshot() == before
    with pytest.raises(ValidationError, match="live pairing"):
        personal_data.personal_data_erase(person=mentee.person, actor=hr_admin)
    assert _snapshot() == before


def test_hr_cannot_erase_their_own_entry(hr_admin):
    before = _snapshot()
    with pytest.raises(ValidationError, match="your own entry"):
        personal_data.personal_data_erase(person=hr_admin.person, actor=hr_admin)
    assert _snapshot() == before


def test_erasing_withdraws_enrollments_still_in_play_and_blanks_their_answers(
    matching_program, hr_admin, mentor
):
    enrollment = matching_program.enrollments.get(person=mentor.person)
    personal_data.personal_data_erase(person=mentor.person, actor=hr_admin)
    enrollment.refresh_from_db()
    assert enrollment.status == "withdrawn"
    assert (enrollment.hopes, enrollment.languages, enrollment.availability) == ("", "", [])


def test_erasing_keeps_survey_numbers_and_drops_their_comments(ended_pair_history, hr_admin, mentee):
    program = ended_pair_history.program
    program_services.program_transition(program=program, to_state="running")  # its surveys come with it
    survey = program.surveys.first()
    response = SurveyResponse.objects.create(survey=survey, person=mentee.person, side="mentee")
    rating = survey.questions.get(kind="rating_1_5", is_standard=True)
    comment = survey.questions.get(kind="text", is_standard=True)
    SurveyAnswer.objects.create(response=response, question=rating, value_int=4)
    SurveyAnswer.objects.create(response=response, question=comment, value_text="COMMENT-mentee")
    personal_data.personal_data_erase(person=mentee.person, actor=hr_admin)
    answers = dict(SurveyAnswer.objects.filter(response=response).values_list("question__kind", "value_text"))
    assert answers == {"rating_1_5": "", "text": ""}
    assert SurveyAnswer.objects.get(response=response, question=rating).value_int == 4


def test_the_person_page_links_to_the_erase_page(client, hr_admin, mentee):
    client.force_login(hr_admin)
    page = client.get(reverse("profiles:person", args=[mentee.person.pk])).content.decode()
    assert reverse("profiles:erase", args=[mentee.person.pk]) in page


def test_an_erased_entry_says_so_and_offers_no_second_erase(client, ended_pair_history, hr_admin, mentee):
    personal_data.personal_data_erase(person=mentee.person, actor=hr_admin)
    client.force_login(hr_admin)
    page = client.get(reverse("profiles:erase", args=[mentee.person.pk])).content.decode()
    assert "already been erased" in page and 'name="confirmation"' not in page


# --- (d) Retention ---------------------------------------------------------------------------------------


def _pair_in_new_program(hr_admin, name):
    program = ProgramFactory(actor=hr_admin, name=name)
    junior = PersonFactory(level=2, department="Marketing")
    senior = PersonFactory(level=8, department="Finance")
    mentor_e = EnrollmentFactory(program=program, person=junior, role="mentor", status="approved")
    mentee_e = EnrollmentFactory(program=program, person=senior, role="mentee", status="approved")
    program = program_services.program_transition(program=program, to_state="matching")
    pairing = pairing_services.pairing_create_manual(
        program=program, mentor=mentor_e, mentee=mentee_e, actor=hr_admin
    )
    pairing_services.pairing_accept(pairing=pairing, person=junior)
    pairing = pairing_services.pairing_accept(pairing=pairing, person=senior)
    _write_notes(pairing, junior, senior, name)
    return pairing


def _write_notes(pairing, junior, senior, tag):
    checkin = _log(pairing, junior, f"{tag}-junior", days_ago=0, rating=2)
    checkin_services.reflection_add(
        checkin=checkin, person=senior, reflection=_reflection(f"{tag}-senior", 5)
    )
    checkin_services.concern_raise(pairing=pairing, person=senior, kind="concern", text=f"CONCERN-{tag}")


def _close(program: Program) -> Program:
    program = program_services.program_transition(program=program, to_state="running")
    # A program closes once it has started: its start is moved into the past first.
    Program.objects.filter(pk=program.pk).update(starts_on=timezone.localdate() - timedelta(days=600))
    return program_services.program_transition(program=program, to_state="closed")


def _texts(program: Program) -> list[str]:
    rows = list(CheckIn.objects.filter(pairing__program=program).values_list("shared_notes", flat=True))
    for reflection in Reflection.objects.filter(checkin__pairing__program=program):
        rows += [reflection.learned, reflection.change_next_time, reflection.private_notes]
    return rows + list(Concern.objects.filter(pairing__program=program).values_list("text", flat=True))


@pytest.fixture
def programs_of_every_age(hr_admin, active_pairing, mentor, mentee):
    """One program closed 13 months ago, one closed today (though its end date is long past), one still
    running with an end date long past: each with a check-in, both reflections and a concern."""
    today = timezone.localdate()
    _write_notes(active_pairing, mentor.person, mentee.person, "old")
    old = _close(active_pairing.program)
    Program.objects.filter(pk=old.pk).update(
        updated_at=timezone.now() - timedelta(days=400),
        starts_on=today - timedelta(days=600),
        ends_on=today - timedelta(days=400),
    )
    recent = _close(_pair_in_new_program(hr_admin, "recent").program)
    running = program_services.program_transition(
        program=_pair_in_new_program(hr_admin, "running").program, to_state="running"
    )
    for program in (recent, running):
        Program.objects.filter(pk=program.pk).update(
            starts_on=today - timedelta(days=600), ends_on=today - timedelta(days=400)
        )
    return old, recent, running


def test_retention_purges_old_closed_programs_notes_only_and_twice_is_once(settings, programs_of_every_age):
    settings.NOTES_RETENTION_MONTHS = 12
    old, recent, running = programs_of_every_age
    kept = {program.pk: _texts(program) for program in (recent, running)}
    assert all(kept.values())
    ratings = sorted(
        Reflection.objects.filter(checkin__pairing__program=old).values_list("rating", flat=True)
    )

    purged = notes_retention_purge()
    assert purged == {"checkins": 1 + 2, "concerns": 1, "form_tokens_forgotten": 0}

    assert set(_texts(old)) == {""}
    assert (
        sorted(Reflection.objects.filter(checkin__pairing__program=old).values_list("rating", flat=True))
        == ratings
    )
    assert CheckIn.objects.filter(pairing__program=old).count() == 1
    concern = Concern.objects.get(pairing__program=old)
    assert concern.status == "open" and concern.created_at is not None
    for program in (recent, running):
        assert _texts(program) == kept[program.pk]

    before = _snapshot()
    assert notes_retention_purge() == {"checkins": 0, "concerns": 0, "form_tokens_forgotten": 0}
    assert _snapshot() == before


def test_a_longer_retention_keeps_the_old_program_too(settings, programs_of_every_age):
    settings.NOTES_RETENTION_MONTHS = 14
    old, _recent, _running = programs_of_every_age
    assert notes_retention_purge() == {"checkins": 0, "concerns": 0, "form_tokens_forgotten": 0}
    assert "" not in _texts(old)


def test_the_purge_is_batched(active_pairing, mentor):
    for days_ago in range(5):
        _log(active_pairing, mentor.person, f"batch{days_ago}", days_ago=days_ago)
    queryset = CheckIn.objects.exclude(shared_notes="")
    assert personal_data.update_in_batches(queryset, values={"shared_notes": ""}, batch_size=2) == 5
    assert not queryset.exists()
    assert personal_data.update_in_batches(queryset, values={"shared_notes": ""}, batch_size=2) == 0


def test_the_retention_runs_once_a_day_from_the_tick():
    from checkins.tasks import retention_due

    assert retention_due()  # never run yet
    notes_retention_purge()
    assert not retention_due()
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        assert retention_due()


@pytest.mark.parametrize(
    ("now", "months", "expected"),
    [
        (datetime(2027, 3, 31, 5, tzinfo=timezone.UTC), 1, datetime(2027, 2, 28, 5, tzinfo=timezone.UTC)),
        (datetime(2028, 3, 31, 5, tzinfo=timezone.UTC), 1, datetime(2028, 2, 29, 5, tzinfo=timezone.UTC)),
        (datetime(2027, 1, 15, tzinfo=timezone.UTC), 12, datetime(2026, 1, 15, tzinfo=timezone.UTC)),
        (datetime(2027, 1, 15, tzinfo=timezone.UTC), 13, datetime(2025, 12, 15, tzinfo=timezone.UTC)),
    ],
)
def test_months_before(now, months, expected):
    assert personal_data.months_before(now, months) == expected


# --- (e) No birth date, age or generation, ever -----------------------------------------------------------

# Whole tokens of a field's name (split on underscores and camelCase), so "message", "page", "usage",
# "language", "stage", "percentage" or "manager" never match.
AGE_TOKEN = re.compile(r"^(birth\w*|dob|yob|ages?|aged|born|generations?|generational)$", re.IGNORECASE)


def _names_age(name: str) -> bool:
    tokens = re.split(r"_+|(?<=[a-z0-9])(?=[A-Z])", name)
    return any(AGE_TOKEN.match(token) for token in tokens if token)


@pytest.mark.parametrize(
    "name",
    [
        "birth_date",
        "date_of_birth",
        "birthday",
        "dob",
        "age",
        "mentee_age",
        "Generation",
        "born_on",
        "dateOfBirth",
    ],
)
def test_the_age_check_catches_an_age_field(name):
    assert _names_age(name)


@pytest.mark.parametrize(
    "name",
    [
        "message",
        "page",
        "usage",
        "language",
        "languages",
        "stage",
        "percentage",
        "manager",
        "agreement",
        "average",
    ],
)
def test_the_age_check_leaves_ordinary_words_alone(name):
    assert not _names_age(name)


def test_no_model_of_ours_has_a_birth_date_age_or_generation_field():
    offending = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        if model._meta.app_label in OUR_APPS
        for field in model._meta.get_fields()
        if (field.concrete or field.many_to_many)
        and not field.auto_created
        and (_names_age(field.name) or _names_age(getattr(field, "db_column", None) or ""))
    ]
    assert not offending, f"Reverse mentoring goes by career level, never by age: {offending}"
