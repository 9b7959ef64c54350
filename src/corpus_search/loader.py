"""Find text files, decode them, and cut them into passages (the unit that is indexed and shown).

A passage is a sentence or a paragraph of at most `MAX_PASSAGE` characters. It ends after sentence-final
punctuation (。！？；… and any closing quotes), at a line break or a blank line that follows such
punctuation, and is cut at a comma or a line break only when a sentence runs longer than `MAX_PASSAGE`.
A passage's stored text runs up to where the next passage starts (trailing whitespace included), so the
passages of a file concatenate to the file's text exactly.

Passages are grouped into blocks of up to `BLOCK_CHARS` characters, the unit Whoosh indexes. Each block
carries `lookahead`, the first `LOOKAHEAD` normalised characters after it, so a match that starts in one
block and runs on into the next is still found.
"""

from __future__ import annotations

import bisect
import codecs
import fnmatch
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

from .errors import CorpusSearchError
from .normalize import normalize

MAX_PASSAGE = 200  # original characters, before the trailing whitespace
SHORT_PASSAGE = 40  # below this a line break after a sentence does not end the passage
LONG_PASSAGE = 100  # at or above this any sentence end ends the passage
LOOKAHEAD = 32  # normalised characters after a block that are indexed with it
BLOCK_CHARS = 32768  # original characters of passages grouped into one Whoosh document

_SENTENCE_END = re.compile(r"[。！？!?；;…．]+[”’」』）》〉】\"')\]]*")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_WEAK_BREAK = re.compile(r"[，,、：:]|\r\n|\r|\n|\s")
_LEADING_SPACE = re.compile(r"[\s\u200b\ufeff]*")


@dataclass(frozen=True, slots=True)
class Block:
    """Consecutive passages of one file, indexed as one Whoosh document (see store.py for why).

    `normalized` is the passages' normalised text and `lookahead` the first LOOKAHEAD normalised
    characters after the block. Passage i starts at `norm_starts[i]` in `normalized`, at `text_starts[i]`
    in `text`, and on line `lines[i]` of the file.
    """

    path: str
    number: int
    text: str
    normalized: str
    lookahead: str
    norm_starts: list[int]
    text_starts: list[int]
    lines: list[int]

    def passage_text(self, index: int) -> str:
        """The original text of passage `index`."""
        end = self.text_starts[index + 1] if index + 1 < len(self.text_starts) else len(self.text)
        return self.text[self.text_starts[index] : end]


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file to index: the path shown to the user and the path to open."""

    path: str
    real_path: str
    size: int
    mtime_ns: int


def line_starts(text: str) -> list[int]:
    """Offsets where lines 2, 3, … start; lines end at \\n, \\r\\n or \\r and nowhere else."""
    return [m.end() for m in _LINE_BREAK.finditer(text)]


def line_of(starts: list[int], offset: int) -> int:
    """The 1-based line holding `offset`, given `line_starts(text)`."""
    return bisect.bisect_right(starts, offset) + 1


def _forced_cut(text: str, start: int) -> int:
    """Where to cut a sentence longer than MAX_PASSAGE: after a comma or at a break, else hard."""
    window = text[start : start + MAX_PASSAGE]
    best = -1
    for weak in _WEAK_BREAK.finditer(window):
        if weak.end() > MAX_PASSAGE // 2:
            best = weak.end()
    return start + (best if best > 0 else len(window))


def passage_bounds(text: str) -> list[int]:
    """Start offsets of the passages of `text` (the first is where the text starts, after whitespace)."""
    starts: list[int] = []
    start = _LEADING_SPACE.match(text).end()
    if start == len(text):
        return starts
    starts.append(start)
    for end_match in _SENTENCE_END.finditer(text, start):
        end = end_match.end()
        if end <= start:
            continue
        while end - start > MAX_PASSAGE:
            start = _LEADING_SPACE.match(text, _forced_cut(text, start)).end()
            starts.append(start)
        if end <= start:
            continue
        space = _LEADING_SPACE.match(text, end).group()
        breaks = len(_LINE_BREAK.findall(space))
        length = end - start
        if (breaks >= 2 or (breaks == 1 and length >= SHORT_PASSAGE)) or length >= LONG_PASSAGE:
            next_start = end + len(space)
            if next_start >= len(text):
                return starts
            start = next_start
            starts.append(start)
    while len(text) - start > MAX_PASSAGE:
        cut = _LEADING_SPACE.match(text, _forced_cut(text, start)).end()
        if cut >= len(text):
            break
        start = cut
        starts.append(start)
    return starts


def blocks_from_text(path: str, text: str, block_chars: int = BLOCK_CHARS) -> Iterator[Block]:
    """Cut a file into passages and the passages into blocks, normalising the whole text once."""
    starts = passage_bounds(text)
    if not starts:
        return
    normalized = normalize(text)
    to_original = normalized.to_original
    norm_text = normalized.text
    line_offsets = line_starts(text)
    norm_starts = [bisect.bisect_left(to_original, start) for start in starts]
    starts.append(len(text))
    norm_starts.append(len(norm_text))
    first = 0
    number = 0
    while first < len(starts) - 1:
        last = first + 1  # one past the block's last passage
        while last < len(starts) - 1 and starts[last + 1] - starts[first] <= block_chars:
            last += 1
        text_start, norm_start = starts[first], norm_starts[first]
        norm_end = norm_starts[last]
        yield Block(
            path=path,
            number=number,
            text=text[text_start : starts[last]],
            normalized=norm_text[norm_start:norm_end],
            lookahead=norm_text[norm_end : norm_end + LOOKAHEAD],
            norm_starts=[start - norm_start for start in norm_starts[first:last]],
            text_starts=[start - text_start for start in starts[first:last]],
            lines=[line_of(line_offsets, start) for start in starts[first:last]],
        )
        first = last
        number += 1


def find_files(roots: list[str], pattern: str = "*.txt", follow_links: bool = False) -> Iterator[SourceFile]:
    """Every regular file under `roots` whose name matches `pattern`, in a stable order."""
    for root in roots:
        if not os.path.exists(root):
            raise CorpusSearchError(f"no such file or directory: {root}")
        if os.path.isfile(root):
            yield _source(root, root)
            continue
        for directory, subdirs, names in os.walk(root, followlinks=follow_links):
            subdirs.sort()
            for name in sorted(names):
                if not fnmatch.fnmatch(name, pattern):
                    continue
                full = os.path.join(directory, name)
                if os.path.islink(full) and not follow_links:
                    continue
                if os.path.isfile(full):
                    yield _source(full, full)


def _source(shown: str, real: str) -> SourceFile:
    stat = os.stat(real)
    return SourceFile(os.path.normpath(shown), os.path.abspath(real), stat.st_size, stat.st_mtime_ns)


_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode(data: bytes, encoding: str | None = None) -> str:
    """Bytes to text: a forced encoding, a byte-order mark, strict UTF-8, or a detected legacy encoding."""
    if encoding:
        return data.decode(encoding, errors="replace")
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data.decode(name, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        return data.decode("utf-8", errors="replace")
    return str(best)


def read_text(path: str, encoding: str | None = None) -> str:
    """The decoded text of one file."""
    with open(path, "rb") as handle:
        data = handle.read()
    return decode(data, encoding)
