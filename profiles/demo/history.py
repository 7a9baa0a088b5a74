"""The demo directory's history: everyone's record starts two years ago, and since then a few of the past
cohort's junior mentors and a few juniors who never took part were promoted or left, each on a date. It
gives the dashboards' results (retention and promotion against a comparison group) facts to show."""

from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from ..models import Person, PersonHistory
from ..services import directory_history_record

HISTORY_STARTS_DAYS_AGO = 730


def start_history(*, person_ids: list[int]) -> None:
    """Everyone's first stretch, from two years ago (idempotent: an unchanged record gets nothing new)."""
    directory_history_record(
        person_ids=person_ids,
        source=PersonHistory.Source.START,
        on=timezone.localdate() - timedelta(days=HISTORY_STARTS_DAYS_AGO),
    )


def seed_changes(*, mentors: list[Person], others: list[Person]) -> None:
    """Promotions and leavers, once: more promotions and fewer leavers among the mentors, as a program
    that works would show. Each change enters the history on its own day."""
    if PersonHistory.objects.exclude(source=PersonHistory.Source.START).exists():
        return
    today = timezone.localdate()
    changes = (
        [(person, "promoted", 30 + 25 * i) for i, person in enumerate(mentors[::3][:5])]
        + [(person, "left", 45) for person in mentors[7:8]]
        + [(person, "promoted", 40 + 20 * i) for i, person in enumerate(others[::14][:4])]
        + [(person, "left", 20 + 15 * i) for i, person in enumerate(others[5::8][:8])]
    )
    for person, what, days_ago in changes:
        people = Person.objects.filter(pk=person.pk)
        if what == "promoted":
            people.update(level=F("level") + 1, updated_at=timezone.now())
        else:
            people.update(is_active=False, updated_at=timezone.now())
        directory_history_record(
            person_ids=[person.pk], source=PersonHistory.Source.IMPORT, on=today - timedelta(days=days_ago)
        )
