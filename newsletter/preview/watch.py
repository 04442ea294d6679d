"""Follow the files an issue is rendered from, with watchfiles (Rust's notify underneath:
inotify on Linux, FSEvents on macOS), and say when a save is complete.

A save is often several events (an editor writes a temp file, renames it over the old
one; "save all" touches many files): watchfiles groups what arrives within ``step`` ms
into one batch, so one save is one reload. Editor swap, backup and temp files are not
changes to the issue and never trigger one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path

# Waits this long for more events after the first one of a save: the debounce.
STEP_MS = 80

_IGNORED_SUFFIXES = (".swp", ".swx", ".swo", ".tmp", ".bak", ".orig", "~")
_IGNORED_FOLDERS = frozenset({".git", ".newsletter-cache", "__pycache__", "node_modules"})


def is_editor_noise(path: str) -> bool:
    """Swap files (.x.swp, vim's 4913 probe), backups (x~), Emacs locks (.#x, #x#), our own
    temp files (.x.1234.tmp) and anything in a hidden or tool folder."""
    parts = Path(path).parts
    name = parts[-1] if parts else ""
    if any(part in _IGNORED_FOLDERS for part in parts[:-1]):
        return True
    return (name.startswith((".", "#")) or name.endswith(_IGNORED_SUFFIXES)
            or name == "4913")


def watch(roots: Iterable[Path], wanted: Callable[[Path], bool],
          on_change: Callable[[set[Path]], None], stop: threading.Event) -> None:
    """Call ``on_change`` with the changed paths of each save under ``roots`` that
    ``wanted`` keeps, until ``stop`` is set. Blocks: run it in a thread."""
    import watchfiles

    def keep(_change: watchfiles.Change, path: str) -> bool:
        return not is_editor_noise(path) and wanted(Path(path))

    for batch in watchfiles.watch(*roots, watch_filter=keep, step=STEP_MS, debounce=1_000,
                                  stop_event=stop, raise_interrupt=False,
                                  yield_on_timeout=False):
        on_change({Path(path) for _, path in batch})
