"""Papers from .bib files: what each entry asks to fetch or says itself, and bad files."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pytest

from newsletter.intake import bibtex
from newsletter.intake.bibtex import MAX_BIB_BYTES, BibError, read

# Reading a .bib file never needs the network: any connection fails the test.
pytestmark = pytest.mark.disable_socket

BIBTEX = Path(__file__).parent / "fixtures" / "bibtex"


def bib(tmp_path: Path, text: str | bytes, name: str = "refs.bib") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def test_a_zotero_export() -> None:
    arxiv, crossref, written, old = read(BIBTEX / "refs.bib")
    assert (arxiv.key, arxiv.line, arxiv.arxiv_id, arxiv.doi) == (
        "turing2026scaling", 4, "2604.01234", None)
    assert (crossref.key, crossref.arxiv_id, crossref.doi) == (
        "lovelace2025sparse", None, "10.1145/3712345.3712346")
    assert (written.arxiv_id, written.doi) == (None, None)
    paper = written.written
    assert paper is not None
    assert paper.title == "A Bayesian View of G\u00f6del's Incompleteness \u2013 Revisited"
    assert paper.authors == ["Kurt G\u00f6del", "John von Neumann", "The PAC Learning Group"]
    assert paper.abstract == ("We show that 90% of provable statements are \u2014 in a sense "
                              "\u2014 boring.")
    assert paper.published == dt.date(2024, 12, 1)
    assert paper.url == "https://example.org/papers/godel%20bayes"  # % is not a comment here
    assert old.arxiv_id == "hep-th/9901001v2"
    assert old.written is not None and old.written.published == dt.date(1999, 1, 4)


@pytest.mark.parametrize("fields, published", [
    ("year = 2020", dt.date(2020, 1, 1)), ("year = 2020, month = {March}", dt.date(2020, 3, 1)),
    ("year = {2020}, month = 11", dt.date(2020, 11, 1)), ("date = {2021-07}", dt.date(2021, 7, 1)),
    ("year = {circa 1990}", None), ("year = 2020, month = 13", None),
    ("year = 2020, month = {99999999999999999999}", None),  # too big for a C int
    ("date = {2021-99999999999999999999}", None)])
def test_the_publication_date(tmp_path: Path, fields: str, published: dt.date | None) -> None:
    (entry,) = read(bib(tmp_path, f"@article{{k, title = {{T}}, {fields}}}\n"))
    assert entry.written is not None and entry.written.published == published


def test_biblatex_eprinttype_and_arxiv_prefixed_eprints(tmp_path: Path) -> None:
    (entry,) = read(bib(tmp_path, "@online{k, eprint = {arXiv:2604.05678v2}, "
                                  "eprinttype = {arxiv}}\n"))
    assert entry.arxiv_id == "2604.05678v2" and entry.written is None


def test_an_eprint_of_another_archive_is_not_an_arxiv_id(tmp_path: Path) -> None:
    (entry,) = read(bib(tmp_path, "@article{k, title = {T}, eprint = {12345}, "
                                  "archivePrefix = {HAL}}\n"))
    assert entry.arxiv_id is None


@pytest.mark.parametrize("name, message", [
    ("syntax-error.bib", "syntax-error.bib:6: the entry starting here has a syntax error; fix "
     "it and import again"),
    ("no-title.bib", "no-title.bib:1: entry 'empty' has no title, eprint or doi; nothing to "
     "make a paper of"),
    ("latin-1.bib", "latin-1.bib:2: not UTF-8 text (byte 0xe9); save the file as UTF-8"),
])
def test_bad_files_are_one_line_naming_file_and_line(name: str, message: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(BibError) as caught:
        read(BIBTEX / name)
    assert str(caught.value) == f"{BIBTEX / name}:{message.partition(':')[2]}"
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""  # bibtexparser's own log kept quiet


@pytest.mark.parametrize("text, message", [
    ("@article{a, title={A}}\n@article{a, title={B}}\n", ":2: entry key 'a' is used twice"),
    ("\n@article{k, eprint={not-an-id}, archivePrefix={arXiv}}\n",
     ":2: entry 'k': eprint 'not-an-id' is not an arXiv id"),
    ("@article{k, doi={https://example.org/x}}\n", ":1: entry 'k': doi "
     "'https://example.org/x' is not a DOI"),
    ("@article{k, title={Bad \x1b[2J title}}\n", ":1: entry 'k': title: Value error, contains "
     "a control character"),
    ("@article{k, title={" + "x" * 1001 + "}}\n", ":1: entry 'k': title: String should have "
     "at most 1000 characters"),
    ("@article{k, title={" + "{" * 40 + "x" + "}" * 40 + "}}\n", ":1: field title nests "
     "braces 40 deep"),
    ("@article{k, title={T}, abstract={" + "y" * 60000 + "}}\n", ":1: field abstract is "
     "longer than 50000 characters"),
])
def test_bad_entries(tmp_path: Path, text: str, message: str) -> None:
    path = bib(tmp_path, text)
    with pytest.raises(BibError) as caught:
        read(path)
    assert str(caught.value) == f"{path}{message}"
    assert "\x1b" not in str(caught.value)


def test_string_expansion_cannot_blow_up() -> None:
    start = time.perf_counter()
    (entry,) = read(BIBTEX / "string-bomb.bib")
    assert time.perf_counter() - start < 2
    assert entry.written is not None and len(entry.written.title) < 100


def test_a_huge_file_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.bib"
    with path.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # 50 MB (sparse: no disk spent)
    start = time.perf_counter()
    with pytest.raises(BibError, match=r"huge\.bib: larger than 8 MiB"):
        read(path)
    assert time.perf_counter() - start < 2
    assert MAX_BIB_BYTES == 8 * 1024 * 1024


def test_a_link_out_of_the_publication_is_refused(tmp_path: Path) -> None:
    publication = tmp_path / "publication"
    publication.mkdir()
    secret = bib(tmp_path, "@article{k, title={Private}}\n", "private.bib")
    (publication / "refs.bib").symlink_to(secret)
    with pytest.raises(BibError, match="is a symbolic link leading out of the publication"):
        read(publication / "refs.bib", publication)
    # The editor's own file elsewhere, named directly, is read.
    assert read(secret, publication)[0].written.title == "Private"  # type: ignore[union-attr]
    # A link that stays inside the publication is fine.
    (publication / "inside.bib").write_text("@article{k, title={Inside}}\n")
    (publication / "link.bib").symlink_to("inside.bib")
    assert read(publication / "link.bib", publication)[0].key == "k"


def test_a_named_pipe_does_not_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.bib")
    with pytest.raises(BibError, match=r"pipe\.bib: is not a regular file"):
        read(tmp_path / "pipe.bib")


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BibError, match=r"missing\.bib: cannot read it: No such file"):
        read(tmp_path / "missing.bib")


def test_latex_to_decode_is_bounded_per_file(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """pylatexenc takes seconds per megabyte: a file's LaTeX has a budget (1 million
    characters, a few seconds), here made small so the test is quick."""
    monkeypatch.setattr(bibtex, "MAX_LATEX_CHARS", 1000)
    entry = "@article{{k{0}, title = {{T {0}}}, abstract = {{{1}}}}}\n"
    plain = bib(tmp_path, "".join(entry.format(i, "plain words " * 30) for i in range(10)))
    assert len(read(plain)) == 10  # text without LaTeX costs nothing
    latex = bib(tmp_path, "".join(entry.format(i, r"\emph{x} " * 30) for i in range(10)),
                "latex.bib")
    with pytest.raises(BibError) as caught:
        read(latex)
    assert str(caught.value) == (f"{latex}:4: more than 1,000 characters of LaTeX to decode "
                                 "in one file; split it")
