"""Small helpers every app's views share: a service's refusal shown where the user will see it, and a
safe way back to the page a form came from."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


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
