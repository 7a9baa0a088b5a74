from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from common.counts import CountedPaginator
from common.text import choice_words
from common.views import flash_error, form_errors
from profiles import selectors as profile_selectors
from profiles.permissions import hr_admin_required, person_required

from . import selectors, services
from .forms import (
    AcknowledgementForm,
    DecisionForm,
    EnrollmentForm,
    ProgramForm,
    ProgramInviteForm,
    SurveyQuestionForm,
    SurveyResponseForm,
    ThemeForm,
)
from .models import NOT_TIED_TO_PERFORMANCE, Enrollment, Program, Side, Survey

PAGE_SIZE = 50


# --- HR: programs ---------------------------------------------------------------------------------


@hr_admin_required
def program_list(request):
    archived = request.GET.get("archived") == "1"
    programs = selectors.program_list_for_hr(archived=archived)
    return render(request, "programs/list.html", {"programs": programs, "archived": archived})


@hr_admin_required
def program_create(request):
    form = ProgramForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            program = services.program_create(actor=request.user, data=form.program_data())
        except ValidationError as error:
            form_errors(form, error)
        else:
            messages.success(request, _("Program created as a draft, with the default themes."))
            return redirect("programs:detail", pk=program.pk)
    return render(request, "programs/form.html", {"form": form, "program": None})


@hr_admin_required
def program_detail(request, pk):
    program = selectors.program_get_for_hr(user=request.user, pk=pk)
    return render(
        request,
        "programs/detail.html",
        {
            "program": program,
            "allows": services.STATE_ALLOWS[program.state],
            "next_states": [Program.State(s) for s in sorted(services.TRANSITIONS[program.state])],
            "counts": selectors.enrollment_counts(program=program),
            "themes": program.themes.all(),
            "acknowledgements": program.acknowledgements.all(),
            "editable": bool(services.editable_fields(program)),
            "can_invite": services.enrollment_window_open(program),
            "invite_form": ProgramInviteForm(departments=profile_selectors.departments()),
            "invited": selectors.program_invitation_count(program=program),
        },
    )


@hr_admin_required
@require_POST
def program_invite(request, pk):
    program = selectors.program_get_for_hr(user=request.user, pk=pk)
    form = ProgramInviteForm(request.POST, departments=profile_selectors.departments())
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("programs:detail", pk=program.pk)
    try:
        count = services.program_invite(program=program, actor=request.user, **form.cleaned_data)
    except ValidationError as error:
        flash_error(request, error)
    else:
        messages.success(
            request,
            ngettext(
                "%(n)s person invited. They get an email within a few minutes.",
                "%(n)s people invited. They get an email within a few minutes.",
                count,
            )
            % {"n": count}
            if count
            else _("Nobody new to invite: everyone who matches is already invited or enrolled."),
        )
    return redirect("programs:detail", pk=program.pk)


@hr_admin_required
def program_edit(request, pk):
    program = selectors.program_get_for_hr(user=request.user, pk=pk)
    form = ProgramForm(request.POST or None, instance=program)
    if request.method == "POST" and form.is_valid():
        try:
            services.program_update(
                program=program, data=form.program_data(), version=form.cleaned_data.get("version")
            )
        except ValidationError as error:
            form_errors(form, error)
        else:
            messages.success(request, _("Program saved."))
            return redirect("programs:detail", pk=program.pk)
    return render(
        request,
        "programs/form.html",
        {"form": form, "program": program, "allows": services.STATE_ALLOWS[program.state]},
    )


@hr_admin_required
@require_POST
def program_transition(request, pk):
    program = selectors.program_get_for_hr(user=request.user, pk=pk)
    to_state = request.POST.get("to_state", "")
    if to_state not in Program.State.values:
        flash_error(request, ValidationError(_("Unknown state.")))
        return redirect("programs:detail", pk=program.pk)
    try:
        program = services.program_transition(program=program, to_state=to_state)
    except ValidationError as error:
        flash_error(request, error)
    else:
        messages.success(request, _("The program is now %(state)s.") % {"state": program.get_state_display()})
    return redirect("programs:detail", pk=program.pk)


@hr_admin_required
@require_POST
def program_duplicate(request, pk):
    program = selectors.program_get_for_hr(user=request.user, pk=pk)
    copy = services.program_duplicate(program=program, actor=request.user)
    messages.success(request, _("A copy was made as a new draft. Set its dates before enrollment opens."))
    return redirect("programs:edit", pk=copy.pk)


@hr_admin_required
@require_POST
def program_archive(request, pk):
    program = selectors.program_get_for_hr(user=request.user, pk=pk)
    try:
        services.program_archive(program=program)
    except ValidationError as error:
        flash_error(request, error)
    else:
        messages.success(request, _("Program archived."))
    return redirect("programs:detail", pk=program.pk)


# --- HR: themes and acknowledgements --------------------------------------------------------------


def _item_edit(request, pk, *, related, item_pk, form_class, save, saved, headings):
    """Add or edit one of a program's themes or acknowledgements through its service."""
    program = selectors.program_get_for_hr(user=request.user, pk=pk)
    item = get_object_or_404(getattr(program, related), pk=item_pk) if item_pk else None
    form = form_class(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        try:
            save(program, item, form.cleaned_data)
        except ValidationError as error:
            form_errors(form, error)
        else:
            messages.success(request, saved)
            return redirect("programs:detail", pk=program.pk)
    heading = headings[1] if item else headings[0]
    return render(request, "programs/item_form.html", {"form": form, "program": program, "heading": heading})


def _item_delete(request, pk, *, related, item_pk, delete, removed):
    program = selectors.program_get_for_hr(user=request.user, pk=pk)
    item = get_object_or_404(getattr(program, related), pk=item_pk)
    try:
        delete(item)
    except ValidationError as error:
        flash_error(request, error)
    else:
        messages.success(request, removed)
    return redirect("programs:detail", pk=program.pk)


@hr_admin_required
def theme_edit(request, pk, theme_pk=None):
    return _item_edit(
        request,
        pk,
        related="themes",
        item_pk=theme_pk,
        form_class=ThemeForm,
        save=lambda program, theme, data: services.theme_save(program=program, theme=theme, **data),
        saved=_("Theme saved."),
        headings=(_("Add theme"), _("Edit theme")),
    )


@hr_admin_required
@require_POST
def theme_delete(request, pk, theme_pk):
    return _item_delete(
        request,
        pk,
        related="themes",
        item_pk=theme_pk,
        delete=lambda theme: services.theme_delete(theme=theme),
        removed=_("Theme removed."),
    )


@hr_admin_required
def acknowledgement_edit(request, pk, ack_pk=None):
    return _item_edit(
        request,
        pk,
        related="acknowledgements",
        item_pk=ack_pk,
        form_class=AcknowledgementForm,
        save=lambda program, ack, data: services.acknowledgement_save(
            program=program, acknowledgement=ack, **data
        ),
        saved=_("Acknowledgement saved."),
        headings=(_("Add acknowledgement"), _("Edit acknowledgement")),
    )


@hr_admin_required
@require_POST
def acknowledgement_delete(request, pk, ack_pk):
    return _item_delete(
        request,
        pk,
        related="acknowledgements",
        item_pk=ack_pk,
        delete=lambda ack: services.acknowledgement_delete(acknowledgement=ack),
        removed=_("Acknowledgement removed."),
    )


# --- HR: enrollments ------------------------------------------------------------------------------


def _enrollment_filter(params) -> dict[str, str]:
    """The enrollments page's filter, as the list and its bulk approval both read it."""
    return {
        "role": params.get("role", "") if params.get("role") in Side.values else "",
        "status": params.get("status", "") if params.get("status") in Enrollment.Status.values else "",
        "query": params.get("q", "").strip(),
    }


@dataclass(frozen=True)
class EnrollmentRow:
    """An enrollments row as plain values, every one of them shown: the template keeps the row's HTML by
    the row (and the language), so the row holds all it shows."""

    pk: int
    program_pk: int
    name: str
    job_title: str
    department: str
    level: int
    role_label: str
    topic_line: str
    format_label: str
    status: str
    status_label: str
    decision_reason: str
    can_be_decided: bool


def _enrollment_rows(enrollments, program: Program) -> dict:
    """What the enrollments page's rows need, worked out once per page rather than by each row's tags:
    the rows as values (the choices' labels translated once per value, each row's topics as one line),
    the cells' labels (a phone shows them beside each value) and the decision's options. The page and a
    decided row (htmx) both render with it."""
    roles, formats, statuses = (
        choice_words(Enrollment, name) for name in ("role", "preferred_format", "status")
    )
    topics = selectors.topic_names(enrollment_ids=[enrollment.pk for enrollment in enrollments])
    rows = []
    for enrollment in enrollments:
        enrollment.program = program  # the same program, not a copy per row (can_be_decided reads it)
        person = enrollment.person
        rows.append(
            EnrollmentRow(
                pk=enrollment.pk,
                program_pk=program.pk,
                name=person.full_name,
                job_title=person.job_title,
                department=person.department,
                level=person.level,
                role_label=roles.get(enrollment.role, enrollment.role),
                topic_line=", ".join(
                    topics[enrollment.pk] + ([enrollment.extra_topics] if enrollment.extra_topics else [])
                ),
                format_label=formats.get(enrollment.preferred_format, enrollment.preferred_format),
                status=enrollment.status,
                status_label=statuses.get(enrollment.status, enrollment.status),
                decision_reason=enrollment.decision_reason,
                can_be_decided=enrollment.can_be_decided,
            )
        )
    return {
        "rows": rows,
        "cells": {
            "role": _("Role"),
            "level": _("Level"),
            "topics": _("Topics"),
            "format": _("Format"),
            "status": _("Status"),
            "decision": _("Decision"),
            "reason": _("Reason (needed to decline)"),
            "save": _("Save decision"),
        },
        "decisions": [(value, str(label)) for value, label in DecisionForm.base_fields["status"].choices],
    }


@hr_admin_required
def enrollment_list(request, pk):
    program = selectors.program_get_for_hr(user=request.user, pk=pk)
    chosen = _enrollment_filter(request.GET)
    role, status, query = chosen["role"], chosen["status"], chosen["query"]
    enrollments = selectors.enrollment_list_for_program(program=program, **chosen)
    total = selectors.enrollment_count(program=program, **chosen)
    page = CountedPaginator(enrollments, PAGE_SIZE, count=total).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    return render(
        request,
        "programs/enrollments.html",
        {
            **_enrollment_rows(page.object_list, program),
            "program": program,
            "page": page,
            "role": role,
            "status": status,
            "q": query,
            "roles": Side.choices,
            "statuses": Enrollment.Status.choices,
            "decision_form": DecisionForm(),
            "can_decide": program.decides_enrollments,
            "waiting": enrollments.filter(status=Enrollment.Status.PENDING).count()
            if program.decides_enrollments and status in ("", Enrollment.Status.PENDING)
            else 0,
        },
    )


@hr_admin_required
@require_POST
def enrollment_approve_waiting(request, pk):
    """Approve every enrollment waiting for a decision among those the page's filter shows."""
    program = selectors.program_get_for_hr(user=request.user, pk=pk)
    chosen = _enrollment_filter(request.POST)
    enrollments = selectors.enrollment_list_for_program(program=program, **chosen)
    try:
        count = services.enrollment_approve_waiting(
            program=program, actor=request.user, enrollments=enrollments
        )
    except ValidationError as error:
        flash_error(request, error)
    else:
        messages.success(
            request,
            ngettext(
                "%(n)d enrollment approved; the person is told.",
                "%(n)d enrollments approved; each person is told.",
                count,
            )
            % {"n": count},
        )
    params = urlencode({k: v for k, v in (("role", chosen["role"]), ("q", chosen["query"])) if v})
    return redirect(reverse("programs:enrollments", args=[program.pk]) + (f"?{params}" if params else ""))


@hr_admin_required
@require_POST
def enrollment_decide(request, pk, enrollment_pk):
    program = selectors.program_get_for_hr(user=request.user, pk=pk)
    enrollment = selectors.enrollment_get_for_hr(user=request.user, program=program, pk=enrollment_pk)
    form = DecisionForm(request.POST)
    error = None
    if form.is_valid():
        try:
            enrollment = services.enrollment_decide(
                enrollment=enrollment, actor=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            error = exc
    else:
        error = ValidationError([e for errors in form.errors.values() for e in errors])
    if request.htmx:
        shown = _enrollment_rows([enrollment], program)
        return render(
            request,
            "programs/enrollments.html#row",
            {
                **shown,
                "row": shown["rows"][0],
                "program": program,
                "decision_form": form if error else DecisionForm(),
                "row_error": error,
                "can_decide": True,
            },
        )
    if error:
        flash_error(request, error)
    else:
        messages.success(
            request,
            _("%(name)s: %(status)s.")
            % {"name": enrollment.person.full_name, "status": enrollment.get_status_display()},
        )
    return redirect("programs:enrollments", pk=program.pk)


# --- Participants ---------------------------------------------------------------------------------


@person_required
def open_programs(request):
    enrollments = list(selectors.enrollments_of_person(person=request.person))
    programs = selectors.programs_open_to(
        person=request.person, enrolled_program_ids={e.program_id for e in enrollments}
    )
    return render(request, "programs/open.html", {"programs": programs, "enrollments": enrollments})


@person_required
def enroll(request, pk):
    program = get_object_or_404(selectors.programs_enrolling(), pk=pk)
    existing = Enrollment.objects.filter(program=program, person=request.person).first()
    if existing:
        return redirect("programs:my_enrollment", pk=existing.pk)
    form = EnrollmentForm(request.POST or None, program=program)
    if request.method == "POST" and form.is_valid():
        try:
            enrollment = services.enrollment_create(
                program=program, person=request.person, answers=form.answers()
            )
        except ValidationError as error:
            form_errors(form, error)
        else:
            messages.success(
                request, _("Thank you. HR will look at your enrollment; you'll see the decision here.")
            )
            return redirect("programs:my_enrollment", pk=enrollment.pk)
    return render(
        request,
        "programs/enroll.html",
        {
            "program": program,
            "form": form,
            "window_open": services.enrollment_window_open(program),
            "not_tied_to_performance": NOT_TIED_TO_PERFORMANCE,
        },
    )


@person_required
def my_enrollment(request, pk):
    enrollment = selectors.enrollment_get_for_person(person=request.person, pk=pk)
    program = enrollment.program
    form = None
    if enrollment.can_change:
        form = EnrollmentForm(
            request.POST or None, program=program, initial=EnrollmentForm.initial_from(enrollment)
        )
        form.helper.inputs[0].value = _("Save my answers")
        if request.method == "POST" and form.is_valid():
            try:
                services.enrollment_update(enrollment=enrollment, answers=form.answers())
            except ValidationError as error:
                form_errors(form, error)
            else:
                messages.success(request, _("Your answers are saved."))
                return redirect("programs:my_enrollment", pk=enrollment.pk)
    return render(
        request, "programs/my_enrollment.html", {"enrollment": enrollment, "program": program, "form": form}
    )


@person_required
@require_POST
def withdraw(request, pk):
    enrollment = selectors.enrollment_get_for_person(person=request.person, pk=pk)
    try:
        services.enrollment_withdraw(enrollment=enrollment)
    except ValidationError as error:
        flash_error(request, error)
    else:
        messages.success(request, _("You have withdrawn. Nothing is held against you."))
    return redirect("programs:my_enrollment", pk=enrollment.pk)


# --- Surveys --------------------------------------------------------------------------------------


@hr_admin_required
def survey_list(request, pk):
    program = selectors.program_get_for_hr(user=request.user, pk=pk)
    surveys = list(selectors.survey_list_for_program(program=program))
    return render(
        request,
        "programs/surveys/list.html",
        {
            "program": program,
            "surveys": surveys,
            "today": timezone.localdate(),
            "missing_kinds": len(surveys) < len(Survey.Kind.values),
            "has_dates": program.starts_on is not None and program.ends_on is not None,
        },
    )


@hr_admin_required
@require_POST
def survey_create(request, pk):
    program = selectors.program_get_for_hr(user=request.user, pk=pk)
    try:
        services.survey_ensure_for_program(program=program)
    except ValidationError as error:
        flash_error(request, error)
    else:
        messages.success(
            request, _("The mid-point and closing surveys are ready, with the standard questions.")
        )
    return redirect("programs:surveys", pk=program.pk)


@hr_admin_required
def survey_detail(request, pk, survey_pk):
    program = selectors.program_get_for_hr(user=request.user, pk=pk)
    survey = selectors.survey_get_for_hr(user=request.user, program=program, pk=survey_pk)
    results = selectors.survey_results(survey=survey)
    editable = results.response_count == 0
    question_form = None
    if editable:
        question_form = SurveyQuestionForm()
        question_form.helper.form_action = reverse(
            "programs:survey_question_add", kwargs={"pk": program.pk, "survey_pk": survey.pk}
        )
    return render(
        request,
        "programs/surveys/detail.html",
        {
            "program": program,
            "survey": survey,
            "results": results,
            "editable": editable,
            "question_form": question_form,
        },
    )


@hr_admin_required
def survey_question_edit(request, pk, survey_pk, question_pk=None):
    program = selectors.program_get_for_hr(user=request.user, pk=pk)
    survey = selectors.survey_get_for_hr(user=request.user, program=program, pk=survey_pk)
    question = get_object_or_404(survey.questions, pk=question_pk, is_standard=False) if question_pk else None
    form = SurveyQuestionForm(request.POST or None, instance=question)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_question_save(survey=survey, question=question, **form.cleaned_data)
        except ValidationError as error:
            form_errors(form, error)
        else:
            messages.success(request, _("Question saved."))
            return redirect("programs:survey", pk=program.pk, survey_pk=survey.pk)
    heading = _("Edit question") if question else _("Add a question")
    return render(
        request,
        "programs/surveys/question_form.html",
        {"form": form, "program": program, "survey": survey, "heading": heading},
    )


@hr_admin_required
@require_POST
def survey_question_delete(request, pk, survey_pk, question_pk):
    program = selectors.program_get_for_hr(user=request.user, pk=pk)
    survey = selectors.survey_get_for_hr(user=request.user, program=program, pk=survey_pk)
    question = get_object_or_404(survey.questions, pk=question_pk)
    try:
        services.survey_question_delete(question=question)
    except ValidationError as error:
        flash_error(request, error)
    else:
        messages.success(request, _("Question removed."))
    return redirect("programs:survey", pk=program.pk, survey_pk=survey.pk)


@person_required
def survey_respond(request, pk):
    """A participant answers once. Afterwards the page only thanks them: nobody sees others' answers."""
    survey, _enrollment = selectors.survey_get_for_respondent(person=request.person, pk=pk)
    answered = selectors.survey_response_of(survey=survey, person=request.person) is not None
    is_open = survey.is_open_on(timezone.localdate())
    form = None
    if is_open and not answered:
        # Not `request.POST or None`: a POST with no radio ticked is empty, and must still show the errors.
        data = request.POST if request.method == "POST" else None
        form = SurveyResponseForm(data, questions=survey.questions.all())
        if request.method == "POST" and form.is_valid():
            try:
                services.survey_respond(survey=survey, person=request.person, answers=form.answers())
            except ValidationError as error:
                form_errors(form, error)
            else:
                messages.success(request, _("Thank you. Your answers went to HR."))
                return redirect("programs:survey_respond", pk=survey.pk)
    return render(
        request,
        "programs/surveys/respond.html",
        {"survey": survey, "program": survey.program, "form": form, "answered": answered, "is_open": is_open},
    )


@login_required
def survey_summary(request, pk):
    """Leaders (and HR) see the aggregates only: no names, no free text, no figure from fewer than 5."""
    survey = selectors.survey_get_for_leader(user=request.user, pk=pk)
    context = {
        "survey": survey,
        "program": survey.program,
        "min_respondents": selectors.SURVEY_MIN_RESPONDENTS,
    }
    if selectors.survey_figures_shown_to(user=request.user, survey=survey):
        aggregates = selectors.survey_aggregates(survey=survey)
        context |= {
            "aggregates": aggregates,
            "sides": [(Side(side).label, figures) for side, figures in aggregates.by_side.items()],
        }
    return render(request, "programs/surveys/summary.html", context)
