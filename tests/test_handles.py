"""Open readers kept between the Searchers of one process (handles.py): shared while the index's files
are the same, opened afresh once anything changes, and never closed under a Searcher still using one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from corpus_search import handles
from corpus_search.indexing import build_index
from corpus_search.search import Searcher


def write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def totals(index: str, query: str, reuse: bool = True) -> int:
    with Searcher(index, reuse=reuse) as searcher:
        return searcher.run(query).total


@pytest.fixture()
def small_index(tmp_path: Path) -> tuple[Path, str]:
    docs, index = tmp_path / "docs", str(tmp_path / "index")
    write(docs, "a.txt", "临时党支部\n风雨\n")
    build_index([str(docs)], index)
    yield docs, index
    handles.forget_all()


def test_an_unchanged_index_is_opened_once(small_index):
    _, index = small_index
    with Searcher(index) as first:
        reader = first.reader
    with Searcher(index) as second:
        assert second.reader is reader
        assert second.run("临时党支部").total == 1
    with Searcher(index, reuse=False) as fresh:
        assert fresh.reader is not reader
        assert fresh.run("临时党支部").total == 1


def test_a_changed_index_is_opened_afresh_and_the_old_reader_closed(small_index):
    docs, index = small_index
    with Searcher(index) as first:
        old = first.reader
        assert first.run("风雨").total == 1
    write(docs, "b.txt", "风雨同舟\n")
    build_index([str(docs)], index)
    with Searcher(index) as second:
        assert second.reader is not old
        assert second.run("风雨").total == 2
    assert old.parts == [] or all(not hasattr(part, "codes") for part, _, _ in old.parts)  # closed


def test_a_reader_in_use_stays_open_while_the_index_changes(small_index):
    docs, index = small_index
    holding = Searcher(index)
    write(docs, "a.txt", "别的\n")
    build_index([str(docs)], index)
    assert holding.run("临时党支部").total == 1  # the index as it was when this Searcher opened it
    assert totals(index, "临时党支部") == 0
    holding.close()
    assert totals(index, "临时党支部") == 0


def test_a_damaged_part_is_reported_not_answered_from_the_kept_reader(small_index):
    _, index = small_index
    assert totals(index, "临时党支部") == 1
    part = next(name for name in os.listdir(index) if name.endswith(".seg"))
    with open(os.path.join(index, part), "r+b") as handle:
        handle.truncate(16)
    with pytest.raises(Exception, match="damaged|cannot be read"):
        totals(index, "临时党支部")


def test_at_most_kept_indexes_stay_open(tmp_path: Path):
    docs = tmp_path / "docs"
    write(docs, "a.txt", "风雨\n")
    indexes = [str(tmp_path / f"index{number}") for number in range(handles.KEPT + 2)]
    readers = []
    try:
        for index in indexes:
            build_index([str(docs)], index)
            with Searcher(index) as searcher:
                readers.append(searcher.reader)
        closed = [not hasattr(reader.parts[0][0], "codes") for reader in readers]
        assert closed == [True, True] + [False] * handles.KEPT  # least recently used first out
    finally:
        handles.forget_all()
