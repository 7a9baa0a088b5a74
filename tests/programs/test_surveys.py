"""Surveys: a mid-point and a closing survey per program.

Answers are private to HR; leaders see aggregates only and never a figure drawn from fewer than 5 people.
Who may answer: an approved enrollment in the program (programs can't look at pairings). A person who is
not an approved participant gets 404 on the answer page, like someone else's enrollment: survey ids reveal
nothing. A login without a directory entry gets 403 (person_required).
"""

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from programs import selectors, services
from programs.models import Survey, SurveyAnswer, SurveyQuestion, SurveyResponse
from tests.factories import EnrollmentFactory, PersonFactory
from tests.helpers import PERSONAS, count_queries

pytestmark = pytest.mark.django_db

Kind = SurveyQuestion.Kind


def _open_today(survey):
    today = timezone.localdate()
    Survey.objects.filter(pk=survey.pk).update(
        opens_on=today - timedelta(days=1), closes_on=today + timedelta(days=13)
    )
    survey.refresh_from_db()
    return survey


@pytest.fixture
def survey(matching_program):
    mid_point, _closing = services.survey_ensure_for_program(program=matching_program)
    return _open_today(mid_point)


def _standard(survey):
    return {q.kind: q for q in survey.questions.filter(is_standard=True)}


def _answers(survey, *, satisfaction=4, learned=True, recommend=9, text=""):
    questions = _standard(survey)
    return {
        questions[Kind.RATING_1_5].pk: satisfaction,
        questions[Kind.YES_NO].pk: learned,
        questions[Kind.SCALE_0_10].pk: recommend,
        questions[Kind.TEXT].pk: text,
    }


def _participant(program, role):
    return EnrollmentFactory(program=program, role=role, status="approved").person


def _respond_many(survey, role, rows):
    """rows: (satisfaction, learned, recommend, text) per new participant of that side."""
    for satisfaction, learned, recommend, text in rows:
        services.survey_respond(
            survey=survey,
            person=_participant(survey.program, role),
            answers=_answers(
                survey, satisfaction=satisfaction, learned=learned, recommend=recommend, text=text
            ),
        )


# --- Services -------------------------------------------------------------------------------------


def test_ensure_creates_both_surveys_with_four_standard_questions_and_is_idempotent(matching_program):
    program = matching_program
    first = services.survey_ensure_for_program(program=program)
    second = services.survey_ensure_for_program(program=program)
    assert [s.pk for s in first] == [s.pk for s in second]
    assert Survey.objects.filter(program=program).count() == 2
    half = timedelta(days=(program.ends_on - program.starts_on).days // 2)
    mid_point = Survey.objects.get(program=program, kind="mid_point")
    closing = Survey.objects.get(program=program, kind="closing")
    assert (mid_point.opens_on, mid_point.closes_on) == (
        program.starts_on + half,
        program.starts_on + half + timedelta(days=14),
    )
    assert (closing.opens_on, closing.closes_on) == (
        program.ends_on - timedelta(days=14),
        program.ends_on + timedelta(days=14),
    )
    for survey in (mid_point, closing):
        questions = list(survey.questions.all())
        assert [q.kind for q in questions] == ["rating_1_5", "yes_no", "scale_0_10", "text"]
        assert all(q.is_standard for q in questions)
    assert SurveyQuestion.objects.count() == 8


def test_ensure_needs_the_program_dates(hr_admin):
    program = services.program_create(actor=hr_admin, data={"name": "Pilot", "description": "Why."})
    with pytest.raises(ValidationError, match="start and end dates"):
        services.survey_ensure_for_program(program=program)
    assert not Survey.objects.exists()


def test_an_unanswered_survey_follows_a_moved_end_date(matching_program):
    program = matching_program
    services.survey_ensure_for_program(program=program)
    program.ends_on += timedelta(days=30)
    program.save()
    services.survey_ensure_for_program(program=program)
    closing = Survey.objects.get(program=program, kind="closing")
    assert closing.closes_on == program.ends_on + timedelta(days=14)


def test_a_participant_answers_once_and_their_side_comes_from_the_enrollment(survey, mentor):
    response = services.survey_respond(
        survey=survey, person=mentor.person, answers=_answers(survey, text="Great")
    )
    assert response.side == "mentor"
    assert response.answers.count() == 4
    with pytest.raises(ValidationError, match="already answered"):
        services.survey_respond(survey=survey, person=mentor.person, answers=_answers(survey))
    assert SurveyResponse.objects.count() == 1


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        (Kind.RATING_1_5, 0, "from 1 to 5"),
        (Kind.RATING_1_5, 6, "from 1 to 5"),
        (Kind.RATING_1_5, "4", "from 1 to 5"),
        (Kind.RATING_1_5, True, "from 1 to 5"),
        (Kind.RATING_1_5, None, "Please answer"),
        (Kind.SCALE_0_10, -1, "from 0 to 10"),
        (Kind.SCALE_0_10, 11, "from 0 to 10"),
        (Kind.SCALE_0_10, None, "Please answer"),
        (Kind.YES_NO, "yes", "yes or no"),
        (Kind.YES_NO, 1, "yes or no"),
        (Kind.YES_NO, None, "Please answer"),
        (Kind.TEXT, "x" * 2001, "under 2000"),
        (Kind.TEXT, 5, "as text"),
    ],
)
def test_each_answer_is_checked_at_its_field_and_nothing_is_saved(survey, mentor, kind, value, message):
    question = _standard(survey)[kind]
    answers = _answers(survey) | {question.pk: value}
    with pytest.raises(ValidationError) as caught:
        services.survey_respond(survey=survey, person=mentor.person, answers=answers)
    errors = caught.value.message_dict
    assert list(errors) == [services.survey_answer_field(question)]
    assert message in errors[services.survey_answer_field(question)][0]
    assert not SurveyResponse.objects.exists() and not SurveyAnswer.objects.exists()


def test_free_text_and_hrs_extra_questions_are_optional(survey, mentor):
    extra = services.survey_question_save(survey=survey, question=None, text="Which tool?", kind=Kind.TEXT)
    answers = _answers(survey)
    del answers[_standard(survey)[Kind.TEXT].pk]
    response = services.survey_respond(survey=survey, person=mentor.person, answers=answers)
    assert response.answers.count() == 3
    assert not response.answers.filter(question=extra).exists()


def test_answers_for_another_surveys_questions_are_refused(survey, mentor):
    other = Survey.objects.exclude(pk=survey.pk).get()
    stray = other.questions.first()
    with pytest.raises(ValidationError, match="not for this survey"):
        services.survey_respond(survey=survey, person=mentor.person, answers=_answers(survey) | {stray.pk: 3})


def test_answers_are_taken_only_while_the_survey_is_open(matching_program, mentor):
    survey, _closing = services.survey_ensure_for_program(program=matching_program)
    day_before = datetime.combine(
        survey.opens_on - timedelta(days=1), time(12), tzinfo=timezone.get_current_timezone()
    )
    with time_machine.travel(day_before):
        with pytest.raises(ValidationError, match="This survey is open from"):
            services.survey_respond(survey=survey, person=mentor.person, answers=_answers(survey))
    with time_machine.travel(day_before + timedelta(days=16)):  # the day after it closes
        with pytest.raises(ValidationError, match="This survey is open from"):
            services.survey_respond(survey=survey, person=mentor.person, answers=_answers(survey))
    assert not SurveyResponse.objects.exists()
    with time_machine.travel(day_before + timedelta(days=15)):  # its last day
        services.survey_respond(survey=survey, person=mentor.person, answers=_answers(survey))
    assert SurveyResponse.objects.count() == 1


@pytest.mark.parametrize("status", [None, "pending", "waitlisted", "declined", "withdrawn"])
def test_only_approved_participants_may_answer(survey, status):
    person = PersonFactory()
    if status:
        EnrollmentFactory(program=survey.program, person=person, status=status)
    with pytest.raises(ValidationError, match="Only the program's participants"):
        services.survey_respond(survey=survey, person=person, answers=_answers(survey))
    assert not SurveyResponse.objects.exists()


def test_hr_changes_extra_questions_until_the_first_response(survey, mentor):
    extra = services.survey_question_save(survey=survey, question=None, text="Which tool?", kind=Kind.TEXT)
    assert extra.position > max(q.position for q in survey.questions.filter(is_standard=True))
    extra = services.survey_question_save(
        survey=survey, question=extra, text="Which tools?", kind=Kind.YES_NO
    )
    assert (extra.text, extra.kind) == ("Which tools?", "yes_no")
    doomed = services.survey_question_save(survey=survey, question=None, text="Remove me", kind=Kind.TEXT)
    services.survey_question_delete(question=doomed)
    standard = _standard(survey)[Kind.RATING_1_5]
    with pytest.raises(ValidationError, match="standard questions can't be removed"):
        services.survey_question_delete(question=standard)
    with pytest.raises(ValidationError, match="standard questions can't be changed"):
        services.survey_question_save(survey=survey, question=standard, text="Changed", kind=Kind.TEXT)
    with pytest.raises(ValidationError) as caught:
        services.survey_question_save(survey=survey, question=None, text="  ", kind=Kind.TEXT)
    assert "text" in caught.value.message_dict

    services.survey_respond(survey=survey, person=mentor.person, answers=_answers(survey))
    with pytest.raises(ValidationError, match="questions are fixed"):
        services.survey_question_save(survey=survey, question=None, text="Late", kind=Kind.TEXT)
    with pytest.raises(ValidationError, match="questions are fixed"):
        services.survey_question_save(survey=survey, question=extra, text="Late", kind=Kind.TEXT)
    with pytest.raises(ValidationError, match="questions are fixed"):
        services.survey_question_delete(question=extra)
    assert survey.questions.count() == 5


def test_surveys_due_for_lists_open_surveys_not_yet_answered(survey, mentor, mentee, hr_admin):
    closing = Survey.objects.get(program=survey.program, kind="closing")  # not open yet
    assert list(selectors.surveys_due_for(person=mentor.person)) == [survey]
    assert list(selectors.surveys_due_for(person=hr_admin.person)) == []  # not enrolled
    services.survey_respond(survey=survey, person=mentor.person, answers=_answers(survey))
    assert list(selectors.surveys_due_for(person=mentor.person)) == []
    assert list(selectors.surveys_due_for(person=mentee.person)) == [survey]
    assert list(selectors.surveys_due_for(person=mentee.person, today=closing.opens_on)) == [closing]
    assert mentor.person not in selectors.survey_respondents_due(survey=survey)
    assert mentee.person in selectors.survey_respondents_due(survey=survey)


# --- Selectors ------------------------------------------------------------------------------------


def test_aggregates_on_known_data(survey):
    # Mentors: satisfaction 5,5,4,4,3,3 (mean 4.0); learned 4 of 6 (67%); recommend 10,9,8,7,6,0: 2 promoters,
    # 2 detractors (NPS 0). Mentees: satisfaction 5,4,4,4,2 (3.8); learned 5 of 5; recommend 10,10,9,9,3 (80 - 20 = 60).
    _respond_many(
        survey,
        "mentor",
        [
            (5, True, 10, ""),
            (5, True, 9, ""),
            (4, True, 8, ""),
            (4, True, 7, ""),
            (3, False, 6, ""),
            (3, False, 0, ""),
        ],
    )
    _respond_many(
        survey,
        "mentee",
        [(5, True, 10, ""), (4, True, 10, ""), (4, True, 9, ""), (4, True, 9, ""), (2, True, 3, "Too short")],
    )
    aggregates = selectors.survey_aggregates(survey=survey)
    overall = aggregates.overall
    assert overall.respondents.value == 11
    assert overall.satisfaction_mean.value == 3.9  # 43 / 11 = 3.909
    assert overall.learned_pct.value == 82  # 9 / 11
    assert overall.nps.value == 55 - 27  # 6 promoters (55%), 3 detractors (27%)
    mentors, mentees = aggregates.by_side["mentor"], aggregates.by_side["mentee"]
    assert (mentors.respondents.value, mentors.satisfaction_mean.value) == (6, 4.0)
    assert (mentors.learned_pct.value, mentors.nps.value) == (67, 0)
    assert (mentees.respondents.value, mentees.satisfaction_mean.value) == (5, 3.8)
    assert (mentees.learned_pct.value, mentees.nps.value) == (100, 60)
    assert all(f.shown for f in (*vars(overall).values(), *vars(mentees).values()))


def _all_figures(aggregates):
    return [aggregates.overall, *aggregates.by_side.values()]


def test_fewer_than_5_responses_show_no_figure_at_all(survey):
    _respond_many(survey, "mentor", [(5, True, 10, "")] * 2)
    _respond_many(survey, "mentee", [(1, False, 0, "")] * 2)
    aggregates = selectors.survey_aggregates(survey=survey)
    for figures in _all_figures(aggregates):
        for figure in vars(figures).values():
            assert figure.value is None and figure.hidden == "few"


@pytest.mark.parametrize(
    ("mentors", "mentees", "mentor_shown", "mentee_shown"),
    [
        (5, 0, True, False),  # no mentee at all: the mentor figures equal the overall ones
        (5, 2, False, False),  # overall minus mentors would give the 2 mentees away
        (6, 5, True, True),
        (4, 5, False, False),
    ],
)
def test_a_side_shows_only_with_5_answers_and_never_gives_the_other_away(
    survey, mentors, mentees, mentor_shown, mentee_shown
):
    _respond_many(survey, "mentor", [(4, True, 9, "")] * mentors)
    _respond_many(survey, "mentee", [(2, False, 3, "")] * mentees)
    aggregates = selectors.survey_aggregates(survey=survey)
    assert aggregates.overall.respondents.value == mentors + mentees
    for side, shown in (("mentor", mentor_shown), ("mentee", mentee_shown)):
        figures = aggregates.by_side[side]
        for figure in vars(figures).values():
            assert figure.shown is shown
            assert (figure.value is None) is not shown


def _close(survey) -> None:
    """The survey closed yesterday (answers are only taken while it is open, so they come first)."""
    today = timezone.localdate()
    Survey.objects.filter(pk=survey.pk).update(
        opens_on=min(survey.opens_on, today - timedelta(days=1)), closes_on=today - timedelta(days=1)
    )


def test_leaders_see_the_figures_once_the_survey_has_closed_and_hr_at_any_time(
    client, survey, leader, hr_admin
):
    _respond_many(survey, "mentor", [(4, True, 9, "")] * 5)
    url = reverse("programs:survey_summary", args=[survey.pk])
    client.force_login(leader)
    page = client.get(url).content.decode()
    assert "The figures appear here after the survey closes" in page and "<table" not in page
    client.force_login(hr_admin)
    page = client.get(url).content.decode()
    assert "<table" in page and "The figures appear here" not in page

    _close(survey)
    client.force_login(leader)
    page = client.get(url).content.decode()
    assert "<table" in page and "The figures appear here" not in page
    assert "4.0" in page  # the mentors' average satisfaction, from 5 answers


def test_leaders_never_get_free_text_but_hr_does(client, survey, leader, hr_admin):
    secret = "My mentor is brilliant but always late"
    _respond_many(survey, "mentor", [(4, True, 9, secret)] * 3)
    _respond_many(survey, "mentee", [(4, True, 9, "")] * 3)
    assert secret not in repr(selectors.survey_aggregates(survey=survey))
    _close(survey)
    client.force_login(leader)
    summary = client.get(reverse("programs:survey_summary", args=[survey.pk])).content.decode()
    assert secret not in summary
    assert "fewer than 5" in summary  # per side: 3 each
    client.force_login(hr_admin)
    page = client.get(reverse("programs:survey", args=[survey.program.pk, survey.pk])).content.decode()
    assert page.count(secret) == 3
    for response in SurveyResponse.objects.select_related("person"):
        assert response.person.full_name not in page


def test_results_for_hr_count_every_answer(survey):
    extra = services.survey_question_save(survey=survey, question=None, text="Weekly?", kind=Kind.YES_NO)
    _respond_many(survey, "mentor", [(5, True, 10, "a"), (3, False, 6, "")])
    services.survey_respond(
        survey=survey,
        person=_participant(survey.program, "mentee"),
        answers=_answers(survey, satisfaction=5, recommend=2, text="b") | {extra.pk: True},
    )
    results = selectors.survey_results(survey=survey)
    assert results.response_count == 3 and results.side_counts == {"mentor": 2, "mentee": 1}
    by_kind = {r.question.kind: r for r in results.questions if r.question.is_standard}
    rating = by_kind[Kind.RATING_1_5]
    assert [(b.value, b.count) for b in rating.buckets] == [(1, 0), (2, 0), (3, 1), (4, 0), (5, 2)]
    assert rating.mean == 4.3 and rating.answered == 3
    assert [b.count for b in by_kind[Kind.SCALE_0_10].buckets] == [0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]
    assert [(b.value, b.count, b.pct) for b in by_kind[Kind.YES_NO].buckets] == [
        (True, 2, 67),
        (False, 1, 33),
    ]
    assert [text for _side, text in by_kind[Kind.TEXT].texts] == ["a", "b"]
    extra_result = next(r for r in results.questions if r.question == extra)
    assert [(b.value, b.count) for b in extra_result.buckets] == [(True, 1), (False, 0)]


# --- Views ----------------------------------------------------------------------------------------


def _hr_urls(survey):
    program = survey.program
    extra = services.survey_question_save(survey=survey, question=None, text="Extra?", kind=Kind.TEXT)
    return [
        ("get", reverse("programs:surveys", args=[program.pk])),
        ("post", reverse("programs:surveys_create", args=[program.pk])),
        ("get", reverse("programs:survey", args=[program.pk, survey.pk])),
        ("get", reverse("programs:survey_question_add", args=[program.pk, survey.pk])),
        ("get", reverse("programs:survey_question_edit", args=[program.pk, survey.pk, extra.pk])),
        ("post", reverse("programs:survey_question_delete", args=[program.pk, survey.pk, extra.pk])),
    ]


@pytest.mark.parametrize("persona", PERSONAS)
def test_hr_survey_pages_are_for_hr_admins_only(client, request, persona, survey):
    client.force_login(request.getfixturevalue(persona))
    for method, url in _hr_urls(survey):
        response = getattr(client, method)(url)
        expected = {200, 302} if persona == "hr_admin" else {403}
        assert response.status_code in expected, url
    assert survey.questions.count() == (4 if persona == "hr_admin" else 5)  # only HR removed the extra one


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("mentor", 200),
        ("mentee", 200),
        ("other_participant", 200),  # approved in the same program
        ("hr_admin", 404),  # not a participant: the survey is "not found", as someone else's enrollment
        ("leader", 404),
        ("outsider", 403),  # no directory entry at all
    ],
)
def test_the_answer_page_is_for_approved_participants(client, request, persona, expected, survey):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("programs:survey_respond", args=[survey.pk])).status_code == expected


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("leader", 200),
        ("hr_admin", 200),
        ("mentor", 403),
        ("mentee", 403),
        ("other_participant", 403),
        ("outsider", 403),
    ],
)
def test_the_summary_is_for_leaders_and_hr(client, request, persona, expected, survey):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("programs:survey_summary", args=[survey.pk])).status_code == expected


def test_anonymous_visitors_go_to_login(client, survey):
    urls = _hr_urls(survey) + [
        ("get", reverse("programs:survey_respond", args=[survey.pk])),
        ("post", reverse("programs:survey_respond", args=[survey.pk])),
        ("get", reverse("programs:survey_summary", args=[survey.pk])),
    ]
    for method, url in urls:
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_answering_from_the_form_keeps_the_text_on_error_then_thanks(client, survey, mentee):
    client.force_login(mentee)
    url = reverse("programs:survey_respond", args=[survey.pk])
    page = client.get(url).content.decode()
    assert page.count("<fieldset") == 3 and page.count("<legend") == 3  # the three radio groups
    assert 'type="radio"' in page and "<textarea" in page
    response = client.post(url, {})  # nothing ticked: every required question says so
    assert response.content.decode().count("Please answer this question.") == 3
    questions = _standard(survey)
    field = services.survey_answer_field
    data = {
        field(questions[Kind.RATING_1_5]): "4",
        field(questions[Kind.SCALE_0_10]): "",  # missing
        field(questions[Kind.YES_NO]): "yes",
        field(questions[Kind.TEXT]): "Learned to ship small & often",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == [field(questions[Kind.SCALE_0_10])]
    html = response.content.decode()
    assert "Learned to ship small &amp; often" in html
    assert 'value="4" checked' in html
    assert not SurveyResponse.objects.exists()

    data[field(questions[Kind.SCALE_0_10])] = "10"
    response = client.post(url, data)
    assert response.status_code == 302 and response["Location"] == url
    answer = SurveyResponse.objects.get(person=mentee.person)
    assert answer.side == "mentee"
    assert answer.answers.get(question=questions[Kind.YES_NO]).value_bool is True
    page = client.get(url).content.decode()
    # No form in the page's main part (the footer has the language switch).
    assert "Thank you" in page and "<form" not in page.split('id="main"')[1].split("</main>")[0]
    assert "Learned to ship small" not in page
    assert client.post(url, data).status_code == 200
    assert SurveyResponse.objects.count() == 1


def test_the_answer_page_says_when_the_survey_opens(client, matching_program, mentor):
    survey, _closing = services.survey_ensure_for_program(program=matching_program)
    client.force_login(mentor)
    response = client.get(reverse("programs:survey_respond", args=[survey.pk]))
    assert response.status_code == 200 and response.context["form"] is None
    assert "This survey is open from" in response.content.decode()


def test_hr_creates_the_surveys_and_adds_a_question_from_the_pages(client, hr_admin, matching_program):
    client.force_login(hr_admin)
    response = client.post(reverse("programs:surveys_create", args=[matching_program.pk]), follow=True)
    assert "The mid-point and closing surveys are ready" in response.content.decode()
    survey = Survey.objects.get(program=matching_program, kind="mid_point")
    add = reverse("programs:survey_question_add", args=[matching_program.pk, survey.pk])
    assert client.post(add, {"text": "", "kind": "text"}).status_code == 200
    response = client.post(add, {"text": "Which tool did you try?", "kind": "text"})
    assert response["Location"] == reverse("programs:survey", args=[matching_program.pk, survey.pk])
    assert survey.questions.filter(is_standard=False).get().text == "Which tool did you try?"


def test_hr_survey_page_query_count_does_not_grow_with_responses(client, hr_admin, survey):
    client.force_login(hr_admin)
    url = reverse("programs:survey", args=[survey.program.pk, survey.pk])

    def count():
        with count_queries() as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    _respond_many(survey, "mentor", [(4, True, 9, "Good")] * 5)
    small = count()
    _respond_many(survey, "mentee", [(3, False, 5, "Fine")] * 45)
    assert count() == small
    assert "50 responses" in client.get(url).content.decode()
