"""The index on disk: a Whoosh index of passages plus a manifest of the files it was built from.

`build_index` makes the index mirror the given paths: new and changed files are (re)indexed, files that
are gone are removed, and a file whose size and modification time are unchanged is not even read. A
file whose content hash is unchanged is not re-analysed either. Reading, normalising and segmenting run
in worker processes (both cores); the parent process only feeds Whoosh.

The Whoosh commit comes first and the manifest is replaced after it (write, then rename), so a crash in
between leaves a manifest that is merely out of date: the next run re-indexes the files it disagrees on.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from array import array
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from .analysis import OWN_END, CharField, char_postings, word_boundaries
from .errors import CorpusSearchError
from .loader import Block, SourceFile, blocks_from_text, decode, find_files

FORMAT_VERSION = 1
MANIFEST = "cs-manifest.json"
DEFAULT_INDEX = "index"


def schema():
    """A document is a block of passages: its text as written, its characters, and column data."""
    from whoosh.columns import VarBytesColumn
    from whoosh.fields import COLUMN, ID, STORED, Schema

    return Schema(
        path=ID(stored=True),
        number=STORED(),
        text=STORED(),
        chars=CharField(),
        passage_starts=COLUMN(VarBytesColumn()),
        bounds=COLUMN(VarBytesColumn()),
    )


def _array_bytes(values: list[int]) -> bytes:
    return array("I", values).tobytes()


def block_document(block: Block) -> dict:
    """The Whoosh document of a block: what is stored, what is indexed, and the per-block columns.

    `passage_starts` packs three uint32 arrays for a block of n passages: n + 1 normalised starts (the
    last is the block's normalised length), n + 1 text starts (the last is the text's length), n lines.
    """
    if len(block.normalized) >= OWN_END:
        raise CorpusSearchError(f"block {block.number} of {block.path} is too long to index")
    return {
        "path": block.path,
        "number": block.number,
        "text": block.text,
        "chars": char_postings(block.normalized, block.lookahead),
        "passage_starts": _array_bytes(
            [*block.norm_starts, len(block.normalized), *block.text_starts, len(block.text), *block.lines]
        ),
        "bounds": word_boundaries(block.normalized),
    }


@dataclass(frozen=True, slots=True)
class FileEntry:
    """What the manifest knows of one indexed file."""

    path: str
    size: int
    mtime_ns: int
    sha256: str
    chars: int
    passages: int


@dataclass(slots=True)
class IndexReport:
    """What one `build_index` run did."""

    files: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    chars: int = 0
    passages: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Analysed:
    """A worker's result for one file: its hash and, when it changed, its documents."""

    source: SourceFile
    sha256: str
    chars: int
    passages: int
    documents: list[dict] | None
    error: str | None = None


def _analyse(source: SourceFile, known_sha256: str | None, encoding: str | None) -> _Analysed:
    """Read, hash, normalise and segment one file (runs in a worker process)."""
    try:
        with open(source.real_path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        return _Analysed(source, "", 0, 0, None, f"cannot read {source.path}: {error.strerror}")
    sha256 = hashlib.sha256(data).hexdigest()
    if sha256 == known_sha256:
        return _Analysed(source, sha256, 0, 0, None)
    text = decode(data, encoding)
    documents = [block_document(block) for block in blocks_from_text(source.path, text)]
    passages = sum((len(document["passage_starts"]) // 4 - 2) // 3 for document in documents)
    return _Analysed(source, sha256, len(text), passages, documents)


def _load_manifest(index_dir: str) -> dict:
    path = os.path.join(index_dir, MANIFEST)
    try:
        with open(path, encoding="utf-8") as handle:
            manifest = json.load(handle)
    except FileNotFoundError:
        return {"format": FORMAT_VERSION, "roots": [], "files": {}}
    except (OSError, ValueError) as error:
        raise CorpusSearchError(
            f"index at {index_dir} is damaged ({error}); rebuild it: cs index --rebuild DIR"
        ) from None
    if manifest.get("format") != FORMAT_VERSION:
        raise CorpusSearchError(
            f"index at {index_dir} was written by another version of cs; rebuild it: cs index --rebuild DIR"
        )
    return manifest


def _save_manifest(index_dir: str, manifest: dict) -> None:
    path = os.path.join(index_dir, MANIFEST)
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, ensure_ascii=False)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def build_index(
    roots: list[str],
    index_dir: str = DEFAULT_INDEX,
    *,
    pattern: str = "*.txt",
    encoding: str | None = None,
    follow_links: bool = False,
    rebuild: bool = False,
    workers: int | None = None,
    progress: Callable[[int, int, int, int], None] | None = None,
) -> IndexReport:
    """Make the index at `index_dir` hold exactly the matching files under `roots`."""
    from whoosh import index as whoosh_index

    started = time.perf_counter()
    report = IndexReport()
    roots = [os.path.normpath(root) for root in roots]
    os.makedirs(index_dir, exist_ok=True)
    manifest = {"format": FORMAT_VERSION, "roots": [], "files": {}} if rebuild else _load_manifest(index_dir)
    if rebuild or not whoosh_index.exists_in(index_dir):
        ix = whoosh_index.create_in(index_dir, schema())
        manifest["files"] = {}
    else:
        ix = _open_whoosh(index_dir)
    known: dict[str, dict] = manifest["files"]

    sources = {source.real_path: source for source in find_files(roots, pattern, follow_links)}
    report.files = len(sources)
    to_check = [
        source
        for real, source in sources.items()
        if real not in known
        or known[real]["size"] != source.size
        or known[real]["mtime_ns"] != source.mtime_ns
        or known[real]["path"] != source.path
    ]
    gone = [real for real in known if real not in sources]
    report.unchanged = report.files - len(to_check)
    if not to_check and not gone and manifest["roots"] == roots:
        report.seconds = time.perf_counter() - started
        return report

    writer = _writer(ix)
    try:
        for real in gone:
            writer.delete_by_term("path", known.pop(real)["path"])
            report.removed += 1
        total_bytes = sum(source.size for source in to_check)
        done_bytes = 0
        for done, result in enumerate(_analyse_all(to_check, known, encoding, workers), 1):
            source = result.source
            done_bytes += source.size
            if progress:
                progress(done, len(to_check), done_bytes, total_bytes)
            if result.error:
                report.warnings.append(result.error)
                continue
            previous = known.get(source.real_path)
            if result.documents is None:  # same content, new timestamp
                previous["mtime_ns"] = source.mtime_ns
                previous["size"] = source.size
                report.unchanged += 1
                continue
            if previous:
                writer.delete_by_term("path", previous["path"])
                report.updated += 1
            else:
                report.added += 1
            for document in result.documents:
                writer.add_document(**document)
            report.chars += result.chars
            report.passages += result.passages
            known[source.real_path] = {
                "path": source.path,
                "size": source.size,
                "mtime_ns": source.mtime_ns,
                "sha256": result.sha256,
                "chars": result.chars,
                "passages": result.passages,
            }
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    manifest["roots"] = roots
    _save_manifest(index_dir, manifest)
    report.seconds = time.perf_counter() - started
    return report


def _writer(ix):
    from whoosh.index import LockError

    try:
        return ix.writer(limitmb=256, compound=False)
    except LockError:
        raise CorpusSearchError(f"another cs index is updating {ix.storage.folder}; wait for it to finish") from None


def _analyse_all(
    sources: list[SourceFile], known: dict[str, dict], encoding: str | None, workers: int | None
) -> Iterator[_Analysed]:
    """Analyse files in worker processes, yielding results in the given order."""
    hashes = [known.get(source.real_path, {}).get("sha256") for source in sources]
    encodings = [encoding] * len(sources)
    workers = workers or min(os.cpu_count() or 1, 8)
    if workers <= 1 or len(sources) <= 1:
        yield from map(_analyse, sources, hashes, encodings)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(_analyse, sources, hashes, encodings)


def _open_whoosh(index_dir: str):
    from whoosh import index as whoosh_index

    if not whoosh_index.exists_in(index_dir):
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


def open_index(index_dir: str = DEFAULT_INDEX):
    """The Whoosh index at `index_dir`, checked to be one that this version of cs wrote."""
    if not os.path.isdir(index_dir) or not os.path.exists(os.path.join(index_dir, MANIFEST)):
        raise CorpusSearchError(f"no index at {index_dir} — run: cs index DIR")
    _load_manifest(index_dir)
    return _open_whoosh(index_dir)


def index_info(index_dir: str = DEFAULT_INDEX) -> IndexInfo:
    """Summary of an index: its roots, files, characters, passages and size on disk."""
    if not os.path.isdir(index_dir):
        raise CorpusSearchError(f"no index at {index_dir} — run: cs index DIR")
    manifest = _load_manifest(index_dir)
    files = manifest["files"].values()
    size = sum(entry.stat().st_size for entry in os.scandir(index_dir) if entry.is_file())
    return IndexInfo(
        index_dir=index_dir,
        roots=manifest["roots"],
        files=len(files),
        chars=sum(entry["chars"] for entry in files),
        passages=sum(entry["passages"] for entry in files),
        bytes=size,
    )


def index_totals(index_dir: str = DEFAULT_INDEX) -> tuple[int, int]:
    """Passages and characters in the index, from its manifest."""
    files = _load_manifest(index_dir)["files"].values()
    return sum(entry["passages"] for entry in files), sum(entry["chars"] for entry in files)


def index_roots(index_dir: str = DEFAULT_INDEX) -> list[str]:
    """The paths the index was last built from (none when there is no index yet)."""
    if not os.path.exists(os.path.join(index_dir, MANIFEST)):
        return []
    return list(_load_manifest(index_dir)["roots"])
