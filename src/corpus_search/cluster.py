"""A sharded index (shards.py) built and searched on a Dask cluster (dask.distributed): the workers read,
analyse and write the shards, and answer queries each on its own shards; this process merges.

**Storage.** The index folder is storage that every worker and this process reach at the same path (a
shared filesystem); the paths to index are made absolute for the workers.

**Building.** Each shard's indexing.build_index is one task (workers=1: a Dask worker analyses in its own
process). A worker that dies mid-task has its task run again by Dask on another worker; a shard changes
only in its own commit, so nothing half-written is ever read.

**Querying.** A task per shard, placed on a worker chosen by the shard's number (any worker may take it
over). Each worker keeps the shards it opened in `_OPEN` and opens one again only when its manifest
changed; tasks on one shard take turns. The merges give what one index of every shard gives:

- ranked hits: first the collection's BM25 statistics, summed over the shards (passages, characters,
  and each term's passage count: Elasticsearch's dfs_query_then_fetch); then each shard ranks with them
  and returns its best `limit` with their sort keys, and the merge keeps the best `limit` of all (a file
  is in one shard, so the tie-breaks on path, line and passage order are the same);
- counts, counts per file and per group: summed (groups by name, in distribution.py's order);
- KWIC lines: each shard's first `limit` in the order asked (ties in text order), ordered by path
  (stable), then as `--sort` asks (the same stable sort as concordance.kwic_order): a line that is not
  among its own shard's first `limit` has `limit` lines before it, so it cannot be among all's;
- collocates: the window counts summed first, then each shard's frequencies of every word seen,
  summed, then scored (concordance.score_collocates);
- a dispersion plot: each shard's offsets per group and file, the files laid end to end in path order;
- `--where` and `--by` check a field against the fields of every shard, not of one.

**Failures.** A scheduler that cannot be reached within `timeout` is one error naming its address. An
error a shard raises on every worker that tries it (Dask retries a task whose worker died) names the
shard, and nothing is printed for the query: every answer is gathered before any is shown.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .answers import Answers
from .concordance import kwic_order, score_collocates, window_words
from .distribution import dispersion, group_counts, grouping, name_order
from .errors import CorpusSearchError
from .indexing import IndexReport
from .matching import MatchOptions
from .model import Collocate, Concordance, Dispersion, FileCount, GroupCount, Hit
from .ranking import Statistics
from .search import Searcher, SearchResult
from .shards import ShardBuild, index_dirs
from .store import MANIFEST, IndexInfo, index_info


@dataclass(frozen=True, slots=True)
class Request:
    """A query and the options that choose what it finds (the CLI's query_command options)."""

    query: str
    whole_words: bool = False
    exact_script: bool = False
    paths: tuple[str, ...] = ()
    ignore_punct: bool = False
    where: tuple[str, ...] = ()

    @property
    def options(self) -> MatchOptions:
        return MatchOptions(self.whole_words, self.exact_script, self.ignore_punct)


@contextlib.contextmanager
def connect(address: str, timeout: float = 10.0) -> Iterator[object]:
    """A dask.distributed Client of the scheduler at `address` (tcp:// or tls://, with Dask's own TLS
    configuration); CorpusSearchError when it cannot be reached within `timeout` seconds."""
    for name in ("distributed", "tornado"):  # their log lines are not this command's output
        logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        from distributed import Client
    except ImportError:
        raise CorpusSearchError("--cluster needs Dask: pip install 'corpus-search[cluster]'") from None

    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as error:
        why = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise CorpusSearchError(f"cannot reach the Dask scheduler at {address} within {timeout:g} s ({why})") from None
    try:
        yield client
    finally:
        client.close()


def _workers(client) -> list[str]:
    workers = sorted(client.scheduler_info()["workers"])
    if not workers:
        raise CorpusSearchError(f"no Dask worker is connected to the scheduler at {client.scheduler.address}")
    return workers


def _run_everywhere(client, tasks: list[tuple], label: Iterable[str]) -> list:
    """Run one task per shard (function, shard folder, arguments…), each placed by its number on a
    worker that any other may stand in for, and gather every result (or the first error, naming the
    shard it came from)."""
    workers = _workers(client)
    futures = [
        client.submit(*task, workers=[workers[number % len(workers)]], allow_other_workers=True, pure=False)
        for number, task in enumerate(tasks)
    ]
    try:
        return client.gather(futures)
    except CorpusSearchError:
        raise
    except KeyboardInterrupt:
        client.cancel(futures)
        raise
    except Exception as error:
        failed = next((name for name, future in zip(label, futures, strict=False) if future.status == "error"), "?")
        why = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise CorpusSearchError(f"shard {failed} could not be read on any worker ({why})") from None


# -- building ----------------------------------------------------------------------------------------


def build(client, roots: list[str], index_dir: str, shards: int | None = None, **options) -> IndexReport:
    """shards.build with each shard built by a task on the cluster (a new index gets a shard per worker)."""
    from .shards import build as build_sharded
    from .shards import read_catalog

    roots = [os.path.abspath(root) for root in roots]
    index_dir = os.path.abspath(index_dir)
    if shards is None and read_catalog(index_dir) is None:
        shards = len(_workers(client))

    def runner(jobs: list[ShardBuild]) -> list[IndexReport]:
        return _run_everywhere(client, [(_build_shard, job) for job in jobs], [job.directory for job in jobs])

    options.pop("progress", None)
    options.pop("workers", None)
    return build_sharded(roots, index_dir, shards=shards, runner=runner, **options)


def _build_shard(job: ShardBuild) -> IndexReport:
    """On a worker: one shard's build, analysed in the worker's own process."""
    return job.run(workers=1)


def info(client, index_dir: str) -> IndexInfo:
    """What `cs info` shows, each shard read on a worker."""
    from .shards import index_info as summed_info

    def read(directories: list[str]) -> list[IndexInfo]:
        return _run_everywhere(client, [(index_info, directory) for directory in directories], directories)

    return summed_info(os.path.abspath(index_dir), read)


# -- on the workers ----------------------------------------------------------------------------------

_OPEN: dict[str, tuple[int, Searcher, threading.Lock]] = {}
_OPENING = threading.Lock()


@contextlib.contextmanager
def _opened(directory: str) -> Iterator[Searcher]:
    """The shard open on this worker (opened again when its manifest changed), for one task at a time."""
    with _OPENING:
        stamp = os.stat(os.path.join(directory, MANIFEST)).st_mtime_ns
        found = _OPEN.get(directory)
        if found is None or found[0] != stamp:
            lock = found[2] if found else threading.Lock()
            _OPEN[directory] = (stamp, Searcher(directory), lock)
        _, searcher, lock = _OPEN[directory]
    with lock:
        yield searcher


def _on_shard(directory: str, request: Request, what: str, extra: tuple = (), context: tuple = ()) -> object:
    """On a worker: one shard's part of an answer. `context` is (statistics, fields) of the collection."""
    try:
        with _opened(directory) as searcher:
            if what == "fields":
                return searcher.metadata().names()
            if what == "statistics":
                return searcher.statistics(request.query, request.options)
            statistics, fields = context or (None, None)
            result = searcher.run(
                request.query,
                request.whole_words,
                request.exact_script,
                request.paths,
                request.ignore_punct,
                request.where,
                statistics=statistics,
                fields=fields,
            )
            return _ANSWERS[what](result, *extra)
    except FileNotFoundError as error:
        raise CorpusSearchError(f"index at {directory} cannot be read ({error.strerror})") from None


def _best(result: SearchResult, limit: int | None, context: int) -> tuple[int, list[tuple[tuple, Hit]]]:
    order = result.order(limit)
    exact, scores, passages = result.exact_terms[order], result.scores[order], result.passages[order]
    rows = result.rows(order)
    found = []
    for number, (score, path, line, key) in enumerate(rows):
        hit = result.searcher.hit(key, path, score, result.units, result.options, context)
        found.append(((-int(exact[number]), -float(scores[number]), path, line, int(passages[number])), hit))
    return result.total, found


def _frequencies(result: SearchResult, words: list[str]) -> tuple[Counter[str], int]:
    return result.searcher.word_frequencies(result.docnums(), words)


def _groups(result: SearchResult, field: str, known: list[str]) -> tuple[list[GroupCount], GroupCount]:
    return group_counts(result, grouping(field, result.searcher.metadata(), known))


def _dispersion(result: SearchResult, field: str, known: list[str]) -> list[Dispersion]:
    """Each group's text cut by file: a row per (group, file), named `group NUL path`, whose offsets are
    those in that file's part of the group's text (a file is in one shard; the merge lays them end to end)."""
    group_of = grouping(field, result.searcher.metadata(), known)

    def by_group_and_file(path: str, record: int) -> str | None:
        group = group_of(path, record)
        return None if group is None else f"{group}\0{path}"

    return dispersion(result, by_group_and_file)


_ANSWERS = {
    "counts": lambda result: (result.total, result.counts()),
    "hits": _best,
    "kwic": lambda result, width, sort, limit: list(Answers(result).kwic(width, sort, limit)),
    "file_counts": lambda result: Answers(result).file_counts(),
    "groups": _groups,
    "dispersion": _dispersion,
    "seen": lambda result, window: window_words(result, window),
    "frequencies": _frequencies,
}


# -- merging, in this process --------------------------------------------------------------------------


class ClusterAnswers:
    """The answers (answers.Answers) of every shard of an index to one query, asked on the cluster."""

    def __init__(self, client, index_dir: str, request: Request):
        self.client = client
        self.request = request
        self.directories = index_dirs(os.path.abspath(index_dir))
        if not self.directories:
            raise CorpusSearchError(f"no index at {index_dir} — run: cs index DIR")
        self._total: int | None = None
        self._fields: list[str] | None = None

    def _ask(self, what: str, extra: tuple = (), context: tuple = ()) -> list:
        needs_fields = self.request.where and what not in ("fields", "statistics")
        if needs_fields and not context:
            context = (None, self.field_names())
        tasks = [(_on_shard, directory, self.request, what, extra, context) for directory in self.directories]
        return _run_everywhere(self.client, tasks, self.directories)

    def field_names(self) -> list[str]:
        if self._fields is None:
            self._fields = sorted({name for names in self._ask("fields") for name in names})
        return self._fields

    @property
    def total(self) -> int:
        if self._total is None:
            self._total = sum(total for total, _ in self._ask("counts"))
        return self._total

    def counts(self) -> dict[str, int]:
        found = self._ask("counts")
        self._total = sum(total for total, _ in found)
        return dict(sorted(item for _, each in found for item in each.items()))

    def hits(self, limit: int | None, context: int = 0) -> Iterable[Hit]:
        parts = self._ask("statistics")
        frequencies = tuple(sum(values) for values in zip(*(part.frequencies for part in parts), strict=True))
        statistics = Statistics(sum(part.passages for part in parts), sum(part.chars for part in parts), frequencies)
        fields = self.field_names() if self.request.where else None
        found = self._ask("hits", (limit, context), (statistics, fields))
        self._total = sum(total for total, _ in found)
        rows = sorted((row for _, each in found for row in each), key=lambda row: row[0])
        return [hit for _, hit in (rows if limit is None else rows[:limit])]

    def kwic(self, width: int, sort: str, limit: int | None = None) -> Iterator[Concordance]:
        found = self._ask("kwic", (width, sort, limit))
        lines = sorted((line for each in found for line in each), key=lambda line: line.path)
        return itertools.islice(kwic_order(lines, sort), limit)

    def file_counts(self) -> tuple[list[FileCount], FileCount]:
        found = self._ask("file_counts")
        files = sorted((row for rows, _ in found for row in rows), key=lambda row: row.path)
        total = FileCount(None, sum(total.occurrences for _, total in found), sum(total.passages for _, total in found))
        self._total = sum(total.passages for _, total in found)
        return files, total

    def group_counts(self, field: str) -> tuple[list[GroupCount], GroupCount]:
        known = self.field_names()
        grouping(field, known=known)  # an unknown field is the user's error, as on one index
        summed: dict[str, list[int]] = {}
        for rows, _ in self._ask("groups", (field, known)):
            for row in rows:
                counts = summed.setdefault(row.group, [0, 0, 0])
                counts[0] += row.occurrences
                counts[1] += row.passages
                counts[2] += row.characters
        names = sorted(summed, key=name_order)
        groups = [GroupCount(name, *summed[name]) for name in names]
        total = GroupCount(None, *(sum(row[index] for row in summed.values()) for index in range(3)))
        return groups, total

    def dispersion(self, field: str) -> list[Dispersion]:
        known = self.field_names()
        grouping(field, known=known)
        parts: dict[str, list[tuple[str, int, tuple[int, ...]]]] = {}
        for rows in self._ask("dispersion", (field, known)):
            for row in rows:
                group, path = row.group.rsplit("\0", 1)
                parts.setdefault(group, []).append((path, row.characters, row.offsets))
        merged = []
        for group in sorted(parts, key=name_order):
            before, offsets = 0, []
            for _, characters, found in sorted(parts[group]):  # the group's files end to end, in path order
                offsets.extend(offset + before for offset in found)
                before += characters
            merged.append(Dispersion(group, before, tuple(offsets)))
        return merged

    def collocates(self, window: int, min_count: int) -> list[Collocate]:
        seen: Counter[str] = Counter()
        for each in self._ask("seen", (window,)):
            seen.update(each)
        frequencies: Counter[str] = Counter()
        total = 0
        for found, words in self._ask("frequencies", (sorted(seen),)):
            frequencies.update(found)
            total += words
        return score_collocates(seen, frequencies, total, min_count)
