"""Files of records: JSON Lines, JSON and CSV/TSV datasets, one document per record.

- `.jsonl`: one JSON object per line; a blank line is no record.
- `.json`: one array of objects, or JSON Lines, or a single object (one record).
- `.csv`: RFC 4180 (Python's csv, quoted fields may hold line breaks), a header row first.
- `.tsv`: IANA text/tab-separated-values: a header row, fields split at tabs, no quoting (a `"` is a
  character like any other).

The text of a record is its field named by `--text-field NAME`, or else the first of `text`, `content`,
`body` that it has (in that order, the name in any case). Every other field whose value is a string or a
number, and not empty, is the record's metadata (metadata.scalar_fields, as a metadata table's columns are).
A record's `line` is the line of the file where it starts (the row's first line in CSV).

A line that is not a JSON object, or a CSV row with more fields than the header, is skipped with one
warning naming the file and the line; records without the text field are skipped with one warning per
file that counts them. The rest of the file is indexed.
"""

from __future__ import annotations

import bisect
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass

from .errors import CorpusSearchError
from .metadata import Fields, scalar_fields

TEXT_FIELDS = ("text", "content", "body")  # looked for in this order when no --text-field is given
EXTENSIONS = (".jsonl", ".json", ".csv", ".tsv")
_WARNED_LINES = 20  # malformed lines named one by one per file; the rest are counted


@dataclass(frozen=True, slots=True)
class Record:
    """One record: its text, the file line where it starts, and its fields."""

    text: str
    line: int
    fields: Fields


def read_records(path: str, kind: str, text: str, text_field: str | None, warnings: list[str]) -> list[Record]:
    """The records of a decoded file of kind `kind` (an extension in EXTENSIONS), in file order."""
    if kind == ".jsonl":
        objects = _json_lines(path, text, warnings)
    elif kind == ".json":
        objects = _json_document(path, text, warnings)
    else:
        objects = _table(path, text, "\t" if kind == ".tsv" else ",", warnings)
    records, missing, first_missing = [], 0, 0
    for line, fields in objects:
        name = _text_key(fields, text_field)
        value = fields.get(name) if name is not None else None
        if not isinstance(value, str):
            missing += 1
            first_missing = first_missing or line
            continue
        records.append(Record(value, line, scalar_fields(fields, skip=(name,))))
    if missing:
        wanted = text_field or " or ".join(TEXT_FIELDS)
        warnings.append(f"{path}:{first_missing}: {missing} record(s) without a text field ({wanted}); skipped")
    return records


def _text_key(fields: dict, text_field: str | None) -> str | None:
    """The key of the record's text: `text_field` exactly, or the first of TEXT_FIELDS in any case."""
    if text_field is not None:
        return text_field if text_field in fields else None
    lowered = {str(key).lower(): key for key in reversed(list(fields))}
    return next((lowered[name] for name in TEXT_FIELDS if name in lowered), None)


class _Lines:
    """Line numbers of offsets in a text."""

    def __init__(self, text: str):
        self.starts = [0]
        position = text.find("\n")
        while position >= 0:
            self.starts.append(position + 1)
            position = text.find("\n", position + 1)

    def of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)


def _warn(path: str, line: int, why: str, warnings: list[str], count: list[int]) -> None:
    count[0] += 1
    if count[0] <= _WARNED_LINES:
        warnings.append(f"{path}:{line}: {why}; skipped")
    elif count[0] == _WARNED_LINES + 1:
        warnings.append(f"{path}: more malformed lines after line {line}; skipped, not each named")


def _json_lines(path: str, text: str, warnings: list[str]) -> Iterator[tuple[int, dict]]:
    count = [0]
    for number, line in enumerate(io.StringIO(text, newline=None), 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError:
            value = None
        if isinstance(value, dict):
            yield number, value
        else:
            _warn(path, number, "not a JSON object", warnings, count)


def _json_document(path: str, text: str, warnings: list[str]) -> Iterator[tuple[int, dict]]:
    """An array of objects (each on the line where it starts), one object, or else JSON Lines."""
    decoder = json.JSONDecoder()
    start = len(text) - len(text.lstrip())
    if text[start : start + 1] != "[":
        try:
            value, end = decoder.raw_decode(text, start)
        except ValueError:
            value, end = None, 0
        if isinstance(value, dict) and not text[end:].strip():
            yield _Lines(text).of(start), value
        else:
            yield from _json_lines(path, text, warnings)
        return
    lines, count = _Lines(text), [0]
    position = start + 1
    while True:
        position = _skip_space(text, position)
        if text.startswith("]", position):
            break
        line = lines.of(position)
        try:
            value, position = decoder.raw_decode(text, position)
        except ValueError as error:
            raise CorpusSearchError(f"not valid JSON at line {lines.of(error.pos)}") from None
        if isinstance(value, dict):
            yield line, value
        else:
            _warn(path, line, "not a JSON object", warnings, count)
        position = _skip_space(text, position)
        if text.startswith(",", position):
            position += 1
        elif not text.startswith("]", position):
            raise CorpusSearchError(f"not valid JSON at line {lines.of(position)}")


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _table(path: str, text: str, delimiter: str, warnings: list[str]) -> Iterator[tuple[int, dict]]:
    """Rows of a CSV (RFC 4180) or TSV (no quoting) table as dicts by the header row."""
    quoting = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quoting=quoting, strict=False)
    count = [0]
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise CorpusSearchError(f"its header row cannot be read ({error})") from None
    if not header:
        return
    names = [name.strip().lstrip("\ufeff") for name in header]
    while True:
        first = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            _warn(path, first, f"not a CSV row ({error})", warnings, count)
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(names):
            _warn(path, first, f"{len(row)} fields where the header has {len(names)}", warnings, count)
            continue
        fields: dict = {}
        for name, cell in zip(names, row, strict=False):
            fields.setdefault(name, cell)
        yield first, fields
