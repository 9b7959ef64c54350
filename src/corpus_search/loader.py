"""Find text files, decode them, and cut them into passages (the unit that is indexed and shown).

A passage is a sentence or a paragraph of at most `MAX_PASSAGE` characters. It ends after sentence-final
punctuation (。！？；… and any closing quotes), at a line break or a blank line that follows such
punctuation, and is cut at a comma or a line break only when a sentence runs longer than `MAX_PASSAGE`.
A passage's stored text runs up to where the next passage starts (trailing whitespace included), so the
passages of a file concatenate to the file's text exactly.

Passages are grouped into blocks of up to `BLOCK_CHARS` characters, the unit Whoosh indexes. Each block
carries `lookahead`, the first `LOOKAHEAD` normalised characters after it, so a match that starts in one
block and runs on into the next is still found.

A file with page and line markers (markup.py) is normalised with its markup removed; its header lines
are in no passage, a passage never starts inside a page marker (one found there opens the passage), line
marks count as the whitespace after a sentence, and each block knows the page in force where it starts.
"""

from __future__ import annotations

import bisect
import codecs
import fnmatch
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from . import _kernels as kernels
from .errors import CorpusSearchError
from .markup import (
    LINE_MARK,
    BlockMarkup,
    Pages,
    has_markup,
    header_end,
    marker_start,
    markup_end,
    starts_outside_markers,
)
from .normalize import normalize

MAX_PASSAGE = 200  # original characters, before the trailing whitespace
SHORT_PASSAGE = 40  # below this a line break after a sentence does not end the passage
LONG_PASSAGE = 100  # at or above this any sentence end ends the passage
LOOKAHEAD = 32  # normalised characters after a block that are indexed with it
BLOCK_CHARS = 65536  # original characters of passages grouped into one Whoosh document
CHUNK_CHARS = 1 << 20  # original characters normalised at a time

SENTENCE_ENDS = "。！？!?；;…．"  # a run of these ends a sentence,
CLOSING = "”’」』）》〉】\"')]"  # with the closing quotes and brackets that follow it
WEAK_BREAKS = "，,、：:"  # where a sentence longer than MAX_PASSAGE is cut, or at whitespace
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


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
    markup: BlockMarkup | None = None  # None: the file is plain text
    record: int = -1  # the record of a file of records it belongs to (0, 1, …), or -1

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


def passage_bounds(text: str, begin: int = 0, markup: bool = False) -> list[int]:
    """Start offsets of the passages of `text` from `begin` (the first is where the text starts, after
    whitespace: Python's `\\s`, U+200B and U+FEFF); with `markup`, line marks count as whitespace.

    A sentence ends after a run of SENTENCE_ENDS and the CLOSING marks after it. The passage ends there
    when the whitespace after it holds two line breaks, or one and the passage is SHORT_PASSAGE
    characters or more, or the passage is LONG_PASSAGE or more; the next starts after that whitespace.
    A passage longer than MAX_PASSAGE is cut after the last WEAK_BREAKS or whitespace in its first
    MAX_PASSAGE characters, when that lies past half of them, else after all of them. In one pass in C
    (_kernels.passage_bounds); tests/test_loader.py checks it against the regexes it replaced."""
    mark = LINE_MARK if markup else ""
    args = (SENTENCE_ENDS, CLOSING, WEAK_BREAKS, mark, MAX_PASSAGE, SHORT_PASSAGE, LONG_PASSAGE)
    return kernels.passage_bounds(text, begin, *args)


def _normalize_part(text: str, start: int, end: int, markup: bool = False) -> tuple[str, list[int]]:
    """Normalise text[start:end] as it reads inside the whole text: the character after `end` (after
    the markup there, with `markup`) is seen, so a space before it is kept or dropped as in the whole,
    but not kept. Offsets are from `start` (not shifted, which would cost a pass over a million
    characters' list), and may run on past the text's end: a search for an offset below `end - start`
    finds what it would in the text's own."""
    seen = markup_end(text, end) if markup else end
    normalized = normalize(text[start : seen + 1], markup)
    keep = bisect.bisect_left(normalized.to_original, end - start)
    return normalized.text[:keep], normalized.to_original


def blocks_from_records(path: str, records: Iterable[tuple[str, int]]) -> Iterator[Block]:
    """The blocks of a file of records ((text, line) each, formats.py): each record is cut and
    normalised on its own, so no passage, block or lookahead reaches into the next one, and every
    passage of a record is on the record's line."""
    number = 0
    for record, (text, line) in enumerate(records):
        for block in blocks_from_text(path, text, record=record, line=line, first_number=number):
            number = block.number + 1
            yield block


def blocks_from_text(
    path: str, text: str, block_chars: int = BLOCK_CHARS, *, record: int = -1, line: int = 0, first_number: int = 0
) -> Iterator[Block]:
    """Cut a file into passages and the passages into blocks (or a record, numbered `record`, whose
    passages are all on `line`; their blocks numbered from `first_number`).

    Text is normalised a part of up to CHUNK_CHARS characters at a time (whole passages, so context
    is kept), which bounds memory for a file of any size; every file of the corpus is one part.
    """
    marked = has_markup(text)
    pages = Pages.of(text, header_end(text)) if marked else None
    if marked:
        starts = starts_outside_markers(text, passage_bounds(text, header_end(text), markup=True))
    else:
        starts = passage_bounds(text)
    if not starts:
        return
    starts.append(len(text))
    start_lines = kernels.line_numbers(text, starts) if record < 0 else None
    number = first_number
    first = 0
    while first < len(starts) - 1:
        last = bisect.bisect_right(starts, starts[first] + CHUNK_CHARS) - 1
        last = min(max(last, first + 1), len(starts) - 1)
        norm_text, to_original = _normalize_part(text, starts[first], starts[last], marked)
        if last < len(starts) - 1:
            window_end = min(len(text), starts[last] + 8 * LOOKAHEAD)
            if marked:
                window_end = marker_start(text, window_end)
            following = _normalize_part(text, starts[last], window_end, marked)[0]
        else:
            following = ""
        origin = starts[first]
        norm_starts = [bisect.bisect_left(to_original, start - origin) for start in starts[first:last]]
        lines = [line] * (last - first) if start_lines is None else start_lines[first:last]
        norm_starts.append(len(norm_text))
        while first < last:
            end = first + 1  # one past the block's last passage
            while end < last and starts[end + 1] - starts[first] <= block_chars:
                end += 1
            offset = norm_starts[0]
            norm_start, norm_end = norm_starts[0], norm_starts[end - first]
            lookahead = (norm_text[norm_end:] + following)[:LOOKAHEAD]
            yield Block(
                path=path,
                number=number,
                text=text[starts[first] : starts[end]],
                normalized=norm_text[norm_start:norm_end],
                lookahead=lookahead,
                norm_starts=[start - offset for start in norm_starts[: end - first]],
                text_starts=[start - starts[first] for start in starts[first:end]],
                lines=lines[: end - first],
                markup=BlockMarkup(pages.before(starts[first])) if pages else None,
                record=record,
            )
            norm_starts = norm_starts[end - first :]
            lines = lines[end - first :]
            first = end
            number += 1


def shown_path(path: str) -> str:
    """A path as text: bytes that are not UTF-8 (kept by the OS as surrogates) written as \\xNN."""
    return os.fsencode(path).decode("utf-8", errors="backslashreplace")


def find_files(
    roots: list[str],
    patterns: str | Sequence[str] = "*.txt",
    follow_links: bool = False,
    warnings: list[str] | None = None,
    ignore_case: bool = False,
) -> Iterator[SourceFile]:
    """Every regular file under `roots` whose name matches `patterns` (a glob, or any of several; in
    lower case with `ignore_case`, whose patterns are then lower case), in a stable order.

    Symbolic links are skipped unless `follow_links`; when followed, a directory already visited (a link
    loop, or two links to one place) is not walked again. What cannot be read is added to `warnings`.
    """
    warnings = [] if warnings is None else warnings
    patterns = (patterns,) if isinstance(patterns, str) else tuple(patterns)
    for root in roots:
        if not os.path.exists(root):
            raise CorpusSearchError(f"no such file or directory: {shown_path(root)}")
        if not os.path.isdir(root):
            source = _source(root, warnings)
            if source:
                yield source
            continue
        visited: set[tuple[int, int]] = set()

        def report(error: OSError, root: str = root) -> None:
            warnings.append(f"cannot read {shown_path(error.filename or root)}: {error.strerror}")

        for directory, subdirs, names in os.walk(root, onerror=report, followlinks=follow_links):
            if follow_links:
                identity = _identity(directory)
                if identity is None or identity in visited:
                    subdirs[:] = []
                    continue
                visited.add(identity)
            subdirs.sort()
            for name in sorted(names):
                key = name.lower() if ignore_case else name
                if not any(fnmatch.fnmatchcase(key, pattern) for pattern in patterns):
                    continue
                full = os.path.join(directory, name)
                if os.path.islink(full) and not follow_links:
                    continue
                source = _source(full, warnings)
                if source:
                    yield source


def _identity(directory: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(directory)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def _source(path: str, warnings: list[str]) -> SourceFile | None:
    try:
        stat = os.stat(path)
    except OSError as error:
        warnings.append(f"cannot read {shown_path(path)}: {error.strerror}")
        return None
    if not stat_is_regular(stat.st_mode):
        return None
    return SourceFile(shown_path(os.path.normpath(path)), os.path.abspath(path), stat.st_size, stat.st_mtime_ns)


def stat_is_regular(mode: int) -> bool:
    import stat

    return stat.S_ISREG(mode)


_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_REPLACEMENT = "\ufffd"


@dataclass(frozen=True, slots=True)
class Decoded:
    """A file's text (None when it is not text), the encoding used, and how many bad bytes were replaced."""

    text: str | None
    encoding: str
    replaced: int = 0


def _decode_counting(data: bytes, encoding: str) -> Decoded:
    text = data.decode(encoding, errors="replace")
    already = data.decode(encoding, errors="ignore").count(_REPLACEMENT)
    return Decoded(text, encoding, text.count(_REPLACEMENT) - already)


def decode(data: bytes, encoding: str | None = None) -> Decoded:
    """Bytes to text: a forced encoding, a byte-order mark, UTF-8, or a legacy encoding detected by
    charset-normalizer (GB18030, Big5, …). A NUL byte in the first 8 KiB without a BOM means binary.

    UTF-8 with a few bad bytes (at most 1 % of the non-ASCII bytes) stays UTF-8 with the bad bytes
    replaced by U+FFFD, rather than being guessed as some other encoding.
    """
    if encoding:
        return _decode_counting(data, encoding)
    for bom, name in _BOMS:
        if data.startswith(bom):
            return _decode_counting(data, name)
    if b"\x00" in data[:8192]:
        return Decoded(None, "binary")
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    as_utf8 = _decode_counting(data, "utf-8")
    non_ascii = len(data) - len(data.decode("ascii", errors="ignore"))
    if as_utf8.replaced * 100 <= non_ascii:
        return as_utf8
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        return as_utf8
    return Decoded(str(best), best.encoding)


def read_text(path: str, encoding: str | None = None) -> str:
    """The decoded text of one file ('' for a file that is not text)."""
    with open(path, "rb") as handle:
        data = handle.read()
    return decode(data, encoding).text or ""
