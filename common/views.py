"""Small helpers every app's views share: a service's refusal shown where the user will see it, and a
safe way back to the page a form came from, and ids read from a request as ids or a clear 400."""

from django.contrib import messages
from django.core.exceptions import BadRequest, ValidationError
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _


def form_errors(form, error: ValidationError) -> None:
    """Put a service's refusal next to the fields it names, or above the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def flash_error(request, error: ValidationError) -> None:
    """A service's refusal as messages on the next page (for buttons, which have no form to show it in)."""
    for message in error.messages:
        messages.error(request, message)


def redirect_back(request, default: str):
    """To the page the form came from (a `next` field naming a page of this site), else to `default`."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


# Primary keys are PostgreSQL bigints (DEFAULT_AUTO_FIELD): anything outside this range is no id at all.
MAX_ID = 2**63 - 1


def id_param(data, name: str, *, required: bool = False) -> int | None:
    """The id named `name` in request.GET or request.POST: None when absent (unless required), and a 400
    with a plain message for anything that is not one (letters, signs, 30 digits), never a 500."""
    raw = data.get(name, "")
    if raw == "" and not required:
        return None
    if raw.isascii() and raw.isdigit() and 0 < int(raw) <= MAX_ID:
        return int(raw)
    raise BadRequest(
        _("The link or form sent %(name)s=\u201c%(value)s\u201d, which is not a valid id.")
        % {
            "name": name,
            "value": raw[:40],
        }
    )


def id_list_param(data, name: str) -> list[int]:
    """Every id named `name` (checkboxes); one that is not an id is a 400, as in id_param."""
    return [id_param({name: value}, name, required=True) for value in data.getlist(name)]
