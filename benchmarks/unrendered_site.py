"""``newsletter site`` with every issue page's rendering replaced by a page-sized constant.

    python benchmarks/unrendered_site.py site PUBLICATION --output DIR

Everything else is the real command: start-up, finding, loading, checking and summing up
each issue in the worker processes, the archive, the papers page, the feeds and the
writing. So its time is a floor under ``newsletter site`` that no template engine, however
fast, could take a build below; site_vs_hugo.py puts it beside Hugo's.
"""

from __future__ import annotations

import sys
from typing import Any

# The bundled briefing's pages of the generator's 500×20 publication average about this
# many bytes; the writing, hashing and feeds then handle as much as the real build does.
PAGE_BYTES = 58_000


def main() -> None:
    from newsletter.__main__ import main as newsletter
    from newsletter.render import document

    page = b"<!DOCTYPE html>\n<main>" + b"x" * (PAGE_BYTES - 32) + b"</main>\n"

    def unrendered(*args: Any, **kwargs: Any) -> bytes:
        return page

    # Workers are forked from this process, so the replacement is theirs too.
    document.render_document = unrendered  # type: ignore[assignment]
    sys.argv[0] = "newsletter"
    newsletter()


if __name__ == "__main__":
    main()
