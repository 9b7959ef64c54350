"""Search against an oracle: a plain substring scan over the normalised text of real files."""

from __future__ import annotations

import itertools
import os
import shutil
from collections import Counter

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import OracleFile, needles
from corpus_search import build_index, search
from corpus_search.concordance import collocates
from corpus_search.loader import read_text
from corpus_search.normalize import is_han, normalize, to_script
from corpus_search.search import Searcher
from corpus_search.variants import fold
from documents import write_records


@pytest.fixture(scope="session")
def wrapped_starts(oracle: list[OracleFile]) -> list[tuple[int, int]]:
    """(file, offset) of Han pairs whose original characters have a line break between them."""
    found = []
    for number, entry in enumerate(oracle):
        for index in range(len(entry.text) - 1):
            if (
                entry.to_original[index + 1] - entry.to_original[index] > 1
                and entry.spans_line_break(index, 2)
                and is_han(entry.text[index])
                and is_han(entry.text[index + 1])
            ):
                found.append((number, index))
    return found


def oracle_starts(oracle: list[OracleFile], typed: str, folded: bool = True) -> set[tuple[str, int]]:
    """(path, line) of every start of the typed term (or, folded, of one of its alternatives) in the
    normalised (and folded) text of the files."""
    found: set[tuple[str, int]] = set()
    for needle in needles(typed) if folded else {normalize(typed).text}:
        for entry in oracle:
            found |= entry.starts(needle, folded)
    return found


def hit_starts(searcher: Searcher, query: str, exact_script: bool = False) -> set[tuple[str, int]]:
    found = set()
    for hit in searcher.run(query, exact_script=exact_script).hits():
        assert hit.matches, f"hit without a match for {query!r}: {hit.passage}"
        found |= {(hit.passage.path, match.line) for match in hit.matches}
    return found


@st.composite
def han_substring(draw, oracle: list[OracleFile], wrapped: list[tuple[int, int]]) -> str:
    """A 2–8 character Han substring of a real file, sometimes across a line break, in either script."""
    length = draw(st.integers(2, 8))
    if wrapped and draw(st.booleans()):
        number, break_at = draw(st.sampled_from(wrapped))
        start = break_at - draw(st.integers(0, length - 2))
    else:
        number = draw(st.integers(0, len(oracle) - 1))
        start = draw(st.integers(0, max(0, len(oracle[number].text) - length)))
    text = oracle[number].text[max(0, start) : max(0, start) + length]
    assume(len(text) == length and all(is_han(char) for char in text))
    return to_script(text, "t") if draw(st.booleans()) else text


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_terms_find_exactly_what_a_substring_scan_finds(data, oracle, wrapped_starts, sample_searcher):
    query = data.draw(han_substring(oracle, wrapped_starts))
    assert hit_starts(sample_searcher, query) == oracle_starts(oracle, query)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_exact_script_finds_exactly_what_a_scan_without_folding_finds(data, oracle, wrapped_starts, sample_searcher):
    query = data.draw(han_substring(oracle, wrapped_starts))
    assert hit_starts(sample_searcher, query, exact_script=True) == oracle_starts(oracle, query, folded=False)


@st.composite
def two_terms(draw, oracle: list[OracleFile], wrapped: list[tuple[int, int]]) -> tuple[str, str]:
    """Two Han substrings of real files: often the second from the text just around the first, so that
    both are in one passage, else from anywhere."""
    first = draw(han_substring(oracle, wrapped))
    if not draw(st.booleans()):
        return first, draw(han_substring(oracle, wrapped))
    entry = draw(st.sampled_from([entry for entry in oracle if fold(normalize(first).text) in entry.folded]))
    at = entry.folded.index(fold(normalize(first).text))
    length = draw(st.integers(1, 4))
    start = max(0, at + draw(st.integers(-40, 40)))
    second = entry.text[start : start + length]
    assume(len(second) == length and all(is_han(char) for char in second))
    return first, second


def oracle_passages(oracle: list[OracleFile], typed: str) -> set[tuple[str, int, int]]:
    """(path, first line, start) of every passage where the typed term, or one of its alternatives,
    starts in the folded text of the files."""
    found: set[tuple[str, int, int]] = set()
    for needle in needles(typed):
        for entry in oracle:
            found |= entry.passages_with(needle)
    return found


def check_both_terms(searcher: Searcher, oracle: list[OracleFile], first: str, second: str) -> None:
    """`first second` finds the passages a scan finds both in (as many, on the same lines of the same
    files), and each hit shows both terms."""
    hits = list(searcher.run(f"{first} {second}").hits())
    for hit in hits:
        shown = {fold(normalize(match.text).text) for match in hit.matches}
        assert shown & needles(first) and shown & needles(second)
    expected = oracle_passages(oracle, first) & oracle_passages(oracle, second)
    assert Counter((hit.passage.path, hit.passage.line) for hit in hits) == Counter(
        (path, line) for path, line, _ in expected
    )


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_two_terms_find_passages_holding_both(data, oracle, wrapped_starts, sample_searcher):
    check_both_terms(sample_searcher, oracle, *data.draw(two_terms(oracle, wrapped_starts)))


@pytest.fixture(scope="module")
def updated_sample(corpus_dir, tmp_path_factory) -> tuple[str, list[OracleFile]]:
    """An index of heads of the corpus's files built over three runs, files added, changed and deleted
    (three segments, with deleted blocks among them), and the oracle of the files it ends with."""
    texts = tmp_path_factory.mktemp("updated-texts")
    sources = [*sorted((corpus_dir / "novels").glob("*.txt")), *sorted((corpus_dir / "tang").glob("*.txt"))[:3]]
    heads = {path.name: read_text(str(path))[:40000] for path in sources}
    names = list(heads)
    index_dir = str(tmp_path_factory.mktemp("updated") / "index")
    for name in names[:4]:
        (texts / name).write_text(heads[name], encoding="utf-8")
    build_index([str(texts)], index_dir)
    (texts / names[0]).write_text(heads[names[0]] + "\n宝玉道：明月不知风雨。\n", encoding="utf-8")
    (texts / names[1]).unlink()
    (texts / names[4]).write_text(heads[names[4]], encoding="utf-8")
    build_index([str(texts)], index_dir)
    (texts / names[2]).write_text("长安明月，宝玉黛玉。\n" + heads[names[2]][:20000], encoding="utf-8")
    for name in names[5:]:
        (texts / name).write_text(heads[name], encoding="utf-8")
    report = build_index([str(texts)], index_dir)
    assert (report.added, report.updated, report.removed) == (len(names) - 5, 1, 0)
    with Searcher(index_dir) as searcher:
        assert len(searcher.reader.parts) >= 3  # a part or more for each run's segment
    return index_dir, [OracleFile(str(texts / name)) for name in sorted(os.listdir(texts))]


@pytest.fixture(scope="module")
def updated_searcher(updated_sample):
    with Searcher(updated_sample[0]) as searcher:
        yield searcher


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_an_updated_index_finds_what_a_scan_of_its_files_finds(data, updated_sample, updated_searcher):
    """Terms, folded and as typed, and two terms together, over an index of three segments with
    deletions: what a scan of the files it ends with finds."""
    files = updated_sample[1]
    query = data.draw(han_substring(files, []))
    assert hit_starts(updated_searcher, query) == oracle_starts(files, query)
    assert hit_starts(updated_searcher, query, exact_script=True) == oracle_starts(files, query, folded=False)
    check_both_terms(updated_searcher, files, *data.draw(two_terms(files, [])))


def test_an_answer_read_and_dropped_leaves_no_cycle_behind(sample_index):
    """A Searcher, its answer and their arrays are freed as soon as the last reference goes, with no
    garbage collection: held in a reference cycle, they would keep their pages from the next query
    (memory.py), which then took twice as long at 16x."""
    import gc
    import weakref

    gc.collect()
    gc.disable()
    try:
        for query in ["宝玉", "宝玉 明月", "宝玉 OR 明月 -黛玉", "宝玉 NEAR/5 黛玉", "-宝玉", "花*月"]:
            searcher = Searcher(sample_index)
            result = searcher.run(query)
            result.total, list(result.hits(3))
            searcher.close()
            dropped = weakref.ref(searcher)  # the answer holds its Searcher: both go, or neither
            del searcher, result
            assert dropped() is None, query
    finally:
        gc.enable()


def test_wrapped_lines_are_part_of_the_sample(wrapped_starts):
    assert len(wrapped_starts) > 1000


def test_every_span_is_the_query_term(sample_searcher):
    for query in ["看秋月春风", "孫悟空", "宝玉 黛玉", "明月 OR 清風", "行者 -八戒"]:
        terms = [fold(normalize(term).text) for term in query.replace("OR", " ").split() if not term.startswith("-")]
        result = sample_searcher.run(query)
        assert result.total > 0, query
        for hit in result.hits(50):
            for match in hit.matches:
                assert hit.passage.text[match.start : match.end] == match.text
                assert fold(normalize(match.text).text) in terms


def test_a_term_found_across_a_hard_wrap_is_shown_as_written(sample_searcher):
    [hit] = sample_searcher.run("惯看秋月春风").hits()
    assert hit.passage.path.endswith("三国演义.txt")
    assert hit.line == 9
    assert [match.text for match in hit.matches] == ["惯\r\n\r\n    看秋月春风"]


def test_negation_removes_passages(sample_searcher):
    with_both = sample_searcher.run("行者 八戒").total
    assert sample_searcher.run("行者").total == sample_searcher.run("行者 -八戒").total + with_both
    assert sample_searcher.run("行者 NOT 八戒").total == sample_searcher.run("行者 -八戒").total


def test_or_is_the_union(sample_searcher):
    either = sample_searcher.run("黛玉 OR 宝钗").total
    both = sample_searcher.run("黛玉 宝钗").total
    assert either == sample_searcher.run("黛玉").total + sample_searcher.run("宝钗").total - both


def test_a_phrase_keeps_its_terms_together(tmp_path):
    (tmp_path / "a.txt").write_text("临时的党支部成立了。\n\n临时党支部成立了。\n", encoding="utf-8")
    index_dir = str(tmp_path / "index")
    build_index([str(tmp_path)], index_dir)
    assert sorted(hit.line for hit in search("临时 党支部", index_dir)) == [1, 3]
    assert [hit.line for hit in search('"临时 党支部"', index_dir)] == [3]


def test_a_whole_word_outranks_a_match_inside_a_word(tmp_path):
    # Same length, one occurrence each: jieba cuts the first line 老人 / 才能 / 走 / 了 and the second
    # 他 / 是 / 人才 / 啊, so only the second holds 人才 as a word.
    (tmp_path / "a.txt").write_text("老人才能走了。\n\n他是人才啊。\n", encoding="utf-8")
    index_dir = str(tmp_path / "index")
    build_index([str(tmp_path)], index_dir)
    assert [hit.line for hit in search("人才", index_dir)] == [3, 1]
    assert [hit.line for hit in search("人才", index_dir, whole_words=True)] == [3]


def test_a_match_may_run_from_one_passage_into_the_next(tmp_path):
    # The first sentence is long enough to end a passage at its 。
    (tmp_path / "a.txt").write_text("甲" * 100 + "他说完了。你好世界\n", encoding="utf-8")
    index_dir = str(tmp_path / "index")
    build_index([str(tmp_path)], index_dir)
    [hit] = search("完了。你好", index_dir)
    assert (hit.line, [match.text for match in hit.matches]) == (1, ["完了。你好"])
    assert hit.passage.text == "甲" * 100 + "他说完了。你好世界"
    assert len(list(search("甲", index_dir))) == 1


@pytest.mark.parametrize("query", ["的", "宝玉", "明月 OR 长安", "一*人", "不知 NEAR/5 何", "不知 -宝玉"])
def test_the_best_few_are_the_head_of_the_whole_ranking(sample_searcher, query):
    # With a limit only the contenders on (exact terms, score) get their tie-breakers read.
    result = sample_searcher.run(query)
    whole = result.order()
    assert len(whole) == result.total > 20
    for limit in (1, 7, 20):
        assert result.order(limit).tolist() == whole[:limit].tolist()


def shown_hits(searcher, query: str, **options) -> list:
    return [
        (hit.passage.path, hit.line, hit.passage.text, [(m.line, m.start, m.end, m.text) for m in hit.matches])
        for hit in searcher.run(query, **options).hits(60)
    ]


@pytest.mark.parametrize("query", ["明月", "宝玉 NEAR/5 黛玉", "花*月", "了。", "長安", "临时党支部"])
@pytest.mark.parametrize("options", [{}, {"exact_script": True}, {"whole_words": True}, {"ignore_punct": True}])
def test_hits_read_the_index_s_text_or_normalise_again_alike(sample_searcher, monkeypatch, query, options):
    # A hit's spans are found in the index's own text where it lines up with the passage; the other way,
    # normalising the passage again, must give the same hits.
    from_index = shown_hits(sample_searcher, query, **options)
    monkeypatch.setattr(sample_searcher.reader, "passage_run", lambda *arguments: None)
    assert shown_hits(sample_searcher, query, **options) == from_index
    assert from_index and all(matches for *_, matches in from_index)


UPDATE_QUERIES = ["宝玉", "明月", "不知", "的 -宝玉", "花*月", "宝玉 NEAR/5 黛玉", "長安 OR 长安", "风 雨"]
UPDATE_OPTIONS = [None, "whole_words", "exact_script", "ignore_punct"]


def answers(index_dir: str) -> dict[str, list]:
    """Every hit of each query, as typed and with each matching option: path, line, score and spans, in
    rank order, with the total."""
    found = {}
    with Searcher(index_dir) as searcher:
        for query, option in itertools.product(UPDATE_QUERIES, UPDATE_OPTIONS):
            result = searcher.run(query, **{option: True} if option else {})
            hits = [
                (hit.passage.path, hit.line, round(hit.score, 9), [(m.start, m.end) for m in hit.matches])
                for hit in result.hits()
            ]
            found[f"{query} {option}"] = [result.total, result.counts(), hits]
        for query, paths in [("宝玉", None), ("明月", None), ("不知", ("*.txt",)), ("宝玉", ("红楼梦*", "西游记*"))]:
            # Corpus frequencies come from each part's summed word counts less the blocks left out
            # (deleted, or outside the path filter): they must equal a fresh build's.
            result = searcher.run(query, paths=paths)
            frequencies, total = searcher.word_frequencies(result.docnums(), ["的", "了", "宝玉", "明月", "不"])
            collocated = [(row.word, row.count, row.frequency) for row in collocates(result, min_count=1)]
            found[f"collocates {query} {paths}"] = [dict(frequencies), total, collocated]
    return found


def test_files_under_another_spelling_of_their_folder_are_indexed_under_the_new_paths(seeds_dir, tmp_path, monkeypatch):
    """`cs index in` then `cs index /abs/in`: the same files, unchanged, under new paths replace the old."""
    shutil.copytree(seeds_dir, tmp_path / "in")
    monkeypatch.chdir(tmp_path)
    index_dir = str(tmp_path / "index")
    build_index(["in"], index_dir)
    before = [(hit.passage.path, hit.line) for hit in search("党员", index_dir)]
    report = build_index([str(tmp_path / "in")], index_dir)
    assert (report.added, report.removed, report.unchanged) == (5, 5, 0)
    assert [(hit.passage.path, hit.line) for hit in search("党员", index_dir)] == [
        (str(tmp_path / path), line) for path, line in before
    ]


def test_an_updated_index_answers_as_a_fresh_build(corpus_dir, tmp_path):
    """Files added, changed and deleted over three runs (three segments, with deletions) give the same
    answers, scores and spans as one fresh build of the final files."""
    texts = tmp_path / "texts"
    texts.mkdir()
    novels = sorted((corpus_dir / "novels").glob("*.txt"))
    poems = sorted((corpus_dir / "tang").glob("*.txt"))[:2]
    heads = {path.name: read_text(str(path))[:20000] for path in [*novels, *poems]}
    for name in list(heads)[:3]:
        (texts / name).write_text(heads[name], encoding="utf-8")
    updated = str(tmp_path / "updated")
    build_index([str(texts)], updated)
    names = list(heads)
    (texts / names[0]).write_text(heads[names[0]] + "\n宝玉道：明月不知风雨。\n", encoding="utf-8")
    (texts / names[1]).unlink()
    (texts / names[3]).write_text(heads[names[3]], encoding="utf-8")
    build_index([str(texts)], updated)
    (texts / names[4]).write_text(heads[names[4]], encoding="utf-8")
    (texts / names[2]).write_text("长安明月，宝玉黛玉。\n" + heads[names[2]][:5000], encoding="utf-8")
    report = build_index([str(texts)], updated)
    assert (report.added, report.updated, report.removed) == (1, 1, 0)
    fresh = str(tmp_path / "fresh")
    build_index([str(texts)], fresh)
    assert answers(updated) == answers(fresh)


def test_an_update_reads_only_the_files_that_changed(corpus_dir, tmp_path, monkeypatch):
    """Each run after one file changed extracts and segments that file alone: a file touched with the
    same bytes is hashed and kept, and segments merged on the way have their blocks copied, not cut
    again."""
    from corpus_search import indexing
    from corpus_search.segment import part_files

    texts = tmp_path / "texts"
    texts.mkdir()
    for number, path in enumerate(sorted((corpus_dir / "novels").glob("*.txt"))):
        (texts / f"{number}.txt").write_text(read_text(str(path))[:6000], encoding="utf-8")
    index_dir = str(tmp_path / "index")
    build_index([str(texts)], index_dir, workers=1)
    extracted: list[str] = []
    extract = indexing.extract
    monkeypatch.setattr(indexing, "extract", lambda path, *args: extracted.append(path) or extract(path, *args))
    counts = []
    for step in range(indexing.MAX_SEGMENTS + 2):
        changed, touched = texts / f"{step % 2}.txt", texts / f"{2 + step % 2}.txt"
        changed.write_text(changed.read_text(encoding="utf-8") + f"\n第{step}次。\n", encoding="utf-8")
        os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9))
        extracted.clear()
        report = build_index([str(texts)], index_dir, workers=1)
        assert extracted == [str(changed)]
        assert (report.updated, report.unchanged) == (1, 3)
        counts.append(len(part_files(os.listdir(index_dir))))
    assert any(later < earlier for earlier, later in zip(counts, counts[1:], strict=False))  # a merge happened


def test_segments_are_merged_and_still_answer_as_a_fresh_build(corpus_dir, tmp_path):
    """Ten updates, each changing one file: segments past MAX_SEGMENTS are merged (their blocks copied,
    not analysed again), and the answers stay those of a fresh build."""
    from corpus_search.indexing import MAX_SEGMENTS
    from corpus_search.segment import part_files

    texts = tmp_path / "texts"
    texts.mkdir()
    novels = sorted((corpus_dir / "novels").glob("*.txt"))
    heads = [read_text(str(path))[:8000] for path in novels]
    for number, head in enumerate(heads):
        (texts / f"{number}.txt").write_text(head, encoding="utf-8")
    records = [heads[0][at : at + 2600] for at in range(0, 7800, 2600)]  # a dataset: its records end where they did
    for number, head in enumerate(heads):  # the first segment holds the most documents, so is never merged
        (texts / f"{number}-again.txt").write_text(head[::-1], encoding="utf-8")
    updated = str(tmp_path / "updated")
    build_index([str(texts)], updated)
    write_records(texts / "r.jsonl", [{"text": text, "n": str(number)} for number, text in enumerate(records)])
    counts = []  # the dataset comes in a segment of 3 documents, fewer than the first: it is merged
    for step in range(10):
        name = texts / f"{step % len(heads)}.txt"
        name.write_text(name.read_text(encoding="utf-8") + f"\n第{step}次：宝玉道，明月不知风雨。\n", encoding="utf-8")
        build_index([str(texts)], updated)
        counts.append(len(part_files(os.listdir(updated))))
    assert max(counts) <= MAX_SEGMENTS
    assert any(later < earlier for earlier, later in zip(counts, counts[1:], strict=False))  # a merge happened
    fresh = str(tmp_path / "fresh")
    build_index([str(texts)], fresh)
    assert answers(updated) == answers(fresh)
    folded = [normalize(text).text for text in records]
    seams = zip(folded, folded[1:], strict=False)
    across = [left[-k:] + right[:j] for left, right in seams for k in (1, 2, 3) for j in (1, 2, 3)]
    across = [needle for needle in across if all(map(is_han, needle)) and not any(needle in text for text in folded)]
    inside = next(text[100:104] for text in folded if all(map(is_han, text[100:104])))
    with Searcher(updated) as searcher:
        assert len(across) > 5 and searcher.run(inside, paths=["r.jsonl"]).total >= 1
        for needle in across:
            assert searcher.run(f'"{needle}"', paths=["r.jsonl"]).total == 0, needle
