"""Text in any script survives; names are safe; bad input files get one line, never a hang.

* Titles in many scripts (CJK, Arabic and Hebrew, Devanagari, emoji with ZWJ sequences,
  combining marks, NFC and NFD) go through add-paper → check → render (md, text, html)
  unchanged: the title read back from the paper file and found in every rendering is,
  once both are NFC-normalised, exactly the title given.
* Slugs are ASCII, the same for the same title (and for its NFC and NFD spellings), and a
  title or short name such as ``../../etc/passwd`` cannot write outside the issue.
* Files that are not UTF-8, have a BOM or CRLF line ends, hold NUL bytes, are empty, are a
  directory, a dangling symlink, a named pipe or 50 MB, on the paths tests/test_check.py
  does not already cover: render, render --output, add-paper beside such a file, add-paper
  --from such a file, and issue.toml itself. Each gives well-formed problem lines (exit 1)
  or one ``newsletter: error:`` line, or works (BOM, CRLF); every command runs under a
  time limit, so a hang fails instead of stalling CI.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import tomllib
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.cli import Cli, check_output, one_line_error, render_output
from tests.support.paths import EXAMPLES

FORMATS = ("md", "text", "html")
NFC = "NFC"


def nfc(text: str) -> str:
    return unicodedata.normalize(NFC, text)


TITLES = {
    "chinese": "大型语言模型的稀疏注意力：跨层索引复用",
    "japanese": "スパース注意機構の層間インデックス再利用について",
    "korean": "희소 어텐션을 위한 교차 계층 인덱스 재사용",
    "cjk-extension-b": "𠀋𠀍𠂤 Rare Characters Outside the Basic Plane",
    "arabic": "الانتباه المتناثر عبر الطبقات في النماذج اللغوية",
    "hebrew": "קשב דליל בין שכבות במודלי שפה",
    "bidi-mixed": "Attention (انتباه) and Memory (זיכרון) in LLMs",
    "persian-zwnj": "می‌خواهم یادگیری عمیق را بفهمم",
    "devanagari": "परतों के पार विरल ध्यान और स्मृति",
    "tamil": "ஆழ்ந்த கற்றலில் கவனம் செலுத்துதல்",
    "thai": "การให้ความสนใจแบบเบาบางในโมเดลภาษา",
    "emoji-zwj": "Robots 🤖 Meet Scientists 👩‍🔬 and Families 👨‍👩‍👧‍👦 🏳️‍🌈",
    "emoji-modifiers": "Thumbs 👍🏽 Flags 🇪🇺🇯🇵 Keycaps 1️⃣ 2️⃣",
    "combining": "Z̷̢a̶l̸g̵o Text with Stacked Marks",
    "vietnamese": "Học sâu cho tiếng Việt có dấu",
    "nfc": unicodedata.normalize("NFC", "Café Crème: Über Ångström Lösungen"),
    "nfd": unicodedata.normalize("NFD", "Naïve Façade: Résumé of Ñandú Señales"),
    "math-alphanumeric": "𝔸𝕥𝕥𝕖𝕟𝕥𝕚𝕠𝕟 Is All You Need",
    "greek-cyrillic": "Η προσοχή είναι ό,τι χρειάζεστε · Внимание — это всё",
}


def weekly_args(title: str, url: str, *, short_name: str | None = None) -> list[str]:
    args = ["--title", title, "--url", url, "--score", "7.5",
            "--summary", "A summary.", "--finding", "A finding.",
            "--application", "An application."]
    return args + (["--short-name", short_name] if short_name else [])


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    monkeypatch.chdir(tmp_path)
    yield Cli()


@pytest.fixture
def new_issue(tmp_path: Path) -> Callable[[str], Path]:
    """An empty weekly issue (newsletter.toml, issue.toml, papers/) named ``name``."""

    def make(name: str) -> Path:
        issue = tmp_path / name
        (issue / "papers").mkdir(parents=True)
        for entry in ("newsletter.toml", "issue.toml"):
            shutil.copy(EXAMPLES / "weekly" / entry, issue / entry)
        return issue

    return make


def add(cli: Cli, issue: Path, *args: str) -> Path:
    """add-paper, which must succeed; the file it wrote."""
    result = cli("add-paper", issue.name, *args)
    assert result.exit_code == 0, result.output
    match = re.fullmatch(r"added (.+)\n", result.stdout)
    assert match, result.stdout
    return Path(match[1])


# ---------------------------------------------------------------------------- scripts


def test_titles_in_every_script_survive_add_check_and_render(
        cli: Cli, tmp_path: Path, new_issue: Callable[[str], Path]) -> None:
    issue = new_issue("issue")
    saved = {name: add(cli, issue, *weekly_args(title, f"https://example.org/{name}"))
             for name, title in TITLES.items()}

    for name, path in saved.items():
        stored = tomllib.loads(path.read_text(encoding="utf-8"))["title"]
        assert nfc(stored) == nfc(TITLES[name]), name
    checked = cli("check", issue.name)
    check_output(checked, tmp_path)
    assert checked.exit_code == 0, checked.stdout
    for output_format in FORMATS:
        result = cli("render", issue.name, "--format", output_format)
        render_output(result, tmp_path)
        assert result.exit_code == 0, result.stderr
        document = nfc(html.unescape(result.stdout) if output_format == "html"
                       else result.stdout)
        missing = [name for name, title in TITLES.items() if nfc(title) not in document]
        assert not missing, f"{output_format}: titles changed or lost: {missing}"


# ---------------------------------------------------------------------------- slugs

SLUG_FILE = re.compile(r"^\d{2}-(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.toml$")


def test_slugs_are_ascii_and_the_same_for_the_same_title(
        cli: Cli, new_issue: Callable[[str], Path]) -> None:
    first, second = new_issue("first"), new_issue("second")
    slugs: dict[str, list[str]] = {}
    for issue in (first, second):
        for name, title in TITLES.items():
            path = add(cli, issue, *weekly_args(title, f"https://example.org/{name}"))
            match = SLUG_FILE.match(path.name)
            assert match, f"{name}: {path.name} is not an ASCII slug"
            slugs.setdefault(name, []).append(match["slug"])
    assert all(a == b for a, b in slugs.values()), slugs
    # NFC and NFD spell the same title: the same slug (in two issues, since within one
    # issue the second spelling is refused as a duplicate).
    forms = []
    for form in ("NFC", "NFD"):
        title = unicodedata.normalize(form, TITLES["nfd"])
        path = add(cli, new_issue(f"composed-{form}"),
                   *weekly_args(title, f"https://example.org/{form}"))
        match = SLUG_FILE.match(path.name)
        assert match, path.name
        forms.append(match["slug"])
    assert forms == [slugs["nfd"][0]] * 2, (forms, slugs["nfd"])


def test_the_same_title_in_nfc_and_nfd_is_a_duplicate(
        cli: Cli, new_issue: Callable[[str], Path]) -> None:
    issue = new_issue("issue")
    add(cli, issue, *weekly_args(unicodedata.normalize("NFC", "Café"), "https://e.org/1"))
    again = cli("add-paper", issue.name,
                *weekly_args(unicodedata.normalize("NFD", "Café"), "https://e.org/2"))
    assert again.exit_code == 1 and "already in this issue" in one_line_error(again)


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.mark.parametrize("how", ["title", "short-name"])
def test_a_bidi_override_in_a_name_is_refused(cli: Cli, tmp_path: Path, how: str,
                                              new_issue: Callable[[str], Path]) -> None:
    """U+202E shows 'exe.txt' as 'txt.exe': refused as text, so it never names a file."""
    issue = new_issue("issue")
    before = tree(tmp_path)
    name = "\u202e/txt.exe"
    url = "https://example.org/bidi"
    args = (weekly_args(name, url) if how == "title"
            else weekly_args("A Plain Title", url, short_name=name))
    result = cli("add-paper", issue.name, *args)
    assert result.exit_code == 1
    assert "U+202E" in one_line_error(result)
    assert tree(tmp_path) == before


@pytest.mark.parametrize("how", ["title", "short-name", "from-json"])
@pytest.mark.parametrize("name", [
    "../../etc/passwd", "..", "/", "/tmp/evil", "~/.bashrc", "a/../../b", "..\\..\\win.ini",
    "./.hidden", "CON", "papers/../../escape", "..\u2215..\u2215x",
])
def test_a_name_cannot_write_outside_the_issue(cli: Cli, tmp_path: Path, how: str,
                                               name: str,
                                               new_issue: Callable[[str], Path]) -> None:
    issue = new_issue("issue")
    (tmp_path / "etc").mkdir()
    before = tree(tmp_path)
    url = "https://example.org/traversal"
    if how == "title":
        args = weekly_args(name, url)
    elif how == "short-name":
        args = weekly_args("A Plain Title", url, short_name=name)
    else:
        (tmp_path / "meta.json").write_text(json.dumps(
            {"title": name, "url": url, "score": 7.5, "summary": "S",
             "key_findings": ["F"], "applications": ["A"]}), encoding="utf-8")
        before = tree(tmp_path)
        args = ["--from", "meta.json"]

    path = add(cli, issue, *args)

    assert path.parent == Path("issue/papers"), path
    assert SLUG_FILE.match(path.name), path.name
    assert tree(tmp_path) - before == {str(path)}  # that file, and nothing anywhere else


# ---------------------------------------------------------------------------- bad input

GOOD_PAPER = (b'title = "Encodings Are Hard"\nurl = "https://example.org/enc"\nscore = 7.0\n'
              b'summary = "A summary."\nkey_findings = ["A finding."]\n'
              b'applications = ["An application."]\n')
FIFTY_MB = 50 * 1024 * 1024


def _directory(path: Path) -> None:
    path.mkdir()


def _dangling_symlink(path: Path) -> None:
    path.symlink_to(path.parent / "gone-for-good.toml")


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _fifty_megabytes(path: Path) -> None:
    with path.open("wb") as handle:
        handle.write(b'title = "')
        handle.write(b"x" * FIFTY_MB)
        handle.write(b'"\n')


BAD_KINDS: dict[str, bytes | Callable[[Path], None]] = {
    "not-utf8": b'title = "caf\xe9"\n',
    "bom": b"\xef\xbb\xbf" + GOOD_PAPER,
    "crlf": GOOD_PAPER.replace(b"\n", b"\r\n"),
    "bom-crlf": b"\xef\xbb\xbf" + GOOD_PAPER.replace(b"\n", b"\r\n"),
    "nul": b'title = "a\x00b"\n',
    "empty": b"",
    "directory": _directory,
    "dangling-symlink": _dangling_symlink,
    "fifo": _fifo,
    "50-megabytes": _fifty_megabytes,
}
VALID = {"bom", "crlf", "bom-crlf"}


def put(path: Path, kind: str) -> None:
    content = BAD_KINDS[kind]
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        content(path)


def kinds(xfail: dict[str, str] | None = None) -> list[object]:
    """Every kind of bad file as a parameter; those named in ``xfail`` are known bugs."""
    marks = {name: pytest.mark.xfail(strict=True, reason=reason)
             for name, reason in (xfail or {}).items()}
    return [pytest.param(kind, marks=marks.get(kind, ()), id=kind) for kind in BAD_KINDS]


def test_check_of_a_50_megabyte_paper_is_one_line_and_quick(
        cli: Cli, tmp_path: Path, new_issue: Callable[[str], Path]) -> None:
    issue = new_issue("issue")
    put(issue / "papers" / "01-huge.toml", "50-megabytes")
    for target in (issue.name, f"{issue.name}/papers/01-huge.toml"):
        result = cli("check", target, timeout=10)
        found = check_output(result, tmp_path)
        assert [(p.path, p.rule) for p in found] == [
            ("issue/papers/01-huge.toml", "file-too-large")], found


@pytest.mark.parametrize("kind", kinds())
def test_render_beside_a_bad_paper(cli: Cli, tmp_path: Path, kind: str,
                                   new_issue: Callable[[str], Path]) -> None:
    issue = new_issue("issue")
    put(issue / "papers" / "01-bad.toml", kind)

    result = cli("render", issue.name, "--format", "text", "--output", "out.txt", timeout=20)

    if kind in VALID:
        assert result.exit_code == 0, result.output
        assert "Encodings Are Hard" in (tmp_path / "out.txt").read_text(encoding="utf-8")
        return
    found = render_output(result, tmp_path)
    assert result.exit_code == 1
    assert found and {p.path for p in found} == {"issue/papers/01-bad.toml"}, found
    assert not (tmp_path / "out.txt").exists()


@pytest.mark.parametrize("kind", kinds())
def test_add_paper_beside_a_bad_paper(cli: Cli, tmp_path: Path, kind: str,
                                      new_issue: Callable[[str], Path]) -> None:
    issue = new_issue("issue")
    bad = issue / "papers" / "01-bad.toml"
    put(bad, kind)
    before = bad.read_bytes() if bad.is_file() and kind != "fifo" else None

    # The new paper is fine, so it is added; the bad file is left as it was. (50 MB is
    # read whole here, unlike in check: about 5 s, hence the generous limit.)
    path = _add_with_timeout(cli, issue, {"50-megabytes": 30, "fifo": 3}.get(kind, 10))

    assert path.parent == Path("issue/papers")
    assert tomllib.loads(path.read_text(encoding="utf-8"))["title"] == "A Good New Paper"
    if before is not None:
        assert bad.read_bytes() == before


def _add_with_timeout(cli: Cli, issue: Path, seconds: float) -> Path:
    result = cli("add-paper", issue.name,
                 *weekly_args("A Good New Paper", "https://example.org/good"),
                 timeout=seconds)
    assert result.exit_code == 0, result.output
    return Path(result.stdout.removeprefix("added ").strip())


@pytest.mark.parametrize("kind", kinds())
def test_add_paper_from_a_bad_file(cli: Cli, tmp_path: Path, kind: str,
                                   new_issue: Callable[[str], Path]) -> None:
    issue = new_issue("issue")
    put(tmp_path / "meta.toml", kind)

    result = cli("add-paper", issue.name, "--from", "meta.toml", timeout=10)

    if kind in VALID:
        assert result.exit_code == 0, result.output
        saved = list((issue / "papers").glob("*.toml"))
        assert [tomllib.loads(p.read_text(encoding="utf-8"))["title"] for p in saved] == [
            "Encodings Are Hard"]
        return
    # A bad --from file is a bad argument: exit 2, like a wrong flag (tests/test_add_paper).
    line = one_line_error(result)
    assert result.exit_code == 2, result.output
    if kind != "empty":  # an empty file is valid TOML: what is missing is the title
        assert "meta.toml" in line, line
    assert list((issue / "papers").iterdir()) == []


NOT_FOUND = ("BUG: render of an issue whose issue.toml is {} answers as if there were no "
             "issue.toml at all (exit 2, 'not an issue directory' or 'no issue.toml found "
             "here or below'), not that the file cannot be read (exit 1, one problem line)")


@pytest.mark.parametrize("kind", kinds())
def test_render_a_bad_issue_file(cli: Cli, tmp_path: Path, kind: str,
                                 new_issue: Callable[[str], Path]) -> None:
    issue = new_issue("issue")
    shutil.copy(EXAMPLES / "weekly" / "papers" / "03-globalsplat.toml", issue / "papers")
    good = (issue / "issue.toml").read_bytes()
    (issue / "issue.toml").unlink()
    if kind in VALID:
        (issue / "issue.toml").write_bytes(good.replace(b"\n", b"\r\n") if "crlf" in kind
                                           else good)
        if "bom" in kind:
            (issue / "issue.toml").write_bytes(b"\xef\xbb\xbf" + (issue / "issue.toml")
                                               .read_bytes())
    else:
        put(issue / "issue.toml", kind)

    result = cli("render", issue.name, "--format", "md", timeout=20)

    if kind in VALID:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 1, result.output
    found = render_output(result, tmp_path)
    assert found and {p.path for p in found} == {"issue/issue.toml"}, found


@pytest.mark.parametrize("char", ["\ufffe", "\uffff", "\ufdd0", "\ufdef"])
def test_a_noncharacter_is_refused_naming_its_code_point(char: str) -> None:
    """No XML may hold one, and the site's feeds are XML."""
    from pydantic import ValidationError

    from newsletter.entries.models import Paper

    with pytest.raises(ValidationError) as refused:
        Paper(title=f"Sparse{char} Attention")
    assert f"contains the noncharacter U+{ord(char):04X}; remove it" in str(refused.value)


@pytest.mark.parametrize(("field", "text", "named"), [
    ("title", "Evil &#x202E;txt.exe", "'&#x202E;', a reference to the bidirectional "
                                      "control character U+202E"),
    ("title", "Evil &#8238;txt.exe", "'&#8238;', a reference to the bidirectional control "
                                     "character U+202E"),
    ("headline", "Left &rlm; right", "'&rlm;', a reference to the bidirectional control "
                                     "character U+200F"),
    ("title", "Subject&#10;Bcc: all@example.com", "'&#10;', a reference to the control "
                                                  "character U+000A"),
    ("problem", "One&#x2028;two", "'&#x2028;', a reference to the line separator U+2028"),
])
def test_a_character_reference_to_a_forbidden_character_is_refused(
        field: str, text: str, named: str) -> None:
    """Markdown and HTML readers decode '&#x202E;' to U+202E: refused as the character
    itself would be, before the page, the email or a terminal gets it."""
    from pydantic import ValidationError

    from newsletter.entries.models import Paper

    with pytest.raises(ValidationError) as refused:
        Paper.model_validate({"title": "A paper", field: text})
    assert f"contains {named}; remove it" in str(refused.value)


@pytest.mark.parametrize("text", ["Q&amp;A, R&D and &lt;1% &mdash; fine", "Line one&#10;two"])
def test_harmless_references_are_kept(text: str) -> None:
    from newsletter.entries.models import Paper

    # A line break by reference is fine where the text may hold line breaks (prose).
    assert Paper(title="A paper", problem=text).problem == text
