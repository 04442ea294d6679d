"""``newsletter send`` given hostile input: a reader list that tries to add headers or
recipients, files that are no list, flags that conflict, and a send log that is damaged,
a link, huge, torn or locked. Each is one line naming the file, row or flag; nothing is
sent; never a traceback.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsletter.publish import send_list, sendlog
from tests.support.cli import Cli, Result, assert_no_crash, one_line_error
from tests.test_send_harness import Server, start_server, write_publication


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSLETTER_SMTP_PASSWORD", raising=False)
    return Cli()


@pytest.fixture
def issue(tmp_path: Path) -> Path:
    return write_publication(tmp_path)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with start_server(tmp_path) as running:
        yield running


def send(cli: Cli, issue: Path, server: Server, *args: str) -> Result:
    result = cli("send", issue, "--smtp", server.address, "--no-tls", "--retry-wait", "0",
                 *args)
    assert_no_crash(result)
    return result


# ------------------------------------------------------------------ rows that inject

INJECTIONS = [
    ('"ann@example.org\r\nBcc: all@evil.example"', "contains the control character U+000D"),
    ('"ann@example.org\nBcc: all@evil.example"', "contains the control character U+000A"),
    ('"ann@example.org, boss@example.org"', "holds 2 addresses"),
    ("=?utf-8?q?ann=40evil.example=0D=0ABcc:_x?=@example.org", "RFC 2047 encoded word"),
    ('"Ann =?utf-8?b?QmNjOiB4QGV2aWwuZXhhbXBsZQ==?= <ann@example.org>"', "encoded word"),
    ("ann\x1b[31m@example.org", "control character U+001B"),
    ("ann@example.org\u202e", "bidirectional control character U+202E"),
    ("<ann@example.org>>", "not an email address"),
    ("ann@exa mple.org", "not an email address"),
    ("ann@-example.org", "not a valid domain name"),
    ("ännchen@example.org", "not ASCII"),
    ('"Ann, the boss <ann@example.org>"', "has 'Ann', which is not an email address"),
    ('"""Ann, the boss"" <ann@example.org>, eve@evil.example"', "holds 2 addresses"),
    ("ann", "not an email address"),
]


@pytest.mark.parametrize(("cell", "said"), INJECTIONS)
def test_a_row_that_would_add_a_header_or_a_recipient_is_refused(
        cli: Cli, issue: Path, server: Server, tmp_path: Path, cell: str, said: str) -> None:
    (tmp_path / "readers.csv").write_bytes(
        f"email,name\nok@example.org,Ok\n{cell},Bad\nfine@example.org,Fine\n".encode())
    result = send(cli, issue, server, "--list", "readers.csv")
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert lines[0].startswith("readers.csv:3: the email "), lines
    assert said in lines[0]
    assert lines[-1].startswith("newsletter: error: --list readers.csv: 1 row with an address")
    assert len(lines) == 2
    assert server.mailbox.received == []
    assert not (tmp_path / "sends").exists()


@pytest.mark.parametrize("value", [
    "ann@example.org\r\nBcc: all@evil.example", "ann@example.org, boss@example.org",
    "=?utf-8?q?a=0D=0AB?= <ann@example.org>", "ann@example.org\x00"])
@pytest.mark.parametrize("flag", ["--to", "--test"])
def test_a_flag_that_would_inject_is_refused(cli: Cli, issue: Path, server: Server,
                                             flag: str, value: str) -> None:
    result = send(cli, issue, server, flag, value)
    assert result.exit_code == 2
    assert one_line_error(result).startswith(f"newsletter: error: {flag} ")
    assert server.mailbox.received == []


def test_every_bad_row_is_named_and_nothing_is_sent(cli: Cli, issue: Path, server: Server,
                                                    tmp_path: Path) -> None:
    rows = ["email,name", "good@example.org,a", ",empty", "bad,b", "", "also bad@x.org,c",
            "short"]
    (tmp_path / "readers.csv").write_text("\n".join(rows) + "\n")
    result = send(cli, issue, server, "--list", "readers.csv")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert [line.split(":")[1] for line in lines[:-1]] == ["3", "4", "6", "7"]
    assert lines[0] == "readers.csv:3: the email column is empty"
    assert "4 rows" in lines[-1]
    assert server.mailbox.received == []


def test_a_multiline_quoted_row_is_named_at_its_first_line(cli: Cli, issue: Path,
                                                           server: Server,
                                                           tmp_path: Path) -> None:
    (tmp_path / "readers.csv").write_text(
        'name,email\n"Ann\nand more",ann@example.org\nBob,"bob@\nexample.org"\n')
    result = send(cli, issue, server, "--list", "readers.csv")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0].startswith("readers.csv:4: the email contains")


def test_duplicates_are_sent_once(cli: Cli, issue: Path, server: Server,
                                  tmp_path: Path) -> None:
    (tmp_path / "readers.csv").write_text(
        "Email;Name\nann@Example.ORG;Ann\nbob@example.org;Bob\nann@example.org;Ann again\n"
        "Ann <ann@EXAMPLE.org>;Ann thrice\n")
    result = send(cli, issue, server, "--list", "readers.csv")
    assert result.exit_code == 0, result.output
    assert server.mailbox.copies() == {"ann@Example.ORG": 1, "bob@example.org": 1}
    notes = [line for line in result.stderr.splitlines() if "listed before" in line]
    assert notes == [
        "readers.csv:4: ann@example.org is listed before, at readers.csv:2; it is sent once",
        "readers.csv:5: ann@EXAMPLE.org is listed before, at readers.csv:2; it is sent once"]


def test_many_duplicates_are_counted_not_listed(tmp_path: Path) -> None:
    path = tmp_path / "readers.csv"
    path.write_text("email\n" + "same@example.org\n" * 50)
    found = send_list.read_list(path)
    assert len(found.recipients) == 1
    assert len(found.notes) == send_list.SHOWN + 1
    assert found.notes[-1].endswith("29 more addresses listed twice, each sent once")


def test_many_bad_rows_are_counted(cli: Cli, issue: Path, server: Server,
                                   tmp_path: Path) -> None:
    (tmp_path / "readers.csv").write_text("email\n" + "nope\n" * 30)
    result = send(cli, issue, server, "--list", "readers.csv")
    lines = result.stderr.splitlines()
    assert len(lines) == 22 and lines[20] == "... and 10 more rows like these"
    assert "30 rows" in lines[-1]


# ------------------------------------------------------------------ files that are no list


@pytest.mark.parametrize(("content", "said"), [
    (b"email\nann@example.org\n\x00\x01\x02", "readers.csv:3: not a CSV text file"),
    (b"email\nann@example.org\nren\xe9@example.org\n", "readers.csv:3: not UTF-8 (byte 0xE9)"),
    (b"name,mail\nAnn,ann@example.org\n", "readers.csv:1: no 'email' column"),
    (b"email,Email\nann@example.org,x\n", "names the column 'email' twice"),
    (b"", "empty; a list is a CSV file"),
    (b"\n\n", "empty; a list is a CSV file"),
    (b"email\n", "no addresses in its 'email' column"),
    (b'email\n"ann@example.org\n', "readers.csv:2: not a CSV row"),
])
def test_a_file_that_is_no_list_is_one_line(cli: Cli, issue: Path, server: Server,
                                            tmp_path: Path, content: bytes, said: str) -> None:
    (tmp_path / "readers.csv").write_bytes(content)
    result = send(cli, issue, server, "--list", "readers.csv")
    assert result.exit_code == 2
    assert said in one_line_error(result)
    assert server.mailbox.received == []


def test_a_bom_and_crlf_are_fine(cli: Cli, issue: Path, server: Server,
                                 tmp_path: Path) -> None:
    (tmp_path / "readers.csv").write_bytes(b"\xef\xbb\xbfemail,name\r\nann@example.org,A\r\n")
    result = send(cli, issue, server, "--list", "readers.csv")
    assert result.exit_code == 0, result.output
    assert server.mailbox.copies() == {"ann@example.org": 1}


def test_a_huge_list_a_folder_and_a_missing_file(cli: Cli, issue: Path, server: Server,
                                                 tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(send_list, "LIST_MAX_BYTES", 1024)
    (tmp_path / "huge.csv").write_text("email\n" + "ann@example.org\n" * 100)
    assert "over 0 MB" in one_line_error(send(cli, issue, server, "--list", "huge.csv"))
    (tmp_path / "folder.csv").mkdir()
    assert "not a regular file" in one_line_error(send(cli, issue, server, "--list",
                                                       "folder.csv"))
    assert "no such file" in one_line_error(send(cli, issue, server, "--list", "nope.csv"))
    os.mkfifo(tmp_path / "fifo.csv")
    assert "not a regular file" in one_line_error(send(cli, issue, server, "--list",
                                                       "fifo.csv"))


# ------------------------------------------------------------------ flags


@pytest.mark.parametrize(("args", "said"), [
    ([], "say who to send to"),
    (["--to", "a@example.org", "--list", "x.csv"], "--to and --list cannot go together"),
    (["--to", "a@example.org", "--test", "b@example.org"], "--to and --test cannot go"),
    (["--to", "a@example.org", "--ssl", "--starttls"], "--starttls and --ssl cannot go"),
    (["--to", "a@example.org", "--smtp", "mail.example.com:99999"], "the port must be"),
    (["--to", "a@example.org", "--smtp", "mail example.com"], "the host must be"),
    (["--to", "a@example.org", "--smtp", "a@b:25"], "the host must be"),
    (["--to", "a@example.org", "--smtp", "[::1"], "must be HOST:PORT"),
    (["--to", "a@example.org", "--rate", "0"], "--rate must be"),
    (["--to", "a@example.org", "--from", "a@example.org, b@example.org"],
     "--from must be one address"),
    (["--to", "a@example.org", "--user", "ed\nRCPT TO:<x@evil>"], "--user must be"),
])
def test_flags_that_cannot_be_followed(cli: Cli, issue: Path, args: list[str],
                                       said: str) -> None:
    result = cli("send", issue, *args)
    assert_no_crash(result)
    assert result.exit_code == 2, result.output
    assert said in one_line_error(result)


def test_no_server_is_one_line(cli: Cli, issue: Path) -> None:
    result = cli("send", issue, "--to", "a@example.org")
    assert result.exit_code == 2
    assert "no SMTP server: give --smtp HOST:PORT" in one_line_error(result)


def test_a_server_that_is_not_there(cli: Cli, issue: Path, tmp_path: Path) -> None:
    result = cli("send", issue, "--to", "a@example.org", "--smtp", "127.0.0.1:9", "--no-tls")
    assert result.exit_code == 1
    assert "127.0.0.1:9: cannot connect" in one_line_error(result)


def test_a_password_in_newsletter_toml_is_an_error_of_check(cli: Cli, tmp_path: Path) -> None:
    write_publication(tmp_path, 'email_from = "Ed <ed@example.com>"\n[smtp]\n'
                      'host = "smtp.example.com"\npassword = "hunter2"\n')
    result = cli("check", ".")
    assert result.exit_code == 1
    assert "newsletter.toml:6:1: error: unknown key 'password'" in result.stdout


# ------------------------------------------------------------------ the send log


def _log(tmp_path: Path) -> Path:
    return tmp_path / "sends" / "issue-001.jsonl"


def _record(event: str, to: str, **extra: object) -> str:
    record = {"v": 1, "issue": 1, "event": event, "to": to, "message_id": "<x@example.com>",
              "at": "2026-04-19T12:00:00Z", **extra}
    return json.dumps(record) + "\n"


@pytest.mark.parametrize(("content", "said"), [
    (_record("sent", "a@example.org") + "garbage\n" + _record("sent", "b@example.org"),
     "issue-001.jsonl:2: not a JSON record"),
    ("[1, 2]\n", "issue-001.jsonl:1: not a JSON object"),
    (_record("sent", "a@example.org").replace('"issue": 1', '"issue": 2'),
     "issue-001.jsonl:1: a record of issue 2, not of issue 1"),
    (_record("sent", "a@example.org").replace('"v": 1', '"v": 9'), "a newer newsletter"),
    (_record("exploded", "a@example.org"), "an unknown event 'exploded'"),
    (_record("sent", "a@example.org").replace('"to": "a@example.org"', '"to": 7'),
     "without a valid 'to'"),
    (b"\xff\xfe\n".decode("latin-1"), "not a JSON record"),
    ("x" * 20000 + "\n", "a line over 16384 bytes"),
])
def test_a_damaged_log_stops_the_send(cli: Cli, issue: Path, server: Server,
                                      tmp_path: Path, content: str, said: str) -> None:
    _log(tmp_path).parent.mkdir()
    _log(tmp_path).write_bytes(content.encode("latin-1"))
    result = send(cli, issue, server, "--to", "a@example.org")
    assert result.exit_code == 1
    line = one_line_error(result)
    assert (said in line and "the send log is damaged" in line) or "newer" in line
    assert server.mailbox.received == []
    dry = cli("send", issue, "--to", "a@example.org", "--dry-run")
    assert dry.exit_code == 1 and said in one_line_error(dry)


def test_a_torn_last_line_is_dropped(cli: Cli, issue: Path, server: Server,
                                     tmp_path: Path) -> None:
    """A run killed while writing a line: the line is unfinished and the last one."""
    log = _log(tmp_path)
    log.parent.mkdir()
    log.write_text(_record("sending", "a@example.org") + _record("sent", "a@example.org")
                   + _record("sending", "b@example.org")[:30])
    result = send(cli, issue, server, "--to", "a@example.org", "--to", "b@example.org")
    assert result.exit_code == 0, result.output
    assert server.mailbox.copies() == {"b@example.org": 1}
    lines = log.read_text().splitlines()
    assert all(json.loads(line) for line in lines)  # the torn piece is gone
    assert [json.loads(x)["event"] for x in lines] == ["sending", "sent", "sending", "sent"]


def test_a_torn_sent_leaves_its_reader_uncertain(cli: Cli, issue: Path, server: Server,
                                                 tmp_path: Path) -> None:
    log = _log(tmp_path)
    log.parent.mkdir()
    log.write_text(_record("sending", "a@example.org") + _record("sent", "a@example.org")[:40])
    result = send(cli, issue, server, "--to", "a@example.org")
    assert result.exit_code == 0
    assert "a@example.org: uncertain: a run stopped at 2026-04-19T12:00:00Z" in result.stderr
    assert server.mailbox.received == []


def test_a_whole_last_record_without_its_newline_is_kept(cli: Cli, issue: Path,
                                                         server: Server,
                                                         tmp_path: Path) -> None:
    log = _log(tmp_path)
    log.parent.mkdir()
    log.write_text(_record("sending", "a@example.org") + _record("sent", "a@example.org")
                   .rstrip("\n"))
    result = send(cli, issue, server, "--to", "a@example.org", "--to", "b@example.org")
    assert result.exit_code == 0
    assert server.mailbox.copies() == {"b@example.org": 1}
    assert [json.loads(x)["to"] for x in log.read_text().splitlines()] == [
        "a@example.org", "a@example.org", "b@example.org", "b@example.org"]


def test_a_log_that_is_a_link_or_no_file(cli: Cli, issue: Path, server: Server,
                                         tmp_path: Path) -> None:
    log = _log(tmp_path)
    log.parent.mkdir()
    target = tmp_path / "elsewhere.jsonl"
    target.write_text("")
    log.symlink_to(target)
    result = send(cli, issue, server, "--to", "a@example.org")
    assert result.exit_code == 2 and "is a symbolic link" in one_line_error(result)
    log.unlink()
    log.mkdir()
    result = send(cli, issue, server, "--to", "a@example.org")
    assert result.exit_code in (1, 2) and "issue-001.jsonl" in one_line_error(result)
    assert target.read_text() == "" and server.mailbox.received == []


def test_a_sends_folder_that_is_a_link(cli: Cli, issue: Path, server: Server,
                                       tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "sends").symlink_to(tmp_path / "elsewhere")
    result = send(cli, issue, server, "--to", "a@example.org")
    assert result.exit_code == 2 and "sends is a symbolic link" in one_line_error(result)
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_a_huge_log(cli: Cli, issue: Path, server: Server, tmp_path: Path,
                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sendlog, "LOG_MAX_BYTES", 100)
    log = _log(tmp_path)
    log.parent.mkdir()
    log.write_text(_record("sent", "x@example.org") * 3)
    result = send(cli, issue, server, "--to", "a@example.org")
    assert result.exit_code == 1 and "more than any send writes" in one_line_error(result)


def test_a_second_send_of_the_same_issue_waits_its_turn(cli: Cli, issue: Path,
                                                        server: Server,
                                                        tmp_path: Path) -> None:
    with sendlog.SendLog(_log(tmp_path), 1):
        result = send(cli, issue, server, "--to", "a@example.org")
    assert result.exit_code == 2
    assert "another 'newsletter send' of issue 1 is running" in one_line_error(result)
    assert server.mailbox.received == []


def test_the_log_is_private_and_kept_out_of_git(cli: Cli, issue: Path, server: Server,
                                                tmp_path: Path) -> None:
    assert send(cli, issue, server, "--to", "a@example.org").exit_code == 0
    assert (tmp_path / "sends").stat().st_mode & 0o777 == 0o700
    assert _log(tmp_path).stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "sends" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_a_full_disk_stops_before_the_message_goes(cli: Cli, issue: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The intent cannot be written: the message is not handed over (no final dot)."""
    real = os.write

    def full(fd: int, data: bytes) -> int:
        if os.path.basename(os.readlink(f"/proc/self/fd/{fd}")) == "issue-001.jsonl":
            raise OSError(28, "No space left on device")
        return real(fd, data)

    with start_server(tmp_path) as server:
        monkeypatch.setattr(os, "write", full)
        result = send(cli, issue, server, "--to", "a@example.org")
    assert result.exit_code == 2
    assert "cannot write the send log (No space left on device)" in one_line_error(result)
    assert server.mailbox.received == []
