"""`newsletter site` against Hugo on the same issues (issue 14), side by side in one run.

    .venv/bin/python benchmarks/site_vs_hugo.py            # about two minutes
    .venv/bin/python benchmarks/site_vs_hugo.py --quick    # one run of each

Three rows, measured round-robin with run.py's machinery, in a fresh process each:

- ``newsletter site`` of the generator's 500-issue × 20-paper publication, cold: the output
  folder and the site's cache (``$XDG_CACHE_HOME/newsletter/site/``) removed first;
- the same right after, with one issue's title changed on disk: the incremental rebuild;
- the cold build again with every page's rendering replaced by a page-sized constant
  (``unrendered_site.py``): the floor under any template engine;
- Hugo (Debian's ``hugo``) building 500 Markdown pages, one per issue, each the issue's
  own Markdown rendering (so the same text and links), with a bare layout, its RSS feed
  and sitemap, into an emptied folder with an emptied cache.

run.py runs the same rows in its full suite (and says "unavailable" without Hugo); run
alone, this script puts its rows and targets into ``benchmarks/results.md`` in place of
the ones there, leaving the other rows as they were measured.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import report  # noqa: E402
from generate import generate  # noqa: E402

GROUP = "site"
ISSUES, PAPERS = 500, 20

HUGO_CONFIG = """\
baseURL = "https://example.com/bench/"
title = "Synthetic AI Research Bench"
disableKinds = ["taxonomy", "term"]
[markup.goldmark.renderer]
unsafe = false
"""
HUGO_LAYOUTS = {
    "_default/baseof.html": (
        '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8">'
        "<title>{{ .Title }}</title></head>\n<body><main>{{ block \"main\" . }}{{ end }}"
        "</main></body>\n</html>\n"),
    "_default/single.html": (
        '{{ define "main" }}<p><a href="{{ .Site.Home.RelPermalink }}">Back to archive</a>'
        "</p><h1>{{ .Title }}</h1>{{ .Content }}{{ end }}\n"),
    "_default/list.html": (
        '{{ define "main" }}<h1>{{ .Title }}</h1><ul>{{ range .Pages }}<li><a href="'
        '{{ .RelPermalink }}">{{ .Title }}</a> {{ .Date.Format "2006-01-02" }}'
        "<p>{{ .Summary }}</p></li>{{ end }}</ul>{{ end }}\n"),
    "index.html": (
        '{{ define "main" }}<h1>{{ .Site.Title }}</h1><ul>{{ range .Site.RegularPages }}'
        '<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>{{ end }}\n'),
}


def write_hugo_site(publication: Path, site: Path) -> int:
    """A Hugo project with one Markdown page per issue of ``publication``: the issue's
    Markdown rendering under front matter (title, date). Returns the number of pages."""
    import json

    from newsletter.check.issue import check_with_style
    from newsletter.entries.loading import Publications, find_issue_dirs, load_issue
    from newsletter.render.document import render_document

    (site / "content" / "issues").mkdir(parents=True, exist_ok=True)
    (site / "hugo.toml").write_text(HUGO_CONFIG, encoding="utf-8")
    for name, text in HUGO_LAYOUTS.items():
        path = site / "layouts" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    publications = Publications()
    count = 0
    for issue_dir in find_issue_dirs([publication]):
        loaded = load_issue(issue_dir, publications=publications)
        _, style = check_with_style(loaded)
        assert style is not None and loaded.issue is not None
        body = render_document(loaded, style, "md").decode("utf-8")
        front = (f"---\ntitle: {json.dumps(loaded.issue.title or f'Issue {count}')}\n"
                 f"date: {loaded.issue.date.isoformat()}\n---\n\n")
        (site / "content" / "issues" / f"{loaded.issue.number:04d}.md").write_text(
            front + body, encoding="utf-8")
        count += 1
    return count


def _fresh(*folders: Path) -> None:
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


def _retitle(issue_file: Path) -> None:
    """Change one issue's title on disk, another way each time: a rebuild has work."""
    text = issue_file.read_text(encoding="utf-8")
    marks = (" (revised)", " (revised again)")
    for old, new in ((marks[1], marks[0]), (marks[0], marks[1])):
        if old + '"' in text:
            issue_file.write_text(text.replace(old + '"', new + '"', 1), encoding="utf-8")
            return
    lines = text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.startswith("title = \""):
            lines[index] = line.rstrip().removesuffix('"') + marks[0] + '"\n'
            break
    issue_file.write_text("".join(lines), encoding="utf-8")


def benches(bench: Callable[..., Any], nl: Path, publication: Path, work: Path
            ) -> list[Any]:
    """run.py's rows: ``bench`` is its Bench class."""
    from run import interpreter_of

    output, cache = work / "site-public", work / "site-xdg"
    site_argv = ["env", f"XDG_CACHE_HOME={cache}", str(nl), "site", ".", "--output",
                 str(output)]
    papers = ISSUES * PAPERS
    rows = [
        bench("site-10k-cold", GROUP, f"`newsletter site` {ISSUES}×{PAPERS} (cold)",
              site_argv, publication, papers=papers, floor="hugo-500",
              prepare=partial(_fresh, output, cache)),
        bench("site-10k-rebuild", GROUP, "`newsletter site` rebuild after one changed issue",
              site_argv, publication, papers=papers, follows="site-10k-cold", floor="hugo-500",
              prepare=partial(_retitle, publication / "issues" / "0250" / "issue.toml")),
        # The same cold build with every page's rendering replaced by a constant: what
        # no template engine could take the build below.
        bench("site-10k-unrendered", GROUP, f"`newsletter site` {ISSUES}×{PAPERS} (cold), "
              "pages not rendered: the floor under any template engine",
              ["env", f"XDG_CACHE_HOME={cache}", interpreter_of(nl),
               str(HERE / "unrendered_site.py"),
               "site", ".", "--output", str(output)], publication, papers=papers,
              floor="hugo-500", prepare=partial(_fresh, output, cache)),
    ]
    hugo = shutil.which("hugo")
    hugo_site = work / "hugo-site"
    note = "" if hugo else "unavailable (no hugo; apt-get install hugo)"
    if hugo:
        write_hugo_site(publication, hugo_site)
    out, hugo_cache = work / "hugo-public", work / "hugo-cache"
    rows.append(bench(
        "hugo-500", GROUP, f"Hugo, {ISSUES} Markdown pages (one per issue, cold)",
        [hugo or "hugo", "--source", str(hugo_site), "--destination", str(out),
         "--cacheDir", str(hugo_cache), "--quiet"], hugo_site, papers=papers, floor="hugo-500",
        prepare=partial(_fresh, out, hugo_cache, hugo_site / "resources"), note=note,
        on_failure="unavailable"))
    return rows


TARGETS: list[tuple[str, Callable[[dict[str, report.Row]], report.Verdict]]] = [
    ("cold `newsletter site` of 500×20 faster than Hugo building 500 pages (issue 14)",
     report.ratio_at_most("site-10k-cold", "hugo-500", 1)),
    ("`newsletter site` rebuild after one changed issue ≤ 1 s (issue 14)",
     report.value_at_most("site-10k-rebuild", "median", 1, "s")),
]


SITE_NOTE = "- site rows: "


def merge(results: Path, rows: list[report.Row], note: str = "") -> str:
    """``results``'s text with its site rows and targets replaced by these, and ``note``
    (when, on what machine) in place of the last one this script left."""
    text = results.read_text(encoding="utf-8") if results.is_file() else ""
    if note:
        kept = [line for line in text.splitlines() if not line.startswith(SITE_NOTE)]
        at = next((i for i, line in enumerate(kept) if line.startswith("- run: ")), None)
        if at is not None:
            kept.insert(at + 1, SITE_NOTE + note)
            text = "\n".join(kept) + "\n"
    table = report.table(rows).splitlines()[2:]
    by_key = {row.key: row for row in rows}
    targets = []
    for label, judge in TARGETS:
        measured, verdict = judge(by_key)
        mark = {"met": "✅ met", "not met": "❌ not met"}.get(verdict, verdict)
        targets.append(f"| {label} | {measured} | {mark} |")
    lines = [line for line in text.splitlines()
             if not line.startswith(f"| {GROUP} | ") and "(issue 14) |" not in line]
    if not lines:
        return "\n".join(["| group | command | runs | median | ratio to floor | µs per "
                          "paper | peak MiB |", "| --- | --- | ---: | ---: | ---: | ---: | "
                          "---: |", *table, "", *targets]) + "\n"

    def after_last(prefix: str, new: list[str]) -> None:
        last = max((i for i, line in enumerate(lines) if line.startswith(prefix)), default=-1)
        lines[last + 1:last + 1] = new

    after_last("| peers | ", table) if any(
        line.startswith("| peers | ") for line in lines) else after_last("| scale | ", table)
    after_last("| ", targets)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    import run

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one measured run of each")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--output", type=Path, default=run.RESULTS)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    nl = run.newsletter_command()
    env = run.child_env()
    with tempfile.TemporaryDirectory(prefix="newsletter-site-bench-") as scratch:
        work = Path(scratch)
        publication = work / "pub"
        generate(publication, issues=ISSUES, papers_per_issue=PAPERS, style="briefing", seed=0)
        rows = benches(run.Bench, nl, publication, work)
        rounds = 1 if args.quick else args.rounds
        load = os.getloadavg()[0]
        run.run_all(rows, env, rounds, 1e9, rounds, time.perf_counter() + 3600)
        summary = run.rows_of(rows)
    import datetime as dt

    note = (f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by benchmarks/site_vs_hugo.py, on "
            f"nproc {os.cpu_count()}, {run.cpu_model()}; load {load:.2f} before, "
            f"{os.getloadavg()[0]:.2f} after")
    text = merge(args.output, summary, note)
    args.output.write_text(text, encoding="utf-8")
    print(report.table(summary))
    print(f"load average {load:.2f} before, {os.getloadavg()[0]:.2f} after; "
          f"{time.perf_counter() - started:.0f} s; wrote {args.output}", file=sys.stderr)
    return 1 if any(row.note.startswith("failed") for row in summary) else 0


if __name__ == "__main__":
    raise SystemExit(main())
