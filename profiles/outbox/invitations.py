"""Calendar invitations that travel with an email, asked for when the email is sent.

An app whose messages are about something with a time (checkins: a meeting) registers a builder for its
subject's prefix ("meeting"); the builder gets the subject's id and returns the iCalendar file and its
method (REQUEST, CANCEL), or None. The outbox sits below the apps that own meetings, so it asks this
registry instead of importing them.
"""

from collections.abc import Callable

Builder = Callable[[int], tuple[bytes, str] | None]
_builders: dict[str, Builder] = {}


def register(prefix: str, builder: Builder) -> None:
    _builders[prefix] = builder


def invitation_for(subject: str) -> tuple[bytes, str] | None:
    """The invitation for a notification's subject ("meeting:12"), if its app gives one."""
    prefix, _, rest = subject.partition(":")
    builder = _builders.get(prefix)
    if builder is None or not rest.isdigit():
        return None
    return builder(int(rest))
