"""Ctrl-C held off while a file is made, or while a change of several files goes in place.

Renaming a build's files into place takes milliseconds, but Ctrl-C in between would leave
a site half old and half new, and the message would have to say so; Ctrl-C while
``mkstemp`` makes a temporary copy would leave the copy behind, with no name to remove it
by. Held off, the interrupt waits until the block ends and then arrives as it would have:
as KeyboardInterrupt, or, after a change that was put in place in full, as
InterruptedAfterWriting, whose message says so. A change put in place is also remembered
(``last_written``), so that a Ctrl-C after it, while the command still prints, is not
answered with "nothing was written".
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

from newsletter.errors import InterruptedAfterWriting

_written: list[str] = []


def last_written() -> str | None:
    """What the last change put in place in full said of itself, since ``forget_written``."""
    return _written[-1] if _written else None


def forget_written() -> None:
    """A command begins: nothing of it is written yet."""
    _written.clear()


@contextlib.contextmanager
def interrupts_held(written: str | None = None) -> Iterator[None]:
    """Ctrl-C (SIGINT) waits for the block to end, then is delivered as the handler in
    place before would have had it: the default one raises InterruptedAfterWriting(
    ``written``), or KeyboardInterrupt without ``written``; SIG_DFL ends the process; a
    handler of the caller's is called; an ignored one stays ignored. When the block
    raises, its error goes on, and a Ctrl-C held is delivered first only without
    ``written`` (a change that failed half-way says so itself). A block that ends is
    remembered by ``written``. Where signals cannot be handled (a thread other than the
    main one), the block runs as it is."""
    previous: Any = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.getsignal(signal.SIGINT)
    if previous is None:  # not the main thread, or a handler not set from Python
        yield
        if written is not None:
            _written.append(written)
        return
    caught: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        caught.append(signum)

    signal.signal(signal.SIGINT, hold)
    try:
        yield
    except BaseException:
        signal.signal(signal.SIGINT, previous)
        # Nothing was put in place (no ``written``): the Ctrl-C still arrives, over the
        # error, rather than be lost to a caller that carries on past it (a cache that
        # could not be written only means a slower next run).
        if caught and written is None:
            _deliver(previous, None)
        raise
    signal.signal(signal.SIGINT, previous)
    if written is not None:
        _written.append(written)
    if caught:
        _deliver(previous, written)


def _deliver(previous: Callable[[int, FrameType | None], Any] | int, written: str | None
             ) -> None:
    if previous is signal.default_int_handler:
        raise InterruptedAfterWriting(written) if written is not None else KeyboardInterrupt
    if previous == signal.SIG_DFL:
        signal.raise_signal(signal.SIGINT)  # the process ends, as it would have
    elif callable(previous):
        previous(signal.SIGINT, None)
