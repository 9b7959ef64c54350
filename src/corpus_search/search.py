"""Run a query against the index: find every passage that satisfies it, rank them, and build Hits.

This module only composes: matching.py finds each term's occurrences through the suffix arrays (the
Searcher keeps them, per term and options, for the answer's views), evaluation.py combines the sorted
passage ids each term or NEAR pair was found in by AND / OR / NOT, ranking.py scores and orders them,
highlight.py builds the Hits that are read, and results.py holds the answer and its views. Cost follows
the answer: a term is two binary searches per part plus work per occurrence, and only the passages
shown are read back from Whoosh.

Variants fold at query time: each query character matches any character of its variant set
(variants.py); `exact_script=True` matches the character alone. `whole_words=True` (`--words`) keeps
only occurrences that start and end on jieba word boundaries.
"""

from __future__ import annotations

import contextlib
import itertools
import operator
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace

import numpy as np

from . import handles
from .errors import CorpusSearchError
from .evaluation import passages_satisfying
from .formats import unit_of
from .highlight import Highlighter, PassageKey, Shown
from .matching import (
    DEFAULT_OPTIONS,
    MatchOptions,
    Span,
    locate_term,
    pairs_in_passages,
    spelled_as_typed,
    variant_group,
)
from .metadata import Condition, Metadata, document_filter, parse_condition
from .model import Hit
from .query import And, Near, Node, Not, Or, Term, Unit, parse, positive_terms, positive_units, without_punctuation
from .ranking import BM25, Statistics, in_passages
from .reader import Located
from .results import SearchResult
from .shards import read_metadata
from .store import DEFAULT_INDEX, Layout

__all__ = ["MatchOptions", "PassageKey", "SearchResult", "Searcher", "Span", "path_filter", "search", "variant_group"]

PathFilter = Callable[[str], bool]
DocumentFilter = Callable[[str, int], bool]  # (path, record: -1 for a whole file) → kept


class Searcher:
    """An open index, ready for queries; use as a context manager or call close()."""

    def __init__(self, index_dir: str = DEFAULT_INDEX, reuse: bool = True):
        """`reuse`: take the reader this process already has open for the index while its files are
        unchanged (handles.py), else open it afresh."""
        self.index_dir = index_dir
        with self._damage_reported():
            self.reader = handles.acquire(index_dir, reuse)
        self.highlighter = Highlighter(self.reader)
        self.total_passages = self.reader.total_passages
        self.ranking = BM25(self.total_passages, self.reader.average_length)
        self._located: dict[tuple, Located] = {}
        self._pairs: dict[tuple, dict[int, list[tuple[Span, Span]]]] = {}
        self._metadata: Metadata | None = None

    def __enter__(self) -> Searcher:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        handles.release(self.reader)

    # -- what the index holds, through the reader ---------------------------------------------------

    def layout(self, docnum: int) -> Layout:
        return self.reader.layout(docnum)

    def block_text(self, docnum: int) -> str:
        return self.reader.block_text(docnum)

    def bounds(self, docnum: int) -> bytes:
        return self.reader.bounds(docnum)

    def words_around(self, spans: Mapping[int, Iterable[Span]], count: int) -> Counter[str]:
        return self.reader.words_around(spans, count)

    def word_frequencies(self, docnums: Iterable[int], words: Iterable[str]) -> tuple[Counter[str], int]:
        return self.reader.word_frequencies(docnums, words)

    # -- matching ------------------------------------------------------------------------------------

    def located(self, term: Term | str, options: MatchOptions = DEFAULT_OPTIONS) -> Located:
        """Every occurrence of a term (or of a normalised string), in text order."""
        if isinstance(term, str):
            term = Term(term, term)
        key = (term.normalized, term.parts, term.gaps, term.alternatives, options)
        if key not in self._located:
            self._located[key] = locate_term(self.reader, term, options)
        return self._located[key]

    def occurrences(self, term: Term | str, options: MatchOptions = DEFAULT_OPTIONS) -> dict[PassageKey, list[int]]:
        """Block offsets where each occurrence of `term` starts, grouped by passage."""
        term = Term(term, term) if isinstance(term, str) else term
        return {key: [start for start, _ in spans] for key, spans in self.unit_spans(term, options).items()}

    def pairs(self, near: Near, options: MatchOptions = DEFAULT_OPTIONS) -> dict[int, list[tuple[Span, Span]]]:
        """Passage id → the (first, second) spans (global positions) of every pair that satisfies `near`."""
        key = (near, options)
        if key not in self._pairs:
            left, right = self.located(near.left, options), self.located(near.right, options)
            between = self.reader.unpunctuated_between if options.ignore_punct else None
            self._pairs[key] = pairs_in_passages(left, right, near, between)
        return self._pairs[key]

    def unit_spans(self, unit: Unit, options: MatchOptions = DEFAULT_OPTIONS) -> dict[PassageKey, list[Span]]:
        """Block spans of every occurrence of a term or a NEAR pair (first start to last end), by passage."""
        reader = self.reader
        if isinstance(unit, Near):
            pairs, ids = self.pairs(unit, options), self.passages_of(unit, options)
            origins = reader.block_start[reader.passage_blocks(ids)].tolist()
            return {
                key: [(first[0] - origin, second[1] - origin) for first, second in pairs[passage]]
                for key, passage, origin in zip(reader.passage_keys(ids), ids.tolist(), origins, strict=True)
            }
        located = self.located(unit, options)
        origins = reader.block_start[located.block]
        spans: dict[PassageKey, list[Span]] = {}
        rows = zip(
            reader.passage_keys(located.passage),
            (located.start - origins).tolist(),
            (located.end - origins).tolist(),
            strict=True,
        )
        for key, start, end in rows:
            spans.setdefault(key, []).append((start, end))
        return spans

    def evaluate(self, node: Node, options: MatchOptions) -> np.ndarray:
        """The sorted ids of the passages that satisfy `node` (evaluation.py)."""
        return passages_satisfying(node, lambda unit: self.passages_of(unit, options), self.reader.all_passages)

    def passages_of(self, unit: Unit, options: MatchOptions = DEFAULT_OPTIONS) -> np.ndarray:
        """The sorted ids of the passages where a term or a NEAR pair is found."""
        if isinstance(unit, Near):
            return np.asarray(sorted(self.pairs(unit, options)), dtype=np.int64)
        return self.located(unit, options).passages()

    def run(
        self,
        query: str | Node,
        whole_words: bool = False,
        exact_script: bool = False,
        paths: Sequence[str] = (),
        ignore_punct: bool = False,
        where: Sequence[str | Condition] = (),
        statistics: Statistics | None = None,
        fields: Sequence[str] | None = None,
    ) -> SearchResult:
        """Find and rank every passage that satisfies `query`.

        `whole_words`: only occurrences that are whole jieba words. `exact_script`: no variant folding,
        matching after t2s only. `paths`: globs; only files that match one of them (see path_filter).
        `ignore_punct`: punctuation is ignored in the query and skipped in the text (a match spans it).
        `where`: metadata conditions (metadata.py, like `year>=1990`); only files for which all hold.
        `statistics` and `fields`: the whole collection's BM25 statistics and metadata field names, when
        this index is one shard of it (cluster.py).
        """
        conditions = [parse_condition(each) if isinstance(each, str) else each for each in where]
        node = parse(query) if isinstance(query, str) else node_checked(query)
        if ignore_punct:
            node = without_punctuation(node)
        options = MatchOptions(whole_words, exact_script, ignore_punct)
        tests: list[DocumentFilter] = []
        if paths:
            path_wanted = path_filter(paths)
            tests.append(lambda path, record: path_wanted(path))
        if conditions:
            tests.append(document_filter(conditions, self.metadata(), fields))
        wanted = (lambda path, record: all(test(path, record) for test in tests)) if tests else None
        with self._damage_reported():
            result = self._run(node, options, wanted)
        result.statistics = statistics
        return result

    def metadata(self) -> Metadata:
        """The fields of each indexed document that has any (metadata.py), read on first use."""
        if self._metadata is None:
            self._metadata = read_metadata(self.index_dir)
        return self._metadata

    def _run(self, node: Node, options: MatchOptions, wanted: DocumentFilter | None) -> SearchResult:
        passages = self.evaluate(node, options)
        kept = None
        if wanted is not None:
            kept = self.block_values(wanted).astype(bool)
            passages = passages[kept[self.reader.passage_blocks(passages)]]
        return SearchResult(self, positive_units(node), options, passages, positive_terms(node), kept)

    def block_values(self, value_of: Callable[[str, int], object]) -> np.ndarray:
        """`value_of(path, record)` for the document of every global block (an object array), called
        once per document."""
        reader = self.reader
        ranks, records = reader.path_rank(), reader.block_record
        values = np.empty(len(ranks), dtype=object)
        if not len(ranks):
            return values
        keys = np.stack([ranks, records], axis=1)
        documents, inverse = np.unique(keys, axis=0, return_inverse=True)
        names = reader.path_names()
        table = np.empty(len(documents), dtype=object)
        table[:] = [value_of(names[rank], record) for rank, record in documents.tolist()]
        values[:] = table[inverse.reshape(-1)]
        return values

    def fields(self, docnum: int, path: str) -> dict[str, str] | None:
        """The metadata fields of a block's document (its file's, or its record's)."""
        metadata = self.metadata()
        if not metadata:
            return None
        return metadata.fields(path, int(self.reader.block_record[self.reader.block_of(docnum)]))

    def scored(
        self, passages: np.ndarray, terms: list[Term], options: MatchOptions, statistics: Statistics | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """BM25 scores of the passages (with the collection's `statistics` when this index is a part of
        it), and how many of the terms occur in each as typed."""
        tallies, frequencies = [], []
        exact_terms = np.zeros(len(passages), dtype=np.int64)
        for term in terms:
            found = self.located(term, options)
            frequencies.append(len(found.passages()))
            tally = found.tally_in(passages, spelled_as_typed(self.reader, term, options))
            tallies.append(tally)
            exact_terms += in_passages(passages, tally.passages, tally.exact) > 0
        lengths = self.reader.passage_values(passages, "passage_length")
        if statistics is None:
            return self.ranking.scores(passages, lengths, tallies, tuple(frequencies)), exact_terms
        ranking = BM25(statistics.passages, statistics.average_length)
        return ranking.scores(passages, lengths, tallies, statistics.frequencies), exact_terms

    def statistics(self, query: str | Node, options: MatchOptions) -> Statistics:
        """This index's part of the collection's statistics for a query (ranking.Statistics): summed
        over the shards, they are what one index of every shard would count."""
        node = parse(query) if isinstance(query, str) else node_checked(query)
        if options.ignore_punct:
            node = without_punctuation(node)
        with self._damage_reported():
            frequencies = [len(self.located(term, options).passages()) for term in positive_terms(node)]
        return Statistics(self.total_passages, self.reader.total_chars, tuple(frequencies))

    # -- hits ------------------------------------------------------------------------------------------

    def hit(
        self, key: PassageKey, path: str, score: float, units: list[Unit], options: MatchOptions, context: int = 0
    ) -> Hit:
        """A Hit with its passage as written and the exact span of every occurrence of a query term."""
        with self._damage_reported():
            hit = self.highlighter.hit(key, path, score, units, options, context)
        fields, unit = self.fields(key[0], path), unit_of(path)
        return replace(hit, meta=fields, unit=unit) if fields or unit else hit

    def shown(self, key: PassageKey, units: list[Unit], options: MatchOptions) -> Shown:
        with self._damage_reported():
            return self.highlighter.shown(key, units, options)

    def shown_many(self, keys: Iterable[PassageKey], units: list[Unit], options: MatchOptions) -> Iterator[Shown]:
        """shown() of each key in turn; the keys of a block that come together are shown at once, from
        the occurrences the query found, when its units are all terms."""
        with self._damage_reported():
            terms = all(isinstance(unit, Term) for unit in units)
            located = [self.located(unit, options) for unit in units] if terms else None
            for docnum, together in itertools.groupby(keys, key=operator.itemgetter(0)):
                passages = [passage for _, passage in together]
                yield from self.highlighter.shown_block(docnum, passages, located, units, options)

    @contextlib.contextmanager
    def _damage_reported(self) -> Iterator[None]:
        """What a damaged index raises deep inside Whoosh or numpy (struct, pickle, zlib, I/O errors…)
        becomes one CorpusSearchError that names the index and the way out."""
        try:
            yield
        except CorpusSearchError:
            raise
        except Exception as error:
            raise CorpusSearchError(
                f"index at {self.index_dir} cannot be read ({type(error).__name__}); rebuild it: cs index --rebuild DIR"
            ) from error


def path_filter(globs: Sequence[str]) -> PathFilter:
    """A test for indexed paths: a glob with a `/` matches the whole path, one without matches the
    file name (as in ripgrep's -g); `*` crosses `/`. A path passes when any glob matches."""
    import fnmatch

    compiled = [(re.compile(fnmatch.translate(glob)), "/" in glob) for glob in globs]

    def wanted(path: str) -> bool:
        name = path.rsplit("/", 1)[-1]
        return any(regex.match(path if whole else name) for regex, whole in compiled)

    return wanted


def node_checked(node: Node) -> Node:
    if not isinstance(node, Term | Near | And | Or | Not):
        raise CorpusSearchError("bad query: not a parsed query")
    return node


def search(
    query: str,
    index_dir: str = DEFAULT_INDEX,
    *,
    whole_words: bool = False,
    exact_script: bool = False,
    paths: Sequence[str] = (),
    limit: int | None = None,
    ignore_punct: bool = False,
    where: Sequence[str] = (),
) -> Iterator[Hit]:
    """Hits for `query` in rank order: `for hit in search("临时党支部"): print(hit.passage.path, hit.line)`."""
    with Searcher(index_dir) as searcher:
        yield from searcher.run(query, whole_words, exact_script, paths, ignore_punct, where).hits(limit)
