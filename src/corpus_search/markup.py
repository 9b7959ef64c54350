"""Page and line markers of Kanripo (mandoku) text: markup, not text, in the files that carry them.

A file *has markup* when it holds at least one page marker, `<pb:ID>` (Kanripo writes
`<pb:KR1a0001_tls_002-3a>`). In such a file, and only there:

- page markers and the line mark `¶` are not text: they are removed before normalising (normalize.py),
  so a phrase runs across them, and across the line break after a `¶`, as if they were not there;
- the header is not text: the lines at the top that start with `#+` (org-mode settings, `#+TITLE: 論語`)
  or `# ` (org comments, `# -*- mode: mandoku-view; -*-`), and blank lines among them; its settings are
  the file's metadata fields instead (`header_fields`: title, and each `#+PROPERTY:`);
- every place in the text is on a *page*: the ID of the nearest page marker before it (None before the
  first one).

A file without a page marker is plain text: a `¶` or a `#+TITLE:` line in it is text like any other, so
nothing here changes what is found in it. (CBETA's TEI `<lb n="0001a01"/>` is not read: cs reads no TEI.)

The index keeps, in each block's `markup` column, whether the block's file has markup and the page in
force where the block starts (`encode_block_markup`, `decode_block_markup`), so the page of a hit is
known however many passages or blocks back its marker lies.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass

LINE_MARK = "\u00b6"  # ¶
_LONGEST_ID = 100  # characters; Kanripo's are about 20 (KR1a0001_tls_002-3a)
PAGE_MARKER = re.compile(rf"<pb:([^<>\s]{{1,{_LONGEST_ID}}})>")
MARKUP_PATTERN = rf"<pb:[^<>\s]{{1,{_LONGEST_ID}}}>|{LINE_MARK}"  # a page marker or a line mark, to build on
MARKUP = re.compile(MARKUP_PATTERN)
_MARKUP_RUN = re.compile(rf"(?:{MARKUP_PATTERN})*")
# Header lines (`#+KEY: value`, `# comment`, `#` alone) and blank lines, from the top of the file.
_HEADER_FIELD = re.compile(r"^#\+([A-Za-z][\w-]*):[ \t]*([^\r\n]*)", re.M)
_HEADER = re.compile(r"(?:#(?:[+ \t][^\r\n]*)?(?:\r\n|\r|\n|\Z)|[ \t\u3000]*(?:\r\n|\r|\n))*")


def has_markup(text: str) -> bool:
    """True when the text holds a page marker: only then are markers and headers markup."""
    return "<pb:" in text and PAGE_MARKER.search(text) is not None


def header_end(text: str) -> int:
    """Where the text starts after the header lines at the top of a file with markup."""
    return _HEADER.match(text).end()


def header_fields(text: str) -> dict[str, str]:
    """The header of a file with markup as metadata fields (metadata.py): `#+KEY: value` gives `key`
    (in lower case), and `#+PROPERTY: NAME value` gives `name`; an empty value gives no field."""
    fields = {}
    for line in _HEADER_FIELD.finditer(text, 0, header_end(text)):
        key, value = line.group(1).lower(), line.group(2).strip()
        if key == "property":
            name, _, value = value.partition(" ")
            key, value = name.lower(), value.strip()
        if key and value:
            fields[key] = value
    return fields


def strip_markup(text: str) -> tuple[str, list[int]]:
    """The text without page markers and line marks, and the index in `text` of each character kept."""
    pieces: list[str] = []
    kept: list[int] = []
    at = 0
    for marker in MARKUP.finditer(text):
        pieces.append(text[at : marker.start()])
        kept.extend(range(at, marker.start()))
        at = marker.end()
    pieces.append(text[at:])
    kept.extend(range(at, len(text)))
    return "".join(pieces), kept


def markup_end(text: str, at: int) -> int:
    """The end of the run of markers and line marks that starts at `at` (`at` itself when none does)."""
    return _MARKUP_RUN.match(text, at).end()


def marker_start(text: str, at: int) -> int:
    """The start of the page marker that `at` falls strictly inside, or `at` when it falls in none."""
    opening = text.rfind("<pb:", max(0, at - len("<pb:>") - _LONGEST_ID), at + len("<pb:") - 1)  # opens before at
    if opening < 0:
        return at
    marker = PAGE_MARKER.match(text, opening)
    return opening if marker and opening < at < marker.end() else at


def starts_outside_markers(text: str, starts: list[int]) -> list[int]:
    """Passage starts moved out of the page markers they fall inside (to the marker's start, so the
    marker opens the passage); a start that meets the one before it is dropped."""
    moved: list[int] = []
    for start in starts:
        start = marker_start(text, start)
        if not moved or start > moved[-1]:
            moved.append(start)
    return moved


@dataclass(frozen=True, slots=True)
class Pages:
    """Where the page markers of a text start, and their IDs, to name the page of any offset."""

    starts: list[int]
    names: list[str]

    @classmethod
    def of(cls, text: str, begin: int = 0) -> Pages:
        """The markers from `begin` on (a marker in the header, as in `#+PROPERTY: LASTPB <pb:…>`, is not
        where a page begins)."""
        markers = list(PAGE_MARKER.finditer(text, begin))
        return cls([marker.start() for marker in markers], [marker.group(1) for marker in markers])

    def before(self, offset: int, default: str | None = None) -> str | None:
        """The ID of the last marker that starts before `offset` (`default` when none does)."""
        index = bisect.bisect_left(self.starts, offset)
        return self.names[index - 1] if index else default


@dataclass(frozen=True, slots=True)
class BlockMarkup:
    """A block of a file with markup, and the page in force where it starts (None: no marker yet)."""

    page: str | None = None


def encode_block_markup(markup: BlockMarkup | None) -> bytes:
    """A block's `markup` column: empty for plain text, else JSON `{"page": ID or null}`."""
    if markup is None:
        return b""
    return json.dumps({"page": markup.page}).encode("ascii")


def decode_block_markup(data: bytes) -> BlockMarkup | None:
    """The inverse of encode_block_markup."""
    if not data:
        return None
    return BlockMarkup(json.loads(data)["page"])
