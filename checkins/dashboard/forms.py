from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import Grain
from .figures import Choices, Filters


class DashboardFilterForm(forms.Form):
    """The dashboards' filters (a GET form). A value that is not a choice is refused next to its field and
    left out, so the page still shows the figures of the other filters."""

    family = forms.ChoiceField(label=_("Program"), required=False)
    program = forms.TypedChoiceField(label=_("Cohort"), required=False, coerce=int, empty_value=None)
    department = forms.ChoiceField(label=_("Department"), required=False)
    location = forms.ChoiceField(label=_("Location"), required=False)
    grain = forms.ChoiceField(
        label=_("Trends by"),
        required=False,
        choices=[(Grain.MONTH, _("Month")), (Grain.WEEK, _("Week"))],
        widget=forms.RadioSelect,
    )

    def __init__(self, data, *, choices: Choices):
        super().__init__(data)
        programs, families = choices.programs, choices.families
        departments, locations = choices.departments, choices.locations
        self.fields["family"].choices = [("", _("All programs"))] + [(f, f) for f in families]
        by_family: dict[str, list] = {}
        for program in programs:
            by_family.setdefault(program.family_name, []).append((program.pk, program.name))
        self.fields["program"].choices = [("", _("All cohorts"))] + sorted(by_family.items())
        self.fields["department"].choices = [("", _("All departments"))] + [(d, d) for d in departments]
        self.fields["location"].choices = [("", _("All locations"))] + [(loc, loc) for loc in locations]
        self.programs = {p.pk: p for p in programs}
        for name in ("family", "program", "department", "location"):
            self.fields[name].widget.attrs["class"] = "form-select"

    def filters(self) -> Filters:
        if not self.is_bound:
            return Filters()
        self.is_valid()
        value = {name: self.cleaned_data.get(name) for name in self.fields if name not in self.errors}
        program_id = value.get("program")
        family = value.get("family") or ""
        if program_id and family and self.programs[program_id].family_name != family:
            self.add_error(
                "program", _("This cohort is not part of the program chosen; showing the whole program.")
            )
            program_id = None
        for name in self.errors:
            self.fields[name].widget.attrs |= {
                "class": "form-select is-invalid",
                "aria-describedby": f"id_{name}-error",
            }
        return Filters(
            family=family,
            program_id=program_id,
            department=value.get("department") or "",
            location=value.get("location") or "",
            grain=value.get("grain") or Grain.MONTH,
        )
