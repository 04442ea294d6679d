"""Generate a deterministic synthetic publication for benchmarking ``newsletter``.

    python benchmarks/generate.py --issues 500 --papers-per-issue 20 --style briefing OUT

writes ``OUT/newsletter.toml``, ``OUT/issues/NNNN/issue.toml`` and
``OUT/issues/NNNN/papers/NN-slug.toml``. The same arguments and ``--seed`` always give the
same bytes. Every file is valid for the chosen style (``newsletter check OUT`` is clean):
papers of 1-2 KB, lists of 3-5 items, some inline Markdown, unique titles and urls.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import tomli_w

STYLES = ("briefing", "cto-briefing", "weekly", "digest", "pulse")
FIRST_DATE = dt.date(2026, 1, 5)

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


class Writer:
    """Seeded text: sentences, paragraphs and bullets with a little inline Markdown."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def pick(self, words: tuple[str, ...]) -> str:
        return self.rng.choice(words)

    def sentence(self) -> str:
        obj = self.pick(_OBJECTS)
        roll = self.rng.random()
        if roll < 0.15:
            obj = f"**{obj}**"
        elif roll < 0.25:
            slug = obj.split()[-1].strip("%")
            obj = f"[{obj}](https://example.org/notes/{slug}-{self.rng.randrange(1000)})"
        figure = f"{self.rng.randrange(2, 90)}%"
        return (f"{self.pick(_SUBJECTS)} {self.pick(_VERBS)} {obj} by {figure} "
                f"{self.pick(_TAILS)}.")

    def paragraph(self, sentences: int) -> str:
        return " ".join(self.sentence() for _ in range(sentences))

    def bullet(self, sentences: int = 1) -> str:
        return f"{self.pick(_LEADS)}: {self.paragraph(sentences)}"

    def bullets(self, sentences: int = 1) -> list[str]:
        return [self.bullet(sentences) for _ in range(self.rng.randint(3, 5))]

    def count(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)


def paper_title(number: int, writer: Writer) -> tuple[str, str]:
    """A title unique in the whole publication (it carries ``number``) and a short name."""
    short = f"{writer.pick(_ADJECTIVES).split('-')[0]}{writer.pick(_NOUNS).split()[0]}-{number}"
    title = (f"{short}: {writer.pick(_ADJECTIVES)} {writer.pick(_NOUNS)} "
             f"for {writer.pick(_TOPICS).title()}")
    return title, short


def paper_url(issue: int, number: int) -> str:
    return f"https://arxiv.org/abs/26{issue % 12 + 1:02d}.{issue:04d}{number:05d}"


def _briefing_fields(w: Writer) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "headline": f"{w.pick(_NOUNS)} Just Got {w.count(2, 9)}x Cheaper",
        "problem": w.paragraph(2),
        "solution": w.paragraph(1) + " Key innovations:",
        "key_innovations": w.bullets(),
        "why_it_matters": w.bullets(),
        "risks": [w.paragraph(1) for _ in range(w.count(1, 2))],
    }
    if w.rng.random() < 0.5:
        fields["watch_for"] = [w.paragraph(1)]
    if w.rng.random() < 0.2:
        fields["key_innovations"][0] = {"text": "Two deployment modes:",
                                        "points": [w.bullet(), w.bullet()]}
    return fields


def _weekly_fields(w: Writer) -> dict[str, Any]:
    return {
        "score": round(w.rng.uniform(5.0, 9.8), 1),
        "hidden_gem": w.rng.random() < 0.1,
        "summary": w.paragraph(w.count(4, 6)),
        "key_findings": w.bullets(),
        "applications": w.bullets(),
    }


def _digest_fields(w: Writer) -> dict[str, Any]:
    if w.rng.random() < 0.2:
        return {"featured": False, "blurb": w.paragraph(w.count(9, 13))}
    return {
        "headline": f"{w.pick(_NOUNS)} Move Into the {w.pick(_ADJECTIVES)} Stack",
        "overview": w.paragraph(2),
        "body": [w.paragraph(w.count(2, 3)) for _ in range(w.count(2, 3))],
        "takeaways": [w.paragraph(1) for _ in range(w.count(3, 5))],
    }


def _pulse_fields(w: Writer, sections: list[str]) -> dict[str, Any]:
    return {
        "blurb": w.paragraph(w.count(9, 13)),
        "section": w.pick(tuple(sections)),
        "group": f"{w.pick(_ADJECTIVES)} {w.pick(_NOUNS)}",
    }


def section_titles(issue: int) -> list[str]:
    return [f"{noun} and {adjective} Methods (part {issue})"
            for noun, adjective in zip(_NOUNS[:4], _ADJECTIVES[:4], strict=True)]


def make_paper(style: str, issue: int, number: int, w: Writer) -> dict[str, Any]:
    title, short = paper_title(issue * 100_000 + number, w)
    paper: dict[str, Any] = {"title": title, "url": paper_url(issue, number),
                             "short_name": short}
    extra: dict[str, Callable[[Writer], dict[str, Any]]] = {
        "briefing": _briefing_fields, "cto-briefing": _briefing_fields,
        "weekly": _weekly_fields, "digest": _digest_fields,
        "pulse": lambda writer: _pulse_fields(writer, section_titles(issue)),
    }
    paper.update(extra[style](w))
    return paper


def make_issue(style: str, issue: int, w: Writer) -> dict[str, Any]:
    date = FIRST_DATE + dt.timedelta(days=7 * (issue - 1))
    data: dict[str, Any] = {
        "number": issue, "date": date, "style": style, "status": "published",
        "title": f"{w.pick(_ADJECTIVES)} {w.pick(_NOUNS)} Take Over {w.pick(_TOPICS).title()}",
        "lede": w.paragraph(4),
    }
    if style in ("briefing", "cto-briefing"):
        data["takeaways"] = w.bullets()
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
    writer = Writer(seed)
    write_toml(out / "newsletter.toml", make_publication(style), "Publication (synthetic)")
    width = max(2, len(str(papers_per_issue)))
    issue_dirs = []
    for issue in range(1, issues + 1):
        issue_dir = out / "issues" / f"{issue:04d}"
        write_toml(issue_dir / "issue.toml", make_issue(style, issue, writer),
                   f"Issue {issue} (synthetic)")
        for number in range(1, papers_per_issue + 1):
            paper = make_paper(style, issue, number, writer)
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
