"""The HR system's file drop: employee files in DIRECTORY_DROP_DIR are imported on the tick, under the
same preview rules as an upload; a risky file is held for an HR admin to confirm or discard."""

import os
import shutil
import time

import pytest
from django.urls import reverse

from checkins.tasks import tick
from profiles.directory_drop import directory_drop_scan
from profiles.models import AuditEvent, DirectoryImport, Notification, Person
from tests.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db

HEADER = "email,full_name,job_title,department,level,manager_email,employee_id"
NEW_ROWS = (
    "ceo@acme.example,Ada Chief,Chief Executive,Executive,9,,E001",
    "dev@acme.example,Dee Coder,Engineer,Engineering,2,ceo@acme.example,E003",
)


def row_of(person: Person) -> str:
    return f"{person.email},{person.full_name},{person.job_title},{person.department},{person.level},,{person.employee_id}"


@pytest.fixture
def drop(settings, tmp_path):
    settings.DIRECTORY_DROP_DIR = str(tmp_path)

    def put(name: str, *rows: str, data: bytes | None = None, settled: bool = True):
        path = tmp_path / name
        path.write_bytes(data if data is not None else ("\n".join([HEADER, *rows]) + "\n").encode())
        if settled:  # written a while ago: the export is complete
            past = time.time() - 120
            os.utime(path, (past, past))
        return path

    return put


def everyone_in_the_directory(*, but=()) -> list[str]:
    return [row_of(p) for p in Person.objects.filter(is_active=True).exclude(pk__in=[p.pk for p in but])]


def test_the_tick_imports_a_new_file_once(
    drop, hr_admin, celery_eager, django_capture_on_commit_callbacks, tmp_path
):
    path = drop("people-2026-12-01.csv", *everyone_in_the_directory(), *NEW_ROWS)
    content = path.read_bytes()
    for _tick in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            tick.apply()
    job = DirectoryImport.objects.get()
    assert (job.source, job.state, job.filename) == ("folder", "done", "people-2026-12-01.csv")
    assert job.result["created"] == 2 and job.text == ""
    assert Person.objects.filter(email__in=["ceo@acme.example", "dev@acme.example"]).count() == 2
    assert not path.exists() and (tmp_path / "done" / "people-2026-12-01.csv").exists()
    # The HR system delivers the very same file again: it is known by its name and SHA-256.
    shutil.copy(tmp_path / "done" / "people-2026-12-01.csv", path)
    os.utime(path, (time.time() - 120,) * 2)
    assert directory_drop_scan() == []
    assert DirectoryImport.objects.count() == 1
    # It is moved out of the way all the same, next to the first copy.
    assert not path.exists() and len(list((tmp_path / "done").iterdir())) == 2
    assert content == (tmp_path / "done" / "people-2026-12-01.csv").read_bytes()


def test_no_folder_setting_means_off(settings, hr_admin):
    settings.DIRECTORY_DROP_DIR = ""
    assert directory_drop_scan() == []


def test_a_file_still_being_written_waits(drop, hr_admin):
    drop("people.csv", *everyone_in_the_directory(), *NEW_ROWS, settled=False)
    assert directory_drop_scan() == []
    assert not DirectoryImport.objects.exists()


def test_a_file_with_errors_is_not_applied_and_hr_sees_its_errors(drop, client, hr_admin):
    drop("people.csv", *everyone_in_the_directory(), "dev@acme.example,Dee Coder,Engineer,Engineering,12,,E3")
    (job,) = directory_drop_scan()
    assert job.state == DirectoryImport.State.FAILED and job.source == DirectoryImport.Source.FOLDER
    assert not Person.objects.filter(email="dev@acme.example").exists()
    client.force_login(hr_admin)
    page = client.get(reverse("profiles:import_job", args=[job.pk])).content.decode()
    assert "nothing was imported" in page and "line 3: level" in page
    assert "people.csv" in client.get(reverse("profiles:import")).content.decode()


def test_a_file_that_is_not_utf8_fails(drop, hr_admin):
    drop("people.csv", data=(HEADER + "\nj\xf6rg@acme.example,J\xf6rg,Dev,IT,2,,\n").encode("latin-1"))
    (job,) = directory_drop_scan()
    assert job.state == DirectoryImport.State.FAILED and "UTF-8" in " ".join(job.result["errors"])


def test_too_many_leavers_hold_the_file_until_an_hr_admin_confirms_it(
    drop, client, hr_admin, mentor, mentee, celery_eager, django_capture_on_commit_callbacks
):
    drop("people.csv", *everyone_in_the_directory(but=[mentor.person]))
    (job,) = directory_drop_scan()
    assert job.state == DirectoryImport.State.HELD
    assert "It would mark 1 of 3 active people inactive, more than the 5%" in job.held_reason
    assert Person.objects.get(pk=mentor.person.pk).is_active  # nothing written
    # Every HR admin is told at once, through the outbox.
    notice = Notification.objects.get(kind=Notification.Kind.IMPORT_HELD)
    assert notice.recipient == hr_admin.person and notice.link.endswith(
        reverse("profiles:import_job", args=[job.pk])
    )
    assert job.held_reason in notice.body
    client.force_login(hr_admin)
    page = client.get(reverse("profiles:import_job", args=[job.pk])).content.decode()
    assert job.held_reason in page and "hx-trigger" not in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("profiles:import_job_confirm", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == DirectoryImport.State.DONE, job.result
    assert job.result["deactivated"] == 1 and job.created_by == hr_admin
    assert not Person.objects.get(pk=mentor.person.pk).is_active
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.DIRECTORY_IMPORTED,
        target=f"directory_import:{job.pk}",
        detail__decision="confirmed",
    ).exists()
    # Deciding twice is refused and changes nothing.
    client.post(reverse("profiles:import_job_discard", args=[job.pk]))
    job.refresh_from_db()
    assert job.state == DirectoryImport.State.DONE


def test_a_file_that_would_remove_an_hr_admin_is_held_and_can_be_discarded(drop, settings, client, hr_admin):
    settings.DIRECTORY_DROP_MAX_LEAVERS_SHARE = 1.0  # the share alone would let it through
    other = PersonFactory(full_name="Other Admin", user=UserFactory(is_hr_admin=True))
    drop("people.csv", *everyone_in_the_directory(but=[other]), *NEW_ROWS)
    (job,) = directory_drop_scan()
    assert job.state == DirectoryImport.State.HELD
    assert job.held_reason == "It would mark an HR admin inactive, ending their access: Other Admin."
    client.force_login(hr_admin)
    client.post(reverse("profiles:import_job_discard", args=[job.pk]))
    job.refresh_from_db()
    assert (job.state, job.text) == (DirectoryImport.State.FAILED, "")
    assert "Discarded" in job.result["message"]
    assert (
        Person.objects.get(pk=other.pk).is_active
        and not Person.objects.filter(email="ceo@acme.example").exists()
    )
    assert AuditEvent.objects.filter(detail__decision="discarded", actor_id=hr_admin.pk).exists()
    # A discarded file is not picked up again.
    drop("people.csv", *everyone_in_the_directory(but=[other]), *NEW_ROWS)
    assert directory_drop_scan() == []


def test_only_an_hr_admin_decides(drop, client, mentor, hr_admin, mentee):
    drop("people.csv", *everyone_in_the_directory(but=[mentee.person]))
    (job,) = directory_drop_scan()
    client.force_login(mentor)
    assert client.post(reverse("profiles:import_job_confirm", args=[job.pk])).status_code == 403
    job.refresh_from_db()
    assert job.state == DirectoryImport.State.HELD
