"""Run ``newsletter`` in child processes that can be killed at any moment.

Two kinds of child:

* a real ``python -m newsletter ...`` process (``start_process``), as a user runs it. Most
  of its life is the interpreter starting and importing, ~0.5 s;
* a fork of the test process (``fork_cli``, ``fork_gated``), which has already imported
  everything, so the child spends its whole ~30 ms life in newsletter's own code: kills at
  random moments land where files are read, locked and written, and many children released
  together really do write at the same moment. The fork can also simulate a slow disk
  (fsync, link and rename take milliseconds), which widens the windows between the steps
  of a write: temporary file created, written, fsynced, linked or renamed, removed.
"""

from __future__ import annotations

import contextlib
import faulthandler
import importlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.cli import child_env, newsletter_argv

WARM_MODULES = (
    "jinja2", "pydantic", "slugify", "tomli", "tomli_w", "markdown_it", "tree_sitter",
    "newsletter.cli", "newsletter.create.add_paper", "newsletter.check.cache",
    "newsletter.check.run", "newsletter.check.lint", "newsletter.entries.models",
    "newsletter.entries.positions", "newsletter.entries.schema",
    "newsletter.entries.validation", "newsletter.render", "newsletter.render.formats",
    "newsletter.render.markup", "newsletter.write.atomic",
)


def warm_imports() -> None:
    """Import what the commands import lazily, so that a fork starts warm."""
    for name in WARM_MODULES:
        importlib.import_module(name)


def fork_cli(args: Sequence[str], cwd: Path, *, slow_disk: float = 0.0) -> int:
    """Run ``newsletter ARGS`` in a forked child (output discarded); returns its pid.

    The child never returns into the caller's code: it leaves through ``os._exit`` with
    the command's exit status."""
    pid = os.fork()
    if pid:
        return pid
    code = 99
    try:
        os.chdir(cwd)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        sys.stdin = open(os.devnull)  # noqa: SIM115 - the child exits without closing
        sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115
        if slow_disk:
            _slow_down(slow_disk)
        from newsletter.cli import main

        sys.argv = ["newsletter", *args]
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    finally:
        os._exit(code)


def _slow_down(seconds: float) -> None:
    """In a forked child: every fsync waits before it starts, and every link and rename
    takes ``seconds`` after it took effect, as on a slow disk. A kill then often lands
    between two steps of a write that are otherwise microseconds apart."""
    def before(call: Callable[..., Any]) -> Callable[..., Any]:
        def slow(*args: Any, **kwargs: Any) -> Any:
            time.sleep(seconds)
            return call(*args, **kwargs)
        return slow

    def after(call: Callable[..., Any]) -> Callable[..., Any]:
        def slow(*args: Any, **kwargs: Any) -> Any:
            result = call(*args, **kwargs)
            time.sleep(seconds)
            return result
        return slow

    os.fsync = before(os.fsync)
    os.link = after(os.link)
    os.replace = after(os.replace)


def start_process(args: Sequence[str], cwd: Path) -> subprocess.Popen[bytes]:
    """``python -m newsletter ARGS`` as a real process (output discarded)."""
    return subprocess.Popen(newsletter_argv(*args), cwd=cwd, env=child_env(),
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def children_of(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (on Linux from /proc, elsewhere from ps)."""
    proc = Path("/proc")
    if (proc / "self" / "stat").is_file():
        found = []
        for entry in proc.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # gone meanwhile
                continue
            # "pid (command) state ppid ...": the command may hold spaces and parentheses.
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
        return found
    listing = subprocess.run(["ps", "-A", "-o", "pid=,ppid="], capture_output=True,
                             text=True, check=True).stdout
    return [int(child) for child, parent in (line.split() for line in listing.splitlines())
            if int(parent) == pid]


def wait_for_children(process: subprocess.Popen[bytes], count: int, *,
                      timeout: float = 60.0) -> bool:
    """Wait until ``process`` has ``count`` child processes (True), or has ended (False)."""
    deadline = time.monotonic() + timeout
    while process.poll() is None:
        if len(children_of(process.pid)) >= count:
            return True
        if time.monotonic() > deadline:
            raise AssertionError(f"no {count} child processes after {timeout} s")
        time.sleep(0.002)
    return False


@dataclass(frozen=True)
class Ending:
    """How a child ended: SIGKILLed by us, or finished with an exit status."""

    killed: bool
    exit_code: int | None
    seconds: float


def _status(status: int) -> tuple[bool, int | None]:
    if os.WIFSIGNALED(status):
        return os.WTERMSIG(status) == signal.SIGKILL, None
    return False, os.WEXITSTATUS(status)


def kill_pid(pid: int, *, after: float, trigger: Callable[[], bool] | None = None,
             then: float = 0.0, timeout: float = 60.0) -> Ending:
    """SIGKILL a forked child ``after`` seconds, or ``then`` seconds after ``trigger()``
    first holds (polled every ~0.3 ms); unless it finishes first."""
    start = time.monotonic()
    deadline = start + (after if trigger is None else timeout)
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        now = time.monotonic()
        if done:
            killed, code = _status(status)
            return Ending(killed, code, now - start)
        if trigger is not None and trigger():
            trigger = None
            deadline = now + then
        if now >= deadline:
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            killed, code = _status(status)
            return Ending(killed, code, time.monotonic() - start)
        time.sleep(0.0003)


def kill_process(process: subprocess.Popen[bytes], *, after: float,
                 timeout: float = 60.0) -> Ending:
    """SIGKILL a real child ``after`` seconds, unless it finishes first."""
    start = time.monotonic()
    try:
        code = process.wait(timeout=after)
        return Ending(False, code, time.monotonic() - start)
    except subprocess.TimeoutExpired:
        process.kill()
        code = process.wait(timeout=timeout)
        return Ending(code == -signal.SIGKILL, None if code < 0 else code,
                      time.monotonic() - start)



def fork_gated(args: Sequence[str], cwd: Path, gate: int, output: Path) -> int:
    """Fork a warm child that blocks reading one byte from ``gate`` (a pipe's read end),
    then runs ``newsletter ARGS`` with its stdout and stderr in ``output``.out/.err.
    Writing N bytes to the pipe releases N such children at the same instant."""
    pid = os.fork()
    if pid:
        return pid
    code = 99
    try:
        os.read(gate, 1)
        os.chdir(cwd)
        for fd, suffix in ((1, ".out"), (2, ".err")):
            os.dup2(os.open(output.with_suffix(suffix), os.O_WRONLY | os.O_CREAT, 0o644), fd)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        sys.stdin = open(os.devnull)  # noqa: SIM115 - the child exits without closing
        sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
        # A writer that seems stuck can be asked where it is: SIGUSR1 prints its stack.
        faulthandler.register(signal.SIGUSR1, file=sys.stderr, all_threads=True)
        from newsletter.cli import main

        sys.argv = ["newsletter", *args]
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def where_stuck(pids: Sequence[int], outputs: Path, names: Sequence[str]) -> str:
    """For children of ``fork_gated`` that have not ended: their kernel state and wait
    channel, and the Python stack each prints on SIGUSR1 (into its ``.err`` file)."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGUSR1)
    time.sleep(1.0)
    lines = []
    for pid, name in zip(pids, names, strict=True):
        proc = Path("/proc") / str(pid)
        state = wchan = "?"
        with contextlib.suppress(OSError):
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
            wchan = (proc / "wchan").read_text()
        stack = ""
        with contextlib.suppress(OSError):
            stack = (outputs / f"{name}.err").read_text(encoding="utf-8", errors="replace")
        lines.append(f"writer {name} (pid {pid}): state {state}, waiting in {wchan}\n{stack}")
    return "\n".join(lines)
