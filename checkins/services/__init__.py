"""The check-ins app's services: the pair's relationship, and the notification outbox."""

from .outbox import *  # noqa: F403
from .outbox import __all__ as _outbox
from .relationship import *  # noqa: F403
from .relationship import __all__ as _relationship
from .relationship import _refresh_rhythm  # noqa: F401 - the bench checks its data against it

__all__ = [*_outbox, *_relationship]
