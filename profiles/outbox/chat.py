"""The outbox's chat channels: a Slack direct message to the person, a card in HR's Teams channel.

delivery.py claims a chat row like an email row and hands it to a ChatSender to send; a failure raises
ChatFailure saying what it means for the row, in the email path's terms (delivery.Outcome):

- nothing was sent and the service can't be reached (connection refused, DNS): "unreachable", the row
  goes back untouched and the channel pauses for the rest of the sweep;
- refused for now (Slack's `ratelimited` or HTTP 429 with Retry-After, a 5xx, a lookup that timed out,
  a token Slack refuses): "refused", an attempt is spent and the row is retried with backoff (never
  sooner than Retry-After); a rate limit or a 5xx pauses the channel for the rest of the sweep;
- refused for good (Slack's `users_not_found`: the person has no Slack account under that address; a
  card Teams answers 400 to): "rejected", failed at once (the in-app notice still shows);
- cut off while posting (a timeout or a dropped connection after the message went): "uncertain", the
  row "may have been sent", never sent again on its own, as an email cut off mid-send.

Slack: users.lookupByEmail, then chat.postMessage to the user id (a bot posting to a user id writes in
the app's direct messages with them, so conversations.open is not needed). The user id is cached for a
day: the lookup is rate-limited more tightly (Slack's tier 3) than a whole morning of reminders needs.
Teams: the message/attachments payload with an Adaptive Card that a Power Automate "When a Teams webhook
request is received" workflow posts to its channel; it answers 202 Accepted.
"""

import hashlib
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from django.utils.translation import override
from urllib3.exceptions import NewConnectionError

from ..models import Notification, NotificationPreference
from .planning import absolute_link, language_of, preferences_link
from .preferences import slack_configured, teams_configured

Channel = Notification.Channel
SLACK_USER_CACHE_SECONDS = 24 * 3600
SLACK_TEXT_LIMIT = 2900  # a section block holds 3,000 characters
# Slack errors that say a row will never go (the person has no Slack account under that address).
SLACK_NEVER = frozenset({"users_not_found"})
# Slack errors that say the service, not the row, is in trouble: pause the channel for this sweep.
SLACK_PAUSE = frozenset(
    {"ratelimited", "fatal_error", "internal_error", "service_unavailable", "request_timeout"}
    | {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "missing_scope"}
)
# Slack errors after which a cached user id may be stale: look the person up again next time.
SLACK_STALE_USER = frozenset({"channel_not_found", "user_not_found", "user_disabled", "cannot_dm_bot"})


class ChatFailure(Exception):
    """A chat send that did not go through; `outcome` is a delivery.Outcome value."""

    def __init__(
        self,
        text: str,
        *,
        outcome: str,
        retry_after: float | None = None,
        pause: bool = False,
        error: str = "",
    ):
        super().__init__(text)
        self.outcome = outcome
        self.error = error  # Slack's error code, when it gave one
        self.retry_after = retry_after  # seconds the service asked us to wait (Retry-After)
        self.pause = pause  # the channel itself is in trouble: no more rows of it in this sweep


def chat_skip_reason(notification: Notification) -> str:
    """Why a chat row is not sent after all: its channel was turned off, or the person changed their mind
    (a Slack choice turned off applies to rows already planned)."""
    if notification.channel == Channel.TEAMS:
        return "" if teams_configured() else _("Microsoft Teams is not set up")
    if not slack_configured():
        return _("Slack is not set up")
    chosen = NotificationPreference.objects.filter(
        person_id=notification.recipient_id, kind=notification.kind, slack=True
    ).exists()
    return "" if chosen else _("Slack is off for this kind")


def _retry_after(response: requests.Response) -> float:
    try:
        return max(1.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return 60.0


def _mrkdwn(text: str) -> str:
    """Text as Slack's mrkdwn shows it literally (Slack asks for these three escaped)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(notification: Notification) -> dict:
    """The direct message's words: the email's title, body, link and why, in the reader's language."""
    with override(language_of(notification.recipient or notification.login)):
        link = absolute_link(notification.link) if notification.link else ""
        preferences = preferences_link()
        body = _mrkdwn(notification.body)[:SLACK_TEXT_LIMIT]
        text = f"*{_mrkdwn(notification.title)}*\n{body}"
        if link:
            text += f"\n<{link}|{_mrkdwn(_('Open in Twoway'))}>"
        footer = "{label} {why} · <{preferences}|{change}>".format(
            label=_mrkdwn(_("Why you get this:")),
            why=_mrkdwn(notification.why),
            preferences=preferences,
            change=_mrkdwn(_("Change what Twoway sends you")),
        )
        return {
            "text": f"{notification.title}\n{notification.body[:SLACK_TEXT_LIMIT]}",  # the notification's
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": text}},
                {"type": "context", "elements": [{"type": "mrkdwn", "text": footer}]},
            ],
            "unfurl_links": False,
            "unfurl_media": False,
        }


def teams_card(notification: Notification) -> dict:
    """The Teams workflow's payload: one Adaptive Card with the email's title, body, why and link, in the
    site's language (a channel has no reader of its own)."""
    with override(settings.LANGUAGE_CODE):
        card = {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": [
                {
                    "type": "TextBlock",
                    "text": notification.title,
                    "weight": "Bolder",
                    "size": "Medium",
                    "wrap": True,
                },
                {"type": "TextBlock", "text": notification.body, "wrap": True},
                {
                    "type": "TextBlock",
                    "text": f"{_('Why you get this:')} {notification.why}",
                    "wrap": True,
                    "isSubtle": True,
                    "size": "Small",
                },
            ],
        }
        if notification.link:
            card["actions"] = [
                {
                    "type": "Action.OpenUrl",
                    "title": _("Open in Twoway"),
                    "url": absolute_link(notification.link),
                }
            ]
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


def _nothing_sent(exc: requests.RequestException) -> bool:
    """The connection was never made (refused, no route, no such host): the service has nothing."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0] if exc.args else None, "reason", None)
    return isinstance(exc, requests.ConnectionError) and isinstance(reason, NewConnectionError)


class ChatSender:
    """Sends chat rows for one sender thread, on one HTTP session (its connections reused)."""

    def __init__(self):
        self.session = requests.Session()

    def close(self) -> None:
        self.session.close()

    def send(self, notification: Notification) -> None:
        """Send the row's message once, or raise ChatFailure."""
        if notification.channel == Channel.TEAMS:
            self._teams(notification)
        else:
            self._slack(notification)

    def _request(self, method: str, url: str, *, posting: bool, **kwargs) -> requests.Response:
        try:
            return self.session.request(method, url, timeout=settings.CHAT_TIMEOUT, **kwargs)
        except requests.RequestException as exc:
            text = f"{type(exc).__name__}: {exc}"
            query = urlsplit(url).query
            if query:  # a workflow URL's query carries its signature: not written into last_error
                text = text.replace(query, "...")
            if _nothing_sent(exc):
                raise ChatFailure(text, outcome="unreachable", pause=True) from exc
            # Cut off after the request went: a message may be in the channel; a lookup may be retried.
            raise ChatFailure(text, outcome="uncertain" if posting else "refused", pause=True) from exc

    def _http_failure(self, response: requests.Response, what: str) -> ChatFailure:
        if response.status_code == 429:
            return ChatFailure(
                f"{what}: HTTP 429 rate limited",
                outcome="refused",
                retry_after=_retry_after(response),
                pause=True,
            )
        if response.status_code >= 500:
            return ChatFailure(f"{what}: HTTP {response.status_code}", outcome="refused", pause=True)
        return ChatFailure(f"{what}: HTTP {response.status_code} {response.text[:200]}", outcome="refused")

    # --- Slack ---------------------------------------------------------------------------------------------

    def _slack_call(self, method: str, *, posting: bool, **kwargs) -> dict:
        response = self._request(
            "POST" if posting else "GET",
            f"{settings.SLACK_API_URL}/{method}",
            posting=posting,
            headers={"Authorization": f"Bearer {settings.SLACK_BOT_TOKEN}"},
            **kwargs,
        )
        if response.status_code != 200:
            raise self._http_failure(response, method)
        try:
            answer = response.json()
        except ValueError as exc:
            raise ChatFailure(f"{method}: not JSON", outcome="refused", pause=True) from exc
        if not answer.get("ok"):
            error = str(answer.get("error", "unknown_error"))
            raise ChatFailure(
                f"{method}: {error}",
                outcome="rejected" if error in SLACK_NEVER else "refused",
                retry_after=_retry_after(response) if error == "ratelimited" else None,
                pause=error in SLACK_PAUSE,
                error=error,
            )
        return answer

    def _slack_user_key(self, email: str) -> str:
        # The workspace (API and token) in the key too: another workspace's ids mean nothing.
        raw = f"{settings.SLACK_API_URL}|{settings.SLACK_BOT_TOKEN}|{email}"
        return "slack-user:" + hashlib.sha256(raw.encode()).hexdigest()

    def _slack_user(self, email: str) -> str:
        key = self._slack_user_key(email)
        user_id = cache.get(key)
        if user_id is None:
            answer = self._slack_call("users.lookupByEmail", posting=False, params={"email": email})
            user_id = answer["user"]["id"]
            cache.set(key, user_id, SLACK_USER_CACHE_SECONDS)
        return user_id

    def _slack(self, notification: Notification) -> None:
        recipient = notification.recipient
        email = notification.email or (recipient.email if recipient else "")
        user_id = self._slack_user(email)
        try:
            self._slack_call(
                "chat.postMessage", posting=True, json={"channel": user_id, **slack_message(notification)}
            )
        except ChatFailure as failure:
            if failure.error in SLACK_STALE_USER:
                cache.delete(self._slack_user_key(email))
            raise

    # --- Teams ---------------------------------------------------------------------------------------------

    def _teams(self, notification: Notification) -> None:
        response = self._request(
            "POST", settings.TEAMS_HR_WEBHOOK_URL, posting=True, json=teams_card(notification)
        )
        if response.status_code in (200, 202):
            return
        if response.status_code == 400:  # the workflow refused the card itself: sending it again won't help
            raise ChatFailure(f"Teams: HTTP 400 {response.text[:200]}", outcome="rejected")
        raise self._http_failure(response, "Teams")
