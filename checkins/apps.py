from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CheckinsConfig(AppConfig):
    name = "checkins"
    verbose_name = _("Check-ins")

    def ready(self):
        from profiles.outbox import invitations

        from .calendar import meeting_invitation

        # Emails about a meeting carry it as a calendar invitation.
        invitations.register("meeting", meeting_invitation)
