"""``newsletter draft`` and ``review`` against a hostile publication and a hostile server.

Every file of a publication is written by whoever sends a pull request, and the endpoint
may answer anything: nothing may leak the API key, exhaust memory or time, write outside
the publication or through a link, lose an editor's text, or end in a traceback. Servers
are on 127.0.0.1 (tests/support/chat.py); every other socket is refused.
"""

from __future__ import annotations

import gzip
import json
import socket
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from werkzeug import Request, Response

from newsletter.check.grounding import figures, grounds, ungrounded
from newsletter.draft.client import DraftError, key_for
from tests import test_draft
from tests.support.chat import Answer, ChatStandIn, RawServer, completion
from tests.support.cli import Cli, Result
from tests.test_draft import PAPER, errors, paper

# The fixtures of tests/test_draft.py: the stand-in server, the imported paper, the CLI.
pytestmark = pytest.mark.usefixtures("only_this_machine")
server = test_draft.server
chat = test_draft.chat
cli = test_draft.cli
imported = test_draft.imported

KEY = "sk-test-not-a-secret"
GOOD = (Path(__file__).parent / "fixtures" / "chat" / "good-briefing.json").read_text()


def _respond(connection: socket.socket, status: str = "200 OK", body: bytes = b"",
             headers: tuple[str, ...] = ("Content-Type: application/json",)) -> None:
    head = "\r\n".join([f"HTTP/1.1 {status}", *headers, f"Content-Length: {len(body)}",
                        "Connection: close", "", ""])
    connection.sendall(head.encode() + body)


def _draft(root: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch, endpoint: str,
           *args: str, extra: str = "", timeout: float = 60) -> Result:
    monkeypatch.setenv("NEWSLETTER_DRAFT_ENDPOINT", endpoint)
    monkeypatch.setenv("NEWSLETTER_DRAFT_API_KEY", KEY)
    if extra:
        toml = root / "newsletter.toml"
        toml.write_text(toml.read_text().replace("attempts = 2\n", "") + extra)
    return cli("draft", "issues/012", *args, timeout=timeout)


def _refused(result: Result, before: str, root: Path, *expected: str) -> str:
    """The run failed with one line holding ``expected``, the key nowhere, nothing
    written."""
    assert result.exit_code != 0, result.output
    lines = errors(result)
    assert lines, result.output
    for text in expected:
        assert text in lines[0], lines[0]
    assert KEY not in result.output
    assert (root / PAPER).read_text(encoding="utf-8") == before
    return lines[0]


# ------------------------------------------------------------------ the key

@pytest.mark.parametrize("endpoint", [
    "http://127.0.0.1@collector.example/v1", "http://localhost.collector.example/v1",
    "http://0x7f000001/v1", "http://2130706433/v1", "http://127.1/v1",
    "http://localhost./v1", "http://127.0.0.1%2F@collector.example/v1",
    "http://127.0.0.1:80\\@collector.example/v1", "http://collector.example?@127.0.0.1/v1",
    "https://api.openai.com.collector.example/v1", "https://API.OPENAI.COM@collector.example/",
])
def test_an_endpoint_from_newsletter_toml_that_only_looks_local_gets_no_key(
        endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSLETTER_DRAFT_API_KEY", KEY)
    with pytest.raises(DraftError, match="neither OpenAI's API nor this machine"):
        key_for(endpoint, endpoint_chosen=False)


@pytest.mark.parametrize("endpoint", ["http://[::1]:11434/v1", "http://LOCALHOST:1234/v1",
                                      "http://127.0.0.1:8000/v1", "https://api.openai.com/v1"])
def test_this_machine_and_openai_get_the_key(endpoint: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSLETTER_DRAFT_API_KEY", KEY)
    assert key_for(endpoint, endpoint_chosen=False) == KEY


def test_a_tricky_endpoint_in_newsletter_toml_is_refused_before_any_request(
        imported: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    before = (imported / PAPER).read_text()
    monkeypatch.delenv("NEWSLETTER_DRAFT_ENDPOINT", raising=False)
    monkeypatch.setenv("NEWSLETTER_DRAFT_API_KEY", KEY)
    toml = imported / "newsletter.toml"
    toml.write_text(toml.read_text() + 'endpoint = "http://127.0.0.1@collector.example/v1"\n')
    result = cli("draft", "issues/012")
    _refused(result, before, imported, "collector.example", "neither OpenAI's API")


def test_a_redirect_is_not_followed_to_another_server(
        imported: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """The endpoint answers 307 to another origin: neither the key nor the paper goes
    there (an API endpoint has no reason to redirect)."""
    before = (imported / PAPER).read_text()
    with RawServer(lambda c, _: _respond(c, body=completion(GOOD))) as other:
        target = f"http://localhost:{other.port}/v1/chat/completions"
        with RawServer(lambda c, _: _respond(c, "307 Temporary Redirect", b"",
                                             (f"Location: {target}",))) as first:
            result = _draft(imported, cli, monkeypatch, first.endpoint)
        assert other.heads == []
    line = _refused(result, before, imported, "HTTP 307")
    assert "redirect" in line


def test_a_key_in_the_endpoint_url_is_never_printed(
        imported: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    before = (imported / PAPER).read_text()
    with RawServer(lambda c, _: _respond(c, "500 Internal Server Error",
                                         b"<html>oops</html>",
                                         ("Content-Type: text/html",))) as raw:
        endpoint = raw.endpoint.replace("http://", "http://editor:hunter2@")
        result = _draft(imported, cli, monkeypatch, endpoint)
    line = _refused(result, before, imported, "HTTP 500")
    assert "hunter2" not in result.output and "editor:" not in line


def test_a_server_that_echoes_the_key_gets_it_neither_printed_nor_written(
        imported: Path, chat: ChatStandIn, cli: Cli) -> None:
    before = (imported / PAPER).read_text()
    chat.script(Answer(status=401, body=json.dumps(
        {"error": {"message": f"Incorrect API key provided: {KEY}"}}).encode()))
    result = cli("draft", "issues/012")
    _refused(result, before, imported, "refused the API key")

    answer = json.loads(GOOD)
    answer["problem"] = f"The key is {KEY}."
    chat.script(Answer(content=json.dumps(answer)))
    result = cli("draft", "issues/012")
    _refused(result, before, imported, "API key")
    assert KEY not in (imported / PAPER).read_text()


def test_the_dry_run_shows_no_key(imported: Path, chat: ChatStandIn, cli: Cli) -> None:
    result = cli("draft", "issues/012", "--dry-run")
    assert result.exit_code == 0 and KEY not in result.output


# ------------------------------------------------------------------ answers too large or slow

def _endless(status: str, encoding: str | None = None) -> Callable[[socket.socket, bytes],
                                                                    None]:
    def handle(connection: socket.socket, _: bytes) -> None:
        headers = [f"HTTP/1.1 {status}", "Content-Type: application/json",
                   "Transfer-Encoding: chunked", "Connection: close"]
        if encoding:
            headers.append(f"Content-Encoding: {encoding}")
        connection.sendall(("\r\n".join(headers) + "\r\n\r\n").encode())
        chunk = b'{"error": {"message": "' + b"x" * 65536
        for _chunk in range(4096):  # 256 MiB, unless the client hangs up first
            connection.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        connection.sendall(b"0\r\n\r\n")

    return handle


@pytest.mark.parametrize("status", ["200 OK", "400 Bad Request", "500 Internal Server Error"])
def test_an_endless_answer_is_cut_at_the_cap(imported: Path, cli: Cli,
                                             monkeypatch: pytest.MonkeyPatch,
                                             status: str) -> None:
    before = (imported / PAPER).read_text()
    with RawServer(_endless(status)) as raw:
        result = _draft(imported, cli, monkeypatch, raw.endpoint, extra="attempts = 1\n")
    _refused(result, before, imported, "larger than 1024 KiB")
    assert max(raw.sent) < 64 * 1024 * 1024, raw.sent  # it hung up early, every time


def _bomb(status: str) -> Callable[[socket.socket, bytes], None]:
    body = gzip.compress(b'{"error": {"message": "' + b" " * (200 * 1024 * 1024),
                         compresslevel=9)

    def handle(connection: socket.socket, _: bytes) -> None:
        _respond(connection, status, body, ("Content-Type: application/json",
                                            "Content-Encoding: gzip"))

    return handle


@pytest.mark.parametrize("status", ["200 OK", "500 Internal Server Error"])
def test_a_gzip_bomb_is_refused_unpacked(imported: Path, cli: Cli,
                                         monkeypatch: pytest.MonkeyPatch, status: str) -> None:
    """200 MiB of gzip in 200 KiB: asked for no compression, the answer is refused as soon
    as its headers say it is compressed, before a byte of it is unpacked."""
    before = (imported / PAPER).read_text()
    with RawServer(_bomb(status)) as raw:
        result = _draft(imported, cli, monkeypatch, raw.endpoint, extra="attempts = 1\n")
    _refused(result, before, imported, "is compressed (gzip) though it was asked not to be")
    assert all(b"\r\nAccept-Encoding: identity\r\n" in head for head in raw.heads)


def test_a_server_that_answers_a_byte_at_a_time_is_timed_out_in_total(
        imported: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    before = (imported / PAPER).read_text()
    body = completion(GOOD)

    def drip(connection: socket.socket, _: bytes) -> None:
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                           b"Content-Length: %d\r\n\r\n" % len(body))
        for byte in body:
            connection.sendall(bytes([byte]))
            time.sleep(0.2)  # well within the timeout between bytes, forever in total

    with RawServer(drip) as raw:
        started = time.monotonic()
        result = _draft(imported, cli, monkeypatch, raw.endpoint,
                        extra="attempts = 1\ntimeout = 1\n", timeout=120)
        took = time.monotonic() - started
    _refused(result, before, imported, "no answer from 127.0.0.1", "within 1 s")
    assert took < 15, took


def test_a_server_that_sends_its_headers_a_byte_at_a_time_is_timed_out_in_total(
        imported: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    before = (imported / PAPER).read_text()

    def drip(connection: socket.socket, _: bytes) -> None:
        connection.sendall(b"HTTP/1.1 200 OK\r\n")
        for _byte in range(500):
            connection.sendall(b"X")
            time.sleep(0.2)

    with RawServer(drip) as raw:
        started = time.monotonic()
        result = _draft(imported, cli, monkeypatch, raw.endpoint,
                        extra="attempts = 1\ntimeout = 1\n", timeout=120)
        took = time.monotonic() - started
    _refused(result, before, imported, "no answer from 127.0.0.1")
    assert took < 15, took


@pytest.mark.parametrize("handle", [
    pytest.param(lambda c, _: (c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n"
                                         b'{"choices": ['), c.close()), id="closed-mid-body"),
    pytest.param(lambda c, _: _respond(c, body=b"\x1f\x8b not gzip at all",
                                       headers=("Content-Encoding: gzip",)), id="bad-gzip"),
    pytest.param(lambda c, _: c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                        b"zz\r\n"), id="bad-chunk"),
    pytest.param(lambda c, _: c.sendall(b"\x1b[2J garbage\r\n\r\n"), id="not-http"),
])
def test_a_broken_answer_is_one_line(imported: Path, cli: Cli,
                                     monkeypatch: pytest.MonkeyPatch,
                                     handle: Callable[[socket.socket, bytes], None]) -> None:
    before = (imported / PAPER).read_text()
    with RawServer(handle) as raw:
        result = _draft(imported, cli, monkeypatch, raw.endpoint, extra="attempts = 1\n")
    line = _refused(result, before, imported, PAPER)
    assert "\x1b" not in result.output, line


# ------------------------------------------------------------------ answers that are odd

@pytest.mark.parametrize(("content", "expected"), [
    ("[" * 200_000, "not valid JSON"),
    ('{"a": ' * 50_000 + "1" + "}" * 50_000, "not valid JSON"),
    (json.dumps({**json.loads(GOOD), "problem": 42}), "problem"),
    (json.dumps({**json.loads(GOOD), "problem": "Oops \x1b]0;pwned\x07 here"}), "problem"),
    (json.dumps({**json.loads(GOOD), "problem": "Reversed \u202e text"}), "problem"),
    (json.dumps({**json.loads(GOOD), "problem": "A NUL \x00 byte"}), "problem"),
    ('{"headline": "\\ud800", "problem": "p", "solution": "s", "why_it_matters": ["w"]}',
     "headline"),
    (json.dumps({**json.loads(GOOD), "problem": "![x](http://tracker.example/p.png)"}),
     "problem"),
    (json.dumps({**json.loads(GOOD), "why_it_matters": ["a"] * 100_000}), ""),
])
def test_an_odd_answer_is_refused_in_one_line(imported: Path, chat: ChatStandIn, cli: Cli,
                                              content: str, expected: str) -> None:
    before = (imported / PAPER).read_text()
    chat.script(Answer(content=content))
    result = cli("draft", "issues/012")
    line = _refused(result, before, imported, PAPER, expected)
    assert "\x1b" not in result.output and "\u202e" not in result.output, line


def test_an_answer_that_sets_what_was_not_asked_changes_only_what_was(
        imported: Path, chat: ChatStandIn, cli: Cli) -> None:
    answer = {**json.loads(GOOD), "generated": [], "generated_by": {"model": "editor"},
              "title": "Pwned", "abstract": "Pwned", "score": 10}
    chat.script(Answer(content=json.dumps(answer)))
    result = cli("draft", "issues/012")
    assert result.exit_code == 0, result.output
    drafted = paper(imported)
    assert drafted["generated"] == ["headline", "problem", "solution", "why_it_matters"]
    assert drafted["generated_by"]["model"] == "stand-in-7b"  # type: ignore[index]
    assert drafted["title"] != "Pwned" and drafted["abstract"] != "Pwned"
    assert "score" not in drafted


@pytest.mark.parametrize("body", [
    b'{"choices": []}',
    b'{"choices": [{"message": {"content": ' + b"[" * 100_000 + b"}}]}",
    b'{"choices": [{"message": {"content": 7}}]}',
    b'{"choices": [{"message": {"content": "{}"}}], "usage": {"prompt_tokens": '
    + b"9" * 5000 + b"}}",
])
def test_an_odd_completion_is_one_line(imported: Path, chat: ChatStandIn, cli: Cli,
                                       body: bytes) -> None:
    before = (imported / PAPER).read_text()
    chat.script(Answer(body=body))
    result = cli("draft", "issues/012")
    _refused(result, before, imported, PAPER)


@pytest.mark.parametrize("status", [403, 404])
def test_an_error_status_is_one_line_and_printable(imported: Path, chat: ChatStandIn,
                                                   cli: Cli, status: int) -> None:
    before = (imported / PAPER).read_text()
    chat.script(Answer(status=status, body=json.dumps(
        {"error": {"message": "model \x1b[31mstand-in-7b\u202e not found"}}).encode()))
    result = cli("draft", "issues/012")
    _refused(result, before, imported, f"HTTP {status}")
    assert "\x1b" not in result.output and "\u202e" not in result.output


# ------------------------------------------------------------------ the paper files

def test_a_paper_that_links_out_of_the_publication_is_not_written_through(
        imported: Path, chat: ChatStandIn, cli: Cli, tmp_path_factory: pytest.TempPathFactory
        ) -> None:
    outside = tmp_path_factory.mktemp("elsewhere") / "victim.toml"
    path = imported / PAPER
    outside.write_text(path.read_text())
    before = outside.read_text()
    path.unlink()
    path.symlink_to(outside)
    result = cli("draft", "issues/012")
    assert "Traceback" not in result.output
    assert outside.read_text() == before and chat.requests == []
    assert f"note: {PAPER}: is a link that leads outside the publication" in result.stderr
    assert str(outside) not in result.output


def test_an_editor_saving_meanwhile_is_not_overwritten(imported: Path, chat: ChatStandIn,
                                                       cli: Cli) -> None:
    path = imported / PAPER
    saved = path.read_text() + '# the editor saved this while the model thought\n'

    def answer(request: Request) -> Response:
        path.write_text(saved)
        return original(request)

    original = chat._answer
    chat.server.clear()
    chat.server.expect_request("/v1/chat/completions").respond_with_handler(answer)
    result = cli("draft", "issues/012")
    assert result.exit_code == 1
    assert "changed on disk meanwhile" in errors(result)[0]
    assert path.read_text() == saved


@pytest.mark.parametrize("shape", ["crlf", "comments", "also_in", "inline", "dotted", "bom"])
def test_the_edit_keeps_the_file_s_own_shape(imported: Path, chat: ChatStandIn, cli: Cli,
                                             shape: str) -> None:
    path = imported / PAPER
    text = path.read_text()
    if shape == "crlf":
        text = text.replace("\n", "\r\n")
    elif shape == "comments":
        text = "# the editor's header\n" + text.replace("\n", "  # kept\n", 1) + "# tail\n"
    elif shape == "also_in":
        text += '\nheadline = ""\n\n[[also_in]]\nsection = "Elsewhere"\n'
    elif shape == "inline":
        text += '\nalso_in = [{ section = "Elsewhere" }]\n'
    elif shape == "dotted":
        text += '\ngenerated_by.model = "old-model"\ngenerated_by.prompt = "sha256:' \
                + "0" * 64 + '"\n'
    elif shape == "bom":
        text = "\ufeff" + text
    path.write_bytes(text.encode())
    wanted = tomllib.loads(text.removeprefix("\ufeff"))
    result = cli("draft", "issues/012")
    assert "Traceback" not in result.output
    assert result.exit_code == 0, result.output
    new = path.read_bytes().decode()
    drafted = tomllib.loads(new.removeprefix("\ufeff"))
    for key, value in wanted.items():
        if key not in ("headline", "generated_by"):
            assert drafted[key] == value, key
    assert drafted["generated_by"]["model"] == "stand-in-7b"  # type: ignore[index]
    assert drafted["headline"] == json.loads(GOOD)["headline"]
    if shape == "crlf":
        assert "\r\n" in new and "\n" not in new.replace("\r\n", "")
    if shape == "comments":
        assert new.startswith("# the editor's header\n") and "  # kept" in new
    if shape == "bom":
        assert new.startswith("\ufeff")


def test_an_answer_too_big_for_a_paper_file_is_not_written(imported: Path, chat: ChatStandIn,
                                                           cli: Cli) -> None:
    """An answer under the 1 MiB cap can still make the file larger than an entry may be:
    written, the paper would no longer load."""
    before = (imported / PAPER).read_text()
    answer = {**json.loads(GOOD), "why_it_matters": ['"' * 40 + "a"] * 20_000}
    chat.script(Answer(content=json.dumps(answer)))
    result = cli("draft", "issues/012")
    _refused(result, before, imported, PAPER)


@pytest.mark.parametrize("value", ['"headline"', "[1, 2]", '["title"]', '{ a = 1 }'])
def test_review_of_a_paper_whose_generated_is_not_a_list_of_fields_says_so(
        imported: Path, cli: Cli, value: str) -> None:
    path = imported / PAPER
    path.write_text(path.read_text() + f"\ngenerated = {value}\n")
    before = path.read_text()
    for args in (("--list",), ("--accept-all",)):
        result = cli("review", "issues/012", *args)
        assert "Traceback" not in result.output and result.exit_code == 0, result.output
        assert f"newsletter: note: {PAPER}: has problems; fix them first" in result.stderr
        assert path.read_text() == before


def test_review_of_a_paper_that_links_out_writes_nothing_there(
        imported: Path, chat: ChatStandIn, cli: Cli,
        tmp_path_factory: pytest.TempPathFactory) -> None:
    assert cli("draft", "issues/012").exit_code == 0
    path = imported / PAPER
    outside = tmp_path_factory.mktemp("elsewhere") / "victim.toml"
    outside.write_text(path.read_text())
    before = outside.read_text()
    path.unlink()
    path.symlink_to(outside)
    result = cli("review", "issues/012", "--accept-all")
    assert "Traceback" not in result.output
    assert outside.read_text() == before


# ------------------------------------------------------------------ the prompt template

@pytest.mark.parametrize(("template", "expected"), [
    ('{% include "/etc/passwd" %}', "draft-prompt.j2"),
    ("{% include '../../../../../../etc/passwd' %}", "draft-prompt.j2"),
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "draft-prompt.j2"),
    ("{% for i in range(10**12) %}x{% endfor %}", "draft-prompt.j2"),
    ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "draft-prompt.j2"),
    ("{{ 'x' * 10**10 }}", "draft-prompt.j2"),
    ("{% for f in fields %}{{ f.__init__.__globals__ }}{% endfor %}", "draft-prompt.j2"),
    ("{{ undefined_thing.attr }}", "draft-prompt.j2"),
    ("{% if %}", "draft-prompt.j2"),
])
def test_a_hostile_prompt_template_is_one_line_naming_it(
        imported: Path, chat: ChatStandIn, cli: Cli, template: str, expected: str) -> None:
    folder = imported / "templates" / "_base"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "draft-prompt.j2").write_text(template)
    before = (imported / PAPER).read_text()
    started = time.monotonic()
    result = cli("draft", "issues/012", "--dry-run", timeout=60)
    assert time.monotonic() - started < 30
    assert "root:" not in result.output
    _refused(result, before, imported, expected)
    assert chat.requests == []


def test_a_prompt_template_that_links_out_or_is_huge_is_refused(
        imported: Path, chat: ChatStandIn, cli: Cli,
        tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = imported / "templates" / "_base"
    folder.mkdir(parents=True, exist_ok=True)
    secret = tmp_path_factory.mktemp("elsewhere") / "secret.j2"
    secret.write_text("THE SECRET")
    (folder / "draft-prompt.j2").symlink_to(secret)
    result = cli("draft", "issues/012", "--dry-run")
    assert "THE SECRET" not in result.output and "Traceback" not in result.output
    assert result.exit_code != 0 and "draft-prompt.j2" in errors(result)[0]
    (folder / "draft-prompt.j2").unlink()
    (folder / "draft-prompt.j2").write_text("x" * (100 * 1024 * 1024))
    result = cli("draft", "issues/012", "--dry-run")
    assert result.exit_code != 0 and "draft-prompt.j2" in errors(result)[0]


# ------------------------------------------------------------------ config and names

@pytest.mark.parametrize("model", ["evil\x1b]0;pwned\x07", "two\nlines", "rtl\u202emodel"])
def test_a_model_name_with_controls_is_refused_in_one_line(
        imported: Path, chat: ChatStandIn, cli: Cli, model: str) -> None:
    before = (imported / PAPER).read_text()
    for args in (("--dry-run",), ()):
        result = cli("draft", "issues/012", "--model", model, *args)
        _refused(result, before, imported, "--model")
        assert "\x1b" not in result.output and "\u202e" not in result.output
    assert chat.requests == []


@pytest.mark.parametrize(("line", "field"), [
    ("concurrency = 17", "concurrency"), ("concurrency = 0", "concurrency"),
    ("attempts = 6", "attempts"), ("timeout = 601", "timeout"), ("timeout = nan", "timeout"),
    ('model = "a\\u001bb"', "model"), ('endpoint = "file:///etc/passwd"', "endpoint"),
    ('endpoint = "http://[::1"', "endpoint"),
])
def test_a_draft_table_out_of_bounds_is_one_line_naming_the_field(
        imported: Path, chat: ChatStandIn, cli: Cli, line: str, field: str) -> None:
    toml = imported / "newsletter.toml"
    toml.write_text(toml.read_text().replace('model = "stand-in-7b"\n', "")
                    .replace("attempts = 2\n", "") + line + "\n")
    before = (imported / PAPER).read_text()
    result = cli("draft", "issues/012", "--model", "m")
    text = _refused(result, before, imported, "newsletter.toml")
    assert field in text
    assert chat.requests == []


def test_an_endpoint_flag_that_is_not_a_url_is_one_line(imported: Path, chat: ChatStandIn,
                                                         cli: Cli) -> None:
    before = (imported / PAPER).read_text()
    for endpoint in ("http://[::1", "http://x\x1b[2J/", "file:///etc/passwd"):
        result = cli("draft", "issues/012", "--endpoint", endpoint)
        _refused(result, before, imported, "--endpoint")
        assert "\x1b" not in result.output
    assert chat.requests == []


# ------------------------------------------------------------------ ungrounded-number

@pytest.mark.parametrize("text", [
    "1" * 100_000, "1x" * 50_000, "1," * 50_000, "1,000" * 20_000, "1.0" * 30_000,
    "+1" * 50_000, "1 " * 50_000, "1/" * 50_000, "1 %" * 30_000, "1 points" * 10_000,
    "1,000,000," * 10_000, "9" * 50_000 + "x", "1" * 50_000 + " thousands",
])
def test_the_grounding_scan_is_linear_on_pathological_text(text: str) -> None:
    started = time.monotonic()
    list(figures(text))
    ground = grounds(text)
    list(ungrounded(text, ground))
    assert time.monotonic() - started < 2.0, text[:20]


def test_the_scan_still_finds_what_it_found() -> None:
    text = ("It is 1.82× faster, uses 30B parameters, at 75 % and +0.6 points; H100 and "
            "v2.5% are names, a-5% is not; 1/55th of the cost, ~70,000 steps, 1,000,000x more.")
    assert [f.text for f in figures(text)] == [
        "1.82×", "30B", "75 %", "+0.6 points", "5%", "1/55th", "~70,000 steps", "1,000,000x"]


def test_the_key_goes_to_openai_only_over_https(monkeypatch: pytest.MonkeyPatch) -> None:
    from newsletter.draft.client import DraftError, key_for

    monkeypatch.setenv("NEWSLETTER_DRAFT_API_KEY", "sk-test")
    assert key_for("https://api.openai.com/v1", endpoint_chosen=False) == "sk-test"
    with pytest.raises(DraftError):
        key_for("http://api.openai.com/v1", endpoint_chosen=False)
