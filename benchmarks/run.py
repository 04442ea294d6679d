"""Benchmark suite of issue 6: cold start, scale, and peers on the same content.

    .venv/bin/python benchmarks/run.py            # full run, under 10 minutes on 2 cores
    .venv/bin/python benchmarks/run.py --quick    # about a minute, a smoke run

Every command is a fresh subprocess. The commands alternate round-robin within one run, so
machine noise hits all of them alike, and each row reports the median of its runs. Results
are printed as a Markdown table and written to ``benchmarks/results.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path

import peers
import report
import site_vs_hugo
from generate import STYLES, generate

# issue 14's targets for `newsletter site`, judged with the rest.
report.TARGETS.extend(site_vs_hugo.TARGETS)

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.md"
# The result cache `check` keeps beside newsletter.toml (the publication root, which is the
# working directory of every newsletter row). Removed before every run but the 'warm' ones.
CACHE_DIRS = (".newsletter-cache",)
SIZES = {"10": (1, 10), "1k": (1, 1_000), "10k": (500, 20)}


@dataclass
class Bench:
    """One command to time, where to run it, and how to read its numbers."""

    key: str
    group: str
    label: str
    argv: list[str]
    cwd: Path
    papers: int = 0
    floor: str = "typer"
    prepare: Callable[[], None] | None = None
    follows: str | None = None  # runs right after this bench, as often (warm after cold)
    note: str = ""  # why it does not run: 'n/a ...', 'unavailable ...', 'failed ...'
    on_failure: str = "failed"  # 'n/a' or 'unavailable' for optional rows: not an error
    seconds: list[float] = field(default_factory=list)
    peaks_kib: list[int] = field(default_factory=list)


# ------------------------------------------------------------------------------ measuring


def child_env() -> dict[str, str]:
    """This environment, but letting Python write .pyc files as a user's machine does."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def measure(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, int, int, str]:
    """Wall seconds, peak RSS (KiB), exit code and the end of stderr of one run.

    The peak RSS comes from GNU ``/usr/bin/time -f %M`` around the command. Not from
    ``os.wait4``/``getrusage`` in this process: Linux carries the pre-exec image's high-water
    mark into ru_maxrss, so a child forked from this ~25 MiB Python reports at least that
    (``python -c pass`` showed 23 MiB instead of 8.6), and RUSAGE_CHILDREN is the largest
    child so far, not this one. GNU time is a small C program, so the floor it adds is ~2 MiB;
    its fork and exec (about 1 ms) are inside the timed span of every row, floors included.
    Without it we fall back to ``os.wait4``, an upper bound (see ``peak_method``).
    """
    gnu_time = find_gnu_time()
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r") as rss:
        wrapped = [gnu_time, "-f", "%M", "-o", rss.name, *argv] if gnu_time else argv
        start = time.perf_counter()
        proc = subprocess.Popen(wrapped, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        peak = _last_number(rss.read()) if gnu_time else usage.ru_maxrss
        err.seek(0)
        tail = err.read().decode("utf-8", "replace").strip().splitlines()[-1:]
    return seconds, peak, proc.returncode, "".join(tail)


@cache
def find_gnu_time() -> str | None:
    """``/usr/bin/time`` if it is GNU time (BSD's has no ``-f``/``-o``)."""
    try:
        done = subprocess.run(["/usr/bin/time", "--version"], capture_output=True, text=True,
                              check=False)
    except OSError:
        return None
    return "/usr/bin/time" if "GNU" in done.stdout + done.stderr else None


def _last_number(text: str) -> int:
    """GNU time's -o file: maybe 'Command exited with non-zero status N', then %M."""
    words = text.split()
    return int(words[-1]) if words and words[-1].isdigit() else 0


def peak_method() -> str:
    if find_gnu_time():
        return "GNU time's %M (the command's own ru_maxrss)"
    return ("os.wait4 ru_maxrss, an upper bound: it includes run.py's own ~25 MiB "
            "(install GNU time for exact figures)")


def run_bench(bench: Bench, env: dict[str, str], *, keep: bool = True) -> float:
    """Run once (after its untimed prepare step); keep the sample unless it is a warm-up."""
    if bench.prepare is not None:
        bench.prepare()
    seconds, peak, code, tail = measure(bench.argv, bench.cwd, env)
    if code != 0:
        bench.note = f"{bench.on_failure} (exit {code}: {tail[:120]})"
    elif keep:
        bench.seconds.append(seconds)
        bench.peaks_kib.append(peak)
    return seconds


def plan(benches: list[Bench], warmup: dict[str, float], rounds: int, budget: float,
         least: int, allowance: float) -> dict[str, set[int]]:
    """The rounds each bench runs in: every round if it is quick, else fewer, spread out.

    A bench runs about ``budget`` seconds in all, between ``least`` and ``rounds`` times.
    While that adds up to more than ``allowance`` seconds, the bench costing most in all
    loses a run (down to one), so a busy machine still finishes in time and the quick rows
    keep their many runs.
    """
    counts: dict[str, int] = {}
    cost: dict[str, float] = {}  # a bench's seconds per run, with those that follow it
    for bench in benches:
        leader = bench.follows or bench.key
        cost[leader] = cost.get(leader, 0.0) + warmup.get(bench.key, 0.0)
        if bench.follows is None:
            wanted = math.ceil(budget / max(warmup.get(bench.key, 0.0), 1e-3))
            counts[bench.key] = max(least, min(rounds, wanted))
    while sum(counts[key] * cost[key] for key in counts) > allowance:
        costly = [key for key in counts if counts[key] > 1]
        if not costly:
            break
        counts[max(costly, key=lambda key: counts[key] * cost[key])] -= 1
    for bench in benches:
        if bench.follows is not None:
            counts[bench.key] = counts[bench.follows]
    return {key: {j * rounds // n for j in range(n)} for key, n in counts.items()}


def run_all(benches: list[Bench], env: dict[str, str], rounds: int, budget: float,
            least: int, deadline: float) -> None:
    """Warm up every bench, then measure round-robin, aiming to end by ``deadline``
    (a ``time.perf_counter`` value)."""
    live = [b for b in benches if not b.note]
    warmup = {}
    for bench in live:  # also writes the .pyc files the measured runs will find
        warmup[bench.key] = run_bench(bench, env, keep=False)
    live = [b for b in live if not b.note]
    schedule = plan(live, warmup, rounds, budget, least, deadline - time.perf_counter())
    expected = sum(len(schedule[b.key]) * warmup[b.key] for b in live)
    print(f"warm-up done; about {expected:.0f} s of measuring in {rounds} rounds",
          file=sys.stderr)
    for round_no in range(rounds):
        for bench in live:
            if round_no in schedule[bench.key] and not bench.note:
                run_bench(bench, env)
        print(f"  round {round_no + 1}/{rounds}", file=sys.stderr)


# ------------------------------------------------------------------------------- commands


def newsletter_command() -> Path:
    beside = Path(sys.executable).parent / "newsletter"
    found = beside if beside.is_file() else shutil.which("newsletter")
    if found is None:
        sys.exit("run.py: no 'newsletter' command; run it with the project's venv: "
                 ".venv/bin/python benchmarks/run.py")
    return Path(found)


def interpreter_of(script: Path) -> str:
    """The Python that runs the console script (its shebang), for fair floors."""
    first = script.read_text("utf-8", "replace").splitlines()[0]
    words = first.removeprefix("#!").split() if first.startswith("#!") else []
    if words and Path(words[0]).name == "env" and len(words) > 1:
        return shutil.which(words[1]) or sys.executable
    return words[0] if words else sys.executable


def _clear(root: Path) -> None:
    for name in CACHE_DIRS:
        shutil.rmtree(root / name, ignore_errors=True)


def clear_caches(root: Path) -> Callable[[], None]:
    return partial(_clear, root)


def cold_start(python: str, nl: Path, small: Path, scratch: Path) -> list[Bench]:
    group = "cold start"
    return [
        Bench("pass", group, '`python -c pass` (floor)', [python, "-c", "pass"], scratch,
              floor="pass"),
        Bench("typer", group, '`python -c "import typer"` (floor)',
              [python, "-c", "import typer"], scratch, floor="pass"),
        Bench("help", group, "`newsletter --help`", [str(nl), "--help"], scratch),
        Bench("version", group, "`newsletter --version`", [str(nl), "--version"], scratch),
        Bench("styles", group, "`newsletter styles`", [str(nl), "styles"], scratch),
        Bench("check-10", group, "`newsletter check` 1×10", [str(nl), "check", "."], small,
              papers=10, prepare=clear_caches(small)),
    ]


def render_benches(nl: Path, pubs: dict[str, Path], fmt: str, *, style: str = "",
                   note: str = "") -> list[Bench]:
    """``render`` of the 1×10, 1×1,000 and one 20-paper issue (of 500×20 when it is md)."""
    labels = {"10": "1×10", "1k": "1×1,000", "10k": "500×20: one issue (20 papers)"}
    if style:
        labels["10k"] = "one 20-paper issue"
    key = "render" if fmt == "md" else fmt
    shown = f" ({style})" if style else ""
    return [Bench(f"{key}-{size}", "scale", f"`newsletter render --format {fmt}` {label}{shown}",
                  [str(nl), "render", "issues/0001", "--format", fmt], pubs.get(size, Path()),
                  papers=SIZES[size][1], prepare=clear_caches(pubs.get(size, Path())),
                  note=note, on_failure="n/a" if fmt != "md" else "failed")
            for size, label in labels.items()]


def scale(nl: Path, pubs: dict[str, Path]) -> list[Bench]:
    big = pubs["10k"]
    check = [str(nl), "check", "."]
    benches = [
        Bench("check-1k", "scale", "`newsletter check` 1×1,000", check, pubs["1k"],
              papers=1_000, prepare=clear_caches(pubs["1k"])),
        Bench("check-10k-cold", "scale", "`newsletter check` 500×20 (cold)", check, big,
              papers=10_000, prepare=clear_caches(big)),
        Bench("check-10k-warm", "scale", "`newsletter check` 500×20 (warm: nothing changed)",
              check, big, papers=10_000, follows="check-10k-cold"),
        Bench("check-10k-jobs", "scale", "`newsletter check --jobs 2` 500×20 (cold)",
              [*check, "--jobs", "2"], big, papers=10_000, prepare=clear_caches(big)),
    ]
    return benches + render_benches(nl, pubs, "md")


def html_benches(nl: Path, env: dict[str, str], pubs: dict[str, Path], style: str,
                 work: Path, seed: int) -> list[Bench]:
    """``render --format html``, if ``render --help`` lists html, in a style that has it.

    When the benchmark's style has no html template, the rows use the first style that
    does, on publications of that style generated the same way (1×10, 1×1,000, 1×20).
    """
    if not render_lists_html(nl, env):
        return render_benches(nl, {}, "html", note="n/a (`render --help` lists no html)")
    capable = html_styles(nl, env)
    if not capable:
        return render_benches(nl, {}, "html", note="n/a (no style lists the html format)")
    if style in capable:
        return render_benches(nl, pubs, "html")
    other = capable[0]
    own = {size: work / f"html-{other}-1x{SIZES[size][1]}" for size in SIZES}
    for size, path in own.items():
        print(f"generating {path.name} ({other}, for html)", file=sys.stderr)
        generate(path, issues=1, papers_per_issue=SIZES[size][1], style=other, seed=seed)
    return render_benches(nl, own, "html", style=other)


def _peer(key: str, label: str, argv: list[str], site: Path, papers: int, note: str,
          prepare: Callable[[], None] | None = None) -> Bench:
    return Bench(key, "peers", label, argv, site, papers=papers, prepare=prepare, note=note,
                 on_failure="unavailable")


def peer_benches(tools: peers.PeerTools, entries: dict[str, list[peers.Entry]], work: Path,
                 quick: bool) -> list[Bench]:
    """towncrier and Pelican over the papers of the 1×1,000 and 500×20 publications."""
    missing = f"unavailable ({tools.note or 'not installed'})"
    benches = []
    for size, items in entries.items():
        count = len(items)
        note = "" if tools.towncrier else missing
        site = work / f"towncrier-{size}"
        if not note:
            peers.write_towncrier(site, items)
        benches.append(_peer(f"towncrier-{size}", f"towncrier `build --draft`, {count:,} "
                             "fragments", peers.towncrier_argv(tools.towncrier or Path()),
                             site, count, note))
        note = "" if tools.pelican else missing
        note = "skipped (--quick)" if quick and size == "10k" else note
        site = work / f"pelican-{size}"
        if not note:
            peers.write_pelican(site, items)
        benches.append(_peer(f"pelican-{size}", f"Pelican, {count:,} Markdown articles",
                             peers.pelican_argv(tools.pelican or Path()), site, count, note,
                             prepare=partial(peers.clear_output, site)))
    return benches


def _stdout(argv: list[str], env: dict[str, str], cwd: Path | None = None) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=cwd, check=False)
    return done.stdout


def render_lists_html(nl: Path, env: dict[str, str]) -> bool:
    return "html" in _stdout([str(nl), "render", "--help"], env).lower()


def html_styles(nl: Path, env: dict[str, str]) -> list[str]:
    """Styles whose 'formats:' line in ``newsletter styles`` includes html."""
    found, current = [], ""
    for line in _stdout([str(nl), "styles"], env, Path(tempfile.gettempdir())).splitlines():
        if line and not line[0].isspace():
            current = line.strip()
        elif line.strip().startswith("formats:") and "html" in line:
            found.append(current)
    return found


# ------------------------------------------------------------------------------- the run


def make_publications(work: Path, style: str, seed: int) -> dict[str, Path]:
    pubs = {}
    for size, (issues, papers) in SIZES.items():
        pubs[size] = work / f"publication-{issues}x{papers}"
        print(f"generating {pubs[size].name} ({style})", file=sys.stderr)
        generate(pubs[size], issues=issues, papers_per_issue=papers, style=style, seed=seed)
    return pubs


def cpu_model() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
    except OSError:
        lines = []
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return names[0] if names else platform.processor() or "unknown cpu"


def machine(python: str, nl: Path, env: dict[str, str], tools: peers.PeerTools | None
            ) -> dict[str, str]:
    cpu = cpu_model()
    about = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"nproc {os.cpu_count()}, {cpu}, {platform.system()} {platform.release()}",
        "python": f"{_stdout([python, '--version'], env).split()[-1]} ({python})",
        "newsletter": _stdout([str(nl), "--version"], env).strip(),
    }
    if tools is not None:
        about["peers"] = (f"towncrier {tools.version(tools.towncrier)}, "
                          f"pelican {tools.version(tools.pelican)}")
    return about


NOTES = [
    "Each command is a fresh subprocess (stdout to /dev/null), timed from spawn to exit, "
    "after one untimed warm-up run; `PYTHONDONTWRITEBYTECODE` is removed, so .pyc files exist.",
    "Median of the runs; commands alternate round-robin, slow ones in fewer, spread rounds.",
    "Ratio to floor: the median over the median of `python -c \"import typer\"` (typer) or "
    "`python -c pass` (pass), both measured in this run with the interpreter of the "
    "`newsletter` script.",
    "µs per paper: the whole median divided by the number of papers, start-up included.",
    "500×20 `render`: `newsletter render` takes one issue directory, so the row renders one "
    "issue (20 papers) of that publication; `check` covers all 500 issues.",
    "Every `newsletter` row but the warm one removes the result cache (`.newsletter-cache/`) "
    "first; the warm `check` of 500×20 runs right after a cold one, nothing changed.",
    "Peers process one text per entry (the paper's summary/problem), less than a paper's "
    "1–2 KB, which favours them. Pelican builds into an emptied output folder, caches off.",
]


def notes() -> list[str]:
    return [*NOTES, f"Peak MiB: the highest over the runs, from {peak_method()}."]


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15,
                        help="runs of each quick command; slow ones run fewer (default 15)")
    parser.add_argument("--budget", type=float, default=20.0,
                        help="seconds of measuring per slow command (default 20)")
    parser.add_argument("--quick", action="store_true",
                        help="about a minute: 3 rounds, 1 run of slow commands, no Pelican "
                        "at 10,000")
    parser.add_argument("--style", choices=STYLES, default="briefing")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--minutes", type=float,
                        help="aim to finish within this many minutes, running slow commands "
                        "fewer times if the machine is slow (default 8, --quick 1)")
    parser.add_argument("--no-peers", action="store_true", help="skip towncrier and Pelican")
    parser.add_argument("--workdir", type=Path,
                        help="keep the generated inputs here (default: a temporary folder)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.minutes is None:
        args.minutes = 1.0 if args.quick else 8.0
    args.started = time.perf_counter()
    return args


def collect(args: argparse.Namespace, work: Path) -> tuple[list[Bench], dict[str, str]]:
    env = child_env()
    nl = newsletter_command()
    python = interpreter_of(nl)
    pubs = make_publications(work, args.style, args.seed)
    benches = cold_start(python, nl, pubs["10"], work)
    benches += scale(nl, pubs)
    benches += html_benches(nl, env, pubs, args.style, work, args.seed)
    tools = None
    if not args.no_peers:
        tools = peers.ensure_peers(HERE / ".venv-peers-install.log")
        entries = {size: peers.read_entries(sorted((pubs[size] / "issues").iterdir()))
                   for size in ("1k", "10k")}
        benches += peer_benches(tools, entries, work, args.quick)
    # `newsletter site` of 500×20, cold and rebuilt, beside Hugo on the same issues.
    benches += site_vs_hugo.benches(Bench, nl, pubs["10k"], work)
    rounds, budget, least = (3, 2.0, 1) if args.quick else (args.repeat, args.budget, 3)
    load_before = os.getloadavg()[0]
    run_all(benches, env, rounds, budget, least, args.started + args.minutes * 60)
    about = machine(python, nl, env, tools)
    about["load average (1 min)"] = (f"{load_before:.2f} before measuring, "
                                     f"{os.getloadavg()[0]:.2f} after; more than nproc means "
                                     "other work shared the machine")
    return benches, about


def rows_of(benches: list[Bench]) -> list[report.Row]:
    return [report.summarize(b.key, b.group, b.label, b.seconds, b.peaks_kib, b.papers,
                             b.floor, b.note) for b in benches]


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.workdir is not None:
        if args.workdir.exists() and any(args.workdir.iterdir()):
            sys.exit(f"run.py: --workdir {args.workdir} is not empty")
        args.workdir.mkdir(parents=True, exist_ok=True)
        benches, about = collect(args, args.workdir)
    else:
        with tempfile.TemporaryDirectory(prefix="newsletter-bench-") as work:
            benches, about = collect(args, Path(work))
    about["run"] = (f"{'--quick' if args.quick else f'--repeat {args.repeat}'}, style "
                    f"{args.style}, seed {args.seed}, {time.perf_counter() - args.started:.0f} s")
    text = report.document(rows_of(benches), about, notes())
    print(text)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}", file=sys.stderr)
    failed = [b for b in benches if b.note.startswith("failed")]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
