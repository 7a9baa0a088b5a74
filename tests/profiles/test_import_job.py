"""Finding 4 (issue 12): a large import is confirmed as a Celery job, with a progress bar and a result."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from profiles.models import DirectoryImport, Person
from profiles.services import directory_import_job_run, directory_import_queue
from tests.workers import celery_worker, database_url_of_test_db, wait_for

HEADER = "email,full_name,job_title,department,level,manager_email,employee_id"


def _file(hr_admin, *rows) -> bytes:
    person = hr_admin.person
    own = (
        f"{person.email},{person.full_name},HR lead,{person.department},{person.level},,{person.employee_id}"
    )
    return ("\n".join([HEADER, own, *rows]) + "\n").encode()


ROWS = (
    "ceo@acme.example,Ada Chief,Chief Executive,Executive,9,,E001",
    "cto@acme.example,Ben Tech,CTO,Engineering,8,ceo@acme.example,E002",
    "dev@acme.example,Dee Coder,Engineer,Engineering,2,cto@acme.example,E003",
)


def _preview(client, data: bytes):
    upload = client.post(reverse("profiles:import"), {"file": SimpleUploadedFile("people.csv", data)})
    return client.get(upload["Location"])


@pytest.mark.django_db(transaction=True)
def test_a_large_import_runs_as_a_job_on_a_real_worker(client, settings, hr_admin, tmp_path):
    settings.IMPORT_INLINE_ROWS = 2  # "large" for this test: more than two rows
    client.force_login(hr_admin)
    preview = _preview(client, _file(hr_admin, *ROWS))
    token, counts = preview.context["token"], preview.context["counts"]
    response = client.post(reverse("profiles:import_confirm", args=[token]), {"counts": counts})
    job = DirectoryImport.objects.get()
    assert response["Location"] == reverse("profiles:import_job", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert 'role="status"' in page and "<progress" in page and 'hx-trigger="every 2s"' in page
    assert not Person.objects.filter(email="ceo@acme.example").exists()  # nothing written by the request

    with celery_worker({"DATABASE_URL": database_url_of_test_db()}, log_path=tmp_path / "worker.log"):
        wait_for(lambda: DirectoryImport.objects.get().is_finished, timeout=60, what="the import job")
    job.refresh_from_db()
    assert job.state == DirectoryImport.State.DONE, job.result
    assert job.result == {"created": 3, "updated": 1, "unchanged": 0, "deactivated": 0}
    assert job.text == ""  # the file is not kept once the directory has it
    assert Person.objects.filter(email__in=["ceo@acme.example", "dev@acme.example"]).count() == 2
    page = client.get(reverse("profiles:import_job", args=[job.pk]))
    assert "3 added, 1 updated, 0 unchanged, 0 marked inactive" in page.content.decode()
    partial = client.get(reverse("profiles:import_job", args=[job.pk]), headers={"HX-Request": "true"})
    assert partial["HX-Refresh"] == "true"


def test_a_job_writes_nothing_when_the_directory_changed_since_the_preview(
    hr_admin, django_capture_on_commit_callbacks
):
    job = directory_import_queue(
        text=_file(hr_admin, *ROWS).decode(),
        filename="people.csv",
        deactivate_missing=False,
        expected_counts="3,0,1,0",  # what a preview showed before someone else changed the directory
        actor=hr_admin,
    )
    before = Person.objects.count()
    job = directory_import_job_run(job_id=job.pk)
    assert (
        job.state == DirectoryImport.State.FAILED and "changed between the preview" in job.result["message"]
    )
    assert Person.objects.count() == before
    assert directory_import_job_run(job_id=job.pk) is None  # a second delivery of the task does nothing


def test_the_job_page_is_for_hr_only(client, hr_admin, leader, mentor):
    job = DirectoryImport.objects.create(created_by=hr_admin, expected_counts="0,0,0,0", text="secret,rows")
    for user in (leader, mentor):
        client.force_login(user)
        assert client.get(reverse("profiles:import_job", args=[job.pk])).status_code == 403
    job.refresh_from_db()
    assert job.state == DirectoryImport.State.QUEUED and job.text == "secret,rows"
