"""The matching contract: what normalisation does to text, and that offsets lead back to the original."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from corpus_search.loader import read_text
from corpus_search.normalize import is_cjk, join_whitespace, joined_text, normalize


def test_pdf_line_breaks_inside_words_are_joined():
    assert normalize("建\n\n立健全").text == "建立健全"
    assert normalize("彭城\n\n先锋").text == "彭城先锋"


def test_spaces_around_numbers_next_to_han_are_removed():
    assert normalize("72 名").text == "72名"
    assert normalize("全市共有 629 名基层干部").text == "全市共有629名基层干部"


def test_hard_wrapped_novel_lines_are_joined():
    assert normalize("惯\r\n\r\n    看秋月春风").text == "惯看秋月春风"


def test_whitespace_between_latin_words_collapses_to_one_space():
    assert normalize("  Hello \t\n  World  ").text == "hello world"


def test_traditional_becomes_simplified():
    assert normalize("臨時黨組織").text == "临时党组织"


def test_full_width_ascii_becomes_half_width_and_lower_case():
    assert normalize("ＣＯＶＩＤ－１９").text == "covid-19"
    assert normalize("ＡＢＣ def").text == "abc def"


def test_ideographic_space_counts_as_whitespace():
    assert normalize("党\u3000支部").text == "党支部"


def test_full_width_punctuation_is_cjk_but_full_width_letters_are_not():
    assert is_cjk("，") and is_cjk("。") and is_cjk("“")
    assert not is_cjk("Ａ") and not is_cjk("a")


def python_join_whitespace(text: str) -> tuple[str, list[int]]:
    """Step 1 as the regex and is_cjk state it, one run at a time: the oracle of the kernel."""
    pieces, to_original, kept_from = [], [], 0
    for run in re.finditer(r"[\s\u200b\ufeff]+", text):
        start, end = run.span()
        pieces.append(text[kept_from:start])
        to_original.extend(range(kept_from, start))
        kept_from = end
        if not (start == 0 or end == len(text) or is_cjk(text[start - 1]) or is_cjk(text[end])):
            pieces.append(" ")
            to_original.append(start)
    pieces.append(text[kept_from:])
    to_original.extend(range(kept_from, len(text)))
    return "".join(pieces), [*to_original, len(text)]


# Every kind of whitespace (Unicode's, the zero-width space, a byte-order mark), CJK and its punctuation,
# full-width letters and digits (not CJK) beside full-width punctuation (CJK), a character of extension
# B, a lone surrogate, and Latin.
WHITESPACE_ALPHABET = (
    " \t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u1680\u2000\u2028\u202f\u3000\u200b\ufeff"
    "中黨，。“”—…·\u3001\uff0c\uff10\uff21\uff41\uff5e\uff61\uff65\U00020000\ud800aZ1-_"
)


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=st.sampled_from(WHITESPACE_ALPHABET), max_size=30))
def test_whitespace_is_joined_as_the_regex_and_is_cjk_say(text):
    expected = python_join_whitespace(text)
    assert join_whitespace(text) == expected
    assert joined_text(text) == expected[0]


def test_whitespace_of_real_text_is_joined_as_the_regex_and_is_cjk_say(corpus_dir):
    for path in sorted(corpus_dir.rglob("*.txt")):
        text = read_text(str(path))
        assert join_whitespace(text) == python_join_whitespace(text), path.name


def test_offsets_point_at_the_original_characters():
    text = "臨時\n\n黨組織 ＡＢ"
    normalized = normalize(text)
    assert normalized.text == "临时党组织ab"
    assert [text[i] for i in normalized.to_original[:-1]] == list("臨時黨組織ＡＢ")
    assert normalized.to_original[-1] == len(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("臨时黨党组 \n\r\u3000\tＡa1，。“"), max_size=40))
def test_to_original_rises_and_stays_in_bounds(text):
    normalized = normalize(text)
    to_original = normalized.to_original
    assert len(to_original) == len(normalized.text) + 1
    assert all(a < b for a, b in zip(to_original, to_original[1:], strict=False))
    assert all(0 <= index <= len(text) for index in to_original)
    for index, char in enumerate(normalized.text):
        original = text[to_original[index]]
        assert char == " " if original.isspace() else normalize(original).text == char


def test_normalising_twice_changes_nothing_on_real_text(corpus_dir):
    for path in [corpus_dir / "novels" / "红楼梦.txt", corpus_dir / "tang" / "全唐诗_poet.tang.0.txt"]:
        sample = read_text(str(path))[:20000]
        once = normalize(sample).text
        assert normalize(once).text == once


def _t2s_keys() -> list[str]:
    """The phrase keys of OpenCC's t2s tables."""
    from corpus_search.normalize import _converter

    converter = _converter("t2s")
    converter._init_dict()
    *phrase_tables, _ = converter._dict_chain_data[0]
    return sorted({key for _, _, table in phrase_tables for key in table})


def _t2s_pieces() -> list[str]:
    """What t2s text is made of: phrase keys of its tables, characters of its table, OpenCC's separators."""
    from corpus_search.normalize import _fast_conversion

    fast = _fast_conversion("t2s")
    keys = _t2s_keys()
    return (
        sorted(keys)[::7] + [chr(code) for code in sorted(fast.characters.mapping)[::50]] + list("，。 \n\t-、…「」ab1")
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_t2s_pieces()), max_size=40))
def test_the_fast_t2s_is_opencc_s_own(pieces):
    # One translate for the whole text, OpenCC again for each run between separators with a phrase key.
    from corpus_search.normalize import _converter, _fast_conversion, _fast_convert

    text = "".join(pieces)
    converter = _converter("t2s")
    assert _fast_convert(text, converter, _fast_conversion("t2s")) == converter.convert(text)


def _longest_first(keys) -> re.Pattern:
    return re.compile("|".join(map(re.escape, sorted(keys, key=len, reverse=True))))


@settings(max_examples=300, deadline=None)
@given(st.sets(st.text("ab一上不", min_size=1, max_size=4), min_size=1, max_size=12), st.text("ab一上不c", max_size=60))
def test_the_factored_phrase_pattern_finds_what_the_keys_longest_first_find(keys, text):
    from corpus_search.normalize import _trie_pattern

    factored = re.compile(_trie_pattern(sorted(keys)))
    assert [m.span() for m in factored.finditer(text)] == [m.span() for m in _longest_first(keys).finditer(text)]


def test_the_factored_t2s_pattern_finds_what_the_keys_longest_first_find_in_real_text(corpus_dir):
    from corpus_search.normalize import _fast_conversion

    text = "".join(read_text(str(path)) for path in sorted(corpus_dir.rglob("*.txt")))[:2_000_000]
    found = [m.span() for m in _fast_conversion("t2s").phrases.finditer(text)]
    assert len(found) > 20
    assert found == [m.span() for m in _longest_first(_t2s_keys()).finditer(text)]


def test_the_fast_t2s_is_opencc_s_own_on_real_text(corpus_dir):
    from corpus_search.normalize import _converter, _fast_conversion, _fast_convert

    converter = _converter("t2s")
    for path in [corpus_dir / "novels" / "红楼梦.txt", corpus_dir / "tang" / "全唐诗_poet.tang.0.txt"]:
        text = read_text(str(path))[:200_000]
        assert _fast_convert(text, converter, _fast_conversion("t2s")) == converter.convert(text)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_t2s_pieces()), max_size=8).map("".join), max_size=12))
def test_texts_converted_in_one_batch_are_each_converted_alone(texts):
    from corpus_search.normalize import to_simplified, to_simplified_each

    assert to_simplified_each(texts) == [to_simplified(text) for text in texts]
