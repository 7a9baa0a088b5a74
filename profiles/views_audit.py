"""The audit trail for HR admins: browse and filter, newest first. Read-only: there is nothing to edit."""

from django import forms
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from . import audit
from .models import AuditEvent
from .permissions import hr_admin_required

PAGE_SIZE = 50


class AuditFilterForm(forms.Form):
    """Filters (GET). Anything unusable is ignored, as on the directory: the page still shows."""

    action = forms.ChoiceField(
        label=_("What"), required=False, choices=[("", _("Everything"))] + AuditEvent.Action.choices
    )
    who = forms.EmailField(label=_("Who (email)"), required=False)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs["class"] = "form-select" if name == "action" else "form-control"

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "action": data.get("action", ""),
            "actor_email": data.get("who") or "",
            "since": data.get("since"),
            "until": data.get("until"),
        }


@hr_admin_required
def audit_log(request):
    form = AuditFilterForm(request.GET or None)
    page = Paginator(audit.audit_events(**form.filters()), PAGE_SIZE).get_page(request.GET.get("page"))
    events = list(page.object_list)
    names = audit.actor_names(events)
    rows = [(event, names.get(event.actor_id, "")) for event in events]
    return render(request, "profiles/audit.html", {"form": form, "page": page, "rows": rows})
