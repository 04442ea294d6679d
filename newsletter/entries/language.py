"""What a publication's ``language`` may be: a well-formed language tag CLDR has dates for.

``language`` becomes the page's ``lang``, the email's ``Content-Language`` and the language
its dates are written in, so ``check`` refuses at its line what would fit none of them:
a POSIX locale name (``de_DE.UTF-8``), a path, or a tag whose language CLDR does not know.
babel (CLDR) is imported on first use, never at start-up.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel import Locale

# An RFC 5646 language tag, well-formed (not checked against the registry); the same
# grammar as Content-Language in newsletter/render/mail.py.
LANGUAGE_TAG = re.compile(
    r"(?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4,8})(?:-[a-z]{4})?(?:-(?:[a-z]{2}|[0-9]{3}))?"
    r"(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*(?:-[0-9a-wyz](?:-[a-z0-9]{2,8})+)*"
    r"(?:-x(?:-[a-z0-9]{1,8})+)?|x(?:-[a-z0-9]{1,8})+", re.I)
# 'de_DE', 'de_DE.UTF-8', 'de_DE@euro': a POSIX locale name, whose tag is 'de-DE'.
_POSIX_LOCALE = re.compile(r"([a-z]{2,3})(?:_([a-z]{2}|[0-9]{3}))?(?:[.@][\w.@-]*)?", re.I)


@lru_cache(maxsize=64)
def cldr_locale(tag: str) -> Locale | None:
    """The most specific CLDR locale ``tag`` names ('de-CH-1996' → de_CH, 'zh-TW' →
    zh_Hant_TW, 'en-XX' → en), or None: not a well-formed tag, or no language CLDR has.
    Extensions and private use ('-u-...', '-x-...') do not change a date."""
    if len(tag) > 100 or not LANGUAGE_TAG.fullmatch(tag):
        return None
    from babel import Locale, UnknownLocaleError

    subtags = tag.split("-")
    singleton = next((i for i, part in enumerate(subtags) if len(part) == 1), len(subtags))
    for end in range(singleton, 0, -1):
        try:
            return Locale.parse("-".join(subtags[:end]), sep="-")
        except (UnknownLocaleError, ValueError, TypeError):
            continue
    return None


@lru_cache(maxsize=64)
def _has_language_data(language: str) -> bool:
    """Whether babel has CLDR data for the bare ``language`` ('de' → locale-data/de.dat),
    seen from its folder without importing it: babel's import costs a check ~13 ms, more
    than the rest of validating a publication. When it has, every tag of that language
    has dates (``cldr_locale`` falls back to the language); when not, ``cldr_locale``
    decides (aliases such as 'iw')."""
    from importlib.util import find_spec

    try:
        found = find_spec("babel")
    except (ImportError, ValueError):
        return False
    folders = list(found.submodule_search_locations or []) if found else []
    return any((Path(folder) / "locale-data" / f"{language}.dat").is_file()
               for folder in folders)


def check_language(value: str) -> str:
    """``value`` if it is a language tag CLDR knows; else ValueError saying what to write."""
    if not LANGUAGE_TAG.fullmatch(value):
        posix = _POSIX_LOCALE.fullmatch(value)
        if posix and ("_" in value or "." in value or "@" in value):
            tag = "-".join(part for part in posix.groups() if part)
            raise ValueError(f"must be a language tag such as 'en' or 'pt-BR', not a "
                             f"locale name: write '{tag}'")
        raise ValueError("must be a language tag such as 'en', 'de' or 'pt-BR'")
    if not _has_language_data(value.split("-")[0].lower()) and cldr_locale(value) is None:
        raise ValueError(f"'{value}' is not a language CLDR has dates for; use a tag "
                         "such as 'en', 'de', 'ja' or 'zh-Hant-TW'")
    return value
