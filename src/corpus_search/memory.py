"""Freed memory kept in the process for the next query, where the C library is glibc.

A query's arrays (the occurrences found, their passages and tallies, the scores) are megabytes each at
124 M characters. glibc's malloc serves a request that big with its own mapping, or grows its heap for
it, and hands the pages back to the system when they are freed; the next array of that size then takes
a page fault on each page it writes. Here that was about 3 µs a page: tallying `的` at 16× the test corpus
took 1,550 faults and 8 ms with new arrays, 2.4 ms with arrays already written once.

keep_freed_memory() sets two of malloc's options (mallopt(3)) once per process: requests below 32 MiB
come from the heap, and the heap gives back to the system only what lies free beyond 256 MiB. A query
then writes into pages an earlier one faulted in. What a process holds stays at the most its queries have
needed at once (up to 256 MiB more than it uses); requests of 32 MiB or more are mapped as before.
Under another C library (no mallopt) nothing changes.

Indexing wants the opposite (return_freed_memory): its big arrays come and go once a part, in a writer
thread and a sorting thread beside the main one. glibc raises its mapping threshold to the size of each
mapped block freed (up to 32 MiB), so later arrays below that come from a thread's heap, where what is
freed may stay held; the peak then depends on which thread freed what, and when. A fixed threshold of
4 MiB keeps every big array mapped on its own and unmapped when freed, and two arenas at most are shared
by the threads.
"""

from __future__ import annotations

import ctypes
import threading

_M_TRIM_THRESHOLD = -1  # mallopt's option numbers (malloc.h)
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
HEAP_LIMIT = 32 << 20  # requests below this come from the heap (glibc's largest mmap threshold)
KEPT_FREE = 256 << 20  # free heap beyond this goes back to the system
MAPPED_FROM = 4 << 20  # indexing: requests of this size or more are always mapped on their own
ARENAS = 2  # indexing: malloc arenas the threads share, at most

_LOCK = threading.Lock()
_done: list[bool] = []


def keep_freed_memory() -> bool:
    """Tune malloc as above, once per process; whether it is tuned (False where there is no mallopt)."""
    with _LOCK:
        if not _done:
            _done.append(_tune())
        return _done[0]


def return_freed_memory() -> bool:
    """Tune malloc for indexing as above, unless keep_freed_memory has tuned this process for queries;
    whether it is tuned."""
    with _LOCK:
        if _done:
            return False
        return _mallopt((_M_MMAP_THRESHOLD, MAPPED_FROM), (_M_ARENA_MAX, ARENAS))


def _tune() -> bool:
    return _mallopt((_M_MMAP_THRESHOLD, HEAP_LIMIT), (_M_TRIM_THRESHOLD, KEPT_FREE))


def _mallopt(*settings: tuple[int, int]) -> bool:
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError, TypeError):  # not glibc, or no C library to load by name
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return all([bool(mallopt(option, value)) for option, value in settings])
