"""The metadata of every paper wanted: from the publication's ``sources/`` first, then the
network, and kept there for next time.

All the arXiv ids that miss the cache go to arXiv in one request (``ArxivClient`` batches
and spaces them); DOIs go to Crossref (or doi.org) one by one, since neither takes a list. A
.bib entry with nothing to fetch is taken as written. Each fetched answer is stored in
``sources/`` at once, even if another paper of the same import then fails: it is a whole,
valid file, and the rerun after the fix need not ask again.

``offline`` (``--offline``, or ``NEWSLETTER_OFFLINE=1``) forbids the network: a paper not in
the cache is a failure that says so. ``refresh`` asks again for what is cached.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from newsletter.errors import NewsletterError
from newsletter.intake import sources
from newsletter.intake.sources import Metadata
from newsletter.intake.wanted import Wanted

if TYPE_CHECKING:
    from newsletter.intake.arxiv import ArxivClient
    from newsletter.intake.sources import Record

OFFLINE_VARIABLE = "NEWSLETTER_OFFLINE"
Origin = Literal["cache", "fetched", "written"]


def offline_from_environment() -> bool:
    """``NEWSLETTER_OFFLINE`` set to anything but empty or ``0``."""
    return os.environ.get(OFFLINE_VARIABLE, "").strip() not in ("", "0")


@dataclass(frozen=True)
class Found:
    """A wanted paper's metadata, and where it came from."""

    wanted: Wanted
    metadata: Metadata
    origin: Origin


@dataclass
class Gathered:
    """What an import found, in the order asked, and a one-line message per failure."""

    found: list[Found] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    requests: int = 0  # answers asked of a server, for the summary (and the benchmark)


def _offline_miss(kind: str, key: str, one: Wanted) -> str:
    named = f"arXiv {key}" if kind == "arxiv" else f"doi:{key}"
    return _with_source(f"{named}: not in {sources.SOURCES}/{kind}/ and the network is off "
                        f"(--offline or {OFFLINE_VARIABLE}); import it once with the "
                        "network on", one)


def gather(root: Path, wanted: list[Wanted], *, refresh: bool = False,
           offline: bool = False, contact: str | None = None,
           arxiv: ArxivClient | None = None,
           fetch_doi: Callable[..., Record] | None = None,
           advance: Callable[[int], None] | None = None) -> Gathered:
    """The metadata of each of ``wanted``, for the publication at ``root``.

    ``arxiv`` and ``fetch_doi`` are the clients to ask (defaults: arXiv's export API and
    Crossref/doi.org, at the endpoints the environment names); ``advance`` is told how many
    papers were settled, for a progress bar."""
    step = advance or (lambda count: None)
    result = Gathered()
    settled: dict[int, Found] = {}
    arxiv_misses: dict[str, list[int]] = {}
    doi_misses: dict[str, list[int]] = {}

    for index, one in enumerate(wanted):
        try:
            if one.arxiv is not None:
                record = None if refresh else sources.lookup(root, "arxiv", str(one.arxiv))
                if record is None:
                    arxiv_misses.setdefault(str(one.arxiv), []).append(index)
                    continue
            elif one.doi is not None:
                record = None if refresh else sources.lookup(root, "doi", one.doi)
                if record is None:
                    doi_misses.setdefault(one.doi, []).append(index)
                    continue
            elif one.written is not None:
                settled[index] = Found(one, one.written, "written")
                step(1)
                continue
            else:  # a .bib entry is refused by its reader before it gets here
                result.failures.append(f"{one.source}: names no paper")
                continue
        except sources.CacheError as error:
            result.failures.append(str(error))
            step(1)
            continue
        settled[index] = Found(one, record, "cache")
        step(1)

    if offline:
        for kind, misses in (("arxiv", arxiv_misses), ("doi", doi_misses)):
            for key, indexes in misses.items():
                result.failures.append(_offline_miss(kind, key, wanted[indexes[0]]))
                step(len(indexes))
    else:
        if arxiv_misses:
            _fetch_arxiv(root, wanted, arxiv_misses, arxiv, settled, result, step)
        for key, indexes in doi_misses.items():
            _fetch_doi(root, wanted, key, indexes, contact, fetch_doi, settled, result)
            step(len(indexes))

    result.found = [settled[index] for index in sorted(settled)]
    return result


def _fetch_arxiv(root: Path, wanted: list[Wanted], misses: dict[str, list[int]],
                 client: ArxivClient | None, settled: dict[int, Found], result: Gathered,
                 step: Callable[[int], None]) -> None:
    from newsletter.intake.arxiv import ArxivClient, ArxivError

    count = sum(len(indexes) for indexes in misses.values())
    try:
        client = client or ArxivClient()
        before = client.requests
        try:
            answers = client.lookup(list(misses))
        finally:
            result.requests += client.requests - before
    except ArxivError as error:
        result.failures.append(str(error))  # the whole request failed: it names the ids
        step(count)
        return
    for key, indexes in misses.items():
        answer = answers[key]
        if isinstance(answer, ArxivError):
            result.failures.append(_with_source(str(answer), wanted[indexes[0]]))
        else:
            try:
                sources.store(root, "arxiv", answer.arxiv_id, answer.as_json())
                record = sources.lookup(root, "arxiv", answer.arxiv_id)
            except sources.CacheError as error:
                result.failures.append(str(error))
            else:
                assert record is not None
                for index in indexes:
                    settled[index] = Found(wanted[index], record, "fetched")
        step(len(indexes))


def _fetch_doi(root: Path, wanted: list[Wanted], key: str, indexes: list[int],
               contact: str | None, fetch: Callable[..., Record] | None,
               settled: dict[int, Found], result: Gathered) -> None:
    from newsletter.intake import doi

    try:
        result.requests += 1
        record = (fetch or doi.fetch)(key, contact=contact)
        sources.store(root, "doi", key, record)
    except NewsletterError as error:
        result.failures.append(_with_source(str(error), wanted[indexes[0]]))
        return
    for index in indexes:
        settled[index] = Found(wanted[index], record, "fetched")


def _with_source(message: str, one: Wanted) -> str:
    """The message (which names the id), led by the .bib or list line it came from."""
    return f"{one.source}: {message}" if one.in_file else message
