"""codetable.CodeTable: a str.translate table applied in C to long texts gives what str.translate gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from corpus_search import codetable
from corpus_search.codetable import CodeTable, dense_table
from corpus_search.variants import fold_table

ALPHABET = "中文的字符風雨後ＡＢ１，。İ \n\udc80𠮷a"


@settings(max_examples=150, deadline=None)
@given(st.text(st.sampled_from(ALPHABET), max_size=300), st.booleans())
def test_a_table_called_is_str_translate(text, as_strings):
    mapping = {ord("风"): ord("風"), ord("Ａ"): ord("a"), ord("𠮷"): ord("吉"), 0x2C7AF: 1, ord("，"): ord(",")}
    table = CodeTable({code: chr(value) if as_strings else value for code, value in mapping.items()})
    table._slow = codetable.BUDGET  # the dense array from the first long text on
    assert table(text) == text.translate(table.mapping)


def test_the_fold_table_through_the_dense_array_is_str_translate(corpus_dir):
    poems = (corpus_dir / "tang" / "全唐诗_poet.tang.0.txt").read_text(encoding="utf-8")
    text = (poems * (50_000 // len(poems) + 1))[:50_000]  # the sample's file is shorter than that
    table, expected = CodeTable(fold_table()), text.translate(fold_table())
    assert expected != text
    assert table(text) == expected  # under the budget: str.translate itself
    assert table._dense is None
    assert table(text) == table(text) == expected
    assert table._dense  # built once the budget was spent


def test_a_table_that_is_not_one_to_one_keeps_str_translate():
    assert not dense_table({ord("a"): "bc"}) and not dense_table({ord("a"): None}) and not dense_table({})
    table = CodeTable({ord("a"): "bc", ord("d"): None})
    table._slow = codetable.BUDGET
    assert table("ad" * 100) == "bc" * 100
