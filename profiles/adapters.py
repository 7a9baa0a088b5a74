from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .selectors import signup_allowed_for
from .services import user_link_person


class AccountAdapter(DefaultAccountAdapter):
    """allauth's hooks: who may sign up, and tying a new login to its directory entry."""

    def clean_email(self, email):
        email = super().clean_email(email)
        if not signup_allowed_for(email=email):
            # Says nothing about whether an account exists: the rule is about the address alone.
            raise ValidationError(
                _(
                    "Sign-up is open only to invited people and to the company's own email domains. "
                    "Ask your HR team for an invitation."
                )
            )
        return email

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            user_link_person(user=user)
        return user
