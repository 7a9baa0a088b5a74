import re

import pytest
from django.urls import reverse

from profiles.models import Person
from programs.models import Enrollment, Program, ProgramInvitation
from tests.factories import EnrollmentFactory, ProgramFactory
from tests.helpers import PERSONAS, queries_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(hr_admin):
    return ProgramFactory(actor=hr_admin)


@pytest.fixture
def mentor_enrollment(program, mentor):
    return EnrollmentFactory(program=program, person=mentor.person, role="mentor")


def _hr_urls(program, enrollment):
    theme = program.themes.first()
    ack = program.acknowledgements.first()
    return [
        ("get", reverse("programs:list")),
        ("get", reverse("programs:create")),
        ("get", reverse("programs:detail", args=[program.pk])),
        ("get", reverse("programs:edit", args=[program.pk])),
        ("post", reverse("programs:transition", args=[program.pk])),
        ("post", reverse("programs:duplicate", args=[program.pk])),
        ("post", reverse("programs:archive", args=[program.pk])),
        ("get", reverse("programs:theme_add", args=[program.pk])),
        ("get", reverse("programs:theme_edit", args=[program.pk, theme.pk])),
        ("post", reverse("programs:theme_delete", args=[program.pk, theme.pk])),
        ("get", reverse("programs:acknowledgement_add", args=[program.pk])),
        ("get", reverse("programs:acknowledgement_edit", args=[program.pk, ack.pk])),
        ("post", reverse("programs:acknowledgement_delete", args=[program.pk, ack.pk])),
        ("get", reverse("programs:enrollments", args=[program.pk])),
        ("post", reverse("programs:decide", args=[program.pk, enrollment.pk])),
        ("post", reverse("programs:invite", args=[program.pk])),
    ]


@pytest.mark.parametrize("persona", PERSONAS)
def test_hr_pages_are_for_hr_admins_only(client, request, persona, program, mentor_enrollment):
    client.force_login(request.getfixturevalue(persona))
    for method, url in _hr_urls(program, mentor_enrollment):
        response = getattr(client, method)(url, {"to_state": "draft", "status": "approved"})
        if persona == "hr_admin":
            assert response.status_code in {200, 302}, url
        else:
            assert response.status_code == 403, url
    if persona != "hr_admin":
        mentor_enrollment.refresh_from_db()
        assert mentor_enrollment.status == "pending"
        assert Program.objects.count() == 1
        assert not ProgramInvitation.objects.exists()


def test_anonymous_visitors_go_to_login(client, program, mentor_enrollment):
    for method, url in _hr_urls(program, mentor_enrollment) + [
        ("get", reverse("programs:open")),
        ("get", reverse("programs:enroll", args=[program.pk])),
        ("get", reverse("programs:my_enrollment", args=[mentor_enrollment.pk])),
    ]:
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("mentor", 200),
        ("mentee", 404),
        ("other_participant", 404),
        ("hr_admin", 404),
        ("leader", 404),
        ("outsider", 403),
    ],
)
def test_an_enrollment_page_shows_only_to_its_owner(client, request, persona, expected, mentor_enrollment):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("programs:my_enrollment", args=[mentor_enrollment.pk])).status_code == expected
    response = client.post(reverse("programs:withdraw", args=[mentor_enrollment.pk]))
    mentor_enrollment.refresh_from_db()
    assert (mentor_enrollment.status == "withdrawn") == (persona == "mentor")
    assert response.status_code == (302 if persona == "mentor" else expected)


@pytest.mark.parametrize(("persona", "expected"), [(p, 403 if p == "outsider" else 200) for p in PERSONAS])
def test_open_programs_and_enroll_pages_need_a_directory_entry(client, request, persona, expected, program):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("programs:open")).status_code == expected
    assert client.get(reverse("programs:enroll", args=[program.pk])).status_code == expected


def test_enrolling_from_the_form_and_bad_input_keeps_the_text(client, mentee, program):
    client.force_login(mentee)
    url = reverse("programs:enroll", args=[program.pk])
    answers = {
        "role": "mentee",
        "topics": [t.pk for t in program.themes.all()[:1]],
        "hopes": "I want to understand how my teams use short video.",
        "preferred_format": "video",
        "availability": ["tue_am"],
        "languages": "English",
    }
    response = client.post(url, answers)  # no acknowledgements ticked
    assert response.status_code == 200
    assert "Please confirm each of these" in response.content.decode()
    assert "I want to understand how my teams use short video." in response.content.decode()
    assert not Enrollment.objects.exists()

    answers["acknowledged"] = [a.pk for a in program.acknowledgements.all()]
    response = client.post(url, answers)  # the opt-in not ticked: nobody is enrolled without it
    assert response.status_code == 200 and "by your own choice" in response.content.decode()
    assert not Enrollment.objects.exists()

    answers["voluntary"] = "on"
    response = client.post(url, answers)
    enrollment = Enrollment.objects.get()
    assert enrollment.opted_in_at is not None
    assert response.status_code == 302 and response["Location"] == reverse(
        "programs:my_enrollment", args=[enrollment.pk]
    )
    assert enrollment.person == mentee.person and enrollment.role == "mentee"
    assert client.get(url).status_code == 302  # enrolled already: sent to their enrollment


def test_hr_decides_with_htmx_and_gets_the_row_back(client, hr_admin, program, mentor_enrollment):
    client.force_login(hr_admin)
    url = reverse("programs:decide", args=[program.pk, mentor_enrollment.pk])
    response = client.post(url, {"status": "declined", "reason": ""}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.strip().startswith(f'<tr id="enrollment-{mentor_enrollment.pk}"')
    assert "Say why, in a sentence the person will read." in html
    response = client.post(url, {"status": "approved"}, headers={"HX-Request": "true"})
    assert "Approved" in response.content.decode()
    mentor_enrollment.refresh_from_db()
    assert mentor_enrollment.status == "approved"


def test_a_row_decided_with_htmx_is_the_row_the_page_shows(client, hr_admin, program, mentor_enrollment):
    """The row htmx swaps in is rendered from the same words as the page's rows: its cells keep their
    labels (a phone shows them), its status and topics read the same."""
    client.force_login(hr_admin)
    url = reverse("programs:decide", args=[program.pk, mentor_enrollment.pk])
    swapped = client.post(url, {"status": "approved"}, headers={"HX-Request": "true"}).content.decode()
    page = client.get(reverse("programs:enrollments", args=[program.pk])).content.decode()
    row = re.search(rf'<tr id="enrollment-{mentor_enrollment.pk}".*?</tr>', page, re.DOTALL).group(0)

    def plain(html):  # each render masks the CSRF token afresh
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html).strip()

    assert plain(swapped) == plain(row)
    for label in ("Role", "Level", "Topics", "Format", "Status", "Decision"):
        assert f'data-label="{label}"' in row
    assert "Approved" in row


def test_a_kept_enrollment_row_changes_with_what_it_shows(client, hr_admin, program, mentor_enrollment):
    """The enrollments page keeps each row's HTML by the row and the language (the "fragments" cache),
    the CSRF token outside it: a decision made elsewhere, a renamed person or new topics show at once,
    topics in the program's order, and each form carries its page's own token."""
    from django.core.cache import caches

    from profiles.models import Person
    from programs import services
    from programs.models import Theme

    caches["fragments"].clear()
    client.force_login(hr_admin)
    url = reverse("programs:enrollments", args=[program.pk])

    def row():
        page = client.get(url).content.decode()
        html = re.search(rf'<tr id="enrollment-{mentor_enrollment.pk}".*?</tr>', page, re.DOTALL).group(0)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        return " ".join(re.sub(r"<[^>]+>", " ", html).split()), token

    first, token = row()
    kept = len(caches["fragments"]._cache)
    again, other_token = row()
    assert again == first and len(caches["fragments"]._cache) == kept and token != other_token
    late, early = Theme.objects.create(program=program, name="Zeta", position=9), program.themes.first()
    mentor_enrollment.topics.set([late, early])
    Person.objects.filter(pk=mentor_enrollment.person_id).update(full_name="Renamed Junior")
    services.enrollment_decide(enrollment=mentor_enrollment, actor=hr_admin, status="approved", reason="")
    changed, _token = row()
    assert "Renamed Junior" in changed and "Approved" in changed and f"{early.name}, Zeta" in changed
    assert changed != first


def test_program_form_errors_show_at_the_field(client, hr_admin):
    client.force_login(hr_admin)
    response = client.post(
        reverse("programs:create"),
        {
            "name": "",
            "description": "Why",
            "starts_on": "2027-03-01",
            "ends_on": "2027-01-01",
            "cadence_days": 3,
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) >= {"name", "ends_on", "cadence_days"}
    assert not Program.objects.exists()


def test_hr_runs_the_lifecycle_from_the_program_page(client, hr_admin):
    client.force_login(hr_admin)
    response = client.post(
        reverse("programs:create"),
        {
            "name": "Pilot",
            "description": "Why we do it",
            "cadence_days": 14,
            "goal_review_weeks": 6,
            "reminder_days_before": 2,
            "send_hour": 9,
            "hours_per_month": 2,
            "meeting_minutes": 45,
            "confidentiality_norms": "Stays in the pair.",
            "target_checkin_adherence_pct": 80,
            "target_goal_completion_pct": 70,
            "target_satisfaction": 4,
            "min_level_gap": 2,
            "mentor_capacity": 1,
            "mentee_capacity": 1,
            "exclude_same_department": "on",
        },
    )
    program = Program.objects.get()
    assert response["Location"] == reverse("programs:detail", args=[program.pk])
    response = client.post(
        reverse("programs:transition", args=[program.pk]), {"to_state": "enrolling"}, follow=True
    )
    assert "Before enrollment opens, set" in response.content.decode()
    assert Program.objects.get().state == "draft"


def _bulk_enrollments(program, n, start=0):
    people = Person.objects.bulk_create(
        Person(
            email=f"bulk{i}@example.com",
            full_name=f"Person {i}",
            job_title="Analyst",
            department="Sales",
            level=2,
            employee_id=f"B{i:05d}",
        )
        for i in range(start, start + n)
    )
    enrollments = Enrollment.objects.bulk_create(
        Enrollment(
            program=program, person=p, role="mentor", hopes="x", preferred_format="video", languages="en"
        )
        for p in people
    )
    theme = program.themes.first()
    Enrollment.topics.through.objects.bulk_create(
        Enrollment.topics.through(enrollment_id=e.pk, theme_id=theme.pk) for e in enrollments
    )


@pytest.mark.parametrize("view", ["programs:enrollments", "programs:list"])
def test_list_query_counts_do_not_grow_with_rows(client, hr_admin, program, view):
    client.force_login(hr_admin)
    url = reverse(view, args=[program.pk]) if view == "programs:enrollments" else reverse(view)
    _bulk_enrollments(program, 10)
    small = queries_of(client, url)
    _bulk_enrollments(program, 990, start=10)  # 1,000 in all, on 20 pages
    for i in range(5):
        ProgramFactory(actor=hr_admin, name=f"Other {i}")
    assert queries_of(client, url) == small


# --- Invitations to enroll ---------------------------------------------------------------------------


def test_hr_invites_a_department_and_its_levels_once(
    client, hr_admin, program, mentor, mentee, other_participant
):
    client.force_login(hr_admin)
    url = reverse("programs:invite", args=[program.pk])
    # mentor: Marketing level 2; mentee: Finance level 8; other participant: Engineering level 1.
    response = client.post(url, {"department": "Marketing", "min_level": "1", "max_level": "3"}, follow=True)
    assert "1 person invited" in response.content.decode()
    assert list(ProgramInvitation.objects.values_list("person__email", "audience")) == [
        (mentor.email, "Marketing, levels 1 to 3")
    ]
    again = client.post(url, {"department": "Marketing"}, follow=True).content.decode()
    assert "Nobody new to invite" in again and ProgramInvitation.objects.count() == 1


def test_an_invitation_refuses_levels_the_wrong_way_round_and_changes_nothing(client, hr_admin, program):
    client.force_login(hr_admin)
    response = client.post(
        reverse("programs:invite", args=[program.pk]), {"min_level": "5", "max_level": "2"}, follow=True
    )
    assert "The highest level must be at least the lowest." in response.content.decode()
    assert not ProgramInvitation.objects.exists()


def test_nobody_already_enrolled_or_gone_is_invited(hr_admin, program, mentor, mentee, mentor_enrollment):
    from programs import services

    Person.objects.filter(pk=mentee.person.pk).update(is_active=False)
    assert services.program_invite(program=program, actor=hr_admin) == 1  # hr_admin only: not enrolled
    assert not ProgramInvitation.objects.filter(person__in=[mentor.person, mentee.person]).exists()


def test_invitations_go_out_only_while_enrollment_is_open(hr_admin):
    from django.core.exceptions import ValidationError

    from programs import services

    draft = ProgramFactory(actor=hr_admin, state="draft")
    with pytest.raises(ValidationError, match="enrollment window is open"):
        services.program_invite(program=draft, actor=hr_admin)


def test_each_invitation_is_one_message_of_the_outbox(hr_admin, program, mentor):
    from checkins.services import notifications_plan
    from profiles.models import Notification
    from programs import services

    services.program_invite(program=program, actor=hr_admin, department="Marketing")
    services.program_invite(program=program, actor=hr_admin, department="Marketing")  # nobody twice
    notifications_plan()
    message = Notification.objects.get(kind=Notification.Kind.PROGRAM_INVITATION)
    assert message.recipient == mentor.person
    assert message.link == reverse("programs:enroll", args=[program.pk])
    assert "voluntary" in message.body and "Marketing" in message.why
