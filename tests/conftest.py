"""Shared fixtures: the real seeds and corpus, and indexes built from them once per test session.

The corpus is the full one where there is one (`CS_TEST_CORPUS`, else `../shared/corpus` beside the
checkout) and otherwise the sample in `tests/data/corpus`, real text cut from it with every quirk kept,
so that a bare clone runs every test but the few that need the full size (`big_corpus_dir`).
"""

from __future__ import annotations

import bisect
import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from corpus_search import build_index
from corpus_search.loader import line_starts, passage_bounds, read_text
from corpus_search.markup import has_markup
from corpus_search.normalize import normalize
from corpus_search.search import Searcher
from corpus_search.variants import fold

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SAMPLE_CORPUS = ROOT / "tests" / "data" / "corpus"

# The files the shared index holds: all four novels and eight poem files, which keep every quirk
# (CRLF, hard wraps, ideographic spaces, traditional script, blank lines between poems). The sample
# corpus holds these same files, cut short.
SAMPLE_TANG = [f"全唐诗_poet.tang.{n}.txt" for n in (0, 1000, 5000, 10000, 20000, 30000, 40000, 57000)]


def _required(path: Path) -> Path:
    if not path.is_dir():
        pytest.fail(f"test data not found: looked for {path}")
    return path


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return _required(ROOT / "seeds")


def full_corpus(environ: dict[str, str] = os.environ, shared: Path = SHARED) -> Path | None:
    """The full corpus: the folder `CS_TEST_CORPUS` names, else ../shared/corpus, else None."""
    named = environ.get("CS_TEST_CORPUS")
    if named:
        return _required(Path(named))
    return shared / "corpus" if (shared / "corpus").is_dir() else None


def corpus_for_tests(environ: dict[str, str] = os.environ, shared: Path = SHARED) -> Path:
    """The corpus the tests read: the full one where there is one, else the sample in the repository."""
    return full_corpus(environ, shared) or _required(SAMPLE_CORPUS)


def pytest_report_header() -> str:
    corpus = corpus_for_tests()
    return f"corpus: {corpus} ({'the sample' if corpus == SAMPLE_CORPUS else 'full'})"


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return corpus_for_tests()


@pytest.fixture(scope="session")
def big_corpus_dir() -> Path:
    """The full corpus, for the few tests that need its size; they are skipped without it."""
    full = full_corpus()
    if full is None:
        pytest.skip("needs the full corpus: ../shared/corpus beside the checkout, or CS_TEST_CORPUS=DIR")
    return full


@pytest.fixture(scope="session")
def sample_dir(corpus_dir: Path, seeds_dir: Path, tmp_path_factory) -> Path:
    """Links to the corpus sample and the seeds, so paths in hits are short and stable."""
    sample = tmp_path_factory.mktemp("sample")
    (sample / "novels").mkdir()
    (sample / "tang").mkdir()
    (sample / "seeds").mkdir()
    for novel in sorted((corpus_dir / "novels").glob("*.txt")):
        os.symlink(novel, sample / "novels" / novel.name)
    for name in SAMPLE_TANG:
        os.symlink(_required(corpus_dir / "tang") / name, sample / "tang" / name)
    for seed in sorted(seeds_dir.glob("*.txt")):
        shutil.copy(seed, sample / "seeds" / seed.name)
    return sample


@pytest.fixture(scope="session")
def sample_index(sample_dir: Path, tmp_path_factory) -> str:
    index_dir = str(tmp_path_factory.mktemp("sample-index") / "index")
    build_index([str(sample_dir)], index_dir, follow_links=True)
    return index_dir


@pytest.fixture(scope="session")
def sample_searcher(sample_index: str):
    with Searcher(sample_index) as searcher:
        yield searcher


@pytest.fixture(scope="session")
def seeds_index(seeds_dir: Path, tmp_path_factory) -> str:
    index_dir = str(tmp_path_factory.mktemp("seeds-index") / "index")
    build_index([str(seeds_dir)], index_dir)
    return index_dir


class OracleFile:
    """One file's normalised text, with what is needed to name the original line of an offset."""

    def __init__(self, path: str):
        self.path = path
        text = read_text(path)
        normalized = normalize(text)
        self.text = normalized.text
        self.folded = fold(normalized.text)
        self.to_original = normalized.to_original
        self.line_offsets = line_starts(text)
        self.original = text
        self._passages: list[int] | None = None

    def line_at(self, index: int) -> int:
        return bisect.bisect_right(self.line_offsets, self.to_original[index]) + 1

    def starts(self, needle: str, folded: bool) -> set[tuple[str, int]]:
        haystack = self.folded if folded else self.text
        found = set()
        at = haystack.find(needle)
        while at >= 0:
            found.add((self.path, self.line_at(at)))
            at = haystack.find(needle, at + 1)
        return found

    def passages_with(self, needle: str, folded: bool = True) -> set[tuple[str, int, int]]:
        """(path, first line, start offset) of every passage where `needle` starts in the normalised (folded) text:
        passages as loader.passage_bounds cuts the file (tests/test_loader.py checks it against the
        regexes it replaced), each holding the occurrences whose first character comes from its text."""
        if self._passages is None:
            assert not has_markup(self.original), f"{self.path}: the oracle reads plain text only"
            self._passages = passage_bounds(self.original)
        haystack = self.folded if folded else self.text
        found = set()
        at = haystack.find(needle)
        while at >= 0:
            passage = bisect.bisect_right(self._passages, self.to_original[at]) - 1
            start = self._passages[passage]
            found.add((self.path, bisect.bisect_right(self.line_offsets, start) + 1, start))
            at = haystack.find(needle, at + 1)
        return found

    def spans_line_break(self, start: int, length: int) -> bool:
        first, last = self.to_original[start], self.to_original[start + length - 1]
        return any(char in "\r\n" for char in self.original[first:last])


@pytest.fixture(scope="session")
def oracle(sample_dir: Path) -> list[OracleFile]:
    paths = sorted(str(path) for path in sample_dir.rglob("*.txt"))
    with ProcessPoolExecutor(2) as pool:
        return list(pool.map(OracleFile, paths))


def starts_of(haystack: str, wanted: set[str]) -> list[int]:
    """Every offset where one of the `wanted` strings starts in `haystack` (overlapping ones too), sorted."""
    found = set()
    for needle in wanted:
        at = haystack.find(needle)
        while at >= 0:
            found.add(at)
            at = haystack.find(needle, at + 1)
    return sorted(found)


def needles(typed: str) -> set[str]:
    """What a folded search for the typed term looks for: the term normalised and folded, and its
    alternatives (the spellings OpenCC's phrase-aware conversions give it, phrases.py)."""
    from corpus_search.normalize import normalize
    from corpus_search.phrases import alternatives
    from corpus_search.variants import fold

    normalized = normalize(typed).text
    return {fold(normalized), *alternatives(typed, normalized)}


def word_count_lines(counts) -> bytes:
    """`word<TAB>count` lines (UTF-8, lone surrogates passed through) of (word, count) pairs, written in
    Python: the oracle of the C kernels that write and sum them (analysis.word_counts, sum_counts)."""
    return "".join(f"{word}\t{count}\n" for word, count in counts).encode("utf-8", errors="surrogatepass")
