"""Privacy rights: a person downloads what Twoway holds about them; HR erases a person.

Both go through the personal-data registry (common.personal_data), which every app adds its part to.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from common.personal_data import personal_data_erase, personal_data_erase_refusals, personal_data_export
from common.views import form_errors

from . import audit, selectors
from .forms_privacy import ERASE_WORD, EraseConfirmForm
from .models import AuditEvent
from .permissions import hr_admin_required, person_required
from .personal_data import is_erased


@person_required
@require_GET
def my_data(request):
    """Everything Twoway holds about the signed-in person, as one JSON file to keep."""
    data = personal_data_export(person=request.person)
    audit.record(AuditEvent.Action.DATA_EXPORTED, target=f"person:{request.person.pk}")
    response = JsonResponse(
        data, encoder=DjangoJSONEncoder, json_dumps_params={"indent": 2, "ensure_ascii": False}
    )
    filename = f"twoway-my-data-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Private notes are in it: no shared cache or browser history keeps a copy.
    response["Cache-Control"] = "no-store, private"
    return response


@hr_admin_required
def person_erase(request, pk):
    """HR erases a person: a page that says what happens and what would stop it, then a typed confirmation.
    A wrong confirmation, or a refusal of the service, changes nothing."""
    person = selectors.person_get_for_hr(pk=pk)
    erased = is_erased(person)
    form = EraseConfirmForm(request.POST or None, person=person)
    if request.method == "POST" and not erased and form.is_valid():
        try:
            with transaction.atomic():
                counts = personal_data_erase(person=person, actor=request.user)
                audit.record(AuditEvent.Action.PERSON_ERASED, target=f"person:{person.pk}", **counts)
        except ValidationError as error:
            form_errors(form, error)
        else:
            messages.success(
                request,
                _("The entry is erased: its texts are gone, the login is closed and its sessions ended."),
            )
            return redirect("profiles:person", pk=person.pk)
    return render(
        request,
        "profiles/person_erase.html",
        {
            "person": person,
            "erased": erased,
            "refusals": [] if erased else personal_data_erase_refusals(person=person, actor=request.user),
            "form": form,
            "erase_word": ERASE_WORD,
        },
    )
