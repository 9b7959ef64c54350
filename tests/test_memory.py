"""memory.py: once an index is open, a query's big arrays reuse pages an earlier one faulted in.

Each case runs in a new interpreter, as malloc's options hold for the whole process: three rounds of
eight 4 MiB arrays written and freed, as a query's are, and the page faults of the last round counted.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

ROUNDS = """
import resource, sys
import numpy as np
if sys.argv[1] != "-":
    from corpus_search.search import Searcher
    Searcher(sys.argv[1]).close()
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(3):
    before = faults()
    arrays = [np.ones(1 << 19) for _ in range(8)]
    del arrays
print(faults() - before)
"""


def last_round_faults(index: str) -> int:
    done = subprocess.run([sys.executable, "-c", ROUNDS, index], capture_output=True, text=True, check=True)
    return int(done.stdout)


def test_an_open_index_keeps_freed_pages_for_the_next_arrays(seeds_index):
    if not _has_mallopt():
        pytest.skip("no mallopt in this C library")
    plain = last_round_faults("-")
    if plain < 1000:
        pytest.skip(f"this C library already keeps freed pages ({plain} faults for 32 MiB written)")
    assert last_round_faults(seeds_index) < plain // 10


def _has_mallopt() -> bool:
    import ctypes

    try:
        return hasattr(ctypes.CDLL(None), "mallopt")
    except (OSError, TypeError):
        return False
