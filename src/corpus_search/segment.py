"""The index's flat files: the folded text of the blocks, its suffix array, and what maps positions back.

Whoosh keeps each block's text as written, its path, number and columns, and makes commits atomic. Beside
every Whoosh segment, this module keeps one or more *parts*: files named `cs-<segment id>-<k>.seg`, each
the blocks of a run of the segment's documents. A part is the forward index and the reverse index of its
text at once, as infini-gram keeps a shard: the folded normalised text as small integer codes, its suffix
array (sorted as codes by sais-lite: _kernels.suffix_array), and flat tables; it is memory-mapped and
opened without unpickling anything.

Layout of a part file: 8 bytes (little-endian length of the header), a JSON header
`{"arrays": {name: [dtype, offset, count]}, "paths": [...]}`, then each array, 8-byte aligned. The parts of a segment
hold its documents in order, each exactly once (the reader checks). Arrays:

- `alphabet` (uint32): code → code point, sorted; the separator is SEPARATOR (past Unicode, so no text
  or query holds it: a NUL in a file is a character like any other), the last code when present.
- `codes` (uint16, or uint32 past 65,535 distinct characters): the text, folded (variants.fold), one code
  per character. Blocks of a file follow one another, so a match runs on across block seams; a file ends
  with the separator, and so does each record of a file of records (formats.py: JSON Lines, CSV), so no
  match runs from one record into the next. A file (or record) split over two parts ends its first part
  with the lookahead (LOOKAHEAD characters of the next block) and the separator.
- `sa` (int32): the suffix array of `codes` (a part holds at most about 2 × PART_CHARS characters).
- `flags` (uint8, one per character and one more): BOUNDARY and WORD_CHAR (analysis.py).
- `diff_at` (int64) and `diff_char` (uint32): where the normalised text differs from the folded one,
  and its character there, so the text as normalised (before folding) can be read back exactly.
- `block_doc` (int32): the Whoosh document number of each block, within its segment.
- `block_path` (int32): each block's file, an index into the header's `paths`, so a search learns
  every block's path from the part instead of from Whoosh's postings.
- `block_record` (int32): each block's record in its file (0, 1, … in file order), or -1 in a file
  that is not made of records.
- `block_start`, `block_end` (int64): where each block's own text lies in `codes`; starts outside every
  block (separators, lookahead) are not matches.
- `block_passages` (int64, blocks + 1): index of each block's first passage.
- `passage_start` (int64), `passage_length` (int32), `passage_line` (int32): each passage's place in
  `codes`, its normalised length, and the file line it starts on.
- `passage_bucket` (int32, `len(codes) // BUCKET + 1`): how many passages start before each run of
  BUCKET positions (passage_buckets), so that a position's passage is a step or two on from its run's
  count instead of a search of `passage_start`. Parts written before it have none (Part.passage_bucket
  is None) and are searched.
- `word_counts` (uint8): `word<TAB>count` lines (analysis.word_counts) of the jieba words of all
  its blocks, summed (in C: _kernels.sum_counts), words in code point order, so that corpus frequencies
  for collocates cost one table per part rather than one per block (the per-block counts stay in
  Whoosh's `words` column, for the blocks a path filter or a deletion leaves out).

(About 500 lines: it owns the part format, so writing a part (the builder that fills parts and writes
them in the background, and the encoder) stays beside reading one, and so does reading its text back:
characters, code points and the strings at many ranges counted.)
"""

from __future__ import annotations

import contextlib
import itertools
import json
import mmap
import os
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from . import _kernels as kernels
from .analysis import BOUNDARY
from .loader import LOOKAHEAD

if TYPE_CHECKING:
    from concurrent.futures import Future

SEPARATOR = 0x110000  # one past the last code point: ends each file (or record) in a part
PART_CHARS = 1 << 24  # characters; a run of blocks is cut into parts of about this size (bounded memory)
SPLIT_CHARS = 1 << 21  # characters; the last part of a build, from this size, is written as two (finish)
BUCKET_SHIFT = 6  # passage_bucket counts passages per run of BUCKET = 64 positions (a passage is ~50)
BUCKET = 1 << BUCKET_SHIFT
_SUFFIX = ".seg"
_PACKED = 3  # characters of a string that Part.strings_counted packs into one integer, 21 bits each
_NAME = re.compile(r"cs-(.+)-(\d+)\.seg\Z")


def differences(normalized: str, folded: str) -> tuple[list[int], str]:
    """Where folding changed a character of a block (`diff_at`) and the character as normalised there
    (`diff_char`): what Part.normalized puts back."""
    normalized_points = _code_points(normalized)
    at = (normalized_points != _code_points(folded)).nonzero()[0]
    return at.tolist(), normalized_points[at].tobytes().decode("utf-32-le", errors="surrogatepass")


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", errors="surrogatepass"), dtype=np.uint32)


@dataclass(slots=True)
class BlockPiece:
    """What a part keeps of one block: its folded normalised text, where normalising and folding differ,
    its flags (one per character and one more), its passages, and the lookahead after it."""

    path: str
    folded: str
    diff_at: list[int]
    diff_char: str
    flags: bytes
    norm_starts: list[int]  # passage starts in `folded`
    lines: list[int]
    lookahead: str
    words: bytes  # the block's `word<TAB>count` lines (analysis.word_counts)
    record: int = -1  # its record in its file, or -1 (see block_record)

    @property
    def document(self) -> tuple[str, int]:
        """What a match cannot run out of: the file, or the record of a file of records."""
        return self.path, self.record


@dataclass(slots=True)
class PartBuilder:
    """Collects the blocks of one new Whoosh segment, in document order, and writes them as parts, each
    as soon as it is full. A full part is written in a background thread while the next one fills, so the
    workers analysing files never wait for a suffix array to be sorted; one part is written at a time,
    so memory holds two parts at most. The last is written as two halves sorted side by side when it is
    big (finish)."""

    index_dir: str
    segment_id: str
    pending: list[tuple[int, BlockPiece]] = field(default_factory=list)
    pending_chars: int = 0
    next_doc: int = 0
    written: list[str] = field(default_factory=list)
    writing: list[Future] = field(default_factory=list)  # the parts being written, each in a thread of its own

    def add(self, piece: BlockPiece) -> None:
        """Add the next block (the next Whoosh document), closing the part before it once that is full:
        between files, or inside a file that is too big for one part."""
        if self.pending and self.pending_chars >= PART_CHARS:
            last = self.pending[-1][1].document
            if piece.document != last or self.pending_chars >= 2 * PART_CHARS:
                self._write(continues=piece.document == last)
        self.pending.append((self.next_doc, piece))
        self.pending_chars += len(piece.folded)
        self.next_doc += 1

    def finish(self) -> list[str]:
        """Write what is left and wait until every part is written; the names of the part files.

        What is left is written as two parts sorted side by side when it holds SPLIT_CHARS characters or
        more and a file (or record) ends near its middle: a suffix sort takes one core, and at the end of
        a build nothing else runs (the 1x corpus's one part sorted in 0.72-0.85 s, its halves side by
        side in 0.38-0.44 s)."""
        half = _middle_boundary(self.pending) if self.pending_chars >= SPLIT_CHARS else 0
        if half:
            rest = self.pending[half:]
            self.pending = self.pending[:half]
            self._write(continues=False)
            self.pending = rest
            self._write(continues=False, alongside=True)
        elif self.pending:
            self._write(continues=False)
        self._wait()
        return self.written

    def discard(self) -> None:
        """Delete the parts written so far (once the one being written is done): the commit they were
        for did not happen."""
        with contextlib.suppress(Exception):
            self._wait()
        for name in self.written:
            _remove(os.path.join(self.index_dir, name))
        self.written = []

    def _write(self, continues: bool, alongside: bool = False) -> None:
        """Write the pending blocks as the next part, in a thread, once the parts being written are done
        (or, `alongside`, at once)."""
        from concurrent.futures import ThreadPoolExecutor

        name = f"cs-{self.segment_id}-{len(self.written)}{_SUFFIX}"
        blocks, self.pending, self.pending_chars = self.pending, [], 0
        if not alongside:
            self._wait()
        writer = ThreadPoolExecutor(1, thread_name_prefix="cs-part")
        self.writing.append(writer.submit(_encode_and_write, os.path.join(self.index_dir, name), blocks, continues))
        writer.shutdown(wait=False)  # its thread ends once this part is written
        self.written.append(name)

    def _wait(self) -> None:
        """Wait for the parts being written; the first error is raised here."""
        writing, self.writing = self.writing, []
        errors = [future.exception() for future in writing]  # waits for each: all are done before one raises
        for error in errors:
            if error is not None:
                raise error


def _middle_boundary(blocks: list[tuple[int, BlockPiece]]) -> int:
    """The index of the block, after the first, that starts a file (or record) nearest the middle of the
    blocks' characters; 0 when none lies in their middle half."""
    sizes = list(itertools.accumulate(len(piece.folded) for _, piece in blocks))
    total = sizes[-1] if sizes else 0
    cuts = [
        index
        for index in range(1, len(blocks))
        if blocks[index][1].document != blocks[index - 1][1].document and total <= 4 * sizes[index - 1] <= 3 * total
    ]
    return min(cuts, key=lambda index: abs(2 * sizes[index - 1] - total), default=0)


def _encode_and_write(path: str, blocks: list[tuple[int, BlockPiece]], continues: bool) -> None:
    write_part(path, *encode_part(blocks, continues))


def encode_part(blocks: list[tuple[int, BlockPiece]], continues: bool) -> tuple[list[str], dict[str, np.ndarray]]:
    """The paths and arrays of one part, from (Whoosh document number, piece) of consecutive blocks."""
    from concurrent.futures import ThreadPoolExecutor

    pieces: list[str] = []
    flags: list[bytes] = []
    diff_at: list[np.ndarray] = []
    diff_char: list[str] = []
    block_start, block_end, block_doc, block_passages = [], [], [], [0]
    paths: dict[str, int] = {}
    block_path = []
    block_record = []
    separators: list[int] = []
    passage_start: list[np.ndarray] = []
    passage_length: list[np.ndarray] = []
    passage_line: list[int] = []
    at = 0
    for index, (doc, piece) in enumerate(blocks):
        length = len(piece.folded)
        pieces.append(piece.folded)
        flags.append(piece.flags[:length])
        diff_at.append(np.asarray(piece.diff_at, dtype=np.int64) + at)
        diff_char.append(piece.diff_char)
        block_doc.append(doc)
        block_path.append(paths.setdefault(piece.path, len(paths)))
        block_record.append(piece.record)
        block_start.append(at)
        block_end.append(at + length)
        starts = np.asarray([*piece.norm_starts, length], dtype=np.int64)
        passage_start.append(starts[:-1] + at)
        passage_length.append(np.diff(starts).astype(np.int32))
        passage_line.extend(piece.lines)
        block_passages.append(block_passages[-1] + len(piece.norm_starts))
        at += length
        last_of_document = index + 1 == len(blocks) or blocks[index + 1][1].document != piece.document
        if last_of_document:
            if index + 1 == len(blocks) and continues:  # the file (or record) goes on in the next part
                pieces.append(piece.lookahead)
                flags.append(piece.flags[length : length + len(piece.lookahead)])
                at += len(piece.lookahead)
            pieces.append("\0")  # a place for the separator, set below
            separators.append(at)
            flags.append(b"\0")
            at += 1
    text = "".join(pieces)
    points = _code_points(text).copy()
    points[np.asarray(separators, dtype=np.int64)] = SEPARATOR
    alphabet, codes = _dense_codes(points)
    del text, points  # 6 bytes a character that the sort below need not share memory with
    # The sort (SA-IS, in C) releases the GIL, so it runs on one core while this thread sums the blocks'
    # word counts on the other (at the end of a build, nothing else runs).
    suffixes = np.empty(len(codes), dtype=np.int32)
    with ThreadPoolExecutor(1) as sorter:
        sorting = sorter.submit(kernels.suffix_array, codes, suffixes)
        word_counts = kernels.sum_counts([piece.words for _, piece in blocks])
        sorting.result()
    starts_of_passages = np.concatenate(passage_start) if passage_start else np.zeros(0, dtype=np.int64)
    flag_array = np.frombuffer(b"".join(flags) + b"\0", dtype=np.uint8).copy()
    flag_array[np.asarray(block_end, dtype=np.int64)] |= BOUNDARY  # a block ends a word, as it always has
    return list(paths), {
        "alphabet": alphabet,
        "codes": codes,
        "sa": suffixes,
        "flags": flag_array,
        "diff_at": np.concatenate(diff_at) if diff_at else np.zeros(0, dtype=np.int64),
        "diff_char": np.frombuffer("".join(diff_char).encode("utf-32-le", errors="surrogatepass"), dtype=np.uint32),
        "block_doc": np.asarray(block_doc, dtype=np.int32),
        "block_path": np.asarray(block_path, dtype=np.int32),
        "block_record": np.asarray(block_record, dtype=np.int32),
        "block_start": np.asarray(block_start, dtype=np.int64),
        "block_end": np.asarray(block_end, dtype=np.int64),
        "block_passages": np.asarray(block_passages, dtype=np.int64),
        "passage_start": starts_of_passages,
        "passage_length": np.concatenate(passage_length) if passage_length else np.zeros(0, dtype=np.int32),
        "passage_line": np.asarray(passage_line, dtype=np.int32),
        "passage_bucket": passage_buckets(starts_of_passages, len(codes), BUCKET_SHIFT),
        "word_counts": np.frombuffer(word_counts, dtype=np.uint8),
    }


def passage_buckets(passage_start: np.ndarray, length: int, shift: int) -> np.ndarray:
    """How many of `passage_start` (rising) lie before each multiple of 2**shift, from 0 to `length`."""
    edges = np.arange(0, (length >> shift) + 1, dtype=np.int64) << shift
    return np.searchsorted(passage_start, edges).astype(np.int32)


def _dense_codes(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Code points → small codes (in code point order), and the alphabet that maps them back."""
    present = np.zeros(SEPARATOR + 1, dtype=bool)
    present[points] = True
    alphabet = np.flatnonzero(present).astype(np.uint32)
    dtype = np.uint16 if len(alphabet) <= 0xFFFF else np.uint32
    table = np.zeros(SEPARATOR + 1, dtype=dtype)
    table[alphabet] = np.arange(len(alphabet), dtype=dtype)
    return alphabet, table[points]


def write_part(path: str, paths: list[str], arrays: dict[str, np.ndarray]) -> None:
    """Write a part file: header, then the arrays, 8-byte aligned; to a temporary name, then renamed."""
    layout = {}
    offset = 0
    for name, array in arrays.items():
        layout[name] = [array.dtype.str, offset, int(array.size)]
        offset += (array.nbytes + 7) // 8 * 8
    header = json.dumps({"arrays": layout, "paths": paths}).encode("ascii")  # ASCII escapes keep any name
    header += b" " * (-(len(header) + 8) % 8)
    temporary = path + ".tmp"
    with open(temporary, "wb") as handle:
        handle.write(len(header).to_bytes(8, "little") + header)
        for array in arrays.values():  # from the array's own memory: a copy of the suffix array is 4 bytes a character
            data = np.ascontiguousarray(array)
            handle.write(memoryview(data).cast("B"))
            handle.write(b"\0" * (-data.nbytes % 8))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


class Part:
    """An open part file: its arrays as read-only views of one memory map."""

    def __init__(self, path: str):
        with open(path, "rb") as handle:
            self._map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        size = int.from_bytes(self._map[:8], "little")
        header = json.loads(self._map[8 : 8 + size])
        self.paths: list[str] = header["paths"]
        base = 8 + size
        buffer = memoryview(self._map)
        self.passage_bucket: np.ndarray | None = None  # absent from parts written before it
        for name, (dtype, offset, count) in header["arrays"].items():
            array = np.frombuffer(buffer, dtype=np.dtype(dtype), count=count, offset=base + offset)
            setattr(self, name, array)
        self.flag_bytes = buffer[base + header["arrays"]["flags"][1] :][: header["arrays"]["flags"][2]]

    alphabet: np.ndarray
    codes: np.ndarray
    sa: np.ndarray
    flags: np.ndarray
    diff_at: np.ndarray
    diff_char: np.ndarray
    block_doc: np.ndarray
    block_path: np.ndarray
    block_record: np.ndarray
    block_start: np.ndarray
    block_end: np.ndarray
    block_passages: np.ndarray
    passage_start: np.ndarray
    passage_length: np.ndarray
    passage_line: np.ndarray
    word_counts: np.ndarray

    def encode(self, folded: str) -> list[int] | None:
        """The codes of a folded string (None when a character of it is not in this part)."""
        points = [ord(char) for char in folded]
        found = np.searchsorted(self.alphabet, points)
        if (found >= len(self.alphabet)).any() or (
            self.alphabet[np.minimum(found, len(self.alphabet) - 1)] != points
        ).any():
            return None
        return found.tolist()

    def find(self, folded: str, found: tuple[int, int] | None = None) -> np.ndarray:
        """Every position where `folded` starts, sorted: its range of the suffix array (range_of, or
        `found` when that is known) sorted."""
        low, high = self.range_of(folded) if found is None else found
        return np.sort(self.sa[low:high])  # of the suffix array's type: int32 below 2**31 characters

    def range_of(self, folded: str) -> tuple[int, int]:
        """The range of the suffix array whose suffixes start with `folded` (empty when a character of
        it is not in this part)."""
        pattern = self.encode(folded)
        return (0, 0) if pattern is None else self.span(pattern)

    def span(self, pattern: list[int]) -> tuple[int, int]:
        """The range of the suffix array whose suffixes start with the codes `pattern` (two binary
        searches, in C: _kernels.sa_range)."""
        if not len(self.sa):
            return 0, 0
        return kernels.sa_range(self.codes, self.sa, np.asarray(pattern, dtype=np.uint32))

    def piece(self, block: int, words: bytes) -> BlockPiece:
        """A block as a piece again, to write it into a merged segment's parts without analysing it
        (`words`: its word counts, from Whoosh's column)."""
        start, end = int(self.block_start[block]), int(self.block_end[block])
        after = self.codes[end : end + LOOKAHEAD]
        stop = np.flatnonzero(self.alphabet[after] == SEPARATOR)
        after = after[: stop[0]] if len(stop) else after
        low, high = np.searchsorted(self.diff_at, [start, end])
        first, last = int(self.block_passages[block]), int(self.block_passages[block + 1])
        return BlockPiece(
            path=self.paths[int(self.block_path[block])],
            folded=self._text(self.codes[start:end]),
            diff_at=(self.diff_at[low:high] - start).tolist(),
            diff_char=self.diff_char[low:high].tobytes().decode("utf-32-le", errors="surrogatepass"),
            flags=bytes(self.flags[start : end + len(after)]) + b"\0",
            norm_starts=(self.passage_start[first:last] - start).tolist(),
            lines=self.passage_line[first:last].tolist(),
            lookahead=self._text(after),
            words=words,
            record=int(self.block_record[block]),
        )

    def _text(self, codes: np.ndarray) -> str:
        return self.alphabet[codes].tobytes().decode("utf-32-le", errors="surrogatepass")

    def normalized(self, start: int, end: int) -> str:
        """The text as normalised (before folding) in [start, end)."""
        return self.characters(np.arange(start, end))

    def characters(self, positions: np.ndarray) -> str:
        """The characters as normalised (before folding) at the given positions, as one string."""
        return self.points(positions).tobytes().decode("utf-32-le", errors="surrogatepass")

    def points(self, positions: np.ndarray) -> np.ndarray:
        """The code points as normalised (before folding) at the given positions (uint32)."""
        points = self.alphabet[self.codes[positions]]
        at = np.minimum(np.searchsorted(self.diff_at, positions), max(len(self.diff_at) - 1, 0))
        if len(self.diff_at):
            changed = self.diff_at[at] == positions
            points[changed] = self.diff_char[at[changed]]
        return points

    def strings_counted(self, starts: np.ndarray, ends: np.ndarray) -> Counter[str]:
        """How often each string of normalised characters [starts[i], ends[i]) (part positions) occurs
        among them. Strings of one to three characters (most words) are counted as integers, their
        code points packed 21 bits each, by numpy; only the distinct ones are decoded. Longer ones are
        read as one text and cut."""
        counted: Counter[str] = Counter()
        lengths = ends - starts
        for length in range(1, _PACKED + 1):  # a length at a time: keys of different lengths never meet
            at = starts[lengths == length]
            if not len(at):
                continue
            keys = np.zeros(len(at), dtype=np.uint64)
            for offset in range(length):
                keys = (keys << np.uint64(21)) | self.points(at + offset).astype(np.uint64)
            distinct, counts = np.unique(keys, return_counts=True)
            shifts = np.arange(length - 1, -1, -1, dtype=np.uint64) * np.uint64(21)
            points = (distinct[:, None] >> shifts & np.uint64(0x1FFFFF)).astype("<u4")
            text = points.tobytes().decode("utf-32-le", errors="surrogatepass")
            strings = (text[begin : begin + length] for begin in range(0, len(text), length))
            counted.update(dict(zip(strings, counts.tolist(), strict=True)))
        longer = lengths > _PACKED
        if longer.any():
            low, high = starts[longer], ends[longer]
            text = self.characters(_ranges(low, high))
            counted.update(text[begin:cut] for begin, cut in itertools.pairwise([0, *np.cumsum(high - low).tolist()]))
        return counted

    def close(self) -> None:
        for name in list(self.__dict__):
            if isinstance(getattr(self, name), np.ndarray | memoryview):
                delattr(self, name)
        self._map.close()


def part_files(names: Iterable[str]) -> dict[str, list[str]]:
    """Part file names by Whoosh segment id, each list in part order."""
    found: dict[str, list[tuple[int, str]]] = {}
    for name in names:
        matched = _NAME.match(name)
        if matched:
            found.setdefault(matched.group(1), []).append((int(matched.group(2)), name))
    return {segment: [name for _, name in sorted(parts)] for segment, parts in found.items()}


def remove_unused(index_dir: str, segment_ids: set[str]) -> None:
    """Delete the part files of segments no longer in the index (and temporary files left by a crash)."""
    names = os.listdir(index_dir)
    for segment, files in part_files(names).items():
        if segment not in segment_ids:
            for name in files:
                _remove(os.path.join(index_dir, name))
    for name in names:
        if name.startswith("cs-") and name.endswith(_SUFFIX + ".tmp"):
            _remove(os.path.join(index_dir, name))


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


def _ranges(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """The integers of each range [low, high), one range after another."""
    sizes = high - low
    return np.repeat(low - (np.cumsum(sizes) - sizes), sizes) + np.arange(int(sizes.sum()))
