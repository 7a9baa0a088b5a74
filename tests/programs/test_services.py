from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from programs import services
from programs.models import Enrollment, Program
from tests.factories import EnrollmentFactory, PersonFactory, ProgramFactory, UserFactory

pytestmark = pytest.mark.django_db


def _answers(program, **overrides):
    values = dict(
        role="mentor",
        topics=list(program.themes.all()[:2]),
        extra_topics="short video",
        hopes="Teach what I use every day; learn how decisions are made.",
        preferred_format="video",
        availability=["mon_am", "thu_pm"],
        languages="English, Spanish",
        acknowledged=list(program.acknowledgements.all()),
        voluntary=True,
    )
    values.update(overrides)
    return services.EnrollmentAnswers(**values)


def test_a_new_program_is_a_draft_with_default_themes_and_acknowledgements():
    hr = UserFactory(is_hr_admin=True)
    program = services.program_create(actor=hr, data={"name": "Pilot", "description": "Why."})
    assert program.state == Program.State.DRAFT
    assert program.cadence_days == 14  # biweekly by default
    assert [t.name for t in program.themes.all()] == [
        "New technology",
        "Marketing strategies",
        "Workplace culture",
        "Diversity and inclusion",
    ]
    assert program.acknowledgements.filter(kind="code_of_conduct").count() == 1
    assert program.acknowledgements.filter(kind="training").count() == 2


def test_enrollment_cannot_open_without_dates():
    program = services.program_create(
        actor=UserFactory(is_hr_admin=True), data={"name": "P", "description": "D"}
    )
    with pytest.raises(ValidationError, match="Before enrollment opens, set: starts on, ends on"):
        services.program_transition(program=program, to_state="enrolling")
    assert Program.objects.get(pk=program.pk).state == "draft"


@pytest.mark.parametrize(
    ("state", "to_state"), [("draft", "running"), ("draft", "closed"), ("enrolling", "closed")]
)
def test_illegal_transitions_are_refused(state, to_state):
    program = ProgramFactory(state=state)
    with pytest.raises(ValidationError, match="can't go from"):
        services.program_transition(program=program, to_state=to_state)
    assert Program.objects.get(pk=program.pk).state == state


def test_a_program_runs_only_with_approved_people():
    program = ProgramFactory(state="matching")
    with pytest.raises(ValidationError, match="needs approved participants"):
        services.program_transition(program=program, to_state="running")


def test_closed_is_final_and_read_only():
    program = ProgramFactory(state="closed")
    assert services.TRANSITIONS["closed"] == set()
    with pytest.raises(ValidationError):
        services.program_update(program=program, data={"name": "Renamed"})
    assert Program.objects.get(pk=program.pk).name != "Renamed"


def test_rules_are_locked_while_running_but_safe_fields_change():
    program = ProgramFactory(state="running")
    with pytest.raises(ValidationError) as refused:
        services.program_update(program=program, data={"min_level_gap": 4, "description": "New words"})
    assert "min_level_gap" in refused.value.error_dict
    program.refresh_from_db()
    assert program.min_level_gap == 2 and program.description != "New words"  # nothing half-saved
    services.program_update(program=program, data={"description": "New words", "target_satisfaction": 4})
    assert Program.objects.get(pk=program.pk).description == "New words"


def test_a_stale_edit_is_refused_and_says_why():
    program = ProgramFactory(state="draft")
    opened_at = program.updated_at
    services.program_update(program=program, data={"name": "First save"}, version=opened_at)
    with pytest.raises(ValidationError, match="Someone saved this program after you opened it"):
        services.program_update(program=program, data={"name": "Second save"}, version=opened_at)
    assert Program.objects.get(pk=program.pk).name == "First save"


def test_duplicate_copies_rules_and_themes_but_not_dates_or_people():
    program = ProgramFactory(state="enrolling", min_level_gap=3)
    EnrollmentFactory(program=program)
    copy = services.program_duplicate(program=program, actor=UserFactory(is_hr_admin=True))
    assert copy.state == "draft" and copy.min_level_gap == 3
    assert copy.starts_on is None and copy.enrollment_opens_on is None
    assert list(copy.themes.values_list("name", flat=True)) == list(
        program.themes.values_list("name", flat=True)
    )
    assert copy.acknowledgements.count() == program.acknowledgements.count()
    assert copy.enrollments.count() == 0


def test_only_closed_programs_are_archived():
    with pytest.raises(ValidationError):
        services.program_archive(program=ProgramFactory(state="running"))
    program = services.program_archive(program=ProgramFactory(state="closed"))
    assert program.is_archived
    with pytest.raises(ValidationError, match="archived"):
        services.program_transition(program=program, to_state="enrolling")


def test_a_discarded_draft_is_archived_but_one_with_enrollments_is_not():
    draft = services.program_archive(program=ProgramFactory(state="draft"))
    assert draft.is_archived
    assert services.program_archive(program=draft).archived_at == draft.archived_at  # twice: no change
    reopened = ProgramFactory(state="draft")
    EnrollmentFactory(program=reopened)  # people enrolled before HR moved it back to draft
    with pytest.raises(ValidationError, match="nobody has enrolled"):
        services.program_archive(program=reopened)
    assert not Program.objects.get(pk=reopened.pk).is_archived


def test_a_program_is_not_closed_before_it_starts():
    program = ProgramFactory(state="running")  # the factory's program starts in 30 days
    with pytest.raises(ValidationError, match="can be closed once it has started"):
        services.program_transition(program=program, to_state="closed")
    assert Program.objects.get(pk=program.pk).state == "running"
    Program.objects.filter(pk=program.pk).update(
        starts_on=timezone.localdate() - timedelta(days=1), ends_on=timezone.localdate() + timedelta(days=90)
    )
    assert services.program_transition(program=program, to_state="closed").state == "closed"


def test_enrollment_needs_every_acknowledgement_and_a_topic():
    program = ProgramFactory()
    person = PersonFactory()
    with pytest.raises(ValidationError) as refused:
        services.enrollment_create(
            program=program,
            person=person,
            answers=_answers(program, acknowledged=[], topics=[], extra_topics=""),
        )
    assert set(refused.value.error_dict) == {"acknowledged", "topics"}
    assert not Enrollment.objects.exists()


def test_enrollment_inside_the_window_once_per_program():
    program = ProgramFactory()
    person = PersonFactory()
    enrollment = services.enrollment_create(program=program, person=person, answers=_answers(program))
    assert enrollment.status == "pending"
    assert enrollment.topics.count() == 2 and enrollment.availability == ["mon_am", "thu_pm"]
    with pytest.raises(ValidationError, match="already enrolled"):
        services.enrollment_create(program=program, person=person, answers=_answers(program))


@pytest.mark.parametrize(
    "window",
    [
        {"enrollment_opens_on": 1, "enrollment_closes_on": 5},
        {"enrollment_opens_on": -10, "enrollment_closes_on": -1},
    ],
)
def test_no_enrollment_outside_the_window(window):
    today = timezone.localdate()
    program = ProgramFactory(**{k: today + timedelta(days=v) for k, v in window.items()})
    with pytest.raises(ValidationError, match="not open"):
        services.enrollment_create(program=program, person=PersonFactory(), answers=_answers(program))


def test_no_enrollment_in_a_draft_or_by_a_leaver():
    draft = ProgramFactory(state="draft")
    with pytest.raises(ValidationError, match="not open"):
        services.enrollment_create(program=draft, person=PersonFactory(), answers=_answers(draft))
    program = ProgramFactory()
    with pytest.raises(ValidationError, match="current employees"):
        services.enrollment_create(
            program=program, person=PersonFactory(is_active=False), answers=_answers(program)
        )


def test_hr_decides_and_a_decline_needs_a_reason():
    hr = UserFactory(is_hr_admin=True)
    enrollment = EnrollmentFactory()
    with pytest.raises(ValidationError) as refused:
        services.enrollment_decide(enrollment=enrollment, actor=hr, status="declined")
    assert "reason" in refused.value.error_dict
    enrollment = services.enrollment_decide(
        enrollment=enrollment, actor=hr, status="declined", reason="The cohort is full; next one in May."
    )
    assert enrollment.status == "declined" and enrollment.decided_by == hr
    enrollment = services.enrollment_decide(enrollment=enrollment, actor=hr, status="approved")
    assert enrollment.status == "approved" and enrollment.decision_reason == ""


def test_withdraw_before_matching_only():
    enrollment = EnrollmentFactory()
    assert services.enrollment_withdraw(enrollment=enrollment).status == "withdrawn"
    with pytest.raises(ValidationError, match="withdrawn"):
        services.enrollment_decide(
            enrollment=enrollment, actor=UserFactory(is_hr_admin=True), status="approved"
        )
    running = ProgramFactory(state="running")
    with pytest.raises(ValidationError, match="until matching is done"):
        services.enrollment_withdraw(enrollment=running.enrollments.first())


def test_themes_chosen_by_someone_stay():
    program = ProgramFactory()
    theme = program.themes.first()
    enrollment = EnrollmentFactory(program=program)
    enrollment.topics.add(theme)
    with pytest.raises(ValidationError, match="stays"):
        services.theme_delete(theme=theme)
    with pytest.raises(ValidationError, match="already has a theme"):
        services.theme_save(program=program, theme=None, name=theme.name.upper(), discussion_guide="")
    services.theme_save(program=program, theme=None, name="AI at work", discussion_guide="Which tools?")
    assert program.themes.filter(name="AI at work").exists()
