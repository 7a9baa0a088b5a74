import uuid

from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .backends import login_allowed
from .models import Notification, Person
from .outbox import Message, notify
from .selectors import INVITATION_SESSION_KEY
from .services import invitation_accept, user_link_person


class AccountAdapter(DefaultAccountAdapter):
    """allauth's hooks: tying a new login to its directory entry (who may sign up: forms.SignupForm), and
    its emails (confirming an address, resetting a password) sent as outbox rows like every other."""

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """allauth's email as an outbox message, handed to the sender as soon as the request's writes
        commit: sent once, retried on a refusal, its secret link wiped once sent. Not shown in the app."""
        message = self.render_mail(template_prefix, email, {"email": email, **context})
        person = Person.objects.filter(user__email__iexact=email).first() or (
            Person.objects.filter(email__iexact=email).first()
        )
        name = template_prefix.rsplit("/", 1)[-1]
        notify(
            Message(
                recipient=person,
                email=email,
                kind=Notification.Kind.ACCOUNT,
                subject="account",
                period=f"{name[:26]}:{uuid.uuid4().hex[:12]}",  # each email allauth sends is a new message
                title=message.subject,
                body=message.body,
                link="",
                why=_("Someone (we hope you) asked for this on Twoway, for this address."),
                in_app=False,
            ),
            at_once=True,
        )

    def pre_login(self, request, user, **kwargs):
        """allauth asks only the login's active flag; a leaver (inactive directory entry) is refused too."""
        if not login_allowed(user):
            from allauth.account.internal.stagekit import clear_login

            clear_login(request)
            return self.respond_user_inactive(request, user)
        return super().pre_login(request, user, **kwargs)

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
