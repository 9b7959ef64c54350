"""Character-for-character tables, applied to long texts at C speed.

`str.translate` with a dict looks a dict up for every character, about 50 ns each in CPython. The
tables that normalising and folding use (full width to ASCII, OpenCC t2s's characters, variant
folding) map one code point to one code point, so a long text can go through its UTF-32 code units and
one dense array instead (_kernels.map_codes): the same string, about 10 ns a character. The array takes
about 5 ms to build, so a table builds it only after it has translated BUDGET characters the slow way:
a command that normalises a query and a few passages never does, an index build or a KWIC soon does.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping

from . import _kernels as kernels

LONG_TEXT = 64  # characters; shorter texts always take str.translate
BUDGET = 100_000  # characters translated the slow way before the dense array is built


class CodeTable:
    """A `str.translate` table (code point → code point or one-character string) that is applied as one
    when called: `table(text)` is `text.translate(table.mapping)`."""

    __slots__ = ("mapping", "_dense", "_slow")

    def __init__(self, mapping: Mapping[int, int | str]):
        self.mapping = mapping
        self._dense: array | None = None  # built once BUDGET is spent; empty: the table is not one-to-one
        self._slow = 0

    def __call__(self, text: str) -> str:
        if len(text) < LONG_TEXT:
            return text.translate(self.mapping)
        if self._dense is None:
            self._slow += len(text)
            if self._slow < BUDGET:
                return text.translate(self.mapping)
            self._dense = dense_table(self.mapping)
        if not self._dense:
            return text.translate(self.mapping)
        data = bytearray(text.encode("utf-32-le", "surrogatepass"))
        with memoryview(data).cast("I") as codes:
            kernels.map_codes(codes, self._dense, codes)
        return data.decode("utf-32-le", "surrogatepass")


def dense_table(mapping: Mapping[int, int | str]) -> array:
    """Code point → code point for every code point up to the highest in `mapping` (empty when some
    value is not one character)."""
    targets = {code: _code_of(value) for code, value in mapping.items()}
    if not targets or min(targets.values()) < 0:
        return array("I")
    dense = array("I", range(max(targets) + 1))
    for code, target in targets.items():
        dense[code] = target
    return dense


def _code_of(value: int | str | None) -> int:
    if isinstance(value, int):
        return value
    return ord(value) if isinstance(value, str) and len(value) == 1 else -1
