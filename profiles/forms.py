from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.core import context
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .importing import FILE, ImportFileError, parse_employee_csv
from .models import LEVEL_MAX, LEVEL_MIN, Invitation, Profile
from .selectors import INVITATION_SESSION_KEY, invitation_open_for_signup, signup_allowed_for
from .services import email_claims_release

# 10,000 employees make about 1 MB of CSV; the file is kept in the session between preview and confirm.
IMPORT_MAX_BYTES = 5 * 1024 * 1024


class SignupForm(AllauthSignupForm):
    """allauth's sign-up, open only to invited people and the company's own email domains.

    A visitor who came through an invitation link (views.invitation_accept keeps the invitation's id in
    the session) signs up with the invited address only, whatever its domain; the adapter then accepts
    the invitation. allauth builds this form without the request; allauth.core.context.request (set by
    its AccountMiddleware) is allauth's supported way to reach it.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = context.request
        session = getattr(request, "session", None)
        self.had_invitation = bool(session and session.get(INVITATION_SESSION_KEY))
        self.invitation: Invitation | None = (
            invitation_open_for_signup(pk=session.get(INVITATION_SESSION_KEY)) if session else None
        )
        if self.invitation is not None and "email" in self.fields:
            email = self.fields["email"]
            email.initial = self.invitation.email
            email.widget.attrs["readonly"] = True
            email.help_text = _(
                "You were invited with this address. To use another one, ask your HR team to invite you "
                "with it."
            )

    def validate_unique_email(self, value):
        if self.invitation is not None and value == self.invitation.email.lower():
            # Nobody else's unverified claim on the invited address can stand in the way.
            email_claims_release(email=value)
        return super().validate_unique_email(value)

    def clean_email(self):
        email = super().clean_email()
        if self.invitation is not None:
            if email != self.invitation.email.lower():
                raise ValidationError(
                    _("Your invitation is for %(email)s: sign up with that address.")
                    % {"email": self.invitation.email}
                )
            return email  # the invitation, not the domain, lets this address in
        if not signup_allowed_for(email=email):
            if self.had_invitation:
                raise ValidationError(
                    _("Your invitation has expired or was withdrawn. Ask your HR team for a new one.")
                )
            # Says nothing about whether an account exists: the rule is about the address alone.
            raise ValidationError(
                _(
                    "Sign-up is open only to invited people and to the company's own email domains. "
                    "Ask your HR team for an invitation."
                )
            )
        return email


# --- Directory --------------------------------------------------------------------------------------


class DirectoryFilterForm(forms.Form):
    """The directory's search and filters (GET). Anything unusable is ignored, not an error page."""

    STATUS_CHOICES = [
        ("active", gettext_lazy("Active")),
        ("inactive", gettext_lazy("Inactive (left)")),
        ("all", gettext_lazy("All")),
    ]
    LOGIN_CHOICES = [("", gettext_lazy("Any")), ("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))]

    q = forms.CharField(label=gettext_lazy("Name, email, job title or employee id"), required=False)
    department = forms.ChoiceField(label=gettext_lazy("Department"), required=False)
    level = forms.TypedChoiceField(
        label=gettext_lazy("Level"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", gettext_lazy("Any"))] + [(n, str(n)) for n in range(LEVEL_MIN, LEVEL_MAX + 1)],
    )
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False, choices=STATUS_CHOICES)
    login = forms.ChoiceField(label=gettext_lazy("Has a login"), required=False, choices=LOGIN_CHOICES)

    def __init__(self, *args, departments: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [("", _("Any"))] + [(d, d) for d in departments]
        self.fields["q"].widget.input_type = "search"
        for name, field in self.fields.items():
            field.widget.attrs["class"] = "form-control" if name == "q" else "form-select"

    def filters(self) -> dict:
        """Keyword arguments for selectors.person_directory; defaults for any unusable value."""
        self.is_valid()
        cleaned = self.cleaned_data  # the usable values, also when another one is not
        return {
            "query": (cleaned.get("q") or "").strip(),
            "department": cleaned.get("department") or "",
            "level": cleaned.get("level"),
            "status": cleaned.get("status") or "active",
            "login": cleaned.get("login") or "",
        }


# --- Import -----------------------------------------------------------------------------------------


def import_error_text(error) -> str:
    if error.field == FILE:
        return _("Line %(line)s: %(message)s") % {"line": error.line, "message": error.message}
    return _("Line %(line)s, column “%(field)s”: %(message)s") % {
        "line": error.line,
        "field": error.field,
        "message": error.message,
    }


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Employee CSV file"),
        help_text=gettext_lazy(
            "UTF-8 CSV with a header line. Required columns: email, full_name, job_title, department, "
            "level, manager_email. Optional: location, timezone, employee_id."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    deactivate_missing = forms.BooleanField(
        label=gettext_lazy("Mark people who are not in the file as inactive (leavers)"),
        required=False,
        help_text=gettext_lazy("Nobody is deleted. People in the file are made active again."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_file(self) -> str:
        """The file's text, once it is known to be readable as an employee list."""
        upload = self.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            raise ValidationError(
                _("The file is larger than %(mb)s MB. Split it, or ask support to import it.")
                % {"mb": IMPORT_MAX_BYTES // (1024 * 1024)}
            )
        data = upload.read()
        try:
            parse_employee_csv(data)  # encoding and header; the rows are checked on the preview page
        except ImportFileError as error:
            raise ValidationError([import_error_text(e) for e in error.errors]) from error
        return data.decode("utf-8-sig")


# --- Roles and profiles -----------------------------------------------------------------------------


class RolesForm(forms.Form):
    is_hr_admin = forms.BooleanField(label=gettext_lazy("HR admin"), required=False)
    is_leader = forms.BooleanField(label=gettext_lazy("Leader"), required=False)


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = ["about", "pronouns", "languages", "preferred_format"]
        widgets = {"about": forms.Textarea(attrs={"rows": 5})}
        help_texts = {
            "about": gettext_lazy("What you do, what you care about, what you would like to learn or share."),
            "pronouns": gettext_lazy("Optional, e.g. she/her, they/them."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Save my profile")))
