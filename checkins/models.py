from django.db import models
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    """When a periodic process last proved it was alive (one row per process name, e.g. "beat")."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    last_beat_at = models.DateTimeField(_("last beat"))

    class Meta:
        verbose_name = _("heartbeat")

    def __str__(self):
        return f"{self.name} @ {self.last_beat_at:%Y-%m-%d %H:%M:%S}"
