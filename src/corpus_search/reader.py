"""The small interface through which queries read an open index: where a string occurs, which block and
passage a position is in, word flags, and each block's text, layout and words.

Positions are global: the parts of segment.py laid end to end, in Whoosh document order. Passage ids are
global too. Everything per position or per passage is a numpy array, computed part by part; everything
per block (a block holds up to 64 K characters of one file, or of one record of a dataset) is built once
when the index is opened.

(About 640 lines: it is the one door every query reads the index through, positions, blocks,
passages, files, words and word counts, and splitting it would put a second door on the format.)
"""

from __future__ import annotations

import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import accumulate, pairwise

import numpy as np

from . import _kernels as kernels
from .analysis import BOUNDARY, WORD_CHAR, read_word_counts
from .errors import CorpusSearchError
from .loader import LOOKAHEAD
from .markup import BlockMarkup, decode_block_markup
from .memory import keep_freed_memory
from .normalize import is_punctuation
from .parallel import side_by_side
from .segment import BUCKET_SHIFT, SEPARATOR, Part
from .shards import index_dirs
from .store import Layout, open_index, open_parts
from .variants import fold

_EMPTY = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class Tally:
    """Occurrences counted per passage: the distinct passages (rising), and in each how many
    occurrences, how many of them whole words, and how many spelled as typed."""

    passages: np.ndarray
    count: np.ndarray
    whole: np.ndarray
    exact: np.ndarray


@dataclass(frozen=True, slots=True)
class Located:
    """Occurrences found in the text: global start and end positions (rising starts), the global
    passage and block each starts in, and whether each is whole words."""

    start: np.ndarray
    end: np.ndarray
    passage: np.ndarray
    block: np.ndarray
    whole: np.ndarray
    _tally: list = field(default_factory=list, compare=False, repr=False)  # the tally with every one exact

    def where(self, keep: np.ndarray) -> Located:
        return Located(*(values[keep] for values in self))

    def __iter__(self):
        return iter((self.start, self.end, self.passage, self.block, self.whole))

    def __len__(self) -> int:
        return len(self.start)

    def passages(self) -> np.ndarray:
        """The distinct passages, rising."""
        return self.tally().passages

    def tally(self, exact: np.ndarray | None = None) -> Tally:
        """The occurrences counted per passage, in one pass in C (_kernels.tally); `exact`: which are
        spelled as typed (None: all of them; that tally is kept)."""
        if exact is None and self._tally:
            return self._tally[0]
        # One thread: the loop is bound by memory, and run in two it took longer (0.51 against 0.33 ms
        # for the 62,064 occurrences of 宝玉 at 16×).
        out = [np.empty(len(self), dtype=np.int64) for _ in range(4)]
        exact = None if exact is None else np.ascontiguousarray(exact, dtype=bool)
        found = kernels.tally(np.ascontiguousarray(self.passage, dtype=np.int64), self.whole, exact, *out)
        counted = Tally(*(values[:found] for values in out))
        if exact is None:
            self._tally.append(counted)
        return counted

    def tally_in(self, passages: np.ndarray, spelled: Callable[[np.ndarray], np.ndarray] | None) -> Tally:
        """The tally of the occurrences in `passages` (sorted unique ids) alone, its `exact` column read
        by `spelled(starts)`: which of those starts are spelled as typed (None: all of them, and no start
        is read). Rows are taken from the kept tally (_kernels.rows_in), so only those passages'
        occurrences are read; a column is gathered only where it is not known already."""
        counted, starts = self.tally(), self.start
        if len(passages) < len(counted.passages):  # the rows there and their occurrences, in C
            rows, index = np.empty(len(passages), dtype=np.int64), np.empty(len(starts), dtype=np.int64)
            wanted = np.ascontiguousarray(passages, dtype=np.int64)
            kept, read = kernels.rows_in(counted.passages, counted.count, wanted, rows, index)
            rows = rows[:kept]
            found = wanted if kept == len(wanted) else counted.passages[rows]  # an AND's: every one
            count = counted.count[rows]
            counted = Tally(found, count, counted.whole[rows], count)  # the kept tally's exact is its count
            if spelled is not None:
                starts = starts[index[:read]]
        if spelled is None:
            return counted
        # Spelled occurrences per passage as differences of one running sum (np.add.reduceat over a bool
        # array casts it run by run: 0.4 against 0.25 ms for 宝玉 at 16×).
        exact, ends = spelled(starts), np.cumsum(counted.count)
        running = np.zeros(len(exact) + 1, dtype=np.int64)
        np.cumsum(exact, out=running[1:])
        return Tally(counted.passages, counted.count, counted.whole, running[ends] - running[ends - counted.count])


def close_gaps(arrays: Iterable[np.ndarray], firsts: Iterable[int], counts: Iterable[int]) -> int:
    """Runs of results written side by side, `counts[i]` of them from `firsts[i]` (rising), moved down
    to follow one another; how many there are in all."""
    arrays, at = list(arrays), 0
    for first, count in zip(firsts, counts, strict=False):
        if count and first != at:
            for values in arrays:
                values[at : at + count] = values[first : first + count]
        at += count
    return at


def run_starts(values: np.ndarray) -> np.ndarray:
    """Where each run of equal values begins in a sorted array (numpy's unique hashes: far slower)."""
    if not len(values):
        return _EMPTY
    return np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """The distinct values of a sorted array."""
    return values[run_starts(values)]


def in_sorted(values: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Which values are among the sorted `members` (a search each, galloping where the values rise:
    np.isin hashes both arrays)."""
    if not len(members):
        return np.zeros(len(values), dtype=bool)
    return looked_up(members, values)[1]


def looked_up(members: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of `values` is, or would go, among the sorted `members` (not empty; clipped to the
    last), and whether it is there (rising, galloping)."""
    at = np.minimum(rising(members, values), len(members) - 1)
    return at, members[at] == values


def common(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """The values in both sorted unique arrays, rising: the shorter one's, each looked up in the other
    (in_sorted; np.intersect1d sorts the two together)."""
    shorter, longer = (first, second) if len(first) <= len(second) else (second, first)
    return shorter[in_sorted(shorter, longer)]


def without(values: np.ndarray, dropped: np.ndarray) -> np.ndarray:
    """The values of a sorted unique array that are not in the sorted `dropped` (np.setdiff1d, without
    its sort of both)."""
    return values[~in_sorted(values, dropped)]


def by_part(values: np.ndarray, offsets: np.ndarray) -> list[tuple[int, int, int]]:
    """(part number, low, high) of each part's run of rising global `values` (positions or passage
    ids), given where each part begins (`offsets`, one more than the parts)."""
    edges = np.searchsorted(values, offsets).tolist()
    return [(number, low, high) for number, (low, high) in enumerate(pairwise(edges)) if low < high]


def rising(values: np.ndarray, keys: np.ndarray, right: bool = False) -> np.ndarray:
    """np.searchsorted(values, keys, side) of int64 arrays, galloping from one key's answer to the next
    (_kernels.rising): keys that rise cost O(log gap) each, not a search of all `values`."""
    keys = np.ascontiguousarray(keys, dtype=np.int64)
    out = np.empty(len(keys), dtype=np.int64)
    kernels.rising(np.ascontiguousarray(values, dtype=np.int64), keys, right, out)
    return out


def nothing_located() -> Located:
    return Located(_EMPTY, _EMPTY, _EMPTY, _EMPTY, np.zeros(0, dtype=bool))


class IndexReader:
    """An open index: the Whoosh reader (block text, layout and words), the parts, and block tables."""

    def __init__(self, index_dir: str):
        keep_freed_memory()  # a query's arrays reuse the pages an earlier one faulted in (memory.py)
        self.index_dir = index_dir
        self.whoosh, self._columns, self.parts, self.total_passages, self.total_chars = _open(index_dir)
        self.average_length = self.total_chars / self.total_passages if self.total_passages else 1.0
        self.position_offset = np.cumsum([0, *(len(part.codes) for part, _, _ in self.parts)])
        self.passage_offset = np.cumsum([0, *(len(part.passage_start) for part, _, _ in self.parts)])
        positions, passages = self.position_offset, self.passage_offset
        blocks = [(k, part, base, live) for k, (part, base, live) in enumerate(self.parts)]
        self.block_start = _joined([part.block_start + positions[k] for k, part, _, _ in blocks])
        self.block_end = _joined([part.block_end + positions[k] for k, part, _, _ in blocks])
        self.block_docnum = _joined([part.block_doc.astype(np.int64) + base for _, part, base, _ in blocks])
        self.block_record = _joined([part.block_record.astype(np.int64) for _, part, _, _ in blocks])
        self.block_live = np.concatenate([live for *_, live in blocks]) if blocks else np.zeros(0, dtype=bool)
        self.block_first_passage = _joined([part.block_passages[:-1] + passages[k] for k, part, _, _ in blocks])
        self.block_passage_end = _joined([part.block_passages[1:] + passages[k] for k, part, _, _ in blocks])
        self.part_first_block = np.cumsum([0, *(len(part.block_doc) for part, _, _ in self.parts)])
        self._paths: dict[int, str] | None = None
        self._path_rank: np.ndarray | None = None
        self._path_names: list[str] | None = None
        self._offsets: np.ndarray | None = None
        self._layouts: dict[int, Layout] = {}
        self._punctuation: dict[int, np.ndarray] = {}
        self._bounds: dict[int, bytes] = {}
        self._markup: tuple[int, BlockMarkup | None] = (-1, None)  # the last block's
        self._text: tuple[int, str] = (-1, "")  # the last block decoded: hits come block by block
        self._raw: tuple[int, bytes] = (-1, b"")  # the last block's UTF-8

    def close(self) -> None:
        self.whoosh.close()
        for part, _, _ in self.parts:
            part.close()

    # -- positions and passages ---------------------------------------------------------------------

    def locate(self, text: str, exact_script: bool) -> Located:
        """Every occurrence of normalised `text` that starts in a live block, found folded; with
        `exact_script` only those spelled as `text`."""
        folded = fold(text)
        ranges = [part.range_of(folded) for part, _, _ in self.parts]

        def starts(number: int) -> np.ndarray:
            return _starts_in(self.parts[number][0], text, folded, exact_script, ranges[number])

        found = side_by_side(starts, range(len(self.parts)), sum(high - low for low, high in ranges))
        return self.placed([(number, starts, None) for number, starts in enumerate(found)], len(text))

    def count(self, text: str) -> int:
        """How often normalised `text` occurs, found folded, in every part (live blocks or not, with
        their lookahead): what finding it costs, from the suffix arrays' ranges alone."""
        folded = fold(text)
        return sum(high - low for low, high in (part.range_of(folded) for part, _, _ in self.parts))

    def spelled_as(self, starts: np.ndarray, text: str, ignore_punct: bool = False) -> np.ndarray:
        """Which occurrences (rising global `starts` of normalised `text`, found folded) are spelled as
        `text`."""
        exact = np.ones(len(starts), dtype=bool)
        for number, low, high in by_part(starts, self.position_offset):
            in_part = starts[low:high] - self.position_offset[number]
            punctuation = self.punctuation(number) if ignore_punct else None
            exact[low:high] = spelled_in_part(self.parts[number][0], in_part, text, punctuation)
        return exact

    def unpunctuated_between(self, end: int, start: int) -> int:
        """The characters from global position `end` to `start` that are not punctuation (NEAR's
        distance with --ignore-punct; both lie in one part, as the spans of one passage do)."""
        number = int(np.searchsorted(self.position_offset, end, side="right") - 1)
        offset = int(self.position_offset[number])
        codes = self.parts[number][0].codes[end - offset : start - offset]
        return int(start - end - np.count_nonzero(self.punctuation(number)[codes]))

    def punctuation(self, number: int) -> np.ndarray:
        """Which codes of part `number` are punctuation (normalize.is_punctuation), by code."""
        if number not in self._punctuation:
            alphabet = self.parts[number][0].alphabet.tolist()
            marks = (code < SEPARATOR and is_punctuation(chr(code)) for code in alphabet)
            self._punctuation[number] = np.fromiter(marks, dtype=bool, count=len(alphabet))
        return self._punctuation[number]

    def part_starts(self, number: int, text: str, exact_script: bool) -> np.ndarray:
        """Where normalised `text` starts in part `number` (part positions, separators and lookahead
        included), found folded, or spelled as `text` with `exact_script`."""
        return _starts_in(self.parts[number][0], text, fold(text), exact_script)

    def placed(self, found: list[tuple[int, np.ndarray, np.ndarray | None]], length: int = 0) -> Located:
        """Occurrences given part by part as (part number, rising starts, ends or None for start +
        `length`), placed in blocks and passages in one pass per part in C (_kernels.place), into one
        set of arrays; starts outside a live block's own text are dropped. Parts are placed side by
        side (parallel.side_by_side), each from its own place in the arrays; the gaps its drops
        leave are closed after."""
        total = sum(len(starts) for _, starts, _ in found)
        arrays = (*(np.empty(total, dtype=np.int64) for _ in range(4)), np.empty(total, dtype=bool))
        firsts = list(accumulate((len(starts) for _, starts, _ in found), initial=0))
        tables = (self.position_offset, self.passage_offset, self.part_first_block)

        def place(index: int) -> int:
            number, starts, ends = found[index]
            if not len(starts):
                return 0
            part, _, live = self.parts[number]
            return kernels.place(
                np.ascontiguousarray(starts),
                None if ends is None else np.ascontiguousarray(ends, dtype=np.int64),
                length,
                part.block_start,
                part.block_end,
                live,
                part.passage_start,
                part.flags,
                BOUNDARY,
                part.passage_bucket,
                BUCKET_SHIFT,
                tuple(int(table[number]) for table in tables),
                *arrays,
                firsts[index],
            )

        at = close_gaps(arrays, firsts, side_by_side(place, range(len(found)), total))
        start, end, block, passage, whole = (values[:at] for values in arrays)
        return Located(start, end, passage, block, whole)

    def all_passages(self) -> np.ndarray:
        """The ids of every passage of a live block."""
        live = np.flatnonzero(self.block_live)
        if not len(live):
            return _EMPTY
        return np.concatenate(
            [np.arange(self.block_first_passage[b], self.block_passage_end[b], dtype=np.int64) for b in live]
        )

    def passage_blocks(self, passages: np.ndarray) -> np.ndarray:
        """The global block of each passage id."""
        return rising(self.block_first_passage, passages, right=True) - 1

    def per_block(self, passages: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """How many of `passages` (sorted unique ids) each global block holds, and the sum of their
        `values` (floats, one per passage): a block's passages are one run of ids, so where each block
        begins among `passages` is all it takes, however many passages there are."""
        edges = np.searchsorted(passages, np.append(self.block_first_passage, self.block_passage_end[-1:]))
        running = np.zeros(len(values) + 1)
        np.cumsum(values, out=running[1:])
        return np.diff(edges), running[edges[1:]] - running[edges[:-1]]

    def passage_values(self, passages: np.ndarray, name: str) -> np.ndarray:
        """A per-passage array of the parts (`passage_length`, `passage_line`) read at global ids."""
        values = np.zeros(len(passages), dtype=np.int64)
        if (passages[1:] >= passages[:-1]).all():  # sorted ids: one slice per part
            for number, low, high in by_part(passages, self.passage_offset):
                column = getattr(self.parts[number][0], name)
                values[low:high] = column[passages[low:high] - self.passage_offset[number]]
            return values
        owners = np.searchsorted(self.passage_offset, passages, side="right") - 1  # hits in rank order
        for number in sorted_unique(np.sort(owners)).tolist():
            chosen = owners == number
            values[chosen] = getattr(self.parts[number][0], name)[passages[chosen] - self.passage_offset[number]]
        return values

    def passage_keys(self, passages: np.ndarray) -> list[tuple[int, int]]:
        """(document number, passage number in its block) of each passage id."""
        blocks = self.passage_blocks(passages)
        docnums = self.block_docnum[blocks].tolist()
        return list(zip(docnums, (passages - self.block_first_passage[blocks]).tolist(), strict=True))

    def block_of(self, docnum: int) -> int:
        """The global block of a document number (they rise with the blocks)."""
        return int(np.searchsorted(self.block_docnum, docnum))

    def part_of(self, docnum: int) -> tuple[Part, int]:
        """The part holding a document, and the block's index in it."""
        block = self.block_of(docnum)
        number = int(np.searchsorted(self.part_first_block, block, side="right") - 1)
        return self.parts[number][0], block - int(self.part_first_block[number])

    # -- blocks -------------------------------------------------------------------------------------

    def paths(self) -> dict[int, str]:
        """Document number → file path of every live block (read from the parts' headers)."""
        if self._paths is None:
            self._paths = {}
            for part, base, live in self.parts:
                names = part.paths
                docs, paths = part.block_doc[live].tolist(), part.block_path[live].tolist()
                self._paths.update((base + doc, names[path]) for doc, path in zip(docs, paths, strict=True))
        return self._paths

    def path_names(self) -> list[str]:
        """Every path the parts name, sorted: path_rank() indexes this list."""
        if self._path_names is None:
            self._path_names = sorted({name for part, _, _ in self.parts for name in part.paths})
        return self._path_names

    def path_rank(self) -> np.ndarray:
        """Each block's path's place among all paths in sorted order (for ranking ties)."""
        if self._path_rank is None:
            order = {name: rank for rank, name in enumerate(self.path_names())}
            ranks = [
                np.asarray([order[name] for name in part.paths], dtype=np.int64)[part.block_path]
                for part, _, _ in self.parts
            ]
            self._path_rank = np.concatenate(ranks) if ranks else _EMPTY
        return self._path_rank

    def block_offsets(self) -> np.ndarray:
        """Where each block starts in its file's normalised text (0 for a deleted block), from the block
        tables: a file's live blocks lie one after another in reading order (see following_block)."""
        if self._offsets is None:
            ranks = self.path_rank().tolist()
            lengths = (self.block_end - self.block_start).tolist()
            offsets = np.zeros(len(lengths), dtype=np.int64)
            ends: dict[int, int] = {}
            for block in np.flatnonzero(self.block_live).tolist():
                offsets[block] = ends.get(ranks[block], 0)
                ends[ranks[block]] = int(offsets[block]) + lengths[block]
            self._offsets = offsets
        return self._offsets

    def layout(self, docnum: int) -> Layout:
        if docnum not in self._layouts:
            _make_room(self._layouts, 4096)  # a reader is kept between Searchers (handles.py): bounded
            self._layouts[docnum] = Layout.from_bytes(self._columns["passage_starts"][docnum])
        return self._layouts[docnum]

    def block_text(self, docnum: int) -> str:
        """A block's text as written in the file."""
        if self._text[0] != docnum:
            self._text = (docnum, self._block_bytes(docnum).decode("utf-8", errors="surrogatepass"))
        return self._text[1]

    def text_between(self, docnum: int, start: int, end: int) -> str:
        """Characters [start, end) of a block's text as written, decoding only them (a hit shows one
        passage of a block of up to 64 K characters): _kernels.utf8_offsets finds their bytes."""
        if self._text[0] == docnum:
            return self._text[1][start:end]
        data = self._block_bytes(docnum)
        offsets = array("q", (0, 0))
        kernels.utf8_offsets(data, array("q", (start, end)), offsets)
        return data[offsets[0] : offsets[1]].decode("utf-8", errors="surrogatepass")

    def _block_bytes(self, docnum: int) -> bytes:
        """A block's text in UTF-8, as the text column stores it (the last block read is kept)."""
        if self._raw[0] != docnum:
            self._raw = (docnum, self._columns["text"][docnum])
        return self._raw[1]

    def block_markup(self, docnum: int) -> BlockMarkup | None:
        """Whether a block's file has page and line markers, and the page where the block starts."""
        if self._markup[0] != docnum:  # hits come block by block
            self._markup = (docnum, decode_block_markup(self._columns["markup"][docnum]))
        return self._markup[1]

    def bounds(self, docnum: int) -> bytes:
        """A block's word flags: one per normalised character, then those of what follows it."""
        if docnum not in self._bounds:
            part, block = self.part_of(docnum)
            start = int(part.block_start[block])
            _make_room(self._bounds, 256)  # up to 64 K each
            self._bounds[docnum] = bytes(part.flags[start : int(part.block_end[block]) + LOOKAHEAD + 1])
        return self._bounds[docnum]

    def words_around(self, spans: Mapping[int, Iterable[tuple[int, int]]], count: int) -> Counter[str]:
        """How often each word is among the `count` words that end at or before the start of a span, or
        the `count` that start at or after its end, over the spans of every block given (document number
        → spans in the block's normalised offsets). Only words with a word character count
        (analysis.is_collocate, read from the WORD_CHAR flags that indexing set on this same text), so
        punctuation is stepped over. The words are found in C (_kernels.windows) block by block, and
        counted part by part (Part.strings_counted), up to _WINDOW_WORDS at a time."""
        seen: Counter[str] = Counter()
        pending: list[tuple[np.ndarray, np.ndarray]] = []  # window words of `holder` not yet counted
        held, holder = 0, None

        def count_pending() -> None:
            nonlocal held
            if pending:
                seen.update(holder.strings_counted(*(np.concatenate(column) for column in zip(*pending, strict=True))))
                pending.clear()
            held = 0

        for docnum, block_spans in spans.items():
            part, block = self.part_of(docnum)
            if part is not holder:
                count_pending()
                holder = part
            origin, end = int(part.block_start[block]), int(part.block_end[block])
            around = np.asarray(list(block_spans), dtype=np.int64).reshape(-1, 2)
            reach = min(count, end - origin)  # a block has no more words a side than characters
            step = max(1, _WINDOW_WORDS // max(1, 2 * reach))  # spans a call, so that its arrays stay small
            flags = part.flags[origin : end + 1]
            for low in range(0, len(around), step):
                if held >= _WINDOW_WORDS:
                    count_pending()
                chunk = around[low : low + step]
                starts, ends = (np.empty(2 * reach * len(chunk), dtype=np.int64) for _ in range(2))
                written = kernels.windows(
                    flags,
                    end - origin,
                    np.ascontiguousarray(chunk[:, 0]),
                    np.ascontiguousarray(chunk[:, 1]),
                    reach,
                    BOUNDARY,
                    WORD_CHAR,
                    starts,
                    ends,
                )
                pending.append((starts[:written] + origin, ends[:written] + origin))
                held += written
        count_pending()
        return seen

    def passage_run(self, docnum: int, passage: int, length: int, folded: bool) -> str | None:
        """`length` characters of the index's text from the start of a passage of a block, folded or as
        normalised, running on into the passages after it (a file's blocks follow one another in a
        part); None where the part does not hold them all (the file ends, or runs on in the next part)."""
        part, block = self.part_of(docnum)
        start = int(part.passage_start[int(part.block_passages[block]) + passage])
        end = start + length
        if end > len(part.codes):
            return None
        points = part.alphabet[part.codes[start:end]]
        if len(points) and int(points.max()) >= SEPARATOR:
            return None
        if not folded:
            return part.normalized(start, end)
        return points.tobytes().decode("utf-32-le", errors="surrogatepass")

    def following_block(self, docnum: int) -> int | None:
        """The document number of the next block of the same file (and record), if there is one: a
        file's blocks lie one after another in its segment's parts, and only one segment holds it live."""
        block = self.block_of(docnum) + 1
        ranks, records = self.path_rank(), self.block_record
        if block < len(ranks) and self.block_live[block] and ranks[block] == ranks[block - 1]:
            return int(self.block_docnum[block]) if records[block] == records[block - 1] else None
        return None

    def word_frequencies(self, docnums: Iterable[int], words: Iterable[str]) -> tuple[Counter[str], int]:
        """How often each of `words` occurs in the given blocks, and how many words they hold in all
        (punctuation not counted): per part, its summed table less the blocks left out, or the blocks
        asked for one by one, whichever reads fewer blocks."""
        wanted = list(words)
        encoded = sorted((word.encode("utf-8", errors="surrogatepass"), word) for word in wanted)
        asked = np.unique(np.fromiter(docnums, dtype=np.int64))
        counts: Counter[str] = Counter()
        total = 0
        for part, base, _ in self.parts:
            docs = part.block_doc.astype(np.int64) + base
            chosen = in_sorted(docs, asked)
            if not chosen.any():
                continue
            if 2 * int(chosen.sum()) >= len(docs):  # the part's table (words rising: sum_counts), in C
                found, part_total = kernels.counts_in(part.word_counts, [key for key, _ in encoded])
                counts.update({word: number for (_, word), number in zip(encoded, found, strict=True) if number})
                sign, blocks = -1, docs[~chosen]
                total += part_total
            else:
                sign, blocks = 1, docs[chosen]
            for docnum in blocks.tolist():
                block = read_word_counts(self._columns["words"][docnum])
                total += sign * sum(block.values())
                counts.update({word: sign * block[word] for word in wanted if word in block})
        return +counts, total


def _starts_in(
    part: Part, text: str, folded: str, exact_script: bool, found: tuple[int, int] | None = None
) -> np.ndarray:
    """Where `text` starts in a part, found by its folded form (`found`: its suffix array range, when
    known); with `exact_script` only where it is spelled as `text`."""
    starts = part.find(folded, found)
    return starts[spelled_in_part(part, starts, text)] if exact_script and len(starts) else starts


def skip_punctuation(codes: np.ndarray, punctuation: np.ndarray, at: np.ndarray, step: int) -> np.ndarray:
    """Each position moved on by `step` (1 or -1) while it holds punctuation; -1 where it runs off the
    start. Positions below 0 stay."""
    at = at.copy()
    moving = np.flatnonzero(at >= 0)
    moving = moving[punctuation[codes[at[moving]]]]
    while len(moving):
        at[moving] += step
        moving = moving[at[moving] >= 0]
        moving = moving[punctuation[codes[at[moving]]]]
    return at


def spelled_in_part(part: Part, starts: np.ndarray, text: str, punctuation: np.ndarray | None = None) -> np.ndarray:
    """Which starts (of the folded `text`) are spelled exactly as `text` in the normalised text; with
    `punctuation`, the text's punctuation between its characters is skipped."""
    if not len(part.diff_at):
        return np.full(len(starts), fold(text) == text)
    if punctuation is None:  # the characters follow one another: one pass in C
        exact = np.empty(len(starts), dtype=bool)
        typed = np.frombuffer(text.encode("utf-32-le", errors="surrogatepass"), dtype=np.uint32)
        starts = np.ascontiguousarray(starts, dtype=np.int64)
        kernels.spelled(starts, part.codes, part.alphabet, part.diff_at, part.diff_char, typed, exact)
        return exact
    exact = np.ones(len(starts), dtype=bool)
    at = starts
    for index, char in enumerate(text):
        if index:
            at = skip_punctuation(part.codes, punctuation, at + 1, 1)
        found = np.minimum(np.searchsorted(part.diff_at, at), len(part.diff_at) - 1)
        written = np.where(part.diff_at[found] == at, part.diff_char[found], part.alphabet[part.codes[at]])
        exact &= written == ord(char)
    return exact


def _make_room(cache: dict, most: int) -> None:
    """Empty a per-block cache that has reached `most` entries."""
    if len(cache) >= most:
        cache.clear()


def _joined(arrays: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(arrays).astype(np.int64) if arrays else _EMPTY


def concatenated(located: list[Located]) -> Located:
    """Occurrences found part by part, as one Located (parts are in text order)."""
    if not located:
        return nothing_located()
    if len(located) == 1:
        return located[0]
    return Located(*(np.concatenate(values) for values in zip(*located, strict=True)))


def _open(index_dir: str, attempts: int = 5):
    """A reader with its column files and parts open, retried while a concurrent `cs index` swaps
    segments.

    Whoosh deletes the files of replaced segments right after a commit, and `cs index` then the parts of
    segments that are gone; a reader that read the old table of contents a moment before may miss a
    file. Files once open stay readable, so everything is opened here, and a failed open is simply tried
    again on the new table of contents.
    """
    for attempt in range(attempts):
        try:
            directories = index_dirs(index_dir)  # the shards of a sharded index (shards.py), or itself
            if not directories:
                raise CorpusSearchError(f"no index at {index_dir} — run: cs index DIR")
            index = open_index(*directories)
            reader = index.whoosh.reader()
            # An empty index has no columns.
            names = ("passage_starts", "text", "words", "markup") if reader.doc_count_all() else ()
            columns = {name: reader.column_reader(name) for name in names}
            return reader, columns, open_parts(directories, reader), index.passages, index.chars
        except (CorpusSearchError, OSError):
            if attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


_WINDOW_WORDS = 1 << 20  # words found in one call of words_around's kernel, at most
