"""HR pages of the check-ins app (pair health, concerns queue), apart from the participants' views.py.

HR sees dates, counts and statuses of every pair, never what was said; a concern's text is the one
exception, since it was written for HR.
"""

from dataclasses import dataclass
from functools import cache

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from common.counts import CountedPaginator
from common.csv_export import csv_response
from common.views import form_errors, id_list_param
from pairings.selectors import pairing_get_for_user
from profiles import audit, outbox
from profiles.models import AuditEvent
from profiles.outbox import selectors as outbox_selectors
from profiles.permissions import hr_admin_required
from programs.selectors import program_choices

from . import selectors, services
from .forms_hr import UNRESOLVED, ConcernFilterForm, ConcernHandleForm, PairHealthFilterForm
from .models import Concern

PAGE_SIZE = 50


@dataclass
class PairHealthRow:
    """A pair-health row with its words and dates made once here rather than by 50 template tags per
    page (a phrase or a date the rows share is translated or formatted once)."""

    pairing: selectors.PairHealth
    reasons: list[str]
    since: str
    last: str
    due: str
    overdue: str
    cadence: str
    mentor_cancellations: str
    mentee_cancellations: str
    trend: str


def _trend(pairing: selectors.PairHealth) -> str:
    """The direction of the ratings, as a key of _trend_words(): the ratings are their authors' alone."""
    if pairing.checkin_count < services.CHECKINS_FOR_A_TREND:
        return "early"
    return "falling" if pairing.rating_trend < 0 else "rising" if pairing.rating_trend > 0 else "steady"


def _trend_words() -> dict[str, str]:
    return {
        "early": _("too early to tell"),
        "falling": _("falling"),
        "rising": _("rising"),
        "steady": _("steady"),
    }


def _pair_health_rows(pairings: list[selectors.PairHealth]) -> list[PairHealthRow]:
    # What the rows share is translated or formatted once for the page, not once per row.
    trend = _trend_words()
    mentor_n, mentee_n, none_yet = _("mentor: %(n)s"), _("mentee: %(n)s"), _("none yet")
    short_date = cache(lambda day: date_format(day, "SHORT_DATE_FORMAT") if day else "")
    overdue = cache(
        lambda days: (
            ngettext("overdue by %(days)s day", "overdue by %(days)s days", days) % {"days": days}
            if days
            else ""
        )
    )
    cadence = cache(lambda days: ngettext("every %(days)s day", "every %(days)s days", days) % {"days": days})
    return [
        PairHealthRow(
            pairing=pairing,
            reasons=selectors.risk_reasons(pairing),
            since=short_date(timezone.localdate(pairing.activated_at) if pairing.activated_at else None)
            or "—",
            last=short_date(pairing.last_checkin_on) or none_yet,
            due=short_date(pairing.next_checkin_due) or "—",
            overdue=overdue(pairing.overdue_days),
            cadence=cadence(pairing.cadence_days),
            mentor_cancellations=mentor_n % {"n": pairing.mentor_cancellations},
            mentee_cancellations=mentee_n % {"n": pairing.mentee_cancellations},
            trend=trend[_trend(pairing)],
        )
        for pairing in pairings
    ]


@hr_admin_required
def pair_health(request):
    programs = program_choices()
    form = PairHealthFilterForm(request.GET or None, programs=programs)
    program_id = form.program_id()
    pairings = selectors.pair_health(user=request.user, program_id=program_id)
    total = selectors.pair_health_count(program_id=program_id)
    page = CountedPaginator(pairings, PAGE_SIZE, count=total).get_page(request.GET.get("page"))
    page.object_list = selectors.pair_health_details(list(page.object_list))
    return render(
        request,
        "checkins/hr/pair_health.html",
        {
            "page": page,
            "rows": _pair_health_rows(page.object_list),
            "programs": programs,
            "program_id": program_id,
        },
    )


PAIR_HEALTH_CSV_BATCH = 500


@hr_admin_required
def pair_health_csv(request):
    """Every active pair of pair health (or of one program), at-risk first, as CSV: what HR sees on the
    page (dates, counts, statuses and names), never what a pair said. Streamed in batches."""
    programs = program_choices()
    form = PairHealthFilterForm(request.GET or None, programs=programs)
    ids = list(selectors.pair_health(user=request.user, program_id=form.program_id()))

    def rows():
        trend = _trend_words()
        for start in range(0, len(ids), PAIR_HEALTH_CSV_BATCH):
            for pairing in selectors.pair_health_details(ids[start : start + PAIR_HEALTH_CSV_BATCH]):
                yield [
                    pairing.mentor_name,
                    pairing.mentee_name,
                    pairing.program_name,
                    pairing.activated_at,
                    pairing.last_checkin_on,
                    pairing.next_checkin_due,
                    pairing.overdue_days,
                    pairing.cadence_days,
                    pairing.checkin_count,
                    trend[_trend(pairing)],
                    pairing.mentor_cancellations,
                    pairing.mentee_cancellations,
                    pairing.open_concerns,
                    "; ".join(selectors.risk_reasons(pairing)),
                ]

    header = [
        _("Mentor"),
        _("Mentee"),
        _("Program"),
        _("Active since"),
        _("Last check-in"),
        _("Next due"),
        _("Days overdue"),
        _("Cadence (days)"),
        _("Check-ins"),
        _("Ratings"),
        _("Cancelled or moved by the mentor"),
        _("Cancelled or moved by the mentee"),
        _("Open concerns"),
        _("At risk because"),
    ]
    audit.record(
        AuditEvent.Action.EXPORTED, target="pair-health.csv", program=form.program_id(), rows=len(ids)
    )
    return csv_response("twoway-pair-health.csv", header, rows())


@hr_admin_required
def concern_queue(request):
    form = ConcernFilterForm(request.GET or None)
    status = form.status_value()
    concerns = selectors.concern_queue(
        user=request.user, status=status if status in Concern.Status.values else ""
    )
    if status == UNRESOLVED:
        concerns = concerns.exclude(status=Concern.Status.RESOLVED)
    pairing = None
    if pairing_id := form.pairing_id():
        pairing = pairing_get_for_user(user=request.user, pk=pairing_id, allow_hr=True).pairing
        concerns = concerns.filter(pairing=pairing)
    # The queue names the pair; it never needs the text, so it never loads it.
    concerns = concerns.select_related("pairing__mentor__person", "pairing__mentee__person").defer(
        "text", "hr_notes"
    )
    page = Paginator(concerns, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "checkins/hr/concerns.html",
        {"page": page, "form": form, "status": status, "pairing": pairing},
    )


@hr_admin_required
def concern_handle(request, pk):
    concern = selectors.concern_for_user(user=request.user, pk=pk)
    pairing = pairing_get_for_user(user=request.user, pk=concern.pairing_id, allow_hr=True).pairing
    form = ConcernHandleForm(request.POST or None, concern=concern)
    if request.method == "GET":
        audit.record(AuditEvent.Action.CONCERN_VIEWED, target=f"concern:{concern.pk}")
    stale = False
    if request.method == "POST" and form.is_valid():
        try:
            services.concern_update(
                concern=concern,
                user=request.user,
                status=form.cleaned_data["status"],
                hr_notes=form.cleaned_data["hr_notes"],
                version=form.cleaned_data["version"],
            )
        except ValidationError as error:
            # The form stays bound: what HR typed is kept, next to the service's message.
            form_errors(form, error)
            stale = getattr(error, "code", None) == "stale"
        else:
            messages.success(request, _("Concern saved."))
            return redirect("checkins:concern_handle", pk=concern.pk)
    return render(
        request,
        "checkins/hr/concern_handle.html",
        {"concern": concern, "pairing": pairing, "form": form, "stale": stale},
    )


@hr_admin_required
def operations(request):
    """The outbox for HR admins: counts by state, failures with their error, the rows that may have been
    sent (HR checks with the person, then sends again or confirms they arrived)."""
    if request.method == "POST":
        ids = id_list_param(request.POST, "row")
        if request.POST.get("action") == "confirm":
            count = outbox.notification_confirm_sent(notification_ids=ids)
            text = _("%(n)s notifications are marked as sent; they will not be sent again.")
        else:
            count = outbox.notification_retry(notification_ids=ids)
            text = _("%(n)s notifications will be sent on the next tick.")
        if count:
            messages.success(request, text % {"n": count})
        else:
            messages.error(request, _("Choose at least one notification first."))
        return redirect("checkins:operations")
    return render(request, "checkins/hr/operations.html", outbox_selectors.outbox_overview())
