"""``newsletter send`` against a real SMTP server on 127.0.0.1: what each reader got,
header by header; TLS and login; refusals, "try later" and a server that goes away; a
sender killed mid-list and run again; drafts, test copies and dry runs.

Each reader must get exactly one copy across every run, kill and rerun included: the
``copies()`` of the server's mailbox is the measure. The one message a killed run may
have left in flight is named as uncertain and not sent again unless asked.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import signal
import subprocess
import time
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from tests.support.cli import Cli, Result, assert_no_crash, child_env, newsletter_argv
from tests.test_send_harness import (
    HTTPS,
    LIST_ID,
    MAILTO,
    PASSWORD,
    PUBLICATION,
    USER,
    Mailbox,
    Server,
    addresses,
    header_names,
    readers_csv,
    start_server,
    write_publication,
)

HEADERS = ["Subject", "From", "To", "Date", "Message-ID", "MIME-Version", "Content-Type",
           "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post", "Content-Language"]
SUMMARY = re.compile(r"^issue 1: sent (\d+), already sent (\d+), failed (\d+), "
                     r"uncertain (\d+)(, not sent (\d+) \(run again to send them\))?$")


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSLETTER_SMTP_PASSWORD", raising=False)
    return Cli()


@pytest.fixture
def issue(tmp_path: Path) -> Path:
    return write_publication(tmp_path)


def counts(result: Result) -> tuple[int, int, int, int, int]:
    """sent, already sent, failed, uncertain, not sent: from the summary line."""
    lines = result.stdout.splitlines()
    assert lines, result.output
    found = SUMMARY.match(lines[-1])
    assert found, result.output
    sent, skipped, failed, uncertain, _, unsent = found.groups()
    return int(sent), int(skipped), int(failed), int(uncertain), int(unsent or 0)


def log_records(root: Path) -> list[dict[str, object]]:
    path = root / "sends" / "issue-001.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def send(cli: Cli, issue: Path, server: Server, *args: str) -> Result:
    result = cli("send", issue, "--smtp", server.address, "--no-tls", "--retry-wait", "0",
                 *args)
    assert_no_crash(result)
    return result


# ------------------------------------------------------------------ one message per reader


def test_each_reader_gets_one_message_of_their_own(
        cli: Cli, issue: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    readers = ["ann@example.org", "bob+news@example.net", "Carol <carol@example.com>"]
    readers_csv(tmp_path / "readers.csv", readers)
    monkeypatch.setenv("NEWSLETTER_SMTP_PASSWORD", PASSWORD)
    with start_server(tmp_path, mode="starttls", auth=True) as server:
        monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_file))
        before = dt.datetime.now(dt.UTC).replace(microsecond=0)
        result = cli("send", issue, "--list", "readers.csv", "--smtp", server.address,
                     "--starttls", "--user", USER)
    assert result.exit_code == 0, result.output
    assert counts(result) == (3, 0, 0, 0, 0)
    assert result.stdout.splitlines()[:3] == [
        "sent ann@example.org", "sent bob+news@example.net", "sent carol@example.com"]
    received = server.mailbox.received
    assert [r.rcpt_tos for r in received] == [["ann@example.org"], ["bob+news@example.net"],
                                              ["carol@example.com"]]
    ids = set()
    for item, to in zip(received, ["ann@example.org", "bob+news@example.net",
                                   'Carol <carol@example.com>'], strict=True):
        assert item.tls and item.login == USER
        assert item.mail_from == "editors@example.com"
        assert header_names(item.data) == HEADERS
        message = item.message
        assert not message.defects
        assert message["To"] == to
        assert message["From"] == "Editors <editors@example.com>"
        assert message["Subject"] == "Sparse attention, cheaper – AI Research Weekly"
        assert message["List-Id"] == LIST_ID
        filled = item.rcpt_tos[0].replace("+", "%2B")
        assert message["List-Unsubscribe"] == (
            f"<{HTTPS.replace('[email]', filled)}>, <{MAILTO}>")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message["Content-Language"] == "en"
        sent_at = parsedate_to_datetime(message["Date"])
        assert before - dt.timedelta(seconds=1) <= sent_at <= dt.datetime.now(dt.UTC)
        ids.add(message["Message-ID"])
        assert re.fullmatch(r"<[0-9a-f]{24}\.issue1@example\.com>", message["Message-ID"])
        # The footer's link is the reader's own too, in both parts.
        plain, rich = (message.get_body(preferencelist=(kind,)) for kind in ("plain", "html"))
        assert plain is not None and rich is not None
        text, html = plain.get_content(), rich.get_content()
        assert HTTPS.replace("[email]", filled) in text
        assert HTTPS.replace("[email]", filled).replace("&", "&amp;") in html
        assert "[email]" not in text + html and "nlreader" not in text + html
    assert len(ids) == 3
    # The log: an intent then its delivery, per reader, with the server's answer.
    events = [(r["event"], r["to"]) for r in log_records(tmp_path)]
    assert events == [(e, a) for a in ("ann@example.org", "bob+news@example.net",
                                       "carol@example.com") for e in ("sending", "sent")]
    # The password is nowhere but in the environment.
    assert PASSWORD not in result.output
    assert PASSWORD.encode() not in (tmp_path / "sends" / "issue-001.jsonl").read_bytes()


def test_tls_from_the_first_byte(cli: Cli, issue: Path, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    with start_server(tmp_path, mode="ssl") as server:
        monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_file))
        result = cli("send", issue, "--to", "ann@example.org", "--smtp", server.address,
                     "--ssl")
    assert result.exit_code == 0, result.output
    assert server.mailbox.copies() == {"ann@example.org": 1}
    assert server.mailbox.received[0].tls


def test_settings_come_from_newsletter_toml(cli: Cli, tmp_path: Path) -> None:
    with start_server(tmp_path) as server:
        issue = write_publication(tmp_path, PUBLICATION + f'[smtp]\nhost = "{server.host}"\n'
                                  f'port = {server.port}\nsecurity = "none"\n')
        result = cli("send", issue, "--to", "ann@example.org")
        assert result.exit_code == 0, result.output
        # A flag overrides its key: this port has no server.
        other = cli("send", issue, "--to", "bob@example.org", "--smtp", "127.0.0.1:9")
    assert server.mailbox.copies() == {"ann@example.org": 1}
    assert other.exit_code == 1 and "127.0.0.1:9: cannot connect" in other.stderr


def test_the_certificate_is_verified(cli: Cli, issue: Path, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with start_server(tmp_path, mode="starttls") as server:
        result = cli("send", issue, "--to", "ann@example.org", "--smtp", server.address)
    assert result.exit_code == 1
    assert "certificate does not verify" in result.stderr and "SSL_CERT_FILE" in result.stderr
    assert server.mailbox.received == []


def test_a_server_without_starttls_is_not_used_unencrypted(cli: Cli, issue: Path,
                                                           tmp_path: Path) -> None:
    with start_server(tmp_path) as server:
        result = cli("send", issue, "--to", "ann@example.org", "--smtp", server.address)
    assert result.exit_code == 1
    assert "does not offer STARTTLS" in result.stderr
    assert server.mailbox.received == []


def test_a_refused_login_is_one_line_without_the_password(
        cli: Cli, issue: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSLETTER_SMTP_PASSWORD", "wrong-" + PASSWORD)
    with start_server(tmp_path, mode="starttls", auth=True) as server:
        monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_file))
        result = cli("send", issue, "--to", "ann@example.org", "--smtp", server.address,
                     "--user", USER)
    assert result.exit_code == 1
    assert "refused the login of 'editor'" in result.stderr
    assert PASSWORD not in result.output
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_a_password_goes_in_clear_only_to_this_machine(
        cli: Cli, issue: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSLETTER_SMTP_PASSWORD", PASSWORD)
    refused = cli("send", issue, "--to", "ann@example.org", "--smtp", "mail.example.com:25",
                  "--no-tls", "--user", USER)
    assert refused.exit_code == 2 and "refusing to send the password" in refused.stderr
    assert not (tmp_path / "sends").exists()
    with start_server(tmp_path, auth=True) as server:
        result = send(cli, issue, server, "--to", "ann@example.org", "--user", USER)
    assert result.exit_code == 0, result.output
    assert server.mailbox.received[0].login == USER


def test_a_user_without_a_password_is_refused_before_anything(cli: Cli, issue: Path,
                                                              tmp_path: Path) -> None:
    result = cli("send", issue, "--to", "ann@example.org", "--smtp", "127.0.0.1:9",
                 "--user", USER)
    assert result.exit_code == 2 and "NEWSLETTER_SMTP_PASSWORD" in result.stderr
    assert not (tmp_path / "sends").exists()


# ------------------------------------------------------------------ refusals and retries


def test_a_refused_reader_is_recorded_and_reported(cli: Cli, issue: Path,
                                                   tmp_path: Path) -> None:
    readers_csv(tmp_path / "readers.csv", addresses(3))
    box = Mailbox(refuse={"reader01@example.org": "550 5.1.1 <reader01>: no such user"})
    with start_server(tmp_path, box) as server:
        result = send(cli, issue, server, "--list", "readers.csv")
    assert result.exit_code == 1
    assert counts(result) == (2, 0, 1, 0, 0)
    assert "reader01@example.org: failed: 550 5.1.1 <reader01>: no such user" in result.stderr
    assert box.copies() == {"reader00@example.org": 1, "reader02@example.org": 1}
    failed = [r for r in log_records(tmp_path) if r["event"] == "failed"]
    assert [(r["to"], r["reply"]) for r in failed] == [
        ("reader01@example.org", "550 5.1.1 <reader01>: no such user")]


def test_try_later_is_tried_again_later_in_the_run(cli: Cli, issue: Path,
                                                   tmp_path: Path) -> None:
    readers_csv(tmp_path / "readers.csv", addresses(4))
    box = Mailbox(defer={"reader01@example.org": 2}, defer_data={"reader02@example.org": 1})
    with start_server(tmp_path, box) as server:
        result = send(cli, issue, server, "--list", "readers.csv")
    assert result.exit_code == 0, result.output
    assert counts(result) == (4, 0, 0, 0, 0)
    assert box.copies() == {a: 1 for a in addresses(4)}
    # The others went first; the deferred ones after, in later rounds.
    assert [r.rcpt_tos[0] for r in box.received] == [
        "reader00@example.org", "reader03@example.org", "reader02@example.org",
        "reader01@example.org"]
    assert "reader01@example.org: deferred: 451 4.7.1 Greylisted" in result.stderr
    # A 4xx after DATA settles its intent: the log does not leave it uncertain.
    events = [(r["event"], r["to"]) for r in log_records(tmp_path)
              if r["to"] == "reader02@example.org"]
    assert events == [("sending", "reader02@example.org"), ("deferred", "reader02@example.org"),
                      ("sending", "reader02@example.org"), ("sent", "reader02@example.org")]


def test_try_later_for_ever_fails_after_the_last_round(cli: Cli, issue: Path,
                                                       tmp_path: Path) -> None:
    box = Mailbox(defer={"ann@example.org": 100})
    with start_server(tmp_path, box) as server:
        result = send(cli, issue, server, "--to", "ann@example.org", "--to", "bob@example.org")
    assert result.exit_code == 1
    assert counts(result) == (1, 0, 1, 0, 0)
    assert box.attempts.count("ann@example.org") == 4  # once, then three rounds
    assert "ann@example.org: failed: 451 4.7.1 Greylisted" in result.stderr


def test_hostile_server_answers_are_shown_safe(cli: Cli, issue: Path, tmp_path: Path) -> None:
    answer = "550 \x1b[2J\x1b]0;owned\x07 \u202edeggol" + " spam" * 200
    box = Mailbox(refuse={"ann@example.org": answer})
    with start_server(tmp_path, box) as server:
        result = send(cli, issue, server, "--to", "ann@example.org")
    assert result.exit_code == 1
    line = next(x for x in result.stderr.splitlines() if x.startswith("ann@example.org"))
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "\u202e" not in result.output
    assert len(line) < 300
    record = next(r for r in log_records(tmp_path) if r["event"] == "failed")
    assert "\x1b" not in str(record["reply"]) and len(str(record["reply"])) <= 200


def test_a_connection_cut_after_the_message_leaves_it_uncertain(
        cli: Cli, issue: Path, tmp_path: Path) -> None:
    readers_csv(tmp_path / "readers.csv", addresses(4))
    box = Mailbox(drop_after=2)
    with start_server(tmp_path, box) as server:
        first = send(cli, issue, server, "--list", "readers.csv")
        # The server stored reader01's copy, but the answer never came: uncertain.
        assert first.exit_code == 0, first.output
        assert counts(first) == (3, 0, 0, 1, 0)
        assert "reader01@example.org: uncertain:" in first.stderr
        again = send(cli, issue, server, "--list", "readers.csv")
        assert counts(again) == (0, 3, 0, 1, 0)
        assert "reader01@example.org: uncertain: a run stopped" in again.stderr
        assert box.copies() == {a: 1 for a in addresses(4)}
        resent = send(cli, issue, server, "--list", "readers.csv", "--resend-uncertain")
        assert counts(resent) == (1, 3, 0, 0, 0)
    copies = box.to("reader01@example.org")
    assert len(copies) == 2
    # Sent again with the Message-ID it had: a provider that has it can drop the copy.
    assert copies[0].message["Message-ID"] == copies[1].message["Message-ID"]


def test_a_server_that_goes_away_and_comes_back(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The server stops for good mid-list: who was not sent is said and the run fails;
    the next run, once it is back, sends only to them."""
    issue = write_publication(tmp_path)
    readers_csv(tmp_path / "readers.csv", addresses(6))
    box = Mailbox(slow_after=2, slow_seconds=30)
    with start_server(tmp_path, box) as server:
        port = server.port
        process = subprocess.Popen(
            newsletter_argv("send", issue, "--list", "readers.csv", "--smtp", server.address,
                            "--no-tls", "--retry-wait", "0.2"),
            cwd=tmp_path, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        box.wait_for(3)
        server.stop()  # mid-answer to the third
        out, err = process.communicate(timeout=60)
    result = Result(process.returncode, out.decode(), err.decode())
    assert_no_crash(result)
    assert result.exit_code == 1
    assert counts(result) == (2, 0, 0, 1, 3)
    assert "could not be reached again" in result.stderr
    second = Mailbox()
    with start_server(tmp_path, second, port=port) as server:
        monkeypatch.chdir(tmp_path)
        rerun = send(Cli(), issue, server, "--list", "readers.csv")
    assert counts(rerun) == (3, 2, 0, 1, 0)
    assert "reader02@example.org: uncertain" in rerun.stderr
    total = dict(box.copies())
    for address, count in second.copies().items():
        total[address] = total.get(address, 0) + count
    assert total == {a: 1 for a in addresses(6)}


# ------------------------------------------------------------------ killed mid-list


def test_killed_mid_list_then_run_again_sends_each_reader_one_copy(tmp_path: Path) -> None:
    issue = write_publication(tmp_path)
    readers = addresses(10)
    readers_csv(tmp_path / "readers.csv", readers)
    argv = ("send", issue, "--list", "readers.csv", "--no-tls", "--retry-wait", "0")
    box = Mailbox(slow_after=3, slow_seconds=60)
    with start_server(tmp_path, box) as server:
        process = subprocess.Popen(newsletter_argv(*argv, "--smtp", server.address),
                                   cwd=tmp_path, env=child_env(), stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE)
        box.wait_for(4)  # the fourth is stored; its answer is slow in coming
        time.sleep(0.2)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
        assert process.returncode == -signal.SIGKILL
        box.slow_after = None
        events = [(r["event"], r["to"]) for r in log_records(tmp_path)]
        assert events[-1] == ("sending", "reader03@example.org")

        rerun = subprocess.run(newsletter_argv(*argv, "--smtp", server.address), cwd=tmp_path,
                               env=child_env(), capture_output=True, timeout=60)
        result = Result(rerun.returncode, rerun.stdout.decode(), rerun.stderr.decode())
        assert_no_crash(result)
        assert result.exit_code == 0, result.output
        assert counts(result) == (6, 3, 0, 1, 0)
        named = [line for line in result.stderr.splitlines() if "uncertain" in line]
        assert len(named) == 1 and named[0].startswith("reader03@example.org: uncertain: ")
        assert "--resend-uncertain" in named[0]
        # Exactly one copy each: the uncertain one had arrived, and was not doubled.
        assert box.copies() == {a: 1 for a in readers}

        third = subprocess.run(newsletter_argv(*argv, "--smtp", server.address),
                               cwd=tmp_path, env=child_env(), capture_output=True, timeout=60)
        assert third.returncode == 0
        assert counts(Result(0, third.stdout.decode(), "")) == (0, 9, 0, 1, 0)
    assert box.copies() == {a: 1 for a in readers}


def test_ctrl_c_mid_list_says_what_was_done(tmp_path: Path) -> None:
    issue = write_publication(tmp_path)
    readers_csv(tmp_path / "readers.csv", addresses(5))
    argv = ("send", issue, "--list", "readers.csv", "--no-tls", "--retry-wait", "0")
    box = Mailbox(slow_after=2, slow_seconds=60)
    with start_server(tmp_path, box) as server:
        process = subprocess.Popen(newsletter_argv(*argv, "--smtp", server.address),
                                   cwd=tmp_path, env=child_env(), stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE)
        box.wait_for(3)
        time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
        result = Result(process.returncode, out.decode(), err.decode())
        assert "Traceback" not in result.output
        assert result.exit_code == 130
        assert counts(result) == (2, 0, 0, 1, 0)
        assert result.stderr.splitlines()[-1].startswith("newsletter: error: interrupted; ")
        assert "reader02@example.org: uncertain: interrupted" in result.stderr
        box.slow_after = None
        rerun = subprocess.run(newsletter_argv(*argv, "--smtp", server.address), cwd=tmp_path,
                               env=child_env(), capture_output=True, timeout=60)
        assert counts(Result(0, rerun.stdout.decode(), "")) == (2, 2, 0, 1, 0)
    assert box.copies() == {a: 1 for a in addresses(5)}


# ------------------------------------------------------------------ drafts, tests, dry runs


def test_a_draft_is_refused_but_a_test_copy_goes(cli: Cli, tmp_path: Path) -> None:
    issue = write_publication(tmp_path, status="draft")
    readers_csv(tmp_path / "readers.csv", addresses(2))
    with start_server(tmp_path) as server:
        refused = send(cli, issue, server, "--list", "readers.csv")
        assert refused.exit_code == 2 and "is a draft" in refused.stderr
        test = send(cli, issue, server, "--test", "Ed <ed@example.com>")
    assert test.exit_code == 0, test.output
    assert test.stdout.splitlines()[-1].endswith("(a test copy)")
    assert server.mailbox.copies() == {"ed@example.com": 1}
    message = server.mailbox.received[0].message
    assert message["Subject"] == "[TEST] [Draft] Sparse attention, cheaper – AI Research Weekly"
    assert message["To"] == "Ed <ed@example.com>"
    assert "ed%40" not in message["List-Unsubscribe"]  # '@' stays as it is in a query
    assert "reader=ed@example.com" in message["List-Unsubscribe"]
    # A test copy is no send: the log does not hold it, and the list still gets its own.
    assert not (tmp_path / "sends").exists()


def test_an_issue_that_does_not_check_is_refused(cli: Cli, issue: Path,
                                                 tmp_path: Path) -> None:
    paper = issue / "papers" / "01-paper.toml"
    paper.write_text(paper.read_text().replace("score = 8.2", 'score = "8.2"'))
    result = cli("send", issue, "--to", "ann@example.org", "--smtp", "127.0.0.1:9")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert "01-paper.toml:3:9: error:" in lines[0]
    assert lines[-1].endswith("cannot send: fix the problems above first")


def test_a_list_send_needs_a_way_to_leave(cli: Cli, tmp_path: Path) -> None:
    issue = write_publication(tmp_path, 'email_from = "Ed <ed@example.com>"\n')
    readers_csv(tmp_path / "readers.csv", addresses(1))
    with start_server(tmp_path) as server:
        refused = send(cli, issue, server, "--list", "readers.csv")
        assert refused.exit_code == 2 and "unsubscribe_url" in refused.stderr
        alone = send(cli, issue, server, "--to", "ann@example.org")
    assert alone.exit_code == 0, alone.output
    assert server.mailbox.copies() == {"ann@example.org": 1}


def test_a_one_click_url_without_the_reader_is_warned_of(cli: Cli, tmp_path: Path) -> None:
    issue = write_publication(tmp_path, 'email_from = "Ed <ed@example.com>"\n'
                              'unsubscribe_url = "https://example.com/leave"\n')
    with start_server(tmp_path) as server:
        result = send(cli, issue, server, "--to", "ann@example.org")
    assert result.exit_code == 0
    assert "unsubscribe_url has no [email]" in result.stderr


def test_an_unknown_placeholder_is_refused(cli: Cli, tmp_path: Path) -> None:
    issue = write_publication(tmp_path, 'email_from = "Ed <ed@example.com>"\n'
                              'unsubscribe_url = "https://example.com/leave?u=[name]"\n')
    result = cli("send", issue, "--to", "ann@example.org", "--smtp", "127.0.0.1:9")
    assert result.exit_code == 2
    assert "the one placeholder is [email]" in result.stderr


def test_dry_run_lists_who_would_be_sent_and_sends_nothing(cli: Cli, issue: Path,
                                                           tmp_path: Path) -> None:
    readers_csv(tmp_path / "readers.csv", addresses(3))
    fresh = cli("send", issue, "--list", "readers.csv", "--dry-run")
    assert fresh.exit_code == 0, fresh.output
    assert fresh.stdout.splitlines() == [
        "would send reader00@example.org", "would send reader01@example.org",
        "would send reader02@example.org",
        "issue 1: would send 3, already sent 0, uncertain 0 (dry run: nothing sent)"]
    assert not (tmp_path / "sends").exists()
    with start_server(tmp_path) as server:
        send(cli, issue, server, "--to", "reader01@example.org")
        after = send(cli, issue, server, "--list", "readers.csv", "--dry-run")
    assert after.stdout.splitlines()[:2] == ["would send reader00@example.org",
                                             "would send reader02@example.org"]
    assert after.stdout.splitlines()[2].startswith("already sent reader01@example.org (")
    assert server.mailbox.copies() == {"reader01@example.org": 1}


def test_a_changed_issue_is_noticed(cli: Cli, issue: Path, tmp_path: Path) -> None:
    readers_csv(tmp_path / "readers.csv", addresses(4))
    with start_server(tmp_path) as server:
        send(cli, issue, server, "--to", "reader00@example.org", "--to", "reader01@example.org")
        toml = issue / "issue.toml"
        toml.write_text(toml.read_text().replace("Sparse attention, cheaper",
                                                 "Sparse attention, cheaper still"))
        refused = send(cli, issue, server, "--list", "readers.csv")
        assert refused.exit_code == 2
        assert "changed since 2 of these readers were sent it" in refused.stderr
        assert "--allow-changed" in refused.stderr
        allowed = send(cli, issue, server, "--list", "readers.csv", "--allow-changed")
    assert counts(allowed) == (2, 2, 0, 0, 0)
    assert server.mailbox.copies() == {a: 1 for a in addresses(4)}
    subjects = [r.message["Subject"] for r in server.mailbox.received]
    assert subjects[2:] == ["Sparse attention, cheaper still – AI Research Weekly"] * 2


def test_the_rate_limit_spaces_messages(cli: Cli, issue: Path, tmp_path: Path) -> None:
    with start_server(tmp_path) as server:
        started = time.monotonic()
        result = send(cli, issue, server, "--to", "a@example.org", "--to", "b@example.org",
                      "--to", "c@example.org", "--rate", "300")
    assert result.exit_code == 0
    assert time.monotonic() - started >= 0.4  # two gaps of 0.2 s
