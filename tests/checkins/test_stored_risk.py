"""Pair health's order is stored on each pairing (Pairing.risk) so that a page of it is an index scan at
any size. The stored figure must always be what the one definition (selectors._risk_flags) says now,
whichever path changed an input: a service, a bulk write of the import, a raw UPDATE, or only the clock
(a pair turning late, a cancellation leaving the 60 days)."""

import threading
from datetime import datetime, time, timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from checkins import selectors, services
from checkins.models import Concern, Reflection
from pairings.models import Pairing
from pairings.services import pairing_set_rhythm
from profiles.models import Person
from profiles.services import people_leave
from tests.checkins.conftest import cancel_meeting, log_checkin, reflection

pytestmark = pytest.mark.django_db


def _stored(pairing) -> int | None:
    return Pairing.objects.values_list("risk", flat=True).get(pk=pairing.pk)


def _definition(pairing, now) -> int:
    return selectors._risk_flags(Pairing.objects.filter(pk=pairing.pk), now=now).get().risk_now


def _risk(pairing, now=None) -> int:
    """The stored risk after a refresh at `now`, checked against the definition at that moment."""
    now = now or timezone.now()
    selectors.refresh_stored_risk(now=now)
    stored = _stored(pairing)
    assert stored == _definition(pairing, now), "the stored risk is not what the definition says"
    return stored


def _cancel_twice(pairing, person):
    for _i in range(2):
        cancel_meeting(pairing, person)


def test_a_concern_raised_and_resolved_moves_the_pair_in_and_out(active_pairing, mentor, hr_admin):
    assert _risk(active_pairing) == 0
    concern = services.concern_raise(
        pairing=active_pairing, person=mentor.person, kind=Concern.Kind.CONCERN, text="Rude"
    )
    assert _stored(active_pairing) is None  # marked by the database, worked out on the next read
    assert _risk(active_pairing) == 1
    assert active_pairing.pk in selectors.at_risk_pairing_ids()
    services.concern_update(concern=concern, user=hr_admin, status=Concern.Status.RESOLVED, hr_notes="Talked")
    assert _risk(active_pairing) == 0
    assert active_pairing.pk not in selectors.at_risk_pairing_ids()


def test_cancellations_count_for_sixty_days_and_then_by_the_clock_alone(active_pairing, mentee):
    Pairing.objects.filter(pk=active_pairing.pk).update(
        late_from=selectors.company_today() + timedelta(days=365)
    )
    _cancel_twice(active_pairing, mentee.person)
    now = timezone.now()
    assert _risk(active_pairing, now) == 1
    changes_at = Pairing.objects.values_list("risk_changes_at", flat=True).get(pk=active_pairing.pk)
    assert now + timedelta(days=59) < changes_at <= now + timedelta(days=60)
    # Nothing is written in between: the refresh finds the row due and works it out again.
    assert _risk(active_pairing, now + timedelta(days=30)) == 1
    assert _risk(active_pairing, now + timedelta(days=61)) == 0


def test_a_pair_turns_late_on_its_day_with_no_write(active_pairing):
    today = selectors.company_today()
    pairing_set_rhythm(pairing=active_pairing, last_checkin_on=today, rating_trend=0)
    active_pairing.refresh_from_db()
    assert active_pairing.late_from > today and _risk(active_pairing) == 0
    tz = timezone.get_default_timezone()
    late_day = timezone.make_aware(datetime.combine(active_pairing.late_from, time()), tz)
    assert _risk(active_pairing, late_day - timedelta(seconds=1)) == 0
    assert _risk(active_pairing, late_day) == 1


def test_a_poor_fit_answer_counts_even_written_by_a_bulk_update(active_pairing, mentor):
    first = log_checkin(active_pairing, mentor.person, reflection=reflection(fit=Reflection.Fit.UNSURE))
    assert _risk(active_pairing) == 0
    Reflection.objects.filter(checkin=first).update(fit=Reflection.Fit.POOR)
    assert _risk(active_pairing) == 1
    Reflection.objects.filter(checkin=first).delete()
    assert _risk(active_pairing) == 0


def test_a_leaver_by_the_import_path_and_by_a_raw_update(active_pairing, mentee):
    assert _risk(active_pairing) == 0
    people_leave(person_ids=[mentee.person.pk])
    assert _risk(active_pairing) == 1
    Person.objects.filter(pk=mentee.person.pk).update(is_active=True)  # came back (SCIM, the admin)
    assert _risk(active_pairing) == 0
    with connection.cursor() as cursor:
        cursor.execute("UPDATE profiles_person SET is_active = false WHERE id = %s", [mentee.person.pk])
    assert _risk(active_pairing) == 1


def test_falling_ratings_and_the_end_of_a_pair(active_pairing):
    pairing_set_rhythm(pairing=active_pairing, last_checkin_on=selectors.company_today(), rating_trend=-1)
    assert _risk(active_pairing) == 1
    Pairing.objects.filter(pk=active_pairing.pk).update(status=Pairing.Status.ENDED)
    assert _stored(active_pairing) is None  # no longer listed; worked out again if it ever comes back
    Pairing.objects.filter(pk=active_pairing.pk).update(status=Pairing.Status.ACTIVE)
    assert _risk(active_pairing) == 1


def test_only_the_refresh_stores_a_risk(active_pairing, mentor):
    """A pairing read before a change and saved after it cannot put its old figure back, nor can anyone
    write a figure of their own."""
    assert _risk(active_pairing) == 0
    read_before = Pairing.objects.get(pk=active_pairing.pk)
    services.concern_raise(
        pairing=active_pairing, person=mentor.person, kind=Concern.Kind.CONCERN, text="Rude"
    )
    assert _risk(active_pairing) == 1
    read_before.save()  # risk=0 in the instance
    assert _stored(active_pairing) == 1
    Pairing.objects.filter(pk=active_pairing.pk).update(risk=0, risk_changes_at=None)
    assert _stored(active_pairing) == 1


def test_a_row_a_writer_holds_is_left_for_the_next_refresh(transactional_db, active_pairing, mentor):
    """The refresh never waits for a writer, and never stores a figure that misses what the writer is
    still committing: the row the writer marked (and holds) is skipped and stays marked."""
    assert _risk(active_pairing) == 0
    Pairing.objects.filter(pk=active_pairing.pk).update(risk=None)  # marked and committed: due for a refresh
    refreshed = {}

    def refresh_elsewhere():
        try:
            with connection.cursor() as cursor:  # this thread's own connection
                cursor.execute("SET lock_timeout = '3s'")  # waiting for the writer would fail here
            refreshed["rows"] = selectors.refresh_stored_risk()
        finally:
            connection.close()

    with transaction.atomic():
        Concern.objects.create(
            pairing=active_pairing, raised_by=mentor.person, raised_by_side="mentor", text="x"
        )
        thread = threading.Thread(target=refresh_elsewhere)
        thread.start()
        thread.join(10)
    assert refreshed == {"rows": 0}
    assert _stored(active_pairing) is None
    assert _risk(active_pairing) == 1
