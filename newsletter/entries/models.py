"""The three kinds of entry file as strict pydantic models: publication, issue, paper.

Every field any house style may use lives here once; a style only says which of them it
requires (see ``styles.py``). Models are strict so that ``score = "8"`` or
``hidden_gem = "yes"`` are reported instead of silently coerced.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    HttpUrl,
    Tag,
    TypeAdapter,
)

# Caps keep a pasted novel (or a pathological Markdown input) from reaching the renderer.
LINE_MAX = 300
ITEM_MAX = 2_000
PROSE_MAX = 6_000
# Crossref holds abstracts of several thousand words; arXiv's are at most 1,920 characters.
ABSTRACT_MAX = 20_000


@cache  # built on first use: a command that only reads field names never needs it
def _http_url() -> TypeAdapter[HttpUrl]:
    return TypeAdapter(HttpUrl)

_SPACE = re.compile(r"\s")

_LINK_SCHEMES = ("http://", "https://", "mailto:")
_LINK_HINTS = ("](", "]:", "<", "![", "][")
# Text that a lax Markdown reader (or a browser, which drops tabs and newlines from URLs)
# could still take for a link, though CommonMark does not: '[x](java<TAB>script:...)'.
_LOOSE_TARGET = re.compile(r"\]\(\s*<?(?P<target>[^)>]*)")
# Everything that could be a link target, loosely (a superset of what CommonMark reads):
# when all of these are safe, no CommonMark parse is needed.
_CANDIDATES = re.compile(r"\][(:]\s*<?(?P<after>[^\s)>]*)|<(?P<auto>[^\s<>]*:[^\s<>]*)>")
_INVISIBLE = re.compile(r"[\s\x00-\x1f\x7f]+")


@cache
def _link_reader() -> Any:
    from markdown_it import MarkdownIt

    reader = MarkdownIt("commonmark")
    reader.validateLink = lambda url: True  # see every target, to refuse it with a reason
    return reader


def _markdown_targets(value: str) -> tuple[list[str], bool]:
    """Every link target a CommonMark reader finds (inline, reference, autolink, in any
    block), and whether there is an image."""
    env: dict[str, Any] = {}
    tokens = _link_reader().parse(value, env)
    targets = [str(ref.get("href", "")) for ref in env.get("references", {}).values()]
    has_image = False
    for token in tokens:
        for child in token.children or ():
            if child.type == "link_open":
                targets.append(str(child.attrs.get("href", "")))
            elif child.type == "image":
                has_image = True
    return targets, has_image


def _safe_links(value: str) -> str:
    # The renderer refuses such links too; saying so here puts the error at the file's line,
    # and keeps them out of Markdown output, whose reader may be less careful.
    # Every link or image needs a ']' (or '<' for an autolink): without them, no parse.
    if ("]" not in value and "<" not in value) or not any(h in value for h in _LINK_HINTS):
        return value
    # Fast path: the common case, where every possible target is an http(s) link. Only a
    # doubtful one pays for a full CommonMark parse (half of a cold check otherwise).
    if "![" not in value and all(
            (m.group("after") or m.group("auto") or "http://").lower().startswith(_LINK_SCHEMES)
            for m in _CANDIDATES.finditer(value)):
        return value
    targets, has_image = _markdown_targets(value)
    targets += [_INVISIBLE.sub("", m.group("target")) for m in _LOOSE_TARGET.finditer(value)]
    for target in targets:
        if not target.lower().startswith(_LINK_SCHEMES):
            raise ValueError(f"has a link to '{target[:60]}'; links must start with "
                             "http://, https:// or mailto:")
    if has_image:
        raise ValueError("has an image (![...](...)); images would load from outside the "
                         "newsletter: link to it instead")
    return value


def _http_or_https(value: str) -> str:
    # Validate with pydantic's HttpUrl (which refuses javascript:, data:, ftp: ...) but keep
    # the editor's spelling: HttpUrl would add a trailing slash to a bare host.
    found = LINE_FORBIDDEN.search(value)
    if found:
        raise ValueError(forbidden_character(found.group()))
    if _SPACE.search(value):
        raise ValueError("must be an http:// or https:// URL without spaces")
    try:
        _http_url().validate_python(value)
    except ValueError:
        raise ValueError("must be an http:// or https:// URL") from None
    return value


# The Field constraints also go into the JSON Schema, so editors flag what check flags.
SINGLE_LINE = r"^[^\r\n]*$"
HTTP_URL = r"^[hH][tT][tT][pP][sS]?://[^\s]+$"

# Characters no entry text may hold (TOML lets a file write any of them as an escape,
# "\u001b"): C0 and C1 controls and DEL, which reach terminals, HTML and mail headers raw;
# the Unicode line and paragraph separators, which some readers (and Python's email
# package) take for line ends; and the bidirectional controls, which show text in another
# order than it is read (U+202E turns "exe.txt" into "txt.exe"); and the noncharacters,
# which no XML (a feed of the site) may hold. Tab and newline are allowed in multi-line
# text only; a one-line field or a link refuses them too.
TEXT_FORBIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
                            r"\u202a-\u202e\u2066-\u2069\ufdd0-\ufdef\ufffe\uffff]")
LINE_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
                            r"\u202a-\u202e\u2066-\u2069\ufdd0-\ufdef\ufffe\uffff]")
# The start of an RFC 2047 encoded word, '=?charset?q?' or '=?charset?b?': a one-line field
# can become a mail header, whose reader would decode it (to a line break and a Bcc:
# header, say) after every check here has passed.
ENCODED_WORD = re.compile(r"=\?[^?]*\?[bBqQ]\?")


def forbidden_character(char: str) -> str:
    """Why ``char`` (found by TEXT_FORBIDDEN or LINE_FORBIDDEN) is refused, naming its code
    point: the character itself is invisible, or worse, in the message."""
    code = f"U+{ord(char):04X}"
    if char in "\u061c\u200e\u200f" or "\u202a" <= char <= "\u202e" or "\u2066" <= char <= "\u2069":
        return f"contains the bidirectional control character {code}; remove it"
    if char in "\u2028\u2029":
        return f"contains the line separator {code}; remove it"
    if "\ufdd0" <= char <= "\ufdef" or char in "\ufffe\uffff":
        # Unicode keeps them for a program's own use: XML (a feed) cannot hold them.
        return f"contains the noncharacter {code}; remove it"
    return f"contains the control character {code}; remove it"


# A character reference, as HTML and CommonMark read one: '&#x202E;', '&#8238;', '&rlm;'.
_REFERENCE = re.compile(r"&(?:#[xX][0-9a-fA-F]{1,8}|#[0-9]{1,8}|[A-Za-z][A-Za-z0-9]{1,31});")


def _no_forbidden_references(value: str, forbidden: re.Pattern[str]) -> None:
    """Refuse a reference that a Markdown or HTML reader decodes to a character ``forbidden``
    refuses written as itself: '&#x202E;' is U+202E once rendered (the page, the email, a
    terminal reading the text format), whatever the file holds."""
    import html

    for match in _REFERENCE.finditer(value):
        decoded = html.unescape(match.group())
        found = forbidden.search(decoded)
        if found:
            what = forbidden_character(found.group()).removeprefix("contains ")
            raise ValueError(f"contains '{match.group()}', a reference to "
                             f"{what.removesuffix('; remove it')}; remove it")


def _text(value: str) -> str:
    # One validator, not two, and no further call for text without a link: this runs for
    # every string of every entry.
    if not value.strip():
        raise ValueError("must not be empty")
    # A hostile link is named as such, even when a control character hides in it.
    if "]" in value or "<" in value:
        _safe_links(value)
    found = TEXT_FORBIDDEN.search(value)
    if found:
        raise ValueError(forbidden_character(found.group()))
    if "&" in value:
        _no_forbidden_references(value, TEXT_FORBIDDEN)
    return value


def _line(value: str) -> str:
    _text(value)
    if "\t" in value:  # line breaks are refused by the field's pattern already
        raise ValueError(forbidden_character("\t"))
    if "&" in value:  # '&#10;' would be a line break in a mail Subject: once decoded
        _no_forbidden_references(value, LINE_FORBIDDEN)
    if "=?" in value and ENCODED_WORD.search(value):
        raise ValueError("contains an RFC 2047 encoded word ('=?charset?q?...?='); write "
                         "the text itself, it is encoded where a mail needs it")
    return value


def _mail_addresses(value: str) -> str:
    from newsletter.entries.addresses import parse_addresses

    parse_addresses(value)  # its ValueError says what is wrong, after the field's name
    return value


Line = Annotated[str, Field(min_length=1, max_length=LINE_MAX, pattern=SINGLE_LINE),
                 AfterValidator(_line)]
"""One line of plain text: a title, a name, a label."""

MailAddresses = Annotated[Line, AfterValidator(_mail_addresses)]
"""A mail header's addresses: 'Name <editor@example.com>', comma-separated."""


def _language(value: str) -> str:
    from newsletter.entries.language import check_language

    return check_language(value)  # its ValueError says what to write, after the field's name


# For editors: the shape of a language tag, roughly (check also asks CLDR).
_LANGUAGE_SCHEMA = r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$"
LanguageTag = Annotated[Line, AfterValidator(_language),
                        Field(json_schema_extra={"pattern": _LANGUAGE_SCHEMA})]
"""A language tag CLDR has dates for: 'en', 'de', 'pt-BR', 'zh-Hant-TW' (see language.py)."""

Item = Annotated[str, Field(min_length=1, max_length=ITEM_MAX), AfterValidator(_text)]
"""One bullet: inline Markdown, often 'Lead term: explanation'."""

Prose = Annotated[str, Field(min_length=1, max_length=PROSE_MAX), AfterValidator(_text)]
"""Inline Markdown; a blank line separates paragraphs."""

Url = Annotated[str, Field(max_length=2_000, pattern=HTTP_URL), AfterValidator(_http_or_https)]


def _plain(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    found = TEXT_FORBIDDEN.search(value)
    if found:
        raise ValueError(forbidden_character(found.group()))
    return value


PlainText = Annotated[str, Field(min_length=1, max_length=ABSTRACT_MAX),
                      AfterValidator(_plain)]
"""Text as its source wrote it (an abstract): never rendered as Markdown, so '<', '*' and
'$x_1$' are kept as they are; no control characters."""

# arXiv ids as newsletter.entries.identity writes them ('2604.01234v2', 'hep-th/9901001v1'),
# and DOIs as newsletter.intake.doi keeps them (lower case): the JSON Schema carries both.
ARXIV_ID = (r"^(?:\d{4}\.\d{4,5}|[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7})(?:v[1-9]\d{0,2})?$")
DOI = r"^10\.\d{4,9}/[^\s\x00-\x1f\x7f-\x9f]{1,300}$"


def _arxiv_id(value: str) -> str:
    from newsletter.entries.identity import parse_arxiv

    found = parse_arxiv(value)
    if found is None or str(found) != value:
        raise ValueError("must be an arXiv id as arXiv writes it: '2604.01234v2', "
                         "'2604.01234' or 'hep-th/9901001'")
    return value


def _doi(value: str) -> str:
    if value != value.lower():
        raise ValueError(f"must be lower case ('{value.lower()[:60]}'): DOIs are "
                         "case-insensitive, and one spelling keeps duplicates findable")
    return value


# A bare e-mail address, as Crossref's polite pool asks for: it goes into a request's
# User-Agent header, so nothing a header could be split or extended with.
CONTACT = r"^[!#-'*+\-./0-9=?A-Z^_`a-z{|}~]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$"
ContactAddress = Annotated[str, Field(max_length=254, pattern=CONTACT)]

ArxivIdText = Annotated[str, Field(max_length=40, pattern=ARXIV_ID), AfterValidator(_arxiv_id)]
DoiText = Annotated[str, Field(max_length=320, pattern=DOI), AfterValidator(_doi)]

Score = Annotated[float, Field(ge=0, le=10, allow_inf_nan=False)]

# The paper fields 'newsletter draft' may write (what the editor writes about a paper; never
# what the paper says of itself, nor where it goes): what 'generated' may name.
DRAFTABLE = ("headline", "short_name", "problem", "solution", "results", "key_innovations",
             "how_it_works", "why_it_matters", "risks", "limitations", "deployment_notes",
             "watch_for", "use_cases", "pilot_if", "action_items", "summary", "key_findings",
             "applications", "overview", "body", "takeaways", "blurb", "score_proposed",
             "score_rationale")


def _draftable(value: str) -> str:
    if value not in DRAFTABLE:
        raise ValueError(f"'{value[:40]}' is not a field a model drafts; generated names "
                         "fields such as 'problem' or 'key_findings'")
    return value


DraftedField = Annotated[str, Field(json_schema_extra={"enum": list(DRAFTABLE)}),
                         AfterValidator(_draftable)]
PROMPT_HASH = r"^sha256:[0-9a-f]{64}$"
PromptHash = Annotated[str, Field(pattern=PROMPT_HASH)]


class _Entry(BaseModel):
    # defer_build: a command that only needs field names (styles, schema) does not pay for
    # building validators; the first validation builds them.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, defer_build=True)


class NestedBullet(_Entry):
    """A bullet with sub-bullets, one level deep: ``{ text = "...", points = ["..."] }``."""

    text: Item = Field(description="The bullet itself, e.g. 'Two deployment modes:'.")
    points: list[Item] = Field(min_length=1, description="Its sub-bullets.")


def _bullet_kind(value: object) -> str:
    return "table" if isinstance(value, dict | NestedBullet) else "text"


# A tagged union so that a bad bullet gets one error, not one per alternative.
Bullet = Annotated[
    Annotated[Item, Tag("text")] | Annotated[NestedBullet, Tag("table")],
    Discriminator(_bullet_kind),
]


class Placement(_Entry):
    """One more place for a paper in a sectioned issue: ``{ section = "...", group = "..." }``."""

    section: Line = Field(description="Section title; one of the issue's [[sections]].")
    group: Line | None = Field(None, description="Group label inside that section.")
    blurb: Prose | None = Field(
        None, description="What the paper brings to this section; defaults to its blurb.")


class GeneratedBy(_Entry):
    """Which model drafted a paper's generated fields, from which prompt."""

    model: Line = Field(description="The model's name as the endpoint knows it.")
    prompt: PromptHash = Field(description="sha256 of the prompt it was sent: "
                               "'sha256:<64 hex digits>'.")


class Paper(_Entry):
    """One paper: every field any house style may use. Each style requires a subset."""

    title: Line = Field(description="The paper's full title, as published.")
    url: Url | None = Field(None, description="Link to the paper (http or https).")
    short_name: Line | None = Field(
        None, description="The method's short name, e.g. 'IndexCache'.")
    headline: Line | None = Field(
        None, description="Editorial headline: what the paper means for the reader.")

    # What the paper says of itself: filled by 'add-paper --arxiv/--doi' and 'import' from
    # the metadata kept under sources/; kept as fetched, never rendered as Markdown.
    authors: list[Line] = Field(
        default_factory=list, max_length=1000, description="The paper's authors, in order.")
    abstract: PlainText | None = Field(
        None, description="The paper's abstract, as published (plain text).")
    published: dt.date | None = Field(
        None, description="When the paper was first published, a TOML date: 2026-04-02.")
    arxiv_id: ArxivIdText | None = Field(
        None, description="arXiv identifier with the version read: '2604.01234v2'.")
    doi: DoiText | None = Field(
        None, description="DOI, lower case: '10.1145/3712345.3712346'.")

    # briefing / cto-briefing
    problem: Prose | None = Field(None, description="The problem the paper attacks.")
    solution: Prose | None = Field(
        None, description="What the paper does; names the paper. May end with a lead-in "
        "such as 'Key innovations:' for the bullets that follow.")
    key_innovations: list[Bullet] = Field(
        default_factory=list, description="Bullets after the solution: 'Lead term: explanation'.")
    how_it_works: list[Bullet] = Field(
        default_factory=list, description="Optional 'How it works:' bullets.")
    results: Prose | None = Field(None, description="Headline results, with figures.")
    why_it_matters: list[Bullet] = Field(
        default_factory=list, description="Why it matters: 'Lead term: explanation' bullets.")
    risks: list[Item] = Field(default_factory=list, description="Risks and caveats.")
    limitations: list[Item] = Field(default_factory=list, description="Known limitations.")
    deployment_notes: list[Item] = Field(
        default_factory=list, description="What deploying it really takes.")
    watch_for: list[Item] = Field(default_factory=list, description="What to watch for next.")
    use_cases: list[Item] = Field(default_factory=list, description="Concrete use cases.")
    pilot_if: list[Item] = Field(default_factory=list, description="When to pilot it.")
    action_items: list[Item] = Field(default_factory=list, description="What to do now.")

    # weekly
    score: Score | None = Field(None, description="Editorial score from 0 to 10.")
    hidden_gem: bool = Field(
        False, description="Listed in the separate HIDDEN GEM tier after the ranking.")
    summary: Prose | None = Field(None, description="A summary paragraph.")
    key_findings: list[Item] = Field(default_factory=list, description="Key findings.")
    applications: list[Item] = Field(default_factory=list, description="Practical applications.")

    # digest
    featured: bool = Field(
        True, description="Featured story (true) or a short 'Also Worth Noting' item (false).")
    overview: Prose | None = Field(
        None, description="Two or three sentences for the issue's overview list.")
    body: list[Prose] = Field(default_factory=list, description="Body paragraphs of the story.")
    takeaways: list[Item] = Field(default_factory=list, description="Key takeaways.")

    # pulse (and digest's short items)
    blurb: Prose | None = Field(
        None, description="One or two sentences on the contribution, for roundups.")
    section: Line | None = Field(
        None, description="Thematic section title; must be one of the issue's [[sections]].")
    group: Line | None = Field(None, description="Group label inside the section.")
    also_in: list[Placement] = Field(
        default_factory=list,
        description="Further sections (and groups) that list the paper too, after its own "
        "section/group: also_in = [{ section = \"...\", group = \"...\" }], optionally "
        "with a blurb of its own there. The paper is still one source.")

    # The editor's own material, and what a model drafted from it ('newsletter draft').
    notes: PlainText | None = Field(
        None, description="The editor's own notes on the paper (plain text, never rendered): "
        "what 'newsletter draft' reads besides the abstract, and where ungrounded-number "
        "looks for figures.")
    generated: list[DraftedField] = Field(
        default_factory=list, max_length=len(DRAFTABLE),
        description="Fields a model wrote that no editor has reviewed yet: check warns of "
        "each in a draft and refuses them once the issue is published. Remove a name once "
        "you have read (and corrected) its text, or run 'newsletter review'.")
    generated_by: GeneratedBy | None = Field(
        None, description="The model that drafted the fields in generated, and a hash of "
        "the prompt it was given.")
    score_proposed: Score | None = Field(
        None, description="A score from 0 to 10 a model proposed; the editor decides score.")
    score_rationale: Line | None = Field(
        None, description="The one-line reason given for score_proposed.")

    def placements(self) -> list[Placement]:
        """Every (section, group) the paper is listed under, its own first, each once."""
        found = [Placement(section=self.section, group=self.group)] if self.section else []
        for place in self.also_in:
            if all((place.section, place.group) != (f.section, f.group) for f in found):
                found.append(place)
        return found


class Section(_Entry):
    """A thematic section of a roundup issue, in the order the issue lists them."""

    title: Line = Field(description="Section title.")
    intro: Prose | None = Field(None, description="Intro sentence under the title.")


class Issue(_Entry):
    """One issue's own text: masthead fields and the issue-level paragraphs."""

    style: Line | None = Field(
        None, description="House style; defaults to the publication's style.")
    number: int = Field(ge=1, description="Issue number.")
    date: dt.date = Field(description="Publication date, a TOML date: 2026-04-19.")
    title: Line | None = Field(None, description="The issue's headline.")
    status: Literal["draft", "published"] = Field(
        "draft", description="Whether readers have received it.")
    category: Line | None = Field(
        None, description="Category line; overrides the publication's.")
    lede: Prose | None = Field(None, description="Opening paragraph(s) for the whole issue.")
    takeaways: list[Item] = Field(
        default_factory=list, description="Executive takeaways, one per paper.")
    observation: Prose | None = Field(
        None, description="Closing essay that ties the papers together.")
    outlook: Prose | None = Field(None, description="Current status and future outlook.")
    closing: Prose | None = Field(
        None, description="Closing paragraph(s), with a call to action.")
    updated: dt.date | None = Field(None, description="'Updated' date in the footer.")
    sections: list[Section] = Field(
        default_factory=list, description="Thematic sections, in order.")


RuleLevel = Literal["error", "warning", "off"]


def _budget_key(key: str) -> str:
    field, _, unit = key.rpartition("_")
    if unit not in ("words", "sentences") or field not in Paper.model_fields:
        raise ValueError("must be a paper field followed by _words or _sentences, "
                         "e.g. summary_words")
    return key


def _count_field(key: str) -> str:
    if key not in Paper.model_fields:
        raise ValueError("must name a paper field that holds a list, e.g. key_findings")
    return key


def _count_range(value: list[int]) -> list[int]:
    if value[0] > value[1]:
        raise ValueError("must be [fewest, most] with fewest <= most")
    return value


# A style's spec (style.toml) and a publication's [check] set budgets and counts alike.
BudgetKey = Annotated[str, AfterValidator(_budget_key)]
Budget = Annotated[int, Field(ge=1)]
CountKey = Annotated[str, AfterValidator(_count_field)]
CountRange = Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=2, max_length=2),
                       AfterValidator(_count_range)]


class DraftConfig(_Entry):
    """``[draft]`` in newsletter.toml: the model 'newsletter draft' asks. Never a key: that
    comes from NEWSLETTER_DRAFT_API_KEY (else OPENAI_API_KEY) alone."""

    endpoint: Url = Field(
        "https://api.openai.com/v1", description="An OpenAI-compatible API's base URL: "
        "OpenAI's, or a local server's (Ollama: http://127.0.0.1:11434/v1, llama.cpp and "
        "vLLM: http://127.0.0.1:8000/v1, LM Studio: http://127.0.0.1:1234/v1).")
    model: Line | None = Field(None, description="The model to ask, as the endpoint names "
                               "it: 'gpt-4o-mini', 'llama3.1:8b' ...; --model overrides it.")
    temperature: Annotated[float, Field(ge=0, le=2, allow_inf_nan=False)] = Field(
        0.2, description="Sampling temperature: low keeps the draft close to the abstract.")
    concurrency: Annotated[int, Field(ge=1, le=16)] = Field(
        4, description="Papers asked about at once.")
    timeout: Annotated[float, Field(gt=0, le=600, allow_inf_nan=False)] = Field(
        120, description="Seconds to wait for one answer.")
    attempts: Annotated[int, Field(ge=1, le=5)] = Field(
        3, description="Answers asked for per paper before one that fails validation is "
        "reported.")
    response_format: Literal["json_schema", "json_object"] = Field(
        "json_schema", description="How JSON is asked for: a JSON schema (OpenAI, Ollama, "
        "vLLM, llama.cpp, LM Studio), or JSON mode for a server without schemas.")


class CheckConfig(_Entry):
    """``[check]`` in newsletter.toml: how strict the editorial lint is."""

    rules: dict[str, RuleLevel] = Field(
        default_factory=dict,
        description="Severity per lint rule id: error, warning or off "
        "(see 'newsletter check --list-rules').")
    budgets: dict[BudgetKey, Budget] = Field(
        default_factory=dict,
        description="Override a style's length budgets, e.g. summary_words = 150, "
        "overview_sentences = 3.")
    counts: dict[CountKey, CountRange] = Field(
        default_factory=dict,
        description="Override a style's item counts, e.g. key_findings = [4, 5].")


# A List-Unsubscribe target must fit, between its <>, on one header line of 998 octets.
UNSUBSCRIBE_MAX = 900
# For editors: what newsletter/entries/mailinglist.py accepts, roughly (it says why not).
_UNSUBSCRIBE_SCHEMA = r"^([hH][tT][tT][pP][sS]://|[mM][aA][iI][lL][tT][oO]:)[!#-;=?-Z_a-z~\[\]]+$"


def _unsubscribe(value: str | list[str]) -> str | list[str]:
    from newsletter.entries.mailinglist import unsubscribe_targets

    unsubscribe_targets(value)  # its ValueError says what is wrong, after the field's name
    return value


def _list_id(value: str) -> str:
    from newsletter.entries.mailinglist import parse_list_id

    parse_list_id(value)
    return value


def _target_kind(value: object) -> str:
    return "list" if isinstance(value, list | tuple) else "text"


UnsubscribeTarget = Annotated[str, Field(
    min_length=1, max_length=UNSUBSCRIBE_MAX, pattern=SINGLE_LINE,
    json_schema_extra={"pattern": _UNSUBSCRIBE_SCHEMA})]
# One target, or a list of two (an https URL and a mailto: address); tagged, so that a
# wrong value gets one error rather than one per alternative.
Unsubscribe = Annotated[
    Annotated[UnsubscribeTarget, Tag("text")]
    | Annotated[list[UnsubscribeTarget], Field(min_length=1, max_length=2), Tag("list")],
    Discriminator(_target_kind), AfterValidator(_unsubscribe)]

ListIdText = Annotated[Line, AfterValidator(_list_id)]
"""A List-Id header: 'Name <list-label.example.com>' (RFC 2919)."""

# A host name or an IP address as 'newsletter send' connects to it: nothing a command line,
# a URL or an SMTP greeting could read as more than one host.
_HOST_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
SMTP_HOST = rf"^(?:{_HOST_LABEL}(?:\.{_HOST_LABEL})*|\[?[0-9A-Fa-f]*:[0-9A-Fa-f:.]*\]?)$"


def _smtp_host(value: str) -> str:
    if not re.fullmatch(SMTP_HOST, value):
        raise ValueError("must be a host name or an IP address, like 'smtp.example.com' "
                         "(the port goes in 'port')")
    return value


class SmtpConfig(_Entry):
    """``[smtp]`` in newsletter.toml: the server 'newsletter send' hands mail to. Never a
    password: that comes from the environment (NEWSLETTER_SMTP_PASSWORD) alone."""

    host: Annotated[str, Field(max_length=253, json_schema_extra={"pattern": SMTP_HOST}),
                    AfterValidator(_smtp_host)] | None = Field(
        None, description="The SMTP server's host name or IP address, e.g. 'smtp.example.com'.")
    port: Annotated[int, Field(ge=1, le=65535)] | None = Field(
        None, description="Its port (default: 587 with starttls, 465 with ssl, 25 with none).")
    security: Literal["starttls", "ssl", "none"] | None = Field(
        None, description="How the connection is encrypted: starttls (the default), ssl "
        "(TLS from the first byte, port 465) or none (no encryption: then a user name and "
        "password are sent only to a server on this machine).")
    user: Annotated[Line, Field(max_length=254)] | None = Field(
        None, description="The user name to log in with (AUTH); the password is read from "
        "NEWSLETTER_SMTP_PASSWORD, never from a file.")
    rate: Annotated[int, Field(ge=1, le=100_000)] | None = Field(
        None, description="At most this many messages a minute (the server's or the "
        "provider's limit).")


def _relative_folder(value: str) -> str:
    # Resolved against newsletter.toml's folder; 'newsletter site' also keeps it inside the
    # repository (a pull request must not publish files from elsewhere on the machine).
    if value.startswith(("/", "\\", "~")) or (len(value) > 1 and value[1] == ":"):
        raise ValueError("must be a folder relative to newsletter.toml, e.g. '../examples'")
    return value


class SiteConfig(_Entry):
    """``[site]`` in newsletter.toml: what 'newsletter site' builds besides the issues
    under the publication's own folder."""

    include: list[Annotated[Line, AfterValidator(_relative_folder)]] = Field(
        default_factory=list, max_length=100,
        description="Further folders of issues the site's archive holds, relative to "
        "newsletter.toml and inside the repository: include = [\"../examples\"]. Each issue "
        "keeps its own nearest newsletter.toml; the site takes its name and url from this one.")


class Publication(_Entry):
    """Publication-level defaults, from the nearest ``newsletter.toml``."""

    # Editors are told a name is needed (the schema's "required"), though a draft's check
    # only warns until the issue is published.
    model_config = ConfigDict(json_schema_extra={"required": ["name"]})

    # Optional here, so a draft may be written before it is chosen; check requires it of
    # every issue (a warning in a draft, an error once published).
    name: Line | None = Field(None, description="Publication name.")
    tagline: Line | None = Field(None, description="One-line tagline under the name.")
    category: Line | None = Field(None, description="Category line in the masthead.")
    url: Url | None = Field(None, description="The publication's home page.")
    archive_url: Url | None = Field(None, description="Target of the 'Back to archive' link.")
    style: Line | None = Field(None, description="Default house style for its issues.")
    contact: ContactAddress | None = Field(
        None, description="The editors' e-mail address, sent with metadata requests to "
        "Crossref (its 'polite pool'): editor@example.com.")
    language: LanguageTag = Field(
        "en", description="Language tag of the text, e.g. 'en', 'de' or 'pt-BR': the page's "
        "lang, the email's Content-Language, and the language its dates are written in.")
    email_from: MailAddresses | None = Field(
        None, description="From header of the email format, e.g. 'Editor <ed@example.com>'.")
    email_to: MailAddresses | None = Field(
        None, description="To header of the email format (a list address).")
    unsubscribe_url: Unsubscribe | None = Field(
        None, description="How a reader leaves the list: the email's List-Unsubscribe "
        "header and the unsubscribe line of its footer. An https:// URL that unsubscribes "
        "on a POST (one-click, RFC 8058), a mailto: address, or a list of both.")
    list_id: ListIdText | None = Field(
        None, description="List-Id header of the email (RFC 2919): 'Name <label.example.com>' "
        "or '<label.example.com>', the list's label and a domain you control.")
    closing_title: Line | None = Field(
        None, description="Title of the publisher's closing block, e.g. 'How We Can Help'.")
    closing: Prose | None = Field(
        None, description="The publisher's standing closing text, after the issue's own.")
    check: CheckConfig = Field(
        default_factory=CheckConfig, description="Editorial lint settings.")
    draft: DraftConfig = Field(
        default_factory=DraftConfig, description="The model 'newsletter draft' asks.")
    smtp: SmtpConfig = Field(
        default_factory=SmtpConfig, description="The SMTP server 'newsletter send' uses; "
        "its flags override these.")
    site: SiteConfig = Field(
        default_factory=SiteConfig, description="What 'newsletter site' builds.")


MODELS: dict[str, type[_Entry]] = {"paper": Paper, "issue": Issue, "publication": Publication}
