"""The check-ins app's services: the pair's relationship, and the reminders planned into the outbox."""

from .relationship import *  # noqa: F403
from .relationship import __all__ as _relationship
from .relationship import _refresh_rhythm  # noqa: F401 - the bench checks its data against it
from .reminders import *  # noqa: F403
from .reminders import __all__ as _reminders

__all__ = [*_relationship, *_reminders]
