"""A local stand-in for Slack's Web API and a Teams workflow webhook, run in a thread by the test.

server = ChatServer(token="xoxb-test").start()      # a free port on 127.0.0.1
server.slack_users["ann@example.com"] = "U123"       # users.lookupByEmail finds her
settings.SLACK_API_URL = server.slack_url            # .../api
settings.TEAMS_HR_WEBHOOK_URL = server.teams_url     # .../teams/hr
server.script("chat.postMessage", (429, {"Retry-After": "900"}, {"ok": False, "error": "ratelimited"}))
server.script("teams", (400, {}, "bad card"))        # the next call answers that, then back to normal
server.slow_next("chat.postMessage", seconds=3)      # the next post is recorded, then answered late
server.posts, server.cards, server.lookups           # what arrived
server.stop()

Like Slack: HTTP 200 with {"ok": false, "error": ...} for most failures, the bearer token checked on
every call (invalid_auth otherwise), users_not_found for an address it doesn't know. Like a workflow
webhook: 202 Accepted with an empty body.
"""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

HOST = "127.0.0.1"


@dataclass
class ChatServer:
    token: str = "xoxb-test-token"
    port: int = 0  # 0: a free one, chosen by start(); start() again after stop() reuses it
    slack_users: dict[str, str] = field(default_factory=dict)
    posts: list[dict] = field(default_factory=list)
    cards: list[dict] = field(default_factory=list)
    lookups: list[str] = field(default_factory=list)
    _scripts: dict[str, list] = field(default_factory=dict)
    _slow: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    def start(self) -> "ChatServer":
        self._server = ThreadingHTTPServer((HOST, self.port), _handler(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Down: connections are refused."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def slack_url(self) -> str:
        return f"http://{HOST}:{self.port}/api"

    @property
    def teams_url(self) -> str:
        return f"http://{HOST}:{self.port}/teams/hr"

    def script(self, endpoint: str, *answers: tuple[int, dict, object]) -> None:
        """The next calls of `endpoint` ("users.lookupByEmail", "chat.postMessage", "teams") answer these
        (status, headers, body), in order, instead of the normal answer."""
        with self._lock:
            self._scripts.setdefault(endpoint, []).extend(answers)

    def slow_next(self, endpoint: str, *, seconds: float) -> None:
        with self._lock:
            self._slow[endpoint] = seconds

    def _next(self, endpoint: str):
        with self._lock:
            slow = self._slow.pop(endpoint, 0.0)
            scripted = self._scripts.get(endpoint)
            return slow, (scripted.pop(0) if scripted else None)


def _handler(server: ChatServer):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def _answer(self, status: int, headers: dict, body) -> None:
            raw = (json.dumps(body) if isinstance(body, dict) else str(body)).encode()
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def _body(self) -> dict:
            length = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(length) or b"{}")

        def do_GET(self):  # noqa: N802 - http.server's hook name
            url = urlsplit(self.path)
            if url.path != "/api/users.lookupByEmail":
                return self._answer(404, {}, "not found")
            slow, scripted = server._next("users.lookupByEmail")
            time.sleep(slow)
            if scripted:
                return self._answer(*scripted)
            if self.headers.get("Authorization") != f"Bearer {server.token}":
                return self._answer(200, {}, {"ok": False, "error": "invalid_auth"})
            email = parse_qs(url.query).get("email", [""])[0]
            with server._lock:
                server.lookups.append(email)
            user_id = server.slack_users.get(email)
            if user_id is None:
                return self._answer(200, {}, {"ok": False, "error": "users_not_found"})
            return self._answer(200, {}, {"ok": True, "user": {"id": user_id, "profile": {"email": email}}})

        def do_POST(self):  # noqa: N802
            path = urlsplit(self.path).path
            if path == "/api/chat.postMessage":
                body = self._body()
                slow, scripted = server._next("chat.postMessage")
                if scripted:
                    return self._answer(*scripted)
                if self.headers.get("Authorization") != f"Bearer {server.token}":
                    return self._answer(200, {}, {"ok": False, "error": "invalid_auth"})
                if body.get("channel") not in server.slack_users.values():
                    return self._answer(200, {}, {"ok": False, "error": "channel_not_found"})
                with server._lock:
                    server.posts.append(body)  # it is in Slack now, whatever happens to the answer
                time.sleep(slow)
                return self._answer(200, {}, {"ok": True, "channel": "D" + body["channel"], "ts": "1.0"})
            if path == "/teams/hr":
                body = self._body()
                slow, scripted = server._next("teams")
                if scripted:
                    return self._answer(*scripted)
                with server._lock:
                    server.cards.append(body)
                time.sleep(slow)
                return self._answer(202, {}, "")
            return self._answer(404, {}, "not found")

    return Handler
