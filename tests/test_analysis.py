"""jieba words, word flags and word counts of normalised text."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from conftest import word_count_lines
from corpus_search.analysis import (
    BOUNDARY,
    WORD_CHAR,
    Words,
    cut,
    is_collocate,
    segment,
    word_characters,
    word_counts,
    word_flags,
)
from corpus_search.normalize import HAN_RANGES, is_han


def test_jieba_loads_its_dictionary_from_its_file_without_pkg_resources_then_from_its_cache(tmp_path):
    # A new process with an empty temporary folder: no jieba.cache, so jieba reads dict.txt itself,
    # through its fallback for a missing pkg_resources; its cut is the one this process's jieba makes.
    code = (
        "import sys; from corpus_search.analysis import cut; pieces = cut(sys.argv[1]).pieces; "
        "print(hasattr(sys.modules['jieba._compat'], 'pkg_resources'), '/'.join(pieces))"
    )
    text = "临时党支部在北京大学开会"
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code, text], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.split() == ["False", "/".join(cut(text).pieces)]
    assert (tmp_path / "jieba.cache").is_file()
    # Then from the cache jieba wrote, read whole (analysis._WholeFileMarshal): what marshal.load reads.
    code = (
        "import marshal, sys, jieba; from corpus_search.analysis import _WholeFileMarshal, segmenter; "
        "tokenizer = segmenter(); cache = open(sys.argv[1], 'rb'); "
        "print(jieba.marshal is _WholeFileMarshal, (tokenizer.FREQ, tokenizer.total) == marshal.load(cache))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "jieba.cache")], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.split() == ["True", "True"]


def test_segment_gives_offsets_and_drops_whitespace():
    text = "临时党支部 hello world"
    words = segment(text)
    assert all(text[start:end] == word for word, start, end in words)
    assert " " not in [word for word, _, _ in words]


def test_word_flags_mark_boundaries_and_word_characters():
    own, lookahead = "他是人才啊。", "A，2"
    flags = word_flags(own, lookahead)
    assert len(flags) == len(own) + len(lookahead) + 1
    assert [i for i, flag in enumerate(flags) if flag & BOUNDARY] == [0, 1, 2, 4, 5, 6]
    assert [i for i, flag in enumerate(flags) if flag & WORD_CHAR] == [0, 1, 2, 3, 4, 6, 8]


def test_word_counts_skip_punctuation():
    words = segment("人才，人才。")
    assert word_counts(words).decode() == "人才\t2\n"


def flags_word_by_word(own: str, lookahead: str) -> bytes:
    """word_flags as a loop over the words: BOUNDARY at each one's start and end, and at len(own)."""
    flags = bytearray(word_characters(own + lookahead))
    for _, start, end in segment(own):
        flags[start] |= BOUNDARY
        flags[end] |= BOUNDARY
    flags[len(own)] |= BOUNDARY
    return bytes(flags)


PIECES = ["人才", "他是", "啊", "。", " ", "\r\n", "\t", "\u3000", "hello", "A1", "，", "临时党支部", "𠮷", "\u200b"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(PIECES), max_size=25),
    st.text(st.sampled_from("A，2 人"), max_size=4),
)
def test_word_flags_are_each_word_s_start_and_end(pieces, lookahead):
    # Whitespace first, doubled, between words and last: only the offsets where a word starts or ends.
    own = "".join(pieces)
    assert word_flags(own, lookahead) == flags_word_by_word(own, lookahead)
    words = cut(own)
    assert "".join(words.pieces) == own
    assert [own[start:end] for _, start, end in words] == [piece for piece in words.pieces if not piece.isspace()]
    assert list(words) == segment(own) and word_counts(words) == word_counts(segment(own))


# Characters at both edges of every Han range and of the ranges around them, and some that str.isalnum
# takes outside Han (letters and digits of other scripts, a superscript two, a Roman numeral).
EDGES = [chr(code) for first, last in HAN_RANGES for code in (first - 1, first, last, last + 1)]
OTHERS = ["é", "Ж", "٣", "²", "Ⅻ", "_", "·", "\u3000", "a", "Z", "9", "〇", "ー"]


@settings(max_examples=300, deadline=None)
@given(
    st.text(st.one_of(st.characters(), st.sampled_from(EDGES + OTHERS)), max_size=30),
    st.text(st.one_of(st.characters(), st.sampled_from(EDGES + OTHERS)), max_size=5),
)
@example("", "\x02")  # the regex version marked WORD_CHAR with this character, and took it for one
def test_word_characters_are_the_letters_digits_and_han(own, lookahead):
    expected = bytes(WORD_CHAR if char.isalnum() or is_han(char) else 0 for char in own + lookahead) + b"\0"
    assert word_characters(own + lookahead) == expected
    flags = word_flags(own, lookahead)
    assert bytes(flag & WORD_CHAR for flag in flags) == expected
    assert flags[len(own)] & BOUNDARY
    assert all(char.isalnum() or is_han(char) for char in own + lookahead if is_collocate(char))


def test_word_flags_refuse_pieces_that_are_not_the_text():
    for pieces in (["人", "才"], ["人才！", "！"], ["人才！！"]):  # shorter or longer than the text
        with pytest.raises(ValueError):
            word_flags("人才！", words=Words(pieces))


def counted_in_python(pieces: list[str]) -> bytes:
    """word_counts as it was written in Python: a Counter of the pieces, the collocates kept in the order
    each first occurs, then word_count_lines."""
    counts = Counter(pieces)
    return word_count_lines((word, count) for word, count in counts.items() if is_collocate(word))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(PIECES + EDGES + OTHERS + ["\ud800", "人\ud800", "_", "__a"]),
            st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=3),
        ),
        max_size=40,
    )
)
def test_word_counts_are_the_counted_collocates_in_their_first_order(pieces):
    words = Words(pieces)
    assert word_counts(words) == counted_in_python(pieces)


def test_word_counts_of_real_blocks_are_the_counted_collocates(corpus_dir):
    from corpus_search.loader import blocks_from_text, read_text

    path = corpus_dir / "novels" / "红楼梦.txt"
    for block in list(blocks_from_text(str(path), read_text(str(path))))[:3]:
        words = cut(block.normalized)
        assert len(words.pieces) > 10_000
        assert word_counts(words) == counted_in_python(words.pieces)
