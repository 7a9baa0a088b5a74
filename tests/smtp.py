"""A real SMTP server for tests and benchmarks: aiosmtpd on 127.0.0.1, keeping what it receives.

server = SmtpServer().start()        # a free port, in a thread of this process
... point MAILERS (or EMAIL_HOST/EMAIL_PORT of a worker) at 127.0.0.1:server.port ...
server.stop()                        # "down": connections are refused
server.start()                       # "back", on the same port
server.hold_next()                   # the next message (or hold_next(n): n) waits after its DATA ...
server.arrived.wait(10)              # ... until it has arrived ...
server.release()                     # ... and answered only now (if its client is still there)
server.refuse_next(1, code=451, after=2)  # the 3rd message from now is refused (451: later; 550: never)
server.refuse_always("a@x.test")     # every message to this address is refused with 550
SmtpServer(pipelining=False)         # a server that does not offer PIPELINING (most do: the default)
"""

import asyncio
import email
import email.policy
import logging
import socket
import threading
import time
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller

HOST = "127.0.0.1"

# aiosmtpd logs every SMTP command at INFO: thousands of lines for a benchmark, noise in a test.
logging.getLogger("mail.log").setLevel(logging.WARNING)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.content, policy=email.policy.default)

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])


@dataclass
class _Handler:
    server: "SmtpServer"
    delay: float = 0.0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802 - aiosmtpd's
        session.host_name = hostname
        if self.server.pipelining:  # aiosmtpd reads pipelined commands in turn; it only does not say so
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        refusal = self.server._refusal(list(envelope.rcpt_tos))
        if refusal is not None:
            return refusal
        gate = self.server._record(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        if gate is not None:
            # Wait in a thread, not in the event loop: the server keeps answering other connections.
            await asyncio.get_running_loop().run_in_executor(None, gate.wait, 120)
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    """An SMTP server that accepts every message. `keep=False` only counts (for benchmarks)."""

    port: int = field(default_factory=free_port)
    delay: float = 0.0
    keep: bool = True
    pipelining: bool = True
    received: list[Received] = field(default_factory=list)
    count: int = 0
    arrived: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self):
        self._controller: Controller | None = None
        self._lock = threading.Condition()
        self._holds = 0  # how many of the next messages to hold
        self._held: list[threading.Event] = []  # the gates of the messages held now
        self._refusals: list[int | None] = []  # what the next messages get: None accepted, or a code
        self._refused_addresses: dict[str, int] = {}
        self.refused = 0

    def refuse_next(self, count: int = 1, *, code: int = 451, after: int = 0) -> None:
        """Accept `after` messages, then refuse `count` with `code` (4xx: try again later; 5xx: never)."""
        with self._lock:
            self._refusals = [None] * after + [code] * count

    def accept_all(self) -> None:
        """No more refusals."""
        with self._lock:
            self._refusals, self._refused_addresses = [], {}

    def refuse_always(self, address: str, *, code: int = 550) -> None:
        with self._lock:
            self._refused_addresses[address.lower()] = code

    def _refusal(self, rcpt_tos: list[str]) -> str | None:
        with self._lock:
            code = next(
                (
                    self._refused_addresses[a.lower()]
                    for a in rcpt_tos
                    if a.lower() in self._refused_addresses
                ),
                None,
            )
            if code is None and self._refusals:
                code = self._refusals.pop(0)
            elif self._refusals:
                self._refusals.pop(0)
            if code is None:
                return None
            self.refused += 1
            return f"{code} {'Try again later' if code < 500 else 'Refused for good'}"

    def _record(self, received: Received) -> threading.Event | None:
        """Keep the message; if it is to be held, return the gate it waits on."""
        with self._lock:
            self.count += 1
            if self.keep:
                self.received.append(received)
            self._lock.notify_all()
            if not self._holds:
                return None
            self._holds -= 1
            gate = threading.Event()
            self._held.append(gate)
            self.arrived.set()
            return gate

    def start(self) -> "SmtpServer":
        """Listen on `port` (the same port after a stop, to play a server that went down and came back)."""
        if self._controller is None:
            # A new controller each time: an aiosmtpd controller is not meant to be started twice.
            self._controller = Controller(_Handler(self, self.delay), hostname=HOST, port=self.port)
            self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self.release()
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def hold_next(self, count: int = 1) -> None:
        """Keep the next `count` messages waiting after their DATA (recorded, not yet answered) until
        `release`; `arrived` is set when one is there, `held` says how many are."""
        with self._lock:
            self._holds += count
            self.arrived.clear()

    @property
    def held(self) -> int:
        with self._lock:
            return len(self._held)

    def release(self) -> None:
        """Answer the messages held now."""
        with self._lock:
            held, self._held = self._held, []
        for gate in held:
            gate.set()

    def wait_for_count(self, count: int, *, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._lock:
            while self.count < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(left)
        return True

    def mailer(self, *, timeout: int = 5) -> dict:
        """A MAILERS setting that sends to this server."""
        return {
            "default": {
                "BACKEND": "common.mail.EmailBackend",
                "OPTIONS": {"host": HOST, "port": self.port, "timeout": timeout},
            }
        }

    def __enter__(self) -> "SmtpServer":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
