"""``newsletter preview``: a real server process, a real browser, real saves on disk."""

from __future__ import annotations

import http.client
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import child_env, newsletter_argv
from tests.support.paths import EXAMPLES


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Running:
    process: subprocess.Popen[bytes]
    port: int
    issue: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def get(self, path: str, host: str | None = None) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        headers = {"Host": host} if host else {}
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()


def _start(issue: Path, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(newsletter_argv("preview", issue, "--port", str(port)),
                            cwd=issue.parent, env=child_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def _wait_until_up(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1].decode()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("the preview did not start listening within 30 s")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Running]:
    issue = tmp_path / "weekly"
    shutil.copytree(EXAMPLES / "weekly", issue,
                    ignore=shutil.ignore_patterns(".newsletter-cache"))
    port = _free_port()
    process = _start(issue, port)
    _wait_until_up(port, process)
    running = Running(process, port, issue)
    yield running
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=20)
        assert process.returncode == 0, err.decode()
        assert b"Traceback" not in err


def _first_paper(issue: Path) -> Path:
    return sorted((issue / "papers").glob("*.toml"))[0]


def test_it_serves_the_views_and_nothing_else(served: Running) -> None:
    status, headers, body = served.get("/")
    assert status == 200 and b'id="frame"' in body
    for view, marker in (("page", b"<!DOCTYPE html>"), ("email", b"<table"),
                         ("text", b"ISSUE 003"), ("md", b"**ISSUE 003**")):
        status, headers, body = served.get(f"/view?v={view}")
        assert status == 200, view
        assert marker in body, view
        assert "default-src 'none'" in headers["Content-Security-Policy"]
    for path in ("/etc/passwd", "/papers/", "/issue.toml", "/../newsletter.toml",
                 "/view?v=../../etc/passwd", "/view?style=../../x"):
        assert served.get(path)[0] == 404, path


def test_another_host_name_is_refused(served: Running) -> None:
    # A page on the web whose name resolves to 127.0.0.1 must not read the preview.
    assert served.get("/view?v=page", host=f"evil.example:{served.port}")[0] == 421
    assert served.get("/view?v=page", host=f"localhost:{served.port}")[0] == 200


def test_another_style_lists_what_the_papers_lack(served: Running) -> None:
    _, _, body = served.get("/view?v=page&style=digest")
    assert b"problems" in body
    assert re.search(rb"papers/01-[^:]+\.toml:1:1: missing &#x27;headline&#x27;", body)


def test_dark_mode_switches_the_pages_dark_rules_on(served: Running) -> None:
    _, _, light = served.get("/view?v=page&scheme=light")
    _, _, dark = served.get("/view?v=page&scheme=dark")
    assert b"@media not all" in light and b"@media all" in dark
    assert b"prefers-color-scheme: dark" not in light + dark


class _Events:
    """The 'data:' lines of an event stream, read in a thread of their own."""

    def __init__(self, port: int) -> None:
        import queue
        import threading

        self.lines: queue.Queue[bytes] = queue.Queue()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.request("GET", "/events")
        self._response = connection.getresponse()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for line in self._response.fp:
                if line.startswith(b"data:"):
                    self.lines.put(line)
        except OSError:
            return

    def next(self, timeout: float) -> bytes | None:
        import queue

        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            return None


def test_a_save_is_one_event_and_editor_noise_is_none(served: Running) -> None:
    events = _Events(served.port)
    time.sleep(0.3)  # the stream is open before the first save
    (served.issue / "papers" / ".01-x.toml.swp").write_bytes(b"swap")
    (served.issue / "papers" / "4913").write_bytes(b"")
    (served.issue / "papers" / "01-x.toml~").write_bytes(b"backup")
    assert events.next(1.0) is None
    # "Save all": three files within a few milliseconds are one reload.
    for paper in sorted((served.issue / "papers").glob("*.toml"))[:3]:
        paper.write_text(paper.read_text())
    assert events.next(5.0) is not None
    assert events.next(0.7) is None


def test_ctrl_c_stops_it_quietly(served: Running) -> None:
    served.process.send_signal(signal.SIGINT)
    _, err = served.process.communicate(timeout=20)
    assert served.process.returncode == 0
    assert err.decode().splitlines()[-1] == "preview stopped"


def test_a_port_in_use_is_a_one_line_error(served: Running) -> None:
    second = subprocess.run(newsletter_argv("preview", served.issue, "--port", str(served.port)),
                            env=child_env(), capture_output=True, timeout=60)
    assert second.returncode == 2
    assert second.stderr.decode() == (f"newsletter: error: port {served.port} is in use; "
                                      "choose another with --port\n")


def test_the_open_page_follows_saves_in_a_real_browser(served: Running, browser: Any) -> None:
    from playwright.sync_api import expect

    page = browser.new_page()
    page.goto(served.url)
    frame = page.frame_locator("#frame")
    paper = _first_paper(served.issue)
    text = paper.read_text()
    title = re.search(r'^title = "(.*)"$', text, re.M)
    assert title is not None
    expect(frame.get_by_text(title.group(1)).first).to_be_visible(timeout=15_000)

    # A new title appears with no reload by hand.
    paper.write_text(text.replace(title.group(1), "A Title Changed On Disk", 1))
    expect(frame.get_by_text("A Title Changed On Disk").first).to_be_visible(timeout=5_000)

    # A broken file: its error, at its line, instead of a stale render.
    broken = text.replace("score = ", 'score = "', 1).replace("\nsummary", '"\nsummary', 1)
    paper.write_text(broken)
    line = broken.splitlines().index(next(x for x in broken.splitlines()
                                          if x.startswith("score = "))) + 1
    expect(frame.locator("#problems")).to_be_visible(timeout=5_000)
    expect(frame.get_by_text(re.compile(rf"{re.escape(paper.name)}:{line}:9: score must be a "
                                        "number"))).to_be_visible()

    # Mended: the render comes back.
    paper.write_text(text)
    expect(frame.get_by_text(title.group(1)).first).to_be_visible(timeout=5_000)
    expect(frame.locator("#problems")).to_have_count(0)

    # The bar: another view, and the phone width.
    page.select_option("#view", "text")
    expect(frame.get_by_text("ISSUE 003")).to_be_visible(timeout=5_000)
    page.click("[data-width='390']")
    assert page.eval_on_selector("#frame", "f => f.width") == "390"
    page.close()
