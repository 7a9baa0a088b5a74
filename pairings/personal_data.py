"""The pairings app's part of a person's data: their pairings (with the partner's name, dates and
statuses), the agreement and goals, mentor requests, and what matching said about them.

A live pairing (awaiting answers or active) is the partner's too: the erase waits until it has ended.
"""

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.personal_data import exclude, register
from common.text import in_sentence
from profiles.models import Person, User
from programs.models import Side

from .models import Goal, MentorRequest, Pairing, Proposal, Unmatched
from .selectors import live_pairings_of, pairings_of_person, side_of


def _closing_reason_is_theirs(pairing: Pairing, person: Person, side: str) -> bool:
    """The reason for a "no" or an ending is for HR only; the person wrote it when they said no or
    ended it themself (HR's own reason, or the partner's, is not theirs)."""
    declined_by_them = pairing.status == Pairing.Status.DECLINED and pairing.declined_side == side
    ended_by_them = pairing.ended_by_id is not None and pairing.ended_by_id == person.user_id
    return declined_by_them or ended_by_them


def _agreement(pairing: Pairing):
    agreement = getattr(pairing, "agreement", None)
    if agreement is None:
        return None
    return {
        "meet_every_days": agreement.cadence_days,
        "how_we_meet": agreement.get_meeting_format_display(),
        "confidentiality": agreement.confidentiality,
        "off_limits": agreement.off_limits,
        "mentor_confirmed_at": agreement.mentor_confirmed_at,
        "mentee_confirmed_at": agreement.mentee_confirmed_at,
    }


def _export_pairings(person: Person) -> dict:
    pairings = list(pairings_of_person(person=person).prefetch_related("goals"))
    rows = []
    for pairing in pairings:
        side = side_of(pairing, person)
        partner = pairing.partner_of(side)
        rows.append(
            {
                "pairing_id": pairing.pk,
                "program": pairing.program.name,
                "your_side": Side(side).label,
                "partner": partner.full_name,
                "status": pairing.get_status_display(),
                "created_at": pairing.created_at,
                "you_accepted_at": getattr(pairing, f"{side}_accepted_at"),
                "active_from": pairing.activated_at,
                "ended_at": pairing.ended_at,
                "last_checkin_on": pairing.last_checkin_on,
                "next_checkin_due": pairing.next_checkin_due,
                "your_reason_for_ending": pairing.closing_reason
                if _closing_reason_is_theirs(pairing, person, side)
                else None,
                "agreement": _agreement(pairing),
                "goals": [
                    {
                        "whose": _("yours") if goal.owner_side == side else _("your partner's"),
                        "goal": goal.title,
                        "what_success_looks_like": goal.description,
                        "target_date": goal.target_date,
                        "status": goal.get_status_display(),
                        "progress": goal.progress,
                    }
                    for goal in pairing.goals.all()
                ],
            }
        )
    requests = MentorRequest.objects.filter(
        Q(mentee__person=person) | Q(mentor__person=person)
    ).select_related("program", "mentee__person", "mentor__person")
    enrollments = Q(mentor__person=person) | Q(mentee__person=person)
    return {
        "pairings": rows,
        "mentor_requests": [
            {
                "program": r.program.name,
                "you_asked": r.mentee.person_id == person.pk,
                "other_person": (r.mentor if r.mentee.person_id == person.pk else r.mentee).person.full_name,
                "status": r.get_status_display(),
                "created_at": r.created_at,
                "expires_at": r.expires_at,
                "decided_at": r.decided_at,
            }
            for r in requests.order_by("created_at")
        ],
        # What the matching engine worked out about them: a proposal's score (the other person of an
        # unpublished proposal is HR's draft, not theirs) and why a run could not match them.
        "matching": {
            "proposals": [
                {
                    "program": p.run.program.name,
                    "run_at": p.run.created_at,
                    "your_side": (Side.MENTOR if p.mentor.person_id == person.pk else Side.MENTEE).label,
                    "score": p.score,
                    "pinned_by_hr": p.pinned,
                }
                for p in Proposal.objects.filter(enrollments)
                .select_related("run__program", "mentor")
                .order_by("run__created_at", "pk")
            ],
            "not_matched": [
                {"program": u.run.program.name, "run_at": u.run.created_at, "why": u.reason}
                for u in Unmatched.objects.filter(enrollment__person=person)
                .select_related("run__program")
                .order_by("run__created_at", "pk")
            ],
        },
    }


def _refuse_pairings(person: Person, actor: User) -> list[str]:
    return [
        _(
            "%(name)s is in a live pairing with %(partner)s (%(program)s, %(status)s). The pairing is the "
            "partner's too: end it first, then erase."
        )
        % {
            "name": person.full_name,
            "partner": pairing.partner_of(side_of(pairing, person)).full_name,
            "program": pairing.program.name,
            "status": in_sentence(pairing.get_status_display()),
        }
        for pairing in live_pairings_of(person=person).select_related(
            "program", "mentor__person", "mentee__person"
        )
    ]


def _erase_pairings(person: Person, actor: User) -> int:
    now = timezone.now()
    erased = _("(erased)")
    mine = Q(owner_side=Side.MENTOR, pairing__mentor__person=person) | Q(
        owner_side=Side.MENTEE, pairing__mentee__person=person
    )
    # Their goals keep their row, side, dates, status and progress (the dashboards count them); the words go.
    changed = (
        Goal.objects.filter(mine)
        .exclude(title=erased, description="")
        .update(title=erased, description="", updated_at=now)
    )
    theirs = (
        Q(status=Pairing.Status.DECLINED, declined_side=Side.MENTOR, mentor__person=person)
        | Q(status=Pairing.Status.DECLINED, declined_side=Side.MENTEE, mentee__person=person)
        | Q(ended_by__isnull=False, ended_by=person.user_id)
    )
    changed += (
        Pairing.objects.filter(theirs).exclude(closing_reason="").update(closing_reason="", updated_at=now)
    )
    # A request still waiting would pair them: it is withdrawn (the other side's message names nobody).
    changed += MentorRequest.objects.filter(
        Q(mentee__person=person) | Q(mentor__person=person), status=MentorRequest.Status.PENDING
    ).update(status=MentorRequest.Status.WITHDRAWN, decided_at=now)
    return changed


register(
    name="pairings",
    covers={
        "pairings.Pairing": ("ended_by",),
        "pairings.Agreement": (),
        "pairings.Goal": (),
        "pairings.MentorRequest": (),
        "pairings.Proposal": (),
        "pairings.Unmatched": (),
    },
    export=_export_pairings,
    erase=_erase_pairings,
    refuse=_refuse_pairings,
    notes=(
        gettext_lazy(
            "Your pairings name your partner, as the app does. The agreement belongs to the pair. Why a "
            "pairing ended is included only when you gave the reason."
        ),
    ),
)

exclude(
    "pairings.MatchRun",
    reason=gettext_lazy(
        "A match run names only the HR admin who started it; what it said about you is included."
    ),
)
exclude(
    "pairings.PairRule",
    reason=gettext_lazy(
        "HR's rules that keep two people together or apart in matching: each is about two people and is "
        "HR's working judgement."
    ),
)
