"""How much slower this machine runs now than when a CPU-time guard was set.

A guard in CPU seconds (a hostile input must cost linear time, not seconds a character)
was set on an idle machine; on two cores shared with other jobs the same work takes a third
more CPU time, sometimes more (the cores share caches and memory), so a fixed bound fails
on a slow hour, not on a slow program. ``within`` holds a measurement to its guard, and
only when it is over looks at how slow the machine is now: a fixed piece of the same kind
of work (markdown-it on a fixed text, the bulk of what the guarded commands do) against
what it took idle. The guard grows by that factor, never shrinks: a regression to
quadratic time is tens of times over, a loaded machine a few tenths.
"""

from __future__ import annotations

import time

_TEXT = "A line with *emphasis*, **strong** words, `code` and a [link](https://e.com/a).\n" * 400
# The calibration's CPU time, least of 7 runs, on a machine of this workplace
# (2 cores, Python 3.11, 2026-12-03).
IDLE_SECONDS = 0.036  # the least seen here; 0.042 at another idle hour


def calibration_seconds(runs: int = 7) -> float:
    """CPU seconds of the fixed piece of work, the least of ``runs``."""
    from markdown_it import MarkdownIt

    reader = MarkdownIt()
    spent = []
    for _ in range(runs):
        started = time.process_time()
        reader.render(_TEXT)
        spent.append(time.process_time() - started)
    return min(spent)


def slowdown() -> float:
    """How many times slower than idle the machine runs now; at least 1."""
    return max(1.0, calibration_seconds() / IDLE_SECONDS)


def within(spent: float, guard: float) -> tuple[bool, str]:
    """Whether ``spent`` CPU seconds is within ``guard``, scaled by ``slowdown`` when it is
    over; and the guard applied, for the message."""
    if spent < guard:
        return True, f"{guard:.2f} s"
    factor = slowdown()
    return spent < guard * factor, f"{guard * factor:.2f} s ({guard:.2f} s x {factor:.2f}, " \
                                   "the machine's slowdown now)"
