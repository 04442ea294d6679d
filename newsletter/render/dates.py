"""Dates in the publication's language, as CLDR writes them (through babel).

Templates ask for a form, not a pattern: ``long`` for datelines and titles ('April 19,
2026', '19. April 2026', '2026年4月19日'), ``short`` for footers ('Apr 19, 2026', '19. Apr.
2026'). babel is imported on the first date of a process, never at start-up.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel import Locale
    from babel.dates import DateTimePattern

# The abbreviated form is CLDR's 'year, abbreviated month, day' skeleton, not its 'medium'
# date: medium is numeric in many languages (de '19.04.2026', ja '2026/04/19').
_SHORT_SKELETON = "yMMMd"


@lru_cache(maxsize=64)
def _patterns(language: str) -> tuple[Locale, DateTimePattern, DateTimePattern]:
    """The locale ``language`` names (English when CLDR has none: check refuses such a
    language, so only a caller that skipped it gets here) and its two date patterns."""
    from babel import Locale

    from newsletter.entries.language import cldr_locale

    locale = cldr_locale(language) or Locale("en")
    long = locale.date_formats["long"]
    short = locale.datetime_skeletons.get(_SHORT_SKELETON) or locale.date_formats["medium"]
    return locale, long, short


def format_date(value: dt.date, form: str = "long", language: str = "en") -> str:
    """``value`` in ``language``: the ``short`` form or (any other form) the long one."""
    from babel.dates import format_date as cldr_format

    locale, long, short = _patterns(language)
    return cldr_format(value, short if form == "short" else long, locale=locale)
