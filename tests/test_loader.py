"""Passages and blocks: they cover the file exactly, and know their lines."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from corpus_search.formats import DEFAULT_GLOBS
from corpus_search.loader import (
    MAX_PASSAGE,
    blocks_from_text,
    decode,
    find_files,
    line_of,
    line_starts,
    passage_bounds,
    read_text,
)
from corpus_search.normalize import normalize


def test_lines_end_at_lf_crlf_and_cr_only():
    text = "a\nb\r\nc\rd\u2028e\x0cf"
    starts = line_starts(text)
    assert [line_of(starts, text.index(char)) for char in "abcdef"] == [1, 2, 3, 4, 4, 4]


def test_a_poem_is_one_passage():
    text = "帝京篇十首 一\n太宗皇帝\n秦川雄帝宅，函谷壯皇居。\n綺殿千尋起，離宮百雉餘。\n\n帝京篇十首 二\n"
    starts = passage_bounds(text)
    assert [text[start:][:6] for start in starts] == ["帝京篇十首 ", "帝京篇十首 "]


def test_a_long_paragraph_is_cut_after_sentences():
    sentence = "一" * 60 + "。"
    text = sentence * 5
    starts = passage_bounds(text)
    assert starts == [0, 122, 244]


def test_a_sentence_without_punctuation_is_cut_at_max_length():
    text = "字" * (MAX_PASSAGE * 3 + 5)
    starts = passage_bounds(text)
    assert starts == [0, MAX_PASSAGE, 2 * MAX_PASSAGE, 3 * MAX_PASSAGE]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("字词。！？，\n\r \u3000”a"), max_size=900), st.integers(50, 400))
def test_blocks_cover_the_text_and_its_normalised_form(text, block_chars):
    blocks = list(blocks_from_text("f", text, block_chars))
    assert "".join(block.text for block in blocks) == text.lstrip(" \n\r\u3000")
    assert "".join(block.normalized for block in blocks) == normalize(text).text
    starts = line_starts(text)
    offset = len(text) - len(text.lstrip(" \n\r\u3000"))
    for block in blocks:
        for index, text_start in enumerate(block.text_starts):
            assert block.lines[index] == line_of(starts, offset + text_start)
        offset += len(block.text)


def test_real_files_cut_into_bounded_passages(corpus_dir):
    text = read_text(str(corpus_dir / "novels" / "水浒传.txt"))
    blocks = list(blocks_from_text("水浒传.txt", text))
    assert "".join(block.text for block in blocks) == text.lstrip()
    lengths = [len(block.passage_text(index).rstrip()) for block in blocks for index in range(len(block.text_starts))]
    assert max(lengths) <= MAX_PASSAGE
    assert 20 < sum(lengths) / len(lengths) < MAX_PASSAGE


def test_find_files_walks_in_order_and_skips_other_names(tmp_path):
    (tmp_path / "b").mkdir()
    for name in ["b/2.txt", "a.txt", "b/1.txt", "c.md", "b/d.pdf", "notes.log"]:
        (tmp_path / name).write_text("字", encoding="utf-8")
    found = [source.path for source in find_files([str(tmp_path)])]
    assert found == [str(tmp_path / "a.txt"), str(tmp_path / "b" / "1.txt"), str(tmp_path / "b" / "2.txt")]
    found = [source.path for source in find_files([str(tmp_path)], DEFAULT_GLOBS)]
    assert found == [str(tmp_path / name) for name in ["a.txt", "c.md", "b/1.txt", "b/2.txt", "b/d.pdf"]]
    (tmp_path / "E.TXT").write_text("字", encoding="utf-8")
    assert str(tmp_path / "E.TXT") not in [source.path for source in find_files([str(tmp_path)], DEFAULT_GLOBS)]
    found = [source.path for source in find_files([str(tmp_path)], DEFAULT_GLOBS, ignore_case=True)]
    assert found[:3] == [str(tmp_path / name) for name in ["E.TXT", "a.txt", "c.md"]]


def test_decode_reads_boms_and_legacy_encodings(corpus_dir):
    text = read_text(str(corpus_dir / "novels" / "西游记.txt"))[:3000]
    assert decode(text.encode("utf-8-sig")).text == text
    assert decode(text.encode("utf-16")).text == text
    assert decode(text.encode("gb18030")).text == text
