"""SCIM 2.0 provisioning (/scim/v2/): an identity provider creates, updates and deactivates people."""

import json
import uuid
from typing import Annotated

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.urls import reverse
from pydantic import Field
from scim2_client.engines.wsgi import WSGISCIMClient
from scim2_models import Required, ResourceType, ScimProvider, Uniqueness
from scim2_tester import Status, check_server

from profiles import scim_models
from profiles.api_tokens import api_token_create
from profiles.models import AuditEvent, Person, PersonHistory
from tests.factories import PASSWORD, PersonFactory, UserFactory
from tests.helpers import count_queries

pytestmark = pytest.mark.django_db

BASE = "/scim/v2"
CONTENT_TYPE = "application/scim+json"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.fixture
def token(hr_admin):
    _token, raw = api_token_create(created_by=hr_admin, name="Okta", scopes=["directory:write"])
    return raw


@pytest.fixture
def scim(client, token):
    """The test client as an identity provider: every request with the token, bodies as SCIM JSON."""

    def call(method, path, body=None, headers=None, raw_token=token):
        extra = {"HTTP_AUTHORIZATION": f"Bearer {raw_token}"} if raw_token else {}
        for name, value in (headers or {}).items():
            extra["HTTP_" + name.upper().replace("-", "_")] = value
        if method == "GET":
            return client.get(BASE + path, **extra)
        data = json.dumps(body) if body is not None else None
        return getattr(client, method.lower())(BASE + path, data=data, content_type=CONTENT_TYPE, **extra)

    return call


def new_user(email="ada.lovelace@example.com", **extra):
    body = {
        "schemas": [scim_models.CORE_USER, scim_models.ENTERPRISE_USER, scim_models.TWOWAY_USER],
        "userName": email,
        "externalId": "okta-00u1",
        "displayName": "Ada Lovelace",
        "title": "Analyst",
        "active": True,
        scim_models.ENTERPRISE_USER: {"employeeNumber": "E-1", "department": "Engineering"},
        scim_models.TWOWAY_USER: {"level": 3, "timeZone": "Europe/London", "location": "London"},
    }
    return body | extra


def assert_scim_error(response, status, scim_type=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == CONTENT_TYPE
    body = response.json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    if scim_type:
        assert body["scimType"] == scim_type


def provisioned_events():
    return AuditEvent.objects.filter(action=AuditEvent.Action.PERSON_PROVISIONED)


# --- Create, read, filter ----------------------------------------------------------------------------


def test_create_adds_a_person_with_every_mapped_field(scim, hr_admin):
    manager = PersonFactory(email="boss@example.com")
    body = new_user()
    body[scim_models.ENTERPRISE_USER]["manager"] = {"value": str(manager.pk)}
    response = scim("POST", "/Users", body)
    assert response.status_code == 201, response.content
    assert response["Content-Type"] == CONTENT_TYPE
    person = Person.objects.get(email="ada.lovelace@example.com")
    assert (person.full_name, person.job_title, person.department, person.level) == (
        "Ada Lovelace",
        "Analyst",
        "Engineering",
        3,
    )
    assert (person.employee_id, person.scim_external_id, person.manager, person.is_active) == (
        "E-1",
        "okta-00u1",
        manager,
        True,
    )
    assert (person.time_zone, person.location) == ("Europe/London", "London")
    user = response.json()
    assert user["id"] == str(person.pk)
    assert response["Location"] == f"http://testserver{BASE}/Users/{person.pk}"
    assert response["ETag"] == user["meta"]["version"] and user["meta"]["version"].startswith('W/"')
    assert user["emails"] == [{"value": person.email, "type": "work", "primary": True}]
    assert user[scim_models.ENTERPRISE_USER]["manager"]["value"] == str(manager.pk)
    assert not {"birthdate", "birthDate", "age"} & set(json.dumps(user).split('"'))
    # The directory history starts, and the write is audited (ids and field names only).
    assert PersonHistory.objects.filter(person=person, valid_to__isnull=True, level=3).exists()
    event = provisioned_events().get()
    assert (event.actor_id, event.target, event.detail["operation"]) == (
        hr_admin.pk,
        f"person:{person.pk}",
        "create",
    )
    assert "Ada" not in json.dumps(event.detail)


def test_name_parts_stand_in_for_a_missing_display_name(scim):
    body = new_user()
    del body["displayName"]
    body["name"] = {"givenName": "Ada", "familyName": "Lovelace"}
    assert scim("POST", "/Users", body).status_code == 201
    assert Person.objects.get(email="ada.lovelace@example.com").full_name == "Ada Lovelace"


def test_get_returns_the_person_and_an_unknown_id_is_a_scim_404(scim):
    person = PersonFactory(full_name="Grace Hopper", level=5)
    response = scim("GET", f"/Users/{person.pk}")
    assert response.status_code == 200
    user = response.json()
    assert (user["userName"], user["displayName"], user["active"]) == (person.email, "Grace Hopper", True)
    assert user[scim_models.TWOWAY_USER]["level"] == 5
    assert user[scim_models.ENTERPRISE_USER]["employeeNumber"] == person.employee_id
    assert_scim_error(scim("GET", "/Users/999999"), 404)
    assert_scim_error(scim("GET", "/Users/not-a-number"), 404)
    # An unchanged version is not sent again.
    assert scim("GET", f"/Users/{person.pk}", headers={"If-None-Match": response["ETag"]}).status_code == 304


@pytest.mark.parametrize(
    "scim_filter",
    [
        'userName eq "GRACE@example.com"',
        'externalId eq "entra-7"',
        'emails.value eq "grace@example.com"',
        'userName sw "grace" and active eq true',
    ],
)
def test_filter_finds_one_person(scim, scim_filter):
    grace = PersonFactory(email="grace@example.com", scim_external_id="entra-7")
    PersonFactory(email="someone@example.com", scim_external_id="entra-8")
    response = scim("GET", "/Users?" + f"filter={scim_filter}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["totalResults"] == 1
    assert [user["id"] for user in body["Resources"]] == [str(grace.pk)]


def test_a_filter_matching_nobody_is_an_empty_list_and_a_bad_one_is_invalid_filter(scim):
    PersonFactory()
    body = scim("GET", '/Users?filter=userName eq "nobody@example.com"').json()
    assert (body["totalResults"], body.get("Resources", [])) == (0, [])
    assert_scim_error(scim("GET", "/Users?filter=userName eq"), 400, "invalidFilter")
    assert_scim_error(scim("GET", '/Users?filter=userName gt "a"'), 400, "invalidFilter")


def test_list_pages_with_start_index_and_count(scim, hr_admin):
    people = [PersonFactory() for _ in range(4)]
    everyone = sorted([hr_admin.person.pk] + [p.pk for p in people])
    body = scim("GET", "/Users?startIndex=2&count=2").json()
    assert (body["totalResults"], body["startIndex"], body["itemsPerPage"]) == (5, 2, 2)
    assert [int(user["id"]) for user in body["Resources"]] == everyone[1:3]


def test_list_query_count_does_not_grow_with_the_directory(scim):
    PersonFactory.create_batch(3)
    scim("GET", "/Users?count=200")  # the token's last use is written at most once a minute
    with count_queries() as few:
        assert scim("GET", "/Users?count=200").status_code == 200
    PersonFactory.create_batch(30)
    with count_queries() as many:
        assert scim("GET", "/Users?count=200").status_code == 200
    assert len(many) == len(few) <= 3


# --- Replace and patch ----------------------------------------------------------------------------------


def test_put_replaces_and_keeps_what_twoway_alone_knows(scim):
    person = PersonFactory(level=6, time_zone="Asia/Tokyo", location="Tokyo", scim_external_id="x1")
    body = new_user(email=person.email, displayName="New Name", title="Director")
    del body[scim_models.TWOWAY_USER]
    body[scim_models.ENTERPRISE_USER] = {"department": "Sales"}
    del body["externalId"]
    response = scim("PUT", f"/Users/{person.pk}", body)
    assert response.status_code == 200, response.content
    person.refresh_from_db()
    assert (person.full_name, person.job_title, person.department) == ("New Name", "Director", "Sales")
    # What the replacement left out is cleared, except the level, time zone and location.
    assert (person.employee_id, person.scim_external_id) == ("", "")
    assert (person.level, person.time_zone, person.location) == (6, "Asia/Tokyo", "Tokyo")


def test_patch_add_replace_and_remove(scim):
    manager = PersonFactory()
    person = PersonFactory(job_title="Analyst")
    operations = [
        {"op": "replace", "path": "title", "value": "Lead"},
        {"op": "add", "path": f"{scim_models.ENTERPRISE_USER}:manager", "value": {"value": str(manager.pk)}},
        {"op": "replace", "value": {f"{scim_models.TWOWAY_USER}:level": 7, "displayName": "Renamed"}},
        {"op": "remove", "path": f"{scim_models.TWOWAY_USER}:location"},
    ]
    response = scim("PATCH", f"/Users/{person.pk}", {"schemas": [PATCH], "Operations": operations})
    assert response.status_code == 200, response.content
    person.refresh_from_db()
    assert (person.job_title, person.manager, person.level, person.full_name, person.location) == (
        "Lead",
        manager,
        7,
        "Renamed",
        "",
    )
    assert provisioned_events().get().detail["fields"] == [
        "full_name",
        "job_title",
        "level",
        "location",
        "manager_id",
    ]


def test_patch_active_false_is_a_leaver_who_cannot_sign_in_any_more(scim, client, mentor, leader):
    leader_person = leader.person
    assert client.login(email=mentor.email, password=PASSWORD)
    assert client.get(reverse("profiles:account")).status_code == 200
    deactivate = {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": False}}]}
    assert scim("PATCH", f"/Users/{mentor.person.pk}", deactivate).status_code == 200
    assert scim("PATCH", f"/Users/{leader_person.pk}", deactivate).status_code == 200
    # Within that one request: the signed-in session is anonymous on its next request...
    response = client.get(reverse("profiles:account"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    # ...and signing in again is refused.
    assert not client.login(email=mentor.email, password=PASSWORD)
    mentor.person.refresh_from_db()
    leader.refresh_from_db()
    assert not mentor.person.is_active and not leader.is_leader  # a leaver keeps no role
    assert PersonHistory.objects.get(person=mentor.person, valid_to__isnull=True).is_active is False
    assert provisioned_events().filter(detail__operation="deactivate").count() == 2
    # Back again: active, without the role they had.
    reactivate = {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": True}]}
    assert scim("PATCH", f"/Users/{leader_person.pk}", reactivate).json()["active"] is True
    leader.refresh_from_db()
    assert not leader.is_leader


def test_delete_deactivates_and_never_deletes(scim, mentor):
    response = scim("DELETE", f"/Users/{mentor.person.pk}")
    assert response.status_code == 204
    person = Person.objects.get(pk=mentor.person.pk)  # still in the directory
    assert person.is_active is False
    assert scim("GET", f"/Users/{person.pk}").json()["active"] is False
    assert scim("DELETE", f"/Users/{person.pk}").status_code == 204  # again: nothing more happens
    assert provisioned_events().count() == 1


def test_the_token_maker_cannot_be_deactivated_by_their_own_token(scim, hr_admin):
    response = scim("DELETE", f"/Users/{hr_admin.person.pk}")
    assert_scim_error(response, 400, "mutability")
    hr_admin.refresh_from_db()
    assert hr_admin.person.is_active and hr_admin.is_hr_admin


# --- Versions, conflicts, bad input ------------------------------------------------------------------


def test_if_match_with_an_old_version_is_412_and_changes_nothing(scim):
    person = PersonFactory(job_title="Analyst")
    old = scim("GET", f"/Users/{person.pk}")["ETag"]
    patch = {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "title", "value": "Lead"}]}
    current = scim("PATCH", f"/Users/{person.pk}", patch, headers={"If-Match": old})
    assert current.status_code == 200 and current["ETag"] != old
    patch["Operations"][0]["value"] = "Chief"
    assert_scim_error(scim("PATCH", f"/Users/{person.pk}", patch, headers={"If-Match": old}), 412)
    assert_scim_error(scim("DELETE", f"/Users/{person.pk}", headers={"If-Match": old}), 412)
    person.refresh_from_db()
    assert (person.job_title, person.is_active) == ("Lead", True)


def test_a_user_name_already_in_the_directory_is_409_uniqueness(scim):
    PersonFactory(email="ada.lovelace@example.com")
    assert_scim_error(scim("POST", "/Users", new_user(email="Ada.Lovelace@example.com")), 409, "uniqueness")
    assert Person.objects.filter(email__iexact="ada.lovelace@example.com").count() == 1


@pytest.mark.parametrize(
    ("change", "scim_type"),
    [
        ({"userName": "not-an-email"}, "invalidValue"),
        ({scim_models.TWOWAY_USER: {"timeZone": "Europe/London"}}, "invalidValue"),  # no level
        ({scim_models.TWOWAY_USER: {"level": 12}}, "invalidValue"),
        ({scim_models.TWOWAY_USER: {"level": 3, "timeZone": "Mars/Olympus"}}, "invalidValue"),
        ({scim_models.ENTERPRISE_USER: {"manager": {"value": "999999"}}}, "invalidValue"),
        ({"displayName": "Ada\u202eLovelace"}, "invalidValue"),
        ({"active": "perhaps"}, "invalidValue"),
    ],
)
def test_bad_input_is_400_with_a_scim_type_and_creates_nobody(scim, change, scim_type):
    before = Person.objects.count()
    assert_scim_error(scim("POST", "/Users", new_user() | change), 400, scim_type)
    assert Person.objects.count() == before and not provisioned_events().exists()


def test_a_body_that_is_not_json_is_invalid_syntax(client, token):
    response = client.post(
        BASE + "/Users", data="{nope", content_type=CONTENT_TYPE, HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert_scim_error(response, 400, "invalidSyntax")


def test_a_manager_loop_is_refused(scim):
    top = PersonFactory()
    middle = PersonFactory(manager=top)
    patch = {
        "schemas": [PATCH],
        "Operations": [
            {"op": "replace", "path": f"{scim_models.ENTERPRISE_USER}:manager.value", "value": str(middle.pk)}
        ],
    }
    assert_scim_error(scim("PATCH", f"/Users/{top.pk}", patch), 400, "invalidValue")
    top.refresh_from_db()
    assert top.manager is None


# --- Who may ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
def test_without_a_working_token_it_is_401_and_nothing_changes(scim, client, hr_admin, mentor, method):
    person_id = mentor.person.pk
    path = "/Users" if method in ("GET", "POST") else f"/Users/{person_id}"
    body = (
        new_user()
        if method in ("POST", "PUT")
        else {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": False}}]}
    )
    client.force_login(hr_admin)  # a session never counts
    for raw in (None, "tw_nope_secret", "not-even-a-token"):
        assert_scim_error(scim(method, path, body, raw_token=raw), 401)
    assert Person.objects.get(pk=person_id).is_active
    assert not Person.objects.filter(email="ada.lovelace@example.com").exists()
    assert not provisioned_events().exists()


def test_a_token_without_directory_write_is_403_and_nothing_changes(scim, hr_admin, mentor):
    _token, read_only = api_token_create(created_by=hr_admin, name="reader", scopes=["directory:read"])
    assert_scim_error(scim("GET", "/Users", raw_token=read_only), 403)
    assert_scim_error(scim("DELETE", f"/Users/{mentor.person.pk}", raw_token=read_only), 403)
    assert Person.objects.get(pk=mentor.person.pk).is_active and not provisioned_events().exists()


def test_a_token_whose_maker_left_stops_working(scim, token, hr_admin, mentor):
    UserFactory(is_hr_admin=True)  # someone else stays in charge
    Person.objects.filter(user=hr_admin).update(is_active=False)
    hr_admin.is_hr_admin = False
    hr_admin.save()
    assert_scim_error(scim("DELETE", f"/Users/{mentor.person.pk}"), 401)


# --- Discovery and compliance -------------------------------------------------------------------------


def test_discovery_endpoints(scim):
    config = scim("GET", "/ServiceProviderConfig").json()
    assert config["patch"]["supported"] and config["etag"]["supported"] and not config["bulk"]["supported"]
    assert config["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    types = scim("GET", "/ResourceTypes").json()["Resources"]
    assert [t["name"] for t in types] == ["User"]
    schema_ids = [s["id"] for s in scim("GET", "/Schemas").json()["Resources"]]
    assert schema_ids == [scim_models.CORE_USER, scim_models.ENTERPRISE_USER, scim_models.TWOWAY_USER]
    assert scim("GET", f"/Schemas/{scim_models.TWOWAY_USER}").json()["id"] == scim_models.TWOWAY_USER
    assert_scim_error(scim("GET", "/Groups"), 404)


class _FreshEmails(list):
    """An endless supply of new addresses: scim2-tester picks values from a field's examples."""

    def __len__(self):
        return 10**9

    def __getitem__(self, index):
        return f"tester.{uuid.uuid4().hex}@example.com"


class DescribedUser(scim_models.User):
    # What a SCIM schema cannot say, told to the tester: userName is an email address, and active is
    # always known (leaving it out means true, so "remove" cannot unassign it).
    user_name: Annotated[str | None, Required.true, Uniqueness.server] = Field(None, examples=_FreshEmails())
    active: Annotated[bool | None, Required.true] = None


class DescribedTwoway(scim_models.TwowayUser):
    # The level is required to create someone (the server keeps it when a replacement leaves it out,
    # so its published schema cannot say "required"), from 1 to 9; a time zone is an IANA name.
    level: Annotated[int | None, Required.true] = Field(None, examples=list(range(1, 10)))
    time_zone: str | None = Field(None, examples=["Europe/Paris", "America/New_York", "Asia/Tokyo"])


@pytest.mark.django_db(transaction=True)
def test_scim2_tester_finds_no_failure(hr_admin):
    """scim2-tester (python-scim) runs its whole suite in-process (scim2-client's WSGI engine) against
    what the server publishes, plus the value rules above. The one finding left is by design: a DELETE
    deactivates (the directory never forgets anyone), so the resource still answers afterwards."""
    _token, raw = api_token_create(created_by=hr_admin, name="scim2-tester", scopes=["directory:write"])
    model = DescribedUser[scim_models.EnterpriseUser | Annotated[DescribedTwoway, Required.true]]
    provider = ScimProvider(
        models=[DescribedUser, scim_models.EnterpriseUser, DescribedTwoway],
        resource_types=[ResourceType.from_resource(model)],
        config=scim_models.PROVIDER.config,
    )
    client = WSGISCIMClient(
        WSGIHandler(),
        base_url="http://testserver/scim/v2",
        headers={"Authorization": f"Bearer {raw}"},
        provider=provider,
    )
    results = check_server(client)
    findings = [(r.title, r.reason) for r in results if r.status not in (Status.SUCCESS, Status.SKIPPED)]
    assert [title for title, _reason in findings] == ["object_deletion"], findings
    assert "still exists after deletion" in findings[0][1]
    assert sum(r.status == Status.SUCCESS for r in results) >= 50
