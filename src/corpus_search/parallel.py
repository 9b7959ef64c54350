"""The parts of an index searched side by side, in threads, when a query's occurrences are many.

The work of a query on many occurrences (the suffix array's range sorted, each occurrence placed in its
block and passage, a pattern's gaps read from the flags) is done part by part, in numpy and in the C
kernels, which let go of the GIL; so threads search parts at once, as Lucene's IndexSearcher searches
its slices of segments with an executor. Results come back in order, so the answer is the same however
many threads there are. Below PARALLEL_MIN occurrences one thread is sooner than handing work out; on
one core nothing changes.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

Item = TypeVar("Item")
Result = TypeVar("Result")

PARALLEL_MIN = 1 << 15  # occurrences in all parts


def side_by_side(function: Callable[[Item], Result], items: Sequence[Item], work: int) -> list[Result]:
    """`function` of each item (a part of the index), in order: in threads when `work` (the occurrences
    the query handles) is at least PARALLEL_MIN, there are two items or more and this process has two
    cores or more; else one after the other.

    The calling thread takes items too, as Lucene's TaskExecutor has it: on a machine whose other cores
    are busy, a helper thread that is not scheduled in time takes nothing, and the answer waits only for
    items a helper is working on, never for a helper to start (one that has not is cancelled).
    """
    pool = _pool() if work >= PARALLEL_MIN and len(items) > 1 else None
    if pool is None:
        return [function(item) for item in items]
    results: list = [None] * len(items)
    order = iter(range(len(items)))
    taking = threading.Lock()
    failed: list[BaseException] = []

    def work_through() -> None:
        while not failed:
            with taking:
                index = next(order, None)
            if index is None:
                return
            try:
                results[index] = function(items[index])
            except BaseException as error:
                failed.append(error)
                raise

    helpers = [pool.submit(work_through) for _ in range(min(cores(), len(items)) - 1)]
    try:
        work_through()
    finally:
        for helper in helpers:
            if not helper.cancel():
                helper.exception()  # waits for it to end; its error, if any, is in `failed`
    if failed:
        raise failed[0]
    return results


def cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


_made: list[ThreadPoolExecutor] = []  # the process's pool, once made
_making = threading.Lock()


def _pool() -> ThreadPoolExecutor | None:
    """One pool for the process, made on first need (importing this module starts no thread)."""
    threads = cores()
    if threads < 2:
        return None
    with _making:
        if not _made:
            from concurrent.futures import ThreadPoolExecutor

            _made.append(ThreadPoolExecutor(threads, thread_name_prefix="cs-parts"))
        return _made[0]


def _forget_pool() -> None:
    """In a child forked from a process that had a pool: the pool's threads stayed in the parent, and
    work handed to them would wait forever; the child makes its own."""
    global _making
    _made.clear()
    _making = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)
