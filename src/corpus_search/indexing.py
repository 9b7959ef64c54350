"""Building and updating an index (store.py holds its layout): `build_index` makes the index mirror the
given paths. New and changed files are (re)indexed, files that are gone are removed, and a file whose size
and modification time are unchanged is not even read. A file whose content hash is unchanged is not
re-analysed either. Reading, normalising and segmenting run in worker processes (both cores, workers.py);
the parent process only feeds Whoosh.

The Whoosh commit comes first and the manifest is replaced after it (write, then rename), so a crash in
between leaves a manifest that is merely out of date: the next run re-indexes the files it disagrees on.

The user dictionary stored with the index is used until another one is given or it is dropped. Word
boundaries and word counts of every block depend on it, so when it changes every file is analysed again
(as with `rebuild`). The copy is written just before the commit, so after a crash the next run sees a
dictionary that differs from the manifest's and finishes the job; an error or Ctrl-C puts the previous
copy back.

(Over 400 lines: it is one transaction, from the plan of what changed through the analysis of each file
to the one commit and the segment merges, and its parts share the plan and the report.)
"""

from __future__ import annotations

import collections
import hashlib
import os
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import metadata, store
from .analysis import use_user_words
from .errors import CorpusSearchError
from .formats import DEFAULT_GLOBS, RECORD_KINDS, extension, extract
from .loader import SourceFile, blocks_from_records, blocks_from_text, find_files
from .memory import return_freed_memory
from .segment import Part, PartBuilder, part_files, remove_unused
from .userdict import UserDict, parse_user_dict, read_user_dict
from .workers import worker_pool

if TYPE_CHECKING:
    from collections.abc import Iterable
    from concurrent.futures import ProcessPoolExecutor

BIG_FILE = 16 << 20  # bytes; bigger files are analysed in the parent process, block by block
MAX_WORKERS = 8  # analysing processes at most
AHEAD = 2 * MAX_WORKERS  # files handed to the workers and not yet written, at most


@dataclass(slots=True)
class IndexReport:
    """What one `build_index` run did."""

    files: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    unreadable: int = 0
    chars: int = 0
    passages: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Reading:
    """How files are read: a forced encoding, and the field of a record that is its text (records.py)."""

    encoding: str | None = None
    text_field: str | None = None


@dataclass(frozen=True, slots=True)
class _Analysed:
    """A worker's result for one file: its hash and, when it changed, its documents (or why not)."""

    source: SourceFile
    sha256: str = ""
    chars: int = 0
    documents: Iterable[dict] | None = None
    warning: str | None = None
    unchanged: bool = False
    fields: dict[str, str] | None = None  # metadata from the file itself (formats.py: a header, front matter…)
    records: list[dict[str, str]] | None = None  # the fields of each record of a file of records


def _analyse(source: SourceFile, known_sha256: str | None, reading: Reading, lazy: bool = False) -> _Analysed:
    """Read, hash, decode, normalise and segment one file (in a worker process, or lazily in this one)."""
    try:
        with open(source.real_path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        return _Analysed(source, warning=f"cannot read {source.path}: {error.strerror}")
    sha256 = hashlib.sha256(data).hexdigest()
    if sha256 == known_sha256:
        return _Analysed(source, sha256, unchanged=True)
    extracted = extract(source.path, data, reading.encoding, reading.text_field)  # formats.py: every kind
    del data
    if extracted.text is None:
        return _Analysed(source, warning=extracted.warning)
    records = extracted.records
    if records is None:
        blocks = blocks_from_text(source.path, extracted.text)
        chars = len(extracted.text)
    else:
        blocks = blocks_from_records(source.path, [(record.text, record.line) for record in records])
        chars = sum(len(record.text) for record in records)
    documents = (store.block_document(block) for block in blocks)
    if not lazy:
        documents = list(documents)
    fields = [record.fields for record in records] if records and any(record.fields for record in records) else None
    return _Analysed(source, sha256, chars, documents, extracted.warning, fields=extracted.fields, records=fields)


def build_index(
    roots: list[str],
    index_dir: str = store.DEFAULT_INDEX,
    *,
    globs: Sequence[str] = (),
    encoding: str | None = None,
    follow_links: bool = False,
    rebuild: bool = False,
    user_dict: str | None = None,
    drop_user_dict: bool = False,
    workers: int | None = None,
    progress: Callable[[int, int, int, int, int], None] | None = None,
    metadata_file: str | None = None,
    text_field: str | None = None,
    only: Collection[str] | None = None,
) -> IndexReport:
    """Make the index at `index_dir` hold exactly the matching files under `roots`: those whose name
    matches one of the `globs` (case-sensitive, as ripgrep's --glob), or without any every kind
    formats.py reads, by its extension in any case (formats.DEFAULT_GLOBS).

    `user_dict` is a jieba user dictionary file to segment with from now on; without it the one stored
    with the index is kept, unless `drop_user_dict`. `metadata_file` names a metadata table to read from
    now on, besides those found beside the files (metadata.py); a metadata table is never indexed as
    text. `text_field` names the field that holds the text of a record (records.py) from now on; without
    it the one given before is kept, and "" goes back to finding it. `only` (a shard's files, shards.py)
    keeps the files found whose absolute paths it holds, and then none of them is no error. Nothing is
    visible to searches until the single Whoosh commit at the end; an error, Ctrl-C or a crash before it
    leaves the previous index as it was (the metadata table is replaced after it).
    """
    started = time.perf_counter()
    return_freed_memory()  # before the workers fork: they inherit it
    if user_dict is not None and drop_user_dict:
        raise CorpusSearchError("a user dictionary cannot be given and dropped at once")
    new_dict = read_user_dict(user_dict) if user_dict is not None else None
    report = IndexReport()
    roots = [os.path.normpath(root) for root in roots]
    globs = [globs] if isinstance(globs, str) else list(globs)
    if metadata_file is None:
        metadata_file = metadata.remembered_source(index_dir)
        if metadata_file and not os.path.isfile(metadata_file):
            report.warnings.append(f"metadata file {metadata_file}, given before, is gone: its fields are dropped")
            metadata_file = None
    sources = select_files(roots, globs, follow_links, metadata_file, report.warnings)
    if only is not None:
        sources = {real: source for real, source in sources.items() if real in only}
    report.files = len(sources)
    folders = [os.path.abspath(root) for root in roots if os.path.isdir(root)]
    folders += [os.path.dirname(real) for real in sources]
    indexed = {real: source.path for real, source in sources.items()}
    fields = metadata.gather(folders, indexed, metadata_file, report.warnings)
    try:
        os.makedirs(index_dir, exist_ok=True)
        choice = _DictChoice(new_dict, drop_user_dict)
        reading = Reading(encoding, _text_field(index_dir, text_field))
        _update(index_dir, roots, globs, sources, report, reading, rebuild, choice, workers, progress)
        entries = store.load_manifest(index_dir)["files"].values()
        own = {entry["path"]: entry["fields"] for entry in entries if "fields" in entry}
        for path, given in fields.items():  # the tables' fields over the files' own
            own[path] = own.get(path, {}) | given
        records = {entry["path"]: entry["records"] for entry in entries if "records" in entry}
        metadata.write(index_dir, own, metadata_file and os.path.abspath(metadata_file), records)
    except OSError as error:
        raise CorpusSearchError(f"cannot write the index at {index_dir}: {error.strerror or error}") from None
    if report.unreadable == report.files and only is None:
        raise CorpusSearchError(f"none of the {report.files} files could be read; the index was not changed")
    report.seconds = time.perf_counter() - started
    return report


def select_files(
    roots: list[str], globs: list[str], follow_links: bool, metadata_file: str | None, warnings: list[str]
) -> dict[str, SourceFile]:
    """The files an index of `roots` holds, by absolute path: those the globs (or, without any, every
    kind formats.py reads) take, but no metadata table. None is an error."""
    patterns = tuple(globs) or DEFAULT_GLOBS
    found = find_files(roots, patterns, follow_links, warnings, ignore_case=not globs)
    named = os.path.abspath(metadata_file) if metadata_file else None
    sources = {
        source.real_path: source
        for source in found
        if os.path.basename(source.real_path) not in metadata.SOURCE_NAMES and source.real_path != named
    }
    if not sources:
        raise CorpusSearchError(f"no files matching {' '.join(patterns)} under {' '.join(roots)}")
    return sources


@dataclass(frozen=True, slots=True)
class _DictChoice:
    """What a run was told about the user dictionary: a new one, drop it, or (neither) keep the stored one."""

    new: UserDict | None = None
    drop: bool = False


def _update(
    index_dir: str,
    roots: list[str],
    globs: list[str],
    sources: dict[str, SourceFile],
    report: IndexReport,
    reading: Reading,
    rebuild: bool,
    choice: _DictChoice,
    workers: int | None,
    progress: Callable[[int, int, int, int, int], None] | None,
) -> None:
    from whoosh import index as whoosh_index

    stored_dict = store.read_stored_dict(index_dir)
    wanted_dict = None if choice.drop else choice.new.data if choice.new else stored_dict
    wanted_sha256 = None if wanted_dict is None else hashlib.sha256(wanted_dict).hexdigest()
    fresh = rebuild or not store.whoosh_exists(index_dir) or not store.manifest_is_current(index_dir)
    manifest = store.empty_manifest() if fresh else store.load_manifest(index_dir)
    if not fresh and store.manifest_dict_sha256(manifest) != wanted_sha256:
        fresh = True  # every block's word boundaries and counts change: analyse every file again
        manifest = store.empty_manifest()
    dictionary = choice.new
    if dictionary is None and wanted_dict is not None and fresh:
        dictionary = parse_user_dict(wanted_dict, os.path.join(index_dir, store.USER_DICT))
    if fresh and not store.whoosh_exists(index_dir):
        whoosh_index.create_in(index_dir, store.schema())
    elif fresh and not store.schema_is_current(index_dir):
        _replace_with_empty_index(index_dir)
    ix = store.open_whoosh(index_dir)
    known: dict[str, dict] = manifest["files"]
    field_changed = manifest.get("text_field") != reading.text_field
    if field_changed:  # every file of records is read again, whatever its hash
        for real in [real for real in known if extension(known[real]["path"]) in RECORD_KINDS]:
            known[real] = known[real] | {"sha256": ""}
    to_check = [
        source
        for real, source in sources.items()
        if real not in known
        or known[real]["size"] != source.size
        or known[real]["mtime_ns"] != source.mtime_ns
        or known[real]["path"] != source.path
        or not known[real]["sha256"]
    ]
    report.unchanged = report.files - len(to_check)
    with ix.reader() as reader:
        # Segments are not merged, so the lexicon keeps the paths of deleted blocks: ask for live ones.
        indexed_paths = {
            path.decode("utf-8") for path in reader.lexicon("path") if reader.postings("path", path).is_active()
        }
    wanted_paths = {source.path for source in sources.values()}
    gone = sorted(indexed_paths - wanted_paths)
    same_run = manifest["roots"] == roots and manifest.get("globs", []) == globs and not field_changed
    if not fresh and not to_check and not gone and same_run and wanted_dict == stored_dict:
        return
    if dictionary is None and wanted_dict is not None:
        dictionary = parse_user_dict(wanted_dict, os.path.join(index_dir, store.USER_DICT))

    words = dictionary.words if dictionary else ()
    use_user_words(words)  # before the workers fork, and for big files analysed in this process
    plan = _Plan(
        index_dir,
        roots,
        globs,
        manifest,
        sources,
        to_check,
        gone,
        indexed_paths,
        fresh,
        dictionary,
        stored_dict,
        reading.text_field,
    )
    count = min(workers or os.cpu_count() or 1, MAX_WORKERS, sum(source.size <= BIG_FILE for source in to_check))
    with worker_pool(count, words) as pool:
        _write(ix, plan, report, reading, pool, progress)


@dataclass(frozen=True, slots=True)
class _Plan:
    """What an update will do: files to (re)analyse, paths to drop, and whether it starts afresh."""

    index_dir: str
    roots: list[str]
    globs: list[str]
    manifest: dict
    sources: dict[str, SourceFile]
    to_check: list[SourceFile]
    gone: list[str]
    indexed_paths: set[str]
    fresh: bool
    dictionary: UserDict | None
    stored_dict: bytes | None
    text_field: str | None


def _write(ix, plan: _Plan, report: IndexReport, reading: Reading, pool: ProcessPoolExecutor | None, progress) -> None:
    """Apply the plan in one Whoosh commit, then save the manifest.

    The new blocks go into one new Whoosh segment, and their suffix-array parts are written, under that
    segment's id, before the commit: a table of contents never names a segment whose parts are missing.
    Whoosh never merges segments on its own (see _merging), so each keeps its documents and its parts;
    a fresh build (CLEAR) replaces them all. Parts of segments that are gone are deleted after the commit.
    """
    from whoosh.writing import CLEAR

    manifest, sources, to_check, indexed_paths = plan.manifest, plan.sources, plan.to_check, plan.indexed_paths
    known: dict[str, dict] = manifest["files"]
    writer = _writer(ix)
    parts = PartBuilder(plan.index_dir, writer.get_segment().segment_id())
    try:
        for path in plan.gone:
            writer.delete_by_term("path", path)
            report.removed += 1
        for real in [real for real in known if real not in sources]:
            del known[real]
        total_bytes = sum(source.size for source in to_check)
        done_bytes = 0
        for done, result in enumerate(_analyse_all(to_check, known, reading, pool), 1):
            source = result.source
            done_bytes += source.size
            if progress:
                progress(done, len(to_check), done_bytes, total_bytes, report.chars + result.chars)
            if result.warning:
                report.warnings.extend(result.warning.split("\n"))
            if result.unchanged:  # same content, new timestamp
                known[source.real_path].update(size=source.size, mtime_ns=source.mtime_ns)
                report.unchanged += 1
                continue
            if result.documents is None:  # unreadable or not text: drop what the index had of it
                report.unreadable += 1
                if source.path in indexed_paths:
                    writer.delete_by_term("path", source.path)
                known.pop(source.real_path, None)
                continue
            if source.path in indexed_paths:
                writer.delete_by_term("path", source.path)
                report.updated += 1
            else:
                report.added += 1
            passages = 0
            for document, piece in result.documents:
                writer.add_document(**document)
                parts.add(piece)
                passages += store.passages_in(document)
            report.chars += result.chars
            report.passages += passages
            known[source.real_path] = {
                "path": source.path,
                "size": source.size,
                "mtime_ns": source.mtime_ns,
                "sha256": result.sha256,
                "chars": result.chars,
                "passages": passages,
            }
            known[source.real_path] |= {"fields": result.fields} if result.fields else {}
            known[source.real_path] |= {"records": result.records} if result.records else {}
        if report.unreadable == report.files:
            _cancel(ix, writer, parts)
            return
        wanted_dict = plan.dictionary.data if plan.dictionary else None
        dict_changes = wanted_dict != plan.stored_dict
        try:
            if plan.fresh:
                parts.finish()
            if dict_changes:
                store.store_dict(plan.index_dir, wanted_dict)
            writer.commit(mergetype=CLEAR if plan.fresh else _merging(plan.index_dir, parts))
        except BaseException:
            if dict_changes:
                store.store_dict(plan.index_dir, plan.stored_dict)
            raise
    except BaseException:
        _cancel(ix, writer, parts)
        raise
    remove_unused(plan.index_dir, store.segment_ids(plan.index_dir))
    manifest["roots"] = plan.roots
    for key, value in (("globs", plan.globs), ("text_field", plan.text_field)):
        if value:
            manifest[key] = value
        else:
            manifest.pop(key, None)
    if plan.dictionary:
        manifest["user_dict"] = {"sha256": plan.dictionary.sha256, "words": len(plan.dictionary.words)}
    else:
        manifest.pop("user_dict", None)
    store.save_manifest(plan.index_dir, manifest)


def _cancel(ix, writer, parts: PartBuilder) -> None:
    """Drop what a run that does not commit wrote: its Whoosh segment's files and its parts."""
    try:
        writer.cancel()  # releases the write lock
        with store.write_lock(ix) as taken:
            if taken:  # else another writer took it at once, and its commit deletes them
                store.drop_unlisted(ix)
    finally:
        parts.discard()


MAX_SEGMENTS = 8  # past this many, an update merges every segment but the biggest into its new one


def _merging(index_dir: str, parts: PartBuilder):
    """Whoosh's merge policy for an update: keep every segment, or, once there are more than
    MAX_SEGMENTS, merge all but the biggest into the new segment. A merged block is copied, not analysed
    again: Whoosh copies its document (`add_reader`), and its piece is read back from its part, in the
    same order. The parts of the new segment are written here, before Whoosh writes its table of
    contents."""

    def merge(writer, segments: list) -> list:
        from whoosh.reading import SegmentReader

        kept = segments
        if len(segments) + 1 > MAX_SEGMENTS:
            biggest = max(segments, key=lambda segment: segment.doc_count())
            kept = [biggest]
            files = part_files(os.listdir(index_dir))
            for segment in segments:
                if segment is biggest:
                    continue
                with SegmentReader(writer.storage, writer.schema, segment) as reader:
                    words = reader.column_reader("words")
                    for name in files.get(segment.segment_id(), []):
                        part = Part(os.path.join(index_dir, name))
                        for block, doc in enumerate(part.block_doc.tolist()):
                            if not reader.is_deleted(doc):
                                parts.add(part.piece(block, words[doc]))
                        part.close()
                    writer.add_reader(reader)
        parts.finish()
        return kept

    return merge


def _replace_with_empty_index(index_dir: str) -> None:
    """An index of another format is replaced by an empty one; searches fail cleanly meanwhile."""
    from whoosh import index as whoosh_index

    for entry in os.scandir(index_dir):
        if entry.is_file() and entry.name not in ("MAIN_WRITELOCK", store.USER_DICT):
            os.remove(entry.path)
    whoosh_index.create_in(index_dir, store.schema())


def _writer(ix):
    """A Whoosh writer holding the index's write lock. The lock is taken here, not by the writer: a
    writer that fails to start (no space for its first files) keeps the lock it took, and this process
    could then never update the index again."""
    lock = ix.lock("WRITELOCK")
    if not lock.acquire(False):
        raise CorpusSearchError(f"another cs index is updating {ix.storage.folder}; wait for it to finish")
    try:
        writer = ix.writer(limitmb=256, compound=False, _lk=False)
    except BaseException:
        store.drop_unlisted(ix)
        lock.release()
        raise
    writer.writelock = lock  # released by the writer's commit or cancel, as the lock it takes itself
    return writer


def _analyse_all(
    sources: list[SourceFile], known: dict[str, dict], reading: Reading, pool: ProcessPoolExecutor | None
) -> Iterator[_Analysed]:
    """Analyse files in the pool; files over BIG_FILE bytes afterwards in this process, block by block,
    so that no process holds all the documents of a huge file at once."""
    small = [source for source in sources if source.size <= BIG_FILE]
    big = [source for source in sources if source.size > BIG_FILE]
    arguments = [(source, _known_sha256(known, source), reading) for source in small]
    if pool is None:
        yield from map(_analyse_star, arguments)
    else:
        # Not pool.map: it submits every file at once, so analysed files pile up in memory while this
        # process writes (1.8 GB at 16x the corpus), and it cancels the futures left when Ctrl-C ends
        # it (see workers.worker_pool). A few files in flight per worker keep the workers busy.
        ahead: collections.deque = collections.deque()
        for item in arguments:
            if len(ahead) >= AHEAD:
                yield ahead.popleft().result()
            ahead.append(pool.submit(_analyse_star, item))
        while ahead:
            yield ahead.popleft().result()
    for source in big:
        yield _analyse(source, _known_sha256(known, source), reading, lazy=True)


def _known_sha256(known: dict[str, dict], source: SourceFile) -> str | None:
    """The content hash the index has for a file under the same path (None: analyse it whatever its hash;
    a file indexed under another path, `cs index ../corpus` then `cs index /data/corpus`, is added anew
    under the new one, its old path being removed)."""
    entry = known.get(source.real_path, {})
    return entry.get("sha256") if entry.get("path") == source.path else None


def _analyse_star(arguments: tuple) -> _Analysed:
    return _analyse(*arguments)


def _text_field(index_dir: str, given: str | None) -> str | None:
    """The text field of records for this run: the one given ("" for none), or the one kept."""
    if given is not None:
        return given or None
    if not os.path.exists(os.path.join(index_dir, store.MANIFEST)):
        return None
    try:
        return store.load_manifest(index_dir).get("text_field")
    except CorpusSearchError:
        return None
