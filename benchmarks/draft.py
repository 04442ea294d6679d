"""Benchmark of issue 15: ``newsletter draft`` of a 20-paper issue, and what
``ungrounded-number`` costs ``check`` on the 10,000-paper publication.

    .venv/bin/python benchmarks/draft.py [--repeat 5]

- draft: a stand-in for an OpenAI-compatible endpoint on 127.0.0.1 (the standard library's
  HTTP server, in this process) answers every request at once with the fields asked, so
  the time is newsletter's own (prompts, validation, writing 20 files) plus its requests;
  each round drafts a fresh copy of a 20-paper briefing issue whose papers carry only their
  title, url and abstract.
- ungrounded-number: ``check --no-cache`` of benchmarks/generate.py's 500×20 publication,
  every paper given an abstract stating some of its figures, with the rule on and with it
  off ([check.rules] ungrounded-number = "off"), alternating. The generator writes a figure
  in every sentence (17 a paper); so the same is measured again on a publication of as many
  papers written as the bundled briefing's are (``as_written``): their own texts and
  abstracts, two or three figures a paper.

``python -c "import typer"`` is the floor, as in benchmarks/run.py. Writes
``benchmarks/draft-results.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

from generate import generate

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "draft-results.md"
ABSTRACT = ("We propose a method that spends compute where the model is unsure. It matches "
            "a 4x larger model at 38% of its cost, cuts latency by 1.82x and was trained on "
            "30B tokens over 70,000 steps.")


class StandIn(BaseHTTPRequestHandler):
    requests: ClassVar[list[int]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        asked = json.loads(self.rfile.read(length))
        StandIn.requests.append(1)
        schema = asked["response_format"]["json_schema"]["schema"]["properties"]
        answer: dict[str, Any] = {}
        for name, spec in schema.items():
            if spec["type"] == "array":
                answer[name] = ["Cost: it matches a 4x larger model at 38% of its cost.",
                                "Speed: latency falls 1.82x."]
            elif spec["type"] == "number":
                answer[name] = 7.5
            else:
                answer[name] = "It spends compute where the model is unsure."
        body = json.dumps({"id": "x", "object": "chat.completion", "created": 0,
                           "model": asked["model"],
                           "choices": [{"index": 0, "finish_reason": "stop", "message": {
                               "role": "assistant", "content": json.dumps(answer)}}],
                           "usage": {"prompt_tokens": 500, "completion_tokens": 150}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "newsletter", *argv], cwd=cwd, env=env,
                          capture_output=True, text=True)
    took = time.perf_counter() - started
    if done.returncode not in (0, 1) or "Traceback" in done.stderr:
        raise SystemExit(f"newsletter {' '.join(argv)} failed:\n{done.stderr[-2000:]}")
    return took


def with_abstracts(root: Path) -> None:
    """Every paper of the publication given an abstract (before any table of its file)
    that states the figures its text uses, as a real paper's abstract mostly does: the
    rule's own cost is measured, not that of reporting ten thousand warnings."""
    import tomllib

    from newsletter.check.grounding import figures

    def strings(value: Any) -> list[str]:
        if isinstance(value, str):
            return [value]
        if isinstance(value, dict):
            return [text for item in value.values() for text in strings(item)]
        if isinstance(value, list):
            return [text for item in value for text in strings(item)]
        return []

    for path in root.glob("issues/*/papers/*.toml"):
        text = path.read_text(encoding="utf-8")
        stated = " ".join(figure.raw for value in strings(tomllib.loads(text))
                          for figure in figures(value))
        line = f"abstract = {json.dumps(ABSTRACT + ' It reports ' + stated + '.')}\n"
        table = re.search(r"(?m)^\[", text)
        at = table.start() if table else len(text)
        path.write_text(text[:at] + line + text[at:], encoding="utf-8")


def as_written(root: Path) -> None:
    """Every paper of the generated publication replaced by one of the bundled briefing's
    papers, in turn: its own texts and abstract, under the generated paper's title and url
    (so that no paper is covered twice)."""
    import tomllib

    import tomli_w

    examples = [tomllib.loads(path.read_text(encoding="utf-8")) for path in
                sorted((HERE.parent / "examples" / "briefing" / "papers").glob("*.toml"))]
    for index, path in enumerate(sorted(root.glob("issues/*/papers/*.toml"))):
        generated = tomllib.loads(path.read_text(encoding="utf-8"))
        paper = {key: value for key, value in examples[index % len(examples)].items()
                 if key not in ("arxiv_id", "doi")}
        paper.update(title=generated["title"], url=generated["url"],
                     short_name=generated["short_name"])
        path.write_text(tomli_w.dumps(paper), encoding="utf-8")


def draft_issue(root: Path) -> Path:
    """A 20-paper briefing draft whose papers hold only title, url and abstract."""
    generate(root, issues=1, papers_per_issue=20, style="briefing")
    issue = next(root.glob("issues/*"))
    (issue / "issue.toml").write_text((issue / "issue.toml").read_text().replace(
        'status = "published"', 'status = "draft"'))
    for path in (issue / "papers").glob("*.toml"):
        import tomllib

        data = tomllib.loads(path.read_text(encoding="utf-8"))
        path.write_text(f"title = {json.dumps(data['title'])}\nurl = {json.dumps(data['url'])}"
                        f"\nabstract = {json.dumps(ABSTRACT)}\n", encoding="utf-8")
    toml = root / "newsletter.toml"
    toml.write_text(toml.read_text() + '\n[draft]\nmodel = "stand-in"\n', encoding="utf-8")
    return issue


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {**os.environ, "NEWSLETTER_DRAFT_ENDPOINT":
           f"http://127.0.0.1:{server.server_address[1]}/v1"}
    for name in ("NEWSLETTER_DRAFT_API_KEY", "OPENAI_API_KEY"):
        env.pop(name, None)
    work = Path(tempfile.mkdtemp(prefix="newsletter-draft-bench-"))
    floor, drafts, requests, rule_on, rule_off = [], [], [], [], []
    written_on: list[float] = []
    written_off_s: list[float] = []
    try:
        template = work / "template"
        draft_issue(template)
        big = work / "big"
        generate(big, issues=500, papers_per_issue=20, style="briefing")
        with_abstracts(big)
        written = work / "written"
        generate(written, issues=500, papers_per_issue=20, style="briefing")
        as_written(written)
        off, written_off = work / "big-off", work / "written-off"
        for source, target in ((big, off), (written, written_off)):
            shutil.copytree(source, target)
            toml = target / "newsletter.toml"
            toml.write_text(toml.read_text() + '\n[check.rules]\nungrounded-number = "off"\n')
        for round_ in range(options.repeat + 1):  # the first round warms caches up
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", "import typer"], check=True)
            typer_s = time.perf_counter() - started
            copy = work / f"draft-{round_}"
            shutil.copytree(template, copy)
            before = len(StandIn.requests)
            took = run(["draft", "issues/0001"], copy, env)
            asked = len(StandIn.requests) - before
            on = run(["check", ".", "--no-cache"], big, env)
            off_s = run(["check", ".", "--no-cache"], off, env)
            as_on = run(["check", ".", "--no-cache"], written, env)
            as_off = run(["check", ".", "--no-cache"], written_off, env)
            if round_:
                floor.append(typer_s)
                drafts.append(took)
                requests.append(asked)
                rule_on.append(on)
                rule_off.append(off_s)
                written_on.append(as_on)
                written_off_s.append(as_off)
    finally:
        server.shutdown()
        shutil.rmtree(work, ignore_errors=True)

    typer_ms = statistics.median(floor) * 1000
    on_ms, off_ms = statistics.median(rule_on) * 1000, statistics.median(rule_off) * 1000
    w_on_ms = statistics.median(written_on) * 1000
    w_off_ms = statistics.median(written_off_s) * 1000
    rows = [
        ('`python -c "import typer"` (floor)', statistics.median(floor) * 1000, ""),
        ("`newsletter draft`, 20-paper issue (stand-in answers at once)",
         statistics.median(drafts) * 1000, f"{max(requests)} requests a run"),
        ("`newsletter check --no-cache` 500×20 with abstracts, ungrounded-number on",
         on_ms, f"{on_ms / off_ms:.3f}× the same with it off"),
        ("the same, ungrounded-number off", off_ms, ""),
        ("`newsletter check --no-cache` 500×20 written as the bundled briefing, rule on",
         w_on_ms, f"{w_on_ms / w_off_ms:.3f}× the same with it off"),
        ("the same, ungrounded-number off", w_off_ms, ""),
    ]
    lines = [
        "# newsletter draft benchmark (issue 15)", "",
        f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: nproc {os.cpu_count()}, python {sys.version.split()[0]}",
        f"- load average (1 min) after: {os.getloadavg()[0]:.2f}",
        f"- runs: {options.repeat} of each, alternating, after one warm-up round", "",
        "| command | median | ratio to typer | note |", "| --- | ---: | ---: | --- |",
    ]
    lines += [f"| {label} | {ms:,.1f} ms | {ms / typer_ms:.2f}× | {note} |"
              for label, ms, note in rows]
    text = "\n".join(lines) + "\n"
    RESULTS.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
