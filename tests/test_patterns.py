"""Wildcards and NEAR/ADJ against an oracle: a regular expression, and a scan for pairs, over the
normalised text of real files."""

from __future__ import annotations

import bisect
import re

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import OracleFile, needles
from corpus_search.errors import CorpusSearchError
from corpus_search.loader import blocks_from_text, read_text
from corpus_search.normalize import is_han, normalize, to_script
from corpus_search.variants import fold
from test_search import hit_starts, oracle_starts

# str.isalnum(): a letter, digit or Han character. analysis.py also counts Han code points this Python's
# Unicode database lacks (extension H and later on 3.11); the corpus has none, and an alternation here
# makes the regex scans many times slower.
WORD = r"[^\W_]"


def oracle_regex(query: str) -> tuple[re.Pattern, str, int]:
    """The documented meaning of a pattern: `?` one word character, `*` 0…10 of them (the shortest
    that matches), literal pieces normalised and folded. Also its first literal piece and how many
    characters come before it, so a scan can jump to where a match may start."""
    pieces, first, before = [], "", 0
    for piece in re.split(r"([*?]+)", query):
        if not piece:
            continue
        if piece[0] in "*?":
            fewest = piece.count("?")
            pieces.append(f"{WORD}{{{fewest},{fewest + 10}}}?" if "*" in piece else f"{WORD}{{{fewest}}}")
            if not first:
                before = fewest
        else:
            literal = fold(normalize(piece).text)
            pieces.append(re.escape(literal))
            first = first or literal
    return re.compile("".join(pieces)), first, before


def pattern_starts(oracle: list[OracleFile], query: str) -> set[tuple[str, int]]:
    """(path, line) of every start where the regular expression matches."""
    regex, first, before = oracle_regex(query)
    found = set()
    for entry in oracle:
        at = entry.folded.find(first)
        while at >= 0:
            if at >= before and regex.match(entry.folded, at - before):
                found.add((entry.path, entry.line_at(at - before)))
            at = entry.folded.find(first, at + 1)
    return found


@st.composite
def pattern(draw, oracle: list[OracleFile]) -> str:
    """A 3–8 character Han run of a real file, in either script, with wildcards put into it: `?` for
    some characters, `*` for a run of 0–3, and sometimes a `?` at either end."""
    number = draw(st.integers(0, len(oracle) - 1))
    length = draw(st.integers(3, 8))
    start = draw(st.integers(0, max(0, len(oracle[number].text) - length)))
    text = oracle[number].text[start : start + length]
    assume(len(text) == length and all(is_han(char) for char in text))
    if draw(st.booleans()):
        text = to_script(text, "t")
    chars = list(text)
    for index in draw(st.sets(st.integers(1, length - 2), min_size=1, max_size=2)):
        chars[index] = "?"
    if draw(st.booleans()):
        at = draw(st.integers(1, length - 2))
        chars[at : at + draw(st.integers(0, 3))] = ["*"]
    if draw(st.booleans()):
        chars.insert(0 if draw(st.booleans()) else len(chars), "?")
    query = "".join(chars)
    assume(query.strip("*?"))
    return query


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_patterns_find_exactly_what_the_regex_finds(data, oracle, sample_searcher):
    query = data.draw(pattern(oracle))
    assert hit_starts(sample_searcher, query) == pattern_starts(oracle, query)


def test_a_pattern_without_wildcards_is_a_term(oracle, sample_searcher):
    assert pattern_starts(oracle, "孫悟空") == oracle_starts(oracle, "孫悟空") == hit_starts(sample_searcher, "孫悟空")


@pytest.mark.parametrize(
    "query", ["第?回", "临时*支部", "宝?", "?玉", "花*月", "不?不", "孙*空", "看秋*", "臨?黨", "三?*人"]
)
def test_chosen_patterns_find_what_the_regex_finds(query, oracle, sample_searcher):
    expected = pattern_starts(oracle, query)
    assert expected, query
    assert hit_starts(sample_searcher, query) == expected


def test_a_wildcard_stands_for_word_characters_only(tmp_path):
    from corpus_search import build_index, search

    (tmp_path / "a.txt").write_text(
        "临时党支部。临，党。第1章。第１章。临时很大的党支部。临时，党支部。\n", encoding="utf-8"
    )
    index_dir = str(tmp_path / "index")
    build_index([str(tmp_path)], index_dir)

    def found(query: str) -> list[str]:
        return [match.text for hit in search(query, index_dir) for match in hit.matches]

    assert found("临?党") == ["临时党"]
    assert sorted(found("第?章")) == ["第1章", "第１章"]
    assert sorted(found("临时*支部")) == sorted(["临时党支部", "临时很大的党支部"])
    assert found('"临?党"') == []  # quoted: the characters themselves
    assert sorted(found("临时?*支部")) == sorted(["临时党支部", "临时很大的党支部"])
    assert found("临时??支部") == []


@pytest.mark.parametrize("query", ["*", "??", "a NEAR/ b", "NEAR/3 b", "a NEAR/3 b NEAR/3 c", "(a OR b) NEAR c"])
def test_malformed_patterns_and_near_are_errors(query, sample_searcher):
    with pytest.raises(CorpusSearchError, match="bad query"):
        sample_searcher.run(query)


# -- NEAR / ADJ ----------------------------------------------------------------------------------


class PassageOracle:
    """A file's normalised, folded text with its passages (from the loader), for pair scans."""

    def __init__(self, entry: OracleFile):
        self.entry = entry
        text = read_text(entry.path)
        self.passages = []
        offset = 0
        pieces = []
        for block in blocks_from_text(entry.path, text):
            self.passages += [
                (offset + start, offset + end)
                for start, end in zip(block.norm_starts, [*block.norm_starts[1:], len(block.normalized)], strict=True)
            ]
            pieces.append(block.normalized)
            offset += len(block.normalized)
        assert "".join(pieces) == entry.text

    def pair_starts(self, first: str, second: str, distance: int, ordered: bool) -> set[tuple[str, int]]:
        """(path, line) of both terms of every pair in one passage (both start in it) that is close enough."""
        folded = self.entry.folded
        starts = [start for start, _ in self.passages]
        found = set()
        firsts, seconds = needles(first), needles(second)
        for a in (span for needle in firsts for span in _spans(folded, needle, 0, len(folded))):
            start, end = self.passages[bisect.bisect_right(starts, a[0]) - 1]
            for b in (span for needle in seconds for span in _spans(folded, needle, start, end)):
                if 0 <= b[0] - a[1] <= distance or (not ordered and 0 <= a[0] - b[1] <= distance):
                    found |= {(self.entry.path, self.entry.line_at(a[0])), (self.entry.path, self.entry.line_at(b[0]))}
        return found


def _spans(text: str, needle: str, start: int, end: int) -> list[tuple[int, int]]:
    """Spans of `needle` that start in [start, end) (and may run past `end`)."""
    spans = []
    stop = end + len(needle) - 1  # str.find looks no further than where a match starting before end ends
    at = text.find(needle, start, stop)
    while 0 <= at < end:
        spans.append((at, at + len(needle)))
        at = text.find(needle, at + 1, stop)
    return spans


@pytest.fixture(scope="module")
def passage_oracle(oracle: list[OracleFile]) -> list[PassageOracle]:
    return [PassageOracle(entry) for entry in oracle]


@st.composite
def near_query(draw, oracle: list[OracleFile]) -> tuple[str, str, int, bool]:
    """Two Han runs of a real file close to each other, and a distance that may or may not cover them."""
    number = draw(st.integers(0, len(oracle) - 1))
    text = oracle[number].text
    first_length, second_length = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    start = draw(st.integers(0, max(0, len(text) - 20)))
    second_start = start + first_length + draw(st.integers(0, 8))
    first, second = text[start : start + first_length], text[second_start : second_start + second_length]
    assume(len(first) == first_length and len(second) == second_length)
    assume(all(is_han(char) for char in first + second))
    if draw(st.booleans()):
        first, second = second, first
    return first, second, draw(st.integers(0, 10)), draw(st.booleans())


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_near_finds_exactly_the_pairs_a_scan_finds(data, oracle, passage_oracle, sample_searcher):
    first, second, distance, ordered = data.draw(near_query(oracle))
    query = f"{first} {'ADJ' if ordered else 'NEAR'}/{distance} {second}"
    expected = set()
    for entry in passage_oracle:
        expected |= entry.pair_starts(first, second, distance, ordered)
    assert hit_starts(sample_searcher, query) == expected


def test_near_either_order_and_adj_one(sample_searcher):
    near = sample_searcher.run("宝玉 NEAR/3 黛玉").total
    forward = sample_searcher.run("宝玉 ADJ/3 黛玉").total
    backward = sample_searcher.run("黛玉 ADJ/3 宝玉").total
    assert 0 < forward < near and 0 < backward < near
    assert near <= forward + backward
    assert sample_searcher.run("宝玉 NEAR 黛玉").total == sample_searcher.run("宝玉 NEAR/10 黛玉").total


def test_a_pattern_over_a_repeated_character(tmp_path):
    # Every 哈 may start every part. A backtracking regex tries 11^k ways per failing start; cs keeps
    # partial answers, so this is quick and agrees with the regex where the regex can run (3 parts).
    from corpus_search import build_index
    from corpus_search.search import Searcher

    text = "哈" * 3000 + "x。哈哈x\n"
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    index_dir = str(tmp_path / "index")
    build_index([str(tmp_path)], index_dir)

    def found(query: str) -> tuple[list[tuple[int, int]], list[str]]:
        """Spans from the postings (one block, so offsets in the file) and match texts from the hits."""
        with Searcher(index_dir) as searcher:
            result = searcher.run(query)
            spans = sorted(span for found in searcher.unit_spans(result.units[0]).values() for span in found)
            texts = sorted(match.text for hit in result.hits() for match in hit.matches)
        return spans, texts

    regex, _, _ = oracle_regex("哈*哈*哈*x")
    expected = [(m.start(), m.end()) for at in range(len(text)) if (m := regex.match(text, at))]
    assert found("哈*哈*哈*x") == (expected, sorted(text[start:end] for start, end in expected))
    # Eight 哈 and up to 10 characters after each: a start can reach x (offset 3000) from 88 before it.
    spans, texts = found("哈*哈*哈*哈*哈*哈*哈*哈*x")
    assert spans == [(start, 3001) for start in range(3000 - 88, 3000 - 8 + 1)]
    assert texts == sorted(text[start:end] for start, end in spans)
