"""Small helpers every app's views share: a service's refusal shown where the user will see it."""

from django.contrib import messages
from django.core.exceptions import ValidationError


def form_errors(form, error: ValidationError) -> None:
    """Put a service's refusal next to the fields it names, or above the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def flash_error(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)
