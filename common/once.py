"""Forms that create something are saved once, however often they are submitted.

Each such form carries a random token (OnceField, made when the page is drawn). Saving it records the
token in the same transaction as what the form creates, under a unique key; a second submit with the
same token (a double click, a browser retry, a replayed request) saves nothing and is sent to what the
first one created. A submit the service refuses records nothing, so the person corrects it and sends it
again with the same token. Two submits racing each other: the second waits on the unique key, then
finds the first's row.
"""

import uuid
from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import FormSubmission

FIELD = "form_token"


def _new_token() -> str:
    return uuid.uuid4().hex


class OnceField(forms.CharField):
    """The hidden token of a form that must be saved once. Required: a POST without one (a script, an
    old page) is refused with a message, and the text typed is shown again with a fresh token."""

    def __init__(self, **kwargs):
        super().__init__(
            widget=forms.HiddenInput,
            initial=_new_token,
            max_length=64,
            error_messages={
                "required": gettext_lazy("This form was out of date, so nothing was saved: send it again.")
            },
            **kwargs,
        )


class AlreadySaved(Exception):
    """This form was saved before: the response sends the person to what that save created."""

    def __init__(self, url: str):
        super().__init__(url)
        self.url = url

    def response(self, request):
        messages.info(request, _("This was already saved; here it is. Nothing was saved twice."))
        return redirect(self.url or "home")


def save_once[T](request, form, save: Callable[[], T], result_url: Callable[[T], str]) -> T:
    """Run `save` (a service call) once per form token; raise AlreadySaved if it already ran."""
    token = form.cleaned_data[FIELD]
    with transaction.atomic():
        try:
            with transaction.atomic():
                submission = FormSubmission.objects.create(user=request.user, token=token)
        except IntegrityError:
            first = FormSubmission.objects.filter(user=request.user, token=token).first()
            raise AlreadySaved(first.result_url if first else "") from None
        result = save()
        submission.result_url = result_url(result)
        submission.save(update_fields=["result_url"])
    return result


class SavedOnce:
    """Mixin for a form saved once: adds the token field; `service_data()` is cleaned_data without it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[FIELD] = OnceField()

    def clean(self):
        cleaned_data = super().clean()
        if FIELD in self.errors:
            # Shown above the form (a hidden field's error would show nowhere), with a fresh token so
            # the text kept in the form can be sent again.
            self.add_error(None, self.errors.pop(FIELD))
            self.data = self.data.copy()
            self.data[FIELD] = _new_token()
        return cleaned_data

    def service_data(self) -> dict:
        return {name: value for name, value in self.cleaned_data.items() if name != FIELD}


def form_submissions_forget(*, days: int = 7) -> int:
    """Forget tokens older than `days`: a page left open that long is sent again as a new form."""
    from datetime import timedelta

    from django.utils import timezone

    deleted, _detail = FormSubmission.objects.filter(
        created_at__lt=timezone.now() - timedelta(days=days)
    ).delete()
    return deleted
