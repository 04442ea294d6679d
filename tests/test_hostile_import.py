"""``newsletter import`` and ``add-paper --arxiv/--doi`` attacked: every server answer is a
hostile server's, every file of the publication (the cache, .bib files, lists, links,
folders) an attacker's pull request, every flag and variable a careless or hostile script's.

Each test asserts what a user sees: one printable line naming the source, a non-zero exit,
no traceback, nothing written outside the publication, and no paper written half-way.
Servers are this test's own on 127.0.0.1; every other socket is refused.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.support.cli import ONE_LINE_ERROR, Cli, Result

ARXIV_PATH = "/api/query"
FEED_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
             '<feed xmlns="http://www.w3.org/2005/Atom" '
             'xmlns:arxiv="http://arxiv.org/schemas/atom" '
             'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">'
             "<opensearch:totalResults>{total}</opensearch:totalResults>")


pytestmark = pytest.mark.usefixtures("only_this_machine")


@pytest.fixture
def server(local_server: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> HTTPServer:
    """A server of this test's own standing in for arXiv, Crossref and doi.org."""
    made = local_server
    base = made.url_for("").rstrip("/")
    monkeypatch.setenv("NEWSLETTER_ARXIV_API", base + ARXIV_PATH)
    monkeypatch.setenv("NEWSLETTER_CROSSREF_API", base)
    monkeypatch.setenv("NEWSLETTER_DOI_RESOLVER", base + "/resolver")
    for name in ("NEWSLETTER_OFFLINE", "NEWSLETTER_CONTACT"):
        monkeypatch.delenv(name, raising=False)
    return made


@pytest.fixture
def cli() -> Cli:
    return Cli()


def _publication(root: Path, cli: Cli, contact: str | None = "editor@example.com") -> Path:
    line = f"contact = {json.dumps(contact)}\n" if contact else ""
    (root / "newsletter.toml").write_text(
        f'name = "Hostile Briefing"\nstyle = "briefing"\n{line}', encoding="utf-8")
    made = cli("new-issue", "issues/012", "--number", "12", "--date", "2026-04-13",
               "--title", "This Week")
    assert made.exit_code == 0, made.output
    return root


@pytest.fixture
def publication(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli) -> Path:
    root = tmp_path / "pub"
    root.mkdir()
    monkeypatch.chdir(root)
    return _publication(root, cli)


ISSUE = Path("issues/012")


def papers(root: Path) -> dict[str, dict[str, object]]:
    folder = root / ISSUE / "papers"
    return {path.name: tomllib.loads(path.read_text(encoding="utf-8"))
            for path in sorted(folder.glob("*.toml"))}


def cached(root: Path) -> list[str]:
    folder = root / "sources"
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*")
                  if path.is_file()) if folder.is_dir() else []


def refused(result: Result, code: int = 1) -> list[str]:
    """The error lines of a refused command: each one printable line, no traceback."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output, \
        result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("newsletter: error")]
    assert lines, result.output
    for line in lines:
        assert ONE_LINE_ERROR.match(line), line
        assert line.isprintable(), ascii(line)
    return lines


def entry(arxiv_id: str, title: str = "A Paper", extra: str = "") -> str:
    return (f"<entry><id>http://arxiv.org/abs/{arxiv_id}</id><title>{title}</title>"
            "<summary>What it does.</summary><published>2026-04-02T00:00:00Z</published>"
            "<updated>2026-04-02T00:00:00Z</updated><author><name>Ada Lovelace</name>"
            f"</author>{extra}</entry>")


def feed(*entries: str, total: int | None = None) -> str:
    return FEED_HEAD.format(total=len(entries) if total is None else total) + \
        "".join(entries) + "</feed>"


def answer_arxiv(server: HTTPServer, body: str | bytes) -> list[str]:
    asked: list[str] = []

    def handler(request: Request) -> Response:
        asked.append(request.args.get("id_list", ""))
        return Response(body, 200, content_type="application/atom+xml")

    server.expect_request(ARXIV_PATH).respond_with_handler(handler)
    return asked


def work(doi: str, title: str = "Sparse Attention", **more: object) -> dict[str, object]:
    return {"status": "ok", "message-type": "work",
            "message": {"DOI": doi, "title": [title], "author": [
                {"given": "Grace", "family": "Hopper"}], **more}}


def answer_crossref(server: HTTPServer, body: str | bytes | Callable[[Request], Response],
                    headers: dict[str, str] | None = None) -> None:
    """Every /works/ request answered with ``body``; doi.org (the resolver) says 404."""
    handler = body if callable(body) else (lambda request: Response(
        body, 200, headers=headers or {}, content_type="application/json"))
    server.expect_request(re.compile(r"^/works/.+")).respond_with_handler(handler)
    server.expect_request(re.compile(r"^/resolver/.+")).respond_with_data(
        "not found", status=404)


# ------------------------------------------------------------------ arXiv's answers

def test_a_feed_of_thirty_thousand_entries_for_a_hundred_ids_is_refused_at_once(
        publication: Path, server: HTTPServer, cli: Cli) -> None:
    """Under the 8 MiB cap, 30,000 entries none of which was asked for: each was matched
    against each id (3 million comparisons, ~5 s a batch of 100, a batch per 100 ids)."""
    body = feed(*(entry(f"2604.{number:05d}v1") for number in range(30_000)))
    assert len(body) < 8 * 1024 * 1024
    answer_arxiv(server, body)
    (publication / "ids.txt").write_text(
        "".join(f"2605.{number:05d}\n" for number in range(100)), encoding="utf-8")
    started = time.monotonic()
    result = cli("import", str(ISSUE), "ids.txt")
    assert time.monotonic() - started < 5
    [line] = refused(result)
    assert "answered 30000 entries for 100 ids asked" in line
    assert papers(publication) == {} and cached(publication) == []


def test_an_entry_not_asked_for_is_neither_kept_nor_taken_for_the_one_asked(
        publication: Path, server: HTTPServer, cli: Cli) -> None:
    answer_arxiv(server, feed(entry("2604.01234v1", "The Paper Asked For"),
                              entry("2609.99999v1", "Planted By The Server")))
    result = cli("import", str(ISSUE), "2604.01234", "2604.05678")
    [line] = refused(result)
    assert line == "newsletter: error: arXiv has no paper 2604.05678"
    assert cached(publication) == ["arxiv/2604.01234v1.json"]  # nothing under 2609.99999
    assert papers(publication) == {}


@pytest.mark.parametrize("entry_id", [
    "../../../../tmp/x/2604.01234v1", "2604.01234v1/../../../../escape",
    "2604.01234v1%2F..%2F..%2Fescape", "2604%2E01234v1", "2604.01234v1&#0;",
    "2604.0\u0661234v1", "2604.01234v1000",
])
def test_an_entry_id_with_path_characters_writes_nothing(
        publication: Path, server: HTTPServer, cli: Cli, entry_id: str) -> None:
    answer_arxiv(server, feed(entry(entry_id)).encode("utf-8"))
    before = sorted(path.name for path in publication.parent.iterdir())
    result = cli("import", str(ISSUE), "2604.01234")
    [line] = refused(result)
    assert line.startswith("newsletter: error: arXiv ")
    assert cached(publication) == [] and papers(publication) == {}
    assert sorted(path.name for path in publication.parent.iterdir()) == before


def test_huge_attributes_and_lists_under_the_cap_are_one_line(
        publication: Path, server: HTTPServer, cli: Cli) -> None:
    answer_arxiv(server, feed(entry("2604.01234v1", extra=(
        '<category term="' + "x" * 3_000_000 + '"/>'
        + "<author><name>Someone Else</name></author>" * 100_000))))
    started = time.monotonic()
    [line] = refused(cli("import", str(ISSUE), "2604.01234"))
    assert time.monotonic() - started < 10
    assert "2604.01234v1" in line and "not storing it" in line
    assert cached(publication) == [] and papers(publication) == {}


@pytest.mark.parametrize("title, said", [
    ("Right\u202eto left", "U+202E"), ("A \u009b31m CSI", "control"),
    ("=?utf-8?q?Hello?= World", "encoded word"), ("A \u2066isolate", "U+2066"),
])
def test_a_title_mail_would_misread_is_refused_and_nothing_is_written(
        publication: Path, server: HTTPServer, cli: Cli, title: str, said: str) -> None:
    """The title becomes a one-line field that reaches a mail's Subject: the Paper model
    refuses what a mail reader would misread, and the message shows it printable."""
    answer_arxiv(server, feed(entry("2604.01234v1", title)))
    [line] = refused(cli("import", str(ISSUE), "2604.01234"))
    if said == "control":  # refused already as the cache would keep it
        assert line == ("newsletter: error: arxiv 2604.01234v1: title: Value error, contains "
                        "a control character; not storing it")
    else:
        assert line.startswith("newsletter: error: 2604.01234: cannot be a paper: title")
        assert said in line
    assert papers(publication) == {}


def test_an_abstract_with_markup_is_kept_as_text_and_no_template_shows_it(
        publication: Path, server: HTTPServer, cli: Cli) -> None:
    answer_arxiv(server, feed(entry("2604.01234v1").replace(
        "What it does.", "&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=y&gt;")))
    result = cli("import", str(ISSUE), "2604.01234")
    assert result.exit_code == 0, result.output
    [paper] = papers(publication).values()
    assert paper["abstract"] == "<script>alert(1)</script> <img src=x onerror=y>"
    # What renders an issue (HTML, mail, Markdown) never shows it; draft-prompt.j2, the
    # instructions of 'newsletter draft', is no page anyone reads.
    templates = Path(__file__).parent.parent / "templates"
    assert not [path for path in templates.rglob("*.j2") if path.name != "draft-prompt.j2"
                and "abstract" in path.read_text(encoding="utf-8")]


# ------------------------------------------------------------------ Crossref's and doi.org's

def test_a_crossref_answer_for_another_doi_is_not_kept_under_the_one_asked(
        publication: Path, server: HTTPServer, cli: Cli) -> None:
    answer_crossref(server, json.dumps(work("10.9999/someone.else", "Another Paper")))
    [line] = refused(cli("import", str(ISSUE), "10.1234/asked"))
    assert line == ("newsletter: error: doi:10.1234/asked: 127.0.0.1:"
                    f"{server.port} answered the record of '10.9999/someone.else', not of "
                    "the DOI asked; not keeping it")
    assert cached(publication) == [] and papers(publication) == {}


def test_the_doi_asked_in_another_case_is_the_same_doi(
        publication: Path, server: HTTPServer, cli: Cli) -> None:
    answer_crossref(server, json.dumps(work("10.1234/ASKED")))
    result = cli("import", str(ISSUE), "10.1234/asked")
    assert result.exit_code == 0, result.output
    assert cached(publication) == ["doi/10.1234%2Fasked.json"]


@pytest.mark.parametrize("location", [
    "http://169.254.169.254/latest/meta-data/", "https://10.0.0.1/", "file:///etc/passwd",
    "http://evil.example/", "https://[::1]/", "https://localhost/", "https://user:pw@x.org/",
    "gopher://x.org/",
])
def test_a_doi_redirect_to_another_host_is_not_followed(
        publication: Path, server: HTTPServer, cli: Cli, location: str) -> None:
    server.expect_request(re.compile(r"^/works/.+")).respond_with_data("no", status=404)
    server.expect_request(re.compile(r"^/resolver/.+")).respond_with_response(
        Response("", 302, headers={"Location": location}))
    [line] = refused(cli("import", str(ISSUE), "10.1234/x"))
    assert "redirected to" in line and "not followed" in line, line
    assert "pw" not in line
    assert cached(publication) == [] and papers(publication) == {}


def test_a_redirect_within_the_resolvers_host_is_followed(
        publication: Path, server: HTTPServer, cli: Cli) -> None:
    server.expect_request(re.compile(r"^/works/.+")).respond_with_data("no", status=404)
    server.expect_request("/resolver/10.1234/x").respond_with_response(
        Response("", 302, headers={"Location": "/registry/10.1234/x"}))
    server.expect_request("/registry/10.1234/x").respond_with_json(
        {"DOI": "10.1234/x", "title": "Registered Elsewhere", "type": "article"})
    result = cli("import", str(ISSUE), "10.1234/x")
    assert result.exit_code == 0, result.output
    [paper] = papers(publication).values()
    assert paper["title"] == "Registered Elsewhere"


def test_which_redirects_are_followed() -> None:
    from newsletter.intake.http import may_redirect

    assert may_redirect("https://doi.org/10.1/x", "https://api.crossref.org/v1/works/x")
    assert may_redirect("https://doi.org/10.1/x", "https://doi.org/10.1/y")
    assert may_redirect("http://127.0.0.1:8/a", "http://127.0.0.1:8/b")
    assert not may_redirect("https://doi.org/10.1/x", "http://doi.org/10.1/x")  # downgrade
    assert not may_redirect("https://doi.org/10.1/x", "https://192.168.1.1/")
    assert not may_redirect("https://doi.org/10.1/x", "https://intranet/")
    assert not may_redirect("http://127.0.0.1:8/a", "http://127.0.0.1:9/a")


def test_a_doi_with_dot_segments_stays_below_the_resolver(
        publication: Path, server: HTTPServer, cli: Cli) -> None:
    """'10.1234/../../admin' from a list file: urllib3 (and every browser) removes dot
    segments, so the request went to /admin of the resolver's host, and the paper's link
    to https://doi.org/admin."""
    paths: list[str] = []

    def resolver(request: Request) -> Response:
        paths.append(request.environ.get("RAW_URI") or request.full_path)
        return Response(json.dumps({"DOI": "10.1234/../../admin", "title": "Dots"}), 200,
                        content_type="application/json")

    server.expect_request(re.compile(r"^/works/.+")).respond_with_data("no", status=404)
    server.expect_request(re.compile(r"^/resolver/.+")).respond_with_handler(resolver)
    server.expect_request(re.compile(r"^/admin")).respond_with_data("{}", status=500)
    (publication / "ids.txt").write_text("10.1234/../../admin\n", encoding="utf-8")
    result = cli("import", str(ISSUE), "ids.txt")
    assert result.exit_code == 0, result.output
    assert paths and all(path.startswith("/resolver/10.1234/") for path in paths), paths
    [paper] = papers(publication).values()
    assert paper["url"] == "https://doi.org/10.1234/%2E%2E/%2E%2E/admin"


def test_a_gzip_bomb_is_cut_at_the_cap_on_the_decompressed_bytes(
        publication: Path, server: HTTPServer, cli: Cli) -> None:
    import zlib

    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b" " * (1024 * 1024)
    bomb = b"".join(packer.compress(chunk) for _ in range(100)) + packer.flush()
    assert len(bomb) < 200_000  # 100 MiB of spaces
    answer_crossref(server, bomb, headers={"Content-Encoding": "gzip"})
    [line] = refused(cli("import", str(ISSUE), "10.1234/x"))
    assert line.endswith("is larger than 2 MiB; not reading it")


@pytest.mark.parametrize("body, said", [
    (json.dumps(work("10.1234/x")).replace('"author"', '"x": ' + "9" * 5000 + ', "author"'),
     "answered malformed JSON"),
    ("[" * 1_000_000, "answered malformed JSON"),
    ('{"status": "ok", "title": "caf\xe9"}'.encode("latin-1"), "answered malformed JSON"),
    (json.dumps(work("10.1234/x", published={"date-parts": [[1]]})).replace(
        "[[1]]", "[[1e999]]"), "finite number"),
    (json.dumps(work("10.1234/x", "Lone \ud800 surrogate")), "title"),
])
def test_hostile_json_is_one_line(publication: Path, server: HTTPServer, cli: Cli,
                                  body: str | bytes, said: str) -> None:
    answer_crossref(server, body)
    [line] = refused(cli("import", str(ISSUE), "10.1234/x"))
    assert line.startswith("newsletter: error: doi:10.1234/x: ") and said in line, line
    assert cached(publication) == [] and papers(publication) == {}


def test_a_hundred_thousand_authors_are_one_line(publication: Path, server: HTTPServer,
                                                  cli: Cli) -> None:
    many = work("10.1234/x")
    many["message"]["author"] = [{"family": "N"}] * 100_000  # type: ignore[index]
    answer_crossref(server, json.dumps(many, separators=(",", ":")))
    [line] = refused(cli("import", str(ISSUE), "10.1234/x"))
    assert "authors" in line and "1000" in line
    assert papers(publication) == {}


# ------------------------------------------------------------------ contact and endpoints

@pytest.mark.parametrize("contact", [
    "editor@example.com\n", "editor@example.com\r\nX-Injected: 1", "\u7528\u6237@example.com",
])
def test_a_contact_from_the_environment_that_a_header_would_misread_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: HTTPServer, cli: Cli,
        contact: str) -> None:
    monkeypatch.chdir(tmp_path)
    root = _publication(tmp_path, cli, contact=None)
    answer_crossref(server, json.dumps(work("10.1234/x")))
    monkeypatch.setenv("NEWSLETTER_CONTACT", contact)
    [line] = refused(cli("import", str(ISSUE), "10.1234/x"))
    assert "the contact address" in line and "is not an e-mail address" in line, line
    assert server.log == [] and papers(root) == {}


def test_a_non_ascii_contact_in_newsletter_toml_is_one_line_not_a_crash(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: HTTPServer, cli: Cli) -> None:
    """The model's pattern lets non-ASCII through; the User-Agent header cannot hold it."""
    monkeypatch.chdir(tmp_path)
    root = _publication(tmp_path, cli, contact="\u7528\u6237@example.com")
    answer_crossref(server, json.dumps(work("10.1234/x")))
    [line] = refused(cli("import", str(ISSUE), "10.1234/x"))
    assert "the contact address" in line
    assert server.log == [] and papers(root) == {}


def test_credentials_in_an_endpoint_are_neither_printed_nor_committed(
        publication: Path, server: HTTPServer, cli: Cli,
        monkeypatch: pytest.MonkeyPatch) -> None:
    base = server.url_for("").rstrip("/").replace("http://", "http://reader:s3cret@")
    monkeypatch.setenv("NEWSLETTER_ARXIV_API", base + ARXIV_PATH)
    monkeypatch.setenv("NEWSLETTER_CROSSREF_API", base)
    answer_arxiv(server, feed(entry("2604.01234v1")))
    answer_crossref(server, json.dumps(work("10.1234/x")))
    result = cli("import", str(ISSUE), "2604.01234", "10.1234/x")
    assert result.exit_code == 0, result.output
    for path in (publication / "sources").rglob("*.json"):
        text = path.read_text(encoding="utf-8")
        assert "s3cret" not in text and "reader" not in text, path
        assert f"127.0.0.1:{server.port}" in json.loads(text)["fetched_from"]
    server.clear()
    server.expect_request(ARXIV_PATH).respond_with_data("busy", status=404)
    server.expect_request(re.compile(r"^/works/.+")).respond_with_data("busy", status=500)
    failed = cli("import", str(ISSUE), "2604.05678", "10.1234/y")
    assert all("s3cret" not in line and "reader" not in line for line in refused(failed))


def test_an_arxiv_endpoint_that_is_a_file_is_refused_without_its_credentials(
        publication: Path, server: HTTPServer, cli: Cli,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSLETTER_ARXIV_API", "ftp://reader:s3cret@example.org/etc/passwd")
    [line] = refused(cli("import", str(ISSUE), "2604.01234"))
    assert "must be an http(s) URL" in line and "s3cret" not in line


# ------------------------------------------------------------------ the publication's files

def test_a_folder_where_a_cache_file_should_be_is_one_line(
        publication: Path, server: HTTPServer, cli: Cli) -> None:
    (publication / "sources/arxiv/2604.01234v1.json").mkdir(parents=True)
    for asked in ("2604.01234v1", "2604.01234"):  # by name, and as the newest version
        [line] = refused(cli("import", str(ISSUE), asked, "--offline"))
        assert line.endswith("sources/arxiv/2604.01234v1.json: is not a regular file")
    assert server.log == []


def test_cache_file_names_no_version_could_have_are_ignored(
        publication: Path, server: HTTPServer, cli: Cli) -> None:
    folder = publication / "sources/arxiv"
    folder.mkdir(parents=True)
    for name in ("2604.01234v1000.json", "2604.01234v\u0661.json", "2604.01234v01.json",
                 "2604.01234v1.json.bak", "2604.01234v\x1b[2J.json", "2604.01234v2.JSON"):
        (folder / name).write_text("{not json", encoding="utf-8")
    [line] = refused(cli("import", str(ISSUE), "2604.01234", "--offline"))
    assert line.startswith("newsletter: error: arXiv 2604.01234: not in sources/arxiv/")


@pytest.mark.parametrize("make", ["folder.bib", "folder-list", "too-long", "too-long.bib"])
def test_a_source_that_is_a_folder_or_a_name_too_long_is_one_line(
        publication: Path, cli: Cli, make: str) -> None:
    name = make
    if make.startswith("too-long"):
        name = "a" * 5000 + make.removeprefix("too-long")
    else:
        (publication / name).mkdir()
    result = cli("import", str(ISSUE), name, "--offline")
    [line] = refused(result)
    assert papers(publication) == {}
    if not make.startswith("too-long"):
        assert line == f"newsletter: error: {name}: is not a regular file"


def test_a_source_with_terminal_escapes_is_shown_printable(publication: Path,
                                                           cli: Cli) -> None:
    [line] = refused(cli("import", str(ISSUE), "\x1b]0;owned\x07\x1b[2J\u202e", "--offline"))
    assert "\\x1b]0;owned\\x07\\x1b[2J\\u202e" in line


def test_a_papers_folder_that_leads_out_of_the_publication_is_not_written(
        publication: Path, tmp_path: Path, cli: Cli) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    papers_folder = publication / ISSUE / "papers"
    papers_folder.rmdir()
    papers_folder.symlink_to(elsewhere)
    (publication / "one.bib").write_text(
        "@article{k, title = {Written Elsewhere}, year = {2026}}\n", encoding="utf-8")
    [line] = refused(cli("import", str(ISSUE), "one.bib"))
    assert line == ("newsletter: error: issues/012/papers: leads outside the publication (a "
                    "symbolic link); not writing papers there")
    assert list(elsewhere.iterdir()) == []


def test_add_paper_refuses_a_papers_folder_that_leads_out_too(
        publication: Path, tmp_path: Path, cli: Cli) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    papers_folder = publication / ISSUE / "papers"
    papers_folder.rmdir()
    papers_folder.symlink_to(elsewhere)
    result = cli("add-paper", str(ISSUE), "--title", "Written Elsewhere")
    assert result.exit_code == 1
    assert "leads outside the publication (a symbolic link)" in refused(result)[0]
    assert list(elsewhere.iterdir()) == []


def test_papers_of_other_issues_that_are_links_out_fifos_or_huge_are_not_read(
        publication: Path, cli: Cli) -> None:
    made = cli("new-issue", "issues/011", "--number", "11", "--date", "2026-04-06")
    assert made.exit_code == 0, made.output
    other = publication / "issues/011/papers"
    (other / "01-passwd.toml").symlink_to("/etc/passwd")
    (other / "02-zero.toml").symlink_to("/dev/zero")
    os.mkfifo(other / "03-fifo.toml")
    (other / "04-folder.toml").mkdir()
    (other / "05-huge.toml").write_text('title = "' + "a" * 20_000_000 + '"\n',
                                        encoding="utf-8")
    (publication / "one.bib").write_text(
        "@article{k, title = {Still Imported}, year = {2026}}\n", encoding="utf-8")
    started = time.monotonic()
    result = cli("import", str(ISSUE), "one.bib")
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started < 10
    assert [paper["title"] for paper in papers(publication).values()] == ["Still Imported"]


@pytest.mark.parametrize("kind", ["braced authors", "nested titles"])
def test_a_bib_file_of_many_small_latex_fields_is_bounded_in_time(
        publication: Path, cli: Cli, kind: str) -> None:
    """The LaTeX budget counted characters only: a call of the decoder costs as much as
    ~40 of them, and each level of braces more. 300 entries of 999 authors written '{A}'
    (2.4 MB) took about 40 s; 10,000 titles nested 30 deep (0.9 MB) about 10 s."""
    if kind == "braced authors":
        text = "".join(f"@article{{k{n}, title = {{T{n}}}, author = {{"
                       + " and ".join(["{A}"] * 999) + "}}\n" for n in range(300))
    else:
        text = "".join(f"@article{{k{n}, title = {{" + "{" * 30 + "x" + "}" * 30 + "}}\n"
                       for n in range(10_000))
    (publication / "bomb.bib").write_text(text, encoding="utf-8")
    # CPU time of this process (the import runs in it): a loaded CI machine took 8.4 s on
    # the clock for what takes 4.8 s alone; the unbounded decoder took 10 to 40 s of CPU.
    started, clock = time.process_time(), time.monotonic()
    [line] = refused(cli("import", str(ISSUE), "bomb.bib", "--offline"))
    assert time.process_time() - started < 8
    assert time.monotonic() - clock < 30
    assert line.startswith("newsletter: error: bomb.bib:")
    assert line.endswith("characters of LaTeX to decode in one file; split it")
    assert papers(publication) == {}


# ------------------------------------------------------------------ two imports at once

def test_two_imports_into_one_issue_at_once_write_each_paper_once(
        publication: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second import starts while the first has found its papers new and not yet
    written them: it waits, then skips what the first wrote. Before, it wrote them too,
    and the first stopped half-way on its second paper, its first one written."""
    from newsletter.create import import_papers as module

    def bib(name: str, *titles: str) -> str:
        (publication / name).write_text("".join(
            f"@article{{k{n}, title = {{{title}}}, year = {{2026}}}}\n"
            for n, title in enumerate(titles)), encoding="utf-8")
        return name

    first = bib("first.bib", "Paper A", "Paper B", "Paper C")
    second = bib("second.bib", "Paper B", "Paper C", "Paper D")
    original = module.known_papers
    outcome: dict[str, object] = {}
    calls: list[int] = []

    def run_second() -> None:
        try:
            outcome["second"] = module.import_papers(publication / ISSUE, [second])
        except Exception as error:  # reported by the assertion below
            outcome["second"] = error

    def known_then_race(issue_dir: Path, root: Path) -> dict[str, str]:
        found = original(issue_dir, root)
        calls.append(1)
        if len(calls) == 1:  # the first import: the second runs in this window
            racer = threading.Thread(target=run_second)
            racer.start()
            racer.join(timeout=1.5)
            outcome["racer"] = racer
        return found

    monkeypatch.setattr(module, "known_papers", known_then_race)
    report = module.import_papers(publication / ISSUE, [first])
    racer = outcome["racer"]
    assert isinstance(racer, threading.Thread)
    racer.join(timeout=30)
    assert not isinstance(outcome["second"], Exception), outcome["second"]
    titles = sorted(str(paper["title"]) for paper in papers(publication).values())
    assert titles == ["Paper A", "Paper B", "Paper C", "Paper D"]
    assert len(report.written) == 3


@pytest.mark.parametrize("value", ["file:///etc/passwd", "ftp://mirror.example/api",
                                   "http://user:s3cret@"])
def test_a_crossref_endpoint_that_is_not_http_is_one_line(
        publication: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("NEWSLETTER_CROSSREF_API", value)
    result = cli("import", str(ISSUE), "10.1234/x")
    assert result.exit_code == 1
    line = refused(result)[0]
    assert "must be an http(s) URL" in line and "s3cret" not in result.output
