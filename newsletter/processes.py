"""Work spread over processes: ``check --jobs`` and ``site --jobs`` share one pool.

``spread(work, items, jobs)`` returns ``[work(item) for item in items]``, in order, from
``jobs`` forked worker processes when there is enough work to share, else in this
process (``serial`` may then do the work with state of this process). What makes it more
than ``ProcessPoolExecutor.map``: Ctrl-C is this process's alone (a worker interrupted
while holding the result queue's lock would leave every process waiting on it), and an
interrupted run stops its workers at once instead of waiting for the queued work.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable, Sequence
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")
Progress = Callable[[int, int], None]


def _interrupts(how: int) -> None:
    if hasattr(signal, "pthread_sigmask"):  # not on Windows, which does not fork
        signal.pthread_sigmask(how, {signal.SIGINT})


def _die_with(parent: int) -> None:
    """Linux: this process is killed when the process that started it dies, even by
    SIGKILL (a worker would otherwise wait on the pool's queue for ever)."""
    import sys

    if not sys.platform.startswith("linux"):
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # it died before the line above
        os._exit(1)


def ignore_interrupts(parent: int | None = None) -> None:
    """In a worker: Ctrl-C is the main process's to handle, and the worker ends with it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _interrupts(signal.SIG_UNBLOCK)
    if parent is not None:
        _die_with(parent)


class _Sent:
    """``work`` in a worker, whose exception reaches this process whatever its class: one
    that pickle cannot make again (an ``__init__`` with arguments of its own) would break
    the pool, and the run would end with BrokenProcessPool instead of its message."""

    def __init__(self, work: Callable[[Item], Result]) -> None:
        self.work = work

    def __call__(self, item: Item) -> Result:
        try:
            return self.work(item)
        except Exception as exc:
            import pickle

            try:
                pickle.loads(pickle.dumps(exc))
            except Exception:
                from newsletter.errors import NewsletterError

                if isinstance(exc, NewsletterError):
                    raise NewsletterError(str(exc)) from None
                raise RuntimeError(f"{type(exc).__name__}: {exc}") from None
            raise


def spread(work: Callable[[Item], Result], items: Sequence[Item], jobs: int, *,
           serial: Callable[[Item], Result] | None = None,
           progress: Progress | None = None) -> list[Result]:
    """``work`` of each item, in order; over ``jobs`` processes when there are at least
    two items a process, else serially (with ``serial``, if given, instead of ``work``).
    ``progress`` is told (done, all) as results come in."""
    done: list[Result] = []
    if jobs <= 1 or len(items) < 2 * jobs:
        one = serial or work
        for item in items:
            done.append(one(item))
            if progress is not None:
                progress(len(done), len(items))
        return done
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # fork where there is one: workers start with the models already built.
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context(method),
                               initializer=ignore_interrupts, initargs=(os.getpid(),))
    # Ctrl-C waits while the workers are forked (map submits all work, which starts them),
    # so none is interrupted before it can ignore it; then it reaches this process.
    _interrupts(signal.SIG_BLOCK)
    try:
        try:
            # Small chunks: the last one is what a worker may wait for alone at the end.
            results = pool.map(_Sent(work), items,
                               chunksize=max(1, len(items) // (jobs * 16)))
        finally:
            _interrupts(signal.SIG_UNBLOCK)
        for result in results:
            done.append(result)
            if progress is not None:
                progress(len(done), len(items))
    except BaseException:
        # Ctrl-C (or a worker's error): drop the queued work instead of waiting for it.
        # The workers are stopped first and then waited for: shutdown(wait=False) leaves
        # the pool's manager thread racing interpreter exit on Python 3.11 ("Exception
        # ignored ... Bad file descriptor", python/cpython#125492).
        # The manager thread then fails the futures that map() has just cancelled, which
        # on 3.11 prints a traceback (InvalidStateError, seen in a loaded CI run): that
        # thread's one error is silenced until it is joined.
        import threading
        from concurrent.futures import InvalidStateError

        previous = threading.excepthook

        def quiet(args: threading.ExceptHookArgs) -> None:
            if not issubclass(args.exc_type, InvalidStateError):
                previous(args)

        threading.excepthook = quiet
        try:
            workers = getattr(pool, "_processes", None) or {}  # private, hence the care
            for worker in list(workers.values()):
                with contextlib.suppress(OSError, AttributeError):
                    worker.terminate()
            pool.shutdown(wait=True, cancel_futures=True)
        finally:
            threading.excepthook = previous
        raise
    pool.shutdown()
    return done
