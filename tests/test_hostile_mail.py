"""A hostile publication against ``newsletter render --format email`` (and the ``check`` CI
runs before it): no header a file or a flag did not ask for, no line over 998 octets,
addresses written as mail readers read them, and the same bytes for the same issue.

Each test writes the contributor's files into a scratch folder, runs the command CI or the
editor runs, and judges what came out: the .eml's bytes line by line and as Python's email
package (policy=default) parses them, or the one-line refusal.
"""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.support.cli import Run, check_output, one_line_error, render_output
from tests.support.publication import one_issue, paper

INJECTION = "=?utf-8?q?Weekly=0D=0ABcc=3A_leak=40attacker=2Eexample?="
SENDER = "Ed <ed@example.com>"
# The headers a newsletter's mail has; anything else was smuggled in.
HEADERS = {"Subject", "From", "To", "Date", "Message-ID", "MIME-Version", "Content-Type",
           "Content-Language"}


def _issue(root: Path, *, config: str = "", extra: str = "") -> Path:
    return one_issue(root, paper(), config=config, extra=extra)


def _email(run: Run, issue: Path, *flags: str) -> tuple[bytes, EmailMessage]:
    result = run("render", str(issue), "--format", "email", "--output", "out.eml", *flags)
    assert result.exit_code == 0, result.output
    raw = Path("out.eml").read_bytes()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return raw, message


def _head_lines(raw: bytes) -> list[bytes]:
    return raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")


def _no_smuggled_header(raw: bytes, message: EmailMessage) -> None:
    assert set(message.keys()) <= HEADERS, message.keys()
    assert b"Bcc" not in raw.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 998 for line in raw.split(b"\r\n")), "a line over 998 octets"


# ------------------------------------------------------------------ A. header injection


@pytest.mark.parametrize(("where", "config", "extra", "spot"), [
    ("issue title", "", f'title = "{INJECTION}"\n', "issues/001/issue.toml:4:9"),
    ("publication name", f'email_from = "{SENDER}"\n', "", "newsletter.toml:1:8"),
    ("email_from", f'email_from = "Ed {INJECTION} <ed@example.com>"\n', "",
     "newsletter.toml:3:14"),
    ("email_to", f'email_from = "{SENDER}"\nemail_to = "{INJECTION} <a@example.com>"\n', "",
     "newsletter.toml:4:12"),
])
def test_an_encoded_word_in_a_header_field_is_refused_at_its_line(
        run: Run, tmp_path: Path, where: str, config: str, extra: str, spot: str) -> None:
    issue = _issue(tmp_path, config=config, extra=extra)
    if where == "publication name":
        text = (tmp_path / "newsletter.toml").read_text(encoding="utf-8")
        (tmp_path / "newsletter.toml").write_text(
            text.replace('name = "AI Research Weekly"', f'name = "{INJECTION}"'),
            encoding="utf-8")
    found = check_output(run("check", "."), tmp_path)
    refusals = [p for p in found if "encoded word" in p.message]
    assert [f"{p.path}:{p.line}:{p.column}" for p in refusals] == [spot], found
    assert refusals[0].severity == "error" and refusals[0].rule == "invalid-value"

    # The editor's render refuses it too: no .eml, so no Bcc header anywhere.
    result = run("render", str(issue), "--format", "email", "--from", SENDER,
                 "--output", "out.eml")
    render_output(result, tmp_path)
    assert result.exit_code == 1 and not Path("out.eml").exists()


@pytest.mark.parametrize("flag", ["--subject", "--from", "--to"])
@pytest.mark.parametrize(("value", "says"), [
    (INJECTION, "encoded word"),
    ("Weekly\r\nBcc: leak@attacker.example", "U+000D"),
    ("Weekly\nBcc: leak@attacker.example", "U+000A"),
    ("Weekly \x1b[31m", "U+001B"),
    ("Weekly\u2028Bcc: leak@attacker.example", "U+2028"),
    ("Weekly \x85", "U+0085"),
    ("Weekly\x00", "U+0000"),
])
def test_a_header_flag_with_an_encoded_word_or_a_control_is_a_usage_error(
        run: Run, tmp_path: Path, flag: str, value: str, says: str) -> None:
    issue = _issue(tmp_path)
    flags = {"--subject": [], "--from": [], "--to": ["--from", SENDER]}[flag]
    if flag == "--from" or flag == "--to":
        value = f"{value} <ed@example.com>"
    result = run("render", str(issue), "--format", "email", *flags, flag, value,
                 "--output", "out.eml", *([] if flag != "--subject" else ["--from", SENDER]))
    line = one_line_error(result)
    assert result.exit_code == 2, result.output
    assert flag in line and says in line, line
    assert not Path("out.eml").exists()


@pytest.mark.parametrize("name", [
    "y" * 3000,                              # one word: cannot fold
    "word " * 600,                            # folds between words
    '"' + "Smith, J. " * 300 + '"',           # quoted, with commas: folding must keep quotes
    "Zoë " * 700,                             # non-ASCII: encoded words
    '"' + 'say \\"hi\\" ' * 250 + '"',        # quoted pairs
])
def test_a_long_display_name_is_folded_or_refused_never_over_998_octets(
        run: Run, tmp_path: Path, name: str) -> None:
    issue = _issue(tmp_path)
    result = run("render", str(issue), "--format", "email", "--from", f"{name} <ed@example.com>",
                 "--to", "list@example.com", "--output", "out.eml")
    if result.exit_code != 0:
        line = one_line_error(result)
        assert result.exit_code == 2 and "--from" in line, line
        assert not Path("out.eml").exists()
        return
    raw = Path("out.eml").read_bytes()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    _no_smuggled_header(raw, message)
    # Still one sender, the one asked for: a display name never becomes addresses.
    assert [a.addr_spec for a in message["From"].addresses] == ["ed@example.com"]
    assert [a.addr_spec for a in message["To"].addresses] == ["list@example.com"]


def test_a_3000_character_subject_is_folded(run: Run, tmp_path: Path) -> None:
    issue = _issue(tmp_path)
    for subject in ("x" * 3000, "Ünïcödé wörds " * 200):
        raw, message = _email(run, issue, "--from", SENDER, "--subject", subject)
        _no_smuggled_header(raw, message)
        assert all(len(line) <= 78 for line in _head_lines(raw)), _head_lines(raw)
        assert message["Subject"] == " ".join(subject.split())


@pytest.mark.parametrize("value", [
    "alice@example.org)<bob@example.org>",   # read as Bob by lenient parsers
    "Ed, Bcc <leak@attacker.example>",       # an unquoted comma makes two addresses
    '"Ed" leak <ed@example.com>',           # text after the quoted name
    "Ed <ed@example.com> <leak@attacker.example>",
    "Ed <ed@exa mple.com>",
    "group: a@example.com;",
    "Ed <ed@example.com>,",
    '"unterminated <ed@example.com>',
    "Ed <ed..x@example.com>",
    "Ed <ed@-bad.example>",
])
def test_an_address_that_could_be_read_two_ways_is_refused(
        run: Run, tmp_path: Path, value: str) -> None:
    issue = _issue(tmp_path)
    result = run("render", str(issue), "--format", "email", "--from", value,
                 "--output", "out.eml")
    line = one_line_error(result)
    assert result.exit_code == 2 and "--from" in line, line
    assert not Path("out.eml").exists()


def test_an_internationalised_domain_is_written_in_idna(run: Run, tmp_path: Path) -> None:
    issue = _issue(tmp_path, config='email_from = "Zoë <ed@bücher.example>"\n'
                                     'email_to = "Leser <liste@bücher.example>"\n')
    check_output(run("check", "."), tmp_path)
    raw, message = _email(run, issue)
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii(), head
    assert [a.addr_spec for a in message["From"].addresses] == ["ed@xn--bcher-kva.example"]
    assert message["From"].addresses[0].display_name == "Zoë"
    assert [a.addr_spec for a in message["To"].addresses] == ["liste@xn--bcher-kva.example"]
    assert str(message["Message-ID"]).endswith("@xn--bcher-kva.example>")


def test_a_non_ascii_local_part_is_refused_in_one_line(run: Run, tmp_path: Path) -> None:
    # In newsletter.toml: a check error at the field's line ...
    issue = _issue(tmp_path, config='email_from = "Ed <ëd@example.com>"\n')
    found = check_output(run("check", "."), tmp_path)
    assert [(p.path, p.line, p.column) for p in found if "SMTPUTF8" in p.message] == [
        ("newsletter.toml", 3, 14)], found
    # ... and as a flag, a usage error: exit 2, not an internal error (70).
    issue = _issue(tmp_path)
    result = run("render", str(issue), "--format", "email", "--from", "Ed <ëd@example.com>")
    line = one_line_error(result)
    assert result.exit_code == 2 and "--from" in line and "SMTPUTF8" in line, line


# ------------------------------------------------------------------ B. reproducible mail


def test_two_renders_give_the_same_bytes_and_a_well_formed_message(
        run: Run, tmp_path: Path) -> None:
    issue = _issue(tmp_path, config=f'email_from = "{SENDER}"\nemail_to = "list@example.com"\n')
    first = run("render", str(issue), "--format", "email", "--output", "one.eml")
    second = run("render", str(issue), "--format", "email", "--output", "two.eml")
    assert first.exit_code == second.exit_code == 0, first.output + second.output
    raw = Path("one.eml").read_bytes()
    assert raw == Path("two.eml").read_bytes(), "two renders of one issue differ"

    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "text/plain", "text/html"]
    assert not message.defects and all(not part.defects for part in message.iter_parts())
    boundary = message.get_boundary()
    assert boundary
    # Exactly the two parts and the closing delimiter: the boundary is in no part.
    assert raw.count(b"--" + boundary.encode()) == 3


def test_the_boundary_is_never_one_the_parts_contain(monkeypatch: pytest.MonkeyPatch) -> None:
    from newsletter.render import mail

    parts = [b"Content-Type: text/plain\r\n\r\nhello =_clash\r\n", b"<p>hi</p>"]
    assert mail._boundary(parts) == mail._boundary(parts), "not derived from the content"
    # Should the first candidate occur in a part, the next one is taken, still the same
    # for the same content.
    real = mail._candidate
    monkeypatch.setattr(mail, "_candidate",
                        lambda seed, attempt: "=_clash" if attempt == 0 else real(seed, attempt))
    chosen = mail._boundary(parts)
    assert chosen != "=_clash" and all(chosen.encode() not in part for part in parts)
    assert chosen == mail._boundary(parts)
