"""The SMTP side of ``newsletter send``: which server, how it is reached, and one message
handed over so that the send log can tell "not sent" from "maybe sent".

Settings come from ``[smtp]`` in newsletter.toml, each overridden by its flag; the
password only from ``NEWSLETTER_SMTP_PASSWORD``. A password goes only over TLS (STARTTLS or
TLS from the first byte), or in clear to a server on this machine (127.0.0.1, ::1,
localhost), where nothing crosses a network. Certificates are verified against the
system's trust store (``SSL_CERT_FILE`` names another, for a private CA).

A server's replies are hostile text: every one shown or logged has its control
characters replaced and is cut to ``REPLY_MAX`` characters.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from newsletter.errors import NewsletterError, UsageError

if TYPE_CHECKING:
    import smtplib
    import ssl

    from newsletter.entries.models import SmtpConfig

PASSWORD_VARIABLE = "NEWSLETTER_SMTP_PASSWORD"
Security = Literal["starttls", "ssl", "none"]
DEFAULT_PORTS: dict[str, int] = {"starttls": 587, "ssl": 465, "none": 25}
REPLY_MAX = 200
# Long enough for a slow server to queue a message; short enough that a dead one is noticed.
TIMEOUT_SECONDS = 60.0
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e"
                     r"\u2066-\u2069\ud800-\udfff]+")


def clean_reply(code: int, message: bytes | str) -> str:
    """A server's reply as one safe line: '550 5.1.1 no such user'."""
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    text = " ".join(_UNSAFE.sub(" ", text).split())
    reply = f"{code} {text}".strip() if code > 0 else text or "(no reply)"
    return reply if len(reply) <= REPLY_MAX else reply[:REPLY_MAX - 1] + "…"


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine (nothing sent to it crosses a network)."""
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send. ``password`` is never shown (repr) nor logged."""

    host: str
    port: int
    security: Security
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    rate: int | None = None
    timeout: float = TIMEOUT_SECONDS

    def where(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def parse_server(value: str, flag: str = "--smtp") -> tuple[str, int | None]:
    """``HOST``, ``HOST:PORT`` or ``[IPv6]:PORT``. Raises UsageError."""
    import re as _re

    from newsletter.entries.models import SMTP_HOST

    text = value.strip()
    port_text: str | None = None
    if text.startswith("["):
        host, closing, rest = text[1:].partition("]")
        if not closing or (rest and not rest.startswith(":")):
            raise UsageError(f"{flag} {value!r} must be HOST:PORT, e.g. smtp.example.com:587 "
                             "or [::1]:2525")
        port_text = rest[1:] if rest else None
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    else:
        host = text
    if not host or not _re.fullmatch(SMTP_HOST, host):
        raise UsageError(f"{flag} {value!r}: the host must be a host name or an IP address, "
                         "e.g. smtp.example.com:587")
    if port_text is None:
        return host, None
    if not port_text.isascii() or not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise UsageError(f"{flag} {value!r}: the port must be a number from 1 to 65535")
    return host, int(port_text)


def resolve_settings(config: SmtpConfig | None, *, server: str | None, security: str | None,
                     user: str | None, rate: int | None,
                     environ: dict[str, str] | None = None) -> SmtpSettings:
    """The settings of a send: each flag over its key in ``[smtp]``; the password from the
    environment. Raises UsageError naming the flag or key to fix."""
    import os

    env = os.environ if environ is None else environ
    login = user if user is not None else (config.user if config else None)
    if login is not None:
        from newsletter.entries.models import LINE_FORBIDDEN

        if not login or LINE_FORBIDDEN.search(login) or len(login) > 254:
            raise UsageError("--user must be a user name on one line, without control "
                             "characters")
    limit = rate if rate is not None else (config.rate if config else None)
    if limit is not None and not 1 <= limit <= 100_000:
        raise UsageError("--rate must be a number of messages a minute, from 1 to 100000")
    host: str | None = config.host if config else None
    port: int | None = config.port if config else None
    if server is not None:
        host, port = parse_server(server)
    if not host:
        raise UsageError("no SMTP server: give --smtp HOST:PORT, or host in [smtp] in "
                         "newsletter.toml")
    chosen: str = security or (config.security if config and config.security else "starttls")
    assert chosen in DEFAULT_PORTS
    password = env.get(PASSWORD_VARIABLE) or None
    if login and not password:
        raise UsageError(f"user {login!r} needs its password in the environment variable "
                         f"{PASSWORD_VARIABLE} (never a flag or a file, so that it stays out "
                         "of shell history, process lists and the repository)")
    if login and chosen == "none" and not is_loopback(host):
        raise UsageError(f"refusing to send the password for {login!r} unencrypted to {host}: "
                         "use --starttls or --ssl (without TLS, a password goes only to a "
                         "server on this machine: 127.0.0.1, ::1, localhost)")
    return SmtpSettings(host=host, port=port or DEFAULT_PORTS[chosen],
                        security=chosen,  # type: ignore[arg-type]
                        user=login or None, password=password if login else None, rate=limit)


class ConnectionLost(NewsletterError):
    """The server could not be reached, or went away: try again later."""


class ServerRefused(NewsletterError):
    """The server cannot be used as configured (no STARTTLS, a certificate that does not
    verify, a login refused): trying again will not help."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """How handing one message over ended.

    ``kind``: "sent" (accepted: 2xx after the final dot), "deferred" (a 4xx: try later),
    "failed" (a 5xx), "lost" (the connection went away before the final dot was sent:
    not delivered), "uncertain" (it went away after: the server may have taken it),
    "sender-refused" (a 5xx to MAIL FROM: no message can go out).
    ``handed`` says whether the message's bytes were sent (the intent was recorded).
    """

    kind: str
    reply: str
    handed: bool = False


def _quoted_data(message: bytes) -> bytes:
    """The DATA payload: leading dots doubled, CRLF at the end, then the lone dot."""
    data = re.sub(rb"(?m)^\.", b"..", message)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


class Connection:
    """One SMTP session, opened on first use and again after it was lost."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    @property
    def is_open(self) -> bool:
        return self._smtp is not None

    def open(self) -> None:
        """Connect, say EHLO, start TLS and log in. Raises ConnectionLost (the network,
        worth another try) or ServerRefused (the settings; not)."""
        import smtplib
        import ssl

        settings = self.settings
        where = settings.where()
        context = ssl.create_default_context()
        host = settings.host.strip("[]")
        try:
            if settings.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, settings.port,
                                                      timeout=settings.timeout,
                                                      context=context)
            else:
                smtp = smtplib.SMTP(host, settings.port, timeout=settings.timeout)
        except ssl.SSLCertVerificationError as exc:
            raise ServerRefused(_certificate(where, exc)) from None
        except ssl.SSLError as exc:
            raise ServerRefused(f"{where}: TLS failed ({clean_reply(0, str(exc.reason or exc))}"
                                "); is it an SSL port (465)? For STARTTLS use --starttls"
                                ) from None
        except smtplib.SMTPConnectError as exc:
            raise ConnectionLost(f"{where}: the server refused the connection: "
                                 f"{clean_reply(exc.smtp_code, exc.smtp_error)}") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise ConnectionLost(f"{where}: cannot connect: {_os_reason(exc)}") from None
        try:
            self._start(smtp, context)
        except BaseException:
            _close(smtp)
            raise
        self._smtp = smtp

    def _start(self, smtp: smtplib.SMTP, context: ssl.SSLContext) -> None:
        import smtplib
        import ssl

        settings = self.settings
        where = settings.where()
        try:
            code, reply = smtp.ehlo()
            if not 200 <= code < 300:
                code, reply = smtp.helo()
                if not 200 <= code < 300:
                    raise ServerRefused(f"{where}: the server refused EHLO and HELO: "
                                        f"{clean_reply(code, reply)}")
            if settings.security == "starttls":
                if not smtp.has_extn("starttls"):
                    raise ServerRefused(
                        f"{where}: the server does not offer STARTTLS; use --ssl for a TLS "
                        "port (465), or --no-tls for a relay that takes mail unencrypted")
                smtp.starttls(context=context)
                smtp.ehlo()
            if settings.user:
                if not smtp.has_extn("auth"):
                    raise ServerRefused(f"{where}: the server offers no login (AUTH) for "
                                        f"user {settings.user!r}; leave out --user")
                assert settings.password is not None
                smtp.login(settings.user, settings.password)
        except ssl.SSLCertVerificationError as exc:
            raise ServerRefused(_certificate(where, exc)) from None
        except ssl.SSLError as exc:
            raise ServerRefused(f"{where}: STARTTLS failed: "
                                f"{clean_reply(0, str(exc.reason or exc))}") from None
        except smtplib.SMTPAuthenticationError as exc:
            raise ServerRefused(f"{where}: the server refused the login of "
                                f"{settings.user!r}: {clean_reply(exc.smtp_code, exc.smtp_error)}"
                                f" (the password is read from {PASSWORD_VARIABLE})") from None
        except smtplib.SMTPNotSupportedError as exc:
            raise ServerRefused(f"{where}: {clean_reply(0, str(exc))}") from None
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code == 421 or 400 <= exc.smtp_code < 500:
                raise ConnectionLost(f"{where}: {clean_reply(exc.smtp_code, exc.smtp_error)}"
                                     ) from None
            raise ServerRefused(f"{where}: {clean_reply(exc.smtp_code, exc.smtp_error)}"
                                ) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise ConnectionLost(f"{where}: the connection was lost: {_os_reason(exc)}"
                                 ) from None

    def close(self) -> None:
        """QUIT when the server still listens; the socket is closed either way."""
        if self._smtp is not None:
            smtp, self._smtp = self._smtp, None
            _quit(smtp)

    def drop(self) -> None:
        """Close without a word: the session is broken."""
        if self._smtp is not None:
            smtp, self._smtp = self._smtp, None
            _close(smtp)

    def hand_over(self, sender: str, recipient: str, message: bytes,
                  before_data: Callable[[], None]) -> Outcome:
        """MAIL FROM, RCPT TO and DATA for one recipient. ``before_data`` runs after the
        server said 354 and before the message's bytes are sent: there the intent is
        recorded (should it raise, the message is not sent and the session is dropped)."""
        import smtplib

        smtp = self._smtp
        assert smtp is not None
        # "before": nothing handed over; "handing": the bytes are being sent (the final
        # dot is their end, so until send() returns the server cannot have taken it);
        # "handed": all sent, the answer awaited.
        stage = "before"
        try:
            code, reply = smtp.mail(sender)
            if not 200 <= code < 300:
                return self._refused(code, reply, sender=True)
            code, reply = smtp.rcpt(recipient)
            if not 200 <= code < 300:
                return self._refused(code, reply)
            smtp.putcmd("data")
            code, reply = smtp.getreply()
            if code != 354:
                return self._refused(code, reply)
            try:
                before_data()
            except BaseException:
                self.drop()  # no final dot: the server takes nothing
                raise
            stage = "handing"
            smtp.send(_quoted_data(message))
            stage = "handed"
            code, reply = smtp.getreply()
        except (OSError, smtplib.SMTPException) as exc:
            # SMTPServerDisconnected, a timeout, a reply line past smtplib's limit.
            self.drop()
            reason = (clean_reply(exc.smtp_code, exc.smtp_error)
                      if isinstance(exc, smtplib.SMTPResponseException) else _os_reason(exc))
            if stage == "handed":
                return Outcome("uncertain", "the connection was lost while the server took "
                               f"the message ({reason})", handed=True)
            return Outcome("lost", f"the connection was lost ({reason})",
                           handed=stage == "handing")
        shown = clean_reply(code, reply)
        if 200 <= code < 300:
            return Outcome("sent", shown, handed=True)
        if code == 421:
            self.drop()
            return Outcome("deferred", shown, handed=True)
        if 400 <= code < 500:
            return Outcome("deferred", shown, handed=True)
        if 500 <= code < 600:
            return Outcome("failed", shown, handed=True)
        # Not an SMTP reply at all: whether the server took the message is unknown.
        self.drop()
        return Outcome("uncertain", f"an answer that is no SMTP reply: {shown}", handed=True)

    def _refused(self, code: int, reply: bytes, *, sender: bool = False) -> Outcome:
        """A refusal before the message was handed over: nothing was delivered."""
        shown = clean_reply(code, reply)
        if code == 421 or code < 200:
            self.drop()
            return Outcome("lost", shown)
        self._reset()
        if 400 <= code < 500:
            return Outcome("deferred", shown)
        return Outcome("sender-refused" if sender else "failed", shown)

    def _reset(self) -> None:
        import smtplib

        if self._smtp is None:
            return
        try:
            self._smtp.rset()
        except (OSError, smtplib.SMTPException):
            self.drop()


def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    if isinstance(exc, TimeoutError):
        return "timed out"
    return clean_reply(0, str(exc)) or type(exc).__name__


def _certificate(where: str, exc: BaseException) -> str:
    detail = getattr(exc, "verify_message", None) or str(exc)
    return (f"{where}: the server's certificate does not verify ({clean_reply(0, detail)}); "
            "for a server with a private CA, name its certificate in SSL_CERT_FILE")


def _quit(smtp: smtplib.SMTP) -> None:
    import smtplib

    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        _close(smtp)


def _close(smtp: smtplib.SMTP) -> None:
    import contextlib

    with contextlib.suppress(OSError):
        smtp.close()
