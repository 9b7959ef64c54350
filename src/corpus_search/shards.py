"""Sharded indexes: one index split by file into N shards, each a complete index (store.py), and the
catalog that says which file is in which shard. This module owns the catalog; a shard is read and written
through store.py and indexing.py like any index.

Layout: `INDEX/shards.json` and `INDEX/shard-0/` … `INDEX/shard-{N-1}/`. The catalog is
`{"format": 1, "shards": N, "roots": [...], "globs": [...], "files": {path as indexed: shard}}`.

**Splitting.** A file new to the index goes to the shard with the fewest bytes so far (the biggest new
files first), so the shards are balanced by size; a file that is already in the catalog stays in its
shard on every later run, so a shard none of whose files changed is not written to at all. `--rebuild`
deals all the files out again. The catalog is written before the shards are built (it says where each
file belongs, and each shard is then made to hold exactly its files), so a run that stops part-way is
finished by the next one; each shard changes in one commit of its own. A shard that is left with no file
is removed.

**Reading.** `index_dirs` names the shards to open (or the index itself, unsharded); the reader opens
their Whoosh segments as one index (reader.py), so every answer, BM25 statistics included, is the one an
unsharded index of the same files gives.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING

from . import metadata, store
from .errors import CorpusSearchError

if TYPE_CHECKING:
    from . import indexing
    from .loader import SourceFile

CATALOG = "shards.json"
_FORMAT = 1
MAX_SHARDS = 256


@dataclass(slots=True)
class Catalog:
    """Which shard each file is in, and the paths and globs the index was built from."""

    shards: int
    roots: list[str] = field(default_factory=list)
    globs: list[str] = field(default_factory=list)
    files: dict[str, int] = field(default_factory=dict)

    def directory(self, index_dir: str, shard: int) -> str:
        return os.path.join(index_dir, f"shard-{shard}")


def read_catalog(index_dir: str) -> Catalog | None:
    """The catalog of a sharded index, None for an index that is not sharded (or no index)."""
    path = os.path.join(index_dir, CATALOG)
    try:
        with open(path, encoding="utf-8") as handle:
            stored = json.load(handle)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise CorpusSearchError(f"index at {index_dir}: {CATALOG} cannot be read ({error}); rebuild it") from None
    if not isinstance(stored, dict) or stored.get("format") != _FORMAT:
        raise CorpusSearchError(f"index at {index_dir}: {CATALOG} is not in a known format; rebuild it")
    return Catalog(stored["shards"], stored["roots"], stored["globs"], stored["files"])


def _write_catalog(index_dir: str, catalog: Catalog) -> None:
    path = os.path.join(index_dir, CATALOG)
    stored = {"format": _FORMAT} | {name.name: getattr(catalog, name.name) for name in fields(catalog)}
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        json.dump(stored, handle)  # ASCII escapes keep file names that are not UTF-8
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(path + ".tmp", path)


def index_dirs(index_dir: str) -> list[str]:
    """The index directories to open for `index_dir`: its shards that hold an index, or itself."""
    catalog = read_catalog(index_dir)
    if catalog is None:
        return [index_dir]
    found = [catalog.directory(index_dir, shard) for shard in range(catalog.shards)]
    return [path for path in found if os.path.exists(os.path.join(path, store.MANIFEST))]


def build(
    roots: list[str],
    index_dir: str = store.DEFAULT_INDEX,
    *,
    shards: int | None = None,
    globs: Sequence[str] = (),
    rebuild: bool = False,
    progress: Callable[[int, int, int, int, int], None] | None = None,
    runner: Callable[[list[ShardBuild]], list[indexing.IndexReport]] | None = None,
    **options,
) -> indexing.IndexReport:
    """indexing.build_index for an index that is (or is to be) sharded into `shards`, or that is not
    (then it is indexing.build_index itself). The options are build_index's. `runner` builds the shards
    (one after the other here, by default; on a cluster's workers: cluster.py)."""
    from . import indexing  # the write path: a query that reads the catalog does not import it

    catalog = read_catalog(index_dir)
    if shards is None and catalog is None:
        return indexing.build_index(roots, index_dir, globs=globs, rebuild=rebuild, progress=progress, **options)
    if shards is not None and not 1 <= shards <= MAX_SHARDS:
        raise CorpusSearchError(f"--shards must be from 1 to {MAX_SHARDS}")
    if not rebuild:
        if catalog is None and os.path.exists(os.path.join(index_dir, store.MANIFEST)):
            raise CorpusSearchError(f"index at {index_dir} is not sharded; to shard it: cs index --rebuild --shards N")
        if catalog is not None and shards is not None and shards != catalog.shards:
            change = f"cs index --rebuild --shards {shards}"
            raise CorpusSearchError(f"index at {index_dir} has {catalog.shards} shards; to change that: {change}")
    count = shards if shards is not None else catalog.shards
    if runner is None:
        runner = lambda jobs: [job.run(progress) for job in jobs]  # noqa: E731
    return _build_sharded(roots, index_dir, count, list(globs), rebuild, catalog, runner, options)


@dataclass(frozen=True, slots=True)
class ShardBuild:
    """One shard's part of a build: indexing.build_index of its files (by absolute path) into its folder."""

    roots: list[str]
    directory: str
    globs: list[str]
    rebuild: bool
    files: frozenset[str]
    options: dict

    def run(self, progress=None, **more) -> indexing.IndexReport:
        from . import indexing

        options = self.options | more
        return indexing.build_index(
            self.roots,
            self.directory,
            globs=self.globs,
            rebuild=self.rebuild,
            progress=progress,
            only=self.files,
            **options,
        )


def _build_sharded(
    roots: list[str],
    index_dir: str,
    count: int,
    globs: list[str],
    rebuild: bool,
    catalog: Catalog | None,
    runner: Callable[[list[ShardBuild]], list[indexing.IndexReport]],
    options: dict,
) -> indexing.IndexReport:
    import time

    from . import indexing

    started = time.perf_counter()
    warnings: list[str] = []
    roots = [os.path.normpath(root) for root in roots]
    found = indexing.select_files(
        roots, globs, options.get("follow_links", False), options.get("metadata_file"), warnings
    )
    kept = {} if rebuild or catalog is None else catalog.files
    planned = Catalog(count, roots, globs, _deal(found, kept, count))
    os.makedirs(index_dir, exist_ok=True)
    if rebuild and catalog is None and os.path.exists(os.path.join(index_dir, store.MANIFEST)):
        _clear_unsharded(index_dir)
    _write_catalog(index_dir, planned)
    members: list[set[str]] = [set() for _ in range(count)]
    for real, source in found.items():
        members[planned.files[source.path]].add(real)
    jobs = []
    for shard in range(count):
        directory = planned.directory(index_dir, shard)
        if members[shard]:
            jobs.append(ShardBuild(roots, directory, globs, rebuild, frozenset(members[shard]), options))
        else:
            shutil.rmtree(directory, ignore_errors=True)
    total = indexing.IndexReport()
    for report in runner(jobs):
        total = _added(total, report)
    for stale in range(count, catalog.shards if catalog else 0):  # after --rebuild with fewer shards
        shutil.rmtree(planned.directory(index_dir, stale), ignore_errors=True)
    total.warnings[:0] = warnings
    total.warnings[:] = list(dict.fromkeys(total.warnings))  # each shard reads the same metadata tables
    if total.files and total.unreadable == total.files:
        raise CorpusSearchError(f"none of the {total.files} files could be read")
    total.seconds = time.perf_counter() - started
    return total


def _deal(found: dict[str, SourceFile], kept: dict[str, int], count: int) -> dict[str, int]:
    """Each file's shard: its shard in `kept` if it has one (and it is below `count`), else the shard
    with the fewest bytes, dealt biggest file first."""
    sizes = [0] * count
    shard_of: dict[str, int] = {}
    new = []
    for source in found.values():
        shard = kept.get(source.path)
        if shard is not None and shard < count:
            shard_of[source.path] = shard
            sizes[shard] += source.size
        else:
            new.append(source)
    for source in sorted(new, key=lambda source: (-source.size, source.path)):
        shard = min(range(count), key=lambda number: (sizes[number], number))
        shard_of[source.path] = shard
        sizes[shard] += source.size
    return dict(sorted(shard_of.items()))


def _clear_unsharded(index_dir: str) -> None:
    """Remove an unsharded index's own files from its directory, before it is sharded (--rebuild)."""
    for entry in os.scandir(index_dir):
        if entry.is_file() and (entry.name.startswith(("cs-", "_MAIN_", "MAIN_")) or entry.name.endswith(".seg")):
            os.remove(entry.path)


def _added(total: indexing.IndexReport, report: indexing.IndexReport) -> indexing.IndexReport:
    summed = {
        name: getattr(total, name) + getattr(report, name)
        for name in ("files", "added", "updated", "removed", "unchanged", "unreadable", "chars", "passages")
    }
    return replace(total, **summed, warnings=total.warnings + report.warnings)


def last_run(index_dir: str) -> tuple[list[str], list[str]]:
    """The paths and globs the index was last built from (store.last_run, or the catalog's)."""
    catalog = read_catalog(index_dir)
    if catalog is None:
        return store.last_run(index_dir)
    return list(catalog.roots), list(catalog.globs)


def read_metadata(index_dir: str) -> metadata.Metadata:
    """The fields of the documents of every shard (each file is in one shard)."""
    found = [metadata.read(directory) for directory in index_dirs(index_dir)]
    if len(found) == 1:
        return found[0]
    files: dict = {}
    records: dict = {}
    for each in found:
        files.update(each.files)
        records.update(each.records)
    return metadata.Metadata(files, records)


def index_info(index_dir: str, read: Callable[[list[str]], list[store.IndexInfo]] | None = None) -> store.IndexInfo:
    """store.index_info summed over the shards, with their number; `read` reads the shards' own (here
    by default; on a cluster's workers: cluster.py)."""
    catalog = read_catalog(index_dir)
    if catalog is None:
        return store.index_info(index_dir)
    directories = index_dirs(index_dir)
    parts = read(directories) if read else [store.index_info(directory) for directory in directories]
    if not parts:
        raise CorpusSearchError(f"no index at {index_dir} — run: cs index DIR")
    summed = {name: sum(getattr(part, name) for part in parts) for name in ("files", "chars", "passages", "bytes")}
    return replace(parts[0], index_dir=index_dir, roots=catalog.roots, shards=catalog.shards, **summed)
