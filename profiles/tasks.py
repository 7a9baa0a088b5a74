from celery import shared_task

from .models import Invitation
from .services import invitation_email_send


@shared_task(
    name="profiles.tasks.send_invitation_email",
    autoretry_for=(OSError,),  # smtplib's errors are OSErrors: a mail server that is down or slow
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=6,
)
def send_invitation_email(invitation_id: int, token: str) -> None:
    """Email an invitation's link. The raw token travels here because only its hash is stored; a
    token that has been replaced since (the invitation was sent again) is not sent."""
    invitation = Invitation.objects.select_related("person", "invited_by").filter(pk=invitation_id).first()
    if invitation is not None:
        invitation_email_send(invitation=invitation, token=token)
