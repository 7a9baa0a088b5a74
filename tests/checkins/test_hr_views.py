import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from checkins import services
from checkins.models import Concern
from pairings.models import Pairing
from pairings.services import pairing_set_rhythm
from profiles.models import Person
from programs.models import Enrollment, Program
from tests.checkins.conftest import cancel_meeting
from tests.factories import ProgramFactory
from tests.helpers import PERSONAS, queries_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def concern(active_pairing, mentee):
    return services.concern_raise(
        pairing=active_pairing, person=mentee.person, kind=Concern.Kind.CONCERN, text="We never meet."
    )


def _hr_urls(concern):
    return [
        reverse("checkins:pair_health"),
        reverse("checkins:concerns"),
        reverse("checkins:concern_handle", args=[concern.pk]),
    ]


@pytest.mark.parametrize("persona", PERSONAS)
def test_hr_pages_are_for_hr_admins_only(client, request, persona, concern):
    client.force_login(request.getfixturevalue(persona))
    for url in _hr_urls(concern):
        response = client.get(url)
        assert response.status_code == (200 if persona == "hr_admin" else 403), url


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "hr_admin"])
def test_only_hr_admins_can_save_a_concern(client, request, persona, concern):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(
        reverse("checkins:concern_handle", args=[concern.pk]),
        {"status": "resolved", "hr_notes": "Closed it.", "version": concern.updated_at.isoformat()},
    )
    assert response.status_code == 403
    concern.refresh_from_db()
    assert (concern.status, concern.hr_notes) == ("open", "")


def test_anonymous_visitors_go_to_login(client, concern):
    for url in _hr_urls(concern):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_unknown_ids_are_not_found(client, hr_admin, concern):
    client.force_login(hr_admin)
    assert client.get(reverse("checkins:concern_handle", args=[concern.pk + 1000])).status_code == 404
    assert client.get(reverse("checkins:concerns"), {"pairing": 999999}).status_code == 404


# --- Concern queue and handling ---------------------------------------------------------------------


def test_the_queue_lists_who_raised_what_and_filters_by_status(client, hr_admin, concern, mentor, mentee):
    end_request = services.concern_raise(
        pairing=concern.pairing, person=mentor.person, kind=Concern.Kind.END_REQUEST, text="Please end it."
    )
    services.concern_update(concern=end_request, user=hr_admin, status="resolved", hr_notes="")
    client.force_login(hr_admin)
    url = reverse("checkins:concerns")

    html = client.get(url).content.decode()  # open or in progress, by default
    assert f"concern-{concern.pk}" in html and f"concern-{end_request.pk}" not in html
    assert mentee.person.full_name in html and "the mentee" in html
    assert concern.pairing.program.name in html
    assert reverse("checkins:concern_handle", args=[concern.pk]) in html

    html = client.get(url, {"status": "resolved"}).content.decode()
    assert f"concern-{end_request.pk}" in html and f"concern-{concern.pk}" not in html
    assert "End request" in html and "the mentor" in html

    html = client.get(url, {"status": "all"}).content.decode()
    assert f"concern-{concern.pk}" in html and f"concern-{end_request.pk}" in html

    html = client.get(url, {"status": "nonsense"}).content.decode()
    assert f"concern-{concern.pk}" in html and f"concern-{end_request.pk}" not in html


def test_the_queue_can_show_one_pairs_concerns(client, hr_admin, concern):
    client.force_login(hr_admin)
    html = client.get(reverse("checkins:concerns"), {"pairing": concern.pairing_id}).content.decode()
    assert f"concern-{concern.pk}" in html
    assert "Showing the concerns of" in html


def test_hr_moves_a_concern_along_with_notes(client, hr_admin, concern):
    client.force_login(hr_admin)
    url = reverse("checkins:concern_handle", args=[concern.pk])
    page = client.get(url)
    version = page.context["form"]["version"].value()
    response = client.post(url, {"status": "in_progress", "hr_notes": "Called both.", "version": version})
    assert response.status_code == 302 and response["Location"] == url
    concern.refresh_from_db()
    assert (concern.status, concern.hr_notes, concern.handled_by) == ("in_progress", "Called both.", hr_admin)
    html = client.get(url).content.decode()
    assert "Concern saved." in html and "Called both." in html


def test_a_stale_save_is_refused_and_keeps_what_was_typed(client, hr_admin, concern):
    client.force_login(hr_admin)
    url = reverse("checkins:concern_handle", args=[concern.pk])
    version = client.get(url).context["form"]["version"].value()
    # A colleague saves in between.
    services.concern_update(
        concern=concern, user=hr_admin, status="in_progress", hr_notes="Colleague's note."
    )

    response = client.post(
        url, {"status": "resolved", "hr_notes": "My long careful note.", "version": version}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "after you opened it" in html
    assert "My long careful note." in html  # kept in the form
    assert "Colleague&#x27;s note." in html  # and what is saved now, to merge by hand
    concern.refresh_from_db()
    assert (concern.status, concern.hr_notes) == ("in_progress", "Colleague's note.")


def test_an_invalid_status_is_refused(client, hr_admin, concern):
    client.force_login(hr_admin)
    url = reverse("checkins:concern_handle", args=[concern.pk])
    response = client.post(url, {"status": "deleted", "hr_notes": "x"})
    assert response.status_code == 200 and response.context["form"].errors
    concern.refresh_from_db()
    assert concern.status == "open"


def test_the_handle_page_offers_to_end_a_live_pairing(client, hr_admin, concern):
    client.force_login(hr_admin)
    html = client.get(reverse("checkins:concern_handle", args=[concern.pk])).content.decode()
    assert reverse("pairings:end", args=[concern.pairing_id]) in html
    assert reverse("pairings:program_pairings", args=[concern.pairing.program_id]) in html
    assert "Active" in html


# --- Pair health ------------------------------------------------------------------------------------


def _bulk_pairings(program, n, *, start=0, due_in_days=7):
    """n active pairs, made directly (the services are tested elsewhere): fast enough for hundreds."""
    people = Person.objects.bulk_create(
        Person(
            email=f"pair{i}-{role}@example.com",
            full_name=f"{role.title()} {i}",
            job_title="Analyst",
            department="Sales",
            level=2 if role == "mentor" else 7,
            employee_id=f"P{i:05d}{role[-2:]}",
        )
        for i in range(start, start + n)
        for role in ("mentor", "mentee")
    )
    enrollments = Enrollment.objects.bulk_create(
        Enrollment(
            program=program,
            person=person,
            role="mentor" if person.email.endswith("-mentor@example.com") else "mentee",
            status="approved",
            hopes="x",
            preferred_format="video",
            languages="en",
        )
        for person in people
    )
    today = timezone.localdate()
    cadence = program.cadence_days
    return Pairing.objects.bulk_create(
        Pairing(
            program=program,
            mentor=enrollments[2 * k],
            mentee=enrollments[2 * k + 1],
            status=Pairing.Status.ACTIVE,
            activated_at=timezone.now() - timedelta(days=30),
            next_checkin_due=today + timedelta(days=due_in_days),
            late_from=today + timedelta(days=due_in_days + cadence // 2 + 1),
        )
        for k in range(n)
    )


def _rows(html):
    """The pair-health rows, in page order: (pairing id, row html)."""
    return [(int(pk), row) for pk, row in re.findall(r'<tr id="pairing-(\d+)"(.*?)</tr>', html, re.DOTALL)]


def _plain(html):
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_at_risk_pairs_come_first_with_their_reasons(client, hr_admin):
    program = ProgramFactory(actor=hr_admin)
    healthy, overdue = _bulk_pairings(program, 2, due_in_days=1)
    (cancelling,) = _bulk_pairings(program, 1, start=2, due_in_days=7)
    today = timezone.localdate()
    pairing_set_rhythm(pairing=overdue, last_checkin_on=today - timedelta(days=30), rating_trend=0)
    senior = cancelling.mentee.person
    for _i in range(2):
        cancel_meeting(cancelling, senior)

    client.force_login(hr_admin)
    html = client.get(reverse("checkins:pair_health")).content.decode()
    rows = dict(_rows(html))
    # At risk first (the more overdue of the two first), then the healthy pair though it is due sooner.
    assert [pk for pk, _row in _rows(html)] == [overdue.pk, cancelling.pk, healthy.pk]
    overdue_by = (today - (today - timedelta(days=30) + timedelta(days=program.cadence_days))).days
    assert f"check-in overdue by {overdue_by} days (more than half the cadence)" in _plain(rows[overdue.pk])
    assert f"overdue by {overdue_by} days" in _plain(rows[overdue.pk])
    assert "2 cancellations or moves in 60 days" in _plain(rows[cancelling.pk])
    assert "mentee: 2" in _plain(rows[cancelling.pk])
    assert "mentor: 0" in _plain(rows[cancelling.pk])
    assert "table-warning" in rows[overdue.pk] and "table-warning" in rows[cancelling.pk]
    assert "table-warning" not in rows[healthy.pk]
    assert "At risk" in html and "never what was said" in html


def test_an_open_concern_puts_a_pair_at_risk_and_links_to_the_queue(client, hr_admin, concern):
    client.force_login(hr_admin)
    html = client.get(reverse("checkins:pair_health")).content.decode()
    ((pk, row),) = _rows(html)
    assert pk == concern.pairing_id
    assert "an open concern" in _plain(row)
    assert f"{reverse('checkins:concerns')}?pairing={pk}" in row


def test_pair_health_filters_by_program(client, hr_admin):
    first = ProgramFactory(actor=hr_admin, name="First program")
    second = ProgramFactory(actor=hr_admin, name="Second program")
    (in_first,) = _bulk_pairings(first, 1)
    (in_second,) = _bulk_pairings(second, 1, start=1)
    client.force_login(hr_admin)
    url = reverse("checkins:pair_health")
    assert {pk for pk, _row in _rows(client.get(url).content.decode())} == {in_first.pk, in_second.pk}
    html = client.get(url, {"program": second.pk}).content.decode()
    assert [pk for pk, _row in _rows(html)] == [in_second.pk]
    assert f'<option value="{second.pk}" selected>' in html
    # An unknown program is no filter at all, not an error.
    assert len(_rows(client.get(url, {"program": "x"}).content.decode())) == 2
    # An archived program is not among the choices: asking for it is no filter either.
    Program.objects.filter(pk=first.pk).update(archived_at=timezone.now())
    html = client.get(url, {"program": first.pk}).content.decode()
    assert f'<option value="{first.pk}"' not in html and f'<option value="{second.pk}">' in html
    assert len(_rows(html)) == 2


def test_pair_health_pages_by_fifty(client, hr_admin):
    program = ProgramFactory(actor=hr_admin)
    _bulk_pairings(program, 60)
    client.force_login(hr_admin)
    url = reverse("checkins:pair_health")
    assert len(_rows(client.get(url).content.decode())) == 50
    second = client.get(url, {"page": 2}).content.decode()
    assert len(_rows(second)) == 10 and "Page 2 of 2" in second


def test_the_compiled_rows_are_the_orms_rows(hr_admin, concern):
    """pair_health_details runs pair_health_values' statement compiled once per process, with each page's
    ids and moment: its rows are the ones the ORM reads, counts, flags, dates and names alike, in the
    order of the ids, on a first call and on later ones."""
    import time_machine

    from checkins.selectors import (
        PairHealth,
        _cancellations_counted_since,
        company_today,
        pair_health_details,
        pair_health_values,
    )

    program = ProgramFactory(actor=hr_admin)
    quiet, busy = _bulk_pairings(program, 2, due_in_days=-20)
    for _i in range(3):
        cancel_meeting(busy, busy.mentee.person)
    cancel_meeting(busy, busy.mentor.person)
    Person.objects.filter(pk=quiet.mentor.person_id).update(is_active=False)
    ids = [busy.pk, concern.pairing_id, quiet.pk, 10**9]
    for moment in (timezone.now(), timezone.now() + timedelta(days=61)):  # cancellations counted, then not
        with time_machine.travel(moment, tick=False):
            expected = {
                row["pk"]: PairHealth(**row, today=company_today(moment))
                for row in pair_health_values(
                    ids=ids, cancellations_since=_cancellations_counted_since(moment)
                )
            }
            assert pair_health_details(ids) == [expected[pk] for pk in ids[:3]]
    assert expected[busy.pk].recent_cancellations == 0 and expected[busy.pk].mentee_cancellations == 3
    assert expected[concern.pairing_id].open_concerns == 1 and expected[quiet.pk].has_leaver
    assert pair_health_details([]) == []


def test_a_rendered_row_is_reused_only_for_the_same_row_and_language(client, hr_admin):
    """Pair health keeps each row's HTML under a key made of the row and the language: what changed
    shows at once, a reader in another language gets their words, and an unchanged row is not rendered
    again (the same bytes, from the fragments cache)."""
    from django.core.cache import caches

    program = ProgramFactory(actor=hr_admin)
    (pairing,) = _bulk_pairings(program, 1)
    client.force_login(hr_admin)
    url = reverse("checkins:pair_health")
    caches["fragments"].clear()
    first = dict(_rows(client.get(url).content.decode()))[pairing.pk]
    assert len(caches["fragments"]._cache) == 1
    assert dict(_rows(client.get(url).content.decode()))[pairing.pk] == first
    assert len(caches["fragments"]._cache) == 1  # the same row: reused, not rendered again

    Person.objects.filter(pk=pairing.mentor.person_id).update(full_name="Renamed Mentor")
    pairing_set_rhythm(
        pairing=pairing, last_checkin_on=timezone.localdate() - timedelta(days=40), rating_trend=0
    )
    changed = _plain(dict(_rows(client.get(url).content.decode()))[pairing.pk])
    assert "Renamed Mentor" in changed and "overdue by" in changed

    client.post(reverse("language_set"), {"language": "de", "next": url})
    german = _plain(dict(_rows(client.get(url).content.decode()))[pairing.pk])
    assert "Renamed Mentor" in german and "overdue by" not in german and german != changed


def _count_queries(client, url):
    return queries_of(client, url)


@pytest.mark.parametrize("view", ["checkins:pair_health", "checkins:concerns"])
def test_query_counts_do_not_grow_with_rows(client, hr_admin, view):
    program = ProgramFactory(actor=hr_admin)
    client.force_login(hr_admin)
    url = reverse(view)

    def add(n, start):
        pairings = _bulk_pairings(program, n, start=start)
        Concern.objects.bulk_create(
            Concern(pairing=p, raised_by=p.mentee.person, raised_by_side="mentee", text="x") for p in pairings
        )
        ProgramFactory(actor=hr_admin, name=f"Other {start}")

    add(10, 0)
    small = _count_queries(client, url)
    add(50, 10)  # 60 in all, on two pages
    assert _count_queries(client, url) == small
