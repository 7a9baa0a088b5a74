from allauth.account.forms import SignupForm as AllauthSignupForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .selectors import signup_allowed_for


class SignupForm(AllauthSignupForm):
    """allauth's sign-up, open only to invited people and the company's own email domains."""

    def clean_email(self):
        email = super().clean_email()
        if not signup_allowed_for(email=email):
            # Says nothing about whether an account exists: the rule is about the address alone.
            raise ValidationError(
                _(
                    "Sign-up is open only to invited people and to the company's own email domains. "
                    "Ask your HR team for an invitation."
                )
            )
        return email
