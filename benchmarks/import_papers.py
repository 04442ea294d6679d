"""Benchmark of issue 13: ``newsletter import`` of 20 arXiv ids, uncached and cached.

    .venv/bin/python benchmarks/import_papers.py [--repeat 9]

A stand-in for arXiv's export API runs on 127.0.0.1 (the standard library's HTTP server, in
this process) and answers ``id_list=...`` with 20 synthetic papers in arXiv's Atom format.
Each round, in fresh subprocesses and alternating so machine noise hits both alike:

- uncached: a new publication imports the 20 ids; the stand-in counts the requests (the
  goal: one), and the stand-in's answer is immediate, so this times newsletter itself;
- cached: a new issue of a publication whose ``sources/`` holds all 20 imports them again
  with the stand-in stopped (the goal: under 0.5 s).

``python -c "import typer"`` is timed alongside as the floor, as in benchmarks/run.py.
Prints a Markdown table and writes it to ``benchmarks/import-results.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "import-results.md"
IDS = [f"2605.{10000 + number}" for number in range(20)]


def entry(arxiv_id: str, number: int) -> str:
    title = escape(f"Synthetic Paper {number}: Sparse Attention at Scale, Variant {number}")
    abstract = escape("We study long contexts. " * 40)
    return f"""  <entry>
    <id>http://arxiv.org/abs/{arxiv_id}v1</id>
    <title>{title}</title>
    <updated>2026-05-0{1 + number % 9}T10:00:00Z</updated>
    <summary>{abstract}</summary>
    <published>2026-05-0{1 + number % 9}T10:00:00Z</published>
    <arxiv:primary_category term="cs.LG"/>
    <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
    <author><name>Ada Lovelace</name></author>
    <author><name>Alan Turing</name></author>
  </entry>
"""


ENTRIES = {arxiv_id: entry(arxiv_id, number) for number, arxiv_id in enumerate(IDS)}


class StandIn(BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        asked = parse_qs(urlsplit(self.path).query).get("id_list", [""])[0].split(",")
        StandIn.requests.append(",".join(asked))
        found = [ENTRIES[one] for one in asked if one in ENTRIES]
        body = ("<?xml version='1.0' encoding='UTF-8'?>\n"
                '<feed xmlns="http://www.w3.org/2005/Atom" '
                'xmlns:arxiv="http://arxiv.org/schemas/atom" '
                'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">\n'
                f"<opensearch:totalResults>{len(found)}</opensearch:totalResults>\n"
                + "".join(found) + "</feed>\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/atom+xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def newsletter(*args: str, cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "newsletter", *args], cwd=cwd, env=env,
                          capture_output=True, text=True)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"newsletter {' '.join(args)} failed:\n{done.stderr}")
    return took


def publication(root: Path, env: dict[str, str]) -> Path:
    root.mkdir(parents=True)
    (root / "newsletter.toml").write_text('name = "Bench"\nstyle = "briefing"\n',
                                          encoding="utf-8")
    newsletter("new-issue", "issues/001", "--number", "1", "--date", "2026-05-11",
               cwd=root, env=env)
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=9)
    options = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {**os.environ, "NEWSLETTER_ARXIV_API":
           f"http://127.0.0.1:{server.server_address[1]}/api/query",
           "PYTHONDONTWRITEBYTECODE": ""}
    env.pop("NEWSLETTER_OFFLINE", None)
    work = Path(tempfile.mkdtemp(prefix="newsletter-import-bench-"))
    floor, uncached, cached, requests = [], [], [], []
    try:
        warm = publication(work / "warm", env)  # .pyc files written, caches filled
        newsletter("import", "issues/001", *IDS, cwd=warm, env=env)
        for round_ in range(options.repeat):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", "import typer"], check=True)
            floor.append(time.perf_counter() - started)

            fresh = publication(work / f"fresh-{round_}", env)
            before = len(StandIn.requests)
            uncached.append(newsletter("import", "issues/001", *IDS, cwd=fresh, env=env))
            requests.append(len(StandIn.requests) - before)

            # Again, into a new issue, offline: only sources/ can answer.
            newsletter("new-issue", "issues/002", "--number", "2", "--date", "2026-05-18",
                       cwd=fresh, env=env)
            shutil.rmtree(fresh / "issues/001")
            cached.append(newsletter("import", "issues/002", *IDS, "--offline", cwd=fresh,
                                     env=env))
    finally:
        server.shutdown()
        shutil.rmtree(work, ignore_errors=True)

    typer_ms = statistics.median(floor) * 1000
    rows = [
        ("`python -c \"import typer\"` (floor)", statistics.median(floor), ""),
        ("`newsletter import` 20 uncached ids (stand-in answers at once)",
         statistics.median(uncached), f"{max(requests)} request(s) each run"),
        ("`newsletter import --offline` 20 cached ids", statistics.median(cached),
         "goal < 500 ms"),
    ]
    lines = [
        "# newsletter import benchmark (issue 13)", "",
        f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: nproc {os.cpu_count()}, python {sys.version.split()[0]}",
        f"- load average (1 min) after: {os.getloadavg()[0]:.2f}",
        f"- runs: {options.repeat} of each, alternating", "",
        "| command | median | ratio to typer | note |", "| --- | ---: | ---: | --- |",
    ]
    for label, seconds, note in rows:
        lines.append(f"| {label} | {seconds * 1000:,.1f} ms | "
                     f"{seconds * 1000 / typer_ms:.2f}× | {note} |")
    text = "\n".join(lines) + "\n"
    RESULTS.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
