"""Role checks shared by every app's views: one question, asked the same way everywhere."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from .models import Person


def hr_admin_required(view):
    """Logged-in HR admins only; anyone else gets 403 (the anonymous visitor goes to the login page)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_hr_admin:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def leader_required(view):
    """Leaders and HR admins (the success dashboards); anyone else gets 403."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not (request.user.is_leader or request.user.is_hr_admin):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def person_required(view):
    """Logged-in people with an active directory entry; the entry is passed on as request.person."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        person = getattr(request, "directory_person", None)  # loaded by PersonTimezoneMiddleware
        if person is None:
            person = Person.objects.filter(user=request.user, is_active=True).first()
        if person is None:
            raise PermissionDenied
        request.person = person
        return view(request, *args, **kwargs)

    return wrapper
