from datetime import datetime

from .models import Heartbeat
from .services import BEAT


def heartbeat_last(*, name: str = BEAT) -> datetime | None:
    return Heartbeat.objects.filter(name=name).values_list("last_beat_at", flat=True).first()
