"""Generate a deterministic synthetic publication for benchmarking ``newsletter``.

    python benchmarks/generate.py --issues 500 --papers-per-issue 20 --style briefing OUT

writes ``OUT/newsletter.toml``, ``OUT/issues/NNNN/issue.toml`` and
``OUT/issues/NNNN/papers/NN-slug.toml``. The same arguments and ``--seed`` always give the
same bytes. Every file is valid for the chosen style (``newsletter check OUT`` is clean,
without warnings): papers of 1-2 KB, lists of 3-5 items (or what the style's ``[counts]``
say), prose within the style's ``[budgets]``, some inline Markdown, unique titles and urls,
issues dated weekly in the past.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# The styles, found as newsletter finds its built-in ones: a folder with a style.toml whose
# name does not start with "_" (shared templates) or ".".
STYLES = tuple(sorted(folder.name for folder in TEMPLATES.iterdir()
                      if folder.is_dir() and not folder.name.startswith(("_", "."))
                      and (folder / "style.toml").is_file()))
# Weekly issues from here: 500 of them end in 2023, so no issue is dated in the future.
FIRST_DATE = dt.date(2014, 1, 6)

_ADJECTIVES = (
    "Sparse", "Latent", "Streaming", "Robust", "Efficient", "Adaptive", "Hierarchical",
    "Causal", "Multimodal", "Grounded", "Verifiable", "Distilled", "Quantized", "Recurrent",
    "Contrastive", "Federated", "Modular", "Self-Correcting", "Long-Context", "Embodied",
)
_NOUNS = (
    "Attention", "Memory", "Retrieval", "Agents", "Reward Models", "World Models",
    "Diffusion", "Tokenizers", "Optimizers", "Benchmarks", "Adapters", "Indexers",
    "Planners", "Encoders", "Routers", "Caches", "Verifiers", "Schedulers",
)
_TOPICS = (
    "video understanding", "code generation", "robot manipulation", "speech recognition",
    "document parsing", "scientific discovery", "edge inference", "tabular reasoning",
    "3D reconstruction", "medical imaging", "machine translation", "recommendation",
)
_SUBJECTS = (
    "The method", "The paper", "This approach", "The new model", "The released code",
    "A small ablation", "The training recipe", "The evaluation",
)
_VERBS = (
    "reduces", "improves", "stabilises", "halves", "reuses", "compresses", "predicts",
    "aligns", "filters", "schedules", "verifies", "caches",
)
_OBJECTS = (
    "the cost of long-context inference", "accuracy on held-out tasks",
    "memory traffic between layers", "the number of GPU hours per run",
    "latency at the 99th percentile", "the gap to proprietary systems",
    "error rates on noisy inputs", "the amount of labelled data needed",
    "throughput on commodity hardware", "variance across random seeds",
)
_TAILS = (
    "without retraining the backbone", "on a single A100", "across five benchmarks",
    "while keeping quality within 1%", "at 30B parameters", "in a streaming setting",
    "with a few hundred lines of code", "under realistic traffic",
)
_LEADS = (
    "Cost", "Latency", "Compliance", "Deployment", "Data", "Quality", "Scale", "Risk",
    "Integration", "Hardware", "Evaluation", "Privacy",
)


_CONNECTORS = (", and", ", while", "; meanwhile", ", so")


@dataclass(frozen=True)
class Limits:
    """A style's editorial budgets and list counts (its ``style.toml``), so that the
    synthetic papers check clean, without even a warning."""

    budgets: dict[str, int] = field(default_factory=dict)
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)

    @classmethod
    def of(cls, style: str) -> Limits:
        path = TEMPLATES / style / "style.toml"
        if not path.is_file():
            return cls()
        spec = tomllib.loads(path.read_text(encoding="utf-8"))
        counts = {name: (int(pair[0]), int(pair[1]))
                  for name, pair in spec.get("counts", {}).items()}
        return cls(dict(spec.get("budgets", {})), counts)


class Writer:
    """Seeded text within a style's limits: sentences, paragraphs, bullets, inline Markdown."""

    def __init__(self, seed: int, limits: Limits) -> None:
        self.rng = random.Random(seed)
        self.limits = limits

    def pick(self, words: tuple[str, ...]) -> str:
        return self.rng.choice(words)

    def count(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def clause(self) -> str:
        obj = self.pick(_OBJECTS)
        roll = self.rng.random()
        if roll < 0.15:
            obj = f"**{obj}**"
        elif roll < 0.25:
            slug = obj.split()[-1].strip("%")
            obj = f"[{obj}](https://example.org/notes/{slug}-{self.rng.randrange(1000)})"
        figure = f"{self.rng.randrange(2, 90)}%"
        return f"{self.pick(_SUBJECTS)} {self.pick(_VERBS)} {obj} by {figure} {self.pick(_TAILS)}"

    def sentence(self, clauses: int = 1) -> str:
        text = self.clause()
        for _ in range(clauses - 1):
            following = self.clause()
            text += f"{self.pick(_CONNECTORS)} {following[0].lower()}{following[1:]}"
        return text + "."

    def paragraph(self, sentences: int, name: str = "") -> str:
        """``sentences`` sentences' worth of text; under a sentence budget for field
        ``name``, as many longer sentences as the budget allows; under a word budget, cut."""
        allowed = min(sentences, self.limits.budgets.get(f"{name}_sentences", sentences))
        clauses = -(-sentences // allowed)
        parts = [self.sentence(clauses) for _ in range(allowed)]
        words = self.limits.budgets.get(f"{name}_words")
        while words is not None and len(parts) > 1 and len(" ".join(parts).split()) > words:
            parts.pop()
        return " ".join(parts)

    def bullet(self) -> str:
        return f"{self.pick(_LEADS)}: {self.sentence()}"

    def items(self, name: str, make: Callable[[], Any]) -> list[Any]:
        """3–5 items, or as many as the style's counts say for field ``name``."""
        low, high = self.limits.counts.get(name, (3, 5))
        return [make() for _ in range(self.count(low, high))]


def paper_title(number: int, writer: Writer) -> tuple[str, str]:
    """A title unique in the whole publication (it carries ``number``) and a short name."""
    short = f"{writer.pick(_ADJECTIVES).split('-')[0]}{writer.pick(_NOUNS).split()[0]}-{number}"
    title = (f"{short}: {writer.pick(_ADJECTIVES)} {writer.pick(_NOUNS)} "
             f"for {writer.pick(_TOPICS).title()}")
    return title, short


def issue_date(issue: int) -> dt.date:
    return FIRST_DATE + dt.timedelta(days=7 * (issue - 1))


def paper_url(issue: int, serial: int) -> str:
    """An arXiv-style link, unique in the publication: the month of the issue, a serial."""
    date = issue_date(issue)
    return f"https://arxiv.org/abs/{date.year % 100:02d}{date.month:02d}.{serial:05d}"


def _briefing_fields(w: Writer) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "headline": f"{w.pick(_NOUNS)} Just Got {w.count(2, 9)}x Cheaper",
        "problem": w.paragraph(2, "problem"),
        "solution": w.paragraph(1, "solution") + " Key innovations:",
        "key_innovations": w.items("key_innovations", w.bullet),
        "why_it_matters": w.items("why_it_matters", w.bullet),
        "risks": [w.sentence() for _ in range(w.count(1, 2))],
    }
    if w.rng.random() < 0.5:
        fields["watch_for"] = [w.sentence()]
    if w.rng.random() < 0.2:
        fields["key_innovations"][0] = {"text": "Two deployment modes:",
                                        "points": [w.bullet(), w.bullet()]}
    return fields


def _weekly_fields(w: Writer) -> dict[str, Any]:
    return {
        "score": round(w.rng.uniform(5.0, 9.8), 1),
        "hidden_gem": w.rng.random() < 0.1,
        "summary": w.paragraph(w.count(4, 6), "summary"),
        "key_findings": w.items("key_findings", w.sentence),
        "applications": w.items("applications", w.sentence),
    }


def _digest_fields(w: Writer) -> dict[str, Any]:
    if w.rng.random() < 0.2:
        return {"featured": False, "blurb": w.paragraph(w.count(9, 13), "blurb")}
    return {
        "headline": f"{w.pick(_NOUNS)} Move Into the {w.pick(_ADJECTIVES)} Stack",
        "overview": w.paragraph(2, "overview"),
        "body": [w.paragraph(w.count(2, 3), "body") for _ in range(w.count(2, 3))],
        "takeaways": w.items("takeaways", w.sentence),
    }


def _pulse_fields(w: Writer, sections: list[str]) -> dict[str, Any]:
    return {
        "blurb": w.paragraph(w.count(9, 13), "blurb"),
        "section": w.pick(tuple(sections)),
        "group": f"{w.pick(_ADJECTIVES)} {w.pick(_NOUNS)}",
    }


def section_titles(issue: int) -> list[str]:
    return [f"{noun} and {adjective} Methods (part {issue})"
            for noun, adjective in zip(_NOUNS[:4], _ADJECTIVES[:4], strict=True)]


def make_paper(style: str, issue: int, serial: int, w: Writer) -> dict[str, Any]:
    """Paper number ``serial`` of the publication (unique, so are its title and url)."""
    title, short = paper_title(serial, w)
    paper: dict[str, Any] = {"title": title, "url": paper_url(issue, serial),
                             "short_name": short}
    extra: dict[str, Callable[[Writer], dict[str, Any]]] = {
        "briefing": _briefing_fields, "cto-briefing": _briefing_fields,
        "weekly": _weekly_fields, "digest": _digest_fields,
        "pulse": lambda writer: _pulse_fields(writer, section_titles(issue)),
    }
    if style not in extra:
        raise ValueError(f"no synthetic papers for style {style!r} yet: add its fields to "
                         "make_paper (and make_issue) in benchmarks/generate.py")
    paper.update(extra[style](w))
    return paper


def make_issue(style: str, issue: int, w: Writer) -> dict[str, Any]:
    date = issue_date(issue)
    data: dict[str, Any] = {
        "number": issue, "date": date, "style": style, "status": "published",
        "title": f"{w.pick(_ADJECTIVES)} {w.pick(_NOUNS)} Take Over {w.pick(_TOPICS).title()}",
        "lede": w.paragraph(4),
    }
    if style in ("briefing", "cto-briefing"):
        data["takeaways"] = [w.bullet() for _ in range(w.count(3, 5))]
        data["closing"] = w.paragraph(3)
    elif style == "digest":
        data["observation"] = "\n\n".join(w.paragraph(3) for _ in range(3))
    elif style == "pulse":
        data["updated"] = date
        data["outlook"] = w.paragraph(4)
        data["closing"] = w.paragraph(2)
        data["sections"] = [{"title": title, "intro": w.paragraph(1)}
                            for title in section_titles(issue)]
    return data


def make_publication(style: str) -> dict[str, Any]:
    return {
        "name": "Synthetic AI Research Bench",
        "tagline": "Generated papers for measuring the newsletter command",
        "category": "Benchmarks",
        "url": "https://example.com/bench",
        "archive_url": "https://example.com/bench/archive",
        "style": style,
        "closing_title": "How We Can Help",
        "closing": "Write to us and we will benchmark these methods on your own workloads.",
    }


def write_toml(path: Path, data: dict[str, Any], header: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = f"# {header}\n" + tomli_w.dumps(data, multiline_strings=True)
    path.write_text(text, encoding="utf-8")


def paper_slug(short_name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in short_name.lower()).strip("-")


def generate(out: Path, *, issues: int, papers_per_issue: int, style: str,
             seed: int = 0) -> list[Path]:
    """Write the publication under ``out`` and return its issue directories."""
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}; one of {', '.join(STYLES)}")
    writer = Writer(seed, Limits.of(style))
    write_toml(out / "newsletter.toml", make_publication(style), "Publication (synthetic)")
    width = max(2, len(str(papers_per_issue)))
    issue_dirs = []
    for issue in range(1, issues + 1):
        issue_dir = out / "issues" / f"{issue:04d}"
        write_toml(issue_dir / "issue.toml", make_issue(style, issue, writer),
                   f"Issue {issue} (synthetic)")
        for number in range(1, papers_per_issue + 1):
            serial = (issue - 1) * papers_per_issue + number
            paper = make_paper(style, issue, serial, writer)
            name = f"{number:0{width}d}-{paper_slug(paper['short_name'])}.toml"
            write_toml(issue_dir / "papers" / name, paper, f"Paper: {paper['short_name']}")
        issue_dirs.append(issue_dir)
    return issue_dirs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="Directory to write the publication into.")
    parser.add_argument("--issues", type=int, default=1)
    parser.add_argument("--papers-per-issue", type=int, default=10)
    parser.add_argument("--style", choices=STYLES, default="briefing")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.out.exists() and any(args.out.iterdir()):
        parser.error(f"{args.out} exists and is not empty")
    generate(args.out, issues=args.issues, papers_per_issue=args.papers_per_issue,
             style=args.style, seed=args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
