from allauth.account.adapter import DefaultAccountAdapter

from .services import user_link_person


class AccountAdapter(DefaultAccountAdapter):
    """allauth's hooks: tying a new login to its directory entry (who may sign up: forms.SignupForm)."""

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            user_link_person(user=user)
        return user
