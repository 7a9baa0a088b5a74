from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.views import flash_error, form_errors, id_param
from profiles.permissions import hr_admin_required, person_required
from programs.models import Enrollment, Side
from programs.selectors import program_get_for_hr

from . import selectors, services
from .forms import AgreementForm, GoalForm, ManualPairForm, MatchingSettingsForm, ReasonForm
from .models import MatchingSettings, MentorRequest, Pairing, Proposal

# --- HR: matching ------------------------------------------------------------------------------------


@hr_admin_required
def matching_page(request, pk):
    program = program_get_for_hr(user=request.user, pk=pk)
    settings = selectors.matching_settings_for(program=program)
    form = MatchingSettingsForm(request.POST or None, instance=settings)
    preview = None
    if request.method == "POST" and form.is_valid():
        if "preview" in request.POST:
            weights = selectors.weights_of(form.save(commit=False))
            preview = services.matching_preview(program=program, weights=weights)
        else:
            data = {field: form.cleaned_data[field] for field in form.Meta.fields}
            try:
                services.matching_settings_update(program=program, data=data)
            except ValidationError as error:
                form_errors(form, error)
            else:
                messages.success(request, _("Matching settings saved."))
                return redirect("pairings:matching", pk=program.pk)
    return render(
        request,
        "pairings/matching.html",
        {
            "program": program,
            "form": form,
            "preview": preview,
            "run": selectors.match_run_latest(program=program),
            "mentee_choice": settings.mode == MatchingSettings.Mode.MENTEE_CHOICE,
        },
    )


@hr_admin_required
@require_POST
def run_start(request, pk):
    program = program_get_for_hr(user=request.user, pk=pk)
    try:
        run = services.match_run_start(program=program, actor=request.user)
    except ValidationError as error:
        flash_error(request, error)
        return redirect("pairings:matching", pk=program.pk)
    return redirect("pairings:run", pk=program.pk, run_pk=run.pk)


@hr_admin_required
def run_detail(request, pk, run_pk):
    program = program_get_for_hr(user=request.user, pk=pk)
    run = selectors.match_run_get_for_hr(user=request.user, program=program, pk=run_pk)
    context = {"program": program, "run": run}
    if request.htmx and request.GET.get("status"):
        if run.is_finished:
            # The progress partial has done its job: reload the page to show the proposals.
            response = render(request, "pairings/run.html#progress", context)
            response["HX-Refresh"] = "true"
            return response
        return render(request, "pairings/run.html#progress", context)
    if run.is_finished:
        proposals = list(selectors.proposals_of(run=run))
        unmatched = list(selectors.unmatched_of(run=run))
        context |= {
            "proposals": proposals,
            "unmatched": unmatched,
            "manual_form": _manual_form(run, unmatched),
        }
    return render(request, "pairings/run.html", context)


def _manual_form(run, unmatched, data=None):
    among = {u.enrollment_id for u in unmatched}
    return ManualPairForm(data, choices=selectors.manual_pair_choices(program=run.program, among=among))


def _chosen_pair(form, program) -> dict:
    """The two enrollments of the pair chosen in a ManualPairForm, as the services take them."""
    mentor_id, mentee_id = form.pair_ids()
    enrollments = Enrollment.objects.select_related("person").filter(
        program=program, pk__in=[mentor_id, mentee_id]
    )
    by_id = {e.pk: e for e in enrollments}
    return {"mentor": by_id[mentor_id], "mentee": by_id[mentee_id]}


def _run_proposal(request, pk, run_pk, proposal_pk):
    program = program_get_for_hr(user=request.user, pk=pk)
    run = selectors.match_run_get_for_hr(user=request.user, program=program, pk=run_pk)
    return run, get_object_or_404(
        Proposal.objects.select_related("mentor", "mentee"), pk=proposal_pk, run=run
    )


@hr_admin_required
@require_POST
def proposal_action(request, pk, run_pk, proposal_pk):
    run, proposal = _run_proposal(request, pk, run_pk, proposal_pk)
    action = request.POST.get("action")
    try:
        if action == "pin":
            services.proposal_pin(proposal=proposal, actor=request.user)
            messages.success(request, _("Pinned: this pair stays in every later run."))
        elif action == "unpin":
            services.proposal_pin(proposal=proposal, actor=request.user, pinned=False)
            messages.success(request, _("Unpinned."))
        elif action == "remove":
            services.proposal_remove(proposal=proposal)
            messages.success(request, _("Proposal removed; both people are now listed as unmatched."))
        elif action == "forbid":
            services.proposal_forbid(proposal=proposal, actor=request.user)
            messages.success(request, _("Forbidden: this pair will never be proposed again in this program."))
        elif action == "swap":
            other = get_object_or_404(Proposal, pk=id_param(request.POST, "other", required=True), run=run)
            services.proposal_swap(first=proposal, second=other)
            messages.success(request, _("Mentees swapped; scores and explanations updated."))
        else:
            raise ValidationError(_("Unknown action."))
    except ValidationError as error:
        flash_error(request, error)
    return redirect("pairings:run", pk=run.program_id, run_pk=run.pk)


@hr_admin_required
@require_POST
def proposal_add(request, pk, run_pk):
    program = program_get_for_hr(user=request.user, pk=pk)
    run = selectors.match_run_get_for_hr(user=request.user, program=program, pk=run_pk)
    form = _manual_form(run, list(selectors.unmatched_of(run=run)), request.POST)
    if form.is_valid():
        try:
            services.proposal_add(run=run, **_chosen_pair(form, program))
        except ValidationError as error:
            flash_error(request, error)
        else:
            messages.success(request, _("Pair added to the proposals."))
    else:
        flash_error(request, ValidationError(_("Choose one of the listed pairs of unmatched people.")))
    return redirect("pairings:run", pk=program.pk, run_pk=run.pk)


@hr_admin_required
@require_POST
def run_publish(request, pk, run_pk):
    program = program_get_for_hr(user=request.user, pk=pk)
    run = selectors.match_run_get_for_hr(user=request.user, program=program, pk=run_pk)
    try:
        pairings = services.match_run_publish(run=run, actor=request.user)
    except ValidationError as error:
        flash_error(request, error)
        return redirect("pairings:run", pk=program.pk, run_pk=run.pk)
    messages.success(
        request,
        _("Published %(n)s pairs. Each person got an introduction and is asked to accept.")
        % {"n": len(pairings)},
    )
    return redirect("pairings:program_pairings", pk=program.pk)


# --- HR: pairings of a program --------------------------------------------------------------------------


@hr_admin_required
def program_pairings(request, pk):
    program = program_get_for_hr(user=request.user, pk=pk)
    form = ManualPairForm(request.POST or None, choices=selectors.manual_pair_choices(program=program))
    if request.method == "POST" and form.is_valid():
        try:
            services.pairing_create_manual(program=program, actor=request.user, **_chosen_pair(form, program))
        except ValidationError as error:
            form_errors(form, error)
        else:
            messages.success(
                request, _("Pair made. Both people got an introduction and are asked to accept.")
            )
            return redirect("pairings:program_pairings", pk=program.pk)
    return render(
        request,
        "pairings/program_pairings.html",
        {
            "program": program,
            "pairings": selectors.pairings_for_program(program=program),
            "form": form,
            "can_pair": program.allows_pairing,
        },
    )


@hr_admin_required
@require_POST
def conflict_keep(request, pk, pairing_pk):
    program = program_get_for_hr(user=request.user, pk=pk)
    pairing = get_object_or_404(Pairing, pk=pairing_pk, program=program)
    services.pairing_conflict_keep(pairing=pairing)
    messages.success(request, _("Flag cleared: you chose to keep this pair."))
    return redirect("pairings:program_pairings", pk=program.pk)


# --- Participants (and HR on a pairing page) -------------------------------------------------------------


@login_required
def pairing_detail(request, pk):
    access = selectors.pairing_get_for_user(user=request.user, pk=pk, allow_hr=True)
    pairing, side = access.pairing, access.side
    if access.is_hr:
        # HR: dates and statuses only, never the pair's own words.
        return render(request, "pairings/detail_hr.html", {"pairing": pairing})
    partner = pairing.partner_of(side)
    context = {
        "pairing": pairing,
        "side": side,
        "is_mentor": side == Side.MENTOR,
        "partner": partner,
        "partner_profile": getattr(partner, "profile", None),
        "my_acceptance": pairing.has_accepted(side),
        "can_end": pairing.offers_ending_to(side),
        "decline_form": ReasonForm(prefix="decline"),
        "end_form": ReasonForm(prefix="end"),
    }
    if pairing.is_active:
        agreement = pairing.agreement
        context |= {
            "agreement": agreement,
            "agreement_form": AgreementForm(instance=agreement),
            "goals": list(pairing.goals.all()),
            "goal_form": GoalForm(initial={"owner_side": side}),
            "i_confirmed": getattr(agreement, f"{side}_confirmed_at"),
            "guides": selectors.discussion_guides(pairing=pairing),
        }
    return render(request, "pairings/detail.html", context)


@login_required
@require_POST
def pairing_answer(request, pk):
    access = selectors.pairing_get_for_user(user=request.user, pk=pk)
    pairing, person = access.pairing, access.person
    try:
        if request.POST.get("answer") == "accept":
            pairing = services.pairing_accept(pairing=pairing, person=person)
            messages.success(
                request,
                _("You're paired! Now agree together how you'll work.")
                if pairing.is_active
                else _("Thank you. We're waiting for your partner's answer."),
            )
        else:
            form = ReasonForm(request.POST, prefix="decline")
            form.is_valid()
            services.pairing_decline(
                pairing=pairing, person=person, reason=form.cleaned_data.get("reason", "")
            )
            messages.success(request, _("You said no. You are back in the pool; only HR sees your reason."))
    except ValidationError as error:
        flash_error(request, error)
    return redirect("pairings:detail", pk=pairing.pk)


@login_required
def agreement_edit(request, pk):
    access = selectors.pairing_get_for_user(user=request.user, pk=pk, require_active=True)
    pairing, person = access.pairing, access.person
    form = AgreementForm(request.POST or None, instance=pairing.agreement)
    if request.method == "POST":
        if form.is_valid():
            data = {field: form.cleaned_data[field] for field in AgreementForm.Meta.fields}
            try:
                services.agreement_save(
                    pairing=pairing, person=person, data=data, version=form.cleaned_data.get("version")
                )
            except ValidationError as error:
                form_errors(form, error)
            else:
                messages.success(request, _("Agreement saved. Both of you confirm it again."))
                return redirect("pairings:detail", pk=pairing.pk)
        return render(request, "pairings/agreement_form.html", {"pairing": pairing, "form": form})
    return redirect("pairings:detail", pk=pairing.pk)


@login_required
@require_POST
def agreement_confirm(request, pk):
    access = selectors.pairing_get_for_user(user=request.user, pk=pk)
    pairing, person = access.pairing, access.person
    try:
        agreement = services.agreement_confirm(pairing=pairing, person=person)
    except ValidationError as error:
        flash_error(request, error)
    else:
        messages.success(
            request,
            _("Agreement confirmed by both of you.")
            if agreement.is_confirmed
            else _("Confirmed. Your partner confirms next."),
        )
    return redirect("pairings:detail", pk=pairing.pk)


@login_required
def goal_edit(request, pk, goal_pk=None):
    access = selectors.pairing_get_for_user(user=request.user, pk=pk)
    pairing, person = access.pairing, access.person
    goal = get_object_or_404(pairing.goals, pk=goal_pk) if goal_pk else None
    form = GoalForm(request.POST or None, instance=goal)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            services.goal_save(
                pairing=pairing, person=person, goal=goal, version=form.cleaned_data.get("version"), **data
            )
        except ValidationError as error:
            form_errors(form, error)
        else:
            messages.success(request, _("Goal saved."))
            return redirect("pairings:detail", pk=pairing.pk)
    return render(request, "pairings/goal_form.html", {"pairing": pairing, "form": form, "goal": goal})


@login_required
@require_POST
def pairing_end(request, pk):
    access = selectors.pairing_get_for_user(user=request.user, pk=pk, allow_hr=True)
    pairing = access.pairing
    form = ReasonForm(request.POST, prefix="end")
    form.is_valid()
    try:
        services.pairing_end(pairing=pairing, user=request.user, reason=form.cleaned_data.get("reason", ""))
    except ValidationError as error:
        flash_error(request, error)
    else:
        messages.success(request, _("The pairing has ended. No blame: thank you for the time you gave it."))
    if access.is_hr:
        return redirect("pairings:program_pairings", pk=pairing.program_id)
    return redirect("pairings:detail", pk=pairing.pk)


# --- Mentee-choice mode ----------------------------------------------------------------------------------


@person_required
def choose_mentor(request, enrollment_pk):
    mentee = get_object_or_404(
        Enrollment.objects.select_related("program"), pk=enrollment_pk, person=request.person, role="mentee"
    )
    if request.method == "POST":
        mentor = get_object_or_404(
            Enrollment,
            pk=id_param(request.POST, "mentor", required=True),
            program=mentee.program,
            role=Side.MENTOR,
        )
        try:
            services.mentor_request_create(mentee=mentee, mentor=mentor)
        except ValidationError as error:
            flash_error(request, error)
        else:
            messages.success(request, _("Request sent. The mentor has a few days to answer."))
        return redirect("pairings:choose", enrollment_pk=mentee.pk)
    return render(
        request,
        "pairings/choose.html",
        {
            "mentee": mentee,
            "program": mentee.program,
            "suggestions": services.mentor_suggestions(mentee=mentee),
            "requests": MentorRequest.objects.filter(mentee=mentee).select_related("mentor__person"),
        },
    )


@person_required
def mentor_requests(request):
    if request.method == "POST":
        mentor_request = get_object_or_404(
            MentorRequest, pk=id_param(request.POST, "request", required=True), mentor__person=request.person
        )
        try:
            services.mentor_request_answer(
                request=mentor_request, person=request.person, accept=request.POST.get("answer") == "accept"
            )
        except ValidationError as error:
            flash_error(request, error)
        else:
            messages.success(request, _("Thank you for your answer."))
        return redirect("pairings:requests")
    return render(
        request,
        "pairings/requests.html",
        {"requests": selectors.mentor_requests_of_mentor(person=request.person)},
    )
