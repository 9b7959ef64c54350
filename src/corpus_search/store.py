"""The index on disk: a Whoosh index of passages, the suffix-array parts beside its segments (segment.py),
a manifest of the files it was built from, and the user dictionary it was segmented with. This module
owns that layout: the Whoosh schema and what a block's document holds (its columns encoded here and
decoded beside their encoders: the passages' layout here, the word counts in analysis.py, the markup in
markup.py), the manifest, the stored dictionary, and the checks every open makes. Building and updating
an index is indexing.py's work, through the functions here; a query imports this module and not that one.

The manifest is JSON: `{"format", "passages", "chars"}` first (what opening an index for a query reads),
then `roots`, `globs`, `text_field`, `user_dict` and `files` (one entry per file: path, size, mtime_ns,
sha256, chars, passages, and its own metadata fields). A user dictionary for jieba is stored beside it
(`cs-userdict.txt`, its SHA-256 in the manifest).

(About 420 lines: the schema, the block's columns, the manifest and the checks of an open are the one
description of an index on disk, and each half of it is read beside the other.)
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .analysis import cut, word_counts, word_flags
from .errors import CorpusSearchError
from .markup import encode_block_markup
from .segment import BlockPiece, Part, differences, part_files
from .variants import fold

if TYPE_CHECKING:
    from .loader import Block

FORMAT_VERSION = 8  # 2: blocks of 64 K characters, text in a column; 3: word flags and word counts;
# 4: suffix-array parts beside the Whoosh segments (segment.py) instead of character postings;
# 5: each part sums the word counts of its blocks;
# 6: jieba cuts every Han ideograph (extensions, compatibility) with its dictionary (analysis.py);
# 7: page and line markers are markup in the files that carry them, a `markup` column (markup.py);
# 8: files of records (JSON Lines, CSV): each record ends with the separator (segment.py `block_record`)
MANIFEST = "cs-manifest.json"
USER_DICT = "cs-userdict.txt"
DEFAULT_INDEX = "index"


def schema():
    """A document is a block of passages: its path (indexed, so a file's blocks can be deleted) and
    number (stored), its text as written and per-block data in columns (read without unpickling or
    inflating anything). Its characters are found through the suffix arrays of segment.py.

    Each column also stores where every document's value starts (Whoosh's `write_offsets_cutoff`, here
    for any number of documents), so that opening a column reads one array instead of summing the
    value lengths of every block in Python, which at 2,000 blocks was 0.4 ms a column on every open."""
    from whoosh.columns import VarBytesColumn
    from whoosh.fields import COLUMN, ID, STORED, Schema

    def column() -> COLUMN:
        return COLUMN(VarBytesColumn(write_offsets_cutoff=0))

    return Schema(
        path=ID(stored=True),
        number=STORED(),
        text=column(),
        passage_starts=column(),
        words=column(),
        markup=column(),
    )


@dataclass(frozen=True, slots=True)
class Layout:
    """Where a block's passages start (normalised and original offsets) and their first lines: its
    `passage_starts` column, encoded and decoded here.

    The column packs three uint32 arrays for a block of n passages: n + 1 normalised starts (the last is
    the block's normalised length), n + 1 text starts (the last is the text's length), n lines."""

    norm_starts: array
    text_starts: array
    lines: array

    @staticmethod
    def encode(block: Block) -> bytes:
        starts = [*block.norm_starts, len(block.normalized), *block.text_starts, len(block.text), *block.lines]
        return array("I", starts).tobytes()

    @classmethod
    def from_bytes(cls, packed: bytes) -> Layout:
        values = array("I")
        values.frombytes(packed)
        count = (len(values) - 2) // 3
        return cls(values[: count + 1], values[count + 1 : 2 * count + 2], values[2 * count + 2 :])

    @staticmethod
    def passages(packed: bytes) -> int:
        """How many passages the encoded layout of a block holds."""
        return (len(packed) // 4 - 2) // 3


def block_document(block: Block) -> tuple[dict, BlockPiece]:
    """The Whoosh document of a block (what is stored and the per-block columns), and what its suffix
    array part keeps of it."""
    words = cut(block.normalized)
    counts = word_counts(words)
    folded, lookahead = fold(block.normalized), fold(block.lookahead)
    diff_at, diff_char = differences(block.normalized, folded)
    document = {
        "path": block.path,
        "number": block.number,
        "text": block.text.encode("utf-8", errors="surrogatepass"),
        "passage_starts": Layout.encode(block),
        "words": counts,
        "markup": encode_block_markup(block.markup),
    }
    piece = BlockPiece(
        path=block.path,
        folded=folded,
        diff_at=diff_at,
        diff_char=diff_char,
        flags=word_flags(block.normalized, lookahead, words),
        norm_starts=block.norm_starts,
        lines=block.lines,
        lookahead=lookahead,
        words=counts,
        record=block.record,
    )
    return document, piece


def passages_in(document: dict) -> int:
    """How many passages a block document holds (see block_document)."""
    return Layout.passages(document["passage_starts"])


def load_manifest(index_dir: str) -> dict:
    path = os.path.join(index_dir, MANIFEST)
    try:
        with open(path, encoding="utf-8") as handle:
            manifest = json.load(handle)
    except FileNotFoundError:
        return empty_manifest()
    except (OSError, ValueError) as error:
        raise CorpusSearchError(
            f"index at {index_dir} is damaged ({error}); rebuild it: cs index --rebuild DIR"
        ) from None
    if manifest.get("format") != FORMAT_VERSION:
        raise CorpusSearchError(
            f"index at {index_dir} was written by another version of cs; rebuild it: cs index --rebuild DIR"
        )
    return manifest


def save_manifest(index_dir: str, manifest: dict) -> None:
    """Write the manifest (then rename it into place), its format and totals first: opening the index
    for a query reads only that head (_totals), not one entry per file."""
    path = os.path.join(index_dir, MANIFEST)
    temporary = path + ".tmp"
    files = manifest["files"].values()
    head = {
        "format": manifest.get("format", FORMAT_VERSION),
        "passages": sum(entry["passages"] for entry in files),
        "chars": sum(entry["chars"] for entry in files),
    }
    with open(temporary, "w", encoding="utf-8") as handle:
        rest = {key: value for key, value in manifest.items() if key not in head}
        json.dump(head | rest, handle)  # ASCII escapes keep file names that are not UTF-8
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def segment_ids(index_dir: str) -> set[str]:
    """The ids of the Whoosh segments the index's table of contents names now."""
    with open_whoosh(index_dir).reader() as reader:
        return {leaf.segment().segment_id() for leaf, _ in reader.leaf_readers() if leaf.segment() is not None}


def drop_unlisted(ix) -> None:
    """Delete what a Whoosh writer that never committed left in the index folder: the files of its
    segment, which the table of contents does not list, and its temporary folder. Whoosh deletes them
    only at a later commit (with index.clean_files, as here), so a run that failed for want of disk space
    would not give it back. The caller holds the index's write lock: no writer is at work."""
    from whoosh.index import TOC, clean_files

    with contextlib.suppress(OSError):
        toc = TOC.read(ix.storage, ix.indexname)
        clean_files(ix.storage, ix.indexname, toc.generation, toc.segments)
    shutil.rmtree(os.path.join(ix.storage.folder, f"{ix.indexname}.tmp"), ignore_errors=True)  # Whoosh's name


@contextlib.contextmanager
def write_lock(ix) -> Iterator[bool]:
    """The index's write lock (Whoosh's), taken without waiting: yields whether it was taken, and
    releases it after."""
    lock = ix.lock("WRITELOCK")
    try:
        taken = lock.acquire(False)
    except OSError:  # the folder cannot be written at all
        taken = False
    try:
        yield taken
    finally:
        if taken:
            lock.release()


def empty_manifest() -> dict:
    return {"format": FORMAT_VERSION, "roots": [], "files": {}}


def manifest_dict_sha256(manifest: dict) -> str | None:
    return (manifest.get("user_dict") or {}).get("sha256")


def read_stored_dict(index_dir: str) -> bytes | None:
    """The user dictionary stored with the index, as bytes (None when there is none)."""
    try:
        with open(os.path.join(index_dir, USER_DICT), "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise CorpusSearchError(
            f"cannot read the dictionary stored with the index at {index_dir}: {error.strerror}"
        ) from None


def store_dict(index_dir: str, data: bytes | None) -> None:
    """Replace the stored user dictionary (write, then rename), or remove it when `data` is None."""
    path = os.path.join(index_dir, USER_DICT)
    if data is None:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)
        return
    temporary = path + ".tmp"
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def whoosh_exists(index_dir: str) -> bool:
    """A Whoosh table of contents is there (Whoosh's own exists_in unpickles it, and a damaged one
    would raise instead of answering)."""
    try:
        names = os.listdir(index_dir)
    except OSError:
        return False
    return any(name.startswith("_MAIN_") and name.endswith(".toc") for name in names)


def manifest_is_current(index_dir: str) -> bool:
    try:
        load_manifest(index_dir)
    except CorpusSearchError:
        return False
    return os.path.exists(os.path.join(index_dir, MANIFEST))


def schema_is_current(index_dir: str) -> bool:
    try:
        ix = open_whoosh(index_dir)
    except CorpusSearchError:
        return False
    return set(ix.schema.names()) == set(schema().names())


def open_whoosh(index_dir: str):
    from whoosh import index as whoosh_index

    if not whoosh_exists(index_dir):
        raise CorpusSearchError(f"no index at {index_dir} — run: cs index DIR")
    try:
        return whoosh_index.open_dir(index_dir)
    except Exception as error:  # Whoosh raises many kinds for a damaged index
        raise CorpusSearchError(
            f"index at {index_dir} cannot be read ({type(error).__name__}); rebuild it: cs index --rebuild DIR"
        ) from None


@dataclass(frozen=True, slots=True)
class IndexInfo:
    """What `cs info` shows."""

    index_dir: str
    roots: list[str]
    files: int
    chars: int
    passages: int
    bytes: int
    user_dict_words: int | None = None  # None: no user dictionary
    user_dict_sha256: str = ""
    shards: int = 0  # 0: not sharded (shards.py)


@dataclass(frozen=True, slots=True)
class OpenIndex:
    """A Whoosh index this version of cs wrote, with the totals its manifest holds."""

    whoosh: object
    passages: int
    chars: int


def open_index(index_dir: str = DEFAULT_INDEX, *shards: str) -> OpenIndex:
    """The index at `index_dir`, checked to be one that this version of cs wrote (one manifest read);
    with `shards`, the indexes at `index_dir` and at each of them as one, whose `whoosh.reader()` reads
    the segments of them all as one index's (shards.py)."""
    if shards:
        indexes = [open_index(directory) for directory in (index_dir, *shards)]
        return OpenIndex(
            _Several([index.whoosh for index in indexes]),
            sum(index.passages for index in indexes),
            sum(index.chars for index in indexes),
        )
    if not os.path.isdir(index_dir) or not os.path.exists(os.path.join(index_dir, MANIFEST)):
        raise CorpusSearchError(f"no index at {index_dir} — run: cs index DIR")
    passages, chars = _totals(index_dir)
    if not whoosh_exists(index_dir):
        raise CorpusSearchError(
            f"index at {index_dir} is damaged (its table of contents is missing); rebuild it: cs index --rebuild DIR"
        )
    return OpenIndex(open_whoosh(index_dir), passages, chars)


_HEAD = re.compile(rb'\{"format": (\d+), "passages": (\d+), "chars": (\d+)[,}]')


def _totals(index_dir: str) -> tuple[int, int]:
    """The passages and normalised characters the index holds, checked to be of this format: from the
    manifest's head as save_manifest writes it (at 100,000 files the whole manifest is about 30 MB of
    JSON), else from every entry of it."""
    try:
        with open(os.path.join(index_dir, MANIFEST), "rb") as handle:
            head = _HEAD.match(handle.read(128))
    except OSError:
        head = None
    if head is None:
        files = load_manifest(index_dir)["files"].values()
        return sum(entry["passages"] for entry in files), sum(entry["chars"] for entry in files)
    if int(head[1]) != FORMAT_VERSION:
        load_manifest(index_dir)  # says which
    return int(head[2]), int(head[3])


@dataclass(frozen=True, slots=True)
class _Several:
    """Whoosh indexes read as one: their segments, in order, under one MultiReader."""

    indexes: list

    def reader(self):
        from whoosh.reading import MultiReader

        readers = [index.reader() for index in self.indexes]
        return MultiReader([leaf for each in readers for leaf, _ in each.leaf_readers()])


def index_info(index_dir: str = DEFAULT_INDEX) -> IndexInfo:
    """Summary of an index: its roots, files, characters, passages and size on disk."""
    if not os.path.isdir(index_dir):
        raise CorpusSearchError(f"no index at {index_dir} — run: cs index DIR")
    manifest = load_manifest(index_dir)
    files = manifest["files"].values()
    size = sum(entry.stat().st_size for entry in os.scandir(index_dir) if entry.is_file())
    return IndexInfo(
        index_dir=index_dir,
        roots=manifest["roots"],
        files=len(files),
        chars=sum(entry["chars"] for entry in files),
        passages=sum(entry["passages"] for entry in files),
        bytes=size,
        user_dict_words=manifest.get("user_dict", {}).get("words"),
        user_dict_sha256=manifest.get("user_dict", {}).get("sha256", ""),
    )


def last_run(index_dir: str = DEFAULT_INDEX) -> tuple[list[str], list[str]]:
    """The paths the index was last built from and the globs that run was given (none when there is
    no index yet; no globs: every kind)."""
    if not os.path.exists(os.path.join(index_dir, MANIFEST)):
        return [], []
    manifest = load_manifest(index_dir)
    return list(manifest["roots"]), list(manifest.get("globs", []))


def open_parts(index_dirs: list[str], reader) -> list[tuple[Part, int, object]]:
    """The suffix-array parts of every Whoosh segment the reader holds (found in `index_dirs`: an index,
    or the shards of one): (part, the segment's first document number, which of the part's blocks are
    live), checked to hold each document exactly once."""
    import numpy as np

    files: dict[str, list[str]] = {}
    for directory in index_dirs:
        found = part_files(os.listdir(directory))
        files.update({segment: [os.path.join(directory, name) for name in names] for segment, names in found.items()})
    index_dir = index_dirs[0] if len(index_dirs) == 1 else os.path.dirname(index_dirs[0])
    opened = []
    for leaf, base in reader.leaf_readers():
        if leaf.segment() is None:  # an empty index: Whoosh's reader of no segment
            continue
        names = files.get(leaf.segment().segment_id(), [])
        parts = [Part(name) for name in names]
        docs = np.concatenate([part.block_doc for part in parts]) if parts else np.zeros(0, dtype=np.int32)
        if not np.array_equal(docs, np.arange(leaf.doc_count_all())):
            raise CorpusSearchError(
                f"index at {index_dir} is damaged (a segment's suffix arrays are missing); "
                "rebuild it: cs index --rebuild DIR"
            )
        segment = leaf.segment()
        deleted = np.fromiter(segment.deleted_docs(), dtype=np.int64) if segment.has_deletions() else None
        for part in parts:
            live = np.ones(len(part.block_doc), dtype=bool) if deleted is None else ~np.isin(part.block_doc, deleted)
            opened.append((part, base, live))
    return opened
