"""--ignore-punct against an oracle: a substring scan over the normalised text with its punctuation
(normalize.is_punctuation: Unicode's P* and S* categories) stripped, on real corpus text."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import OracleFile, needles
from corpus_search import build_index
from corpus_search.normalize import is_han, is_punctuation, normalize, strip_punctuation, to_script
from corpus_search.search import Searcher
from corpus_search.variants import fold
from test_cli import run


class StrippedFile:
    """One oracle file's normalised text (folded and as normalised) without its punctuation, and the
    normalised offset of each character kept."""

    def __init__(self, entry: OracleFile):
        self.entry = entry
        self.folded, self.kept = strip_punctuation(entry.folded)
        self.text = strip_punctuation(entry.text)[0]  # folding keeps punctuation as it is: same `kept`

    def starts(self, needle: str, folded: bool) -> list[int]:
        """Normalised offsets where `needle` starts in the stripped text (overlapping ones too)."""
        haystack, found = self.folded if folded else self.text, []
        at = haystack.find(needle)
        while at >= 0:
            found.append(self.kept[at])
            at = haystack.find(needle, at + 1)
        return found


@pytest.fixture(scope="session")
def stripped(oracle: list[OracleFile]) -> list[StrippedFile]:
    return [StrippedFile(entry) for entry in oracle]


@pytest.fixture(scope="session")
def marks_between_han(oracle: list[OracleFile]) -> list[tuple[int, int]]:
    """(file, offset) of punctuation marks with a Han character on each side, in the normalised text."""
    found = []
    for number, entry in enumerate(oracle):
        text = entry.text
        for index in range(1, len(text) - 1):
            if is_punctuation(text[index]) and is_han(text[index - 1]) and is_han(text[index + 1]):
                found.append((number, index))
    return found


def stripped_needles(typed: str, folded: bool) -> set[str]:
    """What a punctuation-blind search for the typed term looks for: its needles (conftest.needles, or
    the normalised term alone without folding) without punctuation, those as long as the term's."""
    own = strip_punctuation(normalize(typed).text)[0]
    found = needles(typed) if folded else {own}
    return {needle for needle in (strip_punctuation(each)[0] for each in found) if len(needle) == len(own)}


def oracle_starts(stripped: list[StrippedFile], typed: str, folded: bool = True) -> set[tuple[str, int]]:
    found = set()
    for needle in stripped_needles(typed, folded):
        for entry in stripped:
            found |= {(entry.entry.path, entry.entry.line_at(at)) for at in entry.starts(needle, folded)}
    return found


def hit_starts(searcher: Searcher, query: str, exact_script: bool = False) -> set[tuple[str, int]]:
    found = set()
    wanted = stripped_needles(query, not exact_script)
    for hit in searcher.run(query, exact_script=exact_script, ignore_punct=True).hits():
        assert hit.matches, f"hit without a match for {query!r}: {hit.passage}"
        for match in hit.matches:
            shown = strip_punctuation(normalize(match.text).text)[0]
            assert (shown if exact_script else fold(shown)) in wanted, (query, match.text)
            assert hit.passage.text[match.start : match.end] == match.text
        found |= {(hit.passage.path, match.line) for match in hit.matches}
    return found


@st.composite
def punctuated_query(draw, oracle: list[OracleFile], marks: list[tuple[int, int]]) -> str:
    """A 3–10 character window of real text around a punctuation mark between Han characters, typed
    as it stands, without its punctuation, or with other punctuation put in; in either script."""
    number, mark = draw(st.sampled_from(marks))
    length = draw(st.integers(3, 10))
    start = max(0, mark - draw(st.integers(1, length - 2)))
    window = oracle[number].text[start : start + length]
    assume(len(strip_punctuation(window)[0]) >= 2 and not window[0].isspace() and not window[-1].isspace())
    form = draw(st.sampled_from(["as written", "bare", "repunctuated"]))
    if form == "bare":
        window = strip_punctuation(window)[0]
    elif form == "repunctuated":
        bare = strip_punctuation(window)[0]
        cut = draw(st.integers(1, len(bare) - 1))
        window = (
            bare[:cut]
            + draw(st.sampled_from(["，", "。", "、", "；", "……", "「", ",", "!", "?", "*", "——"]))
            + bare[cut:]
        )
    assume(" " not in window and all(is_han(char) or is_punctuation(char) for char in window))
    # The query language's own characters (" ( ) and a leading -) stay syntax under --ignore-punct.
    assume(not any(char in '"()' for char in window) and not window.startswith("-"))
    return to_script(window, "t") if draw(st.booleans()) else window


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_terms_find_exactly_what_a_scan_of_the_text_without_punctuation_finds(
    data, oracle, stripped, marks_between_han, sample_searcher
):
    query = data.draw(punctuated_query(oracle, marks_between_han))
    assert hit_starts(sample_searcher, query) == oracle_starts(stripped, query)


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_exact_script_without_punctuation_finds_what_a_scan_without_folding_finds(
    data, oracle, stripped, marks_between_han, sample_searcher
):
    query = data.draw(punctuated_query(oracle, marks_between_han))
    assert hit_starts(sample_searcher, query, exact_script=True) == oracle_starts(stripped, query, folded=False)


def test_count_counts_every_occurrence_as_the_scan_does(oracle, stripped, marks_between_han, sample_searcher):
    picked = random.Random(7).sample(marks_between_han, 12)
    for number, mark in picked:
        query = strip_punctuation(oracle[number].text[mark - 2 : mark + 3])[0]
        expected: dict[str, int] = {}
        for needle in stripped_needles(query, folded=True):
            for entry in stripped:
                count = len(entry.starts(needle, folded=True))
                if count:
                    expected[entry.entry.path] = expected.get(entry.entry.path, 0) + count
        per_file = sample_searcher.run(query, ignore_punct=True).per_file()
        found = {path: occurrences for path, (occurrences, _) in per_file.items()}
        assert sum(found.values()) == sum(expected.values()) > 0, query
        assert sorted(found.values()) == sorted(expected.values()), query


def test_without_the_flag_punctuation_still_counts(oracle, marks_between_han, sample_searcher):
    number, mark = marks_between_han[len(marks_between_han) // 2]
    bare = strip_punctuation(oracle[number].text[mark - 3 : mark + 4])[0]
    assert sample_searcher.run(bare, ignore_punct=True).total > sample_searcher.run(bare).total >= 0


@pytest.fixture(scope="module")
def analects(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("analects")
    (folder / "punctuated.txt").write_text(
        "子曰：「学而时习之，不亦说乎？有朋自远方来，不亦乐乎？」\n", encoding="utf-8"
    )
    (folder / "bare.txt").write_text("子曰学而时习之不亦说乎有朋自远方来不亦乐乎\n", encoding="utf-8")
    index_dir = str(folder / "index")
    build_index([str(folder)], index_dir)
    return index_dir


def test_a_bare_query_finds_punctuated_text_and_the_other_way(analects):
    for query in ["学而时习之不亦说乎", "学而时习之，不亦说乎", "學而時習之，不亦說乎？"]:
        result = run("search", query, "--ignore-punct", "--index", analects, "--json")
        assert result.exit_code == 0, result.stderr
        matches = {
            json.loads(line)["path"].rsplit("/", 1)[-1]: json.loads(line)["matches"]
            for line in result.stdout.splitlines()
        }
        assert [match["text"] for match in matches["punctuated.txt"]] == ["学而时习之，不亦说乎"]
        assert matches["punctuated.txt"][0]["start"] == 4 and matches["punctuated.txt"][0]["end"] == 14
        assert [match["text"] for match in matches["bare.txt"]] == ["学而时习之不亦说乎"]
    plain = run("search", "学而时习之不亦说乎", "--index", analects, "-c")
    assert [line.rsplit("/", 1)[-1] for line in plain.stdout.splitlines()] == ["bare.txt:1"]


def test_every_query_command_takes_the_flag(analects):
    count = run("count", "习之，不亦", "--ignore-punct", "--index", analects)
    assert count.exit_code == 0 and count.stdout.split()[-3:] == ["2", "2", "total"]
    kwic = run("kwic", "时习之不", "--ignore-punct", "--index", analects, "--json")
    assert sorted(json.loads(line)["keyword"] for line in kwic.stdout.splitlines()) == ["时习之不", "时习之，不"]


def test_collocates_gather_the_words_around_every_punctuation_blind_occurrence(tmp_path):
    line = "子曰：学而时习之，不亦说乎？有朋自远方来，不亦乐乎？人不知而不愠，不亦君子乎？\n"
    (tmp_path / "lunyu.txt").write_text(line * 6, encoding="utf-8")
    index_dir = str(tmp_path / "index")
    build_index([str(tmp_path)], index_dir)

    def counts(*flags: str) -> dict[str, int]:
        result = run("collocates", "之不亦", "--index", index_dir, "--min-count", "1", "--json", *flags)
        return {row["word"]: row["count"] for row in map(json.loads, result.stdout.splitlines())}

    assert counts() == {}  # 之，不亦 only: nothing without the flag
    found = counts("--ignore-punct")
    assert found["说"] == 6 and found["学"] >= 6


def test_near_counts_characters_other_than_punctuation(analects):
    # 「子曰」 and 「学而」 are 0 characters apart once 「：「」 is skipped, and 2 apart as written.
    assert run("search", "子曰 NEAR/0 学而", "--ignore-punct", "--index", analects, "-c").stdout.count(":1") == 2
    assert run("search", "子曰 NEAR/0 学而", "--index", analects, "-c").stdout.count(":1") == 1
    assert run("search", "子曰 NEAR/1 学而", "--index", analects, "-c").stdout.count(":1") == 1


def test_a_query_of_punctuation_alone_is_refused(analects):
    result = run("search", "，。", "--ignore-punct", "--index", analects)
    assert result.exit_code == 2
    assert result.stderr == "cs: bad query: '，。' has nothing to search for once punctuation is ignored\n"


def test_ascii_wildcard_characters_are_punctuation_with_the_flag(analects):
    # Text pasted with ASCII ? and * is searched as text: they are punctuation here, not wildcards.
    result = run("search", "说乎?有朋*自远方", "--ignore-punct", "--index", analects, "--json")
    found = sorted(match["text"] for line in result.stdout.splitlines() for match in json.loads(line)["matches"])
    assert found == ["说乎有朋自远方", "说乎？有朋自远方"]
