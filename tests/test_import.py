"""``newsletter import`` and ``add-paper --arxiv/--doi`` against stand-ins for arXiv and
Crossref on 127.0.0.1 (tests/support/standin.py), with every other socket refused."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.support.cli import ONE_LINE_ERROR, Cli, Result
from tests.support.paths import REPO
from tests.support.standin import FIXTURES, StandIn

BIB = FIXTURES / "bibtex" / "refs.bib"


pytestmark = pytest.mark.usefixtures("only_this_machine")


@pytest.fixture
def httpserver(local_server: HTTPServer) -> HTTPServer:
    """A server of this test's own (conftest's local_server), which a test may stop."""
    return local_server


@pytest.fixture
def standin(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> StandIn:
    found = StandIn(httpserver)
    for name, value in found.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("NEWSLETTER_OFFLINE", raising=False)
    return found


@pytest.fixture
def cli() -> Cli:
    return Cli()


@pytest.fixture
def publication(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli) -> Path:
    """A briefing publication with a draft issue 12, as the README's tutorial makes it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "newsletter.toml").write_text(
        'name = "Applied AI Briefing"\nstyle = "briefing"\ncontact = "editor@example.com"\n',
        encoding="utf-8")
    made = cli("new-issue", "issues/012", "--number", "12", "--date", "2026-04-13",
               "--title", "This Week in Applied AI")
    assert made.exit_code == 0, made.output
    shutil.copy(BIB, tmp_path / "refs.bib")
    return tmp_path


def papers(issue: Path) -> dict[str, dict[str, object]]:
    return {path.name: tomllib.loads(path.read_text(encoding="utf-8"))
            for path in sorted((issue / "papers").glob("*.toml"))}


def one_line_errors(result: Result) -> list[str]:
    lines = [line for line in result.stderr.splitlines() if line.startswith("newsletter: error")]
    assert lines, result.output
    assert "Traceback" not in result.output
    for line in lines:
        assert ONE_LINE_ERROR.match(line), line
    return lines


# ------------------------------------------------------------------ what the issue asks

def test_the_readme_import_writes_prefilled_papers_and_asks_arxiv_once(
        publication: Path, standin: StandIn, cli: Cli) -> None:
    result = cli("import", "issues/012", "2604.01234", "arXiv:2604.05678v2", "refs.bib")
    assert result.exit_code == 0, result.output
    written = papers(publication / "issues" / "012")
    assert len(written) == 5, list(written)
    by_title = {paper["title"]: paper for paper in written.values()}
    scaling = by_title["Scaling Test-Time Compute, Carefully"]
    assert scaling["url"] == "https://arxiv.org/abs/2604.01234"
    assert scaling["arxiv_id"] == "2604.01234v1"  # the version fetched, for a bare id
    assert scaling["authors"] == ["Alan Turing", "Emmy Noether"]
    assert str(scaling["published"]) == "2026-04-02"
    assert "match a 4x larger model" in str(scaling["abstract"])
    long_contexts = by_title["Long Contexts, Short Memories: Retrieval for Transformers at Scale"]
    assert long_contexts["arxiv_id"] == "2604.05678v2"
    assert long_contexts["doi"] == "10.1234/example.5678"
    sparse = by_title["Sparse Attention for Long Contexts"]  # from Crossref, JATS removed
    assert sparse["doi"] == "10.1145/3712345.3712346"
    assert sparse["url"] == "https://doi.org/10.1145/3712345.3712346"
    assert by_title["Old-Style Ids Still Work"]["arxiv_id"] == "hep-th/9901001v2"
    bayes = next(paper for title, paper in by_title.items() if "Bayesian" in title)
    assert bayes["url"] == "https://example.org/papers/godel%20bayes"  # taken as written
    assert "arxiv_id" not in bayes and "doi" not in bayes

    # One request for the three arXiv ids (2604.01234 named twice is asked once).
    assert len(standin.arxiv_requests) == 1
    assert sorted(standin.arxiv_requests[0].split(",")) == [
        "2604.01234", "2604.05678v2", "hep-th/9901001v2"]
    assert standin.crossref_requests == ["10.1145/3712345.3712346"]
    assert "skipped refs.bib:4 (turing2026scaling): named twice in this import (first as " \
           "2604.01234)" in result.stderr
    assert result.lines[-1] == ("imported 5 papers into issues/012/papers (4 fetched, 1 as "
                                "the .bib wrote them, 1 skipped, 2 requests)")
    cached = sorted(str(path.relative_to(publication)) for path in
                    (publication / "sources").rglob("*.json"))
    assert cached == ["sources/arxiv/2604.01234v1.json", "sources/arxiv/2604.05678v2.json",
                      "sources/arxiv/hep-th_9901001v2.json",
                      "sources/doi/10.1145%2F3712345.3712346.json"]
    record = json.loads((publication / "sources/arxiv/2604.01234v1.json").read_text())
    assert record["fetched_from"].startswith(standin.arxiv_api + "?")

    # A draft's papers: the style's own fields are still to write, and check says so as
    # warnings, not errors.
    assert "still to write before the issue is published: " in result.stderr
    checked = cli("check", "issues/012")
    assert checked.exit_code == 0, checked.output
    assert "headline" in checked.stdout and "error" not in checked.stdout.split("Found")[-1]


def test_a_second_run_writes_nothing_and_needs_no_server(
        publication: Path, standin: StandIn, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    first = cli("import", "issues/012", "2604.01234", "arXiv:2604.05678v2", "refs.bib")
    assert first.exit_code == 0, first.output
    before = papers(publication / "issues" / "012")
    standin.server.stop()  # nobody answers any more
    again = cli("import", "issues/012", "2604.01234", "arXiv:2604.05678v2", "refs.bib")
    assert again.exit_code == 0, again.output
    assert papers(publication / "issues" / "012") == before
    assert again.lines[-1] == "imported 0 papers into issues/012/papers (6 skipped)"
    assert ("skipped 2604.01234: already in this issue (issues/012/papers/01-scaling-test-"
            "time-compute-carefully.toml)") in again.stderr


def test_the_done_when_as_a_user_runs_it(publication: Path, standin: StandIn) -> None:
    """The issue's Done-when, as separate processes: a server for the first run, none for
    the second, which writes nothing new."""
    command = [sys.executable, "-m", "newsletter", "import", "issues/012", "2604.01234",
               "arXiv:2604.05678v2", "refs.bib"]
    environment = {**os.environ, **standin.environment(), "PYTHONPATH": str(REPO)}
    first = subprocess.run(command, cwd=publication, env=environment, capture_output=True,
                           text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[-1].startswith("imported 5 papers")
    standin.server.stop()
    second = subprocess.run(command, cwd=publication, env=environment, capture_output=True,
                            text=True, timeout=60)
    assert second.returncode == 0, second.stderr
    assert second.stdout.splitlines()[-1] == \
        "imported 0 papers into issues/012/papers (6 skipped)"
    assert len(list((publication / "issues/012/papers").glob("*.toml"))) == 5


def test_a_paper_of_an_earlier_issue_is_skipped_naming_it(
        publication: Path, standin: StandIn, cli: Cli) -> None:
    made = cli("new-issue", "issues/011", "--number", "11", "--date", "2026-04-06")
    assert made.exit_code == 0, made.output
    added = cli("add-paper", "issues/011", "--title", "Test-time compute, the first look",
                "--url", "https://arxiv.org/pdf/2604.01234v1.pdf")
    assert added.exit_code == 0, added.output
    result = cli("import", "issues/012", "2604.01234", "2604.05678v2")
    assert result.exit_code == 0, result.output
    assert ("skipped 2604.01234: covered in issue 11 (issues/011/papers/01-test-time-"
            "compute-the-first-look.toml)") in result.stderr
    assert [paper["arxiv_id"] for paper in papers(publication / "issues/012").values()] == [
        "2604.05678v2"]


def test_a_text_list_of_ids_and_links(publication: Path, standin: StandIn, cli: Cli) -> None:
    (publication / "week.txt").write_text(
        "# from the feed\nhttps://arxiv.org/abs/2604.01234\n\n"
        "https://huggingface.co/papers/2604.05678v2  # the hub's page\n"
        "https://doi.org/10.1145/3712345.3712346\n", encoding="utf-8")
    result = cli("import", "issues/012", "week.txt")
    assert result.exit_code == 0, result.output
    assert sorted(str(paper.get("arxiv_id", paper.get("doi")))
                  for paper in papers(publication / "issues/012").values()) == [
        "10.1145/3712345.3712346", "2604.01234v1", "2604.05678v2"]
    assert len(standin.arxiv_requests) == 1


# ------------------------------------------------------------------ the cache and the network

def test_offline_fails_clearly_on_a_cache_miss_and_writes_nothing(
        publication: Path, standin: StandIn, cli: Cli) -> None:
    result = cli("import", "issues/012", "2604.01234", "--offline")
    assert result.exit_code == 1
    assert one_line_errors(result)[0] == (
        "newsletter: error: arXiv 2604.01234: not in sources/arxiv/ and the network is off "
        "(--offline or NEWSLETTER_OFFLINE); import it once with the network on")
    assert standin.arxiv_requests == [] and papers(publication / "issues/012") == {}


def test_the_offline_variable_forbids_the_network_too(
        publication: Path, standin: StandIn, cli: Cli,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSLETTER_OFFLINE", "1")
    result = cli("import", "issues/012", "doi:10.1145/3712345.3712346")
    assert result.exit_code == 1
    assert "doi:10.1145/3712345.3712346: not in sources/doi/" in one_line_errors(result)[0]
    assert standin.crossref_requests == []


def test_offline_with_the_cache_filled_works(publication: Path, standin: StandIn,
                                             cli: Cli) -> None:
    assert cli("add-paper", "issues/012", "--arxiv", "2604.01234").exit_code == 0
    (publication / "issues/012/papers/01-scaling-test-time-compute-carefully.toml").unlink()
    result = cli("import", "issues/012", "https://arxiv.org/abs/2604.01234", "--offline")
    assert result.exit_code == 0, result.output
    assert result.lines[-1] == "imported 1 paper into issues/012/papers (1 from sources/)"
    assert len(standin.arxiv_requests) == 1  # the add-paper's, none since


def test_refresh_asks_again_and_keeps_the_new_answer(
        publication: Path, standin: StandIn, cli: Cli) -> None:
    assert cli("import", "issues/012", "2604.05678v2").exit_code == 0
    cache = publication / "sources/arxiv/2604.05678v2.json"
    cache.write_text(cache.read_text().replace("Long Contexts", "Stale Title"))
    for path in (publication / "issues/012/papers").glob("*.toml"):
        path.unlink()
    result = cli("import", "issues/012", "2604.05678v2", "--refresh")
    assert result.exit_code == 0, result.output
    assert len(standin.arxiv_requests) == 2
    assert "Stale Title" not in cache.read_text()
    assert [p["title"] for p in papers(publication / "issues/012").values()] == [
        "Long Contexts, Short Memories: Retrieval for Transformers at Scale"]


def test_no_network_is_one_line_naming_the_ids(publication: Path, cli: Cli,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("NEWSLETTER_ARXIV_API", f"http://127.0.0.1:{port}/api/query")
    result = cli("import", "issues/012", "2604.01234", "1605.08386")
    assert result.exit_code == 1
    line = one_line_errors(result)[0]
    assert line.startswith("newsletter: error: arXiv 2604.01234, 1605.08386: cannot reach "
                           "127.0.0.1"), line
    assert "no paper was written" in result.stderr
    assert papers(publication / "issues/012") == {}


# ------------------------------------------------------------------ bad answers, bad input

def test_a_withdrawn_paper_fails_and_nothing_is_written(
        publication: Path, httpserver: HTTPServer, cli: Cli,
        monkeypatch: pytest.MonkeyPatch) -> None:
    standin = StandIn(httpserver, papers=("2604.01234v2-withdrawn.xml", "2604.05678v2.xml"))
    for name, value in standin.environment().items():
        monkeypatch.setenv(name, value)
    result = cli("import", "issues/012", "2604.05678v2", "2604.01234")
    assert result.exit_code == 1
    assert one_line_errors(result)[0].startswith(
        "newsletter: error: arXiv 2604.01234v2 has been withdrawn (")
    assert papers(publication / "issues/012") == {}
    # What did come back is kept, so the rerun without the withdrawn one asks nothing.
    assert (publication / "sources/arxiv/2604.05678v2.json").is_file()
    rerun = cli("import", "issues/012", "2604.05678v2")
    assert rerun.exit_code == 0 and len(standin.arxiv_requests) == 1


def test_a_title_the_models_refuse_is_an_entry_problem(
        publication: Path, httpserver: HTTPServer, cli: Cli, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    long_title = "A Title " * 50
    feed = (FIXTURES / "arxiv" / "2604.05678v2.xml").read_text(encoding="utf-8")
    start = feed.index("<title>Long")
    feed = feed[:start] + f"<title>{long_title}" + feed[feed.index("</title>", start):]
    (tmp_path / "long.xml").write_text(feed, encoding="utf-8")
    standin = StandIn(httpserver, papers=(str(tmp_path / "long.xml"),))
    for name, value in standin.environment().items():
        monkeypatch.setenv(name, value)
    result = cli("import", "issues/012", "2604.05678v2")
    assert result.exit_code == 1
    line = one_line_errors(result)[0]
    assert line == ("newsletter: error: 2604.05678v2: cannot be a paper: title is too long "
                    "(at most 300 characters)")
    assert papers(publication / "issues/012") == {}


@pytest.mark.parametrize(("source", "expected"), [
    ("not-a-paper", "newsletter: error: not-a-paper: not an arXiv id or link, a DOI, or a "
                    "file of them"),
    ("https://example.com/paper", "newsletter: error: https://example.com/paper: not an "
     "arXiv id or link, a DOI, or a file of them (a page of another site cannot be "
     "imported: add it with 'newsletter add-paper --url')"),
    ("missing.bib", "newsletter: error: missing.bib: cannot read it: No such file or "
                    "directory"),
])
def test_a_source_naming_no_paper_is_one_line(publication: Path, standin: StandIn, cli: Cli,
                                              source: str, expected: str) -> None:
    result = cli("import", "issues/012", source)
    assert result.exit_code == 1
    assert one_line_errors(result)[0] == expected
    assert standin.arxiv_requests == []


def test_a_bib_file_with_a_syntax_error_names_its_line(publication: Path, standin: StandIn,
                                                       cli: Cli) -> None:
    shutil.copy(FIXTURES / "bibtex" / "syntax-error.bib", publication / "bad.bib")
    result = cli("import", "issues/012", "bad.bib")
    assert result.exit_code == 1
    assert one_line_errors(result)[0].startswith("newsletter: error: bad.bib:")
    assert "syntax error" in result.stderr


def test_a_list_line_naming_no_paper_is_named(publication: Path, standin: StandIn,
                                              cli: Cli) -> None:
    (publication / "week.txt").write_text("2604.01234\nsee the thread\n", encoding="utf-8")
    result = cli("import", "issues/012", "week.txt")
    assert result.exit_code == 1
    assert one_line_errors(result)[0] == (
        "newsletter: error: week.txt:2: see the thread is not an arXiv id or link, nor a DOI")


def test_a_published_issue_refuses_papers_it_would_then_fail_on(
        publication: Path, standin: StandIn, cli: Cli) -> None:
    issue_file = publication / "issues/012/issue.toml"
    issue_file.write_text(issue_file.read_text().replace('status = "draft"',
                                                         'status = "published"'))
    result = cli("import", "issues/012", "2604.01234")
    assert result.exit_code == 1
    line = one_line_errors(result)[0]
    assert line.startswith("newsletter: error: issues/012/issue.toml: the issue is published"), \
        line
    assert papers(publication / "issues/012") == {}


def test_not_an_issue(publication: Path, standin: StandIn, cli: Cli) -> None:
    result = cli("import", "issues/099", "2604.01234")
    assert result.exit_code == 2
    assert one_line_errors(result)[0].startswith("newsletter: error: issues/099: not an issue")


# ------------------------------------------------------------------ add-paper --arxiv/--doi

def test_add_paper_from_arxiv_lets_the_editor_s_flags_win(
        publication: Path, standin: StandIn, cli: Cli) -> None:
    result = cli("add-paper", "issues/012", "--arxiv", "https://arxiv.org/pdf/2604.05678v2",
                 "--title", "Retrieval at Scale", "--headline", "Memory is short")
    assert result.exit_code == 0, result.output
    [paper] = papers(publication / "issues/012").values()
    assert paper["title"] == "Retrieval at Scale"  # the flag, not arXiv's
    assert paper["headline"] == "Memory is short"
    assert paper["arxiv_id"] == "2604.05678v2" and paper["authors"] == [
        "Grace Hopper", "Alan Turing"]
    assert paper["abstract"] == "We study retrieval for long contexts. We show that memory " \
                                "is short."


def test_add_paper_from_a_doi(publication: Path, standin: StandIn, cli: Cli) -> None:
    result = cli("add-paper", "issues/012", "--doi", "https://doi.org/10.1145/3712345.3712346")
    assert result.exit_code == 0, result.output
    [paper] = papers(publication / "issues/012").values()
    assert paper["title"] == "Sparse Attention for Long Contexts"
    assert paper["doi"] == "10.1145/3712345.3712346"
    assert (publication / "sources/doi/10.1145%2F3712345.3712346.json").is_file()


def test_add_paper_refuses_an_arxiv_flag_that_names_no_id(publication: Path,
                                                          standin: StandIn, cli: Cli) -> None:
    result = cli("add-paper", "issues/012", "--arxiv", "10.1145/3712345.3712346")
    assert result.exit_code == 2
    assert one_line_errors(result)[0].startswith(
        "newsletter: error: --arxiv 10.1145/3712345.3712346: not an arXiv id or link")


def test_add_paper_shows_the_abstract_while_prompting(
        publication: Path, standin: StandIn, cli: Cli, terminal: None) -> None:
    answers = "\n".join(["Cheaper answers", "Compute is wasted", "Budget per question",
                         "Cost: less", "", "Fails on hard ones", ""]) + "\n"
    result = cli("add-paper", "issues/012", "--arxiv", "2604.01234", input=answers)
    assert result.exit_code == 0, result.output
    assert "We allocate a budget per question and match a 4x" in result.stdout
    assert result.stdout.index("allocate a budget") < result.stdout.index("headline")


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import newsletter.commands.add_paper
    from tests.test_add_paper import _StdinIsATerminal

    monkeypatch.setattr(newsletter.commands.add_paper, "sys", _StdinIsATerminal())


# ------------------------------------------------------------------ more answers and inputs

def _serve(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, **papers: str) -> StandIn:
    """A stand-in whose papers are the given feeds (file names or paths)."""
    standin = StandIn(httpserver, **papers)  # type: ignore[arg-type]
    for name, value in standin.environment().items():
        monkeypatch.setenv(name, value)
    return standin


def test_an_arxiv_doi_is_imported_from_arxiv(publication: Path, standin: StandIn,
                                             cli: Cli) -> None:
    result = cli("import", "issues/012", "https://doi.org/10.48550/arXiv.2604.05678v2")
    assert result.exit_code == 0, result.output
    assert standin.arxiv_requests == ["2604.05678v2"] and standin.crossref_requests == []


def test_a_fetched_title_with_a_terminal_escape_is_refused_not_printed(
        publication: Path, httpserver: HTTPServer, cli: Cli, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    feed = (FIXTURES / "arxiv" / "2604.05678v2.xml").read_text(encoding="utf-8")
    # XML 1.0 cannot carry ESC itself; it can carry CSI (U+009B), which terminals obey too.
    feed = feed.replace("<title>Long Contexts", "<title>&#155;31m&#133;Long Contexts")
    (tmp_path / "escape.xml").write_text(feed, encoding="utf-8")
    _serve(httpserver, monkeypatch, papers=(str(tmp_path / "escape.xml"),))
    result = cli("import", "issues/012", "2604.05678v2")
    assert result.exit_code == 1
    assert "\x9b" not in result.output and "\x85" not in result.output
    assert "control character" in one_line_errors(result)[0]
    assert papers(publication / "issues/012") == {}
    assert not (publication / "sources/arxiv/2604.05678v2.json").exists()


def test_a_tampered_cache_file_is_an_error_and_refresh_replaces_it(
        publication: Path, standin: StandIn, cli: Cli) -> None:
    assert cli("import", "issues/012", "2604.05678v2").exit_code == 0
    for path in (publication / "issues/012/papers").glob("*.toml"):
        path.unlink()
    cache = publication / "sources/arxiv/2604.05678v2.json"
    record = json.loads(cache.read_text())
    record["title"] = "Injected\u001b[2J"
    cache.write_text(json.dumps(record))
    result = cli("import", "issues/012", "2604.05678v2")
    assert result.exit_code == 1
    line = one_line_errors(result)[0]
    assert line.startswith("newsletter: error: ") and "2604.05678v2.json: title: " in line
    assert "not a cache file this tool wrote" in line and "\x1b" not in result.output
    assert len(standin.arxiv_requests) == 1  # an error, not a miss: nothing asked again
    fixed = cli("import", "issues/012", "2604.05678v2", "--refresh")
    assert fixed.exit_code == 0, fixed.output
    assert "Injected" not in cache.read_text()


def test_a_symlinked_sources_folder_is_refused(publication: Path, standin: StandIn,
                                              cli: Cli, tmp_path_factory:
                                              pytest.TempPathFactory) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (publication / "sources").symlink_to(elsewhere, target_is_directory=True)
    result = cli("import", "issues/012", "2604.05678v2")
    assert result.exit_code == 1
    assert "is a symbolic link" in one_line_errors(result)[0]
    assert list(elsewhere.iterdir()) == []


def test_check_never_asks_a_server(publication: Path, standin: StandIn, cli: Cli) -> None:
    assert cli("import", "issues/012", "2604.01234", "refs.bib").exit_code == 0
    asked = len(standin.arxiv_requests) + len(standin.crossref_requests)
    checked = cli("check", ".", "--no-cache")
    assert checked.exit_code == 0, checked.output
    assert len(standin.arxiv_requests) + len(standin.crossref_requests) == asked


def test_an_id_arxiv_lacks_and_a_busy_arxiv_through_import(
        publication: Path, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """In the library, with a clock that does not wait: arXiv busy (503, Retry-After 5)
    and then answering, without the id that does not exist."""
    from werkzeug import Request, Response

    from newsletter.create.import_papers import ImportFailed, import_papers
    from newsletter.intake.arxiv import ArxivClient
    from tests.support.standin import ARXIV_PATH

    standin = StandIn(httpserver)
    answers: list[int] = []

    def busy_once(request: Request) -> Response:
        answers.append(len(answers))
        if len(answers) == 1:
            return Response("busy", 503, headers={"Retry-After": "5"})
        return standin._arxiv(request)

    httpserver.clear()
    httpserver.expect_request(ARXIV_PATH).respond_with_handler(busy_once)
    waits: list[float] = []
    client = ArxivClient(endpoint=httpserver.url_for(ARXIV_PATH), sleep=waits.append)
    with pytest.raises(ImportFailed) as failed:
        import_papers(publication / "issues/012", ["2604.01234", "0000.0000"], arxiv=client)
    assert failed.value.failures == ["arXiv has no paper 0000.0000"]
    assert 5 in [round(wait) for wait in waits]  # Retry-After, honoured
    assert len(answers) == 2  # the 503, then the answer (one entry: not an empty page)
    assert papers(publication / "issues/012") == {}
    assert (publication / "sources/arxiv/2604.01234v1.json").is_file()


def test_a_malformed_answer_is_one_line(publication: Path, httpserver: HTTPServer, cli: Cli,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.support.standin import ARXIV_PATH

    httpserver.expect_request(ARXIV_PATH).respond_with_data(
        (FIXTURES / "arxiv" / "malformed.xml").read_bytes(), content_type="application/atom+xml")
    monkeypatch.setenv("NEWSLETTER_ARXIV_API", httpserver.url_for(ARXIV_PATH))
    result = cli("import", "issues/012", "1605.08386")
    assert result.exit_code == 1
    assert one_line_errors(result)[0].startswith(
        "newsletter: error: arXiv 1605.08386: the answer is not well-formed XML (line ")
