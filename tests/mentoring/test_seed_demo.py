import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from profiles.models import Person, User
from programs.models import Enrollment, Program

DEMO_EMAILS = [
    "hr@example.com",
    "leader@example.com",
    "mentor@example.com",
    "mentee@example.com",
    "mentor2@example.com",
    "mentee2@example.com",
]


def _depth(person_by_id, person):
    depth = 1
    while person.manager_id:
        person = person_by_id[person.manager_id]
        depth += 1
    return depth


@pytest.mark.django_db
def test_seed_demo_builds_a_believable_company_and_is_idempotent(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    first = {p.employee_id: (p.email, p.manager_id, p.level) for p in Person.objects.all()}
    enrollments_first = sorted(
        Enrollment.objects.values_list("program__name", "person__email", "role", "status")
    )
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    second = {p.employee_id: (p.email, p.manager_id, p.level) for p in Person.objects.all()}
    assert first == second
    assert enrollments_first == sorted(
        Enrollment.objects.values_list("program__name", "person__email", "role", "status")
    )
    assert User.objects.count() == len(DEMO_EMAILS)

    people = {p.pk: p for p in Person.objects.all()}
    assert len(people) >= 200
    assert max(_depth(people, p) for p in people.values()) >= 5
    assert Person.objects.values("department").distinct().count() >= 5
    assert Person.objects.values("time_zone").annotate(n=Count("pk")).count() >= 4
    assert Person.objects.filter(manager__isnull=True).count() == 1  # one CEO at the top


@pytest.mark.django_db
def test_demo_logins_work_with_the_published_password(client, settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    for email in DEMO_EMAILS:
        response = client.post("/accounts/login/", {"login": email, "password": "twoway-demo-login"})
        assert response.status_code == 302 and response["Location"] == "/", email
        client.logout()
    assert User.objects.get(email="hr@example.com").is_hr_admin
    assert User.objects.get(email="leader@example.com").is_leader
    mentor, mentee = (
        Person.objects.get(email="mentor@example.com"),
        Person.objects.get(email="mentee@example.com"),
    )
    assert mentor.level < mentee.level and mentor.department != mentee.department


@pytest.mark.django_db
def test_seed_demo_is_refused_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="refused when DEBUG is off"):
        call_command("seed_demo")
    assert not Person.objects.exists()


@pytest.mark.django_db
def test_demo_has_an_enrolling_program_with_approved_mentors_and_mentees(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    program = Program.objects.get(state="enrolling")
    approved = program.enrollments.filter(status="approved")
    assert approved.filter(role="mentor").count() >= 10 and approved.filter(role="mentee").count() >= 10
    assert program.enrollments.filter(status="pending").exists()  # HR has decisions to make
    for email, role in [
        ("mentor@example.com", "mentor"),
        ("mentee@example.com", "mentee"),
        ("mentor2@example.com", "mentor"),
        ("mentee2@example.com", "mentee"),
    ]:
        assert approved.filter(person__email=email, role=role).exists(), email
    for enrollment in approved.select_related("person"):
        # Juniors mentor, seniors are mentored: "reverse" by career level.
        assert (enrollment.person.level <= 3) == (enrollment.role == "mentor")
