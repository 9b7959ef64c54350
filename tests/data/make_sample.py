"""Cut the sample corpus in tests/data/corpus from a full copy of the corpus (../shared/corpus).

Each novel keeps its first NOVEL_BYTES bytes, cut after a whole line (CRLF kept); each poem file keeps its
first POEM_BYTES bytes, cut after a whole poem (the blank line between poems kept). Nothing else is
changed: the quirks (CRLF, hard wraps inside words, ideographic spaces, traditional script) are the point.

    python tests/data/make_sample.py ../shared/corpus
"""

from __future__ import annotations

import sys
from pathlib import Path

NOVEL_BYTES = 150_000
POEM_BYTES = 35_000
# The poem files the tests index: spread over the whole of the Tang poems.
POEM_FILES = [f"全唐诗_poet.tang.{n}.txt" for n in (0, 1000, 5000, 10000, 20000, 30000, 40000, 57000)]
HERE = Path(__file__).resolve().parent / "corpus"


def head(data: bytes, size: int, separator: bytes) -> bytes:
    """The first `size` bytes or fewer, ending just after the last `separator` in them."""
    if len(data) <= size:
        return data
    return data[: data.rindex(separator, 0, size) + len(separator)]


def main(full: Path) -> None:
    for novel in sorted((full / "novels").glob("*.txt")):
        target = HERE / "novels" / novel.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(head(novel.read_bytes(), NOVEL_BYTES, b"\r\n"))
    for name in POEM_FILES:
        target = HERE / "tang" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(head((full / "tang" / name).read_bytes(), POEM_BYTES, b"\n\n"))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
