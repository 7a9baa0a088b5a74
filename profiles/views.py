import hashlib
import secrets
from collections import Counter
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, When
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from common.counts import CountedPaginator
from common.text import in_sentence
from common.views import flash_error, redirect_back

from . import directory_drop, selectors, services
from .forms import (
    DirectoryFilterForm,
    ImportUploadForm,
    ProfileForm,
    RolesForm,
    import_error_text,
)
from .models import DirectoryImport, Invitation, Profile, User
from .permissions import hr_admin_required, person_required

PAGE_SIZE = 50
SAMPLE_ROWS = 10
IMPORT_SESSION_KEY = "twoway_directory_import"


# --- Directory ----------------------------------------------------------------------------------------


def _directory_filters(data) -> tuple[DirectoryFilterForm, dict]:
    form = DirectoryFilterForm(data, departments=selectors.departments())
    return form, form.filters()


@dataclass(frozen=True)
class DirectoryRow:
    """A directory row as plain values, every one of them shown: the template keeps its HTML by the row
    (and the language), so the row must hold all it shows, the invitation's words and date included
    (made here, in the reader's time zone, rather than compared with the time of the request there)."""

    pk: int
    full_name: str
    email: str
    employee_id: str
    is_active: bool
    job_title: str
    department: str
    level: int
    manager_pk: int | None
    manager_name: str
    has_login: bool
    invitation: str  # "" (none), "Invited (link until ...)" or "Invitation expired"

    @classmethod
    def of(cls, person, now) -> "DirectoryRow":
        invitation = ""
        if person.user_id is None and person.invitation_expires_at:
            invitation = (
                _("Invitation expired")
                if Invitation.expired(person.invitation_expires_at, now)
                else _("Invited (link until %(date)s)")
                % {"date": date_format(timezone.localtime(person.invitation_expires_at), _("j F Y, H:i T"))}
            )
        manager = person.manager
        return cls(
            pk=person.pk,
            full_name=person.full_name,
            email=person.email,
            employee_id=person.employee_id,
            is_active=person.is_active,
            job_title=person.job_title,
            department=person.department,
            level=person.level,
            manager_pk=manager.pk if manager else None,
            manager_name=manager.full_name if manager else "",
            has_login=person.user_id is not None,
            invitation=invitation,
        )


@hr_admin_required
def directory(request):
    form, filters = _directory_filters(request.GET)
    people = selectors.person_directory(**filters)
    page = CountedPaginator(people, PAGE_SIZE, count=selectors.directory_count(**filters)).get_page(
        request.GET.get("page")
    )
    now = timezone.now()
    return render(
        request,
        "profiles/directory.html",
        {
            "form": form,
            "filters": filters,
            "page": page,
            "rows": [DirectoryRow.of(person, now) for person in page.object_list],
            "filtered": any(request.GET.get(name) for name in form.fields),
        },
    )


@hr_admin_required
def person_detail(request, pk):
    person = selectors.person_get_for_hr(pk=pk)
    invitations = list(selectors.invitations_of_person(person=person))
    open_invitation = next((i for i in invitations if not i.accepted_at and not i.revoked_at), None)
    roles_form = None
    if person.user:
        roles_form = RolesForm(
            initial={"is_hr_admin": person.user.is_hr_admin, "is_leader": person.user.is_leader}
        )
    return render(
        request,
        "profiles/person_detail.html",
        {
            "person": person,
            "chain": selectors.manager_chain(person=person),
            "reports": selectors.direct_reports(person=person),
            "invitations": invitations,
            "open_invitation": open_invitation,
            "can_invite": person.is_active and person.user_id is None,
            "roles_form": roles_form,
            "profile": getattr(person, "profile", None),
            "history": selectors.person_history_changes(person=person),
            "history_since": selectors.history_since(person=person),
        },
    )


# --- Invitations (HR) -----------------------------------------------------------------------------


@hr_admin_required
@require_POST
def person_invite(request, pk):
    person = selectors.person_get_for_hr(pk=pk)
    try:
        invitation = services.invitation_send(person=person, actor=request.user)
    except ValidationError as error:
        flash_error(request, error)
    else:
        messages.success(
            request,
            _("Invitation sent to %(email)s. The link works until %(date)s.")
            % {
                "email": invitation.email,
                # The moment as the invitation email says it, with its zone, so the two never differ by a day.
                "date": date_format(timezone.localtime(invitation.expires_at), _("j F Y, H:i T")),
            },
        )
    return redirect_back(request, reverse("profiles:person", args=[person.pk]))


@hr_admin_required
@require_POST
def invite_bulk(request):
    """Invite everyone matching the directory's filter: first a confirmation with the counts, then
    (with confirm=yes) the sending."""
    form, filters = _directory_filters(request.POST)
    people = selectors.person_directory(**filters)
    if request.POST.get("confirm") != "yes":
        return render(
            request,
            "profiles/invite_bulk_confirm.html",
            {"form": form, "filters": filters, "preview": selectors.invite_bulk_preview(people=people)},
        )
    result = services.invitation_send_bulk(people_queryset=people, actor=request.user)
    messages.success(
        request,
        ngettext("Invitation sent to %(n)s person.", "Invitations sent to %(n)s people.", result.sent)
        % {"n": result.sent},
    )
    if result.skipped:
        reasons = Counter(reason for _person, reason in result.skipped)
        messages.info(
            request,
            ngettext("%(n)s person skipped: %(why)s.", "%(n)s people skipped: %(why)s.", len(result.skipped))
            % {
                "n": len(result.skipped),
                "why": "; ".join(f"{count} {reason}" for reason, count in sorted(reasons.items())),
            },
        )
    return redirect("profiles:invitations")


@hr_admin_required
def invitation_list(request):
    status = request.GET.get("status", "")
    if status not in Invitation.Status.values:
        status = ""
    page = Paginator(selectors.invitation_list(status=status), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "profiles/invitations.html",
        {"page": page, "status": status, "statuses": Invitation.Status.choices},
    )


@hr_admin_required
@require_POST
def invitation_resend(request, pk):
    invitation = get_object_or_404(Invitation.objects.select_related("person"), pk=pk)
    if invitation.accepted_at or invitation.revoked_at:
        messages.error(
            request,
            _("This invitation is %(status)s; invite the person again from their page instead.")
            % {"status": in_sentence(invitation.status_label)},
        )
    else:
        try:
            invitation = services.invitation_send(person=invitation.person, actor=request.user)
        except ValidationError as error:
            flash_error(request, error)
        else:
            messages.success(
                request,
                _("Invitation sent again to %(email)s, with a new link; the old link no longer works.")
                % {"email": invitation.email},
            )
    return redirect_back(request, reverse("profiles:person", args=[invitation.person_id]))


@hr_admin_required
@require_POST
def invitation_revoke(request, pk):
    invitation = get_object_or_404(Invitation, pk=pk)
    try:
        services.invitation_revoke(invitation=invitation)
    except ValidationError as error:
        flash_error(request, error)
    else:
        messages.success(request, _("Invitation revoked: its link no longer works."))
    return redirect_back(request, reverse("profiles:person", args=[invitation.person_id]))


# --- Invitations (the invited person) ---------------------------------------------------------------


@login_not_required
@require_GET
def invitation_accept(request, token):
    """The link in the invitation email. A usable invitation is remembered in the session and the
    visitor goes on to sign up (forms.SignupForm and adapters.AccountAdapter take it from there)."""
    invitation = selectors.invitation_get_by_token(token=token)
    usable = invitation is not None and selectors.invitation_open_for_signup(pk=invitation.pk) is not None
    if not usable:
        return render(
            request,
            "profiles/invitation_invalid.html",
            # An open invitation can be unusable too: its person left or got a login another way.
            {"invitation": invitation},
            status=404,
        )
    if request.user.is_authenticated:
        return render(request, "profiles/invitation_invalid.html", {"logged_in": True}, status=200)
    request.session[selectors.INVITATION_SESSION_KEY] = invitation.pk
    return redirect("account_signup")


# --- Import -------------------------------------------------------------------------------------------


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _pending_import(request, token: str) -> dict | None:
    pending = request.session.get(IMPORT_SESSION_KEY)
    if (
        not pending
        or not constant_time_compare(pending.get("token", ""), token)
        or _sha256(pending.get("text", "")) != pending.get("sha256")
    ):
        return None
    return pending


@hr_admin_required
def import_upload(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        text = form.cleaned_data["file"]
        token = secrets.token_urlsafe(16)
        # The file stays in the (database-backed) session between the preview and the confirmation:
        # nothing is written to disk, and confirming recomputes the plan from exactly this text.
        request.session[IMPORT_SESSION_KEY] = {
            "token": token,
            "sha256": _sha256(text),
            "text": text,
            "filename": request.FILES["file"].name,
            "deactivate_missing": form.cleaned_data["deactivate_missing"],
        }
        return redirect("profiles:import_preview", token=token)
    # The HR system's file drop (profiles.directory_drop): its latest files, held ones first.
    dropped = DirectoryImport.objects.filter(source=DirectoryImport.Source.FOLDER).order_by(
        Case(When(state=DirectoryImport.State.HELD, then=0), default=1), "-created_at", "-pk"
    )[:DROPPED_FILES_SHOWN]
    return render(request, "profiles/import_upload.html", {"form": form, "dropped": dropped})


@hr_admin_required
def import_preview(request, token):
    pending = _pending_import(request, token)
    if pending is None:
        messages.warning(request, _("This import preview is no longer available. Upload the file again."))
        return redirect("profiles:import")
    result = services.directory_import(
        data=pending["text"],
        deactivate_missing=pending["deactivate_missing"],
        dry_run=True,
        actor=request.user,
    )
    plan = result.plan
    return render(
        request,
        "profiles/import_preview.html",
        {
            "token": token,
            "pending": pending,
            "result": result,
            "counts": result.counts,
            "errors": [
                {"line": e.line, "field": e.field, "message": e.message, "text": import_error_text(e)}
                for e in result.errors
            ],
            "samples": {
                "create": plan.to_create[:SAMPLE_ROWS] if plan else [],
                "update": plan.to_update[:SAMPLE_ROWS] if plan else [],
                "unchanged": plan.unchanged[:SAMPLE_ROWS] if plan else [],
                "deactivate": plan.to_deactivate[:SAMPLE_ROWS] if plan else [],
            },
            "sample_rows": SAMPLE_ROWS,
        },
    )


@hr_admin_required
@require_POST
def import_confirm(request, token):
    pending = _pending_import(request, token)
    if pending is None:
        messages.warning(request, _("This import preview is no longer available. Upload the file again."))
        return redirect("profiles:import")
    if services.import_runs_as_job(pending["text"]):
        # Too large to write within a web request's time: a Celery job does it, with a progress bar.
        job = services.directory_import_queue(
            text=pending["text"],
            filename=pending.get("filename", ""),
            deactivate_missing=pending["deactivate_missing"],
            expected_counts=request.POST.get("counts", ""),
            actor=request.user,
        )
        del request.session[IMPORT_SESSION_KEY]
        return redirect("profiles:import_job", pk=job.pk)
    result = services.directory_import_confirmed(
        data=pending["text"],
        deactivate_missing=pending["deactivate_missing"],
        expected_counts=request.POST.get("counts", ""),
        actor=request.user,
    )
    if result is None:
        messages.warning(
            request,
            _("The directory changed since this preview, so nothing was imported. Check the new preview."),
        )
        return redirect("profiles:import_preview", token=token)
    if not result.ok:
        messages.error(request, _("The file has errors, so nothing was imported."))
        return redirect("profiles:import_preview", token=token)
    del request.session[IMPORT_SESSION_KEY]
    messages.success(
        request,
        _(
            "Directory imported: %(created)s added, %(updated)s updated, %(unchanged)s unchanged, "
            "%(deactivated)s marked inactive. People marked inactive lose their access and roles at once; "
            "pair health flags any pair one of them was in."
        )
        % {
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "deactivated": result.deactivated,
        },
    )
    return redirect("profiles:directory")


DROPPED_FILES_SHOWN = 10


@hr_admin_required
@require_POST
def import_job_decide(request, pk, decision):
    """An HR admin confirms (applies) or discards a dropped file that was held for them."""
    job = get_object_or_404(DirectoryImport, pk=pk)
    decide = (
        directory_drop.directory_drop_confirm
        if decision == "confirm"
        else directory_drop.directory_drop_discard
    )
    try:
        job = decide(job=job, actor=request.user)
    except ValidationError as error:
        flash_error(request, error)
    else:
        if decision == "confirm":
            messages.success(request, _("The file is being imported."))
        else:
            messages.info(request, _("The file was discarded: nothing of it was imported."))
    return redirect("profiles:import_job", pk=job.pk)


@hr_admin_required
def import_job(request, pk):
    """A large import being written: a progress bar that updates itself, then what was done."""
    job = get_object_or_404(DirectoryImport, pk=pk)
    context = {"job": job, "progress": services.directory_import_progress(job)}
    if request.htmx:
        response = render(request, "profiles/import_job.html#progress", context)
        if job.is_finished:
            response["HX-Refresh"] = "true"  # the whole page, with the result
        return response
    return render(request, "profiles/import_job.html", context)


# --- Roles --------------------------------------------------------------------------------------------


@hr_admin_required
def roles(request):
    holders = list(selectors.role_holders())
    return render(request, "profiles/roles.html", {"holders": holders})


@hr_admin_required
@require_POST
def roles_set(request, user_pk):
    user = get_object_or_404(User, pk=user_pk)
    form = RolesForm(request.POST)
    if not form.is_valid():  # two checkboxes: only a forged request gets here
        messages.error(request, _("The roles could not be read; try again."))
        return redirect_back(request, reverse("profiles:roles"))
    try:
        services.user_set_roles(actor=request.user, user=user, **form.cleaned_data)
    except ValidationError as error:
        flash_error(request, error)
        return redirect_back(request, reverse("profiles:roles"))
    messages.success(request, _("Roles of %(name)s saved.") % {"name": user.get_full_name()})
    if user.pk == request.user.pk and not form.cleaned_data["is_hr_admin"]:
        return redirect("home")  # the HR pages are closed to them now
    return redirect_back(request, reverse("profiles:roles"))


# --- Participant profiles -----------------------------------------------------------------------------


@person_required
def my_profile(request):
    person = request.person
    profile = Profile.objects.filter(person=person).first()
    form = ProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        try:
            services.profile_save(person=person, **form.cleaned_data)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Your profile is saved."))
            return redirect("profiles:my_profile")
    return render(request, "profiles/my_profile.html", {"person": person, "form": form})


@login_required
def profile(request, pk):
    person = selectors.profile_person_get_for_user(user=request.user, pk=pk)
    return render(
        request,
        "profiles/profile.html",
        {
            "person": person,
            "profile": getattr(person, "profile", None),
            "is_self": person.user_id == request.user.pk,
        },
    )


# --- The account page -----------------------------------------------------------------------------------


@login_required
def account(request):
    """What a login is and how it is kept safe: its address, password, second factor and sessions."""
    from allauth.mfa.utils import is_mfa_enabled
    from django.conf import settings

    from .middleware import roles_of

    user = request.user
    return render(
        request,
        "profiles/account.html",
        {
            "person": getattr(request, "directory_person", None),
            "mfa_enabled": is_mfa_enabled(user),
            "mfa_required": bool(roles_of(user) & set(settings.MFA_REQUIRED_ROLES)),
            "idle_minutes": settings.SESSION_IDLE_MINUTES,
            "absolute_hours": settings.SESSION_ABSOLUTE_HOURS,
            "site_language": settings.LANGUAGE_CODE,  # what emails are written in without a choice
        },
    )


@login_not_required
@require_POST
def language_set(request):
    """The language switch: Django's set_language (the language cookie, then back to `next`), which for
    a signed-in user also records the choice on their login (services.user_language_set), so every
    device and every email follows it. An empty choice means the browser's language: the cookie goes."""
    from django.conf import settings
    from django.views.i18n import set_language

    language = request.POST.get("language")
    if language is not None and request.user.is_authenticated:
        try:
            services.user_language_set(user=request.user, language=language)
        except ValidationError:
            language = None  # not offered: nothing changes (set_language ignores it too)
    response = set_language(request)
    if language == "":
        response.delete_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
        )
    return response


@login_required
def account_email(request):
    """allauth's page for adding addresses, replaced: a login's only address is its directory entry's.

    Another address on a login could be a colleague's (blocking their invitation) or a personal one (a way
    in that outlives the company mailbox), so nothing here adds or changes one; a POST changes nothing."""
    if request.method == "POST":
        messages.warning(
            request, _("Email addresses cannot be added or changed here. Ask HR to correct the directory.")
        )
    return redirect("profiles:account")
