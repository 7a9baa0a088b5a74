"""The HR system's file drop: employee CSV files in settings.DIRECTORY_DROP_DIR are imported on the tick.

The folder is mounted from the HR system's SFTP export. Each file is a full export of the directory, so
people it leaves out are leavers (deactivate_missing). A file goes through the same rules as an upload
(profiles.importing, services.directory_import): its preview is computed first and the job checks the
directory did not change since (services.directory_import_job_run). Then:

- a file with errors is not applied: its job fails with the row errors, for HR to read;
- a file that would mark inactive more than DIRECTORY_DROP_MAX_LEAVERS_SHARE of the active directory, or
  any active HR admin (an unattended drop's "importing admin" is every one of them), is HELD: nothing is
  written until an HR admin confirms it on the job's page (or discards it);
- any other file is queued and written by the Celery job, as a large upload is.

A file is known by its name and SHA-256 (kept in the job's result), so the same file is never imported
twice, whoever or whatever runs the scan; once looked at it is moved to done/ (when the folder is
writable). A file still being written (changed in the last FILE_SETTLE_SECONDS) waits for the next tick.
"""

import hashlib
import logging
import time
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from common.db import of_ids

from . import audit
from .models import AuditEvent, DirectoryImport, Notification, Person, User
from .outbox import notify, to_hr_admins
from .services import directory_import

logger = logging.getLogger(__name__)

DONE_FOLDER = "done"
FILE_SETTLE_SECONDS = 30
ADVISORY_LOCK = 827_302  # any constant: "the file drop is being scanned"


def _pending_files(folder: Path) -> list[Path]:
    settled = time.time() - FILE_SETTLE_SECONDS
    return sorted(
        (
            path
            for path in folder.iterdir()
            if path.is_file()
            and path.suffix.lower() == ".csv"
            and not path.name.startswith(".")
            and path.stat().st_mtime <= settled
        ),
        key=lambda path: (path.stat().st_mtime, path.name),
    )


def directory_drop_scan() -> list[DirectoryImport]:
    """Turn each new file of the drop folder into a DirectoryImport (source=folder): failed, held or
    queued, as the module says. Idempotent: a file (name and SHA-256) already seen creates nothing,
    and two scans at once take turns. Returns the jobs it created."""
    folder_setting = settings.DIRECTORY_DROP_DIR
    if not folder_setting:
        return []
    folder = Path(folder_setting)
    if not folder.is_dir():
        logger.warning("DIRECTORY_DROP_DIR %s is not a folder", folder)
        return []
    jobs = []
    for path in _pending_files(folder):
        data = path.read_bytes()
        job = _file_import(name=path.name, data=data)
        if job is not None:
            jobs.append(job)
        _move_to_done(path, sha256=hashlib.sha256(data).hexdigest())
    return jobs


def _move_to_done(path: Path, *, sha256: str) -> None:
    done = path.parent / DONE_FOLDER
    target = done / path.name
    try:
        done.mkdir(exist_ok=True)
        if target.exists():
            target = done / f"{path.stem}-{sha256[:12]}{path.suffix}"
        path.replace(target)
    except OSError:
        # A read-only export: the file stays, and its recorded fingerprint keeps it from a second import.
        logger.info("could not move %s to %s/", path.name, DONE_FOLDER)


@transaction.atomic
def _file_import(*, name: str, data: bytes) -> DirectoryImport | None:
    sha256 = hashlib.sha256(data).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK])
    seen = DirectoryImport.objects.filter(
        source=DirectoryImport.Source.FOLDER, filename=name[:255], result__sha256=sha256
    )
    if seen.exists():
        return None
    job = DirectoryImport(
        source=DirectoryImport.Source.FOLDER,
        filename=name[:255],
        deactivate_missing=True,
        created_by=None,
        result={"sha256": sha256},
    )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = None
    preview = directory_import(data=data if text is None else text, deactivate_missing=True, dry_run=True)
    if not preview.ok:
        job.state = DirectoryImport.State.FAILED
        job.finished_at = timezone.now()
        job.result |= {
            "message": _("The file has errors, so nothing was imported."),
            "errors": [str(error) for error in preview.errors[:100]],
        }
        job.save()
        return job
    job.text = text
    job.expected_counts = preview.counts
    job.held_reason = _held_reason(preview)
    if job.held_reason:
        job.state = DirectoryImport.State.HELD
        job.save()
        notify(*_held_messages(job), at_once=True)
        return job
    job.save()
    _enqueue(job)
    return job


def _held_reason(preview) -> str:
    """Why a file must wait for an HR admin, in plain words, or ""."""
    reasons = []
    leavers = preview.deactivated
    active = Person.objects.filter(is_active=True).count()
    share = settings.DIRECTORY_DROP_MAX_LEAVERS_SHARE
    if leavers and leavers > share * active:
        reasons.append(
            _(
                "It would mark %(leavers)s of %(active)s active people inactive, more than the %(share)s%% "
                "a file may change on its own."
            )
            % {"leavers": leavers, "active": active, "share": f"{share * 100:g}"}
        )
    leaving_ids = [person.pk for person in preview.plan.to_deactivate]
    admins = list(
        of_ids(Person.objects.filter(user__is_hr_admin=True, user__is_active=True), "id", leaving_ids)
        .order_by("full_name")
        .values_list("full_name", flat=True)
    )
    if admins:
        reasons.append(
            ngettext(
                "It would mark an HR admin inactive, ending their access: %(names)s.",
                "It would mark %(count)s HR admins inactive, ending their access: %(names)s.",
                len(admins),
            )
            % {"count": len(admins), "names": ", ".join(admins)}
        )
    return " ".join(reasons)


def _held_messages(job: DirectoryImport) -> list:
    """Every HR admin hears at once that a file from the HR system waits for them (and why)."""
    return to_hr_admins(
        kind=Notification.Kind.IMPORT_HELD,
        subject=f"directory_import:{job.pk}",
        period="held",
        words=lambda: {
            "title": _("A directory file from the HR system waits for you (%(file)s)")
            % {"file": job.filename},
            "body": job.held_reason
            + "\n\n"
            + _("Nothing of it was written. Confirm it to import it, or discard it, on its page."),
            "why": _(
                "A file that would change this much of the directory is not applied without an HR admin."
            ),
        },
        link=reverse("profiles:import_job", args=[job.pk]),
    )


def _enqueue(job: DirectoryImport) -> None:
    from .tasks import import_directory  # noqa: PLC0415 - tasks import the services

    transaction.on_commit(lambda: import_directory.delay(job.pk))


@transaction.atomic
def directory_drop_confirm(*, job: DirectoryImport, actor: User) -> DirectoryImport:
    """An HR admin applies a held file: it is queued for the import job, which writes it only if the
    directory still gives the preview's counts, and never if it would mark this admin inactive (as an
    upload of theirs would not)."""
    if not (actor.is_active and actor.is_hr_admin):
        raise PermissionDenied
    claimed = DirectoryImport.objects.filter(pk=job.pk, state=DirectoryImport.State.HELD).update(
        state=DirectoryImport.State.QUEUED, created_by=actor
    )
    if not claimed:
        raise ValidationError(_("This file is no longer waiting for a decision."))
    audit.record(
        AuditEvent.Action.DIRECTORY_IMPORTED,
        actor=actor,
        target=f"directory_import:{job.pk}",
        decision="confirmed",
    )
    job.refresh_from_db()
    _enqueue(job)
    return job


@transaction.atomic
def directory_drop_discard(*, job: DirectoryImport, actor: User) -> DirectoryImport:
    """An HR admin discards a held file: nothing of it is written, and its text is cleared. The file
    stays known (by name and SHA-256), so it is not picked up again."""
    if not (actor.is_active and actor.is_hr_admin):
        raise PermissionDenied
    job = DirectoryImport.objects.select_for_update().get(pk=job.pk)
    if job.state != DirectoryImport.State.HELD:
        raise ValidationError(_("This file is no longer waiting for a decision."))
    job.state, job.finished_at, job.text = DirectoryImport.State.FAILED, timezone.now(), ""
    job.result = {**job.result, "message": _("Discarded by an HR admin: nothing was imported.")}
    job.save(update_fields=["state", "finished_at", "text", "result"])
    audit.record(
        AuditEvent.Action.DIRECTORY_IMPORTED,
        actor=actor,
        target=f"directory_import:{job.pk}",
        decision="discarded",
    )
    return job
