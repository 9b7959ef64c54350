"""Parts searched side by side in threads (parallel.py) give the answers of parts searched one by one.

The index is the sample corpus cut into parts of 15,000 characters, so that every query spans eight
parts and most parts hold a file that goes on in the next one; each query is answered with the threads
forced on (any work, four threads whatever the cores) and forced off, and the two must agree to the last
score and span. The serial answers are the ones the oracle tests hold to a substring scan.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus_search import build_index, parallel, segment
from corpus_search.concordance import counts, kwic
from corpus_search.reader import close_gaps
from corpus_search.search import Searcher

SAMPLE = Path(__file__).resolve().parent / "data" / "corpus"
QUERIES = ["的", "之", "不知", "宝玉", "风 雨", "花*月", "第?回", "将军 OR 丞相", "宝玉 -黛玉",
           "宝玉 NEAR/5 黛玉", "長安"]  # fmt: skip


@pytest.fixture(scope="module")
def many_parts(tmp_path_factory) -> str:
    index_dir = str(tmp_path_factory.mktemp("parallel") / "index")
    old = segment.PART_CHARS
    segment.PART_CHARS = 15_000
    try:
        build_index([str(SAMPLE)], index_dir, workers=1)
    finally:
        segment.PART_CHARS = old
    return index_dir


@pytest.fixture(scope="module")
def four_threads():
    with ThreadPoolExecutor(4) as pool:
        yield pool


def answers(index_dir: str, query: str, **options) -> tuple:
    with Searcher(index_dir, reuse=False) as searcher:
        result = searcher.run(query, **options)
        hits = [
            (hit.passage.path, hit.line, hit.score, [(m.start, m.end) for m in hit.matches]) for hit in result.hits()
        ]
        lines = [(line.path, line.line, line.left, line.pieces, line.right) for line in kwic(result)]
        return result.total, hits, counts(result)[0], lines, result.scores.tobytes()


def both_ways(monkeypatch, pool, index_dir: str, query: str, **options) -> tuple[tuple, tuple]:
    with monkeypatch.context() as patch:
        patch.setattr(parallel, "PARALLEL_MIN", 0)
        patch.setattr(parallel, "_pool", lambda: pool)
        patch.setattr(parallel, "cores", lambda: 4)  # three helpers besides the calling thread
        side_by_side = answers(index_dir, query, **options)
    with monkeypatch.context() as patch:
        patch.setattr(parallel, "_pool", lambda: None)
        one_by_one = answers(index_dir, query, **options)
    return side_by_side, one_by_one


def test_the_index_has_many_parts(many_parts):
    with Searcher(many_parts) as searcher:
        assert len(searcher.reader.parts) >= 6  # a part ends at a block's end once it holds 15,000


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("options", [{}, {"exact_script": True}, {"whole_words": True}, {"ignore_punct": True}])
def test_threads_give_the_answers_of_one_thread(many_parts, four_threads, monkeypatch, query, options):
    side_by_side, one_by_one = both_ways(monkeypatch, four_threads, many_parts, query, **options)
    assert side_by_side == one_by_one
    if query in ("的", "之"):
        assert side_by_side[0] > 100  # a query over every part, not an empty one


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10**9), st.integers(1, 3))
def test_threads_give_the_answers_of_one_thread_for_any_string_of_the_text(many_parts, four_threads, seed, length):
    with Searcher(many_parts) as searcher:
        part = searcher.reader.parts[seed % len(searcher.reader.parts)][0]
        at = seed // len(searcher.reader.parts) % max(1, len(part.codes) - length)
        text = "".join(chr(int(code)) for code in part.alphabet[part.codes[at : at + length]])
    if not text.strip() or "\uffff" in text or any(char in text for char in '*?()"-'):
        return
    with pytest.MonkeyPatch.context() as monkeypatch:
        side_by_side, one_by_one = both_ways(monkeypatch, four_threads, many_parts, f'"{text}"')
    assert side_by_side == one_by_one


def test_close_gaps_moves_each_run_down_in_order():
    values = np.arange(12)
    flags = values % 2 == 0
    assert close_gaps([values, flags], [0, 4, 9], [2, 3, 0]) == 5
    assert values[:5].tolist() == [0, 1, 4, 5, 6]
    assert flags[:5].tolist() == [True, False, True, False, True]


def test_the_tally_of_occurrences_placed_in_threads_counts_each_passage_once(many_parts, four_threads, monkeypatch):
    monkeypatch.setattr(parallel, "PARALLEL_MIN", 0)
    monkeypatch.setattr(parallel, "_pool", lambda: four_threads)
    with Searcher(many_parts, reuse=False) as searcher:
        located = searcher.reader.locate("的", False)
        exact = np.arange(len(located)) % 3 == 0
        tally = located.tally(exact)
    passages, first, count = np.unique(located.passage, return_index=True, return_counts=True)
    assert len(located) > 1000
    assert tally.passages.tolist() == passages.tolist()
    assert tally.count.tolist() == count.tolist()
    assert tally.whole.tolist() == np.add.reduceat(located.whole.astype(np.int64), first).tolist()
    assert tally.exact.tolist() == np.add.reduceat(exact.astype(np.int64), first).tolist()


def _search_in_child(index_dir: str, queue) -> None:
    with Searcher(index_dir, reuse=False) as searcher:
        queue.put(searcher.run("的").total)


def test_a_child_forked_after_a_search_makes_its_own_threads(many_parts, monkeypatch):
    """The pool's threads stay in the parent: work handed to the parent's pool in a forked child (a
    server that forks its workers after loading) would wait forever."""
    import multiprocessing

    if parallel.cores() < 2:
        pytest.skip("one core: no threads to fork with")
    monkeypatch.setattr(parallel, "PARALLEL_MIN", 0)
    with Searcher(many_parts, reuse=False) as searcher:
        total = searcher.run("的").total
    assert parallel._made  # this process has its pool
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_search_in_child, args=(many_parts, queue))
    child.start()
    child.join(60)
    if child.is_alive():
        child.kill()
    assert child.exitcode == 0
    assert queue.get(timeout=5) == total


def test_side_by_side_keeps_the_order_and_raises_the_first_error(four_threads, monkeypatch):
    monkeypatch.setattr(parallel, "_pool", lambda: four_threads)
    monkeypatch.setattr(parallel, "cores", lambda: 4)
    assert parallel.side_by_side(lambda item: item * item, list(range(50)), 1 << 20) == [n * n for n in range(50)]

    def fails_at_seven(item: int) -> int:
        if item == 7:
            raise IndexError("place: a position outside the part")
        return item

    with pytest.raises(IndexError, match="outside the part"):
        parallel.side_by_side(fails_at_seven, list(range(20)), 1 << 20)


def test_the_calling_thread_does_the_work_when_no_helper_runs(monkeypatch):
    """A machine whose other cores are busy: helper threads that never start take nothing, and the answer
    does not wait for them."""
    import threading

    stalled = threading.Event()
    with ThreadPoolExecutor(1) as pool:
        pool.submit(stalled.wait)  # the pool's only thread is taken
        monkeypatch.setattr(parallel, "_pool", lambda: pool)
        monkeypatch.setattr(parallel, "cores", lambda: 4)
        assert parallel.side_by_side(lambda item: item + 1, list(range(10)), 1 << 20) == list(range(1, 11))
        stalled.set()
