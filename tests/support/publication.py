"""Small weekly publications written line by line, so a test knows every ``path:line:col``.

``publication()`` writes ``newsletter.toml`` (name on line 1, style on line 2),
``issue()`` an ``issues/NNN/issue.toml`` (number on line 1, date on line 2, status on
line 3) and ``paper()`` a paper (title on line 1, url 2, score 3, summary 4, key_findings 5,
applications 6).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

# A weekly paper that is clean for the style and for the lint (4 findings, 3 applications).
GOOD_PAPER = {
    "title": '"Sparse Attention at Scale"',
    "url": '"https://arxiv.org/abs/2604.01234"',
    "score": "8.2",
    "summary": '"Makes long-context serving cheaper."',
    "key_findings": '["Cuts attention cost by 75%.", "Keeps quality.", "Needs no retraining.", '
                    '"Works at 30B."]',
    "applications": '["Serve longer contexts.", "Cut GPU bills.", "Audit sparse stacks."]',
}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def paper(base: dict[str, str] | None = None, **changes: str | None) -> str:
    """A paper as TOML, one key per line; a keyword replaces that key's raw TOML value in
    place (None drops the line) and a new key is appended (line 7, 8, ...)."""
    fields = dict(GOOD_PAPER if base is None else base)
    for key, raw in changes.items():
        if raw is None:
            del fields[key]
        else:
            fields[key] = raw
    return "".join(f"{key} = {raw}\n" for key, raw in fields.items())


def publication(root: Path, config: str = "", *, style: str = "weekly",
                name: str = "AI Research Weekly") -> Path:
    """newsletter.toml: name on line 1, style on line 2, ``config`` from line 3."""
    return write(root / "newsletter.toml",
                 f'name = "{name}"\nstyle = "{style}"\n' + textwrap.dedent(config))


def issue(directory: Path, number: int, date: str, *, status: str = "draft",
          extra: str = "", papers: dict[str, str] | None = None) -> Path:
    """issue.toml (number line 1, date line 2, status line 3, ``extra`` from line 4)."""
    write(directory / "issue.toml",
          f'number = {number}\ndate = {date}\nstatus = "{status}"\n{extra}')
    (directory / "papers").mkdir(parents=True, exist_ok=True)
    for name, text in (papers or {}).items():
        write(directory / "papers" / name, text)
    return directory


def one_issue(root: Path, *paper_texts: str, config: str = "", style: str = "weekly",
              extra: str = "") -> Path:
    """A publication with one issue ``issues/001`` holding ``01-paper.toml``, ...."""
    publication(root, config, style=style)
    return issue(root / "issues/001", 1, "2026-04-19", extra=extra, papers={
        f"{index:02d}-paper.toml": text for index, text in enumerate(paper_texts, 1)})
