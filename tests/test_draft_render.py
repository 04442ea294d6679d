"""Drafts render: whatever a house style requires may still be missing from a draft.

An issue with ``status = "draft"`` is rendered although it does not yet have all its style
requires (``check`` only warns about what is missing). The templates leave every missing
part out: no heading over nothing, no label with nothing after it, no empty list, no
"None", no link to nothing. A draft is marked as one: the notice "Draft — not yet sent to
readers" heads its page, both parts of its email, and its Markdown and text; a published
issue has none of it (the golden files in tests/test_render.py hold its bytes).

Issues here are rendered through the library without the check, as ``render`` does once
the check has let a draft through. Every style and every format it has is covered
(``all_styles()``, ``style.formats``): minimal drafts built in ``tmp_path``, drafts with
some fields, and each bundled example with one required field taken out at a time.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from newsletter.check.issue import resolve_style
from newsletter.entries.loading import LoadedIssue, load_issue
from newsletter.entries.styles import Style, all_styles
from newsletter.render import MailHeaders, render_document
from tests.support.paths import EXAMPLES, TEMPLATES
from tests.support.tools import email_html, format_vnu_errors, vnu_errors

STYLES = {style.name: style for style in all_styles()}
STYLE_NAMES = sorted(STYLES)
CASES = [(name, fmt) for name in STYLE_NAMES for fmt in STYLES[name].formats]

NOTICE = "Draft — not yet sent to readers"
TEXT_NOTICE = "DRAFT — not yet sent to readers"
MD_NOTICE = "> **Draft — not yet sent to readers**"
SENDER = "Ed <ed@example.com>"

PUBLICATION = f'name = "AI Weekly"\nemail_from = "{SENDER}"\n'
MINIMAL_PAPER = 'title = "A Paper on Sparse Attention"\nurl = "https://example.com/a"\n'


def write_issue(root: Path, style: str, *, publication: str | None = PUBLICATION,
                issue: str = "", papers: tuple[str, ...] = (MINIMAL_PAPER,),
                status: str = "draft") -> Path:
    """A publication in ``root`` (no newsletter.toml when ``publication`` is None) with
    one issue, issues/001, of ``style``: number, date and status, then ``issue``."""
    if publication is not None:
        (root / "newsletter.toml").write_text(publication, encoding="utf-8")
    folder = root / "issues" / "001"
    (folder / "papers").mkdir(parents=True)
    (folder / "issue.toml").write_text(
        f'style = "{style}"\nnumber = 1\ndate = 2026-03-16\nstatus = "{status}"\n{issue}',
        encoding="utf-8")
    for index, paper in enumerate(papers, start=1):
        (folder / "papers" / f"{index:02d}-x.toml").write_text(paper, encoding="utf-8")
    return folder


def load(folder: Path) -> tuple[LoadedIssue, Style]:
    loaded = load_issue(folder)
    errors = [problem for problem in loaded.problems if problem.severity == "error"]
    assert not errors, errors  # the files themselves are valid; only fields are missing
    style, problems = resolve_style(loaded)
    assert style is not None, problems
    return loaded, style


def render(loaded: LoadedIssue, style: Style, fmt: str) -> str:
    """The rendering as a reader gets it: for email, the text part, a blank line and
    the HTML part."""
    headers = None
    if fmt == "email" and not (loaded.publication and loaded.publication.email_from):
        headers = MailHeaders(sender=SENDER)  # a draft without a newsletter.toml
    out = render_document(loaded, style, fmt, headers=headers)
    if fmt != "email":
        return out.decode("utf-8")
    out = out.replace(b"\r\n", b"\n")
    message = email.message_from_bytes(out, policy=email.policy.default)
    text = message.get_body(preferencelist=("plain",))
    assert text is not None
    return text.get_content() + "\n" + email_html(out)


def parts(rendering: str, fmt: str) -> list[tuple[str, str]]:
    """(kind, text) for each part a reader sees: 'text', 'md' or 'html'."""
    if fmt == "email":
        text, _, html = rendering.partition("\n<!DOCTYPE html>")
        return [("text", text), ("html", "<!DOCTYPE html>" + html)]
    if fmt == "html-fragment":  # the email's body alone: read as the body of a page
        return [("fragment", f"<body>{rendering}</body>")]
    return [({"html": "html"}.get(fmt, fmt), rendering)]


# What a reader must not see -------------------------------------------------------------

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
         "source", "track", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def elements(self) -> list[Node]:
        return [c for c in self.children if isinstance(c, Node)]

    def walk(self):
        yield self
        for child in self.elements():
            yield from child.walk()

    def has_class(self, name: str) -> bool:
        return name in self.attrs.get("class", "").split()

    def describe(self) -> str:
        attrs = "".join(f' {k}="{v}"' for k, v in self.attrs.items() if k in ("class", "id"))
        return f"<{self.tag}{attrs}>{' '.join(self.text().split())[:80]}"


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse_html(html: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


# Blocks that are a titled part of the issue: a heading and nothing else is a heading over
# nothing. (In email, sections are <div>s with the same classes.)
_TITLED = {"takeaways", "overview", "featured", "noted", "observation", "outlook", "closing",
           "sources", "gems", "topic"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}


def html_faults(html: str) -> list[str]:
    body = next((n for n in parse_html(html).walk() if n.tag == "body"), None)
    assert body is not None, "no <body>"
    faults = []
    for node in body.walk():
        words = node.text().strip()
        if node.tag in ("ul", "ol") and not any(c.tag == "li" for c in node.elements()):
            faults.append(f"an empty list: {node.describe()}")
        if node.tag in ("li", "p", "a", "strong", "dt", "dd") and not words:
            faults.append(f"an empty <{node.tag}>: {node.describe()}")
        if node.tag in _HEADINGS and not re.sub(r"[\d\s.·/–-]+", "", words):
            faults.append(f"a heading with nothing but a number in it: {node.describe()}")
        if node.tag == "a" and not node.attrs.get("href", "").strip():
            faults.append(f"a link to nothing: {node.describe()}")
        if (node.tag in ("section", "div") and node.attrs.get("class", "")
                and _TITLED & set(node.attrs["class"].split())):
            content = [c for c in node.children if isinstance(c, Node) or c.strip()]
            if all(isinstance(c, Node) and c.tag in _HEADINGS for c in content):
                faults.append(f"a heading over nothing: {node.describe()}")
        if node.tag in ("div", "section", "article", "header", "footer") and not words:
            faults.append(f"an empty <{node.tag}>: {node.describe()}")
        # A label: its paragraph says something after it, or a list follows it.
        if node.tag == "p":
            label = next((c for c in node.elements() if c.has_class("label")), None)
            if label is not None and words == label.text().strip():
                siblings = None
                for candidate in body.walk():
                    if node in candidate.children:
                        siblings = candidate.elements()
                        break
                assert siblings is not None
                after = siblings[siblings.index(node) + 1:]
                if not after or after[0].tag not in ("ul", "ol"):
                    faults.append(f"a label with nothing after it: {node.describe()}")
    return faults


_MD_HEADING = re.compile(r"^(#{1,6}) (.*)$")


def text_faults(text: str, kind: str, labels: dict[str, str],
                closing_title: str | None) -> list[str]:
    """Markdown or plain text: a label line over nothing, an empty or number-only heading,
    a section heading over nothing, a link to nothing."""
    faults = []
    lines = text.splitlines()
    content = [(i, line) for i, line in enumerate(lines) if line.strip()]
    section_titles = {*labels.values(), *([closing_title] if closing_title else [])}
    for position, (_, line) in enumerate(content):
        following = content[position + 1][1] if position + 1 < len(content) else None
        bare = line.strip().strip("*").strip()
        # 'Why it matters:' / '**Why it matters:**' on its own: bullets must follow.
        if re.fullmatch(r"(\*\*)?[^-*#>\s][^:]*:(\*\*)?", line.strip()) and (
                following is None or not following.lstrip().startswith("- ")):
            faults.append(f"a label with nothing after it: {line!r}")
        heading = _MD_HEADING.match(line) if kind == "md" else None
        if heading and not re.sub(r"[\d\s.·/–\\-]+", "", heading.group(2)):
            faults.append(f"an empty heading: {line!r}")
        if kind == "text" and re.fullmatch(r"\s*\d+\.\s*|\s*/ \d+ ·\s*", line):
            faults.append(f"a number with nothing after it: {line!r}")
        # A section's heading ('Executive Takeaways', 'Sources (3)'): content must follow.
        title = heading.group(2) if heading else bare
        is_section = any(title == t or title.startswith(t + " (") for t in section_titles)
        if is_section and (heading or kind == "text"):
            next_heading = following is not None and (
                (kind == "md" and _MD_HEADING.match(following) is not None
                 and len(_MD_HEADING.match(following).group(1)) <= len(heading.group(1)))
                or (kind == "text" and any(following.strip() == t for t in section_titles)))
            if following is None or next_heading or following.strip() == "---":
                faults.append(f"a heading over nothing: {line!r}")
    if kind == "md" and re.search(r"\[\]\(|\]\(<>\)|\]\(\)", text):
        faults.append("a link without text or target")
    if kind == "text" and re.search(r"<>|: $", text, re.M):
        faults.append("a link to nothing, or a label with nothing after it")
    return faults


def assert_reads_well(rendering: str, fmt: str, loaded: LoadedIssue, style: Style) -> None:
    where = f"{style.name} {fmt}"
    assert not re.search(r"\bNone\b", rendering), f"{where}: 'None' in:\n{rendering}"
    assert "Undefined" not in rendering, f"{where}:\n{rendering}"
    closing_title = loaded.publication.closing_title if loaded.publication else None
    for kind, text in parts(rendering, fmt):
        faults = (html_faults(text) if kind in ("html", "fragment")
                  else text_faults(text, kind, style.labels, closing_title))
        assert not faults, f"{where} ({kind}):\n  " + "\n  ".join(faults) + f"\n\n{text}"


def visible_html(html: str) -> str:
    """The page's text outside <head>, whitespace folded; not what display:none hides (the
    email's preheader, which only an inbox list shows)."""
    def shown(node: Node) -> str:
        if "display: none" in node.attrs.get("style", ""):
            return ""
        return "".join(c if isinstance(c, str) else shown(c) for c in node.children)

    body = next(n for n in parse_html(html).walk() if n.tag == "body")
    return " ".join(shown(body).split())


# Minimal drafts -----------------------------------------------------------------------

@pytest.mark.parametrize(("style_name", "fmt"), CASES)
def test_a_draft_with_only_number_date_and_a_titled_paper_renders(
        tmp_path: Path, style_name: str, fmt: str) -> None:
    loaded, style = load(write_issue(tmp_path, style_name))
    rendering = render(loaded, style, fmt)
    assert_reads_well(rendering, fmt, loaded, style)
    # The paper is there, with its link: a reader of the draft sees what it covers.
    assert "A Paper on Sparse Attention" in rendering
    assert "https://example.com/a" in rendering


@pytest.mark.parametrize(("style_name", "fmt"), CASES)
@pytest.mark.parametrize("publication", [None, f'email_from = "{SENDER}"\n',
                                         PUBLICATION + 'closing_title = "How We Help"\n'],
                         ids=["no-newsletter-toml", "no-name", "closing-title-only"])
def test_a_draft_without_a_complete_publication_renders(
        tmp_path: Path, style_name: str, fmt: str, publication: str | None) -> None:
    loaded, style = load(write_issue(tmp_path, style_name, publication=publication))
    rendering = render(loaded, style, fmt)
    assert_reads_well(rendering, fmt, loaded, style)
    assert "How We Help" not in rendering  # a closing title over no closing is left out


@pytest.mark.parametrize(("style_name", "fmt"), CASES)
def test_a_draft_without_papers_renders(tmp_path: Path, style_name: str, fmt: str) -> None:
    loaded, style = load(write_issue(tmp_path, style_name, papers=()))
    rendering = render(loaded, style, fmt)
    assert_reads_well(rendering, fmt, loaded, style)
    assert "Sources (0)" not in rendering


# Drafts with some fields -----------------------------------------------------------------

PARTIAL_ISSUE = '''title = "Cheaper Attention"
lede = "This week: attention gets cheaper."
closing = "Reply and tell us what you are piloting."
'''
PARTIAL_PAPERS = (
    # A headline and key innovations, but no solution paragraph and no url yet.
    '''title = "IndexCache: Cross-Layer Index Reuse"
headline = "Sparse Attention Just Got Cheaper"
short_name = "IndexCache"
key_innovations = ["Cross-layer reuse: only a few layers keep their indexer."]
watch_for = ["Calibration sets."]
score = 8.2
body = ["IndexCache reuses indices across layers."]
section = "Attention"
''',
    # Only a problem, a blurb and a hidden-gem flag.
    '''title = "Spatial-TTT"
url = "https://example.com/spatial"
problem = "Video models forget space."
blurb = "Spatial-TTT keeps a spatial memory."
hidden_gem = true
featured = false
''',
    MINIMAL_PAPER,
)


@pytest.mark.parametrize(("style_name", "fmt"), CASES)
def test_a_draft_with_some_fields_shows_them_and_leaves_the_rest_out(
        tmp_path: Path, style_name: str, fmt: str) -> None:
    issue = PARTIAL_ISSUE + '\n[[sections]]\ntitle = "Attention"\n'
    loaded, style = load(write_issue(tmp_path, style_name, issue=issue, papers=PARTIAL_PAPERS))
    rendering = render(loaded, style, fmt)
    assert_reads_well(rendering, fmt, loaded, style)
    shown = {*style.requires_issue, *style.offers_issue}
    for name, words in (("lede", "This week: attention gets cheaper."),
                        ("closing", "Reply and tell us what you are piloting.")):
        assert (words in rendering) == (name in shown), (name, style.name)
    # Each paper by its headline or its name (briefing shows a headline instead of a title).
    for names in (("IndexCache", "Sparse Attention Just Got Cheaper"), ("Spatial-TTT",),
                  ("A Paper on Sparse Attention",)):
        assert any(name in rendering for name in names), names


# Every field a style requires, taken out of its bundled example ----------------------------

def _emptied(model, name: str):
    value = getattr(model, name)
    return model.model_copy(update={name: [] if isinstance(value, list) else None})


def _example_without(style: Style, where: str, name: str | None) -> LoadedIssue:
    """The bundled example of ``style`` as a draft, with ``where``'s field ``name`` emptied
    (in every paper for a paper field); ``name`` None: all of them at once."""
    loaded = load_issue(EXAMPLES / style.name)
    issue = loaded.issue.model_copy(update={"status": "draft"})
    publication, papers = loaded.publication, loaded.paper_entries
    issue_fields = [*style.requires_issue, *style.offers_issue]
    paper_fields = sorted({*style.requires_paper, *(style.requires_paper_not_featured or ())}
                          - {"title"})
    if where in ("issue", "all"):
        for each in issue_fields if name is None else [name]:
            issue = _emptied(issue, each)
    if where in ("publication", "all"):
        for each in (style.requires_publication if name is None else [name]):
            publication = _emptied(publication, each)
    if where in ("paper", "all"):
        for each in paper_fields if name is None else [name]:
            papers = [replace(item, paper=_emptied(item.paper, each)) for item in papers]
    return replace(loaded, issue=issue, publication=publication, paper_entries=papers)


def _removals() -> list[tuple[str, str, str | None]]:
    found = []
    for style in STYLES.values():
        found += [(style.name, "issue", f) for f in (*style.requires_issue, *style.offers_issue)]
        found += [(style.name, "publication", f) for f in style.requires_publication]
        found += [(style.name, "paper", f) for f in sorted(
            {*style.requires_paper, *(style.requires_paper_not_featured or ())} - {"title"})]
        found.append((style.name, "all", None))
    return found


@pytest.mark.parametrize(("style_name", "where", "name"), _removals(),
                         ids=lambda v: "everything" if v is None else str(v))
def test_any_required_field_may_be_missing_from_a_draft(style_name: str, where: str,
                                                        name: str | None) -> None:
    style = STYLES[style_name]
    loaded = _example_without(style, where, name)
    for fmt in style.formats:
        assert_reads_well(render(loaded, style, fmt), fmt, loaded, style)


def test_without_a_publication_a_bundled_example_still_renders() -> None:
    for style in STYLES.values():
        loaded = replace(_example_without(style, "all", None), publication=None)
        for fmt in style.formats:
            assert_reads_well(render(loaded, style, fmt), fmt, loaded, style)


# The draft notice ---------------------------------------------------------------------

@pytest.mark.parametrize(("style_name", "fmt"), CASES)
def test_a_draft_says_it_is_one_at_the_top(tmp_path: Path, style_name: str, fmt: str) -> None:
    loaded, style = load(write_issue(tmp_path, style_name, issue=PARTIAL_ISSUE))
    rendering = render(loaded, style, fmt)
    for kind, text in parts(rendering, fmt):
        if kind == "text":
            assert text.splitlines()[0] == TEXT_NOTICE, text[:200]
        elif kind == "md":
            assert text.splitlines()[0] == MD_NOTICE, text[:200]
        else:
            tree = parse_html(text)
            if kind == "html":  # a fragment has no <head>, so no title
                title = next(n for n in tree.walk() if n.tag == "title").text()
                assert title.startswith("Draft: "), title
            # The first thing in the issue's column, before the masthead.
            column = next(n for n in tree.walk() if n.has_class("issue"))
            first = column.elements()[0]
            assert first.has_class("draft-notice"), first.describe()
            assert " ".join(first.text().split()) == NOTICE
            assert visible_html(text).startswith(NOTICE)
            if fmt in ("email", "html-fragment"):  # a table, its colours inlined on the cell
                assert first.tag == "table" and first.attrs.get("role") == "presentation"
                cell = next(n for n in first.walk() if n.has_class("draft-notice-cell"))
                assert "background: #fff1c2" in cell.attrs.get("style", "")
            else:
                assert first.tag == "p"


@pytest.mark.parametrize(("style_name", "fmt"), CASES)
def test_a_published_issue_has_no_draft_notice(tmp_path: Path, style_name: str,
                                               fmt: str) -> None:
    folder = write_issue(tmp_path, style_name, issue=PARTIAL_ISSUE, status="published")
    loaded, style = load(folder)
    rendering = render(loaded, style, fmt)
    assert "not yet sent to readers" not in rendering
    assert "draft-notice" not in rendering and "--draft-" not in rendering
    assert "<title>Draft" not in rendering


def test_the_notice_reads_at_4_5_to_1_in_both_schemes() -> None:
    css = (TEMPLATES / "_base" / "base.css").read_text(encoding="utf-8")
    block = css[css.index("{% if draft %}"):]
    schemes = [dict(re.findall(r"--(draft-[a-z]+):\s*(#[0-9a-f]{6})", part))
               for part in block.split("prefers-color-scheme: dark", 1)]
    assert len(schemes) == 2 and all(len(s) == 3 for s in schemes), schemes

    def luminance(colour: str) -> float:
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
                  for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    for scheme in schemes:
        light, dark = sorted((luminance(scheme["draft-text"]),
                              luminance(scheme["draft-background"])), reverse=True)
        assert (light + 0.05) / (dark + 0.05) >= 4.5, scheme
    # No style sets the notice's colours in a way that would escape this check.
    for style in STYLES.values():
        own = (style.folder / "style.css")
        if own.is_file():
            text = own.read_text(encoding="utf-8")
            assert "--draft-" not in text and not re.search(
                r"draft[^{]*\{[^}]*(?<![-\w])(color|background)\s*:", text), style.name


# The Nu HTML Checker --------------------------------------------------------------------

def test_draft_pages_and_emails_pass_the_nu_html_checker(tmp_path: Path) -> None:
    documents: dict[str, Path] = {}
    for name in STYLE_NAMES:
        style = STYLES[name]
        for variant, issue, papers in (("minimal", "", (MINIMAL_PAPER,)),
                                       ("partial", PARTIAL_ISSUE, PARTIAL_PAPERS)):
            root = tmp_path / f"{name}-{variant}"
            root.mkdir()
            loaded, _ = load(write_issue(root, name, issue=issue, papers=papers))
            for fmt in ("html", "email"):
                if fmt not in style.formats:
                    continue
                out = render_document(loaded, style, fmt)
                html = email_html(out) if fmt == "email" else out.decode("utf-8")
                path = tmp_path / f"{name}-{variant}-{fmt}.html"
                path.write_text(html, encoding="utf-8")
                documents[path.name] = path
    assert documents
    errors = vnu_errors(documents.values())
    found = {name: errors.get(path.resolve(), []) for name, path in documents.items()}
    bad = {name: messages for name, messages in found.items() if messages}
    assert not bad, "the Nu HTML Checker found errors:\n" + "\n".join(
        f"{name}:\n{format_vnu_errors(messages)}" for name, messages in bad.items())


def test_the_style_list_is_derived() -> None:
    # Otherwise every parametrized test above could be collected empty and pass silently.
    assert {"briefing", "weekly"} <= set(STYLES)
    assert all("text" in style.formats for style in STYLES.values())
