"""arXiv metadata over real HTTP: a local server answers with recorded (and hand-written)
arXiv API answers; every socket to a host other than this machine is refused."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_socket
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from newsletter.entries.identity import ArxivId
from newsletter.errors import NewsletterError
from newsletter.intake.arxiv import (
    DEFAULT_ENDPOINT,
    ArxivBadAnswer,
    ArxivClient,
    ArxivError,
    ArxivNotFound,
    ArxivRecord,
    ArxivRefused,
    ArxivUnavailable,
    ArxivWithdrawn,
)

FIXTURES = Path(__file__).parent / "fixtures" / "arxiv"
API = "/api/query"
XML = "application/atom+xml; charset=utf-8"


pytestmark = pytest.mark.usefixtures("only_this_machine")


class Sleeps(list[float]):
    """Stands in for time.sleep: records each wait instead of waiting, and moves its
    ``clock`` on by it, as if the time had passed."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)

    def clock(self) -> float:
        return time.monotonic() + sum(self)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def _client(endpoint: str, sleeps: Sleeps, **settings: Any) -> ArxivClient:
    return ArxivClient(endpoint=endpoint, sleep=sleeps, clock=sleeps.clock, **settings)


@pytest.fixture
def client(httpserver: HTTPServer, sleeps: Sleeps) -> ArxivClient:
    return _client(httpserver.url_for(API), sleeps)


def _fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def _query(ids: str) -> dict[str, str]:
    """The query each fixture answered (its README), with max_results the count of ids."""
    return {"search_query": "", "id_list": ids, "start": "0",
            "max_results": str(len(ids.split(",")))}


def _serve(server: HTTPServer, ids: str, body: str, status: int = 200,
           headers: dict[str, str] | None = None) -> None:
    server.expect_ordered_request(API, method="GET", query_string=_query(ids)).respond_with_data(
        body, status=status, headers=headers, content_type=XML)


def _message(error: pytest.ExceptionInfo[NewsletterError]) -> str:
    text = str(error.value)
    assert "\n" not in text and "\x1b" not in text
    return text


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_a_socket_to_another_host_is_refused() -> None:
    with pytest.raises(pytest_socket.SocketConnectBlockedError):
        socket.create_connection(("192.0.2.1", 80), timeout=1)


def test_one_paper(httpserver: HTTPServer, client: ArxivClient) -> None:
    _serve(httpserver, "1605.08386", _fixture("1605.08386.xml"))
    [record] = client.fetch(["https://arxiv.org/abs/1605.08386"])
    httpserver.check_assertions()
    assert record.arxiv_id == "1605.08386v1"  # the version fetched
    assert record.url == "https://arxiv.org/abs/1605.08386"
    assert record.title == "Heat-bath random walks with Markov bases"
    assert record.authors == ("Caprice Stanley", "Tobias Windisch")
    assert record.abstract.startswith("Graphs on lattice points are studied whose edges")
    assert record.published == record.updated == date(2016, 5, 26)
    assert record.categories == ("math.CO", "math.ST")
    assert record.comment == "20 pages, 3 figures"
    assert record.doi is None
    assert record.fetched_from == (httpserver.url_for(API) + "?search_query=&id_list="
                                   "1605.08386&start=0&max_results=1")
    assert record.fetched_at.tzinfo is not None
    saved = json.loads(json.dumps(record.as_json()))
    assert saved["published"] == "2016-05-26" and saved["authors"][1] == "Tobias Windisch"


def test_many_ids_are_one_request_and_a_missing_one_is_named(
        httpserver: HTTPServer, client: ArxivClient) -> None:
    _serve(httpserver, "0808.05394,1707.08567", _fixture("0808.05394+1707.08567.xml"))
    found = client.lookup(["0808.05394", "arXiv:1707.08567"])
    httpserver.check_assertions()
    assert len(httpserver.log) == 1
    record = found["1707.08567"]
    assert isinstance(record, ArxivRecord)
    assert record.title.startswith("Proceedings of Workshop AEW10")
    assert len(record.authors) == 34
    assert str(found["0808.05394"]) == "arXiv has no paper 0808.05394"

    _serve(httpserver, "0808.05394,1707.08567", _fixture("0808.05394+1707.08567.xml"))
    with pytest.raises(ArxivNotFound) as error:
        client.fetch(["0808.05394", "1707.08567"])
    assert _message(error) == "arXiv has no paper 0808.05394"


def test_an_id_that_does_not_exist(httpserver: HTTPServer, client: ArxivClient) -> None:
    # Zero entries may be arXiv's empty-page blip: asked once more before it is believed.
    for _ in range(2):
        _serve(httpserver, "0000.0000", _fixture("0000.0000.xml"))
    with pytest.raises(ArxivNotFound) as error:
        client.fetch([ArxivId("0000.0000")])
    assert _message(error) == "arXiv has no paper 0000.0000"
    httpserver.check_assertions()
    assert len(httpserver.log) == 2


def test_a_malformed_id_refused_by_arxiv(httpserver: HTTPServer, client: ArxivClient) -> None:
    # 'abc' never leaves this machine through the parser (next test); built directly, it
    # stands for any id the parser takes and arXiv does not.
    _serve(httpserver, "abc", _fixture("abc.xml"), status=400)
    with pytest.raises(ArxivRefused) as error:
        client.fetch([ArxivId("abc")])
    assert _message(error) == "arXiv refused abc: incorrect id format for abc"


def test_text_that_is_no_id_is_refused_before_any_request(
        httpserver: HTTPServer, client: ArxivClient) -> None:
    with pytest.raises(ArxivRefused) as error:
        client.fetch(["abc\x1b[31m"])
    assert _message(error) == "'abc [31m' is not an arXiv id or link"
    assert httpserver.log == []


def test_wrapped_text_is_collapsed_and_the_version_kept(
        httpserver: HTTPServer, client: ArxivClient) -> None:
    _serve(httpserver, "2604.05678v2", _fixture("2604.05678v2.xml"))
    [record] = client.fetch(["https://www.alphaxiv.org/abs/2604.05678v2"])
    assert record.title == "Long Contexts, Short Memories: Retrieval for Transformers at Scale"
    assert record.abstract == "We study retrieval for long contexts. We show that memory is short."
    assert record.authors == ("Grace Hopper", "Alan Turing")
    assert record.arxiv_id == "2604.05678v2" and record.url == "https://arxiv.org/abs/2604.05678"
    assert record.categories == ("cs.CL", "cs.LG")
    assert record.doi == "10.1234/example.5678"
    assert record.published == date(2026, 4, 7) and record.updated == date(2026, 4, 15)


def test_a_withdrawn_paper_is_refused(httpserver: HTTPServer, client: ArxivClient) -> None:
    _serve(httpserver, "2604.01234", _fixture("2604.01234v2-withdrawn.xml"))
    with pytest.raises(ArxivWithdrawn) as error:
        client.fetch(["2604.01234"])
    assert _message(error) == (
        "arXiv 2604.01234v2 has been withdrawn (This paper has been withdrawn by the "
        "authors); import an earlier version such as 2604.01234v1")


def test_withdrawn_said_inside_an_abstract_is_not_a_withdrawal(
        httpserver: HTTPServer, client: ArxivClient) -> None:
    answer = _fixture("2604.01234v2-withdrawn.xml").replace(
        "<arxiv:comment>This paper has been withdrawn by the authors</arxiv:comment>", "").replace(
        "This paper has been withdrawn", "We study drugs that are withdrawn from the market")
    _serve(httpserver, "2604.01234", answer)
    [record] = client.fetch(["2604.01234"])
    assert record.abstract.startswith("We study drugs that are withdrawn")


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured(httpserver: HTTPServer, client: ArxivClient, sleeps: Sleeps,
                                 status: int) -> None:
    _serve(httpserver, "1605.08386", "busy", status=status, headers={"Retry-After": "7"})
    _serve(httpserver, "1605.08386", _fixture("1605.08386.xml"))
    [record] = client.fetch(["1605.08386"])
    assert record.arxiv_id == "1605.08386v1"
    assert sleeps[0] == 7.0
    assert len(httpserver.log) == 2


def test_retry_after_as_an_http_date(httpserver: HTTPServer, client: ArxivClient,
                                     sleeps: Sleeps) -> None:
    from datetime import UTC, datetime, timedelta
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    _serve(httpserver, "1605.08386", "busy", status=503, headers={"Retry-After": when})
    _serve(httpserver, "1605.08386", _fixture("1605.08386.xml"))
    client.fetch(["1605.08386"])
    assert 15 < sleeps[0] <= 20


def test_without_retry_after_the_backoff_doubles_and_is_bounded(
        httpserver: HTTPServer, client: ArxivClient, sleeps: Sleeps) -> None:
    for _ in range(4):
        _serve(httpserver, "1605.08386", "down", status=503)
    with pytest.raises(ArxivUnavailable) as error:
        client.fetch(["1605.08386"])
    host = httpserver.url_for("/").split("/")[2]
    assert _message(error) == (f"arXiv 1605.08386: {host} answered HTTP 503 after 4 tries; "
                               "try again later")
    assert sleeps[:3] == [3.0, 6.0, 12.0]
    assert len(httpserver.log) == 4


@pytest.mark.parametrize("asked", ["1000000000", "1e9", "inf"])
def test_an_absurd_retry_after_fails_at_once(httpserver: HTTPServer, sleeps: Sleeps,
                                             asked: str) -> None:
    _serve(httpserver, "1605.08386", "busy", status=429, headers={"Retry-After": asked})
    client = ArxivClient(endpoint=httpserver.url_for(API))  # the real time.sleep
    started = time.monotonic()
    with pytest.raises(ArxivUnavailable) as error:
        client.fetch(["1605.08386"])
    assert time.monotonic() - started < 5
    shown = "forever" if asked == "inf" else "1000000000 s"
    host = httpserver.url_for("/").split("/")[2]
    assert _message(error) == (f"arXiv 1605.08386: {host} answered HTTP 429, asked to wait "
                               f"{shown} (more than 60 s); try again later")


def test_an_empty_page_is_asked_again(httpserver: HTTPServer, client: ArxivClient,
                                      sleeps: Sleeps) -> None:
    _serve(httpserver, "1605.08386", _fixture("empty-page.xml"))
    _serve(httpserver, "1605.08386", _fixture("1605.08386.xml"))
    [record] = client.fetch(["1605.08386"])
    assert record.title == "Heat-bath random walks with Markov bases"
    assert len(httpserver.log) == 2 and sleeps[0] == 3.0


@pytest.mark.parametrize(("fixture", "expected"), [
    ("malformed.xml", "arXiv 1605.08386: the answer is not well-formed XML (line 11)"),
    ("billion-laughs.xml",
     "arXiv 1605.08386: the answer declares a DTD or entities (refused, never expanded)"),
    ("external-entity.xml",
     "arXiv 1605.08386: the answer declares a DTD or entities (refused, never expanded)"),
])
def test_bad_xml_is_refused(httpserver: HTTPServer, client: ArxivClient, fixture: str,
                            expected: str) -> None:
    _serve(httpserver, "1605.08386", _fixture(fixture))
    started = time.monotonic()
    with pytest.raises(ArxivBadAnswer) as error:
        client.fetch(["1605.08386"])
    assert _message(error) == expected
    assert time.monotonic() - started < 5


def test_an_answer_that_is_not_atom(httpserver: HTTPServer, client: ArxivClient) -> None:
    _serve(httpserver, "1605.08386", "<html><body>Service page</body></html>")
    with pytest.raises(ArxivBadAnswer) as error:
        client.fetch(["1605.08386"])
    assert _message(error) == "arXiv 1605.08386: the answer is not an Atom feed"


def test_a_huge_answer_is_cut_off(httpserver: HTTPServer, sleeps: Sleeps) -> None:
    client = _client(httpserver.url_for(API), sleeps, max_bytes=100_000)
    _serve(httpserver, "1605.08386", "x" * 200_000)  # with a Content-Length

    sent: list[int] = []

    def endless(request: Request) -> Response:
        def chunks() -> Iterator[bytes]:  # no Content-Length: cut while reading
            for _ in range(10_000):
                sent.append(1)
                yield b"<a>" * 10_000
        return Response(chunks(), content_type=XML)

    httpserver.expect_ordered_request(API, query_string=_query("1605.08386")).respond_with_handler(
        endless)
    host = httpserver.url_for("/").split("/")[2]
    for _ in range(2):
        with pytest.raises(ArxivBadAnswer) as error:
            client.fetch(["1605.08386"])
        assert _message(error) == (f"arXiv 1605.08386: the answer from {host} is larger than "
                                   "100000 bytes; not reading it")
    assert len(sent) < 1000  # of 10,000 chunks (300 MB): loopback buffers hold a few MB


def test_a_timeout(httpserver: HTTPServer, sleeps: Sleeps) -> None:
    def slow(request: Request) -> Response:
        time.sleep(1.5)
        return Response(_fixture("1605.08386.xml"), content_type=XML)

    httpserver.expect_request(API).respond_with_handler(slow)
    client = _client(httpserver.url_for(API), sleeps, read_timeout=0.3)
    with pytest.raises(ArxivUnavailable) as error:
        client.fetch(["1605.08386"])
    host = httpserver.url_for("/").split("/")[2]
    assert _message(error) == f"arXiv 1605.08386: {host} did not answer within 0.3 s"


def test_no_server(sleeps: Sleeps) -> None:
    with socket.socket() as spare:  # a port nobody listens on
        spare.bind(("127.0.0.1", 0))
        port = spare.getsockname()[1]
    client = _client(f"http://127.0.0.1:{port}/api/query", sleeps)
    with pytest.raises(ArxivUnavailable) as error:
        client.fetch(["1605.08386"])
    assert _message(error) == (f"arXiv 1605.08386: cannot reach 127.0.0.1:{port} "
                               "(Connection refused)")


def test_another_http_error(httpserver: HTTPServer, client: ArxivClient) -> None:
    _serve(httpserver, "1605.08386", "gone", status=404)
    with pytest.raises(ArxivUnavailable) as error:
        client.fetch(["1605.08386"])
    host = httpserver.url_for("/").split("/")[2]
    assert _message(error) == f"arXiv 1605.08386: HTTP 404 from {host}"


def test_one_request_every_interval(httpserver: HTTPServer, sleeps: Sleeps) -> None:
    client = _client(httpserver.url_for(API), sleeps, batch_size=1)
    _serve(httpserver, "1605.08386", _fixture("1605.08386.xml"))
    _serve(httpserver, "2604.05678v2", _fixture("2604.05678v2.xml"))
    records = client.fetch(["1605.08386", "2604.05678v2"])
    assert [record.arxiv_id for record in records] == ["1605.08386v1", "2604.05678v2"]
    assert len(sleeps) == 1 and 2.0 < sleeps[0] <= 3.0

    real = ArxivClient(endpoint=httpserver.url_for(API), min_interval=0.4)
    _serve(httpserver, "1605.08386", _fixture("1605.08386.xml"))
    _serve(httpserver, "1605.08386", _fixture("1605.08386.xml"))
    started = time.monotonic()
    real.fetch(["1605.08386"])
    real.fetch(["1605.08386"])
    assert time.monotonic() - started >= 0.4


def test_the_endpoint_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSLETTER_ARXIV_API", raising=False)
    assert ArxivClient().endpoint == DEFAULT_ENDPOINT == "https://export.arxiv.org/api/query"
    monkeypatch.setenv("NEWSLETTER_ARXIV_API", "http://127.0.0.1:9/mirror")
    assert ArxivClient().endpoint == "http://127.0.0.1:9/mirror"
    monkeypatch.setenv("NEWSLETTER_ARXIV_API", "file:///etc/passwd")
    with pytest.raises(ArxivError) as error:
        ArxivClient()
    assert _message(error) == "NEWSLETTER_ARXIV_API must be an http(s) URL, not 'file:///etc/passwd'"


def test_the_environment_endpoint_is_used(httpserver: HTTPServer,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSLETTER_ARXIV_API", httpserver.url_for(API))
    _serve(httpserver, "1605.08386v1", _fixture("1605.08386.xml"))
    [record] = ArxivClient().fetch(["1605.08386v1"])
    assert record.arxiv_id == "1605.08386v1"
    httpserver.check_assertions()


def test_http_and_xml_libraries_are_imported_only_when_used() -> None:
    code = ("import sys, newsletter.intake.arxiv; "
            "print(sorted({'requests', 'defusedxml'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_twenty_ids_are_one_request(httpserver: HTTPServer, client: ArxivClient) -> None:
    recorded = _fixture("1605.08386.xml")
    head, rest = recorded.split("<entry>", 1)
    entry, tail = rest.split("</entry>", 1)
    ids = [f"2604.{number:05d}" for number in range(1, 21)]
    entries = "".join(f"<entry>{entry.replace('1605.08386', one)}</entry>" for one in ids)
    _serve(httpserver, ",".join(ids), head.replace("<opensearch:totalResults>1<",
                                                   "<opensearch:totalResults>20<")
           + entries + tail)
    started = time.perf_counter()
    records = client.fetch(ids)
    elapsed = time.perf_counter() - started
    assert [record.arxiv_id for record in records] == [f"{one}v1" for one in ids]
    assert len(httpserver.log) == 1
    assert elapsed < 1.0


def test_arxivs_error_text_cannot_steer_the_terminal(
        httpserver: HTTPServer, client: ArxivClient) -> None:
    answer = _fixture("abc.xml").replace(
        "<summary>incorrect id format for abc</summary>",
        "<summary>bad&#x9b;31m id\u202e&#10;second line</summary>")
    _serve(httpserver, "abc", answer, status=400)
    with pytest.raises(ArxivRefused) as error:
        client.fetch([ArxivId("abc")])
    assert _message(error) == "arXiv refused abc: bad 31m id second line"
