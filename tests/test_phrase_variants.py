"""Phrase variants (phrases.py): characters OpenCC converts only inside phrases are found from the other
script through `cs search` and `cs count`, on the right characters, and only inside those phrases.

The texts are OpenCC's own test cases for these characters (tests/data/opencc_testcases.tsv, lines
401–417), one file per script; each query is typed as one file spells it and must find the other.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from corpus_search.cli import cli

TRADITIONAL = (
    "閻若璩著《潛丘劄記》。趙翼著《廿二史箚記》。\n兩軍扞拒於河上。春日穿袷衣、袷裙。\n"
    "公文逕行下達，雨水逕流入河。取一坏土，織坏布。\n"
)
SIMPLIFIED = (
    "阎若璩著《潜丘札记》。赵翼著《廿二史札记》。\n两军捍拒于河上。春日穿夹衣、夹裙。\n"
    "公文径行下达，雨水径流入河。取一坯土，织坯布。\n坏人做了坏事。\n"
)

# (query as typed, the file that spells it otherwise, how that file spells it): each a conversion of
# OpenCC's, in the direction OpenCC converts it.
CROSS_SCRIPT = [
    ("潛丘劄記", "simplified.txt", "潜丘札记"),  # t2s: 劄 → 札
    ("丘劄記", "simplified.txt", "丘札记"),
    ("潜丘札记", "traditional.txt", "潛丘劄記"),  # s2t: the phrase 潜丘札记 → 潛丘劄記
    ("廿二史箚記", "simplified.txt", "廿二史札记"),  # t2s: 箚 → 札
    ("扞拒", "simplified.txt", "捍拒"),  # t2s: 扞 → 捍 (but 扞格 stays)
    ("袷衣", "simplified.txt", "夹衣"),  # t2s: 袷 → 夹
    ("袷裙", "simplified.txt", "夹裙"),
    ("逕行", "simplified.txt", "径行"),  # t2s: 逕 → 径
    ("逕流", "simplified.txt", "径流"),
    ("径行", "traditional.txt", "逕行"),  # s2t: the phrase 径行 → 逕行
    ("径流", "traditional.txt", "逕流"),
    ("一坏", "simplified.txt", "一坯"),  # t2s: the phrase 一坏 → 一坯
    ("坏布", "simplified.txt", "坯布"),
]


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("phrase-variants")
    (folder / "texts").mkdir()
    (folder / "texts" / "traditional.txt").write_text(TRADITIONAL, encoding="utf-8")
    (folder / "texts" / "simplified.txt").write_text(SIMPLIFIED, encoding="utf-8")
    index_dir = str(folder / "index")
    assert run("index", str(folder / "texts"), "--index", index_dir, "--quiet").exit_code == 0
    return index_dir


def hits(index: str, query: str, *options: str) -> list[dict]:
    result = run("search", query, "--index", index, "--json", "--limit", "0", *options)
    assert result.exit_code in (0, 1), result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def matched(records: list[dict]) -> dict[str, list[str]]:
    """File name → the text of each match, checked against the offsets into the passage."""
    found: dict[str, list[str]] = {}
    for record in records:
        for match in record["matches"]:
            assert record["text"][match["start"] : match["end"]] == match["text"]
            found.setdefault(record["path"].rsplit("/", 1)[-1], []).append(match["text"])
    return found


def counted(index: str, query: str, *options: str) -> dict[str, int]:
    result = run("count", query, "--index", index, "--json", *options)
    records = [json.loads(line) for line in result.stdout.splitlines()]
    return {record["path"].rsplit("/", 1)[-1]: record["occurrences"] for record in records if record["path"]}


@pytest.mark.parametrize(("query", "other_file", "spelled"), CROSS_SCRIPT)
def test_found_from_the_other_script_on_the_right_characters(index, query, other_file, spelled):
    own_file = "traditional.txt" if other_file == "simplified.txt" else "simplified.txt"
    records = hits(index, query)
    assert matched(records) == {own_file: [query], other_file: [spelled]}
    assert records[0]["path"].endswith(own_file)  # spelled as typed ranks first
    assert counted(index, query) == {own_file: 1, other_file: 1}


@pytest.mark.parametrize(("query", "other_file", "spelled"), CROSS_SCRIPT)
def test_exact_script_finds_only_the_spelling_typed(index, query, other_file, spelled):
    own_file = "traditional.txt" if other_file == "simplified.txt" else "simplified.txt"
    assert matched(hits(index, query, "--exact-script")) == {own_file: [query]}
    assert counted(index, query, "--exact-script") == {own_file: 1}


def test_a_near_pair_uses_the_alternatives_of_its_terms(index):
    found = matched(hits(index, "扞拒 NEAR/2 河上"))
    assert found == {"traditional.txt": ["扞拒", "河上"], "simplified.txt": ["捍拒", "河上"]}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("坏人", {"simplified.txt": ["坏人"]}),  # everyday 'bad': not 坯
        ("坏", {"traditional.txt": ["坏", "坏"], "simplified.txt": ["坏", "坏"]}),
        ("坯", {"simplified.txt": ["坯", "坯"]}),  # not the traditional 坏 of 一坏土, 坏布
        ("坯布", {"simplified.txt": ["坯布"]}),  # OpenCC converts 坏布 to 坯布, not back
    ],
)
def test_the_characters_meet_only_inside_the_phrases(index, query, expected):
    assert matched(hits(index, query)) == expected
    assert counted(index, query) == {path: len(found) for path, found in expected.items()}


def test_alternatives_change_the_script_not_the_word():
    from corpus_search.phrases import alternatives

    assert alternatives("扞拒", "扞拒") == ("捍拒",)
    assert alternatives("潜丘札记", "潜丘札记") == ("潜丘劄记",)
    assert alternatives("明月", "明月") == ()
    assert alternatives("鼠标", "鼠标") == ()  # s2twp's 滑鼠 is another word: not searched
    assert alternatives("建立", "建立") == ()  # nor tw2sp's 创建


def test_an_alternative_of_another_length_is_left_out():
    from corpus_search.phrases import CONVERSIONS, Conversions, alternatives

    shorter = {name: ((False, ("table",)),) for name in CONVERSIONS}
    conversions = Conversions.of(shorter, {"table": {"方便面": "泡麵", "扞拒": "捍拒"}})
    assert alternatives("方便面", "方便面", conversions) == ()
    assert alternatives("扞拒", "扞拒", conversions) == ("捍拒",)


def test_a_pattern_has_no_alternatives():
    from corpus_search.query import parse

    assert parse("扞*").alternatives == ()
    assert parse("扞拒").alternatives == ("捍拒",)


def test_the_conversions_give_opencc_s_own_test_cases():
    """Every test case of the six conversions, converted as OpenCC converts it (up to folding), with the
    full dictionaries and with the reduced tables the search uses."""
    from pathlib import Path

    from corpus_search.phrases import CONVERSIONS, build_conversions, convert
    from corpus_search.variants import fold

    lines = (Path(__file__).parent / "data" / "opencc_testcases.tsv").read_text(encoding="utf-8").splitlines()
    cases = [line.split("\t") for line in lines if line and not line.startswith("#")]
    chosen = [(conversion, simplified, other) for conversion, simplified, other in cases if conversion in CONVERSIONS]
    assert len(chosen) == 304
    full, reduced = build_conversions(reduced=False), build_conversions()
    for conversion, simplified, other in chosen:
        given, expected = (simplified, other) if conversion.startswith("s2") else (other, simplified)
        assert fold(convert(given, conversion, full)) == fold(expected), (conversion, given)
        assert fold(convert(given, conversion, reduced)) == fold(expected), (conversion, given)
