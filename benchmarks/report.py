"""Turn measured samples into the Markdown results: the table, issue 6's targets, the machine."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """One command's summary; ``note`` replaces the numbers of a command that did not run."""

    key: str
    group: str
    label: str
    runs: int
    median: float | None
    papers: int
    peak_mib: float | None
    floor: str
    note: str = ""

    @property
    def per_paper_us(self) -> float | None:
        if self.median is None or not self.papers:
            return None
        return self.median / self.papers * 1e6


def summarize(key: str, group: str, label: str, seconds: list[float], peaks_kib: list[int],
              papers: int, floor: str, note: str = "") -> Row:
    """Median wall time and the highest peak RSS (KiB, as ru_maxrss reports it on Linux)."""
    if note or not seconds:
        return Row(key, group, label, len(seconds), None, papers, None, floor,
                   note or "no runs")
    return Row(key, group, label, len(seconds), statistics.median(seconds), papers,
               max(peaks_kib) / 1024, floor)


def _duration(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 10 else f"{seconds * 1000:,.1f} ms"


def _ratio(row: Row, rows: dict[str, Row]) -> str:
    if row.key == row.floor:
        return "1.00×"
    floor = rows.get(row.floor)
    if row.median is None or floor is None or not floor.median:
        return "—"
    return f"{row.median / floor.median:.2f}× {row.floor}"


def table(rows: list[Row]) -> str:
    by_key = {row.key: row for row in rows}
    lines = ["| group | command | runs | median | ratio to floor | µs per paper | peak MiB |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for row in rows:
        if row.median is None:
            lines.append(f"| {row.group} | {row.label} | {row.runs} | {row.note} | | | |")
            continue
        per_paper = f"{row.per_paper_us:,.0f}" if row.per_paper_us is not None else ""
        lines.append(f"| {row.group} | {row.label} | {row.runs} | {_duration(row.median)} | "
                     f"{_ratio(row, by_key)} | {per_paper} | {row.peak_mib:.1f} |")
    return "\n".join(lines)


# ------------------------------------------------------------------------------- targets

Verdict = tuple[str, str]
"""What was measured (text) and 'met', 'not met' or 'n/a'."""


def _value(rows: dict[str, Row], key: str, what: str) -> float | None:
    row = rows.get(key)
    if row is None or row.median is None:
        return None
    return {"median": row.median, "per_paper": row.per_paper_us, "peak": row.peak_mib}[what]


def _missing(rows: dict[str, Row], *keys: str) -> Verdict:
    notes = [f"{rows[k].label}: {rows[k].note}" for k in keys if k in rows and rows[k].note]
    return ("; ".join(notes) or "not measured", "n/a")


def ratio_at_most(key: str, floor: str, limit: float, what: str = "median"
                  ) -> Callable[[dict[str, Row]], Verdict]:
    def judge(rows: dict[str, Row]) -> Verdict:
        value, base = _value(rows, key, what), _value(rows, floor, what)
        if value is None or not base:
            return _missing(rows, key, floor)
        ratio = value / base
        return f"{ratio:.2f}× (limit {limit:g}×)", "met" if ratio <= limit else "not met"
    return judge


def value_at_most(key: str, what: str, limit: float, unit: str
                  ) -> Callable[[dict[str, Row]], Verdict]:
    def judge(rows: dict[str, Row]) -> Verdict:
        value = _value(rows, key, what)
        if value is None:
            return _missing(rows, key)
        return f"{value:,.2f} {unit} (limit {limit:g} {unit})", (
            "met" if value <= limit else "not met")
    return judge


def marginal_flat(small: str, base: str, large: str, limit: float
                  ) -> Callable[[dict[str, Row]], Verdict]:
    """Cost per paper beyond a small run (start-up removed): ``large``'s over ``base``'s."""
    def judge(rows: dict[str, Row]) -> Verdict:
        medians = [_value(rows, key, "median") for key in (small, base, large)]
        t0, t1, t2 = (m or 0.0 for m in medians)
        n0, n1, n2 = (rows[key].papers if key in rows else 0 for key in (small, base, large))
        if None in medians or n1 == n0 or n2 == n0:
            return _missing(rows, small, base, large)
        per_base, per_large = (t1 - t0) / (n1 - n0) * 1e6, (t2 - t0) / (n2 - n0) * 1e6
        ratio = per_large / per_base
        return (f"{per_base:,.0f} → {per_large:,.0f} µs per extra paper: {ratio:.2f}× "
                f"(limit {limit:g}×)", "met" if ratio <= limit else "not met")
    return judge


TARGETS: list[tuple[str, Callable[[dict[str, Row]], Verdict]]] = [
    ("`newsletter --help` ≤ 1.2× `import typer`", ratio_at_most("help", "typer", 1.2)),
    ("`newsletter --version` ≤ 3× `import typer`", ratio_at_most("version", "typer", 3)),
    ("`newsletter styles` ≤ 3× `import typer`", ratio_at_most("styles", "typer", 3)),
    ("`check` of one 10-paper issue ≤ 3.5× `import typer`",
     ratio_at_most("check-10", "typer", 3.5)),
    ("cold `check` of 500×20 ≤ towncrier building 10,000 fragments (so also faster per "
     "entry at 10,000)",
     ratio_at_most("check-10k-cold", "towncrier-10k", 1)),
    ("the same with `--jobs 2` (optional; serial is the default)",
     ratio_at_most("check-10k-jobs", "towncrier-10k", 1)),
    ("warm `check` of 500×20 (nothing changed) ≤ 3× `check` of one 10-paper issue",
     ratio_at_most("check-10k-warm", "check-10", 3)),
    ("`render --format md` of one 1,000-paper issue < 1 s",
     value_at_most("render-1k", "median", 1, "s")),
    ("HTML ≤ 1.2 ms per paper (1×1,000)", value_at_most("html-1k", "per_paper", 1200, "µs")),
    ("per-paper cost flat from 1,000 to 10,000 (`check`, start-up removed, ≤ 1.2×)",
     marginal_flat("check-10", "check-1k", "check-10k-cold", 1.2)),
    ("peak memory ≤ 150 MiB at 10,000 papers (cold `check` 500×20)",
     value_at_most("check-10k-cold", "peak", 150, "MiB")),
    ("faster per entry than towncrier at 1,000 (`render md` 1×1,000 vs 1,000 fragments)",
     ratio_at_most("render-1k", "towncrier-1k", 1, "per_paper")),
    ("faster per entry than Pelican at 1,000 (`render md` 1×1,000 vs 1,000 articles)",
     ratio_at_most("render-1k", "pelican-1k", 1, "per_paper")),
    ("faster per entry than Pelican at 10,000 (`check` 500×20 vs 10,000 articles)",
     ratio_at_most("check-10k-cold", "pelican-10k", 1, "per_paper")),
]


def targets(rows: list[Row]) -> str:
    by_key = {row.key: row for row in rows}
    lines = ["| target (issue 6) | measured | status |", "| --- | --- | --- |"]
    for text, judge in TARGETS:
        measured, verdict = judge(by_key)
        mark = {"met": "✅ met", "not met": "❌ not met"}.get(verdict, verdict)
        lines.append(f"| {text} | {measured} | {mark} |")
    return "\n".join(lines)


def document(rows: list[Row], machine: dict[str, str], notes: list[str]) -> str:
    about = "\n".join(f"- {name}: {value}" for name, value in machine.items())
    listed = "\n".join(f"- {note}" for note in notes)
    return (f"# newsletter benchmark results\n\n{about}\n\n{table(rows)}\n\n"
            f"## Targets\n\n{targets(rows)}\n\n## Notes\n\n{listed}\n")
