"""The committed cache of fetched papers: sources/<kind>/<name>.json, and what it refuses."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from newsletter.intake import sources
from newsletter.intake.sources import CacheError, Record, lookup, store

# The cache never needs the network: any connection at all fails the test.
pytestmark = pytest.mark.disable_socket

FETCHED_AT = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)


def record(**changes: object) -> Record:
    fields: dict[str, object] = {
        "title": "Scaling Test-Time Compute, Carefully", "url": "https://arxiv.org/abs/2604.01234v2",
        "authors": ["Alan Turing", "Emmy Noether"], "abstract": "We scale it.",
        "published": dt.date(2026, 4, 2), "arxiv_id": "2604.01234v2",
        "fetched_from": "https://export.arxiv.org/api/query?id_list=2604.01234",
        "fetched_at": FETCHED_AT}
    fields.update(changes)
    return Record(**fields)  # type: ignore[arg-type]


def test_store_writes_deterministic_json_and_lookup_reads_it(tmp_path: Path) -> None:
    path = store(tmp_path, "arxiv", "2604.01234v2", record())
    assert path == tmp_path / "sources" / "arxiv" / "2604.01234v2.json"
    text = path.read_text(encoding="utf-8")
    assert text.endswith("}\n")
    data = json.loads(text)
    assert list(data) == sorted(data)
    assert data["fetched_at"] == "2026-12-01T09:30:00Z"
    assert data["fetched_from"].startswith("https://export.arxiv.org/")
    assert lookup(tmp_path, "arxiv", "2604.01234v2") == record()
    # Storing the same answer again changes not a byte: a clean commit.
    store(tmp_path, "arxiv", "2604.01234v2", record())
    assert path.read_text(encoding="utf-8") == text


def test_a_miss_is_none(tmp_path: Path) -> None:
    assert lookup(tmp_path, "arxiv", "2604.01234") is None
    assert lookup(tmp_path, "doi", "10.1000/abc") is None
    (tmp_path / "sources" / "arxiv").mkdir(parents=True)
    assert lookup(tmp_path, "arxiv", "2604.01234") is None


def test_a_bare_id_finds_the_newest_version_numerically(tmp_path: Path) -> None:
    for version in (1, 9, 10):
        key = f"2604.01234v{version}"
        store(tmp_path, "arxiv", key, record(arxiv_id=key, title=f"Version {version}"))
    store(tmp_path, "arxiv", "2604.0123v3", record(arxiv_id="2604.0123v3"))  # another id
    found = lookup(tmp_path, "arxiv", "2604.01234")
    assert found is not None and found.title == "Version 10"
    assert lookup(tmp_path, "arxiv", "2604.01234v9").title == "Version 9"  # type: ignore[union-attr]


def test_a_file_no_version_could_have_does_not_break_the_lookup(tmp_path: Path) -> None:
    """A committed '2604.01234v1000.json' (arXiv versions stop at 999 here) or a stray
    'notes' file is no cached version: the lookup finds the real one."""
    store(tmp_path, "arxiv", "2604.01234v2", record(arxiv_id="2604.01234v2", title="Real"))
    folder = tmp_path / "sources" / "arxiv"
    (folder / "2604.01234v1000.json").write_text("{}")
    (folder / "2604.01234v2.json.orig").write_text("{}")
    found = lookup(tmp_path, "arxiv", "2604.01234")
    assert found is not None and found.title == "Real"


def test_old_style_ids_get_a_safe_reversible_name(tmp_path: Path) -> None:
    key = "math.GT/0309136v1"
    path = store(tmp_path, "arxiv", key, record(arxiv_id=key))
    assert path.name == "math.GT_0309136v1.json"
    assert path.parent == tmp_path / "sources" / "arxiv"
    assert lookup(tmp_path, "arxiv", "math.GT/0309136").arxiv_id == key  # type: ignore[union-attr]


def test_a_doi_is_percent_encoded_into_one_file_name(tmp_path: Path) -> None:
    doi = "10.1002/(sici)1097-4636<1::aid>3.0.co;2-#"
    path = store(tmp_path, "doi", doi, record(arxiv_id=None, doi=doi))
    assert path.parent == tmp_path / "sources" / "doi"
    assert "/" not in path.name and path.name.startswith("10.1002%2F%28sici%29")
    assert lookup(tmp_path, "doi", doi).doi == doi  # type: ignore[union-attr]


@pytest.mark.parametrize("kind, key", [
    ("arxiv", "../../etc/passwd"), ("arxiv", "2604.01234v2/../../x"), ("arxiv", "2604.01234\0"),
    ("doi", "10.1000/a\0b"), ("doi", "10.1000/" + "x" * 400), ("doi", "10.1000/ABC"),
    ("doi", "../10.1000/x"), ("doi", "10.1000/a b"), ("tarball", "x")])
def test_a_key_that_would_make_a_path_is_refused(tmp_path: Path, kind: str, key: str) -> None:
    with pytest.raises(CacheError) as caught:
        lookup(tmp_path, kind, key)
    assert "\n" not in str(caught.value) and "\0" not in str(caught.value)
    assert not (tmp_path / "sources").exists()


def test_store_needs_the_version_and_the_same_paper(tmp_path: Path) -> None:
    with pytest.raises(CacheError, match="with the version that was fetched"):
        store(tmp_path, "arxiv", "2604.01234", record())
    with pytest.raises(CacheError, match="not storing it under another paper's name"):
        store(tmp_path, "arxiv", "2604.05678v1", record())


def write_cache(root: Path, text: str | bytes, name: str = "2604.01234v2.json") -> Path:
    folder = root / "sources" / "arxiv"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def good_json(**changes: object) -> dict[str, object]:
    data = json.loads(sources.dumps(record()))
    data.update(changes)
    return data


@pytest.mark.parametrize("changes, message", [
    ({"extra": "field"}, "extra: Extra inputs are not permitted"),
    ({"authors": "Alan Turing"}, "authors: Input should be a valid array"),
    ({"title": 12}, "title: Input should be a valid string"),
    ({"title": "Sparse\x1b]8;;https://evil.example/\x07"}, "title: Value error, contains a "
     "control character"),
    ({"abstract": "x" * 20001}, "abstract: String should have at most 20000 characters"),
    ({"authors": ["a"] * 1001}, "authors: List should have at most 1000 items"),
    ({"published": "yesterday"}, "published: Input should be a valid date"),
    ({"arxiv_id": "2604.05678v1"}, "names arxiv '2604.05678v1', not the '2604.01234v2'"),
])
def test_a_tampered_cache_file_is_one_line_naming_it(tmp_path: Path, changes: dict[str, object],
                                                     message: str) -> None:
    path = write_cache(tmp_path, json.dumps(good_json(**changes)))
    with pytest.raises(CacheError) as caught:
        lookup(tmp_path, "arxiv", "2604.01234v2")
    text = str(caught.value)
    assert text.startswith(f"{path}: ") and message in text and "\n" not in text
    assert "\x1b" not in text


@pytest.mark.parametrize("data, message", [
    (b"{not json", "Invalid JSON"), (b"[1, 2]", "Input should be an object"),
    (b"\xff\xfe", "Invalid JSON"), (b" " * (300 * 1024), "larger than 256 KiB")])
def test_a_cache_file_that_is_not_a_record(tmp_path: Path, data: bytes, message: str) -> None:
    path = write_cache(tmp_path, data)
    with pytest.raises(CacheError, match=message) as caught:
        lookup(tmp_path, "arxiv", "2604.01234v2")
    assert str(caught.value).startswith(str(path))


def test_links_and_files_where_the_cache_should_be_are_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    publication = tmp_path / "publication"
    publication.mkdir()
    outside.mkdir()
    (outside / "arxiv").mkdir()
    (publication / "sources").symlink_to(outside)
    with pytest.raises(CacheError, match="sources: is a symbolic link"):
        lookup(publication, "arxiv", "2604.01234v2")
    with pytest.raises(CacheError, match="sources: is a symbolic link"):
        store(publication, "arxiv", "2604.01234v2", record())
    assert list((outside / "arxiv").iterdir()) == []

    (publication / "sources").unlink()
    (publication / "sources").write_text("not a folder\n")
    with pytest.raises(CacheError, match="sources: is not a folder"):
        store(publication, "arxiv", "2604.01234v2", record())

    (publication / "sources").unlink()
    (publication / "sources").mkdir()
    (publication / "sources" / "arxiv").symlink_to(outside / "arxiv")
    with pytest.raises(CacheError, match="arxiv: is a symbolic link"):
        lookup(publication, "arxiv", "2604.01234v2")


def test_a_cache_file_that_is_a_link_is_refused_both_ways(tmp_path: Path) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text(sources.dumps(record()))
    folder = tmp_path / "publication" / "sources" / "arxiv"
    folder.mkdir(parents=True)
    (folder / "2604.01234v2.json").symlink_to(secret)
    root = tmp_path / "publication"
    with pytest.raises(CacheError, match=r"2604\.01234v2\.json: is a symbolic link"):
        lookup(root, "arxiv", "2604.01234v2")
    with pytest.raises(CacheError, match="not writing through it"):
        store(root, "arxiv", "2604.01234v2", record(title="Overwritten"))
    assert json.loads(secret.read_text())["title"] == record().title


def test_a_named_pipe_in_the_cache_does_not_hang(tmp_path: Path) -> None:
    folder = tmp_path / "sources" / "arxiv"
    folder.mkdir(parents=True)
    os.mkfifo(folder / "2604.01234v2.json")
    with pytest.raises(CacheError, match="not a regular file"):
        lookup(tmp_path, "arxiv", "2604.01234v2")


def test_an_arxiv_answer_as_json_is_stored_and_read_back(tmp_path: Path) -> None:
    """The shape newsletter.intake.arxiv's ArxivRecord.as_json() gives."""
    answer = {
        "arxiv_id": "1605.08386v1", "title": "Heat-bath random walks with Markov bases",
        "url": "https://arxiv.org/abs/1605.08386", "authors": ["Caprice Stanley"],
        "abstract": "Graphs on lattice points are studied.", "published": "2016-05-26",
        "updated": "2016-05-26", "categories": ["math.CO", "math.ST"], "comment": None,
        "doi": None, "fetched_from": "https://export.arxiv.org/api/query?id_list=1605.08386",
        "fetched_at": "2026-12-01T09:30:00+00:00"}
    path = store(tmp_path, "arxiv", "1605.08386v1", answer)
    found = lookup(tmp_path, "arxiv", "1605.08386")
    assert found is not None and found.categories == ["math.CO", "math.ST"]
    assert found.updated == dt.date(2016, 5, 26) and found.fetched_at == FETCHED_AT
    assert json.loads(path.read_text())["fetched_at"] == "2026-12-01T09:30:00Z"


def test_a_mapping_that_would_not_read_back_is_not_stored(tmp_path: Path) -> None:
    answer = json.loads(sources.dumps(record()))
    answer["title"] = "Bad\x07title"
    with pytest.raises(CacheError, match="title: Value error, contains a control character; "
                                         "not storing it"):
        store(tmp_path, "arxiv", "2604.01234v2", answer)
    assert not (tmp_path / "sources" / "arxiv" / "2604.01234v2.json").exists()
