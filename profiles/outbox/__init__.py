"""The notification outbox: every email, in-app and chat message is a row of profiles.Notification.

- planning.py: how any app plans a message inside the transaction of the event that causes it, and
  hands one that must go out at once to the sender when that transaction commits;
- delivery.py: the sweep that sends due rows, each once, and what a failure means for a row;
- preferences.py: what each person chooses to get by email and in Slack, and the one-click unsubscribe;
- chat.py: the Slack and Microsoft Teams senders (a row's channel other than email);
- selectors.py: the in-app list, the unread count, and HR's view of the outbox.

It lives in profiles, under every other app, because every app writes to people; apps depend one way.
"""

from .delivery import (
    MAX_ATTEMPTS,
    ROWS_PER_SWEEP,
    STALE_CLAIM,
    SWEEPS_MAX,
    notification_confirm_sent,
    notification_retry,
    notifications_send_due,
    notifications_send_now,
    notifications_sweeps_wanted,
)
from .planning import (
    Message,
    date_text,
    language_of,
    local_send_time,
    local_today,
    next_send_time,
    notify,
    plan,
    to_hr_admins,
    withdraw,
)
from .preferences import (
    ESSENTIAL,
    notification_kinds_for,
    notification_mark_read,
    notification_preference_set,
    slack_configured,
    teams_configured,
    unsubscribe_token,
    unsubscribe_with_token,
)

__all__ = [
    "ESSENTIAL",
    "MAX_ATTEMPTS",
    "ROWS_PER_SWEEP",
    "STALE_CLAIM",
    "SWEEPS_MAX",
    "Message",
    "date_text",
    "language_of",
    "local_send_time",
    "local_today",
    "notification_confirm_sent",
    "notification_kinds_for",
    "notification_mark_read",
    "notification_preference_set",
    "notification_retry",
    "notifications_send_due",
    "notifications_send_now",
    "notifications_sweeps_wanted",
    "next_send_time",
    "notify",
    "plan",
    "slack_configured",
    "teams_configured",
    "to_hr_admins",
    "unsubscribe_token",
    "unsubscribe_with_token",
    "withdraw",
]
