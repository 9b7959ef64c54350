"""One query's answer: every passage that satisfies it (a search.Searcher makes it), and what is read from
them: the ranked hits, the hits per file, the occurrences per passage and in all (what `cs count`
counts and the distributions read), and the blocks searched. Scores are computed when an order is asked
for (a count needs none), and Hits only for those that are read; everything is asked of the Searcher
that made the answer, whose caches hold each term's occurrences once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .highlight import PassageKey
from .matching import MatchOptions
from .model import Hit
from .query import Near, Term, Unit
from .ranking import Statistics, contenders, in_passages, rank_order
from .reader import in_sorted

if TYPE_CHECKING:  # for annotations only: the Searcher imports this module
    from .search import Searcher


@dataclass(slots=True)
class SearchResult:
    """Every passage that satisfies a query; scores are computed when an order is asked for (a count
    needs none), and Hits only for those that are read."""

    searcher: Searcher
    units: list[Unit]
    options: MatchOptions
    passages: np.ndarray  # sorted global passage ids
    terms: list[Term]  # the positive terms, for ranking
    kept: np.ndarray | None = None  # which blocks --path and --where keep (None: all)
    statistics: Statistics | None = None  # the whole collection's, when this index is a shard of it
    _scored: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    _ranked: list[tuple[float, str, int, PassageKey]] | None = field(default=None, repr=False)

    @property
    def total(self) -> int:
        return len(self.passages)

    @property
    def scores(self) -> np.ndarray:
        """BM25 score of each passage."""
        return self._scoring()[0]

    @property
    def exact_terms(self) -> np.ndarray:
        """How many of the positive terms occur in each passage as typed (not only through a variant)."""
        return self._scoring()[1]

    def _scoring(self) -> tuple[np.ndarray, np.ndarray]:
        if self._scored is None:
            self._scored = self.searcher.scored(self.passages, self.terms, self.options, self.statistics)
        return self._scored

    def order(self, limit: int | None = None) -> np.ndarray:
        """Indices into `passages` of the best `limit` (all when None), best first."""
        reader = self.searcher.reader
        chosen = contenders(self.exact_terms, self.scores, limit)
        passages = self.passages[chosen]
        blocks = reader.passage_blocks(passages)
        lines = reader.passage_values(passages, "passage_line")
        exact, scores = self.exact_terms[chosen], self.scores[chosen]
        picked = chosen[rank_order(exact, scores, reader.path_rank()[blocks], lines, passages)]
        return picked if limit is None else picked[:limit]

    @property
    def ranked(self) -> list[tuple[float, str, int, PassageKey]]:
        """(score, path, line, passage key) of every passage, best first."""
        if self._ranked is None:
            self._ranked = self.rows(self.order())
        return self._ranked

    def in_text_order(self) -> list[tuple[str, PassageKey]]:
        """(path, passage key) of every passage, in the order of the files' text (a file's blocks have
        rising document numbers), without ranking them."""
        paths = self.searcher.reader.paths()
        return sorted((paths[key[0]], key) for key in self.searcher.reader.passage_keys(self.passages))

    def rows(self, chosen: np.ndarray) -> list[tuple[float, str, int, PassageKey]]:
        reader = self.searcher.reader
        passages = self.passages[chosen]
        paths = reader.paths()
        keys = reader.passage_keys(passages)
        lines = reader.passage_values(passages, "passage_line").tolist()
        return [
            (score, paths[key[0]], line, key)
            for score, line, key in zip(self.scores[chosen].tolist(), lines, keys, strict=True)
        ]

    def counts(self) -> dict[str, int]:
        """Hits per file, in path order."""
        return {path: passages for path, (_, passages) in self.per_file(occurrences=False).items()}

    def per_file(self, occurrences: bool = True) -> dict[str, tuple[int, int]]:
        """(occurrences of the positive units, passages) per file that has a hit, in path order; a NEAR
        pair counts once. Without `occurrences`, those are not counted (0)."""
        reader = self.searcher.reader
        names, ranks = reader.path_names(), reader.path_rank()
        # Summed block by block, then file by file: exact, as the counts are whole numbers.
        weights = self.per_passage() if occurrences else np.zeros(len(self.passages))
        passages, found = (np.bincount(ranks, weights=sums, minlength=len(names)).astype(np.int64).tolist()
                           for sums in reader.per_block(self.passages, weights))  # fmt: skip
        return {names[rank]: (found[rank], passages[rank]) for rank, held in enumerate(passages) if held}

    def per_passage(self) -> np.ndarray:
        """How many occurrences of the positive units each passage found holds (floats), a NEAR pair
        once: read from each term's tally, not from its occurrences."""
        searcher, found = self.searcher, np.zeros(len(self.passages))
        for unit in self.units:
            if isinstance(unit, Near):
                pairs, ids = searcher.pairs(unit, self.options), searcher.passages_of(unit, self.options)
                found += in_passages(self.passages, ids, np.asarray([len(pairs[id_]) for id_ in ids.tolist()]))
            else:
                tally = searcher.located(unit, self.options).tally()
                found += in_passages(self.passages, tally.passages, tally.count)
        return found

    def occurrences(self) -> tuple[np.ndarray, np.ndarray]:
        """(global start, block) of every occurrence of the positive units in the passages found, a
        NEAR pair once at its first term: what `cs count` counts and `cs plot` marks."""
        reader, searcher = self.searcher.reader, self.searcher
        starts, blocks = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
        for unit in self.units:
            if isinstance(unit, Near):
                pairs = searcher.pairs(unit, self.options)
                ids = np.fromiter(pairs, dtype=np.int64, count=len(pairs))
                kept = ids[in_sorted(ids, self.passages)].tolist()
                starts.append(np.asarray([first[0] for passage in kept for first, _ in pairs[passage]], dtype=np.int64))
                sizes = [len(pairs[passage]) for passage in kept]
                blocks.append(np.repeat(reader.passage_blocks(np.asarray(kept, dtype=np.int64)), sizes))
            else:
                located = searcher.located(unit, self.options)
                if np.array_equal(located.passages(), self.passages):  # all of them are in (one term)
                    starts.append(located.start)
                    blocks.append(located.block)
                    continue
                kept = in_sorted(located.passage, self.passages)
                starts.append(located.start[kept])
                blocks.append(located.block[kept])
        if len(starts) == 2:
            return starts[1], blocks[1]
        return np.concatenate(starts), np.concatenate(blocks).astype(np.int64)

    def searched(self) -> np.ndarray:
        """Which blocks were searched (a boolean per global block): the live ones that --path and
        --where keep."""
        live = self.searcher.reader.block_live
        return live if self.kept is None else live & self.kept

    def docnums(self) -> list[int]:
        """The document numbers of the blocks searched, rising."""
        return np.sort(self.searcher.reader.block_docnum[self.searched()]).tolist()

    def hits(self, limit: int | None = None, context: int = 0) -> Iterator[Hit]:
        """The best `limit` hits (all when None), best first, with `context` lines before and after."""
        rows = self._ranked if self._ranked is not None and limit is None else self.rows(self.order(limit))
        for score, path, _, key in rows:
            yield self.searcher.hit(key, path, score, self.units, self.options, context)
