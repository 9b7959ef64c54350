"""What a query command asks of an answer, asked the same way of one index (`Answers`, over a SearchResult)
and of the shards of an index on a Dask cluster (cluster.ClusterAnswers): the CLI prints either through
the same printers, so the two outputs can be compared byte for byte."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator

from .concordance import collocates, counts, kwic
from .distribution import dispersion, group_counts, grouping
from .model import Collocate, Concordance, Dispersion, FileCount, GroupCount, Hit
from .search import SearchResult


class Answers:
    """The answers of one index (sharded or not) to one query."""

    def __init__(self, result: SearchResult):
        self.result = result

    @property
    def total(self) -> int:
        """Passages that satisfy the query."""
        return self.result.total

    def counts(self) -> dict[str, int]:
        """Passages with a hit per file, in path order."""
        return self.result.counts()

    def hits(self, limit: int | None, context: int = 0) -> Iterable[Hit]:
        return self.result.hits(limit, context)

    def kwic(self, width: int, sort: str, limit: int | None = None) -> Iterator[Concordance]:
        """KWIC lines in the order `sort` asks; the first `limit` (None: all)."""
        return itertools.islice(kwic(self.result, width, sort), limit)

    def file_counts(self) -> tuple[list[FileCount], FileCount]:
        return counts(self.result)

    def group_counts(self, field: str) -> tuple[list[GroupCount], GroupCount]:
        return group_counts(self.result, grouping(field, self.result.searcher.metadata()))

    def dispersion(self, field: str) -> list[Dispersion]:
        return dispersion(self.result, grouping(field, self.result.searcher.metadata()))

    def collocates(self, window: int, min_count: int) -> list[Collocate]:
        return collocates(self.result, window, min_count)

    def field_names(self) -> list[str]:
        """Every metadata field of the index, in name order (the CSV's columns)."""
        return self.result.searcher.metadata().names()
