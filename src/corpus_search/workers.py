"""The worker processes of `cs index`: a pool that analyses files, and that stops at once and cleanly.

Workers are forked (they inherit jieba's loaded dictionary), segment with the user dictionary's words,
leave Ctrl-C to the parent and die with it; on Ctrl-C or an error the parent kills them, and shutting
the pool down then never waits on a worker that died halfway through sending a result (_kill_workers).
indexing.py decides how many workers a run gets and what they do.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .analysis import UserWord, use_user_words

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor


@contextlib.contextmanager
def worker_pool(count: int, words: tuple[UserWord, ...] = ()) -> Iterator[ProcessPoolExecutor | None]:
    """`count` worker processes that segment with `words`, or None when one process will do (count ≤ 1).

    Started (all of them: the fork start method launches the whole pool on the first task) before the
    index's write lock is taken, so that no worker holds the lock's file: a worker outliving a killed
    `cs index` must not keep the next one out. Workers die with their parent, and on Ctrl-C or an
    error they are killed at once; the executor copes with dead workers, where multiprocessing.Pool
    can wait forever on a queue lock a killed worker held.
    """
    if count <= 1:
        yield None
        return
    import multiprocessing  # here, not at the top: importing this module costs nothing until a pool starts
    from concurrent.futures import ProcessPoolExecutor

    executor = ProcessPoolExecutor(
        count, mp_context=multiprocessing.get_context("fork"), initializer=_prepare_worker, initargs=(words,)
    )
    try:
        executor.submit(int).result()
        yield executor
    except BaseException:
        # Kill first, then let the executor see its broken pool and fail the pending futures. No future
        # may be cancelled before that: Python 3.11 raises InvalidStateError in the executor's
        # thread when it fails a cancelled future and prints its traceback (fixed in 3.12, CPython gh-107219).
        _kill_workers(executor)
        executor.shutdown(wait=True)
        raise
    executor.shutdown()


def _kill_workers(executor: ProcessPoolExecutor) -> None:
    """Kill the pool's workers and close this process's end of their result pipe once they are dead.

    A worker killed halfway through sending a result (an analysed file is megabytes) leaves the
    executor's manager thread waiting in recv() for the rest of the message; while this process still
    holds a write end of that pipe, the rest never comes and no EOF either, so shutdown() waited for
    ever (a Ctrl-C hung, rarely, in CI; CPython 3.11 to 3.13 alike). With every writer gone, recv()
    fails, the manager sees a broken pool and ends.
    """
    from multiprocessing.connection import wait

    workers = list((executor._processes or {}).values())
    for process in workers:
        process.kill()
    wait([process.sentinel for process in workers], timeout=10)
    executor._result_queue._writer.close()


def _prepare_worker(words: tuple[UserWord, ...] = ()) -> None:
    """Workers segment with the user dictionary's words and leave Ctrl-C to the parent, which stops
    them and keeps the previous index; on Linux they are also killed when the parent dies (kill -9),
    instead of running on as orphans."""
    use_user_words(words)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the parent died before prctl took effect
            os._exit(1)
