"""Suffix-array parts (segment.py) against a plain substring scan of the same normalised text."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus_search import segment
from corpus_search.loader import blocks_from_text, read_text
from corpus_search.normalize import normalize
from corpus_search.segment import Part, PartBuilder, part_files
from corpus_search.store import block_document
from corpus_search.variants import fold

SAMPLE = Path(__file__).resolve().parent / "data" / "corpus"
FILES = [SAMPLE / "novels" / "三国演义.txt", SAMPLE / "tang" / "全唐诗_poet.tang.0.txt"]


def scan(haystack: str, needle: str) -> list[int]:
    found, at = [], haystack.find(needle)
    while at >= 0:
        found.append(at)
        at = haystack.find(needle, at + 1)
    return found


DOC_PATHS: list[str] = []  # the path of each document added by build(), in order


def build(tmp_path: Path, block_chars: int, part_chars: int) -> tuple[list[Part], dict[str, str]]:
    """Parts of the sample files cut into small blocks, and each file's folded normalised text."""
    texts = {}
    DOC_PATHS.clear()
    builder = PartBuilder(str(tmp_path), "MAIN_test")
    old = segment.PART_CHARS
    segment.PART_CHARS = part_chars
    try:
        for path in FILES:
            text = read_text(str(path))
            texts[path.name] = fold(normalize(text).text)
            for block in blocks_from_text(path.name, text, block_chars):
                builder.add(block_document(block)[1])
                DOC_PATHS.append(path.name)
        names = builder.finish()
    finally:
        segment.PART_CHARS = old
    assert part_files(names) == {"MAIN_test": names}
    return [Part(str(tmp_path / name)) for name in names], texts


@pytest.fixture(scope="module")
def small_parts(tmp_path_factory):
    """Blocks of 2,000 characters, parts of about 20,000: many block seams and files split over parts."""
    return build(tmp_path_factory.mktemp("parts"), 2000, 20000)


def starts_in_parts(parts: list[Part], needle: str) -> dict[str, list[int]]:
    """Each file's starts of `needle`, found in the parts: positions inside a block, as file offsets."""
    import numpy as np

    found: dict[str, list[int]] = {}
    file_offsets: dict[tuple[int, int], tuple[str, int]] = {}
    offset_in_file: dict[str, int] = {}
    for number, part in enumerate(parts):
        for block in range(len(part.block_doc)):
            path = part_path(part, block)
            file_offsets[number, block] = (path, offset_in_file.get(path, 0))
            offset_in_file[path] = offset_in_file.get(path, 0) + int(part.block_end[block] - part.block_start[block])
    for number, part in enumerate(parts):
        starts = part.find(needle)
        block = np.searchsorted(part.block_start, starts, side="right") - 1
        for start, index in zip(starts.tolist(), block.tolist(), strict=True):
            if index >= 0 and start < part.block_end[index]:
                path, base = file_offsets[number, index]
                found.setdefault(path, []).append(base + start - int(part.block_start[index]))
    return {path: sorted(starts) for path, starts in found.items()}


def part_path(part: Part, block: int) -> str:
    return DOC_PATHS[int(part.block_doc[block])]


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_find_equals_a_scan_across_block_seams_and_parts(small_parts, data):
    parts, texts = small_parts
    name = data.draw(st.sampled_from(sorted(texts)))
    text = texts[name]
    start = data.draw(st.integers(0, len(text) - 9))
    needle = text[start : start + data.draw(st.integers(1, 8))]
    expected = {path: scan(haystack, needle) for path, haystack in texts.items()}
    expected = {path: starts for path, starts in expected.items() if starts}
    assert starts_in_parts(parts, needle) == expected


def test_a_file_split_over_parts_is_read_back_exactly(small_parts):
    parts, texts = small_parts
    assert len(parts) >= 2
    assert part_path(parts[0], len(parts[0].block_doc) - 1) == part_path(parts[1], 0)  # one file in two parts
    read = {}
    for part in parts:
        for block in range(len(part.block_doc)):
            piece = part.normalized(int(part.block_start[block]), int(part.block_end[block]))
            read[part_path(part, block)] = read.get(part_path(part, block), "") + piece
    for path in FILES:
        assert read[path.name] == normalize(read_text(str(path))).text


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_strings_counted_are_the_normalised_text_cut_and_counted(small_parts, data):
    # Ranges of one to seven characters inside one block (packed as integers up to three, read as text
    # beyond), counted against the block's normalised text (variants unfolded) sliced in Python.
    import numpy as np

    parts, _ = small_parts
    part = data.draw(st.sampled_from(parts))
    block = data.draw(st.integers(0, len(part.block_doc) - 1))
    low, high = int(part.block_start[block]), int(part.block_end[block])
    text = part.normalized(low, high)
    ranges = data.draw(
        st.lists(st.integers(0, high - low - 1).flatmap(lambda at: st.tuples(st.just(at), st.integers(1, 7))))
    )
    ranges = [(at, min(at + size, high - low)) for at, size in ranges]
    starts = np.asarray([at for at, _ in ranges], dtype=np.int64) + low
    ends = np.asarray([end for _, end in ranges], dtype=np.int64) + low
    assert part.strings_counted(starts, ends) == Counter(text[at:end] for at, end in ranges)


def test_a_big_last_part_is_written_as_two_halves_cut_where_a_file_ends(tmp_path, monkeypatch):
    # Four files of 3,000 characters, three of 500: the cut nearest the middle is after the second file.
    monkeypatch.setattr(segment, "SPLIT_CHARS", 1000)
    text = normalize(read_text(str(FILES[0]))).text
    files = {f"{n}.txt": text[n * 3000 : (n + 1) * 3000] for n in range(4)}
    files.update({f"{n}.txt": text[n * 500 : (n + 1) * 500] for n in range(4, 7)})
    builder = PartBuilder(str(tmp_path), "MAIN_split")
    DOC_PATHS.clear()
    for path, content in files.items():
        for block in blocks_from_text(path, content, 700):
            builder.add(block_document(block)[1])
            DOC_PATHS.append(path)
    parts = [Part(str(tmp_path / name)) for name in builder.finish()]
    assert [sorted({part_path(part, block) for block in range(len(part.block_doc))}) for part in parts] == [
        ["0.txt", "1.txt"],
        ["2.txt", "3.txt", "4.txt", "5.txt", "6.txt"],
    ]
    texts = {path: fold(normalize(content).text) for path, content in files.items()}
    for needle in {text[at : at + size] for at in range(0, 3000, 97) for size in (1, 2, 5)}:
        expected = {path: scan(haystack, needle) for path, haystack in texts.items()}
        assert starts_in_parts(parts, needle) == {path: starts for path, starts in expected.items() if starts}


def test_a_big_last_part_of_one_file_stays_one_part(tmp_path, monkeypatch):
    monkeypatch.setattr(segment, "SPLIT_CHARS", 1000)
    builder = PartBuilder(str(tmp_path), "MAIN_one")
    for block in blocks_from_text("a.txt", read_text(str(FILES[0]))[:9000], 700):
        builder.add(block_document(block)[1])
    assert len(builder.finish()) == 1


def test_a_string_with_a_character_the_part_lacks_is_not_found(small_parts):
    parts, _ = small_parts
    assert all(len(part.find("临时党支部")) == 0 for part in parts)


def test_a_nul_in_the_text_is_a_character_and_never_joins_two_files(tmp_path):
    builder = PartBuilder(str(tmp_path), "MAIN_nul")
    for path, text in [("a.txt", "前文甲\x00"), ("b.txt", "乙后文\x00丙")]:
        for block in blocks_from_text(path, text):
            builder.add(block_document(block)[1])
    [part] = [Part(str(tmp_path / name)) for name in builder.finish()]
    assert part.find("甲\x00").tolist() == [2]
    assert part.find("\x00丙").tolist() == [8]
    assert part.find("\x00乙").tolist() == []  # the end of a.txt and the start of b.txt do not meet
