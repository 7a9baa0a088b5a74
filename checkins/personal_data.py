"""The check-ins app's part of a person's data: their pairs' meetings and check-ins with the shared notes,
their own reflections (never the partner's), goal updates, "you said, we did" and the concerns they raised;
and the retention purge of a closed program's notes.

Whose text is whose: shared notes belong to the pair (both read them); a reflection belongs to its author,
even its learned and change-next-time parts the partner may read; a concern's text is its raiser's, and
HR's notes on it are HR's.
"""

from datetime import datetime

from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.personal_data import exclude, register, update_in_batches
from pairings.selectors import pairings_of_person, side_of
from profiles.models import Person, User
from programs.models import Side
from programs.personal_data import programs_notes_expired

from .models import Action, Cancellation, CheckIn, Concern, GoalUpdate, Meeting, Reflection


def _who(side: str, mine: str) -> str:
    return _("you") if side == mine else _("your partner")


def _export_relationship(person: Person) -> list[dict]:
    pairings = list(pairings_of_person(person=person))
    side_by_pairing = {pairing.pk: side_of(pairing, person) for pairing in pairings}
    ids = list(side_by_pairing)
    own_reflections = Prefetch(
        "reflections", queryset=Reflection.objects.filter(author=person), to_attr="own"
    )
    checkins = (
        CheckIn.objects.filter(pairing__in=ids)
        .prefetch_related("themes", own_reflections)
        .order_by("happened_on", "pk")
    )
    by_pairing: dict[int, dict] = {
        pk: {
            "pairing_id": pk,
            "meetings": [],
            "cancellations": [],
            "checkins": [],
            "goal_updates": [],
            "you_said_we_did": [],
        }
        for pk in ids
    }
    for meeting in Meeting.objects.filter(pairing__in=ids).order_by("starts_at", "pk"):
        side = side_by_pairing[meeting.pairing_id]
        by_pairing[meeting.pairing_id]["meetings"].append(
            {
                "starts_at": meeting.starts_at,
                "minutes": meeting.duration_minutes,
                "format": meeting.get_meeting_format_display(),
                "status": meeting.get_status_display(),
                "planned_by": _who(meeting.planned_by_side, side),
            }
        )
    for cancellation in Cancellation.objects.filter(pairing__in=ids).order_by("created_at", "pk"):
        side = side_by_pairing[cancellation.pairing_id]
        by_pairing[cancellation.pairing_id]["cancellations"].append(
            {
                "kind": cancellation.get_kind_display(),
                "asked_by": _who(cancellation.asked_by_side, side),
                "was_at": cancellation.previous_starts_at,
                "moved_to": cancellation.new_starts_at,
                "created_at": cancellation.created_at,
            }
        )
    for checkin in checkins:
        side = side_by_pairing[checkin.pairing_id]
        own = checkin.own[0] if checkin.own else None
        by_pairing[checkin.pairing_id]["checkins"].append(
            {
                "happened_on": checkin.happened_on,
                "minutes": checkin.duration_minutes,
                "format": checkin.get_meeting_format_display(),
                "themes": [theme.name for theme in checkin.themes.all()],
                "logged_by": _who(checkin.logged_by_side, side),
                "shared_notes": checkin.shared_notes,
                "your_reflection": {
                    "learned": own.learned,
                    "change_next_time": own.change_next_time,
                    "rating": own.rating,
                    "good_fit": own.get_fit_display() if own.fit else None,
                    "private_notes": own.private_notes,
                    "created_at": own.created_at,
                    "updated_at": own.updated_at,
                }
                if own
                else None,
            }
        )
    for update in (
        GoalUpdate.objects.filter(goal__pairing__in=ids).select_related("goal").order_by("created_at")
    ):
        side = side_by_pairing[update.goal.pairing_id]
        if update.side == side:
            by_pairing[update.goal.pairing_id]["goal_updates"].append(
                {
                    "goal": update.goal.title,
                    "progress": update.progress,
                    "status": update.get_status_display(),
                    "created_at": update.created_at,
                }
            )
    # "You said, we did" is recorded by the senior of the pair: theirs when they are the mentee.
    senior_of = [pk for pk, side in side_by_pairing.items() if side == Side.MENTEE]
    for action in Action.objects.filter(pairing__in=senior_of).select_related("theme").order_by("created_at"):
        by_pairing[action.pairing_id]["you_said_we_did"].append(
            {
                "what_changed": action.get_kind_display(),
                "theme": action.theme.name if action.theme else None,
                "title": action.title,
                "description": action.description,
                "did_it_help": action.get_effect_display(),
                "measured_effect": action.measured_effect,
                "shared_on_dashboard": action.shareable,
                "created_at": action.created_at,
                "updated_at": action.updated_at,
            }
        )
    return list(by_pairing.values())


def _export_concerns(person: Person) -> list[dict]:
    concerns = (
        Concern.objects.filter(raised_by=person).select_related("pairing__program").order_by("created_at")
    )
    return [
        {
            "program": concern.pairing.program.name,
            "pairing_id": concern.pairing_id,
            "kind": concern.get_kind_display(),
            "text": concern.text,
            "status": concern.get_status_display(),
            "created_at": concern.created_at,
            "updated_at": concern.updated_at,
        }
        for concern in concerns
    ]


def _erase_relationship(person: Person, actor: User) -> int:
    erased = _("(erased)")
    # Their reflections keep the rating and dates (the dashboards count them); the words go.
    changed = (
        Reflection.objects.filter(author=person)
        .exclude(learned="", change_next_time="", private_notes="")
        .update(learned="", change_next_time="", private_notes="")
    )
    # Shared notes of the check-ins their side logged; those the partner logged are the partner's record.
    logged_by_them = Q(logged_by_side=Side.MENTOR, pairing__mentor__person=person) | Q(
        logged_by_side=Side.MENTEE, pairing__mentee__person=person
    )
    changed += CheckIn.objects.filter(logged_by_them).exclude(shared_notes="").update(shared_notes="")
    # What they recorded as the senior: the kind, theme and effect stay counted, the words go, and the
    # placeholder is never shown on the leaders' dashboard.
    changed += (
        Action.objects.filter(pairing__mentee__person=person)
        .exclude(title=erased, description="", measured_effect="", shareable=False)
        .update(title=erased, description="", measured_effect="", shareable=False)
    )
    return changed


def _erase_concerns(person: Person, actor: User) -> int:
    # The concern's kind, status and dates stay (HR's counts); its text and HR's notes about it go.
    return Concern.objects.filter(raised_by=person).exclude(text="", hr_notes="").update(text="", hr_notes="")


def _purge_notes(cutoff: datetime) -> int:
    """Shared notes and reflections' words of the check-ins of programs past their retention."""
    programs = programs_notes_expired(cutoff=cutoff).values("pk")
    purged = update_in_batches(
        CheckIn.objects.filter(pairing__program__in=programs).exclude(shared_notes=""),
        values={"shared_notes": ""},
    )
    purged += update_in_batches(
        Reflection.objects.filter(checkin__pairing__program__in=programs).exclude(
            learned="", change_next_time="", private_notes=""
        ),
        values={"learned": "", "change_next_time": "", "private_notes": ""},
    )
    return purged


def _purge_concerns(cutoff: datetime) -> int:
    programs = programs_notes_expired(cutoff=cutoff).values("pk")
    return update_in_batches(
        Concern.objects.filter(pairing__program__in=programs).exclude(text="", hr_notes=""),
        values={"text": "", "hr_notes": ""},
    )


register(
    name="checkins",
    covers={
        "checkins.Meeting": (),
        "checkins.Cancellation": (),
        "checkins.CheckIn": (),
        "checkins.Reflection": ("author",),
        "checkins.GoalUpdate": (),
        "checkins.Action": (),
    },
    export=_export_relationship,
    erase=_erase_relationship,
    purge=_purge_notes,
    notes=(
        gettext_lazy(
            "Check-ins show the pair's shared notes and your own reflections, with your private notes. Your "
            "partner's reflections are theirs and are not included."
        ),
        gettext_lazy(
            "Once a program has been closed for longer than notes_retention_months, its check-ins' notes, "
            "reflections' words and concerns' text are removed; dates and ratings stay."
        ),
    ),
)
register(
    name="concerns",
    covers={"checkins.Concern": ("raised_by",)},
    export=_export_concerns,
    erase=_erase_concerns,
    purge=_purge_concerns,
    notes=(gettext_lazy("Concerns are those you raised. A concern someone else raised is theirs."),),
)

exclude(
    "checkins.Concern.hr_notes",
    reason=gettext_lazy(
        "HR's own notes on handling a concern are HR's working record and may be about other people; ask "
        "HR if you want to see them."
    ),
)
exclude(
    "checkins.Concern.handled_by",
    reason=gettext_lazy("Which HR admin handled a concern is HR's record of their own work."),
)
for _rollup in ("checkins.DashboardRollup", "checkins.ActionRollup", "checkins.OutcomeRollup"):
    exclude(
        _rollup,
        reason=gettext_lazy("The dashboards' figures are counts and sums of many people and name nobody."),
    )
