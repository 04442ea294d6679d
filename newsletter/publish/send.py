"""``newsletter send``: an issue's email, one message per reader, over SMTP, exactly once.

The issue is rendered once (the email format's two parts, CSS inlined), then each reader
gets a message of their own: their own To, a fresh Message-ID and Date, and the
publication's List-Unsubscribe with their address filled in where ``unsubscribe_url``
says ``[email]`` (in the header and the footer link alike), with List-Unsubscribe-Post
and List-Id as ``render --format email`` writes them.

Who was sent what is kept in the send log (``sendlog.py``): a rerun sends only to those not
sent yet, names the one message a killed run may have left in flight (uncertain) and
resends it only when asked, with the Message-ID it had, so that a mail provider that saw
it already can drop the copy. The log is keyed to the issue's number and to a hash of the
message as sent (``content``): once an issue changed after some readers were sent it, a
send stops until told to go on (``allow_changed``); then the others get the new version,
and no one is sent a second copy.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from newsletter.errors import NewsletterError, UsageError
from newsletter.publish.send_list import Recipient
from newsletter.publish.send_smtp import (
    Connection,
    ConnectionLost,
    Outcome,
    ServerRefused,
    SmtpSettings,
)
from newsletter.publish.sendlog import Entry, LogState, SendLog

if TYPE_CHECKING:
    from newsletter.entries.loading import LoadedIssue
    from newsletter.entries.styles import Style

# Where unsubscribe_url takes the reader's address: in brackets, which a URL may hold, and
# which a person sees is no part of a real one.
PLACEHOLDER = "[email]"
# 4xx answers are retried in rounds after the list, each waiting longer ('try later').
RETRY_ROUNDS = 3
RETRY_WAIT_SECONDS = 20.0
RETRY_GROWTH = 3.0
# A lost connection is opened again this many times in a row before the run gives up.
RECONNECTS = 3
RECONNECT_WAIT_SECONDS = 2.0


@dataclass(frozen=True)
class Prepared:
    """The issue as every reader's message is made from it."""

    number: int
    subject: str
    sender: str
    envelope_from: str
    html: str
    text: str
    unsubscribe: tuple[str, ...]
    list_id: str | None
    language: str
    date: dt.date
    content: str  # hash of the message as sent, the same for every reader
    token: str
    sources: dict[str, str]
    warnings: list[str] = field(default_factory=list)

    def message_for(self, recipient: Recipient, message_id: str) -> bytes:
        """The message one reader is sent: their To, the unsubscribe targets filled in."""
        from newsletter.render.mail import build_message

        filled = quote(recipient.address, safe="@")
        return build_message(
            html=self.html.replace(self.token, filled),
            text=self.text.replace(self.token, filled),
            subject=self.subject, sender=self.sender, recipients=recipient.header,
            date=self.date, sources=self.sources,
            unsubscribe=tuple(t.replace(PLACEHOLDER, filled) for t in self.unsubscribe),
            list_id=self.list_id, language=self.language, message_id=message_id,
            sent_at=dt.datetime.now(dt.UTC).replace(microsecond=0))

    def message_id(self) -> str:
        domain = self.envelope_from.rpartition("@")[2]
        return f"<{secrets.token_hex(12)}.issue{self.number}@{domain}>"


def _targets(value: str | list[str] | None) -> tuple[str, ...]:
    return () if not value else (value,) if isinstance(value, str) else tuple(value)


def unsubscribe_problem(targets: tuple[str, ...]) -> str | None:
    """Why the targets' placeholders are wrong, or None: ``[email]`` is the one there is."""
    for target in targets:
        rest = target.replace(PLACEHOLDER, "")
        if "[" in rest or "]" in rest:
            return (f"unsubscribe_url in newsletter.toml holds {target!r}: the one "
                    f"placeholder is {PLACEHOLDER}, which 'newsletter send' fills with the "
                    "reader's address")
    return None


def prepare(loaded: LoadedIssue, style: Style, *, test: bool = False,
            sender: str | None = None) -> Prepared:
    """Render the issue's email once, for every reader. The caller checked the issue."""
    from newsletter.entries.addresses import parse_addresses
    from newsletter.render.document import document_title, render_text
    from newsletter.render.mail import clipping_warning, inline_css

    issue = loaded.issue
    publication = loaded.publication
    assert issue is not None
    if "email" not in style.formats:
        raise UsageError(f"style '{style.name}' has no email format; it renders "
                         f"{', '.join(style.formats)}")
    source = "--from" if sender else "email_from in newsletter.toml"
    sender = sender or (publication.email_from if publication else None)
    if not sender:
        raise UsageError("a send needs a sender: --from, or email_from in newsletter.toml")
    try:
        senders = parse_addresses(sender)
    except ValueError as exc:
        raise UsageError(f"{source} {exc}") from None
    if len(senders) != 1:
        raise UsageError(f"{source} must be one address to send from, not {len(senders)}")
    envelope_from = f"{senders[0].local}@{senders[0].domain}"
    targets = _targets(publication.unsubscribe_url if publication else None)
    problem = unsubscribe_problem(targets)
    if problem:
        raise UsageError(problem)
    # The templates write the footer's unsubscribe link from the publication: a token no
    # text can hold stands for the address there, and is replaced per reader.
    token = "nlreader" + secrets.token_hex(10)
    rendered = loaded
    if publication is not None and targets:
        marked = [t.replace(PLACEHOLDER, token) for t in targets]
        rendered = dataclasses.replace(loaded, publication=publication.model_copy(
            update={"unsubscribe_url": marked[0] if len(marked) == 1 else marked}))
    html = inline_css(render_text(rendered, style, "html", for_email=True))
    text = render_text(rendered, style, "text", for_email=True)
    warnings = []
    clipped = clipping_warning(html, len(loaded.papers), "the HTML part")
    if clipped:
        warnings.append(clipped)
    draft = issue.status == "draft"
    subject = (("[TEST] " if test else "") + ("[Draft] " if draft else "")
               + document_title(loaded))
    list_id = publication.list_id if publication else None
    language = publication.language if publication else "en"
    content = hashlib.sha256(json.dumps(
        [issue.number, subject.removeprefix("[TEST] "), sender, html.replace(token, PLACEHOLDER),
         text.replace(token, PLACEHOLDER), targets, list_id, language],
        ensure_ascii=True).encode("ascii")).hexdigest()[:32]
    sources = {
        "Subject": "the subject (the issue's title and the publication's name)",
        "From": source, "To": "the recipient", "List-Id": "list_id in newsletter.toml",
        "List-Unsubscribe": "unsubscribe_url in newsletter.toml",
        "Content-Language": "language in newsletter.toml",
    }
    return Prepared(number=issue.number, subject=subject, sender=sender,
                    envelope_from=envelope_from, html=html, text=text, unsubscribe=targets,
                    list_id=list_id, language=language, date=issue.date, content=content,
                    token=token, sources=sources, warnings=warnings)


# ------------------------------------------------------------------ the plan


@dataclass(frozen=True, slots=True)
class Planned:
    """One reader to send to, and the Message-ID their copy carries."""

    recipient: Recipient
    message_id: str
    resend: bool = False  # an uncertain one, sent again as asked


@dataclass
class Plan:
    """Who this run sends to, and who it does not, and why."""

    to_send: list[Planned] = field(default_factory=list)
    already_sent: list[tuple[Recipient, Entry]] = field(default_factory=list)
    uncertain: list[tuple[Recipient, Entry]] = field(default_factory=list)
    changed: list[tuple[Recipient, Entry]] = field(default_factory=list)


def plan(prepared: Prepared, recipients: list[Recipient], state: LogState, *,
         resend_uncertain: bool = False, allow_changed: bool = False) -> Plan:
    """Who to send to, given the log. Raises UsageError when the issue changed since some
    of these readers were sent it, unless ``allow_changed``."""
    result = Plan()
    for recipient in recipients:
        entry = state.entries.get(recipient.key)
        if entry is not None and entry.state == "sent":
            result.already_sent.append((recipient, entry))
            if entry.content and entry.content != prepared.content:
                result.changed.append((recipient, entry))
        elif entry is not None and entry.state == "uncertain":
            result.uncertain.append((recipient, entry))
            if resend_uncertain:
                result.to_send.append(Planned(recipient, entry.message_id, resend=True))
        else:
            result.to_send.append(Planned(recipient, prepared.message_id()))
    if result.changed and not allow_changed:
        count = len(result.changed)
        raise UsageError(
            f"issue {prepared.number} changed since {count} of these readers "
            f"{'was' if count == 1 else 'were'} sent it (the send log has another version): "
            f"--allow-changed sends the new version to the {len(result.to_send)} not sent "
            "yet; those already sent are never sent it again")
    return result


# ------------------------------------------------------------------ the run


@dataclass
class Report:
    """What a run did, kept up to date as it goes (so an interrupted run can say)."""

    sent: list[Recipient] = field(default_factory=list)
    failed: list[tuple[Recipient, str]] = field(default_factory=list)
    uncertain: list[tuple[Recipient, str]] = field(default_factory=list)
    unsent: list[Recipient] = field(default_factory=list)
    stopped: str | None = None
    # Whose message is being handed over now (its intent recorded, no answer yet): what a
    # Ctrl-C leaves uncertain.
    in_flight: Recipient | None = None


# An event for the command to show: (kind, recipient or None, detail).
Listener = Callable[[str, Recipient | None, str], None]


def _quiet(kind: str, recipient: Recipient | None, detail: str) -> None:
    pass


@dataclass
class _Item:
    planned: Planned
    attempts: int = 0


class _Stop(Exception):
    """The run cannot go on (no connection, the sender refused)."""


def deliver(prepared: Prepared, planned: list[Planned], settings: SmtpSettings,
            log: SendLog | None, report: Report, *, listener: Listener = _quiet,
            retry_wait: float = RETRY_WAIT_SECONDS, retry_rounds: int = RETRY_ROUNDS,
            sleep: Callable[[float], None] = time.sleep,
            clock: Callable[[], float] = time.monotonic) -> Report:
    """Send to each planned reader, recording each step in ``log`` (None: a test copy,
    not recorded). Fills ``report`` as it goes and returns it.

    The first connection failing is an error of its own (nothing was sent); later ones
    are retried (RECONNECTS in a row), then the run stops and says who was not sent.
    """
    connection = Connection(settings)
    queue: deque[_Item] = deque(_Item(p) for p in planned)
    interval = 60.0 / settings.rate if settings.rate else 0.0
    last_start: float | None = None
    connection.open()  # ConnectionLost / ServerRefused: the caller's one-line error
    try:
        for round_number in range(retry_rounds + 1):
            later: list[_Item] = []
            while queue:
                item = queue.popleft()
                if last_start is not None and interval:
                    wait = last_start + interval - clock()
                    if wait > 0:
                        sleep(wait)
                try:
                    _ensure_open(connection, listener, sleep, retry_wait)
                except _Stop as stop:
                    report.stopped = str(stop)
                    queue.appendleft(item)
                    break
                last_start = clock()
                outcome = _one(prepared, item, connection, log, report)
                report.in_flight = None
                if _settle(prepared, item, outcome, log, report, listener, queue, later,
                           final=round_number == retry_rounds):
                    report.stopped = (f"the server refuses the sender "
                                      f"{prepared.envelope_from}: {outcome.reply}")
                    break
            if report.stopped or not later:
                break
            wait = retry_wait * RETRY_GROWTH ** round_number
            listener("waiting", None, f"{len(later)} deferred; trying again in "
                     f"{_seconds(wait)}")
            connection.close()  # an idle session would time out meanwhile
            sleep(wait)
            queue.extend(later)
        report.unsent.extend(item.planned.recipient for item in queue)
    except BaseException:
        connection.drop()  # a Ctrl-C mid-answer: no QUIT that would wait for the server
        raise
    connection.close()
    return report


def _seconds(value: float) -> str:
    return f"{value:.0f} s" if value >= 1 else f"{value:.1f} s"


def _ensure_open(connection: Connection, listener: Listener,
                 sleep: Callable[[float], None], longest: float) -> None:
    """Open the connection again if it was lost: at once, then after a wait that doubles
    (at most ``longest``), RECONNECTS times in all."""
    if connection.is_open:
        return
    last = ""
    for attempt in range(RECONNECTS):
        if attempt:
            sleep(min(longest, RECONNECT_WAIT_SECONDS * 2 ** (attempt - 1)))
        try:
            connection.open()
            return
        except ConnectionLost as exc:
            last = str(exc)
            listener("reconnect", None, last)
        except ServerRefused as exc:
            raise _Stop(str(exc)) from None
    raise _Stop(f"the server went away and could not be reached again ({last})")


def _one(prepared: Prepared, item: _Item, connection: Connection,
         log: SendLog | None, report: Report) -> Outcome:
    recipient = item.planned.recipient
    message = prepared.message_for(recipient, item.planned.message_id)

    def intent() -> None:
        if log is not None:
            log.record("sending", recipient.key, item.planned.message_id,
                       content=prepared.content)
        report.in_flight = recipient

    item.attempts += 1
    return connection.hand_over(prepared.envelope_from, recipient.address, message, intent)


def _settle(prepared: Prepared, item: _Item, outcome: Outcome, log: SendLog | None,
            report: Report, listener: Listener, queue: deque[_Item], later: list[_Item], *,
            final: bool) -> bool:
    """Record and report one outcome; True when the run must stop (sender refused)."""
    recipient = item.planned.recipient
    message_id = item.planned.message_id

    def record(event: str) -> None:
        if log is not None:
            log.record(event, recipient.key, message_id, content=prepared.content,
                       reply=outcome.reply)

    if outcome.kind == "sent":
        record("sent")
        report.sent.append(recipient)
        listener("sent", recipient, outcome.reply)
    elif outcome.kind == "failed":
        record("failed")
        report.failed.append((recipient, outcome.reply))
        listener("failed", recipient, outcome.reply)
    elif outcome.kind == "uncertain":
        # The intent stays unsettled: the next run names it too.
        report.uncertain.append((recipient, outcome.reply))
        listener("uncertain", recipient, outcome.reply)
    elif outcome.kind == "sender-refused":
        queue.appendleft(item)
        return True
    else:  # deferred (4xx) or lost before the final dot: not delivered, tried again
        if outcome.handed:
            record("deferred" if outcome.kind == "deferred" else "unsent")
        if outcome.kind == "lost" and item.attempts <= RECONNECTS:
            queue.appendleft(item)  # straight after reconnecting
        elif final or item.attempts > RETRY_ROUNDS + RECONNECTS:
            if log is not None:
                log.record("failed", recipient.key, message_id, content=prepared.content,
                           reply=outcome.reply)
            report.failed.append((recipient, f"{outcome.reply} (still, after "
                                  f"{item.attempts} attempts)"))
            listener("failed", recipient, report.failed[-1][1])
        else:
            later.append(item)
            listener("deferred", recipient, outcome.reply)
    return False


def summary(number: int, report: Report, skipped: int, earlier_uncertain: int = 0) -> str:
    """The last line of a run: ``earlier_uncertain`` counts the readers an earlier run left
    uncertain, not sent again."""
    line = (f"issue {number}: sent {len(report.sent)}, already sent {skipped}, failed "
            f"{len(report.failed)}, uncertain {len(report.uncertain) + earlier_uncertain}")
    if report.unsent:
        line += f", not sent {len(report.unsent)} (run again to send them)"
    return line


class SendRefused(NewsletterError):
    """A send that cannot start (the issue, the list, the settings): nothing was sent."""


def publication_root(loaded: LoadedIssue) -> Path:
    """The folder of newsletter.toml, where the send logs live. Raises SendRefused."""
    if loaded.publication_source is None:
        raise SendRefused(f"{loaded.directory}: a send needs the publication's "
                          "newsletter.toml (the send log is kept beside it)")
    return loaded.publication_source.path.parent
