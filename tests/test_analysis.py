"""Tokenizers keep Whoosh's contract, and a phrase over the chars field is a substring search."""

from __future__ import annotations

from whoosh.fields import ID, FieldType, Schema
from whoosh.filedb.filestore import RamStorage
from whoosh.query import Phrase

from corpus_search.analysis import (
    BOUNDARY,
    OWN_END,
    WORD_CHAR,
    CharPositions,
    CharTokenizer,
    chars_value,
    segment,
    word_counts,
    word_flags,
)
from corpus_search.normalize import normalize


def test_char_tokens_have_consecutive_positions_ending_at_own_end():
    tokens = [
        (t.text, t.pos, t.startchar, t.endchar)
        for t in CharTokenizer()("建立健全\uffff临时", positions=True, chars=True)
    ]
    assert [text for text, *_ in tokens] == list("建立健全临时")
    assert [pos for _, pos, _, _ in tokens] == list(range(OWN_END - 4, OWN_END + 2))
    value = "建立健全\uffff临时"
    assert all(value[start:end] == text for text, _, start, end in tokens)


def test_a_whoosh_phrase_over_chars_finds_a_word_broken_by_a_line_break():
    storage = RamStorage()
    schema = Schema(path=ID(stored=True), chars=FieldType(CharPositions(), CharTokenizer()))
    ix = storage.create_index(schema)
    with ix.writer() as writer:
        for path, text in [("a", "在一线建\n\n立健全组织"), ("b", "建立了健全的组织")]:
            writer.add_document(path=path, chars=chars_value(normalize(text).text, ""))
    with ix.searcher() as searcher:
        hits = searcher.search(Phrase("chars", list("建立健全")))
        assert [hit["path"] for hit in hits] == ["a"]


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
