"""jieba words, word flags and word counts of normalised text."""

from __future__ import annotations

from corpus_search.analysis import BOUNDARY, WORD_CHAR, segment, word_counts, word_flags


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
