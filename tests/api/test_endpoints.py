"""What each endpoint answers: its fields, its filters, its pages (every row once), and a query count that
does not grow with the rows."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from pairings.models import Pairing
from profiles import audit
from profiles.models import ApiToken, AuditEvent, Person
from tests.factories import EnrollmentFactory, PersonFactory, ProgramFactory
from tests.helpers import count_queries

pytestmark = pytest.mark.django_db

Scope = ApiToken.Scope


@pytest.fixture
def directory_token(make_token):
    return make_token(Scope.READ_DIRECTORY)


def walk(api, path, token, cursor=None, **params):
    """Every page of a list, following next_cursor: (all items, number of pages)."""
    items, pages = [], 0
    while True:
        page = api(path, token, **params, **({"cursor": cursor} if cursor else {}))
        assert page.status_code == 200, page.content[:300]
        body = page.json()
        items += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return items, pages
        assert pages < 1000


def test_people_are_listed_with_the_directory_fields(api, directory_token, hr_admin):
    boss = PersonFactory(department="Sales", level=8)
    person = PersonFactory(
        department="Sales",
        level=3,
        manager=boss,
        employee_id="E-7",
        location="Berlin",
        time_zone="Europe/Berlin",
    )
    [item] = api("people", directory_token, email=person.email.upper()).json()["items"]
    assert item == {
        "id": person.pk,
        "employee_id": "E-7",
        "email": person.email,
        "full_name": person.full_name,
        "job_title": person.job_title,
        "department": "Sales",
        "location": "Berlin",
        "level": 3,
        "manager_id": boss.pk,
        "is_active": True,
        "time_zone": "Europe/Berlin",
        "updated_at": item["updated_at"],
    }
    assert item["updated_at"].startswith(person.updated_at.strftime("%Y-%m-%dT%H:%M:%S"))
    assert api(f"people/{person.pk}", directory_token).json() == item


def test_walking_the_pages_returns_every_person_exactly_once(api, directory_token, hr_admin):
    PersonFactory.create_batch(23)
    expected = sorted(Person.objects.values_list("pk", flat=True))
    items, pages = walk(api, "people", directory_token, limit=5)
    assert [item["id"] for item in items] == expected  # in id order, none twice, none missed
    assert pages == 5


def test_a_person_added_while_paging_is_on_a_later_page_and_none_repeats(api, directory_token, hr_admin):
    PersonFactory.create_batch(6)
    first = api("people", directory_token, limit=3).json()
    Person.objects.filter(pk=first["items"][0]["id"]).delete()  # a row before the cursor goes away
    added = PersonFactory()
    rest, _pages = walk(api, "people", directory_token, limit=3, cursor=first["next_cursor"])
    seen = [item["id"] for item in first["items"] + rest]
    assert len(seen) == len(set(seen))
    assert added.pk in seen


def test_people_filters(api, directory_token, hr_admin):
    sales = PersonFactory(department="Sales", level=4)
    leaver = PersonFactory(department="Sales", level=4, is_active=False)
    PersonFactory(department="Finance", level=4)

    def ids(**params):
        return {item["id"] for item in api("people", directory_token, **params).json()["items"]}

    assert ids(department="Sales") == {sales.pk, leaver.pk}
    assert ids(department="Sales", active="true") == {sales.pk}
    assert ids(department="Sales", active="false") == {leaver.pk}
    assert ids(level=4, department="Finance") != ids(level=4)
    Person.objects.filter(pk=sales.pk).update(updated_at=timezone.now() + timedelta(days=1))
    since = (timezone.now() + timedelta(hours=1)).isoformat()
    assert ids(updated_since=since) == {sales.pk}
    # ISO 8601 allows an offset PostgreSQL would refuse (beyond ±15:59): it is the same instant in UTC.
    far_west = (timezone.now() + timedelta(hours=1)).astimezone(timezone.get_fixed_timezone(-(20 * 60 + 47)))
    assert ids(updated_since=far_west.isoformat()) == {sales.pk}


def test_the_people_list_costs_the_same_queries_for_3_or_300_rows(client, directory_token, hr_admin):
    headers = {"Authorization": f"Bearer {directory_token}"}

    def queries():
        client.get("/api/v1/people?limit=1000", headers=headers)  # last_used_at settles
        with count_queries() as captured:
            response = client.get("/api/v1/people?limit=1000", headers=headers)
        assert response.status_code == 200
        return len(captured), len(response.json()["items"])

    few = queries()
    PersonFactory.create_batch(300)
    many = queries()
    assert many[1] > few[1]
    assert many[0] == few[0] <= 3  # the token, the page, the audit row


@pytest.fixture
def two_programs(hr_admin, mentor, mentee, other_participant, published_pairing):
    """The persona pairing's program (matching) and a second, enrolling one."""
    other = ProgramFactory(actor=hr_admin, name="Second cohort")
    EnrollmentFactory(program=other, person=other_participant.person, role="mentor", status="pending")
    return published_pairing.program, other


def test_programs_enrollments_and_pairings(api, make_token, two_programs, mentor, mentee, published_pairing):
    matching, other = two_programs
    raw = make_token(Scope.READ_DIRECTORY)
    programs = api("programs", raw).json()["items"]
    assert {p["id"]: p["state"] for p in programs} == {matching.pk: "matching", other.pk: "enrolling"}
    assert api("programs", raw, state="enrolling").json()["items"][0]["name"] == "Second cohort"
    assert api("programs", raw, archived="true").json()["items"] == []

    everyone, _pages = walk(api, "enrollments", raw, limit=2)
    assert len(everyone) == matching.enrollments.count() + 1
    pending = api("enrollments", raw, status="pending").json()["items"]
    assert [(e["program_id"], e["side"], e["status"]) for e in pending] == [(other.pk, "mentor", "pending")]
    mentees = api("enrollments", raw, program=matching.pk, side="mentee").json()["items"]
    assert {e["side"] for e in mentees} == {"mentee"} and len(mentees) == 2
    assert set(mentees[0]) == {
        "id",
        "program_id",
        "person_id",
        "side",
        "status",
        "created_at",
        "decided_at",
        "updated_at",
    }

    [pairing] = api("pairings", raw, program=matching.pk).json()["items"]
    assert pairing["id"] == published_pairing.pk
    assert pairing["status"] == "awaiting"
    assert pairing["mentor_person_id"] == mentor.person.pk
    assert pairing["mentee_person_id"] == mentee.person.pk
    assert pairing["mentor_enrollment_id"] == published_pairing.mentor_id
    assert api("pairings", raw, status="active").json()["items"] == []
    assert len(api("pairings", raw, person=mentee.person.pk).json()["items"]) == 1
    assert api("pairings", raw, program=other.pk).json()["items"] == []


def test_a_reports_token_reads_programs_but_not_who_enrolled(api, make_token, two_programs):
    raw = make_token(Scope.READ_REPORTS)
    assert len(api("programs", raw).json()["items"]) == 2
    assert api("enrollments", raw).status_code == 403
    assert api("pairings", raw).status_code == 403


def test_the_pairings_list_costs_the_same_queries_whatever_its_length(
    client, make_token, two_programs, hr_admin
):
    matching, _other = two_programs
    raw = make_token(Scope.READ_DIRECTORY)
    headers = {"Authorization": f"Bearer {raw}"}

    def queries():
        client.get("/api/v1/pairings", headers=headers)
        with count_queries() as captured:
            response = client.get("/api/v1/pairings", headers=headers)
        return len(captured), len(response.json()["items"])

    few = queries()
    for _ in range(5):
        mentor_e = EnrollmentFactory(program=matching, person=PersonFactory(level=1), role="mentor")
        mentee_e = EnrollmentFactory(program=matching, person=PersonFactory(level=9), role="mentee")
        Pairing.objects.create(program=matching, mentor=mentor_e, mentee=mentee_e)
    many = queries()
    assert many[1] == few[1] + 5
    assert many[0] == few[0]


def test_the_audit_trail_newest_first_filtered_and_paged(api, make_token, hr_admin, leader):
    raw = make_token(Scope.READ_AUDIT)
    # Rows recorded in one instant still page in a total order (by time, then id).
    with time_machine.travel(timezone.now() - timedelta(days=1), tick=False):
        for n in range(5):
            audit.record(AuditEvent.Action.EXPORTED, actor=leader, target=f"dashboard:{n}")
    items, pages = walk(api, "audit-events", raw, limit=2)
    expected = list(
        AuditEvent.objects.filter(at__lt=timezone.now() - timedelta(hours=1))
        .order_by("-at", "-pk")
        .values_list("pk", flat=True)
    )
    # The 5 exports, in one instant, newest id first; the calls' own rows are newer than the first page.
    assert [item["id"] for item in items if item["action"] == "exported"] == expected
    assert pages >= 3
    exported = api("audit-events", raw, action="exported", actor_email=leader.email).json()["items"]
    assert [e["target"] for e in exported] == [f"dashboard:{n}" for n in reversed(range(5))]
    assert exported[0]["actor_id"] == leader.pk
    today = timezone.now().date()
    assert api("audit-events", raw, action="exported", since=today.isoformat()).json()["items"] == []
    # The trail shows the API's own calls too, under the token.
    called = api("audit-events", raw, action="api_called").json()["items"]
    assert called and called[0]["detail"]["path"] == "/api/v1/audit-events"
