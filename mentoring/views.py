from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from checkins import selectors as checkin_selectors
from pairings import selectors as pairing_selectors
from programs import selectors as program_selectors

from . import health


@login_required
def home(request):
    """What to do next, by role. An HR admin may also be a participant; each role gets its own panel."""
    person = request.directory_person  # loaded once per request by PersonTimezoneMiddleware
    context = {"person": person}
    if person:
        enrollments = list(program_selectors.enrollments_of_person(person=person))
        context |= pairing_selectors.mentee_choice_prompts(person=person)
        context |= {
            "pairings": [p for p in pairing_selectors.pairings_of_person(person=person) if p.is_live],
            "enrollments": enrollments,
            "open_programs": program_selectors.programs_open_to(
                person=person, enrolled_program_ids={e.program_id for e in enrollments}
            ),
            "surveys_due": list(program_selectors.surveys_due_for(person=person)),
        }
    if request.user.is_leader or request.user.is_hr_admin:
        context["leader_surveys"] = list(program_selectors.surveys_for_leaders()[:10])
        context["shared_actions"] = list(checkin_selectors.shareable_actions()[:10])
    if request.user.is_hr_admin:
        context["hr_programs"] = list(program_selectors.program_list_for_hr()[:5])
        context["conflicts"] = pairing_selectors.conflict_count()
    return render(request, "home.html", context)


@never_cache
@require_GET
def healthz(request):
    checks = {
        "database": health.check_database(),
        "broker": health.check_broker(),
        "beat": health.check_beat(),
        "outbox": health.check_outbox(),
    }
    healthy = all(ok for ok, _ in checks.values())
    body = {
        "status": "ok" if healthy else "unhealthy",
        "checks": {name: {"ok": ok, "detail": detail} for name, (ok, detail) in checks.items()},
    }
    return JsonResponse(body, status=200 if healthy else 503)


def bad_request(request, exception=None):
    """A request the app cannot use: what was wrong, in plain words, and the way back (never a bare page).

    A body over DATA_UPLOAD_MAX_MEMORY_SIZE is 413 (too large); a BadRequest carries its own message."""
    from django.core.exceptions import BadRequest, RequestDataTooBig

    if isinstance(exception, RequestDataTooBig):
        message = _(
            "What you sent is larger than %(mb)s MB, so it was not saved. Go back: your text is still in the "
            "form. Shorten it, or split it into parts."
        ) % {"mb": round(settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1024 / 1024, 1)}
        return render(request, "400.html", {"message": message}, status=413)
    message = str(exception) if type(exception) is BadRequest and str(exception) else ""
    return render(request, "400.html", {"message": message}, status=400)


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    # Rendered without the request context: the database or the session may be what failed.
    return HttpResponseServerError(loader.get_template("500.html").render())
