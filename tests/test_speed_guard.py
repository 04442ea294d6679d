"""The CPU-time guards' allowance for a loaded machine (tests/support/speed.py): it only
ever widens a guard by how slow the machine runs now, so a regression still fails."""

from __future__ import annotations

import pytest

from tests.support import speed


def test_work_within_its_guard_passes_without_calibrating(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(speed, "slowdown", lambda: 1 / 0)  # would fail if it ran
    assert speed.within(0.5, 1.0) == (True, "1.00 s")


def test_a_guard_grows_by_the_slowdown_and_no_further(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(speed, "slowdown", lambda: 1.5)
    assert speed.within(1.4, 1.0)[0]
    assert not speed.within(1.6, 1.0)[0]
    assert "1.50" in speed.within(1.6, 1.0)[1]


def test_a_regression_to_many_times_the_guard_still_fails() -> None:
    # However loaded, this machine does not run the calibration ten times slower.
    assert 1.0 <= speed.slowdown() < 10
    assert not speed.within(10.0, 1.0)[0]

