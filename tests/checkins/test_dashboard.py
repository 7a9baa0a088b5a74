"""The leaders' dashboards: every figure against a small company computed by hand, the small-group rule
(including through filters), who may see them, their CSV, their query count and the monthly report.

The company (built through the services, as people would):
- a running program "Reverse mentoring" with 6 pairs, active since 8 weeks ago, cadence 14 days;
  mentors are level-2 Marketing people (5 in London, 1 in Berlin), mentees level-7 Finance (5 London,
  1 Berlin); 2 Sales people were invited and did not enroll;
- pairs 1-5 held 2 check-ins each (20 and 6 days ago, 60 minutes): the mentor rated each 4, the mentee 5;
  pair 6 never met, so it is late (and at risk);
- each pair has a mentor goal (done at the first check-in, so in pairs 1-5) and a mentee goal (open);
- the mentees of pairs 1-3 moved a planned meeting once;
- the closing survey (closed yesterday): 5 mentors (satisfaction 5,5,4,4,2; learned 4 of 5; recommend
  10,9,9,8,3) and 3 mentees (3,3,3; 1 of 3; 5,6,10);
- every mentee recorded a change in "New technology" that helped; mentees 1 and 2 one more, in
  "Workplace culture", too early to tell;
- directory history from 400 days ago; 10 days ago 3 mentors were promoted and 1 left; of 10 level-2
  Marketing people who never took part, 1 was promoted and 3 left.
"""

import csv
import io
from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from checkins import services
from checkins.dashboard.figures import Filters, dashboard_for
from checkins.dashboard.rollup import DASHBOARD_HEARTBEAT, rollup_rebuild
from checkins.models import DashboardRollup
from checkins.selectors import heartbeat_last
from common.privacy import Hidden
from pairings import services as pairing_services
from pairings.models import Pairing
from profiles import outbox
from profiles.models import Notification, Person, PersonHistory
from profiles.services import directory_history_record
from programs import services as program_services
from programs.models import Survey
from tests.checkins.conftest import cancel_meeting, log_checkin, reflection
from tests.factories import EnrollmentFactory, PersonFactory, ProgramFactory, UserFactory
from tests.helpers import PERSONAS, count_queries

pytestmark = pytest.mark.django_db


def _person(email, level, department, location):
    user = UserFactory(email=email)
    return PersonFactory(email=email, user=user, level=level, department=department, location=location)


@pytest.fixture
def company(hr_admin):
    today = timezone.localdate()
    started = today - timedelta(days=56)
    program = ProgramFactory(
        actor=hr_admin,
        name="Reverse mentoring · Cohort 1",
        family="Reverse mentoring",
        starts_on=today - timedelta(days=60),
        ends_on=today + timedelta(days=7),
    )
    locations = ["London"] * 5 + ["Berlin"]
    mentors = [PersonFactory(level=2, department="Marketing", location=locations[i]) for i in range(6)]
    mentees = [PersonFactory(level=7, department="Finance", location=locations[i]) for i in range(6)]
    never = [
        PersonFactory(email=f"n{i}@acme.example", level=2, department="Marketing", location="London")
        for i in range(10)
    ]
    invited = [_person(f"sales{i}@acme.example", 5, "Sales", "London") for i in range(2)]
    directory_history_record(
        person_ids=list(Person.objects.values_list("pk", flat=True)),
        source=PersonHistory.Source.START,
        on=today - timedelta(days=400),
    )
    program_services.program_invite(program=program, actor=hr_admin, department="Sales")
    enrollments = [
        (
            EnrollmentFactory(program=program, person=mentor, role="mentor", status="approved"),
            EnrollmentFactory(program=program, person=mentee, role="mentee", status="approved"),
        )
        for mentor, mentee in zip(mentors, mentees, strict=True)
    ]
    program = program_services.program_transition(program=program, to_state="matching")
    pairings = []
    with time_machine.travel(datetime.combine(started, time(10), tzinfo=timezone.get_current_timezone())):
        for mentor_e, mentee_e in enrollments:
            pairing = pairing_services.pairing_create_manual(
                program=program, mentor=mentor_e, mentee=mentee_e, actor=hr_admin
            )
            pairing_services.pairing_accept(pairing=pairing, person=mentor_e.person)
            pairing = pairing_services.pairing_accept(pairing=pairing, person=mentee_e.person)
            for side in ("mentor", "mentee"):
                pairing_services.goal_save(
                    pairing=pairing,
                    person=mentor_e.person,
                    goal=None,
                    owner_side=side,
                    title=f"{side} goal",
                    description="",
                    target_date=today + timedelta(days=60),
                )
            pairings.append(pairing)
    program = program_services.program_transition(program=program, to_state="running")
    themes = {t.name: t for t in program.themes.all()}
    for index, pairing in enumerate(pairings[:5]):
        mentor, mentee = pairing.mentor.person, pairing.mentee.person
        mentor_goal = pairing.goals.get(owner_side="mentor")
        for number, days_ago in enumerate((20, 6)):
            checkin = log_checkin(
                pairing,
                mentor,
                happened_on=today - timedelta(days=days_ago),
                duration_minutes=60,
                reflection=reflection(rating=4),
                goal_updates=[services.GoalProgress(goal=mentor_goal, progress=100, status="done")]
                if number == 0
                else [],
            )
            services.reflection_add(checkin=checkin, person=mentee, reflection=reflection(rating=5))
        if index < 3:
            cancel_meeting(pairing, mentor, by=mentee, new_starts_at=timezone.now() + timedelta(days=5))
    for index, pairing in enumerate(pairings):
        services.action_record(
            pairing=pairing,
            person=pairing.mentee.person,
            kind="tool",
            title=f"Change {index}",
            theme=themes["New technology"],
            effect="helped",
            shareable=True,
        )
        if index < 2:
            services.action_record(
                pairing=pairing,
                person=pairing.mentee.person,
                kind="policy",
                title=f"Second change {index}",
                theme=themes["Workplace culture"],
                effect="too_early",
            )
    survey = program.surveys.get(kind="closing")
    questions = {q.kind: q for q in survey.questions.all()}
    answers = [
        (mentors[0], 5, True, 10),
        (mentors[1], 5, True, 9),
        (mentors[2], 4, True, 9),
        (mentors[3], 4, True, 8),
        (mentors[4], 2, False, 3),
        (mentees[0], 3, False, 5),
        (mentees[1], 3, False, 6),
        (mentees[2], 3, True, 10),
    ]
    for person, satisfaction, learned, recommend in answers:
        program_services.survey_respond(
            survey=survey,
            person=person,
            answers={
                questions["rating_1_5"].pk: satisfaction,
                questions["yes_no"].pk: learned,
                questions["scale_0_10"].pk: recommend,
            },
        )
    Survey.objects.filter(pk=survey.pk).update(closes_on=today - timedelta(days=1))
    changed = today - timedelta(days=10)
    Person.objects.filter(pk__in=[m.pk for m in mentors[:3]] + [never[0].pk]).update(level=3)
    Person.objects.filter(pk__in=[mentors[5].pk] + [n.pk for n in never[1:4]]).update(is_active=False)
    directory_history_record(
        person_ids=[m.pk for m in mentors] + [n.pk for n in never],
        source=PersonHistory.Source.IMPORT,
        on=changed,
    )
    rollup_rebuild()
    return {
        "program": program,
        "pairings": pairings,
        "mentors": mentors,
        "mentees": mentees,
        "invited": invited,
    }


def _values(table):
    """A table as {row label: [value or hidden marker, ...]} (what the page and the CSV show)."""
    out = {}
    for row, cells in table.cells():
        values = []
        for cell, _kind in cells:
            if hasattr(cell, "hidden"):
                values.append(cell.hidden.value if cell.hidden else cell.value)
            else:
                values.append(cell)
        out[row.label] = values
    return out


def test_every_figure_matches_the_hand_count(company):
    board = dashboard_for(filters=Filters())
    assert board.hidden == Hidden.NO
    tables = board.tables
    activity = _values(tables["activity"])
    assert activity["Match rate: approved people who were matched"][:3] == [100, 100, 100]
    assert activity["Active pairs now"][0] == 6
    assert activity["Check-in adherence: active pairs on cadence now"][0] == 83  # 5 of 6
    assert activity["Pairs at risk now"][0] == 1  # the pair that never met is late
    assert activity["Check-ins held"][0] == 10
    assert activity["Hours spent together"][0] == 10

    funnel = _values(tables["funnel"])
    assert funnel["Invited, or enrolled on their own"][0] == 14  # 12 enrolled + 2 invited
    assert funnel["Enrolled"] == [12, 6, 6]
    assert funnel["Approved"] == [12, 6, 6]
    assert funnel["Matched"] == [12, 6, 6]
    assert funnel["In a pair that began"] == [12, 6, 6]
    assert funnel["Completed the program"] == [None, None, None]  # nobody yet: empty, not hidden

    goals = _values(tables["goals"])
    assert goals["Goals set"][:3] == [12, 6, 6]
    assert goals["Goals completed"][:3] == [5, 5, 0]  # pair 6 never met; the mentees' goals are open
    assert goals["Completion (of goals not dropped)"][:3] == [42, 83, 0]

    reaction = _values(tables["reaction"])
    assert reaction["Check-in rating (1 to 5)"][:3] == [4.5, 4.0, 5.0]
    # 8 answers: shown for both sides; the 3 mentees are too few, and the mentors' figure would give
    # them away (both sides minus the mentors), so it is hidden too.
    assert reaction["Survey: satisfaction (1 to 5)"][:3] == [3.6, "derivable", "few"]  # 29 / 8
    assert reaction['Survey: "I use something I learned"'][:3] == [63, "derivable", "few"]  # 5 / 8
    assert reaction["Survey: recommend score (NPS, -100 to 100)"][:3] == [12, "derivable", "few"]  # 50 - 38

    themes = _values(tables["actions-theme"])
    assert themes["All themes"][:2] == [8, 6]
    assert themes["Workplace culture"][0] == "few"  # 2 seniors
    assert themes["New technology"][0] == "derivable"  # 8 minus it would be the 2 seniors' changes

    results = _values(tables["results"])
    assert results["Junior mentors"] == [6, 83, 50]  # 5 of 6 still here, 3 of 6 promoted
    assert results["Comparison: same levels and departments, never took part"] == [10, 70, 10]

    reliability = _values(tables["reliability"])
    assert reliability["Moved to another time"] == [3, 0, 3]
    assert reliability["Share of planned check-ins cancelled or moved"] == [23, 0, 23]  # 3 of 10 + 3

    # Every month with check-ins: 5 mentors rated 4, 5 mentees rated 5.
    rated = [values for values in _values(tables["trend-ratings"]).values() if values != [None, None]]
    assert rated and all(values == [4.0, 5.0] for values in rated)


def test_shared_changes_are_listed_without_names(company):
    board = dashboard_for(filters=Filters())
    lines = board.tables["shared-changes"].rows
    assert sorted(row.cells[2] for row in lines) == [f"Change {i}" for i in range(6)]  # the shared ones
    shown = repr(board.tables["shared-changes"].rows)
    for person in company["mentors"] + company["mentees"]:
        assert person.full_name not in shown


def test_the_page_names_nobody_and_shows_no_note_rating_or_concern(client, company, leader):
    pairing = company["pairings"][0]
    services.concern_raise(
        pairing=pairing, person=pairing.mentor.person, kind="concern", text="CONCERN-secret"
    )
    client.force_login(leader)
    page = client.get(reverse("dashboards:index")).content.decode()
    assert "Success dashboard" in page and "fewer than 5" in page
    for person in company["mentors"] + company["mentees"]:
        assert person.full_name not in page
    for secret in ("LEARNED-x", "PRIVATE-x", "CHANGE-x", "CONCERN-secret"):
        assert secret not in page


@pytest.mark.parametrize(
    ("filters", "hidden"),
    [
        (Filters(department="Marketing", location="Berlin"), Hidden.FEW),  # 1 person
        (Filters(location="Berlin"), Hidden.FEW),  # 2 people
        (Filters(location="London"), Hidden.DERIVABLE),  # 10 of 12: everyone minus London is 2 people
        (Filters(department="Marketing"), Hidden.NO),  # 6 of 12: the other 6 are enough
        (Filters(family="Reverse mentoring"), Hidden.NO),  # the same 12 people as "all programs"
    ],
)
def test_filters_that_narrow_to_a_small_group_show_no_figures(company, filters, hidden):
    board = dashboard_for(filters=filters)
    assert board.hidden == hidden
    assert (board.sections == []) is (hidden != Hidden.NO)


def test_a_filtered_view_shows_only_its_own_people(company):
    board = dashboard_for(filters=Filters(department="Marketing"))
    funnel = _values(board.tables["funnel"])
    # Marketing's people are the 6 mentors: the mentee side is empty, and the mentors' figures are theirs.
    assert funnel["Enrolled"] == [6, 6, None]
    reaction = _values(board.tables["reaction"])
    assert reaction["Check-in rating (1 to 5)"][:3] == [4.0, 4.0, None]
    assert reaction["Survey: satisfaction (1 to 5)"][:3] == [4.0, 4.0, None]  # the 5 mentors' 20 / 5


def test_the_page_says_when_filters_narrow_too_far(client, company, leader):
    client.force_login(leader)
    page = client.get(reverse("dashboards:index"), {"location": "Berlin"}).content.decode()
    assert "No figures for this choice of filters" in page and "Fewer than 5 people match" in page
    assert "<table" not in page


def test_a_filter_value_that_is_not_a_choice_is_refused_next_to_its_field(client, company, leader):
    client.force_login(leader)
    response = client.get(reverse("dashboards:index"), {"department": "Nowhere", "grain": "week"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "is-invalid" in page and "Select a valid choice" in page
    assert "Reach and activity" in page  # the other filters still apply


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_leaders_and_hr_see_the_dashboards(client, request, persona, company):
    client.force_login(request.getfixturevalue(persona))
    allowed = persona in {"leader", "hr_admin"}
    for url in (reverse("dashboards:index"), reverse("dashboards:export", args=["funnel"])):
        assert client.get(url).status_code == (200 if allowed else 403), url
    page = client.get(reverse("home")).content.decode()
    assert (reverse("dashboards:index") in page) is allowed


@pytest.mark.parametrize("persona", PERSONAS)
def test_pair_health_csv_is_for_hr_only(client, request, persona, company):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("checkins:pair_health_csv"))
    assert response.status_code == (200 if persona == "hr_admin" else 403)


def test_hr_also_keeps_pair_level_health_and_leaders_do_not(client, company, hr_admin, leader):
    client.force_login(hr_admin)
    assert reverse("checkins:pair_health") in client.get(reverse("dashboards:index")).content.decode()
    client.force_login(leader)
    assert reverse("checkins:pair_health") not in client.get(reverse("dashboards:index")).content.decode()
    assert client.get(reverse("checkins:pair_health")).status_code == 403
    assert client.get(reverse("checkins:pair_health_csv")).status_code == 403


def test_anonymous_visitors_go_to_the_login_page(client, company):
    for url in (reverse("dashboards:index"), reverse("dashboards:export", args=["funnel"])):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("persona", ["mentor", "mentee", "other_participant", "outsider"])
def test_refusing_a_refresh_changes_nothing(client, request, persona, company, celery_eager):
    built = heartbeat_last(name=DASHBOARD_HEARTBEAT)
    rows = DashboardRollup.objects.count()
    client.force_login(request.getfixturevalue(persona))
    assert client.post(reverse("dashboards:refresh")).status_code == 403
    assert heartbeat_last(name=DASHBOARD_HEARTBEAT) == built and DashboardRollup.objects.count() == rows


def test_a_leader_can_refresh_the_figures(client, company, leader, celery_eager):
    log_checkin(company["pairings"][5], company["pairings"][5].mentor.person, reflection=reflection(rating=3))
    client.force_login(leader)
    response = client.post(reverse("dashboards:refresh"), {"query": "grain=week&evil=1"})
    assert response.status_code == 302 and response["Location"] == reverse("dashboards:index") + "?grain=week"
    assert _values(dashboard_for(filters=Filters()).tables["activity"])["Check-ins held"][0] == 11


def _rollup_rows():
    columns = ("program", "grain", "period", "side", "department", "location", "people", "checkins")
    return sorted(DashboardRollup.objects.values_list(*columns), key=repr)


def test_a_rebuild_is_idempotent(company):
    first = _rollup_rows()
    rollup_rebuild()
    assert _rollup_rows() == first


def test_the_csv_of_a_table_has_its_figures_and_hides_what_the_page_hides(client, company, leader):
    client.force_login(leader)
    response = client.get(reverse("dashboards:export", args=["reaction"]))
    assert response["Content-Disposition"] == 'attachment; filename="twoway-reaction.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:4] == ["Measure", "Both sides", "Junior mentors", "Senior mentees"]
    satisfaction = next(r for r in rows if r[0].startswith("Survey: satisfaction"))
    assert satisfaction[1:4] == ["3.6", "not shown", "fewer than 5"]
    assert client.get(reverse("dashboards:export", args=["nothing-here"])).status_code == 404


def test_the_csv_neutralises_formulas_in_names(client, company, leader):
    program = company["program"]
    type(program).objects.filter(pk=program.pk).update(name='=HYPERLINK("http://evil.example","x")')
    client.force_login(leader)
    text = b"".join(client.get(reverse("dashboards:export", args=["programs"])).streaming_content).decode()
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text


def test_hr_can_export_pair_health_with_formulas_neutralised(client, company, hr_admin):
    pairing = company["pairings"][5]
    Person.objects.filter(pk=pairing.mentor.person_id).update(full_name="@SUM(1+1)")
    client.force_login(hr_admin)
    response = client.get(reverse("checkins:pair_health_csv"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:3] == ["Mentor", "Mentee", "Program"] and len(rows) == 7
    assert rows[1][0] == "'@SUM(1+1)"  # the late pair comes first, at risk
    assert "overdue" in rows[1][-1]


def _queries(client, url):
    """The queries of one request that computes the figures (the page's cache of them left empty)."""
    cache.clear()
    with count_queries() as queries:
        client.get(url)
    return queries


def test_the_dashboard_costs_the_same_queries_whatever_the_size(client, company, leader, hr_admin):
    client.force_login(leader)
    url = reverse("dashboards:index")
    client.get(url)
    small = _queries(client, url)
    with count_queries() as cached:
        client.get(url)
    assert len(cached) < len(small)  # the figures of this build come from the cache
    # Twice the pairs and check-ins, a second program.
    second = ProgramFactory(
        actor=hr_admin, name="Another cohort", starts_on=timezone.localdate() - timedelta(days=30)
    )
    enrollments = [
        (
            EnrollmentFactory(
                program=second,
                person=_person(f"x{i}@acme.example", 1, "Sales", "Paris"),
                role="mentor",
                status="approved",
            ),
            EnrollmentFactory(
                program=second,
                person=_person(f"y{i}@acme.example", 8, "Legal", "Paris"),
                role="mentee",
                status="approved",
            ),
        )
        for i in range(6)
    ]
    second = program_services.program_transition(program=second, to_state="matching")
    for mentor_e, mentee_e in enrollments:
        pairing = pairing_services.pairing_create_manual(
            program=second, mentor=mentor_e, mentee=mentee_e, actor=hr_admin
        )
        pairing_services.pairing_accept(pairing=pairing, person=mentor_e.person)
        pairing = pairing_services.pairing_accept(pairing=pairing, person=mentee_e.person)
        for _ in range(3):
            log_checkin(pairing, mentor_e.person)
    rollup_rebuild()
    large = _queries(client, url)
    assert len(large) == len(small), [q["sql"][:120] for q in large]


def test_the_monthly_report_is_planned_once_a_month_for_each_leader_and_hr_admin(company, leader, hr_admin):
    services.notifications_plan()
    services.notifications_plan()
    reports = Notification.objects.filter(kind=Notification.Kind.MONTHLY_REPORT)
    assert sorted(reports.values_list("recipient__email", flat=True)) == sorted(
        [leader.email, hr_admin.email]
    )
    report = reports.get(recipient__email=leader.email)
    assert "Check-ins held" in report.body and report.link == reverse("dashboards:index")
    for person in company["mentors"] + company["mentees"]:
        assert person.full_name not in report.body
    next_month = timezone.now().replace(day=1) + timedelta(days=40)
    with time_machine.travel(next_month):
        services.notifications_plan()
    assert reports.count() == 4
    assert reports.values("period").distinct().count() == 2


def test_the_monthly_report_follows_the_email_choices(company, leader):
    outbox.notification_preference_set(
        person=leader.person, kind=Notification.Kind.MONTHLY_REPORT, email=False
    )
    services.notifications_plan()
    report = Notification.objects.get(kind=Notification.Kind.MONTHLY_REPORT, recipient=leader.person)
    with time_machine.travel(report.due_at + timedelta(minutes=1)):
        outbox.notifications_send_due(senders=1)
    report.refresh_from_db()
    assert report.state == Notification.State.SKIPPED  # still in the app, not emailed


def test_a_closed_program_completes_its_pairs_on_the_next_tick(company):
    program = program_services.program_transition(program=company["program"], to_state="closed")
    from checkins.tasks import tick

    tick()
    assert set(Pairing.objects.filter(program=program).values_list("status", flat=True)) == {"completed"}
    rollup_rebuild()
    funnel = _values(dashboard_for(filters=Filters()).tables["funnel"])
    assert funnel["Completed the program"] == [12, 6, 6]
