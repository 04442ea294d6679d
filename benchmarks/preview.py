"""Save-to-updated-page latency of ``newsletter preview`` on a generated 20-paper issue.

    python benchmarks/preview.py [--saves 30] [--papers 20] [--style weekly]

Starts a real preview server, follows its event stream as the open page does, and for each
save (a paper's title rewritten on disk) measures the time until the page has the new
render: the save's event has arrived and ``/view`` answers with the new title in it. The
debounce (the watcher's wait for more files of the same save) is part of that time and is
reported beside it. Prints a Markdown table; nothing is written.
"""

from __future__ import annotations

import argparse
import http.client
import os
import queue
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _events(port: int, into: queue.Queue[float]) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    connection.request("GET", "/events")
    response = connection.getresponse()  # held: its file closes when it is collected
    for line in response.fp:
        if line.startswith(b"data:"):
            into.put(time.perf_counter())


def _get(port: int, path: str) -> bytes:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", path)
    return connection.getresponse().read()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--saves", type=int, default=30)
    parser.add_argument("--papers", type=int, default=20)
    parser.add_argument("--style", default="weekly")
    args = parser.parse_args()

    from newsletter.preview.watch import STEP_MS

    with tempfile.TemporaryDirectory() as work:
        root = Path(work) / "publication"
        subprocess.run([sys.executable, str(HERE / "generate.py"), "--issues", "1",
                        "--papers-per-issue", str(args.papers), "--style", args.style,
                        str(root)], check=True, capture_output=True)
        issue = next((root / "issues").iterdir())
        paper = sorted((issue / "papers").glob("*.toml"))[0]
        original = paper.read_text(encoding="utf-8")
        title_line = next(line for line in original.splitlines() if line.startswith("title ="))
        port = _free_port()
        server = subprocess.Popen([sys.executable, "-m", "newsletter", "preview", str(issue),
                                   "--port", str(port)], cwd=REPO, stderr=subprocess.PIPE,
                                  env={**os.environ, "PYTHONPATH": str(REPO)})
        try:
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    time.sleep(0.05)
            _get(port, "/view?v=page")  # the first render compiles the templates
            arrived: queue.Queue[float] = queue.Queue()
            threading.Thread(target=_events, args=(port, arrived), daemon=True).start()
            time.sleep(0.5)
            to_event, to_page = [], []
            for save in range(args.saves):
                title = f"Latency Probe {save:03d}"
                started = time.perf_counter()
                paper.write_text(original.replace(title_line, f'title = "{title}"'),
                                 encoding="utf-8")
                event_at = arrived.get(timeout=30)
                body = _get(port, "/view?v=page")
                done = time.perf_counter()
                assert title.encode() in body, "the page did not have the new title"
                to_event.append((event_at - started) * 1000)
                to_page.append((done - started) * 1000)
                time.sleep(0.3)  # apart, so that each save is its own
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)
    load = os.getloadavg()[0]
    print(f"# preview latency: {args.papers}-paper {args.style} issue, {args.saves} saves, "
          f"load {load:.2f}\n")
    print("| measure | median | p90 |\n| --- | ---: | ---: |")
    for name, values in (("save → event (debounce included)", to_event),
                         ("save → updated page", to_page)):
        p90 = statistics.quantiles(values, n=10)[-1]
        print(f"| {name} | {statistics.median(values):.0f} ms | {p90:.0f} ms |")
    beyond = statistics.median(to_page) - STEP_MS
    print(f"| debounce (watcher step) | {STEP_MS} ms | |")
    print(f"| updated page beyond the debounce | {beyond:.0f} ms | |")


if __name__ == "__main__":
    main()
