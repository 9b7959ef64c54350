"""Any query at all gets hits, no hits, or one line of error (exit 2): never a Traceback, never a hang."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpus_search.cli import cli
from corpus_search.errors import CorpusSearchError
from corpus_search.search import Searcher

OPERATORS = ["AND", "OR", "NOT", "and", "NEAR/2", "ADJ/-1", "NEAR", "-", "(", ")", '"']
PIECES = [*OPERATORS, " ", "\t", "\n", "临时", "党支部", "臨時", "黨", "ａ", "72 名"]
CONTROL = st.characters(min_codepoint=0, max_codepoint=0x1F)
ANY_TEXT = st.characters(blacklist_categories=["Cs"])  # lone surrogates cannot reach argv or a str query
HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)

queries = st.one_of(
    st.lists(st.one_of(st.sampled_from(PIECES), st.text(HAN, max_size=4)), max_size=12).map("".join),
    st.lists(st.one_of(st.sampled_from(PIECES), st.text(ANY_TEXT, max_size=6)), max_size=12).map(" ".join),
    st.text(st.one_of(CONTROL, HAN, st.sampled_from('()"- ')), max_size=30),
    st.text(ANY_TEXT, min_size=500, max_size=3000),
)

FUZZ = settings(
    max_examples=10_000,
    deadline=1000,  # milliseconds: a query that takes longer than a second counts as a hang
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)

# The CLI adds argv and the printers to the parser that the API test drives 10,000 times; at 4,000
# queries (the first of the same derandomized run) it stays within the suite's 15 minutes on 2 cores.
CLI_FUZZ = settings(FUZZ, max_examples=4_000)


@pytest.fixture(scope="module")
def seeds_searcher(seeds_index):
    with Searcher(seeds_index) as searcher:
        yield searcher


@FUZZ
@given(query=queries)
def test_the_api_answers_or_says_what_is_wrong(seeds_searcher, query):
    try:
        result = seeds_searcher.run(query)
    except CorpusSearchError as error:
        assert str(error).startswith("bad query: ") and "\n" not in str(error)
        return
    shown = list(result.hits(5))
    assert len(shown) == min(5, result.total)
    for hit in shown:
        assert all(hit.passage.text[m.start : m.end] == m.text for m in hit.matches)


@CLI_FUZZ
@given(words=st.lists(queries.map(lambda q: q.replace("\x00", "")), min_size=1, max_size=3))
def test_the_cli_answers_or_says_what_is_wrong(seeds_index, words):
    args = [word for word in words if word.strip() not in ("-h", "--help")]
    if not args:
        return
    result = CliRunner().invoke(cli, ["search", *args, "--index", seeds_index], catch_exceptions=False)
    assert "Traceback" not in result.stdout + result.stderr
    if result.exit_code == 2:
        assert result.stdout == ""
        assert result.stderr.startswith("cs: ") and result.stderr.count("\n") == 1
    else:
        assert result.exit_code in (0, 1)
        assert (result.exit_code == 1) == (result.stdout == "")
