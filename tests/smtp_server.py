"""A real SMTP server on loopback (aiosmtpd) for the tests that need a mail server's own answers:
it takes what it is sent, refuses the mailboxes it is told to (550), answers 421 while it is "busy",
and can hold a message before answering it, so that a test can stop the sender meanwhile.

A message counts as delivered only once the server has answered 250 to it, as with any mail server."""

import asyncio
import email
import email.policy
import socket
import threading
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller


@dataclass
class Delivered:
    to: tuple[str, ...]
    subject: str
    message: email.message.EmailMessage


@dataclass
class MailServerHandler:
    refuse: set[str] = field(default_factory=set)  # mailboxes answered "550 no such mailbox"
    busy: bool = False  # answer every message "421 try again later"
    hold_after: int | None = None  # hold the message after this many are delivered, until released
    delivered: list[Delivered] = field(default_factory=list)
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.busy:
            return "421 4.3.2 Too busy, try again later"
        if self.hold_after is not None and len(self.delivered) >= self.hold_after:
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
            # The sender is gone by now: the message is not taken.
            return "421 4.4.2 Connection dropped before the message was taken"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.delivered.append(Delivered(tuple(envelope.rcpt_tos), str(message["Subject"]), message))
        return "250 Message accepted for delivery"

    def addresses(self) -> list[str]:
        with self.lock:
            return [address for item in self.delivered for address in item.to]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def mail_server():
    """An SMTP server on 127.0.0.1 for the test: `.port`, `.handler` (its answers and what it took)."""
    handler = MailServerHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    controller.handler_state = handler
    yield controller
    handler.release.set()
    controller.stop()


def use_mail_server(settings, server) -> None:
    """Django sending through `server` with its SMTP backend, as in production."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
