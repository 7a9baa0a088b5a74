from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import ValidationError

from .selectors import INVITATION_SESSION_KEY
from .services import invitation_accept, user_link_person


class AccountAdapter(DefaultAccountAdapter):
    """allauth's hooks: tying a new login to its directory entry (who may sign up: forms.SignupForm)."""

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        if not commit:
            return user
        invitation = getattr(form, "invitation", None)
        if invitation is not None:
            try:
                invitation_accept(invitation=invitation, user=user)
            except ValidationError:
                # Used up or withdrawn between the form check and now: an ordinary sign-up, which
                # has to verify its email address.
                user_link_person(user=user)
            else:
                # The invitation link reached this mailbox: allauth marks the address verified (in
                # setup_user_email, right after this) and logs the new user in without a
                # verification email. Stashed only now, once the invitation is accepted.
                self.stash_verified_email(request, invitation.email)
            request.session.pop(INVITATION_SESSION_KEY, None)
        else:
            user_link_person(user=user)
        return user
