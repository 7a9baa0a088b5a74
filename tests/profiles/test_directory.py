"""HR's directory pages, the CSV import screens and the reporting-line selector."""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from profiles.models import Invitation, Person
from profiles.selectors import in_reporting_line, manager_chain
from profiles.views import IMPORT_SESSION_KEY
from tests.factories import PersonFactory, UserFactory
from tests.helpers import PERSONAS, queries_of

pytestmark = pytest.mark.django_db

HEADER = "email,full_name,job_title,department,level,manager_email,employee_id"


@pytest.fixture
def someone(db):
    return PersonFactory(full_name="Grace Hopper", email="grace@example.com", department="Research")


def _hr_urls(person):
    return [
        ("get", reverse("profiles:directory")),
        ("get", reverse("profiles:person", args=[person.pk])),
        ("get", reverse("profiles:import")),
        ("post", reverse("profiles:import")),
        ("get", reverse("profiles:import_preview", args=["unknown-token"])),
        ("post", reverse("profiles:import_confirm", args=["unknown-token"])),
    ]


@pytest.mark.parametrize("persona", PERSONAS)
def test_directory_and_import_pages_are_for_hr_admins_only(client, request, persona, someone):
    client.force_login(request.getfixturevalue(persona))
    for method, url in _hr_urls(someone):
        response = getattr(client, method)(url)
        if persona == "hr_admin":
            assert response.status_code in {200, 302}, url
        else:
            assert response.status_code == 403, url


def test_anonymous_visitors_go_to_login(client, someone):
    for method, url in _hr_urls(someone):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_an_unknown_person_is_404(client, hr_admin):
    client.force_login(hr_admin)
    assert client.get(reverse("profiles:person", args=[987654])).status_code == 404


# --- Search and filters -------------------------------------------------------------------------------


def _names(response):
    return [person.full_name for person in response.context["page"]]


def test_directory_searches_name_email_title_and_employee_id(client, hr_admin):
    PersonFactory(full_name="Ada Lovelace", email="ada@example.com", job_title="Analyst", employee_id="E-77")
    PersonFactory(full_name="Alan Turing", email="alan@example.com", job_title="Codebreaker")
    client.force_login(hr_admin)
    url = reverse("profiles:directory")
    assert _names(client.get(url, {"q": "lovelace"})) == ["Ada Lovelace"]
    assert _names(client.get(url, {"q": "ALAN@"})) == ["Alan Turing"]
    assert _names(client.get(url, {"q": "codebreak"})) == ["Alan Turing"]
    assert _names(client.get(url, {"q": "e-77"})) == ["Ada Lovelace"]
    assert _names(client.get(url, {"q": "nobody-like-this"})) == []


def test_directory_filters_department_level_status_and_login(client, hr_admin):
    PersonFactory(full_name="Active Sales", department="Sales", level=2)
    PersonFactory(full_name="Left Sales", department="Sales", level=2, is_active=False)
    PersonFactory(full_name="Senior Sales", department="Sales", level=7, user=UserFactory())
    client.force_login(hr_admin)
    url = reverse("profiles:directory")
    assert _names(client.get(url, {"department": "Sales"})) == ["Active Sales", "Senior Sales"]
    assert _names(client.get(url, {"department": "Sales", "status": "inactive"})) == ["Left Sales"]
    assert _names(client.get(url, {"department": "Sales", "status": "all"})) == [
        "Active Sales",
        "Left Sales",
        "Senior Sales",
    ]
    assert _names(client.get(url, {"department": "Sales", "level": "7"})) == ["Senior Sales"]
    assert _names(client.get(url, {"department": "Sales", "login": "yes"})) == ["Senior Sales"]
    assert _names(client.get(url, {"department": "Sales", "login": "no"})) == ["Active Sales"]
    # Values that do not fit are ignored, not an error page.
    response = client.get(url, {"department": "No such", "level": "x", "status": "?"})
    assert response.status_code == 200


def test_directory_shows_login_and_invitation_state(client, hr_admin, someone):
    Invitation.objects.create(
        person=someone,
        email=someone.email,
        token_hash="a" * 64,
        expires_at=timezone.now() + timedelta(days=3),
    )
    client.force_login(hr_admin)
    html = client.get(reverse("profiles:directory"), {"q": "grace"}).content.decode()
    assert "Invited (link until" in html


def test_a_kept_row_changes_with_what_it_shows(client, hr_admin, someone):
    """The directory keeps each row's HTML by the row and the language (the "fragments" cache): a row
    whose person, manager or invitation changed, or that a reader in another language asks for, is
    rendered again, and the invitation says "expired" once it has, though nothing else changed."""
    from django.core.cache import caches

    caches["fragments"].clear()
    invitation = Invitation.objects.create(
        person=someone,
        email=someone.email,
        token_hash="b" * 64,
        expires_at=timezone.now() + timedelta(days=3),
    )
    client.force_login(hr_admin)
    url = reverse("profiles:directory")

    def row():
        html = client.get(url, {"q": "grace"}).content.decode()
        (found,) = re.findall(r"<tr>(.*?)</tr>", html.split("<tbody>")[1], re.DOTALL)
        return " ".join(re.sub(r"<[^>]+>", " ", found).split())

    first = row()
    assert "Grace Hopper" in first and "Invited (link until" in first and "None (top)" in first
    assert row() == first and len(caches["fragments"]._cache) == 1
    boss = PersonFactory(full_name="Ada Lovelace")
    Person.objects.filter(pk=someone.pk).update(full_name="Grace B. Hopper", manager=boss)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    changed = row()
    assert "Grace B. Hopper" in changed and "Ada Lovelace" in changed and "Invitation expired" in changed
    client.post(reverse("language_set"), {"language": "de", "next": url})
    german = row()
    assert "Grace B. Hopper" in german and "Invitation expired" not in german and german != changed


def _bulk_people(n, start=0):
    people = Person.objects.bulk_create(
        Person(
            email=f"bulk{i}@example.com",
            full_name=f"Person {i:05d}",
            job_title="Analyst",
            department=f"Dept {i % 7}",
            level=1 + i % 9,
            employee_id=f"B{i:05d}",
        )
        for i in range(start, start + n)
    )
    boss = people[0]
    for person in people[1:]:
        person.manager = boss
    Person.objects.bulk_update(people[1:], ["manager"])
    Invitation.objects.bulk_create(
        Invitation(
            person=p, email=p.email, token_hash=f"{p.pk:064d}", expires_at=timezone.now() + timedelta(days=5)
        )
        for p in people[::3]
    )


def _count_queries(client, url, params=None):
    return queries_of(client, url, data=params or {})


@pytest.mark.parametrize("params", [{}, {"q": "person", "department": "Dept 1", "status": "all"}])
def test_directory_query_count_does_not_grow_with_people(client, hr_admin, params):
    client.force_login(hr_admin)
    url = reverse("profiles:directory")
    _bulk_people(10)
    small = _count_queries(client, url, params)
    _bulk_people(990, start=10)  # 1,000 in all: 20 pages
    assert _count_queries(client, url, params) == small
    assert len(client.get(url).context["page"].object_list) == 50


def test_person_page_shows_manager_chain_reports_login_and_no_age(client, hr_admin):
    top = PersonFactory(full_name="Top Boss")
    middle = PersonFactory(full_name="Middle Manager", manager=top)
    person = PersonFactory(full_name="Pat Person", manager=middle)
    PersonFactory(full_name="Report One", manager=person)
    client.force_login(hr_admin)
    response = client.get(reverse("profiles:person", args=[person.pk]))
    html = response.content.decode()
    assert [p.full_name for p in response.context["chain"]] == ["Middle Manager", "Top Boss"]
    assert "Report One" in html
    assert "No login yet and no open invitation." in html
    assert reverse("profiles:invite", args=[person.pk]) in html
    for word in ("birth", "generation", "Age"):
        assert word not in html


# --- Reporting line -----------------------------------------------------------------------------------


@pytest.fixture
def org():
    """ceo <- vp <- director <- manager <- engineer (depth 4), and an unrelated branch ceo <- cfo <- clerk."""
    ceo = PersonFactory(full_name="CEO")
    vp = PersonFactory(full_name="VP", manager=ceo)
    director = PersonFactory(full_name="Director", manager=vp)
    manager = PersonFactory(full_name="Manager", manager=director)
    engineer = PersonFactory(full_name="Engineer", manager=manager)
    cfo = PersonFactory(full_name="CFO", manager=ceo)
    clerk = PersonFactory(full_name="Clerk", manager=cfo)
    loner = PersonFactory(full_name="Loner")
    return locals()


def test_in_reporting_line_both_directions_at_any_depth(org, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert in_reporting_line(a=org["engineer"], b=org["ceo"])
    with django_assert_num_queries(1):
        assert in_reporting_line(a=org["ceo"], b=org["engineer"])
    assert in_reporting_line(a=org["engineer"], b=org["vp"])  # depth 3
    assert in_reporting_line(a=org["manager"], b=org["engineer"])  # direct


def test_people_in_other_branches_are_not_in_a_reporting_line(org, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert not in_reporting_line(a=org["engineer"], b=org["clerk"])
    assert not in_reporting_line(a=org["vp"], b=org["cfo"])  # siblings
    assert not in_reporting_line(a=org["loner"], b=org["ceo"])
    assert not in_reporting_line(a=org["engineer"], b=org["engineer"])


def test_manager_chain_goes_up_to_the_top_in_one_query(org, django_assert_num_queries):
    with django_assert_num_queries(1):
        chain = manager_chain(person=org["engineer"])
    assert [p.full_name for p in chain] == ["Manager", "Director", "VP", "CEO"]
    with django_assert_num_queries(1):
        assert manager_chain(person=org["ceo"]) == []


def test_a_loop_in_the_data_does_not_hang_the_selectors(org, django_assert_num_queries):
    # The import refuses loops; the table can still hold one (e.g. edited in the support admin).
    Person.objects.filter(pk=org["ceo"].pk).update(manager=org["manager"])
    with django_assert_num_queries(1):
        chain = manager_chain(person=org["engineer"])
    assert [p.full_name for p in chain] == ["Manager", "Director", "VP", "CEO"]
    with django_assert_num_queries(1):
        assert not in_reporting_line(a=org["engineer"], b=org["clerk"])
    assert in_reporting_line(a=org["vp"], b=org["engineer"])


# --- Import screens -----------------------------------------------------------------------------------


def _csv(*rows, header=HEADER):
    return ("\n".join([header, *rows]) + "\n").encode()


def _upload(client, data: bytes, deactivate_missing=False):
    fields = {"file": SimpleUploadedFile("people.csv", data, content_type="text/csv")}
    if deactivate_missing:
        fields["deactivate_missing"] = "on"
    return client.post(reverse("profiles:import"), fields)


GOOD_FILE = _csv(
    "ceo@acme.example,Ada Chief,Chief Executive,Executive,9,,E001",
    "cto@acme.example,Ben Tech,CTO,Engineering,8,ceo@acme.example,E002",
    "dev@acme.example,Dee Coder,Engineer,Engineering,2,cto@acme.example,E003",
)


def test_import_upload_preview_confirm_writes_the_directory(client, hr_admin):
    client.force_login(hr_admin)
    existing = PersonFactory(email="cto@acme.example", full_name="Ben Old", employee_id="E002")
    before = Person.objects.count()
    response = _upload(client, GOOD_FILE)
    assert response.status_code == 302
    preview_url = response["Location"]
    response = client.get(preview_url)
    html = response.content.decode()
    result = response.context["result"]
    assert (result.created, result.updated, result.unchanged, result.deactivated) == (2, 1, 0, 0)
    assert "Ada Chief" in html and "Ben Old → Ben Tech" in html  # sample rows with the changes
    assert Person.objects.count() == before  # a preview writes nothing

    token = preview_url.rstrip("/").split("/")[-1]
    response = client.post(
        reverse("profiles:import_confirm", args=[token]), {"counts": response.context["counts"]}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("profiles:directory")
    assert "Directory imported: 2 added, 1 updated, 0 unchanged, 0 marked inactive." in (
        response.content.decode()
    )
    existing.refresh_from_db()
    assert existing.full_name == "Ben Tech"
    assert Person.objects.get(email="dev@acme.example").manager == existing
    assert IMPORT_SESSION_KEY not in client.session


def _with_own_row(user, data: bytes) -> bytes:
    person = user.person
    own = (
        f"{person.email},{person.full_name},HR lead,{person.department},{person.level},,{person.employee_id}"
    )
    return data + own.encode() + b"\n"


def test_import_with_deactivate_missing_shows_and_marks_leavers(client, hr_admin):
    client.force_login(hr_admin)
    leaver = PersonFactory(full_name="Lee Leaver")
    response = client.get(
        _upload(client, _with_own_row(hr_admin, GOOD_FILE), deactivate_missing=True)["Location"]
    )
    result = response.context["result"]
    assert result.deactivated == 1 and "Lee Leaver" in response.content.decode()
    token = response.context["token"]
    client.post(reverse("profiles:import_confirm", args=[token]), {"counts": response.context["counts"]})
    leaver.refresh_from_db()
    assert not leaver.is_active


def test_an_import_that_would_make_its_own_hr_admin_a_leaver_is_refused(client, hr_admin):
    client.force_login(hr_admin)
    before = list(Person.objects.values_list("pk", "is_active"))
    response = client.get(_upload(client, GOOD_FILE, deactivate_missing=True)["Location"])
    assert "confirming it would mark you inactive" in response.content.decode()
    assert not response.context["result"].ok
    token = response.context["token"]
    client.post(reverse("profiles:import_confirm", args=[token]), {"counts": response.context["counts"]})
    assert list(Person.objects.values_list("pk", "is_active")) == before
    assert client.get(reverse("profiles:directory")).status_code == 200


def test_a_leaver_loses_every_role_and_session_at_once(client, hr_admin, leader):
    """Finding 1: an HR admin and a leader left out of an import (by another HR admin) keep nothing."""
    from tests.factories import UserFactory

    other_hr = UserFactory(email="second.hr@example.com", is_hr_admin=True)
    PersonFactory(email=other_hr.email, user=other_hr)
    leaving = {"hr": Client(), "leader": Client()}
    leaving["hr"].force_login(hr_admin)
    leaving["leader"].force_login(leader)
    concerns = reverse("checkins:concerns")
    assert leaving["hr"].get(concerns).status_code == 200
    assert leaving["leader"].get(reverse("dashboards:index")).status_code == 200

    client.force_login(other_hr)
    response = client.get(
        _upload(client, _with_own_row(other_hr, GOOD_FILE), deactivate_missing=True)["Location"]
    )
    token = response.context["token"]
    client.post(reverse("profiles:import_confirm", args=[token]), {"counts": response.context["counts"]})

    for user in (hr_admin, leader):
        user.refresh_from_db()
        assert not user.person.is_active and not user.is_hr_admin and not user.is_leader
    # Their open sessions are signed out on the next request, and they cannot sign in again.
    assert leaving["hr"].get(concerns)["Location"].startswith(reverse("account_login"))
    assert leaving["leader"].get(reverse("dashboards:index"))["Location"].startswith(reverse("account_login"))
    hr_admin.set_password("a long enough passphrase")
    hr_admin.save()
    fresh = Client()
    fresh.post(reverse("account_login"), {"login": hr_admin.email, "password": "a long enough passphrase"})
    assert "_auth_user_id" not in fresh.session
    assert fresh.get(concerns).status_code == 302


def test_a_login_with_an_inactive_entry_is_refused_even_with_its_role_flags(client, hr_admin):
    """The rule holds wherever the entry was made inactive (the admin site, a script), not only in imports."""
    Person.objects.filter(user=hr_admin).update(is_active=False)
    client.force_login(hr_admin)
    response = client.get(reverse("checkins:concerns"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


BAD_FILE = _csv(
    "ceo@acme.example,Ada Chief,Chief Executive,Executive,9,,E001",
    "not-an-email,Ben Tech,CTO,Engineering,8,ceo@acme.example,E002",
    "dev@acme.example,,Engineer,Engineering,12,nobody@acme.example,E003",
)


def test_a_file_with_errors_shows_every_error_with_its_line_and_no_confirm(client, hr_admin):
    client.force_login(hr_admin)
    before = Person.objects.count()
    preview_url = _upload(client, BAD_FILE)["Location"]
    response = client.get(preview_url)
    html = response.content.decode()
    errors = [(e["line"], e["field"]) for e in response.context["errors"]]
    assert errors == [(3, "email"), (4, "full_name"), (4, "level"), (4, "manager_email")]
    assert 'id="import-errors"' in html and "is not a valid email address" in html
    assert "The file has 4 errors. Nothing will be imported." in html
    token = response.context["token"]
    assert reverse("profiles:import_confirm", args=[token]) not in html
    assert "Import now" not in html

    # Confirming anyway (a forged or replayed request) writes nothing.
    response = client.post(
        reverse("profiles:import_confirm", args=[token]), {"counts": "1,0,0,0"}, follow=True
    )
    assert "nothing was imported" in response.content.decode()
    assert Person.objects.count() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"email,full_name\n\xff\xfe broken", "is not UTF-8 text"),
        (b"email,full_name,job_title\nx@example.com,X,Y\n", "required column is missing from the header"),
        (b"", "The submitted file is empty."),
    ],
)
def test_an_unreadable_file_is_refused_at_the_file_field(client, hr_admin, data, message):
    client.force_login(hr_admin)
    response = _upload(client, data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["file"])
    assert message in response.content.decode()
    assert IMPORT_SESSION_KEY not in client.session


def test_confirm_writes_nothing_when_the_directory_changed_since_the_preview(client, hr_admin):
    client.force_login(hr_admin)
    response = client.get(_upload(client, GOOD_FILE)["Location"])
    token, counts = response.context["token"], response.context["counts"]
    PersonFactory(email="dev@acme.example", employee_id="E003")  # now an update, not a creation
    before = sorted(Person.objects.values_list("pk", "full_name"))
    response = client.post(reverse("profiles:import_confirm", args=[token]), {"counts": counts})
    assert response["Location"] == reverse("profiles:import_preview", args=[token])
    assert sorted(Person.objects.values_list("pk", "full_name")) == before


def test_an_unknown_or_replaced_preview_token_sends_back_to_upload(client, hr_admin):
    client.force_login(hr_admin)
    first = client.get(_upload(client, GOOD_FILE)["Location"]).context["token"]
    _upload(client, GOOD_FILE)  # a second upload replaces the first
    response = client.get(reverse("profiles:import_preview", args=[first]))
    assert response.status_code == 302 and response["Location"] == reverse("profiles:import")
    response = client.post(reverse("profiles:import_confirm", args=[first]), {"counts": "3,0,0,0"})
    assert response["Location"] == reverse("profiles:import")
    assert not Person.objects.filter(email="dev@acme.example").exists()
