"""The query language: what parses to what, and one clear error for what does not."""

from __future__ import annotations

import pytest

from corpus_search.errors import CorpusSearchError
from corpus_search.query import And, Not, Or, Term, explain, parse, positive_terms


def test_terms_are_anded_and_normalised():
    assert parse("臨時 党支部") == And((Term("臨時", "临时"), Term("党支部", "党支部")))


def test_precedence_is_not_then_and_then_or():
    assert explain(parse("a b OR c -d")) == '(("a" AND "b") OR ("c" AND NOT "d"))'
    assert explain(parse("(a OR b) NOT c")) == '(("a" OR "b") AND NOT "c")'


def test_a_phrase_is_normalised_as_a_whole():
    assert parse('"临时 党支部"') == Term("临时 党支部", "临时党支部", quoted=True)
    assert parse('"New  York"') == Term("New  York", "new york", quoted=True)


def test_a_hyphen_inside_a_word_is_not_negation():
    assert parse("covid-19") == Term("covid-19", "covid-19")
    assert parse("-x") == Not(Term("x", "x"))


def test_lower_case_operator_words_are_terms():
    assert parse("a or b") == And((Term("a", "a"), Term("or", "or"), Term("b", "b")))


def test_positive_terms_skip_negated_ones():
    assert [term.normalized for term in positive_terms(parse("a (b OR -c) NOT d"))] == ["a", "b"]
    assert positive_terms(parse("NOT a")) == []
    assert isinstance(parse("a OR b"), Or)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "bad query: it is empty"),
        ("   ", "bad query: it is empty"),
        ('"临时', 'bad query: a " is not closed'),
        ("(临时", "bad query: a ( is not closed"),
        ("临时)", "bad query: a ) has no ("),
        ("()", "bad query: empty ( )"),
        ("OR", "bad query: OR has nothing before it"),
        ("临时 OR", "bad query: an operator has nothing after it"),
        ("AND 临时", "bad query: AND has nothing before it"),
        ("NOT", "bad query: an operator has nothing after it"),
        ('""', "bad query: '' has nothing to search for"),
        ("临时 NEAR/ 支部", "bad query: NEAR/ needs a number of characters, like NEAR/5"),
        ("临时 NEAR/-1 支部", "bad query: NEAR/ needs a number of characters, like NEAR/5"),
        ("临时 ADJ/五 支部", "bad query: ADJ/ needs a number of characters, like ADJ/5"),
        ("临时 NEAR/5x 支部", "bad query: NEAR/ needs a number of characters, like NEAR/5"),
    ],
)
def test_malformed_queries_say_what_is_wrong(query, message):
    with pytest.raises(CorpusSearchError) as raised:
        parse(query)
    assert str(raised.value) == message


def test_wildcards_make_a_pattern_in_bare_terms_only():
    from corpus_search.query import WILDCARD_RUN

    assert parse("臨時*支部") == Term(
        "臨時*支部", "临时*支部", parts=("临时", "支部"), gaps=((0, 0), (0, WILDCARD_RUN), (0, 0))
    )
    assert parse("临?党").gaps == ((0, 0), (1, 1), (0, 0))
    assert parse("?临??").gaps == ((1, 1), (2, 2))
    assert parse("临?*党").gaps[1] == (1, 1 + WILDCARD_RUN)
    assert not parse('"临?党"').is_pattern
    assert not parse("什么？").is_pattern  # a full-width question mark is itself


def test_near_and_adj_join_two_terms():
    from corpus_search.query import Near

    assert parse("临时 NEAR/5 支部") == Near(Term("临时", "临时"), Term("支部", "支部"), 5, ordered=False)
    assert parse("临时 ADJ 支部") == Near(Term("临时", "临时"), Term("支部", "支部"), 10, ordered=True)
    assert explain(parse("a NEAR/3 b c")) == '(("a" NEAR/3 "b") AND "c")'
    assert positive_terms(parse("a NEAR/3 b -c")) == [Term("a", "a"), Term("b", "b")]
    assert parse("near/3").normalized == "near/3"  # lower case is a word
