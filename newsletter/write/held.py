"""Ctrl-C held off while a change of several files is put in place.

Renaming a build's files into place takes milliseconds, but Ctrl-C in between would leave
a site half old and half new, and the message would have to say so. Held off, the
interrupt waits until every file is in place, and then arrives as
``InterruptedAfterWriting``, whose message says that it was.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

from newsletter.errors import InterruptedAfterWriting


@contextlib.contextmanager
def interrupts_held(written: str) -> Iterator[None]:
    """Ctrl-C (SIGINT) waits for the block to end; then InterruptedAfterWriting(written)
    is raised, unless the block raised first. Where signals cannot be handled (a thread
    other than the main one), the block runs as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        caught.append(signum)

    previous = signal.signal(signal.SIGINT, hold)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if not caught:
        return
    if previous is signal.default_int_handler:
        raise InterruptedAfterWriting(written)
    if callable(previous):  # someone else's handler: theirs to act on, now
        previous(signal.SIGINT, None)
