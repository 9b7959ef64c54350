"""Ranking: BM25 over passages, and the order hits are shown in.

A term's frequency in a passage counts an occurrence that starts and ends on jieba word boundaries in
full and one inside a longer word at `inside_word_weight`, so 人才 as a word outranks 人才 in 这个人才能干.
Passages where more terms occur as typed (not only through a variant) come first, then higher scores,
then path and line, then text order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import _kernels as kernels
from .reader import Tally, looked_up


@dataclass(frozen=True, slots=True)
class Statistics:
    """What BM25 counts over the whole collection, when one index holds only a part of it (a shard on a
    cluster: cluster.py gathers them first, as Elasticsearch's dfs_query_then_fetch): its passages, its
    characters, and in how many passages each positive term of the query occurs."""

    passages: int
    chars: int
    frequencies: tuple[int, ...]

    @property
    def average_length(self) -> float:
        return self.chars / self.passages if self.passages else 1.0


@dataclass(frozen=True, slots=True)
class BM25:
    """Okapi BM25 with the collection's statistics: passages in all, and their average length."""

    total_passages: int
    average_length: float
    k1: float = 1.2
    b: float = 0.75
    inside_word_weight: float = 0.5

    def scores(
        self, passages: np.ndarray, lengths: np.ndarray, terms: list[Tally], frequencies: tuple[int, ...] = ()
    ) -> np.ndarray:
        """The score of each passage (sorted unique ids) for the terms' occurrences counted per passage;
        `frequencies`: in how many passages of the collection each term occurs, when the tallies do not
        count all of them (they may count only the passages scored)."""
        # Each array is computed in place, in the order the formulas read, so the scores are the same to
        # the last bit as the formulas' own, and as _kernels.bm25's, which takes the same steps in one
        # pass for a term that occurs in every passage scored (one term, or an AND of terms).
        scores = np.zeros(len(passages))
        lengths = np.ascontiguousarray(lengths, dtype=np.int64)
        norms = None
        for number, tally in enumerate(terms):
            document_frequency = frequencies[number] if frequencies else len(tally.passages)
            idf = math.log(1 + (self.total_passages - document_frequency + 0.5) / (document_frequency + 0.5))
            if len(tally.passages) == len(passages) and np.array_equal(tally.passages, passages):
                count, whole = (np.ascontiguousarray(values, dtype=np.int64) for values in (tally.count, tally.whole))
                kernels.bm25(
                    count, whole, lengths, scores, idf, self.k1, self.b, self.average_length, self.inside_word_weight
                )
                continue
            if norms is None:
                norms = np.multiply(lengths, self.b, dtype=float)  # k1 * (1 - b + b * lengths / average_length)
                norms /= self.average_length
                norms += 1 - self.b
                norms *= self.k1
            weighted = np.subtract(tally.count, tally.whole, dtype=float)  # whole + w * (count - whole)
            weighted *= self.inside_word_weight
            weighted += tally.whole
            frequency = in_passages(passages, tally.passages, weighted)
            present = frequency > 0
            found = frequency[present]
            scores[present] += idf * found * (self.k1 + 1) / (found + norms[present])
        return scores


def in_passages(passages: np.ndarray, distinct: np.ndarray, values: np.ndarray) -> np.ndarray:
    """`values` given per passage of `distinct` (rising), read at each of `passages` (sorted unique
    ids): 0 where a passage is not among them."""
    found = np.zeros(len(passages))
    if not len(passages) or not len(distinct):
        return found
    if len(distinct) == len(passages) and np.array_equal(distinct, passages):  # a query of one term
        found[:] = values
        return found
    at, inside = looked_up(passages, distinct)
    found[at[inside]] = values[inside]
    return found


def contenders(exact_terms: np.ndarray, scores: np.ndarray, limit: int | None = None) -> np.ndarray:
    """Indices (rising) of the passages that can be among the best `limit` (all when None): those at or
    above the `limit`-th best (exact terms, score); only they need the tie-breakers read."""
    count = len(scores)
    if limit is None or limit >= count:
        return np.arange(count)
    primary = scores  # exact terms alike (one term without variants, say): the scores alone order them
    if exact_terms.min() != exact_terms.max():
        primary = exact_terms * (float(scores.max(initial=0.0)) + 1.0) + scores  # same order as (exact, score)
    threshold = np.partition(primary, count - limit)[count - limit] if limit else np.inf
    return np.flatnonzero(primary >= threshold)


def rank_order(
    exact_terms: np.ndarray, scores: np.ndarray, path_ranks: np.ndarray, lines: np.ndarray, passages: np.ndarray
) -> np.ndarray:
    """Indices of the passages, best first: more terms as typed, then a higher score, then path, line
    and passage id."""
    return np.lexsort((passages, lines, path_ranks, -scores, -exact_terms))
