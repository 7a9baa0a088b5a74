"""The participant's pages: "My mentoring", check-ins, reflections, goals, actions and concerns."""

from dataclasses import dataclass
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from common.once import AlreadySaved, save_once
from common.text import choice_words
from common.views import form_errors, id_param
from pairings.models import Goal, Side
from pairings.selectors import pairing_get_for_user, side_of
from profiles import outbox
from profiles.models import Notification
from profiles.outbox import selectors as outbox_selectors
from profiles.permissions import person_required

from . import selectors, services
from .calendar import meeting_calendar
from .forms import (
    ActionForm,
    CheckInForm,
    ConcernForm,
    GoalReviewForm,
    MeetingChangeForm,
    MeetingForm,
    ReflectionForm,
    SharedNotesForm,
)
from .models import Action, CheckIn, Concern, Meeting, Reflection


def _goal_updates(form, rows) -> list[services.GoalProgress]:
    return [
        services.GoalProgress(
            goal=goal, progress=form.cleaned_data[progress], status=form.cleaned_data[status]
        )
        for goal, progress, status in rows
    ]


def _reflection(data) -> services.ReflectionInput:
    return services.ReflectionInput(
        learned=data["learned"],
        change_next_time=data.get("change_next_time", ""),
        rating=data["rating"],
        private_notes=data.get("private_notes", ""),
        fit=data.get("fit", ""),
    )


def _form_page(request, pairing, form, heading, intro):
    return render(
        request,
        "checkins/form_page.html",
        {"pairing": pairing, "form": form, "heading": heading, "intro": intro},
    )


def _open_goals(pairing) -> list[Goal]:
    return list(pairing.goals.filter(Goal.kept_q()))


@dataclass(frozen=True)
class CheckInCard:
    """A check-in as its card shows it (checkins/_checkin_card.html), as plain values."""

    pk: int
    happened_on: date
    duration_minutes: int
    format_label: str
    visible: tuple  # of (mine, by_mentor, learned): what this side may read of each reflection

    @classmethod
    def of(cls, checkin, side: str) -> "CheckInCard":
        return cls.of_values(
            {
                "pk": checkin.pk,
                "happened_on": checkin.happened_on,
                "duration_minutes": checkin.duration_minutes,
                "meeting_format": checkin.meeting_format,
                "visible": tuple(
                    (row["mine"], row["by_mentor"], row["learned"])
                    for row in selectors.visible_reflections(checkin, side)
                ),
            }
        )

    @classmethod
    def of_values(cls, checkin: dict) -> "CheckInCard":
        """From a check-in as plain values (selectors.home_for_person reads them so)."""
        return cls(
            pk=checkin["pk"],
            happened_on=checkin["happened_on"],
            duration_minutes=checkin["duration_minutes"],
            format_label=choice_words(CheckIn, "meeting_format")[checkin["meeting_format"]],
            visible=checkin["visible"],
        )


@dataclass(frozen=True)
class HomeSection:
    """One pairing of "My mentoring" as plain values, every one of them shown: the template keeps the
    section's HTML by the section, the language and the time zone, so the section holds all it shows
    (the day it was made, for "due since", included)."""

    pk: int
    is_mentor: bool
    is_awaiting: bool
    partner_name: str
    program_name: str
    cadence_days: int
    today: date
    next_due: date | None
    next_meeting: tuple | None  # (pk, starts_at, duration_minutes)
    meeting_can_be_logged: bool
    awaiting_my_side: tuple  # of (check-in pk, happened_on)
    goal_review_due: bool
    goals: tuple  # of (owner side's word, title, status's word, target_date, progress)
    checkins: tuple[CheckInCard, ...]
    actions: tuple  # of (pk, kind's word, title, measured_effect, effect's word)

    @classmethod
    def of(cls, view: selectors.PairingView, today: date) -> "HomeSection":
        meeting = view.next_meeting
        return cls(
            pk=view.pk,
            is_mentor=view.is_mentor,
            is_awaiting=view.is_awaiting,
            partner_name=view.partner_name,
            program_name=view.program_name,
            cadence_days=view.cadence_days,
            today=today,
            next_due=view.next_due,
            next_meeting=(meeting["pk"], meeting["starts_at"], meeting["duration_minutes"])
            if meeting
            else None,
            meeting_can_be_logged=view.meeting_can_be_logged,
            awaiting_my_side=tuple((c["pk"], c["happened_on"]) for c in view.awaiting_my_side),
            goal_review_due=view.goal_review_due,
            goals=tuple(
                (
                    choice_words(Goal, "owner_side")[g["owner_side"]],
                    g["title"],
                    choice_words(Goal, "status")[g["status"]],
                    g["target_date"],
                    g["progress"],
                )
                for g in view.goals
            ),
            checkins=tuple(CheckInCard.of_values(checkin) for checkin in view.checkins),
            actions=tuple(
                (
                    a["pk"],
                    choice_words(Action, "kind")[a["kind"]],
                    a["title"],
                    a["measured_effect"],
                    choice_words(Action, "effect")[a["effect"]],
                )
                for a in view.actions
            ),
        )


@person_required
def home(request):
    """My mentoring: each pairing with the next check-in, goals, recent check-ins and what to do next."""
    today = timezone.localdate()
    sections = [HomeSection.of(view, today) for view in selectors.home_for_person(person=request.person)]
    return render(request, "checkins/home.html", {"sections": sections})


@person_required
def pairing_journal(request, pk):
    access = pairing_get_for_user(user=request.user, pk=pk)
    pairing, side = access.pairing, access.side
    checkins = [CheckInCard.of(checkin, side) for checkin in selectors.checkins_of_pairing(pairing=pairing)]
    return render(request, "checkins/journal.html", {"pairing": pairing, "side": side, "checkins": checkins})


@person_required
def checkin_log(request, pk):
    access = pairing_get_for_user(user=request.user, pk=pk, require_active=True)
    pairing, person = access.pairing, access.person
    meeting = None
    meeting_id = id_param(request.POST, "meeting") or id_param(request.GET, "meeting")
    if meeting_id:
        meeting = get_object_or_404(Meeting, pk=meeting_id, pairing=pairing)
    form = CheckInForm(request.POST or None, pairing=pairing, goals=_open_goals(pairing))
    if meeting and not request.POST:
        form.initial |= {
            "happened_on": timezone.localtime(meeting.starts_at).date(),
            "duration_minutes": meeting.duration_minutes,
            "meeting_format": meeting.meeting_format,
        }
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            checkin = save_once(
                request,
                form,
                lambda: services.checkin_log(
                    pairing=pairing,
                    person=person,
                    happened_on=data["happened_on"],
                    duration_minutes=data["duration_minutes"],
                    meeting_format=data["meeting_format"],
                    themes=list(data["themes"]),
                    shared_notes=data["shared_notes"],
                    reflection=_reflection(data),
                    goal_updates=_goal_updates(form, form.goal_rows),
                    meeting=meeting,
                ),
                lambda checkin: reverse("checkins:checkin", args=[checkin.pk]),
            )
        except AlreadySaved as saved:
            return saved.response(request)
        except ValidationError as error:
            form_errors(form, error)
        else:
            messages.success(request, _("Check-in logged. Your partner is asked to add their side."))
            return redirect("checkins:checkin", pk=checkin.pk)
    return _form_page(
        request,
        pairing,
        form,
        _("Log a check-in"),
        _("Both of you say what you learned. Your rating and private notes stay yours."),
    )


@person_required
def checkin_detail(request, pk):
    checkin, person, side = selectors.checkin_for_participant(user=request.user, pk=pk)
    return render(
        request,
        "checkins/checkin.html",
        {
            "checkin": checkin,
            "pairing": checkin.pairing,
            "side": side,
            "visible": selectors.visible_reflections(checkin, side),
            "mine_missing": not checkin.reflections.filter(side=side).exists(),
        },
    )


@person_required
def reflection_edit(request, pk):
    """Add my side to a check-in, or edit it. Nobody can open the partner's."""
    checkin, person, side = selectors.checkin_for_participant(user=request.user, pk=pk)
    mine = Reflection.objects.filter(checkin=checkin, side=side).first()
    goals = [] if mine else _open_goals(checkin.pairing)
    initial = {}
    if mine:
        initial = {
            "learned": mine.learned,
            "change_next_time": mine.change_next_time,
            "rating": mine.rating,
            "private_notes": mine.private_notes,
            "fit": mine.fit,
            "version": mine.updated_at,
        }
    form = ReflectionForm(
        request.POST or None, initial=initial, goals=goals, ask_fit=selectors.asks_fit(checkin=checkin)
    )
    if request.method == "POST" and form.is_valid():
        try:
            if mine:
                services.reflection_update(
                    reflection=mine,
                    person=person,
                    data=_reflection(form.cleaned_data),
                    version=form.cleaned_data.get("version"),
                )
            else:
                services.reflection_add(
                    checkin=checkin,
                    person=person,
                    reflection=_reflection(form.cleaned_data),
                    goal_updates=_goal_updates(form, form.goal_rows),
                )
        except ValidationError as error:
            form_errors(form, error)
        else:
            messages.success(request, _("Your side is saved."))
            return redirect("checkins:checkin", pk=checkin.pk)
    return _form_page(
        request,
        checkin.pairing,
        form,
        _("Edit your side") if mine else _("Add your side"),
        _(
            "What you learned and would change is shared with your partner; your rating and private notes are not."
        ),
    )


@person_required
def shared_notes_edit(request, pk):
    checkin, person, side = selectors.checkin_for_participant(user=request.user, pk=pk)
    form = SharedNotesForm(
        request.POST or None, initial={"shared_notes": checkin.shared_notes, "version": checkin.updated_at}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.checkin_update_shared_notes(
                checkin=checkin,
                person=person,
                shared_notes=form.cleaned_data["shared_notes"],
                version=form.cleaned_data.get("version"),
            )
        except ValidationError as error:
            form_errors(form, error)
        else:
            messages.success(request, _("Shared notes saved."))
            return redirect("checkins:checkin", pk=checkin.pk)
    return _form_page(
        request, checkin.pairing, form, _("Shared notes"), _("Both of you see these; HR never does.")
    )


@person_required
def goal_review(request, pk):
    access = pairing_get_for_user(user=request.user, pk=pk)
    pairing, person = access.pairing, access.person
    form = GoalReviewForm(request.POST or None, goals=_open_goals(pairing))
    if request.method == "POST" and form.is_valid():
        try:
            services.goal_review(pairing=pairing, person=person, updates=_goal_updates(form, form.goal_rows))
        except ValidationError as error:
            form_errors(form, error)
        else:
            messages.success(request, _("Thank you: your goals are up to date."))
            return redirect("checkins:home")
    return _form_page(
        request,
        pairing,
        form,
        _("Goal review"),
        _("Where does each goal stand, as you see it? Both sides' goals count."),
    )


@person_required
def meeting_plan(request, pk):
    access = pairing_get_for_user(user=request.user, pk=pk)
    pairing, person = access.pairing, access.person
    form = MeetingForm(
        request.POST or None,
        initial={
            "duration_minutes": pairing.program.meeting_minutes,
            "meeting_format": pairing.meeting_format,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            meeting = save_once(
                request,
                form,
                lambda: services.meeting_plan(pairing=pairing, person=person, **form.service_data()),
                lambda meeting: f"{reverse('checkins:home')}#meeting-{meeting.pk}",
            )
        except AlreadySaved as saved:
            return saved.response(request)
        except ValidationError as error:
            form_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "Planned. Download the calendar invite and send it to your partner, or they can get it here."
                ),
            )
            return redirect(f"{reverse('checkins:home')}#meeting-{meeting.pk}")
    return _form_page(
        request, pairing, form, _("Plan the next check-in"), _("Times are in your own time zone.")
    )


@person_required
def meeting_ics(request, pk):
    meeting = selectors.meeting_for_participant(user=request.user, person=request.person, pk=pk)
    ics, method = meeting_calendar(meeting)
    response = HttpResponse(ics, content_type=f"text/calendar; method={method}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="twoway-checkin-{meeting.pk}.ics"'
    return response


@person_required
def meeting_cancel(request, pk):
    """Move or cancel a planned check-in: a page that says which meeting, asks what and why, and
    changes nothing until confirmed."""
    meeting = selectors.meeting_for_participant(user=request.user, person=request.person, pk=pk)
    if meeting.status != Meeting.Status.PLANNED:
        messages.info(request, _("This check-in is no longer planned: nothing to move or cancel."))
        return redirect("checkins:home")
    form = MeetingChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.meeting_cancel(
                meeting=meeting,
                person=request.person,
                new_starts_at=data["new_starts_at"],
                reason=data["reason"],
            )
        except ValidationError as error:
            form_errors(form, error)
        else:
            messages.success(
                request,
                _("Moved. Your partner is told, with a new calendar invitation.")
                if data["new_starts_at"]
                else _("Cancelled. Your partner is told, and their calendar can drop it."),
            )
            return redirect("checkins:home")
    return render(
        request,
        "checkins/meeting_change.html",
        {
            "meeting": meeting,
            "pairing": meeting.pairing,
            "partner": meeting.pairing.partner_of(side_of(meeting.pairing, request.person)),
            "form": form,
        },
    )


@person_required
def action_new(request, pk):
    access = pairing_get_for_user(user=request.user, pk=pk)
    pairing, person, side = access.pairing, access.person, access.side
    if side != Side.MENTEE:
        raise Http404
    form = ActionForm(request.POST or None, program=pairing.program)
    if request.method == "POST" and form.is_valid():
        try:
            save_once(
                request,
                form,
                lambda: services.action_record(pairing=pairing, person=person, **form.action_data()),
                lambda _action: reverse("checkins:home"),
            )
        except AlreadySaved as saved:
            return saved.response(request)
        except ValidationError as error:
            form_errors(form, error)
        else:
            messages.success(
                request, _("Recorded. Your mentor sees what changed because of your work together.")
            )
            return redirect("checkins:home")
    return _form_page(
        request,
        pairing,
        form,
        _("You said, we did"),
        _("What did you change because of your mentor: a decision, a tool, a policy?"),
    )


@person_required
def action_edit(request, pk):
    action = selectors.action_for_senior(user=request.user, pk=pk)
    pairing, person = action.pairing, request.person
    form = ActionForm(request.POST or None, instance=action, program=pairing.program)
    if request.method == "POST" and form.is_valid():
        try:
            services.action_update(
                action=action, person=person, data=form.action_data(), version=form.cleaned_data["version"]
            )
        except ValidationError as error:
            form_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("checkins:home")
    return _form_page(
        request,
        pairing,
        form,
        _("You said, we did"),
        _("Did the change help? Say so when you know: leaders count the changes that helped."),
    )


@person_required
def concern_new(request, pk):
    access = pairing_get_for_user(user=request.user, pk=pk)
    pairing, person = access.pairing, access.person
    form = ConcernForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            concern = save_once(
                request,
                form,
                lambda: services.concern_raise(pairing=pairing, person=person, **form.service_data()),
                lambda concern: reverse("checkins:concern", args=[concern.pk]),
            )
        except AlreadySaved as saved:
            return saved.response(request)
        except ValidationError as error:
            form_errors(form, error)
        else:
            messages.success(request, _("Sent to HR in confidence. Your partner is not told."))
            return redirect("checkins:concern", pk=concern.pk)
    return _form_page(
        request,
        pairing,
        form,
        _("Raise a concern with HR"),
        _(
            "Only HR reads this. Your partner is never told. You can also ask HR to end the pairing without blame."
        ),
    )


@login_required
def concern_detail(request, pk):
    concern = selectors.concern_for_user(user=request.user, pk=pk)
    if request.user.is_hr_admin and concern.raised_by.user_id != request.user.pk:
        return redirect("checkins:concern_handle", pk=concern.pk)
    return render(request, "checkins/concern.html", {"concern": concern, "statuses": Concern.Status})


# --- Notifications ---------------------------------------------------------------------------------------


@person_required
def notifications(request):
    """The in-app list; opening it marks everything read (each row also says why it was sent)."""
    rows = list(outbox_selectors.notifications_of(person=request.person)[:100])
    unread = {row.pk for row in rows if row.read_at is None}
    outbox.notification_mark_read(person=request.person)
    return render(request, "checkins/notifications.html", {"rows": rows, "unread": unread})


@person_required
def preferences(request):
    shown = outbox.notification_kinds_for(user=request.user)
    slack = outbox.slack_configured()  # the Slack column only when Twoway has a Slack app
    if request.method == "POST":
        for kind in shown:
            outbox.notification_preference_set(
                person=request.person,
                kind=kind,
                email=request.POST.get(kind) == "on",
                slack=request.POST.get(f"slack-{kind}") == "on" if slack else None,
            )
        messages.success(
            request,
            _("Your choices are saved. Everything still shows here in the app.")
            if slack
            else _("Your email choices are saved. Everything still shows here in the app."),
        )
        return redirect("checkins:preferences")
    off = outbox_selectors.email_off_kinds(person=request.person)
    slack_on = outbox_selectors.slack_on_kinds(person=request.person) if slack else set()
    kinds = [
        {
            "value": value,
            "label": label,
            "on": value not in off,
            "essential": value in outbox.ESSENTIAL,
            "slack": value in slack_on,
        }
        for value, label in Notification.Kind.choices
        if value in shown
    ]
    return render(request, "checkins/preferences.html", {"kinds": kinds, "slack": slack})


@csrf_exempt  # RFC 8058 one-click: mail clients POST without a session; the signed token is the proof
def unsubscribe(request, token):
    if request.method == "POST":
        preference = outbox.unsubscribe_with_token(token=token)
        if preference is None:
            return render(request, "checkins/unsubscribe.html", {"invalid": True}, status=400)
        return render(
            request, "checkins/unsubscribe.html", {"done": True, "kind": preference.get_kind_display()}
        )
    return render(request, "checkins/unsubscribe.html", {"token": token})
