"""Programs from draft to closed: creating, editing, moving between states, themes and acknowledgements."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.services import check_version
from common.text import in_sentence
from profiles.models import User

from ..models import (
    DEFAULT_THEMES,
    Acknowledgement,
    Enrollment,
    Program,
    Theme,
)
from .surveys import survey_ensure_for_program

State = Program.State

# Which state may follow which. Going back from enrolling to draft (or from matching to enrolling) is
# allowed so that HR can fix a mistake; nothing leaves "closed".
TRANSITIONS: dict[str, set[str]] = {
    State.DRAFT: {State.ENROLLING},
    State.ENROLLING: {State.DRAFT, State.MATCHING},
    State.MATCHING: {State.ENROLLING, State.RUNNING},
    State.RUNNING: {State.CLOSED},
    State.CLOSED: set(),
}

# What each state allows, in the words the program page shows to HR.
STATE_ALLOWS = {
    State.DRAFT: gettext_lazy("Everything can be edited. Nobody can enroll yet."),
    State.ENROLLING: gettext_lazy(
        "People can enroll during the enrollment window; HR approves, declines or waitlists them. "
        "Everything can still be edited."
    ),
    State.MATCHING: gettext_lazy(
        "Enrollment is closed. HR decides the last enrollments and runs matching; people may still withdraw."
    ),
    State.RUNNING: gettext_lazy(
        "Pairs meet. Only the texts, the success targets and the end date can change; the rules are fixed."
    ),
    State.CLOSED: gettext_lazy(
        "The program is over and read-only. It can be archived or used as a template."
    ),
}

# Fields whose change cannot hurt pairs that already meet.
SAFE_WHILE_RUNNING = {
    "name",
    "family",
    "description",
    "objectives",
    "mentee_hopes",
    "mentor_offers",
    "target_checkin_adherence_pct",
    "target_goal_completion_pct",
    "target_satisfaction",
    "ends_on",
}
EDITABLE_FIELDS = {
    "name",
    "family",
    "description",
    "objectives",
    "mentee_hopes",
    "mentor_offers",
    "cadence_days",
    "goal_review_weeks",
    "reminder_days_before",
    "send_hour",
    "starts_on",
    "ends_on",
    "enrollment_opens_on",
    "enrollment_closes_on",
    "hours_per_month",
    "meeting_minutes",
    "confidentiality_norms",
    "target_checkin_adherence_pct",
    "target_goal_completion_pct",
    "target_satisfaction",
    "min_level_gap",
    "mentor_capacity",
    "mentee_capacity",
    "exclude_same_department",
    "exclude_same_manager",
}

DEFAULT_ACKNOWLEDGEMENTS = [
    (
        Acknowledgement.Kind.CODE_OF_CONDUCT,
        gettext_lazy("Code of conduct"),
        gettext_lazy(
            "I will treat my partner with respect, keep what they share confidential, and raise any concern "
            "with HR rather than let it pass."
        ),
    ),
    (
        Acknowledgement.Kind.TRAINING,
        gettext_lazy("Giving and receiving feedback"),
        gettext_lazy("I have completed the training on giving and receiving feedback."),
    ),
    (
        Acknowledgement.Kind.TRAINING,
        gettext_lazy("Diversity and inclusion"),
        gettext_lazy("I have completed the diversity and inclusion training."),
    ),
]


def editable_fields(program: Program) -> set[str]:
    if program.state == State.CLOSED or program.is_archived:
        return set()
    if program.state == State.RUNNING:
        return set(SAFE_WHILE_RUNNING)
    return set(EDITABLE_FIELDS)


@transaction.atomic
def program_create(*, actor: User, data: dict) -> Program:
    """Create a draft program with the default themes and acknowledgements, ready to edit."""
    unknown = set(data) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not program fields: {sorted(unknown)}")
    program = Program(**data, created_by=actor, state=State.DRAFT)
    program.full_clean()
    program.save()
    Theme.objects.bulk_create(
        Theme(program=program, name=str(name), discussion_guide=str(guide), position=i)
        for i, (name, guide) in enumerate(DEFAULT_THEMES)
    )
    Acknowledgement.objects.bulk_create(
        Acknowledgement(program=program, kind=kind, title=str(title), text=str(text), position=i)
        for i, (kind, title, text) in enumerate(DEFAULT_ACKNOWLEDGEMENTS)
    )
    return program


@transaction.atomic
def program_update(*, program: Program, data: dict, version: datetime | None = None) -> Program:
    """Change the fields the program's state allows; refuse the rest, and refuse a stale form.

    Guarantees: nothing is saved when any field is refused or another person saved in between.
    """
    program = Program.objects.select_for_update().get(pk=program.pk)
    check_version(program, version, what=_("program"))
    allowed = editable_fields(program)
    changed = {field: value for field, value in data.items() if getattr(program, field) != value}
    refused = sorted(set(changed) - allowed)
    if refused:
        raise ValidationError(
            {
                field: _("This can't change while the program is %(state)s.")
                % {"state": in_sentence(program.get_state_display())}
                for field in refused
            }
        )
    for field, value in changed.items():
        setattr(program, field, value)
    program.full_clean()
    program.save()
    return program


def _missing_to_open_enrollment(program: Program) -> list[str]:
    missing = []
    for field in ("starts_on", "ends_on", "enrollment_opens_on", "enrollment_closes_on"):
        if getattr(program, field) is None:
            missing.append(str(Program._meta.get_field(field).verbose_name))
    if not program.themes.exists():
        missing.append(_("at least one theme"))
    return missing


@transaction.atomic
def program_transition(*, program: Program, to_state: str) -> Program:
    """Move a program along its lifecycle; an illegal move or a missing prerequisite is refused."""
    program = Program.objects.select_for_update().get(pk=program.pk)
    if program.is_archived:
        raise ValidationError(_("An archived program can't change."))
    if to_state not in TRANSITIONS[program.state]:
        raise ValidationError(
            _("A program can't go from %(from)s to %(to)s.")
            % {"from": program.get_state_display(), "to": State(to_state).label}
        )
    if to_state == State.ENROLLING:
        missing = _missing_to_open_enrollment(program)
        if missing:
            raise ValidationError(
                _("Before enrollment opens, set: %(missing)s.") % {"missing": ", ".join(missing)}
            )
    if to_state == State.RUNNING:
        if not program.enrollments.filter(status=Enrollment.Status.APPROVED).exists():
            raise ValidationError(_("A program needs approved participants before it runs."))
    if to_state == State.CLOSED and program.closes_too_early(timezone.localdate()):
        raise ValidationError(
            _("%(name)s starts on %(date)s: a program can be closed once it has started.")
            % {"name": program.name, "date": date_format(program.starts_on)}
        )
    program.state = to_state
    program.save(update_fields=["state", "updated_at"])
    if to_state == State.RUNNING:
        survey_ensure_for_program(program=program)  # mid-point and closing surveys, on the program's dates
    return program


@transaction.atomic
def program_duplicate(*, program: Program, actor: User) -> Program:
    """A new draft with the same texts, rules, themes and acknowledgements, and no dates or people."""
    copy = Program.objects.get(pk=program.pk)
    copy.pk = None
    copy.name = _("%(name)s (next cohort)") % {"name": program.name}
    copy.state = State.DRAFT
    copy.archived_at = None
    copy.created_by = actor
    copy.created_at = timezone.now()
    copy.starts_on = copy.ends_on = copy.enrollment_opens_on = copy.enrollment_closes_on = None
    copy.save()
    Theme.objects.bulk_create(
        Theme(program=copy, name=t.name, discussion_guide=t.discussion_guide, position=t.position)
        for t in program.themes.all()
    )
    Acknowledgement.objects.bulk_create(
        Acknowledgement(program=copy, kind=a.kind, title=a.title, text=a.text, position=a.position)
        for a in program.acknowledgements.all()
    )
    return copy


@transaction.atomic
def program_archive(*, program: Program) -> Program:
    """Archive a closed program, or a draft nobody enrolled in: it leaves the default lists but stays
    readable. Archiving twice changes nothing."""
    program = Program.objects.select_for_update().get(pk=program.pk)
    if program.is_archived:
        return program
    if not program.can_archive:
        raise ValidationError(_("Only a closed program, or a draft nobody has enrolled in, can be archived."))
    if program.can_archive:
        program.archived_at = timezone.now()
        program.save(update_fields=["archived_at", "updated_at"])
    return program


def _ensure_editable(program: Program) -> None:
    if not editable_fields(program):
        raise ValidationError(_("This program is read-only."))


@transaction.atomic
def theme_save(*, program: Program, theme: Theme | None, name: str, discussion_guide: str) -> Theme:
    """Add or rename a theme. Themes can change in any state but closed (names are labels, not rules)."""
    _ensure_editable(program)
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("A theme needs a name.")})
    clash = program.themes.filter(name__iexact=name).exclude(pk=getattr(theme, "pk", None))
    if clash.exists():
        raise ValidationError({"name": _("This program already has a theme with that name.")})
    if theme is None:
        position = program.themes.count()
        theme = Theme(program=program, position=position)
    theme.name, theme.discussion_guide = name, discussion_guide.strip()
    theme.save()
    return theme


@transaction.atomic
def theme_delete(*, theme: Theme) -> None:
    """Remove a theme nobody chose yet; a chosen theme stays, since enrollments refer to it."""
    _ensure_editable(theme.program)
    if theme.enrollments.exists():
        raise ValidationError(
            _("People chose this theme when they enrolled, so it stays. You can rename it.")
        )
    theme.delete()


@transaction.atomic
def acknowledgement_save(
    *, program: Program, acknowledgement: Acknowledgement | None, kind: str, title: str, text: str
) -> Acknowledgement:
    """Add or edit a required acknowledgement; only before anyone has enrolled, so all confirm the same."""
    if program.state not in {State.DRAFT, State.ENROLLING} or program.enrollments.exists():
        raise ValidationError(_("Acknowledgements are fixed once people have enrolled."))
    if acknowledgement is None:
        acknowledgement = Acknowledgement(program=program, position=program.acknowledgements.count())
    acknowledgement.kind, acknowledgement.title, acknowledgement.text = kind, title.strip(), text.strip()
    acknowledgement.full_clean()
    acknowledgement.save()
    return acknowledgement


@transaction.atomic
def acknowledgement_delete(*, acknowledgement: Acknowledgement) -> None:
    program = acknowledgement.program
    if program.state not in {State.DRAFT, State.ENROLLING} or program.enrollments.exists():
        raise ValidationError(_("Acknowledgements are fixed once people have enrolled."))
    acknowledgement.delete()


__all__ = [
    "DEFAULT_ACKNOWLEDGEMENTS",
    "EDITABLE_FIELDS",
    "SAFE_WHILE_RUNNING",
    "STATE_ALLOWS",
    "TRANSITIONS",
    "acknowledgement_delete",
    "acknowledgement_save",
    "editable_fields",
    "program_archive",
    "program_create",
    "program_duplicate",
    "program_transition",
    "program_update",
    "theme_delete",
    "theme_save",
]
