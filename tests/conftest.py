import os
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from pairings import services as pairing_services
from pairings.models import Pairing
from programs import services as program_services
from tests.factories import EnrollmentFactory, PersonFactory, ProgramFactory, UserFactory

# Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls from a thread
# with a running loop unless told this is deliberate.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Django's PBKDF2 takes a good half second per password, by design; the suite makes hundreds of
    # logins. Tests of what a password protects don't depend on the hash's cost.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _mfa_not_required(settings):
    # Production requires HR admins and leaders to set up a second factor before anything else
    # (MFA_REQUIRED_ROLES); tests of other features sign those roles in without one. The requirement
    # itself is tested with the production value in tests/profiles/test_account_security.py.
    settings.MFA_REQUIRED_ROLES = []


@pytest.fixture(autouse=True)
def _clean_cache():
    # allauth's rate limits live in the (Redis) cache: each test starts with none spent.
    cache.clear()
    yield
    cache.clear()


def _participant(email, *, level, department, **user_fields):
    user = UserFactory(email=email, **user_fields)
    PersonFactory(email=email, user=user, level=level, department=department, full_name=user.full_name)
    return user


@pytest.fixture
def hr_admin(db):
    return _participant("hr.admin@example.com", level=6, department="People & Culture", is_hr_admin=True)


@pytest.fixture
def leader(db):
    return _participant("leader.one@example.com", level=8, department="Engineering", is_leader=True)


@pytest.fixture
def mentor(db):
    return _participant("junior.one@example.com", level=2, department="Marketing")


@pytest.fixture
def mentee(db):
    return _participant("senior.one@example.com", level=8, department="Finance")


@pytest.fixture
def other_participant(db):
    return _participant("junior.two@example.com", level=1, department="Engineering")


@pytest.fixture
def outsider(db):
    """A login with no directory entry and no role."""
    return UserFactory(email="outsider@elsewhere.example")


@pytest.fixture
def celery_eager():
    """Run .delay() inline, so a test can see what a task did (mail in django.core.mail.outbox)."""
    from mentoring.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False
    app.conf.task_eager_propagates = False


@pytest.fixture
def matching_program(hr_admin, mentor, mentee, other_participant):
    """A program in its matching state: two juniors and two seniors approved, all eligible across."""
    program = ProgramFactory(actor=hr_admin)
    second_senior = PersonFactory(email="senior.two@example.com", level=7, department="Sales")
    for person, role in [
        (mentor.person, "mentor"),
        (other_participant.person, "mentor"),
        (mentee.person, "mentee"),
        (second_senior, "mentee"),
    ]:
        EnrollmentFactory(program=program, person=person, role=role, status="approved")
    return program_services.program_transition(program=program, to_state="matching")


@pytest.fixture
def published_pairing(matching_program, hr_admin, mentor, mentee):
    """The persona mentor and mentee, pinned together, published and awaiting both answers."""
    program = matching_program
    mentor_e = program.enrollments.get(person=mentor.person)
    mentee_e = program.enrollments.get(person=mentee.person)
    return pairing_services.pairing_create_manual(
        program=program, mentor=mentor_e, mentee=mentee_e, actor=hr_admin
    )


@pytest.fixture
def active_pairing(published_pairing, mentor, mentee):
    """The persona pair, both accepted, matched 90 days ago (check-ins can be logged back to then)."""
    pairing = pairing_services.pairing_accept(pairing=published_pairing, person=mentor.person)
    pairing = pairing_services.pairing_accept(pairing=pairing, person=mentee.person)
    pairing.created_at = timezone.now() - timedelta(days=90)
    Pairing.objects.filter(pk=pairing.pk).update(created_at=pairing.created_at)
    return pairing
