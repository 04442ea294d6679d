"""The shared polite GET of the intake clients, against a real HTTP server on this machine."""

from __future__ import annotations

import datetime as dt
import email.utils
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from newsletter.intake import http

pytestmark = pytest.mark.allow_hosts(["localhost", "127.0.0.1", "::1"])


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _get(server: HTTPServer, sleeps: Sleeps, *, max_bytes: int = 1000, retries: int = 2,
         total_timeout: float = 5.0) -> http.Answer:
    with http.session(http.user_agent("ed@example.org")) as session:
        return http.get(session, server.url_for("/thing"), source="test thing",
                        retries=http.Retries("test thing", retries, 1.0, 60.0, sleeps),
                        max_bytes=max_bytes, connect_timeout=2.0, read_timeout=2.0,
                        total_timeout=total_timeout)


@pytest.mark.parametrize(("value", "low", "high"), [
    ("7", 7.0, 7.0), (" 2.5 ", 2.5, 2.5), ("-3", 0.0, 0.0), ("1e9", 1e9, 1e9),
    ("inf", float("inf"), float("inf"))])
def test_retry_after_in_seconds(value: str, low: float, high: float) -> None:
    asked = http.retry_after(value)
    assert asked is not None and low <= asked <= high


def test_retry_after_as_an_http_date() -> None:
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)
    asked = http.retry_after(email.utils.format_datetime(soon, usegmt=True))
    assert asked is not None and 25 < asked <= 30
    past = email.utils.format_datetime(soon - dt.timedelta(days=1), usegmt=True)
    assert http.retry_after(past) == 0.0


@pytest.mark.parametrize("value", [None, "", "soon", "nan", "9" * 65])
def test_retry_after_that_says_nothing(value: str | None) -> None:
    assert http.retry_after(value) is None


def test_the_user_agent_names_the_tool_and_the_contact(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/thing").respond_with_data("ok")
    answer = _get(httpserver, Sleeps())
    agent = httpserver.log[0][0].headers["User-Agent"]
    assert agent == http.user_agent("ed@example.org")
    assert agent.endswith("; mailto:ed@example.org)") and "/" in agent.split()[0]
    assert (answer.status, answer.body) == (200, b"ok")


def test_a_busy_server_is_retried_as_asked_then_read(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/thing").respond_with_data(
        "busy", status=503, headers={"Retry-After": "4"})
    httpserver.expect_ordered_request("/thing").respond_with_data("busy", status=429)
    httpserver.expect_ordered_request("/thing").respond_with_data("done")
    sleeps = Sleeps()
    assert _get(httpserver, sleeps).body == b"done"
    assert sleeps == [4.0, 2.0]  # as asked, then the backoff (1 s doubled)


def test_a_lower_case_retry_after_is_the_same_header(httpserver: HTTPServer) -> None:
    """Header names are case-insensitive (HTTP/2 proxies send them lower case)."""
    httpserver.expect_ordered_request("/thing").respond_with_data(
        "busy", status=503, headers={"retry-after": "4"})
    httpserver.expect_ordered_request("/thing").respond_with_data("done")
    sleeps = Sleeps()
    assert _get(httpserver, sleeps).body == b"done"
    assert sleeps == [4.0]


def test_retries_are_bounded(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/thing").respond_with_data("down", status=502)
    sleeps = Sleeps()
    with pytest.raises(http.Unavailable) as caught:
        _get(httpserver, sleeps)
    assert str(caught.value) == (f"test thing: localhost:{httpserver.port} answered HTTP 502 "
                                 "after 3 tries; try again later")
    assert sleeps == [1.0, 2.0] and len(httpserver.log) == 3


def test_an_absurd_retry_after_fails_at_once(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/thing").respond_with_data(
        "later", status=429, headers={"Retry-After": "86400"})
    sleeps = Sleeps()
    with pytest.raises(http.Unavailable, match=r"HTTP 429, asked to wait 86400 s \(more than "
                       r"60 s\); try again later$"):
        _get(httpserver, sleeps)
    assert sleeps == [] and len(httpserver.log) == 1


def test_other_statuses_are_the_callers(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/thing").respond_with_data("gone", status=404)
    answer = _get(httpserver, Sleeps())
    assert (answer.status, answer.body) == (404, b"gone")
    assert answer.url == httpserver.url_for("/thing")


def test_the_byte_cap_by_length_and_while_reading(httpserver: HTTPServer) -> None:
    sent: list[int] = []

    def endless(request: Request) -> Response:
        def chunks() -> Iterator[bytes]:  # no Content-Length
            for _ in range(1000):
                sent.append(1)
                yield b" " * 65536
        return Response(chunks())

    httpserver.expect_ordered_request("/thing").respond_with_data(b" " * 1001)
    httpserver.expect_ordered_request("/thing").respond_with_handler(endless)
    for _ in range(2):
        with pytest.raises(http.TooLarge) as caught:
            _get(httpserver, Sleeps())
        assert str(caught.value) == (f"test thing: the answer from localhost:{httpserver.port} "
                                     "is larger than 1000 bytes; not reading it")
    assert len(sent) < 1000


def test_a_dripping_answer_has_a_deadline(httpserver: HTTPServer) -> None:
    done = threading.Event()

    def drip(request: Request) -> Response:
        def chunks() -> Iterator[bytes]:
            for _ in range(20):
                if done.wait(0.1):
                    return
                yield b" "
        return Response(chunks())

    httpserver.expect_request("/thing").respond_with_handler(drip)
    started = time.perf_counter()
    try:
        with pytest.raises(http.Unavailable) as caught:
            _get(httpserver, Sleeps(), total_timeout=0.5)
    finally:
        done.set()
    assert str(caught.value) == (f"test thing: localhost:{httpserver.port} sent its answer too "
                                 "slowly (more than 0.5 s)")
    assert time.perf_counter() - started < 1.5


def test_requests_is_imported_only_when_used() -> None:
    code = "import sys, newsletter.intake.http; print('requests' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"
