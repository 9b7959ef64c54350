"""Printers: they format Hits and write them to a stream; they never touch the index.

Three forms, chosen once by the CLI:

- `color` (a terminal): `path:line:` in colour, then the passage on one line with every match
  highlighted. Line breaks inside the passage are shown as spaces.
- `plain` (piped): `path:line:passage`, one hit per line, no escape codes, so `grep`, `cut -d: -f1` and
  `sort` work on it.
- `json`: JSON Lines, one object per hit::

      {"path": "seeds/003.txt", "line": 11, "text": "…成立临时党支部…", "score": 7.1,
       "matches": [{"line": 11, "start": 3, "end": 8, "text": "临时党支部"}]}

  `text` is the passage exactly as in the file (original script and characters, line breaks included).
  `start`/`end` are character offsets (Python string indices) into `text`, half-open, sorted, so
  `text[start:end] == match["text"]`; `line` of a match is the file line where it starts, and `line` of
  the hit is the line of its first match. Every occurrence of a query term in the passage is listed.
  With `-C N`, `before` and `after` list the lines around the passage: `[{"line": 10, "text": "…"}]`.
  In a file with page markers (markup.py), `ref` after `line` names the page where the hit's first match
  starts (`"ref": "KR1a0001_tls_002-3a"`), and each match has its own `ref`; the key is absent elsewhere,
  and where no marker comes before. The markers stay in `text`, and a span runs across those inside it.
  Where the file has metadata (metadata.py), `meta` holds its fields: `{"year": "2020", "author": "…"}`.

  What `line` counts depends on the file's format (formats.py): in `.txt` and `.md` files, and any not
  named below, the file's lines (ending at `\n`, `\r\n` or `\r`); in HTML, DOCX, EPUB and TEI files,
  paragraphs (the n-th with text, in reading order; an EPUB's spine documents one after another); in a
  PDF, pages. Where it is not a text line, `"unit": "paragraph"` or `"unit": "page"` follows `line` (and
  `ref`), and the lines of `-C` and of a match count the same; the key is absent for text lines.

In the `color` and `plain` forms a path or passage never carries a raw control character: line breaks
and tabs become spaces in passages, and any other control character (ANSI escapes included) is written
as `\\xNN`; in paths, newlines, tabs and control characters are written as `\\n`, `\\t`, `\\xNN`, so
every hit stays on one line. (Bytes of a file name that are not UTF-8 are written `\\xNN` everywhere,
JSON included: see loader.shown_path.) JSON needs no other care: its strings are escaped by the format.
On a terminal, the page and line markers of a file with markup are dimmed outside the matches.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable
from typing import TextIO

from .markup import MARKUP
from .model import Collocate, Concordance, FileCount, Hit

PATH_COLOR = "\x1b[35m"
LINE_COLOR = "\x1b[32m"
MATCH_COLOR = "\x1b[1;31m"
MARKUP_COLOR = "\x1b[2m"  # dim: page and line markers of a file with markup
RESET = "\x1b[0m"
MAX_SHOWN = 200  # characters of a passage shown on a terminal or in a pipe

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_PATH_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escape_control(match: re.Match) -> str:
    return f"\\x{ord(match.group()):02x}" if ord(match.group()) < 0x100 else f"\\u{ord(match.group()):04x}"


def shown_path(path: str) -> str:
    """A path safe on one line: newline, tab and control characters escaped."""

    def escape(match: re.Match) -> str:
        char = match.group()
        return {"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(char) or _escape_control(match)

    return _PATH_UNSAFE.sub(escape, path)


def shown_text(text: str) -> str:
    """Passage text for one line: line breaks and tabs as spaces, other control characters escaped."""
    if not _PATH_UNSAFE.search(text):  # nothing to replace (most text)
        return text
    return _CONTROL.sub(_escape_control, _LINE_BREAK.sub(" ", text).replace("\t", " "))


def _dimmed(text: str) -> str:
    """Shown text with its page and line markers dimmed (for a file with markup, on a terminal)."""
    return MARKUP.sub(lambda marker: MARKUP_COLOR + marker.group() + RESET, text)


def _clip(hit: Hit) -> tuple[int, int]:
    """The part of the passage to show: all of it, or MAX_SHOWN characters around the first match."""
    length = len(hit.passage.text)
    if length <= MAX_SHOWN:
        return 0, length
    first = hit.matches[0].start if hit.matches else 0
    start = max(0, min(first - MAX_SHOWN // 4, length - MAX_SHOWN))
    return start, start + MAX_SHOWN


def _shown_passage(hit: Hit, highlight: bool) -> str:
    start, end = _clip(hit)
    text = hit.passage.text
    pieces = ["…"] if start > 0 else []
    cursor = start
    outside = _dimmed if highlight and hit.passage.has_markup else str
    if highlight:
        for match in _merged(hit, start, end):
            pieces.append(outside(shown_text(text[cursor : match[0]])))
            pieces.append(MATCH_COLOR + shown_text(text[match[0] : match[1]]) + RESET)
            cursor = match[1]
    pieces.append(outside(shown_text(text[cursor:end])))
    if end < len(text):
        pieces.append("…")
    return "".join(pieces)


def _merged(hit: Hit, start: int, end: int) -> list[tuple[int, int]]:
    """Match spans inside [start, end), overlapping ones merged, for highlighting."""
    spans: list[tuple[int, int]] = []
    for match in hit.matches:
        left, right = max(match.start, start), min(match.end, end)
        if left >= right:
            continue
        if spans and left <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], right))
        else:
            spans.append((left, right))
    return spans


def hit_line(hit: Hit, color: bool) -> str:
    """One hit as `path:line:passage`, coloured or plain."""
    path, line = shown_path(hit.passage.path), str(hit.line)
    if color:
        return f"{PATH_COLOR}{path}{RESET}:{LINE_COLOR}{line}{RESET}:{_shown_passage(hit, True)}"
    return f"{path}:{line}:{_shown_passage(hit, False)}"


def hit_json(hit: Hit, context: bool = False) -> str:
    """One hit as a JSON object on one line (see the module docstring for the fields)."""
    return json.dumps(
        {"path": hit.passage.path, "line": hit.line}
        | _ref(hit.ref)
        | _unit(hit.unit)
        | {
            "text": hit.passage.text,
            "score": round(hit.score, 4),
            "matches": [
                {"line": match.line} | _ref(match.ref) | {"start": match.start, "end": match.end, "text": match.text}
                for match in hit.matches
            ],
        }
        | (
            {
                "before": [{"line": line, "text": text} for line, text in hit.before],
                "after": [{"line": line, "text": text} for line, text in hit.after],
            }
            if context
            else {}
        )
        | ({"meta": hit.meta} if hit.meta else {}),
        ensure_ascii=False,
    )


def _ref(ref: str | None) -> dict[str, str]:
    """The `ref` key of a JSON record: only where a page marker names the page."""
    return {} if ref is None else {"ref": ref}


def _unit(unit: str | None) -> dict[str, str]:
    """The `unit` key of a JSON record: only where `line` counts paragraphs or pages."""
    return {} if unit is None else {"unit": unit}


def context_line(path: str, line: int, text: str, color: bool, markup: bool = False) -> str:
    """A line around a hit as grep -C prints it: `path-line-text`."""
    shown = shown_text(text[:MAX_SHOWN]) + ("…" if len(text) > MAX_SHOWN else "")
    if color:
        shown = _dimmed(shown) if markup else shown
        return f"{PATH_COLOR}{shown_path(path)}{RESET}-{LINE_COLOR}{line}{RESET}-{shown}"
    return f"{shown_path(path)}-{line}-{shown}"


def write_hits(hits: Iterable[Hit], stream: TextIO, form: str, context: bool = False) -> int:
    """Write hits in `form` (`color`, `plain` or `json`); returns how many were written. With `context`,
    each hit comes with its lines before and after, and `--` separates hits, as with grep -C."""
    written = 0
    for hit in hits:
        if form == "json":
            stream.write(hit_json(hit, context) + "\n")
        else:
            color = form == "color"
            if context and written:
                stream.write("--\n")
            markup = hit.passage.has_markup
            for line, text in hit.before:
                stream.write(context_line(hit.passage.path, line, text, color, markup) + "\n")
            stream.write(hit_line(hit, color) + "\n")
            for line, text in hit.after:
                stream.write(context_line(hit.passage.path, line, text, color, markup) + "\n")
        written += 1
    return written


def write_counts(counts: dict[str, int], stream: TextIO, form: str) -> None:
    """`path:count` per file (or one JSON object per file)."""
    for path, count in counts.items():
        if form == "json":
            stream.write(json.dumps({"path": path, "count": count}, ensure_ascii=False) + "\n")
        elif form == "color":
            stream.write(f"{PATH_COLOR}{shown_path(path)}{RESET}:{count}\n")
        else:
            stream.write(f"{shown_path(path)}:{count}\n")


def write_paths(paths: Iterable[str], stream: TextIO, form: str) -> None:
    """One path per line (or one JSON object per file)."""
    for path in paths:
        if form == "json":
            stream.write(json.dumps({"path": path}, ensure_ascii=False) + "\n")
        elif form == "color":
            stream.write(f"{PATH_COLOR}{shown_path(path)}{RESET}\n")
        else:
            stream.write(shown_path(path) + "\n")


# -- KWIC, counts and collocates ------------------------------------------------------------------
#
# KWIC lines: the left context right-aligned in 2 × width columns (a CJK character takes two, measured
# by wcwidth), the occurrence, the right context padded to 2 × width columns, then `path:line`; so
# occurrences line up in a column on a terminal and in a pipe. A line from a file with page markers
# ends with one more column, the page where its occurrence starts (so output without such files is
# unchanged). JSON Lines: {"path", "line", "left", "keyword", "right", "terms"}, `terms` being the query
# terms' texts inside the keyword, and `ref` after `line` where a page marker names the page, and
# `unit` after them where `line` counts paragraphs or pages (see the module docstring).


def _width(text: str) -> int:
    width = _wcswidth()(text)
    return width if width >= 0 else len(text)


@functools.cache
def _wcswidth() -> Callable[[str], int]:
    from wcwidth import wcswidth  # imported when a line is padded, not for every command

    return wcswidth


def _pad_left(text: str, columns: int) -> str:
    return " " * max(0, columns - _width(text)) + text


def _pad_right(text: str, columns: int) -> str:
    return text + " " * max(0, columns - _width(text))


def write_kwic(lines: Iterable[Concordance], stream: TextIO, form: str, width: int) -> int:
    """Write KWIC lines in `form`; returns how many were written."""
    written = 0
    for line in lines:
        if form == "json":
            record = {"path": line.path, "line": line.line} | _ref(line.ref) | _unit(line.unit)
            record |= {
                "left": line.left,
                "keyword": line.keyword,
                "right": line.right,
                "terms": [text for text, term in line.pieces if term],
            }
            record |= {"meta": line.meta} if line.meta else {}
            stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            color = form == "color"
            outside = _dimmed if color and line.has_markup else str
            keyword = "".join(
                MATCH_COLOR + shown_text(text) + RESET if term and color else outside(shown_text(text))
                for text, term in line.pieces
            )
            where = f"{shown_path(line.path)}:{line.line}"
            if color:
                where = f"{PATH_COLOR}{shown_path(line.path)}{RESET}:{LINE_COLOR}{line.line}{RESET}"
            if line.ref is not None:
                where += f"  {shown_path(line.ref)}"
            left = outside(_pad_left(shown_text(line.left), 2 * width))
            right = outside(_pad_right(shown_text(line.right), 2 * width))
            stream.write(f"{left}  {keyword}  {right}  {where}\n")
        written += 1
    return written


def write_file_counts(files: list[FileCount], total: FileCount, stream: TextIO, form: str) -> None:
    """Occurrences and passages per file, as `wc` prints counts: numbers right-aligned, then the path,
    and a `total` line when there is more than one file. JSON: one object per file, then the total
    with `"path": null`."""
    if form == "json":
        for count in [*files, total]:
            record = {"path": count.path, "occurrences": count.occurrences, "passages": count.passages}
            stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        return
    rows = [*files, total] if len(files) > 1 else files
    digits = max(len(str(total.occurrences)), len("occurrences"))
    if form == "color":
        stream.write(f"{'occurrences':>{digits}} {'passages':>{digits}}  file\n")
    for count in rows:
        path = "total" if count.path is None else shown_path(count.path)
        if form == "color" and count.path is not None:
            path = PATH_COLOR + path + RESET
        stream.write(f"{count.occurrences:>{digits}} {count.passages:>{digits}}  {path}\n")


def write_collocates(found: Iterable[Collocate], stream: TextIO, form: str) -> int:
    """Collocates: a table on a terminal, tab-separated columns in a pipe, JSON Lines with --json
    ({"word", "count", "frequency", "log_likelihood", "mutual_information"})."""
    rows = list(found)
    if form == "json":
        for row in rows:
            record = {
                "word": row.word,
                "count": row.count,
                "frequency": row.frequency,
                "log_likelihood": round(row.log_likelihood, 3),
                "mutual_information": round(row.mutual_information, 3),
            }
            stream.write(json.dumps(record, ensure_ascii=False) + "\n")
    elif form == "plain":
        for row in rows:
            word = shown_text(row.word)
            stream.write(
                f"{word}\t{row.count}\t{row.frequency}\t{row.log_likelihood:.2f}\t{row.mutual_information:.2f}\n"
            )
    else:
        columns = max([_width(shown_text(row.word)) for row in rows] + [4])
        stream.write(f"{_pad_right('word', columns)}  {'count':>7}  {'corpus':>9}  {'LL':>9}  {'MI':>6}\n")
        for row in rows:
            word = _pad_right(shown_text(row.word), columns)
            scores = f"{row.log_likelihood:>9.2f}  {row.mutual_information:>6.2f}"
            stream.write(f"{word}  {row.count:>7}  {row.frequency:>9}  {scores}\n")
    return len(rows)
