"""A real SMTP server on 127.0.0.1 for the send tests (aiosmtpd), and the publications
they send: what the server received is what is asserted, header by header.

``Mailbox`` is the server's handler: it keeps every message it accepted, and can be told to
refuse a recipient (5xx), say "try later" (4xx) a number of times, answer slowly after so
many messages, or drop the connection. ``smtp_server`` starts one (plain, STARTTLS with
AUTH, or TLS from the first byte) with a certificate made in the test by trustme, whose
CA the sender is told of through SSL_CERT_FILE, as a user with a private CA would.

The tests of this file check the harness itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.support.tools import in_ci

try:
    import aiosmtpd.controller as aiosmtpd_controller
    import trustme
except ImportError:  # the "test" extra has both; under CI a missing one fails
    if in_ci():
        raise
    pytest.skip("aiosmtpd and trustme are not installed: pip install -e '.[test]'",
                allow_module_level=True)

USER = "editor"
PASSWORD = "s3cret-Pa55word-never-shown"
SENDER = "Editors <editors@example.com>"
HTTPS = "https://example.com/unsubscribe?list=weekly&reader=[email]"
MAILTO = "mailto:leave@example.com?subject=unsubscribe"
LIST_ID = "AI Research Weekly <weekly.example.com>"
PUBLICATION = (f'email_from = "{SENDER}"\nunsubscribe_url = ["{HTTPS}", "{MAILTO}"]\n'
               f'list_id = "{LIST_ID}"\n')


@dataclass
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    tls: bool
    login: str | None

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Mailbox:
    """The handler: what it does and what it got. Thread-safe (the server runs in its own
    thread, the test in another)."""

    refuse: dict[str, str] = field(default_factory=dict)      # at RCPT: address -> 5xx
    defer: dict[str, int] = field(default_factory=dict)       # at RCPT: address -> times
    defer_data: dict[str, int] = field(default_factory=dict)  # after DATA: address -> times
    slow_after: int | None = None     # accepted messages after which each answer waits
    slow_seconds: float = 30.0
    drop_after: int | None = None     # accepted messages after which the link is cut once
    received: list[Received] = field(default_factory=list)
    attempts: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, count: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            assert time.monotonic() < deadline, f"{len(self.received)} of {count} arrived"
            time.sleep(0.02)

    def copies(self) -> dict[str, int]:
        """How many copies each recipient got."""
        found: dict[str, int] = {}
        for item in self.received:
            for rcpt in item.rcpt_tos:
                found[rcpt] = found.get(rcpt, 0) + 1
        return found

    def to(self, address: str) -> list[Received]:
        return [item for item in self.received if address in item.rcpt_tos]

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        with self.lock:
            self.attempts.append(address)
            if address in self.refuse:
                return self.refuse[address]
            if self.defer.get(address):
                self.defer[address] -= 1
                return "451 4.7.1 Greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        rcpt = envelope.rcpt_tos[0]
        with self.lock:
            if self.defer_data.get(rcpt):
                self.defer_data[rcpt] -= 1
                return "452 4.3.1 Insufficient system storage, try later"
            self.received.append(Received(
                envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content
                                                                   or envelope.content),
                session.ssl is not None
                or server.transport.get_extra_info("ssl_object") is not None,
                session.auth_data.login.decode() if session.auth_data else None))
            count = len(self.received)
            slow = self.slow_after is not None and count > self.slow_after
            drop = self.drop_after is not None and count == self.drop_after
        if drop:
            # Accepted and stored, and then the link is cut before the answer: the
            # sender cannot know (the message is uncertain to it).
            server.transport.close()
            return "250 OK but nobody hears it"
        if slow:
            await asyncio.sleep(self.slow_seconds)
        return f"250 2.0.0 Ok: queued as Q{count}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    host: str
    port: int
    mailbox: Mailbox
    ca_file: Path
    controller: Any

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.controller.stop()


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str,
                   auth_data: Any) -> Any:
    from aiosmtpd.smtp import AuthResult, LoginPassword

    ok = (isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode()
          and auth_data.password == PASSWORD.encode())
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


@contextlib.contextmanager
def start_server(tmp_path: Path, mailbox: Mailbox | None = None, *, mode: str = "plain",
                 auth: bool = False, port: int | None = None) -> Iterator[Server]:
    """An SMTP server on 127.0.0.1: mode "plain", "starttls" or "ssl"; ``auth`` asks for a
    login (over TLS only, except in plain mode, where the sender must refuse to give it)."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    box = mailbox or Mailbox()
    kwargs: dict[str, Any] = {"hostname": "127.0.0.1", "port": port or _free_port(),
                              "server_hostname": "mail.test", "ready_timeout": 10}
    if mode == "starttls":
        kwargs.update(tls_context=context, require_starttls=True)
    elif mode == "ssl":
        kwargs.update(ssl_context=context)
    if auth:
        kwargs.update(authenticator=_authenticator, auth_required=True,
                      auth_require_tls=mode != "plain")
    controller = aiosmtpd_controller.Controller(box, **kwargs)
    controller.start()
    server = Server("127.0.0.1", kwargs["port"], box, ca_file, controller)
    try:
        yield server
    finally:
        server.stop()


def header_names(raw: bytes) -> list[str]:
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    return [line.split(":", 1)[0] for line in head.split("\r\n") if line[:1] not in " \t"]


def write_publication(root: Path, config: str = PUBLICATION, *, status: str = "published"
                      ) -> Path:
    """A weekly publication with one clean issue, issues/001, ready to send."""
    from tests.support.publication import one_issue, paper

    issue = one_issue(root, paper(), config=config)
    text = (issue / "issue.toml").read_text(encoding="utf-8")
    (issue / "issue.toml").write_text(
        text.replace('status = "draft"', f'status = "{status}"')
        + 'title = "Sparse attention, cheaper"\n', encoding="utf-8")
    return issue


def readers_csv(path: Path, addresses: list[str], extra: str = "") -> Path:
    lines = ["email,name"] + [f"{a},Reader {i}" for i, a in enumerate(addresses)]
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


def addresses(count: int) -> list[str]:
    return [f"reader{i:02d}@example.org" for i in range(count)]


SendRun = Callable[..., Any]


# ------------------------------------------------------------------ the harness itself


def test_the_server_keeps_what_it_accepts(tmp_path: Path) -> None:
    import smtplib

    with start_server(tmp_path) as server, smtplib.SMTP(server.host, server.port) as client:
        client.sendmail("a@example.com", ["b@example.org"], b"Subject: hi\r\n\r\nbody\r\n")
    assert server.mailbox.copies() == {"b@example.org": 1}
    assert server.mailbox.received[0].message["Subject"] == "hi"


def test_the_server_refuses_and_defers_as_told(tmp_path: Path) -> None:
    import smtplib

    box = Mailbox(refuse={"no@example.org": "550 5.1.1 No such user"},
                  defer={"later@example.org": 1})
    with start_server(tmp_path, box) as server, smtplib.SMTP(server.host, server.port) as c:
        c.ehlo()
        c.mail("a@example.com")
        assert c.rcpt("no@example.org")[0] == 550
        c.rset()
        c.mail("a@example.com")
        assert c.rcpt("later@example.org")[0] == 451
        c.rset()
        c.mail("a@example.com")
        assert c.rcpt("later@example.org")[0] == 250


def test_starttls_with_a_login_verifies_against_the_test_ca(tmp_path: Path) -> None:
    import smtplib

    with start_server(tmp_path, mode="starttls", auth=True) as server:
        context = ssl.create_default_context(cafile=str(server.ca_file))
        with smtplib.SMTP(server.host, server.port) as client:
            client.starttls(context=context)
            client.login(USER, PASSWORD)
            client.sendmail("a@example.com", ["b@example.org"], b"Subject: x\r\n\r\ny\r\n")
    received = server.mailbox.received[0]
    assert received.tls and received.login == USER
