"""The compiled kernels (_kernels.c) against plain numpy and Python oracles, on arbitrary arrays."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydivsufsort import divsufsort

from conftest import word_count_lines
from corpus_search import _kernels as kernels
from corpus_search.analysis import BOUNDARY, WORD_CHAR, read_word_counts
from corpus_search.matching import _pairs_by_passage, _shortest_in_arrays, pairs_in_passages, shortest_matches
from corpus_search.query import Near, Term
from corpus_search.reader import Located, common, rising, without
from corpus_search.segment import _dense_codes, passage_buckets

SETTINGS = settings(max_examples=150, deadline=None)

codes_lists = st.lists(st.integers(0, 5), min_size=0, max_size=60)


@SETTINGS
@given(codes_lists, st.lists(st.integers(0, 6), min_size=1, max_size=4), st.booleans())
def test_sa_range_holds_exactly_the_suffixes_that_start_with_the_pattern(codes, pattern, wide):
    array = np.asarray(codes, dtype=np.uint32 if wide else np.uint16)
    sa = np.empty(len(array), dtype=np.int32)
    kernels.suffix_array(array, sa)
    low, high = kernels.sa_range(array, sa, np.asarray(pattern, dtype=np.uint32))
    expected = {i for i in range(len(codes)) if codes[i : i + len(pattern)] == pattern}
    assert set(sa[low:high].tolist()) == expected
    assert high - low == len(expected)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.integers(0, 3), max_size=200), st.booleans())
def test_suffix_array_sorts_every_suffix_as_python_sorts_the_lists(codes, wide):
    """Small alphabets, so that long repeats (SA-IS's recursion) are common; a suffix that is a prefix of
    another sorts first, as lists compare."""
    array = np.asarray(codes, dtype=np.uint32 if wide else np.uint16)
    out = np.full(len(codes), -1, dtype=np.int32)
    kernels.suffix_array(array, out)
    assert out.tolist() == sorted(range(len(codes)), key=lambda start: codes[start:])


def test_suffix_array_is_divsufsorts_on_real_text_repeated_text_and_code_points(corpus_dir):
    """Real text as a part's dense uint16 codes, the same text four times over (a corpus of copies,
    where divsufsort is slowest), and raw code points as uint32; against pydivsufsort, a sort of
    another algorithm (it sorts the 2n or 4n bytes and keeps the starts of whole codes)."""
    text = "".join(path.read_text(encoding="utf-8-sig") for path in sorted(corpus_dir.rglob("*.txt")))[: 1 << 20]
    points = np.frombuffer(text.encode("utf-32-le", errors="surrogatepass"), dtype=np.uint32)
    _, codes = _dense_codes(points)
    assert codes.dtype == np.uint16 and len(codes) > 100_000
    for array in (codes, np.tile(codes[: 1 << 17], 4), points):
        out = np.empty(len(array), dtype=np.int32)
        kernels.suffix_array(array, out)
        assert np.array_equal(out, divsufsort(array))


def test_suffix_array_refuses_what_it_cannot_sort():
    with pytest.raises(ValueError, match="out is not as long"):
        kernels.suffix_array(np.zeros(3, dtype=np.uint16), np.zeros(2, dtype=np.int32))
    with pytest.raises(TypeError, match="unexpected item size"):
        kernels.suffix_array(np.zeros(3, dtype=np.uint8), np.zeros(3, dtype=np.int32))
    with pytest.raises(ValueError, match="code of 2"):
        kernels.suffix_array(np.asarray([1, 2**31], dtype=np.uint32), np.zeros(2, dtype=np.int32))
    empty = np.zeros(0, dtype=np.int32)
    kernels.suffix_array(np.zeros(0, dtype=np.uint16), empty)
    one = np.full(1, 7, dtype=np.int32)
    kernels.suffix_array(np.asarray([5], dtype=np.uint16), one)
    assert one.tolist() == [0]


@SETTINGS
@given(
    st.lists(st.integers(-5, 60), max_size=40),
    st.lists(st.integers(-5, 60), max_size=40),
    st.booleans(),
    st.booleans(),
)
def test_rising_is_searchsorted_whether_or_not_the_keys_rise(values, keys, right, rise):
    values = np.sort(np.asarray(values, dtype=np.int64))
    keys = np.asarray(sorted(keys) if rise else keys, dtype=np.int64)
    side = "right" if right else "left"
    assert rising(values, keys, right).tolist() == np.searchsorted(values, keys, side=side).tolist()


@SETTINGS
@given(st.sets(st.integers(-5, 60), max_size=40), st.sets(st.integers(-5, 60), max_size=40))
def test_common_and_without_are_numpys_set_operations(first, second):
    first = np.asarray(sorted(first), dtype=np.int64)
    second = np.asarray(sorted(second), dtype=np.int64)
    assert common(first, second).tolist() == np.intersect1d(first, second).tolist()
    assert common(second, first).tolist() == np.intersect1d(first, second).tolist()
    assert without(first, second).tolist() == np.setdiff1d(first, second).tolist()


def _place_oracle(starts, ends, block_start, block_end, live, passage_start, flags):
    """reader.place as it was written in numpy before the kernel."""
    block = np.searchsorted(block_start, starts, side="right") - 1
    safe = np.maximum(block, 0)
    keep = (block >= 0) & (starts < block_end[safe]) & live[safe]
    starts, ends, block = starts[keep], ends[keep], block[keep]
    whole = ((flags[starts] & BOUNDARY) != 0) & ((ends >= block_end[block]) | ((flags[ends] & BOUNDARY) != 0))
    passage = np.searchsorted(passage_start, starts, side="right") - 1
    return starts, ends, block, passage, whole


@st.composite
def parts(draw):
    """A part's block and passage tables over `length` positions, and occurrences in it."""
    length = draw(st.integers(1, 80))
    cuts = sorted(draw(st.sets(st.integers(0, length - 1), min_size=1, max_size=8)))
    block_start = np.asarray(cuts, dtype=np.int64)
    block_end = np.asarray([min(end, length) for end in [*cuts[1:], length]], dtype=np.int64)
    block_end = np.maximum(block_start, block_end - draw(st.integers(0, 2)))  # a gap: separators
    live = np.asarray(draw(st.lists(st.booleans(), min_size=len(cuts), max_size=len(cuts))), dtype=bool)
    passage_start = np.asarray(sorted(draw(st.sets(st.integers(0, length - 1), min_size=1, max_size=20))))
    flags = np.asarray(draw(st.lists(st.integers(0, 255), min_size=length + 1, max_size=length + 1)), dtype=np.uint8)
    starts = np.asarray(sorted(draw(st.lists(st.integers(0, length - 1), max_size=30))), dtype=np.int64)
    sizes = np.asarray(draw(st.lists(st.integers(0, 3), min_size=len(starts), max_size=len(starts))), dtype=np.int64)
    ends = np.minimum(starts + sizes, length)
    return starts, ends, block_start, block_end, live, passage_start.astype(np.int64), flags


@SETTINGS
@given(
    parts(),
    st.tuples(st.integers(0, 100), st.integers(0, 100), st.integers(0, 100)),
    st.one_of(st.none(), st.integers(0, 4)),
)
def test_place_is_the_numpy_placement(part, offsets, shift):
    """With the part's passage buckets (segment.passage_buckets, runs of 2**shift) or without."""
    starts, ends, block_start, block_end, live, passage_start, flags = part
    out = [np.full(len(starts) + 2, -7, dtype=np.int64) for _ in range(4)]
    whole = np.zeros(len(starts) + 2, dtype=bool)
    buckets = None if shift is None else passage_buckets(passage_start, len(flags) - 1, shift)
    found = kernels.place(
        starts.astype(np.int32), ends, 0, block_start, block_end, live, passage_start, flags, BOUNDARY, buckets,
        shift or 0, offsets, *out, whole, 2,
    )  # fmt: skip
    start, end, block, passage, expected_whole = _place_oracle(*part)
    assert found == len(start)
    assert out[0][2 : 2 + found].tolist() == (start + offsets[0]).tolist()
    assert out[1][2 : 2 + found].tolist() == (end + offsets[0]).tolist()
    assert out[2][2 : 2 + found].tolist() == (block + offsets[2]).tolist()
    assert out[3][2 : 2 + found].tolist() == (passage + offsets[1]).tolist()
    assert whole[2 : 2 + found].tolist() == expected_whole.tolist()
    assert out[0][:2].tolist() == [-7, -7]  # nothing written before `out_at`


def test_place_refuses_out_arrays_that_are_too_short():
    starts = np.asarray([0, 1], dtype=np.int64)
    table = np.asarray([0], dtype=np.int64)
    out = [np.empty(1, dtype=np.int64) for _ in range(4)]
    with pytest.raises(ValueError):
        kernels.place(
            starts, None, 1, table, np.asarray([5]), np.ones(1, dtype=bool), table, np.zeros(6, dtype=np.uint8),
            BOUNDARY, None, 0, (0, 0, 0), *out, np.empty(1, dtype=bool), 0,
        )  # fmt: skip


def test_place_refuses_too_few_buckets():
    starts, table = np.asarray([0, 1], dtype=np.int64), np.asarray([0], dtype=np.int64)
    out = [np.empty(2, dtype=np.int64) for _ in range(4)]
    buckets = np.zeros(2, dtype=np.int32)  # positions 0..5 in runs of 2 need 3
    with pytest.raises(ValueError, match="buckets"):
        kernels.place(
            starts, None, 1, table, np.asarray([5]), np.ones(1, dtype=bool), table, np.zeros(6, dtype=np.uint8),
            BOUNDARY, buckets, 1, (0, 0, 0), *out, np.empty(2, dtype=bool), 0,
        )  # fmt: skip


@SETTINGS
@given(
    st.lists(st.integers(0, 4), min_size=1, max_size=40),
    st.data(),
)
def test_spelled_reads_the_text_as_normalised(codes, data):
    alphabet = np.asarray([0x4E00 + code for code in range(5)], dtype=np.uint32)
    codes = np.asarray(codes, dtype=np.uint16)
    diff_at = np.asarray(sorted(data.draw(st.sets(st.integers(0, len(codes) - 1), max_size=10))), dtype=np.int64)
    diff_char = np.asarray(
        data.draw(st.lists(st.sampled_from([0x4E00, 0x4E01, 0x9F98]), min_size=len(diff_at), max_size=len(diff_at))),
        dtype=np.uint32,
    )
    length = data.draw(st.integers(1, min(3, len(codes))))
    starts = np.asarray(sorted(data.draw(st.lists(st.integers(0, len(codes) - length), max_size=15))), dtype=np.int64)
    typed = np.asarray(data.draw(st.lists(st.sampled_from([0x4E00, 0x4E01, 0x9F98]), min_size=length, max_size=length)))
    written = alphabet[codes].copy()
    written[diff_at] = diff_char
    expected = [written[start : start + length].tolist() == typed.tolist() for start in starts.tolist()]
    out = np.empty(len(starts), dtype=bool)
    kernels.spelled(starts, codes, alphabet, diff_at, diff_char, typed.astype(np.uint32), out)
    assert out.tolist() == expected


def _located(spans: list[tuple[int, int, int]]) -> Located:
    spans = sorted(spans)
    passage, start, end = (np.asarray([span[i] for span in spans], dtype=np.int64) for i in range(3))
    return Located(start, end, passage, np.zeros(len(spans), dtype=np.int64), np.ones(len(spans), dtype=bool))


occurrences = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 30), st.integers(1, 3)).map(lambda t: (t[0], t[0] * 100 + t[1], t[2])),
    max_size=12,
).map(lambda spans: [(passage, start, start + size) for passage, start, size in spans])


@SETTINGS
@given(occurrences, occurrences, st.integers(0, 6), st.booleans(), st.booleans())
def test_near_pairs_in_c_are_the_pairs_found_passage_by_passage(left, right, distance, ordered, same):
    left_located = _located(list(dict.fromkeys(left)))
    right_located = left_located if same else _located(list(dict.fromkeys(right)))
    near = Near(Term("a", "a"), Term("b", "b"), distance, ordered)
    expected = _pairs_by_passage(left_located, right_located, near, lambda end, start: start - end)
    assert pairs_in_passages(left_located, right_located, near) == expected


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 6), st.booleans(), st.booleans()), max_size=30), st.booleans())
def test_tally_counts_each_passage_as_numpy_does(rows, all_exact):
    rows = sorted(rows, key=lambda row: row[0])
    passage = np.asarray([row[0] for row in rows], dtype=np.int64)
    whole = np.asarray([row[1] for row in rows], dtype=bool)
    exact = np.ones(len(rows), dtype=bool) if all_exact else np.asarray([row[2] for row in rows], dtype=bool)
    located = Located(passage * 10, passage * 10 + 1, passage, np.zeros(len(rows), dtype=np.int64), whole)
    tally = located.tally(None if all_exact else exact)
    distinct = np.unique(passage)
    assert tally.passages.tolist() == distinct.tolist()
    assert tally.count.tolist() == [int((passage == p).sum()) for p in distinct]
    assert tally.whole.tolist() == [int((whole & (passage == p)).sum()) for p in distinct]
    assert tally.exact.tolist() == [int((exact & (passage == p)).sum()) for p in distinct]


@SETTINGS
@given(
    st.lists(st.tuples(st.integers(0, 6), st.booleans(), st.booleans()), max_size=30),
    st.sets(st.integers(0, 7), max_size=8),
    st.booleans(),
)
def test_tally_in_is_the_tally_of_the_occurrences_in_those_passages(rows, wanted, all_exact):
    rows = sorted(rows, key=lambda row: row[0])
    passage = np.asarray([row[0] for row in rows], dtype=np.int64)
    whole = np.asarray([row[1] for row in rows], dtype=bool)
    exact = np.asarray([row[2] for row in rows], dtype=bool)
    start = np.arange(len(rows), dtype=np.int64) * 3  # rising, and says which occurrence it is
    located = Located(start, start + 1, passage, np.zeros(len(rows), dtype=np.int64), whole)
    passages = np.asarray(sorted(wanted), dtype=np.int64)
    asked = []

    def spelled(starts):
        asked.append(starts.tolist())
        return exact[starts // 3]

    tally = located.tally_in(passages, None if all_exact else spelled)
    inside = np.isin(passage, passages) if len(passages) < len(np.unique(passage)) else np.ones(len(rows), bool)
    expected = located.where(inside).tally(None if all_exact else exact[inside])
    assert asked == ([] if all_exact else [start[inside].tolist()])
    for name in ("passages", "count", "whole", "exact"):
        assert getattr(tally, name).tolist() == getattr(expected, name).tolist(), name


@SETTINGS
@given(
    st.lists(st.tuples(st.integers(1, 40), st.integers(0, 40), st.integers(1, 3000)), max_size=40),
    st.floats(0.01, 12),
    st.floats(1, 500),
    st.floats(0, 1),
)
def test_bm25_in_c_is_the_numpy_formula_to_the_last_bit(rows, idf, average_length, weight):
    count = np.asarray([row[0] for row in rows], dtype=np.int64)
    whole = np.minimum(count, [row[1] for row in rows]).astype(np.int64)
    length = np.asarray([row[2] for row in rows], dtype=np.int64)
    start = np.linspace(0, 3, len(rows))  # the score of the terms before
    k1, b = 1.2, 0.75
    norms = np.multiply(length, b, dtype=float)
    norms /= average_length
    norms += 1 - b
    norms *= k1
    weighted = np.subtract(count, whole, dtype=float)
    weighted *= weight
    weighted += whole
    term = np.multiply(weighted, idf)
    term *= k1 + 1
    weighted += norms
    term /= weighted
    expected = start + term
    scores = start.copy()
    kernels.bm25(count, whole, length, scores, idf, k1, b, average_length, weight)
    assert scores.tobytes() == expected.tobytes()


def test_bm25_refuses_arrays_that_do_not_fit():
    ints, scores = np.ones(3, dtype=np.int64), np.zeros(3)
    with pytest.raises(ValueError):
        kernels.bm25(ints[:2], ints, ints, scores, 1.0, 1.2, 0.75, 10.0, 0.5)
    with pytest.raises(TypeError):
        kernels.bm25(ints, ints, ints, ints.copy(), 1.0, 1.2, 0.75, 10.0, 0.5)


@st.composite
def patterns(draw):
    """A pattern of one or two literal parts over a short text of word characters (flags), and where
    each part starts in it."""
    size = draw(st.integers(1, 40))
    flags = np.asarray(draw(st.lists(st.sampled_from([0, WORD_CHAR]), min_size=size + 1, max_size=size + 1)))
    flags = flags.astype(np.uint8)
    lengths = draw(st.lists(st.integers(1, 2), min_size=1, max_size=2))
    gaps = [(draw(st.integers(0, 2)), 0)]
    if len(lengths) == 2:
        fewest = draw(st.integers(0, 2))
        gaps.append((fewest, fewest + draw(st.integers(0, 4))))
    gaps.append((draw(st.integers(0, 2)), 0))
    starts = [sorted(draw(st.sets(st.integers(0, size - 1), max_size=12))) for _ in lengths]
    own_length = draw(st.integers(0, size))
    parts = tuple("a" * length for length in lengths)
    return Term("p", "p", parts=parts, gaps=tuple(gaps)), flags, starts, own_length


@SETTINGS
@given(patterns())
def test_shortest_in_c_is_the_lazy_loop(pattern):
    term, flags, starts, own_length = pattern
    per_part = [np.asarray(found, dtype=np.int64) for found in starts]
    got_starts, got_ends = _shortest_in_arrays(term, flags, per_part, own_length)
    later = [set(found) for found in starts[1:]]
    expected = shortest_matches(term, bytes(flags), starts[0], later, own_length)
    assert list(zip(got_starts.tolist(), got_ends.tolist(), strict=True)) == expected


@SETTINGS
@given(
    st.text(st.sampled_from("a中é𠀀\udc80 。\n"), max_size=40),
    st.lists(st.integers(0, 45), max_size=8),
)
def test_utf8_offsets_are_the_lengths_of_the_encoded_prefixes(text, chars):
    data = text.encode("utf-8", errors="surrogatepass")
    wanted = np.asarray(chars, dtype=np.int64)  # rising or not
    out = np.empty(len(wanted), dtype=np.int64)
    kernels.utf8_offsets(data, wanted, out)
    assert out.tolist() == [len(text[:each].encode("utf-8", errors="surrogatepass")) for each in chars]


def _words_walked(flags: bytes, length: int, start: int, end: int, count: int) -> list[tuple[int, int]]:
    """The words around one span walked one offset at a time: the loops collocates ran in Python."""
    found, left, at = [], [], min(start, length)
    while at > 0 and not flags[at] & BOUNDARY:
        at -= 1
    while at > 0 and len(left) < count:
        begin = at - 1
        while begin > 0 and not flags[begin] & BOUNDARY:
            begin -= 1
        if any(flags[offset] & WORD_CHAR for offset in range(begin, at)):
            left.append((begin, at))
        at = begin
    found += left
    right, at = [], end
    while at < length and not flags[at] & BOUNDARY:
        at += 1
    while at < length and len(right) < count:
        stop = at + 1
        while stop < length and not flags[stop] & BOUNDARY:
            stop += 1
        if any(flags[offset] & WORD_CHAR for offset in range(at, stop)):
            right.append((at, stop))
        at = stop
    return found + right


@SETTINGS
@given(
    st.lists(st.sampled_from([0, BOUNDARY, WORD_CHAR, BOUNDARY | WORD_CHAR]), min_size=1, max_size=40),
    st.lists(st.tuples(st.integers(0, 42), st.integers(0, 4)), max_size=6),
    st.integers(1, 4),
)
def test_windows_in_c_are_the_words_walked_one_offset_at_a_time(flags, spans, count):
    length = len(flags) - 1  # the last flag is the one after the block's last character
    starts = np.asarray([start for start, _ in spans], dtype=np.int64)
    ends = np.asarray([start + size for start, size in spans], dtype=np.int64)
    out_start, out_end = (np.empty(2 * count * len(spans), dtype=np.int64) for _ in range(2))
    written = kernels.windows(
        np.asarray(flags, dtype=np.uint8), length, starts, ends, count, BOUNDARY, WORD_CHAR, out_start, out_end
    )
    expected = [
        word
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True)
        for word in _words_walked(bytes(flags), length, start, end, count)
    ]
    assert list(zip(out_start[:written].tolist(), out_end[:written].tolist(), strict=True)) == expected


def test_rows_in_refuses_an_out_index_too_short():
    distinct, count = np.asarray([1, 4, 6], dtype=np.int64), np.asarray([2, 3, 1], dtype=np.int64)
    wanted = np.asarray([4, 6], dtype=np.int64)
    rows, index = np.empty(2, dtype=np.int64), np.empty(6, dtype=np.int64)
    assert kernels.rows_in(distinct, count, wanted, rows, index) == (2, 4)
    assert rows.tolist() == [1, 2] and index[:4].tolist() == [2, 3, 4, 5]
    with pytest.raises(ValueError, match="too short"):
        kernels.rows_in(distinct, count, wanted, rows, np.empty(3, dtype=np.int64))


def _summed(tables: list[bytes]) -> bytes:
    """How segment.py summed blocks' word counts before the kernel: Counters, then sorted as str."""
    words: Counter[str] = Counter()
    for table in tables:
        words.update(read_word_counts(table))
    return word_count_lines(sorted(words.items()))


# Words of any characters but the two that end a field: CJK, ASCII, extension B, a lone surrogate.
_WORDS = st.text(
    st.characters(blacklist_characters="\t\n", blacklist_categories=("Cs",)) | st.just("\ud800"), max_size=6
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.dictionaries(_WORDS, st.integers(1, 10**12), max_size=12), max_size=8))
def test_sum_counts_is_the_counters_summed_in_code_point_order(tables):
    encoded = [word_count_lines(table.items()) for table in tables]
    assert kernels.sum_counts(encoded) == _summed(encoded)


def test_sum_counts_sums_real_blocks_as_counters_do(sample_index):
    from corpus_search.store import open_index

    reader = open_index(sample_index).whoosh.reader()
    column = reader.column_reader("words")
    tables = [column[doc] for doc in range(reader.doc_count_all())]
    assert len(tables) > 10
    assert kernels.sum_counts(tables) == _summed(tables)
    reader.close()


def test_sum_counts_refuses_lines_that_are_not_word_tab_count():
    for table in (b"word\n", b"word\t\n", b"word\t12", b"word\t1x\n", b"a\nb\t1\n", b"w\t99999999999999999999\n"):
        with pytest.raises(ValueError, match="sum_counts"):
            kernels.sum_counts([table])
    with pytest.raises(TypeError, match="bytes"):
        kernels.sum_counts(["word\t1\n"])
    assert kernels.sum_counts([]) == b""


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_WORDS, st.integers(1, 10**12), max_size=30), st.lists(_WORDS, max_size=20))
def test_counts_in_reads_a_sorted_table_as_a_dict_does(table, others):
    encoded = word_count_lines(sorted(table.items()))
    wanted = sorted({*list(table)[::2], *others}, key=lambda word: word.encode("utf-8", "surrogatepass"))
    counts, total = kernels.counts_in(
        np.frombuffer(encoded, dtype=np.uint8), [word.encode("utf-8", "surrogatepass") for word in wanted]
    )
    assert counts == [table.get(word, 0) for word in wanted]
    assert total == sum(table.values())


def test_counts_in_refuses_a_table_whose_words_do_not_rise():
    with pytest.raises(ValueError, match="do not rise"):
        kernels.counts_in(b"b\t1\na\t2\n", [b"a"])
    with pytest.raises(ValueError, match="do not rise"):
        kernels.counts_in(b"a\t1\na\t2\n", [b"a"])
    with pytest.raises(ValueError, match="not word<TAB>count"):
        kernels.counts_in(b"a\t1", [b"a"])
    assert kernels.counts_in(b"", [b"a"]) == ([0], 0)
