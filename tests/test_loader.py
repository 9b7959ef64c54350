"""Passages and blocks: they cover the file exactly, and know their lines."""

from __future__ import annotations

import bisect
import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from corpus_search import _kernels as kernels
from corpus_search.formats import DEFAULT_GLOBS
from corpus_search.loader import (
    LONG_PASSAGE,
    MAX_PASSAGE,
    SHORT_PASSAGE,
    blocks_from_text,
    decode,
    find_files,
    line_starts,
    passage_bounds,
    read_text,
)
from corpus_search.markup import LINE_MARK
from corpus_search.normalize import normalize
from corpus_search.store import Layout


def line_of(starts: list[int], offset: int) -> int:
    """The 1-based line holding `offset`, given `line_starts(text)`: the oracle of line numbers."""
    return bisect.bisect_right(starts, offset) + 1


# The regexes that cut passages before passage_bounds was one pass in C: its oracle.
_SENTENCE_END = re.compile(r"[。！？!?；;…．]+[”’」』）》〉】\"')\]]*")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_WEAK_BREAK = re.compile(r"[，,、：:]|\r\n|\r|\n|\s")
_LEADING_SPACE = re.compile(r"[\s\u200b\ufeff]*")
_LEADING_SPACE_OR_LINE_MARK = re.compile(rf"[\s\u200b\ufeff{LINE_MARK}]*")


def _forced_cut(text: str, start: int) -> int:
    window = text[start : start + MAX_PASSAGE]
    best = -1
    for weak in _WEAK_BREAK.finditer(window):
        if weak.end() > MAX_PASSAGE // 2:
            best = weak.end()
    return start + (best if best > 0 else len(window))


def passage_bounds_by_regex(text: str, begin: int = 0, markup: bool = False) -> list[int]:
    leading = _LEADING_SPACE_OR_LINE_MARK if markup else _LEADING_SPACE
    starts: list[int] = []
    start = leading.match(text, begin).end()
    if start == len(text):
        return starts
    starts.append(start)
    for end_match in _SENTENCE_END.finditer(text, start):
        end = end_match.end()
        if end <= start:
            continue
        while end - start > MAX_PASSAGE:
            start = leading.match(text, _forced_cut(text, start)).end()
            starts.append(start)
        if end <= start:
            continue
        space = leading.match(text, end).group()
        breaks = len(_LINE_BREAK.findall(space))
        length = end - start
        if (breaks >= 2 or (breaks == 1 and length >= SHORT_PASSAGE)) or length >= LONG_PASSAGE:
            next_start = end + len(space)
            if next_start >= len(text):
                return starts
            start = next_start
            starts.append(start)
    while len(text) - start > MAX_PASSAGE:
        cut = leading.match(text, _forced_cut(text, start)).end()
        if cut >= len(text):
            break
        start = cut
        starts.append(start)
    return starts


# Every kind of character the cut looks at: sentence ends and closing marks (ASCII and full width),
# weak breaks, each line break, whitespace of other kinds (U+3000, U+2028, U+00A0, U+000C), the
# zero-width space, the byte-order mark, the line mark, and text; runs of text make sentences long.
_PASSAGE_PIECES = [
    *"。！？!?；;…．",
    *"”’」』）》〉】\"')]",
    *"，,、：:",
    *("\n", "\r", "\r\n", "\n\n", " ", "\t", "\u3000", "\u2028", "\u00a0", "\x0c", "\u200b", "\ufeff", LINE_MARK),
    *("字", "a", "字" * 30, "词语" * 45, "𠮷"),
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PASSAGE_PIECES), max_size=80), st.booleans(), st.integers(0, 12))
@example(["字" * 30] * 7 + ["。"], False, 0)  # a sentence cut three times before it ends
@example(["字" * 30] * 4 + ["\r"] + ["字" * 30] * 3, False, 0)  # a cut after a break at the window's edge
@example(["字" * 30] * 3 + ["字" * 9, "，"] + ["字" * 30] * 4, False, 0)  # a comma that ends at half the window
def test_passages_are_cut_where_the_regexes_cut_them(pieces, markup, begin):
    text = "".join(pieces)
    assert passage_bounds(text, begin, markup) == passage_bounds_by_regex(text, begin, markup)


def test_passages_of_real_text_are_cut_where_the_regexes_cut_them(corpus_dir):
    for path in sorted(corpus_dir.rglob("*.txt")):
        text = read_text(str(path))
        assert passage_bounds(text) == passage_bounds_by_regex(text), path.name


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from("a字\n\r\u2028\x0c "), max_size=60), st.data())
def test_line_numbers_are_one_more_than_the_breaks_before(text, data):
    offsets = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=12)))
    starts = line_starts(text)
    assert kernels.line_numbers(text, offsets) == [line_of(starts, offset) for offset in offsets]


def test_line_numbers_refuse_offsets_that_fall_or_leave_the_text():
    for offsets in ([2, 1], [0, 4], [-1]):
        with pytest.raises(ValueError):
            kernels.line_numbers("a\nb", offsets)


def test_lines_end_at_lf_crlf_and_cr_only():
    text = "a\nb\r\nc\rd\u2028e\x0cf"
    starts = line_starts(text)
    assert [line_of(starts, text.index(char)) for char in "abcdef"] == [1, 2, 3, 4, 4, 4]


def test_a_poem_is_one_passage():
    text = "帝京篇十首 一\n太宗皇帝\n秦川雄帝宅，函谷壯皇居。\n綺殿千尋起，離宮百雉餘。\n\n帝京篇十首 二\n"
    starts = passage_bounds(text)
    assert [text[start:][:6] for start in starts] == ["帝京篇十首 ", "帝京篇十首 "]


def test_a_long_paragraph_is_cut_after_sentences():
    sentence = "一" * 60 + "。"
    text = sentence * 5
    starts = passage_bounds(text)
    assert starts == [0, 122, 244]


def test_a_sentence_without_punctuation_is_cut_at_max_length():
    text = "字" * (MAX_PASSAGE * 3 + 5)
    starts = passage_bounds(text)
    assert starts == [0, MAX_PASSAGE, 2 * MAX_PASSAGE, 3 * MAX_PASSAGE]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("字词。！？，\n\r \u3000”a"), max_size=900), st.integers(50, 400))
def test_blocks_cover_the_text_and_its_normalised_form(text, block_chars):
    blocks = list(blocks_from_text("f", text, block_chars))
    assert "".join(block.text for block in blocks) == text.lstrip(" \n\r\u3000")
    assert "".join(block.normalized for block in blocks) == normalize(text).text
    starts = line_starts(text)
    offset = len(text) - len(text.lstrip(" \n\r\u3000"))
    for block in blocks:
        for index, text_start in enumerate(block.text_starts):
            assert block.lines[index] == line_of(starts, offset + text_start)
        offset += len(block.text)
        layout = Layout.from_bytes(Layout.encode(block))  # the passage_starts column, read back
        assert Layout.passages(Layout.encode(block)) == len(block.text_starts) == len(layout.lines)
        assert list(layout.norm_starts) == [*block.norm_starts, len(block.normalized)]
        assert list(layout.text_starts) == [*block.text_starts, len(block.text)]
        assert list(layout.lines) == block.lines


def test_real_files_cut_into_bounded_passages(corpus_dir):
    text = read_text(str(corpus_dir / "novels" / "水浒传.txt"))
    blocks = list(blocks_from_text("水浒传.txt", text))
    assert "".join(block.text for block in blocks) == text.lstrip()
    lengths = [len(block.passage_text(index).rstrip()) for block in blocks for index in range(len(block.text_starts))]
    assert max(lengths) <= MAX_PASSAGE
    assert 20 < sum(lengths) / len(lengths) < MAX_PASSAGE


def test_find_files_walks_in_order_and_skips_other_names(tmp_path):
    (tmp_path / "b").mkdir()
    for name in ["b/2.txt", "a.txt", "b/1.txt", "c.md", "b/d.pdf", "notes.log"]:
        (tmp_path / name).write_text("字", encoding="utf-8")
    found = [source.path for source in find_files([str(tmp_path)])]
    assert found == [str(tmp_path / "a.txt"), str(tmp_path / "b" / "1.txt"), str(tmp_path / "b" / "2.txt")]
    found = [source.path for source in find_files([str(tmp_path)], DEFAULT_GLOBS)]
    assert found == [str(tmp_path / name) for name in ["a.txt", "c.md", "b/1.txt", "b/2.txt", "b/d.pdf"]]
    (tmp_path / "E.TXT").write_text("字", encoding="utf-8")
    assert str(tmp_path / "E.TXT") not in [source.path for source in find_files([str(tmp_path)], DEFAULT_GLOBS)]
    found = [source.path for source in find_files([str(tmp_path)], DEFAULT_GLOBS, ignore_case=True)]
    assert found[:3] == [str(tmp_path / name) for name in ["E.TXT", "a.txt", "c.md"]]


def test_decode_reads_boms_and_legacy_encodings(corpus_dir):
    text = read_text(str(corpus_dir / "novels" / "西游记.txt"))[:3000]
    assert decode(text.encode("utf-8-sig")).text == text
    assert decode(text.encode("utf-16")).text == text
    assert decode(text.encode("gb18030")).text == text
