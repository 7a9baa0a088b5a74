from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from profiles.models import User

from . import services
from .models import Pairing


@shared_task(name="pairings.tasks.run_matching", autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def run_matching(run_id: int) -> None:
    services.match_run_execute(run_id=run_id)


def _send(template: str, to: list[str], context: dict) -> None:
    subject = render_to_string(f"emails/{template}/subject.txt", context).strip()
    body = render_to_string(f"emails/{template}/body.txt", context)
    html = render_to_string(f"emails/{template}/body.html", context)
    message = EmailMultiAlternatives(subject=subject, body=body, to=to)
    message.attach_alternative(html, "text/html")
    message.send()


@shared_task(name="pairings.tasks.send_pairing_introductions", autoretry_for=(OSError,), retry_backoff=True)
def send_pairing_introductions(pairing_ids: list[int]) -> None:
    """Introduce both people of each new pairing to each other, each in their own email."""
    pairings = Pairing.objects.filter(pk__in=pairing_ids).select_related(
        "program", "mentor__person", "mentee__person"
    )
    for pairing in pairings:
        link = settings.SITE_URL + reverse("pairings:detail", args=[pairing.pk])
        for me, partner, side in (
            (pairing.mentor.person, pairing.mentee.person, "mentor"),
            (pairing.mentee.person, pairing.mentor.person, "mentee"),
        ):
            context = {"pairing": pairing, "me": me, "partner": partner, "side": side, "link": link}
            _send("pairing_intro", [me.email], context)


@shared_task(name="pairings.tasks.send_conflict_alerts", autoretry_for=(OSError,), retry_backoff=True)
def send_conflict_alerts(pairing_ids: list[int]) -> None:
    pairings = list(Pairing.objects.filter(pk__in=pairing_ids).select_related("program"))
    recipients = list(User.objects.filter(is_hr_admin=True, is_active=True).values_list("email", flat=True))
    if pairings and recipients:
        links = [
            (p, settings.SITE_URL + reverse("pairings:program_pairings", args=[p.program_id]))
            for p in pairings
        ]
        _send("pairing_conflict", recipients, {"pairings": links})
