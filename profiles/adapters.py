import uuid

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import override

from .backends import login_allowed
from .models import Notification, Person, User
from .outbox import Message, language_of, notify
from .selectors import INVITATION_SESSION_KEY
from .services import invitation_accept, user_link_person


class AccountAdapter(DefaultAccountAdapter):
    """allauth's hooks: tying a new login to its directory entry (who may sign up: forms.SignupForm), and
    its emails (confirming an address, resetting a password) sent as outbox rows like every other."""

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """allauth's email as an outbox message, handed to the sender as soon as the request's writes
        commit: sent once, retried on a refusal, its secret link wiped once sent. Not shown in the app.
        In the language of the login with this address (the site's when it chose none, or there is none)."""
        person = Person.objects.filter(user__email__iexact=email).first() or (
            Person.objects.filter(email__iexact=email).first()
        )
        login = User.objects.filter(email__iexact=email).first()
        with override(language_of(login or person)):
            message = self.render_mail(template_prefix, email, {"email": email, **context})
            why = _("Someone (we hope you) asked for this on Twoway, for this address.")
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
                why=why,
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


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Single sign-on: the IdP's address must be an active entry of the directory; anyone else is refused.

    The IdP is the company's, so its address is taken as verified; a login with that address already
    there is signed in (and its SSO account connected), a new one is made and tied to the entry."""

    def _directory_email(self, sociallogin) -> str:
        email = (sociallogin.user.email or "").strip().lower()
        if not email:
            for address in sociallogin.email_addresses:
                email = address.email.strip().lower()
                break
        return email

    def pre_social_login(self, request, sociallogin):
        email = self._directory_email(sociallogin)
        person = Person.objects.filter(email__iexact=email, is_active=True).first() if email else None
        if person is None:
            from allauth.core.exceptions import ImmediateHttpResponse
            from django.shortcuts import render

            raise ImmediateHttpResponse(
                render(request, "profiles/sso_refused.html", {"email": email}, status=403)
            )
        for address in sociallogin.email_addresses:
            address.verified = address.email.lower() == email
        if person.user_id is not None:
            # The company's IdP has just proved this is its person: their login's address counts as
            # verified (mandatory verification would otherwise stop an SSO sign-in at "check your email").
            from allauth.account.models import EmailAddress

            EmailAddress.objects.update_or_create(
                user_id=person.user_id,
                email__iexact=email,
                defaults={"email": email, "verified": True, "primary": True},
            )
            if not sociallogin.is_existing:
                # The directory entry decides whose login this is (not a match of login addresses).
                sociallogin.connect(request, person.user)
        return super().pre_social_login(request, sociallogin)

    def is_open_for_signup(self, request, sociallogin):
        return True  # pre_social_login has let only the directory's people through

    def save_user(self, request, sociallogin, form=None):
        user = super().save_user(request, sociallogin, form=form)
        user_link_person(user=user)
        return user
