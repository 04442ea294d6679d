"""DOIs: their forms, Crossref's /works answer, doi.org's CSL-JSON, and every bad answer.

A real HTTP server on this machine (pytest-httpserver) stands in for api.crossref.org and
doi.org; every other connection is refused by pytest-socket, so a test that reached out
would fail.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from pytest_socket import SocketConnectBlockedError
from werkzeug import Request, Response

from newsletter.intake import doi as doi_module
from newsletter.intake.doi import CSL_JSON, DoiError, fetch, normalise, plain_text

pytestmark = pytest.mark.allow_hosts(["localhost", "127.0.0.1", "::1"])

FIXTURES = Path(__file__).parent / "fixtures"
ACM = "10.1145/3712345.3712346"
ARXIV_DOI = "10.48550/arxiv.2604.01234"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def server(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[HTTPServer]:
    monkeypatch.setenv("NEWSLETTER_CROSSREF_API", httpserver.url_for("/crossref"))
    monkeypatch.setenv("NEWSLETTER_DOI_RESOLVER", httpserver.url_for("/resolver/"))
    monkeypatch.delenv("NEWSLETTER_CONTACT", raising=False)
    yield httpserver
    httpserver.clear()


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.mark.parametrize("text", [
    ACM, ACM.upper(), f"doi:{ACM}", f"DOI:{ACM}", f"https://doi.org/{ACM}",
    f"http://dx.doi.org/{ACM}", "https://doi.org/10.1145%2F3712345.3712346", f"  {ACM}\n"])
def test_doi_forms_normalise_to_one(text: str) -> None:
    assert normalise(text) == ACM


@pytest.mark.parametrize("text, found", [
    ("doi:10.1002/(SICI)1097-4636(199601)30:1<1::AID-JBM1>3.0.CO;2-#",
     "10.1002/(sici)1097-4636(199601)30:1<1::aid-jbm1>3.0.co;2-#"),
    ("https://doi.org/10.1002/(sici)1097-4636(199601)30:1%3C1::aid-jbm1%3E3.0.co;2-%23",
     "10.1002/(sici)1097-4636(199601)30:1<1::aid-jbm1>3.0.co;2-#"),
    ("https://doi.org/10.1145/3712345.3712346#section-2", ACM)])
def test_a_hash_is_part_of_a_doi_except_in_a_link(text: str, found: str) -> None:
    assert normalise(text) == found


@pytest.mark.parametrize("text", [
    "", "hello", "10.1/x", "https://example.org/10.1145/abc", "10.1145/", "10.1145/a\x00b",
    "10.1145/" + "x" * 400])
def test_what_is_not_a_doi(text: str) -> None:
    assert normalise(text) is None


def test_jats_abstracts_become_plain_text() -> None:
    markup = ("<jats:title>Abstract</jats:title><jats:p>We <jats:italic>show</jats:italic> "
              "&amp; prove&#x2014;x.</jats:p><jats:p>Second.</jats:p>")
    assert plain_text(markup) == "We show & prove\u2014x. Second."


def test_a_crossref_work_in_the_polite_pool(server: HTTPServer) -> None:
    server.expect_request(f"/crossref/works/{ACM}", query_string={"mailto": "ed@example.org"}
                          ).respond_with_data(fixture("crossref/work.json"),
                                              content_type="application/json")
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    record = fetch(ACM, contact="ed@example.org")
    assert record.title == "Sparse Attention for Long Contexts"
    assert record.url == f"https://doi.org/{ACM}"
    assert record.doi == ACM
    assert record.authors == ["Ada Lovelace", "Grace Hopper", "The Sparse Attention Consortium"]
    assert record.abstract == ("We study sparse attention & show that long contexts need 2 "
                               "less memory\u2014without loss. Code is released.")
    assert record.published == dt.date(2025, 6, 20)
    assert record.fetched_from == server.url_for(f"/crossref/works/{ACM.replace('/', '%2F')}")
    assert before <= record.fetched_at <= dt.datetime.now(dt.UTC)
    request = server.log[0][0]
    assert "mailto:ed@example.org" in request.headers["User-Agent"]
    assert request.headers["User-Agent"].startswith("newsletter-composer/")


def test_the_contact_can_come_from_the_environment(server: HTTPServer,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSLETTER_CONTACT", "env@example.org")
    server.expect_request(f"/crossref/works/{ACM}", query_string={"mailto": "env@example.org"}
                          ).respond_with_data(fixture("crossref/work.json"))
    assert fetch(ACM).title == "Sparse Attention for Long Contexts"


def test_a_year_alone_is_the_first_of_january(server: HTTPServer) -> None:
    server.expect_request("/crossref/works/10.1000/year.only").respond_with_data(
        fixture("crossref/year-only.json"))
    record = fetch("10.1000/year.only")
    assert record.published == dt.date(1998, 1, 1)
    assert record.authors == ["Anonymous"] and record.abstract is None


def test_a_date_too_big_for_a_calendar_is_no_date(server: HTTPServer) -> None:
    work = json.loads(fixture("crossref/year-only.json"))
    work["message"]["issued"] = {"date-parts": [[10**20]]}
    server.expect_request("/crossref/works/10.1000/year.only").respond_with_json(work)
    assert fetch("10.1000/year.only").published is None


def test_a_doi_crossref_does_not_hold_is_asked_of_doi_org(server: HTTPServer) -> None:
    server.expect_request(f"/crossref/works/{ARXIV_DOI}").respond_with_data(
        "Resource not found.", status=404)
    server.expect_request(f"/resolver/{ARXIV_DOI}", headers={"Accept": CSL_JSON}
                          ).respond_with_data(fixture("csl/arxiv-datacite.json"),
                                              content_type=CSL_JSON)
    record = fetch(ARXIV_DOI)
    assert record.title == "Scaling Test-Time Compute, Carefully"
    assert record.authors == ["Alan Turing", "Emmy Noether", "OpenScience Collective"]
    assert record.abstract == "We introduce a method for scaling test-time compute. It works " \
        "<sometimes>."
    assert record.published == dt.date(2026, 4, 2)
    assert record.url == f"https://doi.org/{ARXIV_DOI}"
    assert record.fetched_from == server.url_for(f"/resolver/{ARXIV_DOI}")


def test_a_doi_nobody_holds(server: HTTPServer) -> None:
    server.expect_request(f"/crossref/works/{ACM}").respond_with_data("", status=404)
    server.expect_request(f"/resolver/{ACM}").respond_with_data("", status=404)
    with pytest.raises(DoiError) as caught:
        fetch(ACM)
    assert str(caught.value) == f"doi:{ACM}: no such DOI (neither Crossref nor " \
        f"{server.host}:{server.port} knows it)"


@pytest.mark.parametrize("status", [400, 403, 500, 502])
def test_http_errors(server: HTTPServer, status: int) -> None:
    server.expect_request(f"/crossref/works/{ACM}").respond_with_data("no", status=status)
    with pytest.raises(DoiError, match=rf"^doi:{ACM}: localhost:\d+ answered HTTP {status}\b"):
        fetch(ACM, sleep=Sleeps())


def test_retry_after_is_obeyed_then_the_answer_read(server: HTTPServer) -> None:
    server.expect_ordered_request(f"/crossref/works/{ACM}").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "1"})
    when = email.utils.format_datetime(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5),
                                       usegmt=True)
    server.expect_ordered_request(f"/crossref/works/{ACM}").respond_with_data(
        "busy", status=503, headers={"Retry-After": when})
    server.expect_ordered_request(f"/crossref/works/{ACM}").respond_with_data(
        fixture("crossref/work.json"))
    sleeps = Sleeps()
    assert fetch(ACM, sleep=sleeps).doi == ACM
    assert sleeps[0] == 1.0 and 2.0 < sleeps[1] <= 5.0 and len(sleeps) == 2


def test_retries_are_bounded(server: HTTPServer) -> None:
    server.expect_request(f"/crossref/works/{ACM}").respond_with_data(
        "busy", status=503, headers={"Retry-After": "2"})
    sleeps = Sleeps()
    with pytest.raises(DoiError) as caught:
        fetch(ACM, sleep=sleeps)
    assert str(caught.value) == (f"doi:{ACM}: localhost:{server.port} answered HTTP 503 after "
                                 "3 tries; try again later")
    assert sleeps == [2.0, 2.0] and len(server.log) == doi_module.ATTEMPTS


def test_a_wait_too_long_is_reported_not_slept(server: HTTPServer) -> None:
    server.expect_request(f"/crossref/works/{ACM}").respond_with_data(
        "later", status=429, headers={"Retry-After": "3600"})
    sleeps = Sleeps()
    with pytest.raises(DoiError, match=r"HTTP 429, asked to wait 3600 s \(more than 60 s\)"):
        fetch(ACM, sleep=sleeps)
    assert sleeps == [] and len(server.log) == 1


def test_no_retry_after_backs_off(server: HTTPServer) -> None:
    server.expect_request(f"/crossref/works/{ACM}").respond_with_data("busy", status=429)
    sleeps = Sleeps()
    with pytest.raises(DoiError, match=r"HTTP 429 after 3 tries; try again later$"):
        fetch(ACM, sleep=sleeps)
    assert sleeps == [2.0, 4.0]


@pytest.mark.parametrize("body, message", [
    (b"{\"status\": \"ok\", ", "answered malformed JSON"),
    (b"<html>Service page</html>", "answered malformed JSON"),
    (b"\xff\xfe\x00", "answered malformed JSON"),
    (b"[1, 2, 3]", "answered JSON that is not a Crossref work (the answer: Input should be a "
     "valid dictionary"),
    (fixture("crossref/wrong-shape.json"), "answered JSON that is not a Crossref work "
     "(message.title"),
    (fixture("crossref/work-list.json"), "answered 'work-list', not a work"),
    (fixture("crossref/control-title.json"), "has a title that cannot be kept: Value error, "
     "contains a control character"),
    (json.dumps({"status": "ok", "message-type": "work", "message": {"title": []}}).encode(),
     "has no title"),
])
def test_bad_answers(server: HTTPServer, body: bytes, message: str) -> None:
    server.expect_request(f"/crossref/works/{ACM}").respond_with_data(body)
    with pytest.raises(DoiError) as caught:
        fetch(ACM)
    text = str(caught.value)
    assert text.startswith(f"doi:{ACM}: ") and message in text
    assert "\n" not in text and "\x1b" not in text


def test_a_bad_csl_answer(server: HTTPServer) -> None:
    server.expect_request(f"/crossref/works/{ARXIV_DOI}").respond_with_data("", status=404)
    server.expect_request(f"/resolver/{ARXIV_DOI}").respond_with_data(b'{"author": "me"}')
    with pytest.raises(DoiError, match="answered JSON that is not a CSL-JSON item"):
        fetch(ARXIV_DOI)


def test_an_oversized_answer_is_cut(server: HTTPServer) -> None:
    big = b" " * (doi_module.MAX_BODY_BYTES + 1)
    server.expect_request(f"/crossref/works/{ACM}").respond_with_data(big)
    with pytest.raises(DoiError, match="is larger than 2 MiB; not reading it"):
        fetch(ACM)


def test_an_oversized_answer_without_a_length_is_cut_while_read(server: HTTPServer) -> None:
    sent: list[int] = []

    def endless(request: Request) -> Response:
        def chunks() -> Iterator[bytes]:
            for _ in range(1000):  # 64 MiB if it were all read
                sent.append(1)
                yield b" " * 65536
        return Response(chunks(), content_type="application/json")

    server.expect_request(f"/crossref/works/{ACM}").respond_with_handler(endless)
    with pytest.raises(DoiError, match="is larger than 2 MiB"):
        fetch(ACM)
    assert len(sent) < 1000


def test_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("NEWSLETTER_CROSSREF_API", f"http://127.0.0.1:{port}")
    with pytest.raises(DoiError) as caught:
        fetch(ACM)
    assert str(caught.value) == f"doi:{ACM}: cannot reach 127.0.0.1:{port} (Connection refused)"


def test_a_timeout(server: HTTPServer) -> None:
    released = threading.Event()

    def slow(request: Request) -> Response:
        released.wait(10)  # the server answers one request at a time: free it after
        return Response(fixture("crossref/work.json"))

    server.expect_request(f"/crossref/works/{ACM}").respond_with_handler(slow)
    try:
        with pytest.raises(DoiError) as caught:
            fetch(ACM, timeout=0.3)
    finally:
        released.set()
    assert str(caught.value) == f"doi:{ACM}: localhost:{server.port} did not answer within 0.3 s"


def test_a_malformed_doi_is_refused_before_any_request(server: HTTPServer) -> None:
    with pytest.raises(DoiError, match=r"^'10\.1145/a b': not a DOI"):
        fetch("10.1145/a b")
    assert server.log == []


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_the_socket_guard_refuses_other_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The guard itself: were an endpoint left at a real host, the test fails."""
    monkeypatch.setenv("NEWSLETTER_CROSSREF_API", "http://192.0.2.1")
    with pytest.raises(SocketConnectBlockedError):
        fetch(ACM)


def test_an_answer_dripped_slowly_has_a_deadline(server: HTTPServer) -> None:
    done = threading.Event()

    def drip(request: Request) -> Response:
        def chunks() -> Iterator[bytes]:
            for _ in range(20):  # each read is quick; the whole would take 4 s
                if done.wait(0.2):
                    return
                yield b" "
        return Response(chunks(), content_type="application/json")

    server.expect_request(f"/crossref/works/{ACM}").respond_with_handler(drip)
    start = time.perf_counter()
    try:
        with pytest.raises(DoiError) as caught:
            fetch(ACM, timeout=0.3)
    finally:
        done.set()
    assert str(caught.value) == (f"doi:{ACM}: localhost:{server.port} sent its answer too "
                                 "slowly (more than 0.9 s)")
    assert time.perf_counter() - start < 3


def test_a_stall_in_the_middle_of_the_answer(server: HTTPServer) -> None:
    done = threading.Event()

    def stall(request: Request) -> Response:
        def chunks() -> Iterator[bytes]:
            yield b'{"status": "ok", '
            done.wait(10)
            yield b"}"
        return Response(chunks(), content_type="application/json")

    server.expect_request(f"/crossref/works/{ACM}").respond_with_handler(stall)
    try:
        with pytest.raises(DoiError) as caught:
            fetch(ACM, timeout=0.3)
    finally:
        done.set()
    assert str(caught.value) == f"doi:{ACM}: localhost:{server.port} did not answer within 0.3 s"


def test_the_reason_phrase_is_not_echoed(server: HTTPServer) -> None:
    server.expect_request(f"/crossref/works/{ACM}").respond_with_response(
        Response("no", status="500 \x1b]0;owned\x07"))
    with pytest.raises(DoiError) as caught:
        fetch(ACM)
    assert str(caught.value) == f"doi:{ACM}: localhost:{server.port} answered HTTP 500"


@pytest.mark.parametrize("contact", ["ed@example.org\r\nX-Injected: 1", "not an address",
                                     "ed@example.org mailto:other@example.org", "@example.org"])
def test_a_contact_that_is_not_an_address_is_refused(server: HTTPServer, contact: str) -> None:
    with pytest.raises(DoiError) as caught:
        fetch(ACM, contact=contact)
    assert str(caught.value).startswith(f"doi:{ACM}: the contact address ")
    assert "is not an e-mail address" in str(caught.value) and "\n" not in str(caught.value)
    assert server.log == []
