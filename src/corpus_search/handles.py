"""Open indexes shared by the Searchers of one process while the index's files stay as they are.

Opening an index reads its table of contents and block tables and memory-maps its parts; the first
query then pays a page fault for every page of the parts it touches. A script that calls `search()` in a
loop would pay all of that on every call, and at 124 M characters that is most of a query's time. So an
open reader is kept and handed to the next Searcher of the same index, as long as the index's files are
the same ones: every file of the index's directories (and of its shards') is listed with its inode,
size and modification time, and any change, a commit by `cs index`, a merge, a damaged file, opens the
index afresh. Readers read only files that nothing rewrites in place (a commit writes new files and
renames; a part file is never changed once written), so a kept reader answers as a new one would.

A reader is closed when it is neither kept (at most KEPT indexes, least recently used first out) nor in
use by a Searcher. Nothing a query finds is kept here: each Searcher has its own caches.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

from .errors import CorpusSearchError
from .reader import IndexReader
from .shards import index_dirs

KEPT = 4  # indexes kept open per process

Signature = tuple[tuple[str, int, int, int], ...]


@dataclass(slots=True)
class _Entry:
    reader: IndexReader
    signature: Signature
    users: int = 0
    kept: bool = True


_LOCK = threading.Lock()
_KEPT: dict[str, _Entry] = {}  # by real path, least recently used first
_IN_USE: dict[int, _Entry] = {}  # by id of the reader


def acquire(index_dir: str, reuse: bool = True) -> IndexReader:
    """An open reader of the index at `index_dir`: the one kept for it when its files have not changed,
    else a new one (kept for later when `reuse`). Give it back with release()."""
    if not reuse:
        return IndexReader(index_dir)
    key = os.path.realpath(index_dir)
    signature = _signature(index_dir)
    with _LOCK:
        entry = _KEPT.get(key)
        if entry is not None and entry.signature == signature:
            _KEPT[key] = _KEPT.pop(key)  # most recently used last
            return _use(entry)
    reader = IndexReader(index_dir)
    if signature is None or _signature(index_dir) != signature:  # changed while it was opened
        return reader
    with _LOCK:
        old = _KEPT.pop(key, None)
        if old is not None:
            _forget(old)
        entry = _Entry(reader, signature)
        _KEPT[key] = entry
        while len(_KEPT) > KEPT:
            _forget(_KEPT.pop(next(iter(_KEPT))))
        return _use(entry)


def release(reader: IndexReader) -> None:
    """Give back a reader from acquire(): closed unless it is kept for the next Searcher."""
    with _LOCK:
        entry = _IN_USE.get(id(reader))
        if entry is None or entry.reader is not reader:
            reader.close()
            return
        entry.users -= 1
        if not entry.users:
            del _IN_USE[id(reader)]
            if not entry.kept:
                reader.close()


def forget_all() -> None:
    """Close every kept reader that no Searcher is using (the others close when released)."""
    with _LOCK:
        while _KEPT:
            _forget(_KEPT.pop(next(iter(_KEPT))))


def _use(entry: _Entry) -> IndexReader:
    entry.users += 1
    _IN_USE[id(entry.reader)] = entry
    return entry.reader


def _forget(entry: _Entry) -> None:
    entry.kept = False
    if not entry.users:
        entry.reader.close()


def _signature(index_dir: str) -> Signature | None:
    """Every file of the index (and of its shards), with inode, size and modification time; None when
    it cannot be listed (opening will say why)."""
    try:
        files = []
        for directory in dict.fromkeys([index_dir, *index_dirs(index_dir)]):  # the catalog, then the shards
            with os.scandir(directory) as entries:
                for entry in entries:
                    info = entry.stat(follow_symlinks=False)
                    files.append((entry.path, info.st_ino, info.st_size, info.st_mtime_ns))
        return tuple(sorted(files))
    except (OSError, ValueError, CorpusSearchError):
        return None
