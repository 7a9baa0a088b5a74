"""The pair's agreement and both sides' goals, and the progress recorded on them."""

from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.services import check_version
from common.text import in_sentence
from profiles.models import Person
from profiles.outbox import notify

from .. import messages
from ..models import (
    Agreement,
    Goal,
    Pairing,
    Side,
)
from .lifecycle import pairing_set_rhythm, participant_side

# --- Agreement and goals ----------------------------------------------------------------------------------


def _active(pairing: Pairing, person: Person) -> str:
    return participant_side(
        pairing=pairing,
        person=person,
        require_active=True,
        not_active=_("The agreement is filled once both of you have accepted."),
    )


@transaction.atomic
def agreement_save(
    *, pairing: Pairing, person: Person, data: dict, version: datetime | None = None
) -> Agreement:
    """Either side edits the agreement; any change asks both to confirm again (the partner is told)."""
    side = _active(pairing, person)
    agreement = Agreement.objects.select_for_update().get(pairing=pairing)
    check_version(agreement, version, what=_("agreement"))
    changed = False
    for field, value in data.items():
        if getattr(agreement, field) != value:
            setattr(agreement, field, value)
            changed = True
    if changed:
        agreement.mentor_confirmed_at = agreement.mentee_confirmed_at = None
        agreement.full_clean()
        agreement.save()
        pairing.agreement = agreement
        pairing_set_rhythm(
            pairing=pairing, last_checkin_on=pairing.last_checkin_on, rating_trend=pairing.rating_trend
        )
        notify(*messages.agreement_changed(pairing, side))
    return agreement


@transaction.atomic
def agreement_confirm(*, pairing: Pairing, person: Person) -> Agreement:
    """One side confirms. Each side needs a goal of their own first: both learn, both set goals."""
    side = _active(pairing, person)
    agreement = Agreement.objects.select_for_update().get(pairing=pairing)
    open_goals = set(pairing.goals.filter(Goal.kept_q()).values_list("owner_side", flat=True))
    missing = [label for value, label in Side.choices if value not in open_goals]
    if missing:
        raise ValidationError(
            _("Before confirming, add at least one goal for each side (missing: %(sides)s).")
            % {"sides": ", ".join(in_sentence(m) for m in missing)}
        )
    setattr(agreement, f"{side}_confirmed_at", timezone.now())
    agreement.save()
    return agreement


@transaction.atomic
def goal_save(
    *,
    pairing: Pairing,
    person: Person,
    goal: Goal | None,
    owner_side: str,
    title: str,
    description: str,
    target_date: date,
    version: datetime | None = None,
) -> Goal:
    """Add or edit a goal of either side. Both sides can write both sides' goals: they agree them together."""
    _active(pairing, person)
    if goal is None:
        goal = Goal(pairing=pairing)
    else:
        goal = Goal.objects.select_for_update().get(pk=goal.pk, pairing=pairing)
        check_version(goal, version, what=_("goal"))
    goal.owner_side, goal.title, goal.description, goal.target_date = (
        owner_side,
        title.strip(),
        description,
        target_date,
    )
    goal.full_clean()
    goal.save()
    return goal


@dataclass(frozen=True)
class GoalProgress:
    """One goal's progress and status, as one side reports it (at a check-in or a goal review)."""

    goal: Goal
    progress: int
    status: str


def goal_progress_record(*, pairing: Pairing, updates: list[GoalProgress]) -> list[Goal]:
    """Record progress on goals of this pairing; the one writer of a goal's progress. Returns the goals
    that changed (the check-in services keep their history). Runs in the caller's transaction."""
    changed = []
    for update in updates:
        if update.goal.pairing_id != pairing.pk:
            raise ValidationError(_("That goal belongs to another pairing."))
        goal = Goal.objects.select_for_update().get(pk=update.goal.pk)
        if (goal.progress, goal.status) == (update.progress, update.status):
            continue
        goal.progress, goal.status = update.progress, update.status
        goal.full_clean()
        goal.save(update_fields=["progress", "status", "updated_at"])
        changed.append(goal)
    return changed
