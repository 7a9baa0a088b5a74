from django.utils import timezone

from .models import Heartbeat

BEAT = "beat"


def heartbeat_record(*, name: str = BEAT) -> Heartbeat:
    """Record that `name` is alive now. Idempotent: one row per name, moved forward in place."""
    heartbeat, _ = Heartbeat.objects.update_or_create(name=name, defaults={"last_beat_at": timezone.now()})
    return heartbeat
