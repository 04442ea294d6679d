"""``spread``: work over processes gives what the same work in this process gives, errors
included."""

from __future__ import annotations

import pytest

from newsletter.errors import NewsletterError
from newsletter.processes import spread


class _Refusal(NewsletterError):
    """An error with arguments of its own: pickle cannot make it again from its message."""

    def __init__(self, path: str, line: int) -> None:
        super().__init__(f"{path}:{line}: refused")


class _Odd(Exception):
    def __init__(self, a: int, b: int) -> None:
        super().__init__(f"odd {a} {b}")


def _square(item: int) -> int:
    return item * item


def _refuse_three(item: int) -> int:
    if item == 3:
        raise _Refusal("issues/003/issue.toml", 7)
    return item


def _odd_three(item: int) -> int:
    if item == 3:
        raise _Odd(1, 2)
    return item


def test_results_come_in_order_from_the_workers() -> None:
    assert spread(_square, list(range(40)), 2) == [item * item for item in range(40)]


def test_a_users_error_that_pickle_cannot_remake_still_arrives_as_one() -> None:
    with pytest.raises(NewsletterError, match=r"^issues/003/issue.toml:7: refused$"):
        spread(_refuse_three, list(range(8)), 2)


def test_another_such_error_arrives_as_the_bug_it_is() -> None:
    with pytest.raises(RuntimeError, match=r"^_Odd: odd 1 2$"):
        spread(_odd_three, list(range(8)), 2)

