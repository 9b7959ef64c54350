"""jieba words, word flags and word counts of normalised text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from corpus_search.analysis import BOUNDARY, WORD_CHAR, cut, segment, word_characters, word_counts, word_flags


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


PIECES = ["人才", "他是", "啊", "。", " ", "\r\n", "\t", "hello", "A1", "，", "临时党支部"]


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
    assert "".join(words.pieces) == own and words.ends[-1:] == ([len(own)] if own else [])
    assert list(words) == segment(own) and word_counts(words) == word_counts(segment(own))
