import os

import pytest
from django.core.cache import cache

from tests.factories import PersonFactory, UserFactory

# Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls from a thread
# with a running loop unless told this is deliberate.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


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
