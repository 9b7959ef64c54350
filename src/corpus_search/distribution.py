"""How a query's occurrences spread over groups of documents: counts and rates per group, and where in
each group's text they fall (a dispersion plot's data).

A group is what a *grouping* names for a document (a file, or a record of a file of records: metadata.py):
a function from (path, record) to a group name. `file` makes each file its own group; any metadata field
(metadata.py: year, author…) groups the documents by its value, and a document that lacks the field is
in no group. Everything else follows from the grouping, the same way for every field: a group's
occurrences, passages and characters are the sums over its documents, and its text, for the dispersion
plot, is its documents' normalised texts end to end, in path order and in reading order within a file.
Groups come in the order of their names, numbers by value (so a year -500 comes before 1990).

The work is done per block of the index (a block lies in one document): each searched block gets its
group's number once, and counts are sums over blocks (numpy). Characters are normalised characters of
the indexed text (whitespace next to CJK removed, as a search sees it), read from the index's block
tables, never by reading a file again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from .errors import CorpusSearchError
from .metadata import Metadata
from .model import Dispersion, GroupCount
from .search import SearchResult

Grouping = Callable[[str, int], str | None]  # a document (path, record) → its group's name (None: no group)


def by_file(path: str, record: int) -> str:
    return path


def grouping(field: str, metadata: Metadata | None = None, known: Iterable[str] | None = None) -> Grouping:
    """The grouping a field name stands for: `file`, or a field that some document's metadata has
    (`known`: the fields of every shard, for one of them); an unknown name is the user's error."""
    if field == "file":
        return by_file
    known = list(known) if known is not None else metadata.names() if metadata else []
    if field not in known:
        raise CorpusSearchError(f"--by: unknown field {field!r} (fields: {', '.join(['file', *known])})")
    return lambda path, record: (metadata.fields(path, record) or {}).get(field)


def _block_groups(result: SearchResult, group_of: Grouping) -> tuple[list[str], np.ndarray]:
    """The names of the groups of the documents searched (those --path and --where keep, hits or
    not), in name order, and each global block's group number in that list (-1: not searched or in
    no group)."""
    names = result.searcher.block_values(group_of)
    searched = result.searched()
    present = sorted({name for name in names[searched].tolist() if name is not None}, key=name_order)
    number = {name: index for index, name in enumerate(present)}
    groups = np.full(len(names), -1, dtype=np.int64)
    groups[searched] = [number.get(name, -1) for name in names[searched].tolist()]
    return present, groups


def name_order(name: str) -> tuple:
    try:
        return (0, float(name), name)
    except ValueError:
        return (1, 0.0, name)


def _sums(groups: np.ndarray, blocks: np.ndarray, size: int, weights: np.ndarray | None = None) -> list[int]:
    """Per group, how many of `blocks` (or their summed weights) lie in it."""
    chosen = groups[blocks]
    inside = chosen >= 0
    counted = np.bincount(chosen[inside], weights=None if weights is None else weights[inside], minlength=size)
    return [int(value) for value in counted.tolist()]


def group_counts(result: SearchResult, group_of: Grouping) -> tuple[list[GroupCount], GroupCount]:
    """Occurrences, passages and characters of every group (a group without hits too), in name order,
    and their total (with `group` None)."""
    reader = result.searcher.reader
    names, groups = _block_groups(result, group_of)
    every_block = np.arange(len(groups))
    occurrences = _sums(groups, result.occurrences()[1], len(names))
    passages = _sums(groups, reader.passage_blocks(result.passages), len(names))
    characters = _sums(groups, every_block, len(names), reader.block_end - reader.block_start)
    rows = [GroupCount(*row) for row in zip(names, occurrences, passages, characters, strict=True)]
    total = GroupCount(None, sum(occurrences), sum(passages), sum(characters))
    return rows, total


def dispersion(result: SearchResult, group_of: Grouping) -> list[Dispersion]:
    """Where each occurrence starts in its group's text, for every group, in name order."""
    reader = result.searcher.reader
    names, groups = _block_groups(result, group_of)
    lengths = reader.block_end - reader.block_start
    blocks = np.flatnonzero(groups >= 0)
    # A group's text: its blocks in path order, and within a file in reading order.
    in_file = reader.block_offsets()[blocks]
    blocks = blocks[np.lexsort((in_file, reader.path_rank()[blocks], groups[blocks]))]
    ends = np.cumsum(lengths[blocks])
    group_start = np.zeros(len(names), dtype=np.int64)
    totals = np.zeros(len(names), dtype=np.int64)
    if len(blocks):
        sorted_groups = groups[blocks]
        np.add.at(totals, sorted_groups, lengths[blocks])
        group_start[1:] = np.cumsum(totals)[:-1]
        offset_in_group = np.zeros(len(groups), dtype=np.int64)
        offset_in_group[blocks] = ends - lengths[blocks] - group_start[sorted_groups]
    starts, at = result.occurrences()
    inside = groups[at] >= 0
    starts, at = starts[inside], at[inside]
    offsets = starts - reader.block_start[at] + (offset_in_group[at] if len(blocks) else 0)
    found = groups[at]
    order = np.lexsort((offsets, found))
    found, offsets = found[order], offsets[order]
    bounds = np.searchsorted(found, np.arange(len(names) + 1))
    return [
        Dispersion(name, int(totals[index]), tuple(offsets[bounds[index] : bounds[index + 1]].tolist()))
        for index, name in enumerate(names)
    ]
