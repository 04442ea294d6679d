"""``newsletter send``: an issue by SMTP, one message per reader, never twice."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from newsletter.commands.common import EXIT_INTERRUPTED, fail, guarded, no_empty

if TYPE_CHECKING:
    from newsletter.entries.models import Publication
    from newsletter.publish.send import Listener, Plan, Prepared, Report
    from newsletter.publish.send_list import Recipient, RecipientList
    from newsletter.publish.send_smtp import SmtpSettings
    from newsletter.publish.sendlog import Entry

# Bad rows of a list shown one by one before a count takes over.
_SHOWN = 20


def send(
    issue: Annotated[Path, typer.Argument(metavar="ISSUE", help="The issue directory.")],
    to: Annotated[list[str] | None, typer.Option(
        "--to", metavar="ADDR", help="Send to this address; repeat for more.")] = None,
    recipients_file: Annotated[Path | None, typer.Option(
        "--list", metavar="FILE.csv", help="Send to every address of this CSV file's "
        "'email' column (its other columns are ignored).")] = None,
    server: Annotated[str | None, typer.Option(
        "--smtp", metavar="HOST:PORT", help="The SMTP server (default: [smtp] host and "
        "port in newsletter.toml).")] = None,
    starttls: Annotated[bool, typer.Option(
        "--starttls", help="Encrypt with STARTTLS (the default; port 587).")] = False,
    use_ssl: Annotated[bool, typer.Option(
        "--ssl", help="TLS from the first byte (port 465).")] = False,
    no_tls: Annotated[bool, typer.Option(
        "--no-tls", help="No encryption: for a relay on this machine; a password is then "
        "sent only to 127.0.0.1 or localhost.")] = False,
    user: Annotated[str | None, typer.Option(
        "--user", metavar="NAME", help="Log in as NAME; the password is read from "
        "NEWSLETTER_SMTP_PASSWORD, never a flag.")] = None,
    sender: Annotated[str | None, typer.Option(
        "--from", metavar="ADDR", help="From header and sender (default: email_from in "
        "newsletter.toml).")] = None,
    test: Annotated[str | None, typer.Option(
        "--test", metavar="ADDR", help="Send one copy to ADDR, subject marked [TEST], "
        "draft or not; not recorded in the send log.")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="List who would be sent the issue, and who is skipped as sent "
        "already; send nothing.")] = False,
    rate: Annotated[int | None, typer.Option(
        "--rate", metavar="N", help="At most N messages a minute (default: [smtp] rate, "
        "else no limit).")] = None,
    resend_uncertain: Annotated[bool, typer.Option(
        "--resend-uncertain", help="Send again to readers a stopped run may or may not "
        "have sent it to (same Message-ID, which lets a provider drop the copy).")] = False,
    allow_changed: Annotated[bool, typer.Option(
        "--allow-changed", help="The issue changed since some readers were sent it: send "
        "the new version to the others (no one gets it twice).")] = False,
    retry_wait: Annotated[float, typer.Option(
        "--retry-wait", metavar="SECONDS", min=0, max=3600, help="Wait before trying "
        "again the readers a server answered 'try later' (4xx); three rounds, each 3x "
        "longer. A lost connection is opened again at once, then after 2 s and 4 s (at "
        "most this long).")] = 20.0,
) -> None:
    """Send an issue by SMTP, one message per reader, and never twice: a send log records
    who was sent it.

    The message is the issue's email rendering, with each reader's own To and
    List-Unsubscribe ([email] in unsubscribe_url is filled in). Refuses a draft (except
    with --test) and an issue that does not check; a --list send needs unsubscribe_url.
    Who was sent the issue is kept in sends/issue-NNN.jsonl beside newsletter.toml: run
    it again after a failure or a kill and only those not sent yet are sent; one that may
    or may not have gone out is named, and sent again only with --resend-uncertain. Exit
    1 when a reader could not be sent the issue.

    The password of --user is read from NEWSLETTER_SMTP_PASSWORD.

    Examples: newsletter send issues/012 --test ed@example.com  |  newsletter send
    issues/012 --list readers.csv --dry-run  |  newsletter send issues/012 --list
    readers.csv --smtp smtp.example.com:587 --user ed --rate 60
    """
    server = no_empty(server)

    def run() -> None:
        from newsletter.errors import UsageError

        chosen = [name for name, given in (("--starttls", starttls), ("--ssl", use_ssl),
                                           ("--no-tls", no_tls)) if given]
        if len(chosen) > 1:
            raise UsageError(f"{' and '.join(chosen)} cannot go together; choose one")
        security = {"--starttls": "starttls", "--ssl": "ssl", "--no-tls": "none"}.get(
            chosen[0]) if chosen else None
        given = [name for name, value in (("--to", to), ("--list", recipients_file),
                                          ("--test", test)) if value]
        if len(given) != 1:
            raise UsageError("say who to send to: --to ADDR (repeatable), --list FILE.csv, "
                             "or --test ADDR for one test copy" if not given else
                             f"{' and '.join(given)} cannot go together; choose one")
        _send(issue, _Options(
            to=to or [], recipients_file=recipients_file, server=server, security=security,
            user=no_empty(user), sender=no_empty(sender), test=test, dry_run=dry_run,
            rate=rate, resend_uncertain=resend_uncertain, allow_changed=allow_changed,
            retry_wait=retry_wait))

    guarded(run)


@dataclass(frozen=True)
class _Options:
    """The flags of one send, as given."""

    to: list[str]
    recipients_file: Path | None
    server: str | None
    security: str | None
    user: str | None
    sender: str | None
    test: str | None
    dry_run: bool
    rate: int | None
    resend_uncertain: bool
    allow_changed: bool
    retry_wait: float


def _send(issue: Path, options: _Options) -> None:
    from newsletter.check.issue import check_with_style
    from newsletter.commands.render import _one_issue, _print_refusal
    from newsletter.entries.loading import load_issue
    from newsletter.entries.problems import display_path, has_errors
    from newsletter.errors import UsageError
    from newsletter.publish.send import prepare, publication_root

    issue_dir = _one_issue(issue)
    shown = display_path(issue_dir)
    loaded = load_issue(issue_dir)
    problems, style = check_with_style(loaded)
    if has_errors(problems) or style is None or loaded.issue is None:
        _print_refusal(problems, loaded, None)
        fail(f"{shown}: cannot send: fix the problems above first")
    if loaded.issue.status == "draft" and options.test is None:
        raise UsageError(f"{shown} is a draft (status = \"draft\"): --test ADDR sends one "
                         "copy to look at; set status = \"published\" to send it to readers")
    readers = _readers(options)
    publication = loaded.publication
    if options.recipients_file is not None and not (publication and
                                                    publication.unsubscribe_url):
        raise UsageError(f"--list {display_path(options.recipients_file)}: a list send needs "
                         "a way to leave the list: set unsubscribe_url in newsletter.toml (an "
                         "https URL with [email] for the reader's address, and/or a mailto: "
                         "address)")
    prepared = prepare(loaded, style, test=options.test is not None, sender=options.sender)
    for warning in prepared.warnings:
        _say(f"{shown}: warning: {warning}")
    https = [t for t in prepared.unsubscribe if t.lower().startswith("https:")]
    if options.test is None and https and "[email]" not in https[0]:
        where = (display_path(loaded.publication_source.path) if loaded.publication_source
                 else "newsletter.toml")
        _say(f"{where}: warning: unsubscribe_url has no [email]: every reader gets the same "
             "one-click unsubscribe URL, which cannot tell who asks to leave")
    if options.test is not None:
        _send_test(prepared, readers.recipients[0], options, publication)
    else:
        _send_to_readers(prepared, readers.recipients, publication_root(loaded), options,
                         publication)


def _say(line: str) -> None:
    from newsletter.entries.problems import printable

    typer.echo(printable(line), err=True)


def _readers(options: _Options) -> "RecipientList":
    from newsletter.entries.problems import display_path
    from newsletter.errors import UsageError
    from newsletter.publish.send_list import from_flags, read_list

    if options.test is not None:
        return from_flags([options.test], "--test")
    recipients_file = options.recipients_file
    if recipients_file is None:
        return from_flags(options.to)
    found = read_list(recipients_file)
    shown = display_path(recipients_file)
    for line in found.errors[:_SHOWN]:
        _say(line)
    if len(found.errors) > _SHOWN:
        _say(f"... and {len(found.errors) - _SHOWN} more rows like these")
    if found.errors:
        raise UsageError(f"--list {shown}: {len(found.errors)} "
                         f"row{'s' if len(found.errors) != 1 else ''} with an address that "
                         "cannot be sent to; fix or remove them (nothing was sent)")
    for note in found.notes:
        _say(note)
    if not found.recipients:
        raise UsageError(f"--list {shown}: no addresses in its 'email' column")
    return found


def _settings(publication: "Publication | None", options: _Options) -> "SmtpSettings":
    from newsletter.publish.send_smtp import resolve_settings

    return resolve_settings(publication.smtp if publication else None, server=options.server,
                            security=options.security, user=options.user, rate=options.rate)


def _send_test(prepared: "Prepared", reader: "Recipient", options: _Options,
               publication: "Publication | None") -> None:
    from newsletter.publish.send import Planned, Report, deliver

    if options.dry_run:
        typer.echo(f"would send a test copy to {reader.address}")
        typer.echo(f"issue {prepared.number}: would send 1 test copy (dry run: nothing sent)")
        return
    settings = _settings(publication, options)
    report = Report()
    planned = [Planned(reader, prepared.message_id())]
    _deliver(lambda listener: deliver(prepared, planned, settings, None, report,
                                      listener=listener, retry_wait=options.retry_wait),
             report, total=1, number=prepared.number)
    _finish(prepared, report, skipped=0, test=True)


def _send_to_readers(prepared: "Prepared", readers: "list[Recipient]", root: Path,
                     options: _Options, publication: "Publication | None") -> None:
    from newsletter.publish.send import Report, deliver, plan
    from newsletter.publish.sendlog import SendLog, log_path, read_state

    path = log_path(root, prepared.number)
    resend_uncertain = options.resend_uncertain
    if options.dry_run:
        state = read_state(path, prepared.number)
        chosen = plan(prepared, readers, state, resend_uncertain=resend_uncertain,
                      allow_changed=options.allow_changed)
        _print_plan(chosen, resend_uncertain)
        typer.echo(f"issue {prepared.number}: would send {len(chosen.to_send)}, already sent "
                   f"{len(chosen.already_sent)}, uncertain {len(chosen.uncertain)} (dry "
                   "run: nothing sent)")
        return
    # Before the log is opened: a missing password makes no file.
    settings = _settings(publication, options)
    report = Report()
    with SendLog(path, prepared.number) as log:
        chosen = plan(prepared, readers, log.state, resend_uncertain=resend_uncertain,
                      allow_changed=options.allow_changed)
        for reader, entry in chosen.uncertain:
            _name_uncertain(reader, entry, resend_uncertain)
        if chosen.to_send:
            _deliver(lambda listener: deliver(prepared, chosen.to_send, settings, log, report,
                                              listener=listener,
                                              retry_wait=options.retry_wait),
                     report, total=len(chosen.to_send), skipped=len(chosen.already_sent),
                     number=prepared.number)
    unresolved = [] if resend_uncertain else chosen.uncertain
    _finish(prepared, report, skipped=len(chosen.already_sent),
            earlier_uncertain=len(unresolved))


def _print_plan(chosen: "Plan", resend_uncertain: bool) -> None:
    for planned in chosen.to_send:
        note = " (uncertain before; sent again with its Message-ID)" if planned.resend else ""
        typer.echo(f"would send {planned.recipient.address}{note}")
    for reader, entry in chosen.already_sent:
        typer.echo(f"already sent {reader.address} ({entry.at})")
    if not resend_uncertain:
        for reader, entry in chosen.uncertain:
            _name_uncertain(reader, entry, False)


def _name_uncertain(reader: "Recipient", entry: "Entry", resend: bool) -> None:
    if resend:
        _say(f"{reader.address}: uncertain: sent again, as asked, with the Message-ID it had "
             f"({entry.message_id})")
        return
    _say(f"{reader.address}: uncertain: a run stopped at {entry.at} while handing this "
         f"message over (Message-ID {entry.message_id}); it may or may not have arrived, and "
         "is not sent again: --resend-uncertain sends it again")


def _deliver(go: "Callable[[Listener], object]", report: "Report", *, total: int,
             skipped: int = 0, number: int = 0) -> None:
    """Run the delivery ``go(listener)`` with a progress bar on a terminal; a Ctrl-C ends
    it with what was done so far."""
    import sys

    from newsletter.commands.common import progress_bar
    from newsletter.entries.problems import printable

    interrupted = False
    with progress_bar("sending") as advance:
        done = [0]

        def listener(kind: str, reader: "Recipient | None", detail: str) -> None:
            # print, not typer.echo: while the bar is drawn, rich stands in for sys.stdout
            # and sys.stderr to print above it, and click would write past it.
            if kind == "sent" and reader is not None:
                print(f"sent {reader.address}", flush=True)
            elif reader is not None:
                hint = {"deferred": "; tried again later",
                        "uncertain": "; not sent again unless asked (--resend-uncertain)"
                        }.get(kind, "")
                print(printable(f"{reader.address}: {kind}: {detail}{hint}"),
                      file=sys.stderr, flush=True)
            else:
                print(printable(f"{kind}: {detail}"), file=sys.stderr, flush=True)
            if kind in ("sent", "failed", "uncertain"):
                done[0] += 1
                if advance is not None:
                    advance(done[0], total)

        try:
            go(listener)
        except KeyboardInterrupt:
            interrupted = True
    if interrupted:  # said once the bar is gone
        _interrupted(report, skipped, number)


def _interrupted(report: "Report", skipped: int, number: int) -> NoReturn:
    from newsletter.publish.send import summary

    if report.in_flight is not None:
        report.uncertain.append((report.in_flight, "interrupted while the server took it"))
        _say(f"{report.in_flight.address}: uncertain: interrupted while the server took the "
             "message; the next run names it, and sends it again only with "
             "--resend-uncertain")
    typer.echo(summary(number, report, skipped))
    fail("interrupted; the send log has every message the server accepted: run the same "
         "command again to send the rest", EXIT_INTERRUPTED)


def _finish(prepared: "Prepared", report: "Report", *, skipped: int, test: bool = False,
            earlier_uncertain: int = 0) -> None:
    from newsletter.publish.send import summary

    if report.stopped:
        _say(f"stopped: {report.stopped}")
    line = summary(prepared.number, report, skipped, earlier_uncertain)
    typer.echo(line + (" (a test copy)" if test else ""))
    if report.failed or report.unsent or report.stopped:
        raise typer.Exit(1)
