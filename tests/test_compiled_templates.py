"""The bundled templates' compiled code, kept between runs (newsletter/render/compiled.py):
the same output with it as without, each set of environment options apart, and never a
folder someone else could write code into."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsletter.entries.loading import load_issue
from newsletter.render import compiled, document
from newsletter.render.document import render_document
from tests.support.paths import EXAMPLES


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh XDG cache for this test, and no environment built before it."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    compiled.bytecode_cache.cache_clear()
    document._environment.cache_clear()
    yield tmp_path / "cache"
    compiled.bytecode_cache.cache_clear()
    document._environment.cache_clear()


def _renders(example: str) -> dict[str, bytes]:
    from newsletter.check.issue import check_with_style

    loaded = load_issue(EXAMPLES / example)
    _, style = check_with_style(loaded)
    assert style is not None
    return {fmt: render_document(loaded, style, fmt) for fmt in ("md", "text", "html")}


def _fresh_process() -> None:
    """What a new run starts with: no environment, so templates load from the cache."""
    compiled.bytecode_cache.cache_clear()
    document._environment.cache_clear()


def test_templates_compile_once_and_render_the_same_from_the_cache(cache_home: Path) -> None:
    first = _renders("briefing")
    kept = sorted(cache_home.glob("newsletter/templates/*/__jinja2_*.cache"))
    assert kept, "nothing was kept"
    stamps = {path: path.stat().st_mtime_ns for path in kept}
    _fresh_process()
    assert _renders("briefing") == first
    assert {path: path.stat().st_mtime_ns for path in kept} == stamps  # read, not rewritten
    # The text and the HTML formats share templates (trailers.j2) compiled differently,
    # with and without autoescape: each has a folder of its own.
    assert len({path.parent for path in kept}) == 2


def test_the_cache_changes_nothing_rendered(cache_home: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    with_cache = {name: _renders(name) for name in ("briefing", "weekly", "digest")}
    _fresh_process()
    with_cache_again = {name: _renders(name) for name in ("briefing", "weekly", "digest")}
    monkeypatch.setattr(compiled, "_own_folder", lambda path: False)  # no cache at all
    _fresh_process()
    without = {name: _renders(name) for name in ("briefing", "weekly", "digest")}
    assert with_cache == with_cache_again == without


def test_a_garbled_cache_file_is_compiled_again(cache_home: Path) -> None:
    first = _renders("briefing")
    for path in cache_home.glob("newsletter/templates/*/__jinja2_*.cache"):
        path.write_bytes(path.read_bytes()[:40])  # cut short mid-way
    _fresh_process()
    assert _renders("briefing") == first


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX owners and modes")
@pytest.mark.parametrize("which", ["top", "leaf"])
def test_a_folder_others_may_write_into_is_not_used(cache_home: Path, which: str) -> None:
    options = compiled.cache_options(autoescape=True)
    assert compiled.bytecode_cache(options) is not None
    top = cache_home / "newsletter" / "templates"
    (top if which == "top" else next(top.iterdir())).chmod(0o777)
    compiled.bytecode_cache.cache_clear()
    assert compiled.bytecode_cache(options) is None


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX owners and modes")
def test_the_cache_is_kept_under_a_umask_that_lets_the_group_write(cache_home: Path) -> None:
    old = os.umask(0o002)  # Debian's default for a user with a group of their own
    try:
        first = _renders("briefing")
    finally:
        os.umask(old)
    kept = sorted(cache_home.glob("newsletter/templates/*/__jinja2_*.cache"))
    assert kept, "nothing was kept"
    for folder in (cache_home / "newsletter", cache_home / "newsletter" / "templates",
                   kept[0].parent):
        assert folder.stat().st_mode & 0o777 == 0o700, folder
    _fresh_process()
    assert _renders("briefing") == first


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX owners and modes")
def test_a_link_in_place_of_the_folder_is_not_used(cache_home: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    (cache_home / "newsletter").mkdir(parents=True)
    (cache_home / "newsletter" / "templates").symlink_to(elsewhere)
    assert compiled.bytecode_cache(compiled.cache_options(autoescape=True)) is None
