import functools
import gc
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import batched

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from common.db import of_ids
from common.text import in_sentence

from . import audit
from .importing import (
    FILE,
    DirectoryPerson,
    ImportFileError,
    ImportPlan,
    PlannedPerson,
    RowError,
    load_directory,
    parse_employee_csv,
    plan_import,
)
from .importing_writes import fast_writes, ids_reserve, rows_insert, rows_update
from .models import (
    HISTORY_FIELDS,
    AuditEvent,
    DirectoryImport,
    Invitation,
    MeetingFormat,
    Notification,
    Person,
    PersonHistory,
    Profile,
    User,
)
from .outbox import Message, language_of, notify, withdraw
from .selectors import invitation_token_hash


@transaction.atomic
def user_link_person(*, user: User) -> Person | None:
    """Tie a new login to the directory entry with the same email, if there is one without a login.

    Guarantees: never re-links a Person who already has another login; returns the linked Person.
    """
    person = Person.objects.select_for_update().filter(email__iexact=user.email, user__isnull=True).first()
    if person is None:
        return None
    person.user = user
    person.save(update_fields=["user", "updated_at"])
    if not user.full_name:
        user.full_name = person.full_name
        user.save(update_fields=["full_name"])
    return person


def user_language_set(*, user: User, language: str) -> User:
    """Record the language a login reads Twoway in: its pages and every message to it from now on
    ("": the browser's for pages, the site's for emails). Refuses a language the site does not offer."""
    if language and language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Choose one of the languages offered.")})
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language
    return user


# --- Employee-directory import ------------------------------------------------------------------------

IMPORT_BATCH_SIZE = 1000


@dataclass(frozen=True)
class ImportResult:
    """Counts of what an import did (or, for a dry run, would do), or the errors that stopped it."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    plan: ImportPlan | None = None  # None when the file could not be read at all

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def counts(self) -> str:
        """The four counts, as the preview shows them and the confirmation must find them again."""
        return f"{self.created},{self.updated},{self.unchanged},{self.deactivated}"


def _cycle_collector_paused(function):
    """Run `function` with Python's cycle collector paused (and resumed after, unless it was off already).

    An import of 100,000 rows makes millions of small objects that live until it ends; the collector
    walked them again and again, a fifth of the time of reading and checking the file, and found
    nothing to free: they hold no cycles. Reference counting still frees everything else at once."""

    @functools.wraps(function)
    def paused(*args, **kwargs):
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return paused


@_cycle_collector_paused
@transaction.atomic
def directory_import(
    *,
    data: bytes | str,
    deactivate_missing: bool = False,
    dry_run: bool = False,
    actor: User | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Bring the directory in line with an employee CSV file (see profiles.importing for the format).

    Guarantees: all or nothing: with any error in the file nothing is written and every error is
    returned, each with its line and field; the write is one transaction. Importing the same file again
    changes nothing (0 created, 0 updated). Nobody is ever deleted: with deactivate_missing, active people
    the file does not mention become inactive; people in the file are made active again. A dry run checks
    and counts exactly as a real run and writes nothing. The number of queries does not grow with the
    number of rows. People made inactive are leavers: their logins lose every role at once (and
    profiles.backends refuses them from the next request on); an import that would make the HR admin
    running it a leaver is refused, so nobody locks themselves out by leaving their own row out.
    """
    progress = progress or (lambda percent: None)
    try:
        rows = parse_employee_csv(data)
    except ImportFileError as exc:
        return ImportResult(errors=exc.errors, dry_run=dry_run)
    progress(10)
    # Locking everyone read makes a second import (or an edit) wait for this one instead of working
    # from a snapshot that is about to change.
    directory = load_directory(for_update=not dry_run)
    progress(15)
    plan = plan_import(rows=rows, deactivate_missing=deactivate_missing, directory=directory)
    own = Person.objects.filter(user=actor).values_list("pk", flat=True).first() if actor else None
    if own is not None and any(person.pk == own for person in plan.to_deactivate):
        plan = ImportPlan(
            errors=[
                RowError(
                    line=1,
                    field=FILE,
                    message=_(
                        "You are not in this file, so confirming it would mark you inactive and end your own "
                        "access. Add your row, or untick \u201cmark missing people inactive\u201d."
                    ),
                )
            ]
        )
    result = ImportResult(
        created=len(plan.to_create),
        updated=len(plan.to_update),
        unchanged=len(plan.unchanged),
        deactivated=len(plan.to_deactivate),
        errors=plan.errors,
        dry_run=dry_run,
        plan=plan,
    )
    progress(30)
    if plan.ok and not dry_run:
        _directory_apply(plan=plan, directory=directory, progress=progress)
        audit.record(
            AuditEvent.Action.DIRECTORY_IMPORTED,
            actor=actor,
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
            deactivated=result.deactivated,
        )
    return result


def _directory_apply(
    *, plan: ImportPlan, directory: list[DirectoryPerson], progress: Callable[[int], None]
) -> None:
    """Write a checked plan in a fixed number of bulk statements (per batch where the ORM writes)."""
    now = timezone.now()  # bulk writes do not touch auto_now fields: created_at and updated_at are set here
    holder_of_email = {person.email.lower(): person.pk for person in directory}

    # Someone taking over an address that another person in the file gives up (two people swapping)
    # could break the unique email index halfway through one UPDATE: park the movers' addresses on
    # placeholders first. (New people are inserted after the updates, so their addresses are free.)
    moving = [p for p in plan.to_update if any(change.field == "email" for change in p.changes)]
    if any(holder_of_email.get(p.email, p.person_id) != p.person_id for p in moving):
        rows_update(
            Person,
            [{"id": p.person_id, "email": f"import-{p.person_id}@parked.invalid"} for p in moving],
            ["email"],
        )

    changed_fields = sorted(
        {change.field for p in plan.to_update for change in p.changes if change.field != "manager"}
    )
    rows_update(
        Person,
        [
            {"id": p.person_id, **_person_values(p), "is_active": True, "updated_at": now}
            for p in plan.to_update
            if any(change.field != "manager" for change in p.changes)
        ],
        [*changed_fields, "updated_at"],
    )
    progress(45)

    # Managers once everyone they can point to has a primary key: on PostgreSQL the new people's are
    # taken from the sequence first, so each is inserted with their manager, whatever the file's order.
    pk_by_email = {person.email.lower(): person.pk for person in directory}
    pk_by_email.update({p.email: p.person_id for p in plan.to_update + plan.unchanged})
    stamps = {"is_active": True, "created_at": now, "updated_at": now}
    if fast_writes():
        created_ids = ids_reserve(Person, len(plan.to_create))
        pk_by_email.update({p.email: pk for p, pk in zip(plan.to_create, created_ids, strict=True)})
        rows_insert(
            Person,
            [
                _person_values(
                    p, id=pk, manager_id=pk_by_email[p.manager_email] if p.manager_email else None, **stamps
                )
                for p, pk in zip(plan.to_create, created_ids, strict=True)
            ],
            progress=lambda sent: progress(45 + 20 * sent // 100),
        )
    else:
        created = Person.objects.bulk_create(
            [Person(**_person_values(p), **stamps) for p in plan.to_create], batch_size=IMPORT_BATCH_SIZE
        )
        created_ids = [person.pk for person in created]
        pk_by_email.update({p.email: pk for p, pk in zip(plan.to_create, created_ids, strict=True)})
        # (People just created keep the updated_at of their insert: one CASE fewer per batch.)
        rows_update(
            Person,
            [
                {"id": pk, "manager_id": pk_by_email[p.manager_email]}
                for p, pk in zip(plan.to_create, created_ids, strict=True)
                if p.manager_email
            ],
            ["manager_id"],
        )
    progress(65)

    rows_update(
        Person,
        [
            {"id": p.person_id, "manager_id": pk_by_email.get(p.manager_email), "updated_at": now}
            for p in plan.to_update
            if any(change.field == "manager" for change in p.changes)
        ],
        ["manager_id", "updated_at"],
    )

    people_leave(person_ids=[person.pk for person in plan.to_deactivate], now=now)

    progress(75)
    directory_history_record(
        person_ids=created_ids
        + [p.person_id for p in plan.to_update]
        + [person.pk for person in plan.to_deactivate],
        source=PersonHistory.Source.IMPORT,
        progress=lambda done: progress(75 + 24 * done // 100),
    )


def people_leave(*, person_ids: list[int], now=None) -> None:
    """Make these people leavers: what the import, SCIM and the HR system's file drop all mean by it.

    Guarantees: their directory entries become inactive (nobody is deleted) and their logins lose every
    role at once, so profiles.backends refuses each of their sessions from its next request on and they
    cannot sign in again; pair health flags any pair one of them is in. A fixed number of queries per
    thousand people. The caller records the directory history (directory_history_record).
    """
    now = now or timezone.now()
    for pks in batched(person_ids, IMPORT_BATCH_SIZE, strict=False):
        Person.objects.filter(pk__in=pks).update(is_active=False, updated_at=now)
        # A leaver keeps no role: coming back later does not bring HR or leader powers back with it.
        User.objects.filter(person__pk__in=pks).update(is_hr_admin=False, is_leader=False)


HISTORY_BATCH_SIZE = 10_000  # people read per pair of queries


@transaction.atomic
def directory_history_record(
    *,
    person_ids: list[int],
    source: str,
    on: date | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Bring these people's directory history up to date with their directory entry, as of `on` (today).

    Guarantees: a change of level, department, location, manager or active state closes the current
    stretch the day before `on` and opens a new one from `on`; a second change on the same day corrects
    that day's stretch; nothing changes when nothing did (so calling it twice records nothing new);
    someone without a history gets their first stretch from `on`. A fixed number of queries per ten
    thousand people. Returns how many stretches were opened or corrected; `progress` hears the percent
    of the people looked at, now and then.
    """
    on = on or timezone.localdate()
    recorded_at = timezone.now()
    opened, closed, corrected = [], [], []
    person_ids = sorted(set(person_ids))
    for done, batch in enumerate(batched(person_ids, HISTORY_BATCH_SIZE, strict=False), start=1):
        current = {
            person_id: (pk, valid_from, values)
            for pk, person_id, valid_from, *values in of_ids(
                PersonHistory.objects.select_for_update().filter(valid_to__isnull=True), "person", batch
            )
            .order_by()
            .values_list("pk", "person_id", "valid_from", *HISTORY_FIELDS)
        }
        people = of_ids(Person.objects.order_by("pk"), "id", batch).values_list("pk", *HISTORY_FIELDS)
        for person_id, *values in people:
            stretch = current.get(person_id)
            if stretch is None:
                opened.append(_history_row(person_id, on, source, values))
                continue
            pk, valid_from, stretch_values = stretch
            if stretch_values == values:
                continue
            if valid_from > on:
                raise ValueError(f"person {person_id}: history already runs from {valid_from}, after {on}")
            if valid_from == on:
                fields = dict(zip(HISTORY_FIELDS, values, strict=True))
                corrected.append({"id": pk, **fields, "source": source, "recorded_at": recorded_at})
                continue
            closed.append({"id": pk, "valid_to": on})
            opened.append(_history_row(person_id, on, source, values))
        if progress is not None:
            progress(min(100, 100 * done * HISTORY_BATCH_SIZE // len(person_ids)))
    rows_update(PersonHistory, closed, ["valid_to"])
    rows_update(PersonHistory, corrected, [*HISTORY_FIELDS, "source", "recorded_at"])
    rows_insert(PersonHistory, [row | {"recorded_at": recorded_at} for row in opened])
    return len(opened) + len(corrected)


def _history_row(person_id: int, on: date, source: str, values: list) -> dict:
    return {
        "person_id": person_id,
        "valid_from": on,
        "source": source,
        **dict(zip(HISTORY_FIELDS, values, strict=True)),
    }


def _person_values(planned: PlannedPerson, **more) -> dict:
    return {
        **more,
        "email": planned.email,
        "full_name": planned.full_name,
        "job_title": planned.job_title,
        "department": planned.department,
        "location": planned.location,
        "time_zone": planned.time_zone,
        "level": planned.level,
        "employee_id": planned.employee_id,
    }


# --- Roles --------------------------------------------------------------------------------------------


@transaction.atomic
def user_set_roles(*, actor: User, user: User, is_hr_admin: bool, is_leader: bool) -> User:
    """Grant or remove the HR admin and leader roles of a login.

    Guarantees: only an HR admin can change roles; there is always at least one active HR admin (the
    last one cannot be demoted, not even by themself). Concurrent changes are serialised on the HR
    admins' rows, so two admins demoting each other at once cannot leave nobody in charge.
    """
    if not actor.is_hr_admin:
        raise PermissionDenied
    # Locking every active HR admin makes a concurrent demotion wait and then count again.
    admins = set(
        User.objects.select_for_update().filter(is_hr_admin=True, is_active=True).values_list("pk", flat=True)
    )
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_hr_admin and not is_hr_admin and user.is_active and admins <= {user.pk}:
        raise ValidationError(
            _(
                "%(name)s is the last active HR admin. Make someone else an HR admin first, so that "
                "someone can still run Twoway."
            )
            % {"name": user.get_full_name()},
            code="last_hr_admin",
        )
    before = {"hr_admin": user.is_hr_admin, "leader": user.is_leader}
    user.is_hr_admin = is_hr_admin
    user.is_leader = is_leader
    user.save(update_fields=["is_hr_admin", "is_leader"])
    after = {"hr_admin": is_hr_admin, "leader": is_leader}
    if after != before:
        audit.record(
            AuditEvent.Action.ROLE_CHANGED, actor=actor, target=f"user:{user.pk}", before=before, after=after
        )
    return user


# --- Large imports, as a job ----------------------------------------------------------------------------


def import_runs_as_job(text: str) -> bool:
    """A file with more rows than IMPORT_INLINE_ROWS is written by a Celery job: a web request has 30 s."""
    return text.count("\n") > getattr(settings, "IMPORT_INLINE_ROWS", 2000)


def directory_import_confirmed(
    *,
    data: str,
    deactivate_missing: bool,
    expected_counts: str,
    actor: User | None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult | None:
    """Write an import HR confirmed from its preview, unless the directory changed since: then nothing is
    written (rolled back) and None is returned. The one check behind both the page and the job."""
    try:
        with transaction.atomic():
            result = directory_import(
                data=data, deactivate_missing=deactivate_missing, actor=actor, progress=progress
            )
            if result.ok and result.counts != expected_counts:
                raise _DirectoryChanged
    except _DirectoryChanged:
        return None
    return result


def _import_progress_key(job_id: int) -> str:
    return f"twoway:directory-import:{job_id}:progress"


def directory_import_progress(job: DirectoryImport) -> int:
    """How far a job is, in percent. Written to the shared cache by the job, since its database writes
    are one transaction that nobody sees until it commits."""
    if job.is_finished:
        return 100
    if job.state == DirectoryImport.State.QUEUED:
        return 0
    return cache.get(_import_progress_key(job.pk), 1)


@transaction.atomic
def directory_import_queue(
    *, text: str, filename: str, deactivate_missing: bool, expected_counts: str, actor: User
) -> DirectoryImport:
    """Confirm a previewed import to be written by a Celery job (after this transaction commits)."""
    from .tasks import import_directory  # noqa: PLC0415 - tasks import the services

    job = DirectoryImport.objects.create(
        created_by=actor,
        filename=filename[:255],
        text=text,
        deactivate_missing=deactivate_missing,
        expected_counts=expected_counts,
    )
    transaction.on_commit(lambda: import_directory.delay(job.pk))
    return job


def directory_import_job_run(*, job_id: int) -> DirectoryImport | None:
    """Write a queued import. Idempotent: only a queued job is claimed (a conditional update), so a
    retried or duplicated task does nothing. All or nothing, as directory_import; refused, with nothing
    written, when the directory changed since the preview (its counts differ). The file's text is
    cleared once the job is over, whatever happened: the directory now holds what it had to say."""
    claimed = DirectoryImport.objects.filter(pk=job_id, state=DirectoryImport.State.QUEUED).update(
        state=DirectoryImport.State.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return None
    job = DirectoryImport.objects.select_related("created_by").get(pk=job_id)
    result = directory_import_confirmed(
        data=job.text,
        deactivate_missing=job.deactivate_missing,
        expected_counts=job.expected_counts,
        actor=job.created_by,
        progress=lambda percent: cache.set(_import_progress_key(job_id), percent, 3600),
    )
    if result is None:
        outcome = {
            "message": _(
                "The directory changed between the preview and the import, so nothing was imported. "
                "Upload the file again to see a new preview."
            )
        }
    elif result.ok:
        outcome = {k: getattr(result, k) for k in ("created", "updated", "unchanged", "deactivated")}
    else:
        outcome = {
            "message": _("The file has errors, so nothing was imported."),
            "errors": [str(error) for error in result.errors[:100]],
        }
    if "sha256" in job.result:  # a dropped file's fingerprint, which keeps it from being imported twice
        outcome["sha256"] = job.result["sha256"]
    state = DirectoryImport.State.DONE if "created" in outcome else DirectoryImport.State.FAILED
    DirectoryImport.objects.filter(pk=job_id).update(
        state=state, finished_at=timezone.now(), result=outcome, text=""
    )
    job.refresh_from_db()
    return job


class _DirectoryChanged(Exception):
    """Rolls a job's import back: its counts are not the preview's."""


# --- Invitations --------------------------------------------------------------------------------------


def invitation_days() -> int:
    return getattr(settings, "INVITATION_DAYS", 14)


def _invitation_refusal(person: Person) -> str | None:
    """Why this person cannot be invited, or None."""
    if person.user_id is not None:
        return _("already has a login")
    if not person.is_active:
        return _("is inactive (has left)")
    return None


def _invitation_renew(invitation: Invitation, *, person: Person, actor: User | None, now) -> str:
    """Give the invitation a fresh token and expiry (not saved). Returns the raw token, which is
    never stored: only its hash is."""
    token = secrets.token_urlsafe(32)
    invitation.person = person
    invitation.email = person.email.lower()
    invitation.token_hash = invitation_token_hash(token)
    invitation.invited_by = actor
    invitation.expires_at = now + timedelta(days=invitation_days())
    invitation.send_count += 1
    return token


def _invitation_message(invitation: Invitation, token: str) -> Message:
    """The invitation's email. Its link carries the raw token (only its hash is stored): the outbox wipes
    it from the row once the email has gone. In the invited person's language (the site's, until their
    login chooses one)."""
    with override(language_of(invitation.person)):
        context = {
            "invitation": invitation,
            "person": invitation.person,
            "inviter": invitation.invited_by.get_full_name() if invitation.invited_by else _("your HR team"),
            "expires_at": invitation.expires_at,
        }
        title = " ".join(render_to_string("emails/invitation/subject.txt", context).split())
        body = render_to_string("emails/invitation/body.txt", context).strip()
        why = _("Your HR team invited you to create a Twoway login.")
    return Message(
        recipient=invitation.person,
        kind=Notification.Kind.INVITATION,
        subject=f"invitation:{invitation.pk}",
        period=f"send-{invitation.send_count}",
        title=title,
        body=body,
        link=settings.SITE_URL + reverse("profiles:invitation_accept", args=[token]),
        why=why,
        in_app=False,
    )


def _invitation_emails(pairs: list[tuple[Invitation, str]]) -> None:
    """One email per invitation, handed to the sender when the transaction commits; an earlier email of
    the same invitation still waiting is withdrawn (its link no longer works)."""
    withdraw(
        subjects=[f"invitation:{invitation.pk}" for invitation, _token in pairs],
        kinds=[Notification.Kind.INVITATION],
        reason=_("a newer invitation replaced it"),
    )
    notify(*(_invitation_message(invitation, token) for invitation, token in pairs), at_once=True)


@transaction.atomic
def invitation_send(*, person: Person, actor: User | None) -> Invitation:
    """Invite a person to sign up, or send their open invitation again, by email.

    Guarantees: a person has at most one open invitation; every send makes a new random token (only
    its sha256 hash is stored) and a new expiry, so an earlier link stops working. Refuses people who
    already have a login or are inactive. The email goes out after the transaction commits.
    """
    person = Person.objects.select_for_update().get(pk=person.pk)
    refusal = _invitation_refusal(person)
    if refusal:
        raise ValidationError(
            _("%(name)s cannot be invited: %(reason)s.") % {"name": person, "reason": refusal}
        )
    now = timezone.now()
    invitation = (
        Invitation.objects.select_for_update()
        .filter(person=person, accepted_at__isnull=True, revoked_at__isnull=True)
        .first()
    ) or Invitation(person=person, created_at=now)
    token = _invitation_renew(invitation, person=person, actor=actor, now=now)
    invitation.sent_at = now
    invitation.save()
    _invitation_emails([(invitation, token)])
    return invitation


@dataclass(frozen=True)
class InviteBulkResult:
    sent: int
    skipped: list[tuple[Person, str]]  # each person with the reason, in words


@transaction.atomic
def invitation_send_bulk(*, people_queryset: QuerySet[Person], actor: User | None) -> InviteBulkResult:
    """invitation_send for each of these people, in a fixed number of queries per thousand people.

    Guarantees as invitation_send; people who cannot be invited are skipped (with the reason), not
    an error.
    """
    people = list(
        Person.objects.select_for_update()
        .filter(pk__in=people_queryset.values("pk"))
        .order_by("full_name", "pk")
    )
    skipped: list[tuple[Person, str]] = []
    eligible: list[Person] = []
    for person in people:
        refusal = _invitation_refusal(person)
        if refusal:
            skipped.append((person, refusal))
        else:
            eligible.append(person)

    now = timezone.now()
    open_by_person: dict[int, Invitation] = {}
    for batch in batched((p.pk for p in eligible), IMPORT_BATCH_SIZE, strict=False):
        for invitation in Invitation.objects.select_for_update().filter(
            person_id__in=batch, accepted_at__isnull=True, revoked_at__isnull=True
        ):
            open_by_person[invitation.person_id] = invitation
    renewed, created, tokens = [], [], {}
    for person in eligible:
        invitation = open_by_person.get(person.pk)
        if invitation is None:
            invitation = Invitation(person=person, created_at=now)
            created.append(invitation)
        else:
            renewed.append(invitation)
        tokens[id(invitation)] = _invitation_renew(invitation, person=person, actor=actor, now=now)
    for invitation in renewed + created:
        invitation.sent_at = now
    Invitation.objects.bulk_update(
        renewed,
        ["email", "token_hash", "invited_by", "expires_at", "send_count", "sent_at"],
        batch_size=IMPORT_BATCH_SIZE,
    )
    Invitation.objects.bulk_create(created, batch_size=IMPORT_BATCH_SIZE)
    _invitation_emails([(inv, tokens[id(inv)]) for inv in renewed + created])
    return InviteBulkResult(sent=len(eligible), skipped=skipped)


@transaction.atomic
def invitation_revoke(*, invitation: Invitation) -> Invitation:
    """Withdraw an invitation: its link stops working. Revoking twice is harmless; an accepted
    invitation cannot be revoked (remove the login's roles or deactivate the person instead)."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at:
        raise ValidationError(_("This invitation was already accepted; it cannot be revoked."))
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        withdraw(
            subjects=[f"invitation:{invitation.pk}"],
            kinds=[Notification.Kind.INVITATION],
            reason=_("the invitation was revoked"),
        )
    return invitation


@transaction.atomic
def email_claims_release(*, email: str) -> int:
    """Let go of every claim on an address that nobody proved they own, before its invited owner signs up.

    An invitation proves the address is this person's (HR sent it there, from the directory). A login
    someone else made with that address, which never verified it, never signed in and has no directory
    entry, is removed; so is an unverified extra address on another login (no longer possible to add,
    but older rows may exist). Returns how many claims were released.
    """
    from allauth.account.models import EmailAddress

    released, _detail = (
        EmailAddress.objects.filter(email__iexact=email, verified=False)
        .exclude(user__email__iexact=email)
        .delete()
    )
    squatters = User.objects.filter(
        email__iexact=email, last_login__isnull=True, person__isnull=True
    ).exclude(emailaddress__verified=True)
    removed, _detail = squatters.delete()
    return released + removed


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Person:
    """Accept an invitation for a new login: the login is tied to the invited directory entry.

    The caller has checked the link's token (selectors.invitation_get_by_token) and that the login's
    email is the invited one. Guarantees: only an open, unexpired invitation is accepted, once; a
    person who already has a login is never re-linked.
    """
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    person = Person.objects.select_for_update().get(pk=invitation.person_id)
    if invitation.status != Invitation.Status.OPEN:
        raise ValidationError(
            _("This invitation is %(status)s; ask your HR team for a new one.")
            % {"status": in_sentence(invitation.status_label)}
        )
    if user.email.lower() != invitation.email.lower():
        raise ValidationError(_("This invitation is for another email address."))
    if not person.is_active or person.user_id not in (None, user.pk):
        raise ValidationError(_("This invitation can no longer be used; ask your HR team for a new one."))
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    person.user = user
    person.save(update_fields=["user", "updated_at"])
    if not user.full_name:
        user.full_name = person.full_name
        user.save(update_fields=["full_name"])
    return person


# --- Participant profile ------------------------------------------------------------------------------


@transaction.atomic
def profile_save(
    *, person: Person, about: str, pronouns: str, languages: str, preferred_format: str
) -> Profile:
    """Create or update what a person says about themself (their directory data is HR's)."""
    if preferred_format and preferred_format not in MeetingFormat.values:
        raise ValidationError({"preferred_format": _("Choose one of the listed formats.")})
    profile, _created = Profile.objects.update_or_create(
        person=person,
        defaults={
            "about": about.strip(),
            "pronouns": pronouns.strip(),
            "languages": languages.strip(),
            "preferred_format": preferred_format,
        },
    )
    return profile
