"""Every rule ``check`` applies: a stable id, its default severity, and why it exists.

Ids are part of the interface (CI annotations, SARIF dashboards, ``[check.rules]`` in
newsletter.toml refer to them), so they never change meaning once released.

Each rule also says, at more length, what it checks and how to fix what it finds: that is
the help a reviewer reads beside a SARIF alert on a pull request, so it is written for
someone who has the file open and has not read the README.
"""

from __future__ import annotations

from dataclasses import dataclass

from newsletter.entries.problems import Severity


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    severity: Severity
    summary: str
    description: str  # what the rule checks, and why, in a few sentences
    fix: str  # what to do about a problem it reports
    configurable: bool = False  # lint rules can be raised to errors or turned off
    kind: str = "file"  # what it judges (file, value, style, publication, editorial): a tag
    pascal_name: str | None = None  # for an id of one word, which PascalCase would only echo

    @property
    def name(self) -> str:
        """The "friendly name" SARIF viewers show: the id in PascalCase (``covered-before``
        → ``CoveredBefore``), never the id itself in other letters."""
        return self.pascal_name or "".join(part.capitalize() for part in self.id.split("-"))

    @property
    def anchor(self) -> str:
        """The id of the rule's anchor in README.md."""
        return f"rule-{self.id}"


_E, _W = Severity.ERROR, Severity.WARNING

RULES: dict[str, Rule] = {rule.id: rule for rule in (
    # The files themselves: always errors, the entry cannot be used as it is.
    Rule("toml-syntax", _E, "The file is not valid TOML, so nothing in it can be read.",
         "The file does not parse as TOML 1.0, the grammar Python's tomllib reads, so none "
         "of its values can be checked until it does. The position is where the parser gave "
         "up, which can be just after the real mistake: a string whose closing quote is "
         "missing, a key without `=`, typographic quotes (“…”) pasted from a document, an "
         "array or inline table left open. Syntax only TOML 1.1 allows, and nesting deeper "
         "than 100 levels of arrays, tables and dotted keys, are refused too.",
         "Look at the line shown and the one before it. Text goes in straight double quotes "
         "(`title = \"...\"`), every string, array and inline table is closed, and each "
         "line holds one `key = value`."),
    Rule("encoding", _E, "Entries are UTF-8 text; other bytes would be garbled.",
         "The file holds bytes that are not UTF-8, or a NUL byte; the position is that of "
         "the first one. Read as another encoding the text would come out garbled, and a "
         "NUL byte usually means a binary file (a PDF, an image) saved under a `.toml` name. "
         "A UTF-8 byte-order mark and CRLF line ends are fine.",
         "Save the file as UTF-8 (most editors offer it under 'Save with Encoding'). If it "
         "is a binary file, move it out of the issue's folder.", pascal_name="NotUtf8"),
    Rule("file-unreadable", _E, "The path is a directory, a broken link or unreadable.",
         "An entry's path cannot be read as a file: it is a directory, a symbolic link whose "
         "target does not exist, a FIFO or device rather than a regular file, missing, or "
         "refused by the file system (permissions).",
         "Replace it with a regular TOML file, point the link at a file that exists, make "
         "the file readable, or remove it."),
    Rule("outside-publication", _E,
         "A link that leads out of the publication: its target is not read.",
         "An entry, a `papers/` folder or an issue folder is a symbolic link whose target lies "
         "outside the publication's folder. It is not followed: a link to a file elsewhere "
         "on the machine (a home folder, another repository) would otherwise put that file's "
         "contents into the check's messages and the rendered issue. The target is not named "
         "either, since messages can become public CI annotations.",
         "Copy the file into the publication instead of linking to it, or make the link "
         "point at a file inside the publication."),
    Rule("file-too-large", _E, "Over 1 MB, 1,000 list items or 10,000 Markdown markup "
         "characters is not an entry (a pasted PDF or log, or text made to stall rendering).",
         "An entry file is refused when it is larger than 1 MB, when its lists hold more than "
         "1,000 items in all, or when its text holds more than 10,000 Markdown markup "
         "characters (backslash, backtick and `* _ [ ] < > ! & ~`) in all. A real paper "
         "holds tens of items and a few hundred markup characters; a file past these caps "
         "is usually a pasted document or log, or text made to make rendering slow. The "
         "problem points at the value that crossed the cap.",
         "Split the file into several papers, or cut what was pasted into it by mistake."),
    Rule("wrong-type", _E, "Values are never coerced: a quoted number is a mistake.",
         "A value has the wrong TOML type: text where a number, a date, true or false, a "
         "list or a table is expected, or the other way round. Values are never converted, "
         "so `score = \"8\"` is text, not the number 8; a date with a time of day is not a "
         "date, and nan and inf are not accepted as numbers.",
         "Write the value as the type the message names: numbers, dates and true/false "
         "without quotes (`score = 8.2`, `date = 2026-04-19`, `hidden_gem = true`), text "
         "in quotes, lists in brackets (`[\"first\", \"second\"]`).", kind="value"),
    Rule("unknown-key", _E, "A key the model does not have is usually a typo.",
         "The file, or a table in it, has a key that files of its kind do not have. It is "
         "an error rather than ignored because it is nearly always a typo (`sumary` for "
         "`summary`), and a misspelled key leaves the field it meant empty without a word. The "
         "message suggests the closest key there is.",
         "Correct the key's spelling (to the suggestion, usually) or remove it. `newsletter "
         "schema paper` (or `issue`, `publication`) lists every key a file may have.",
         kind="value"),
    Rule("missing-key", _E, "A key every file of its kind needs is missing.",
         "A key that every file of its kind must have is missing: a paper's `title`, an "
         "issue's `number` and `date`, or a required key of a table in the file (the `title` of a "
         "`[[sections]]` entry, for instance). The problem points at the table's header, or "
         "at the top of the file for a top-level key.",
         "Add the key with its value. What a house style needs on top of these is reported "
         "as `style-requires` (or `incomplete` in a draft).", kind="value"),
    Rule("invalid-value", _E, "A value breaks its field's rule (empty, unsafe link ...).",
         "A value of the right type breaks its field's rule, for instance: empty text; a `url` "
         "that is not an http:// or https:// address; a Markdown link to anything but "
         "http://, https:// or mailto:, or an image, in the text; a line break or tab in a "
         "one-line field; a control or bidirectional-control character (it could hide text "
         "or show it in another order than it is read); an RFC 2047 encoded word "
         "(`=?utf-8?q?...?=`) in a one-line field, which a mail reader would decode into a "
         "header; a mail address that does not parse; a value not among those allowed "
         "(`status` is `\"draft\"` or `\"published\"`); under `[check.rules]`, a rule "
         "that does not exist or cannot be configured.",
         "Do what the message says of the field: link with `https://`, write one-line fields "
         "on one line, remove the invisible character whose code point the message names, or "
         "pick one of the values it lists.", kind="value"),
    Rule("out-of-range", _E, "A number outside its range, such as a score above 10.",
         "A number lies outside its field's range: a `score` below 0 or above 10, an "
         "issue `number` below 1, a budget under `[check.budgets]` below 1.",
         "Use a number within the range the message gives.", kind="value"),
    Rule("too-long", _E, "Text over its field's cap would not fit any style.",
         "A text is longer than its field's cap (hundreds of characters for a one-line "
         "field such as a title, thousands for a paragraph), or a list has more items than "
         "its field takes. The caps leave room for any real entry and keep a pasted "
         "document out of every layout.",
         "Shorten the text to the length the message gives, or split it (a long paragraph "
         "into several list items, where the field is a list).", kind="value"),
    Rule("style-requires", _E, "The issue's house style shows this field; it is empty.",
         "The issue is published (`status = \"published\"`) and a field its house style shows "
         "is missing or empty: in newsletter.toml (the publication's `name`, and what the "
         "style's masthead shows), in issue.toml (a `lede`, `takeaways` ...) or in a paper (a "
         "`score` in weekly, `why_it_matters` in the briefings ...). `render` refuses the issue "
         "until it is filled in.",
         "Fill in the field the message names; `newsletter styles` lists what each style "
         "needs. While the issue is still being written, `status = \"draft\"` makes each "
         "such lack an `incomplete` warning instead.", kind="style"),
    Rule("incomplete", _W,
         "A draft still lacks what its style needs; an error once it is published.",
         "The issue is a draft (`status = \"draft\"`, as `new-issue` writes it) and a field its "
         "house style needs is missing or still empty, or a paper names a section while "
         "issue.toml has no `[[sections]]` yet. A draft may be unfinished, so this is a "
         "warning and the check passes; once the issue is published, each one is a "
         "`style-requires` error. `render` shows the draft without what is missing, under a "
         "Draft banner.",
         "Nothing, while the draft is being written. Before setting `status = \"published\"`, "
         "write what the message names.", kind="style", pascal_name="IncompleteDraft"),
    Rule("unreviewed", _W,
         "A model wrote this text and no editor has reviewed it; an error once published.",
         "The paper's `generated` list names this field: `newsletter draft` wrote it from the "
         "paper's abstract and notes, and nobody has marked it read since. A model can "
         "state a figure the paper never gives, or miss its point, so in a draft each such "
         "field is a warning (and the preview marks its text), and once the issue is "
         "published (`status = \"published\"`) an error: `render` refuses the issue, so "
         "unreviewed text never reaches readers.",
         "Read the text against the paper, correct it, then remove the field's name from "
         "`generated` in the paper file (remove `generated` and `generated_by` once it is "
         "empty), or run `newsletter review ISSUE`, which shows each generated field beside "
         "the abstract and marks what you accept.", kind="style",
         pascal_name="UnreviewedGeneratedText"),
    Rule("unknown-style", _E, "The style named does not exist.",
         "The style named by `style = \"...\"` in issue.toml (or, for every issue, in "
         "newsletter.toml) is neither a built-in house style nor one in the publication's "
         "own `templates/` folder, or cannot be loaded; or no style is named at all.",
         "Name one of the styles `newsletter styles` lists (`style = \"weekly\"`), in "
         "issue.toml or newsletter.toml.", kind="style"),
    Rule("unknown-section", _E, "A paper names a section the issue does not declare.",
         "A paper's `section`, or a `section` under its `also_in`, is not the title of one "
         "of the issue's `[[sections]]`, or the published issue declares no sections at "
         "all. Styles that group papers (pulse) would have nowhere to put it.",
         "Use one of the section titles the message lists, spelled exactly as in issue.toml, "
         "or add a `[[sections]]` entry with that `title` to issue.toml.", kind="style"),
    Rule("duplicate-paper", _E, "Two papers of one issue are the same paper.",
         "Two papers of one issue are the same paper: their titles read the same (after "
         "Unicode NFKC normalisation, case folding and dropping zero-width characters), or "
         "their links lead to the same work (one arXiv id in any of its URL forms and "
         "versions, huggingface.co/papers and alphaxiv.org links included; one DOI; else "
         "one URL). The message names the other file.",
         "Remove one of the two files, or, if they are really different papers, correct "
         "the title or link that is wrong.", kind="publication"),
    Rule("duplicate-number", _E, "Two issues of one publication have the same number.",
         "Two issues of one publication (the issues that share a newsletter.toml) have the "
         "same `number`. Numbers order the issues, for readers and for the `date-order` and "
         "`covered-before` rules.",
         "Give one of the two issues the number it should have.", kind="publication"),
    Rule("template-error", _E,
         "A template of the publication's own templates/ fails to render (or is refused "
         "by the sandbox): render would fail too.",
         "The issue's style, or the `_base` pieces it uses, come from the publication's own "
         "`templates/` folder, and rendering the issue with them fails, or the sandbox that "
         "templates run in refuses what one does. `check` renders each such issue in every "
         "format of its style, so the failure shows on the pull request rather than when the "
         "editor renders; the problem points at the template's line. Issues that use only "
         "the built-in templates are not rendered by `check`.",
         "Fix the template at the line shown; the message names the error and the formats "
         "it failed in. `newsletter render ISSUE --format FORMAT` shows the same error.",
         kind="style"),
    Rule("published-changed", _E,
         "A published issue changed since --base: readers already have it.",
         "With `check --base REF` (the generated workflow passes the pull request's target "
         "branch): a file of an issue that was already published at REF was changed, added, "
         "deleted, or turned into or from a link, or the issue's folder became a link. "
         "Readers already received that issue, and the repository should keep what they "
         "got. The issues judged are those published at REF, read from REF itself, so "
         "renaming an issue or setting it back to draft does not escape the check.",
         "Revert the change to the published issue (`git checkout REF -- PATH`) and make "
         "the "
         "correction in a new issue.", kind="publication"),
    # Editorial lint: warnings unless newsletter.toml's [check.rules] says otherwise.
    Rule("covered-before", _W, "The paper was already covered in an earlier issue.",
         "The paper was already covered in an issue with a lower number of the same "
         "publication: the same paper as `duplicate-paper` judges it, by title or by link. The "
         "message names the earlier issue's file.",
         "Drop the paper from this issue, or keep it if covering it again is deliberate "
         "(a follow-up).", configurable=True, kind="editorial"),
    Rule("ungrounded-number", _W,
         "A figure that neither the paper's abstract nor the editor's notes state.",
         "A number with its unit or sign in a paper's text (`75%`, `1.82×`, `10.57x`, "
         "`1/55th`, `30B`, `500K`, `+0.6 points`, `~70,000 steps`, `$2M`) is not found in "
         "the paper's `abstract` or `notes`. The obvious equivalents count as found: `1.82x` "
         "and `1.82×`, `75 %` and `75%`, `70,000` and `70000`, `30B` and `30 billion`, and "
         "the bare number (`0.6` grounds `+0.6 points`). A paper with neither an abstract "
         "nor notes is not judged: there is nothing to trace its figures to. A figure a "
         "model invented reads as confidently as a true one; this is how it is caught.",
         "Check the figure against the paper. If the paper gives it elsewhere (a table, the "
         "body), add the sentence that states it to the paper's `notes`; if it is your own "
         "arithmetic, say so in `notes` too (`75% = 1 - 1/4`); if it is wrong, correct it.",
         configurable=True, kind="editorial"),
    Rule("placeholder-text", _W, "TODO, TBD or lorem ipsum left in the text.",
         "A text of the issue, a paper or newsletter.toml still holds a placeholder: `TODO`, "
         "`TBD`, `FIXME` or `XXX`, or `lorem ipsum`, as a whole word in any letter case.",
         "Write the text the placeholder stands for, or remove the marker.",
         configurable=True, kind="editorial"),
    Rule("over-budget", _W, "Longer than the style's budget for this field.",
         "A paper's field has more words or sentences than its house style budgets for it "
         "(weekly: a summary of at most 150 words; digest: an overview of at most 3 "
         "sentences). Over budget, the text crowds the layout the style was designed for.",
         "Shorten the text, or change the budget for the publication in newsletter.toml: "
         "`summary_words = 180` under `[check.budgets]` (`<field>_words` or "
         "`<field>_sentences`).",
         configurable=True, kind="editorial"),
    Rule("item-count", _W, "More or fewer items than the style shows.",
         "A paper's list has more or fewer items than its house style shows (weekly: 4 to 5 "
         "key findings and 3 applications). An empty list is not counted here: where the "
         "style needs the list, that is a `style-requires` or `incomplete` problem.",
         "Add or remove items, or change the range for the publication in newsletter.toml: "
         "`key_findings = [3, 5]` (fewest, most) under `[check.counts]`.",
         configurable=True, kind="editorial"),
    Rule("date-order", _W, "A date in the future, or out of order with the numbering.",
         "An issue's date is in the future, or is earlier than the date of the issue "
         "numbered before it. The future is judged on every run, never from the cache: the "
         "same date is fine once its day comes.",
         "Correct the date (a TOML date: `date = 2026-04-19`), or the numbers if it is the "
         "issues that are out of order. An issue prepared ahead of its date keeps this "
         "warning until the day.", configurable=True, kind="editorial"),
    Rule("insecure-link", _W, "A link that is not https.",
         "A text or link of an entry holds an `http://` address. Readers who follow it can "
         "have the page read or replaced on the way, and browsers and mail clients warn "
         "about such links. The message shows the link without any `user:password@` in it.",
         "Use the `https://` address; nearly every site has one (arXiv does).",
         configurable=True, kind="editorial"),
    Rule("gem-without-score", _W, "A hidden gem is ranked by its score; it has none.",
         "A paper is marked `hidden_gem = true` but has no `score`. Hidden gems are listed as a "
         "tier of their own, ordered by score, so an unscored gem has no place in it.",
         "Add a `score` from 0 to 10, or remove `hidden_gem`.",
         configurable=True, kind="editorial"),
)}


def rule_table() -> str:
    """The rules as aligned text, for ``newsletter check --list-rules``."""
    width = max(len(rule_id) for rule_id in RULES)
    lines = []
    for rule in RULES.values():
        note = " (configurable)" if rule.configurable else ""
        lines.append(f"{rule.id:<{width}}  {rule.severity.value:<7}  {rule.summary}{note}")
    return "\n".join(lines)
