"""Files an editor names on the command line (a ``.bib`` export, a list of ids), read safely.

The editor may name any file they can read (``~/Downloads/refs.bib``); a file inside the
publication, though, may have come with a pull request, so a symbolic link there that leads
out of the publication is refused, as every file of a publication is. Either way only a
regular file is read (a FIFO would block, a device never end), up to a size cap, as UTF-8.
"""

from __future__ import annotations

import os
from pathlib import Path

from newsletter.entries.files import Refused, read_regular
from newsletter.entries.loading import outside, root_of
from newsletter.errors import NewsletterError


def read_named(path: Path, publication: Path | None, limit: int,
               error: type[NewsletterError], too_large: str) -> str:
    """The text of ``path``; ``error`` (one line naming the file) when it cannot be used.
    ``too_large`` says what to do with a file over ``limit`` bytes."""
    if publication is not None:
        inside = os.path.abspath(path)
        root = os.path.abspath(publication)
        if (inside == root or inside.startswith(root.rstrip(os.sep) + os.sep)) and outside(
                path, root_of(publication)):
            raise error(f"{path}: is a symbolic link leading out of the publication; "
                        "not reading it")
    try:
        data = read_regular(path, limit)
    except Refused as refused:
        raise error(f"{path}: " + {
            "not-regular": "is not a regular file",
            "too-large": f"larger than {_size(limit)}; {too_large}",
        }.get(refused.reason, f"cannot read it: {refused.detail}")) from refused
    if data is None:
        raise error(f"{path}: cannot read it: No such file or directory")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise error(f"{path}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); "
                    "save the file as UTF-8") from exc


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit >= 1024 * 1024 else f"{limit // 1024} KiB"
