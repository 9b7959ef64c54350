"""Document metadata: fields per file, read where corpus projects ship them, kept with the index, and the
`--where` conditions that choose a sub-corpus by them. A *document* is a file, or a record of a file of
records: (path, record number), the number -1 for a whole file.

**Sources.** A `metadata.csv` or `metadata.jsonl` in a folder that is indexed (an indexed root or a
folder holding indexed files), or any file named by `cs index --metadata FILE` (remembered for later
runs). CSV has a header row; JSON Lines has one object per line. The column or key `path` (or `file`)
names a file relative to the metadata file's folder; every other column or scalar key is a field, and
an empty value is no field. A row that names no indexed file is ignored; a row that cannot be read is
one warning naming the file and the line. Where two sources give one file a field, the one in the
deeper folder wins, and `--metadata` over both; and any table over what a file says of itself (the
header of a file with page markers, markup.header_fields).

**Records.** In a file of records (records.py: JSON Lines, CSV), each record is a document with fields
of its own; a record's fields are the file's (from the tables) and then its own, which win.

**Stored.** `cs-metadata.json` in the index folder, replaced whole (write, fsync, rename) at the end of
every `cs index`: `{"format": 1, "source": FILE or null, "files": {path as indexed: {field: value}},
"records": {path as indexed: [{field: value} for each record, in file order]}}`. A search reads it only
when a command asks for metadata.

**Conditions.** `FIELD OP VALUE`, OP one of `=`, `!=`, `<`, `<=`, `>`, `>=` and `~` (a glob, `*` and
`?`, case-sensitive). A file that lacks the field fails the condition, `!=` included. Values compare:

- as numbers when both are numbers (`year>=1990`);
- by the leading year when the condition's value is a year (four digits) and the field's value starts
  with one (`date<2000` holds for `1999-05-04` and for `1999年`);
- as ISO dates, to the shorter precision, when both are ISO dates (`date>=1999-05` holds for
  `1999-05-04`);
- otherwise as text.
"""

from __future__ import annotations

import csv
import fnmatch
import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .errors import CorpusSearchError

FILE_NAME = "cs-metadata.json"
SOURCE_NAMES = ("metadata.csv", "metadata.jsonl")
_FORMAT = 1
_KEYS = ("path", "file")

Fields = dict[str, str]

_CONDITION = re.compile(r"\s*([^\s=!<>~]+)\s*(>=|<=|!=|=|<|>|~)\s*(.*?)\s*\Z", re.S)
_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\Z")
_YEAR = re.compile(r"\d{4}\Z")
_LEADING_YEAR = re.compile(r"(\d{4})(?!\d)")
_ISO_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?\Z")


# -- reading the sources -------------------------------------------------------------------------------


def gather(
    folders: Iterable[str], real_paths: dict[str, str], named: str | None, warnings: list[str]
) -> dict[str, Fields]:
    """Fields per indexed path (`real_paths`: absolute path → path as indexed) from the metadata files in
    `folders` (shallow folders first) and then the `named` one. An unreadable named file is an error."""
    found: dict[str, Fields] = {}
    sources = [
        os.path.join(folder, name)
        for folder in sorted(set(folders), key=lambda folder: (folder.count(os.sep), folder))
        for name in SOURCE_NAMES
    ]
    for source in [path for path in sources if os.path.isfile(path)] + ([named] if named else []):
        for real, fields in _read_source(source, warnings, required=source == named):
            if real in real_paths:
                found.setdefault(real_paths[real], {}).update(fields)
    return found


def _read_source(path: str, warnings: list[str], required: bool) -> list[tuple[str, Fields]]:
    """(real path of the file named, its fields) for each row of a metadata file."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            rows = list(_rows(handle, path, warnings))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        message = f"metadata file {path} cannot be read: {getattr(error, 'strerror', None) or error}"
        if required:
            raise CorpusSearchError(message) from None
        warnings.append(message)
        return []
    folder = os.path.dirname(os.path.abspath(path))
    return [(os.path.normpath(os.path.join(folder, named)), fields) for named, fields in rows]


def _rows(handle, path: str, warnings: list[str]) -> Iterable[tuple[str, Fields]]:
    """(path named, fields) of each readable row; a warning for each other one."""
    if path.endswith(".jsonl"):
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                warnings.append(f"{path}:{number}: not a JSON object; skipped")
                continue
            row = _row(record if isinstance(record, dict) else {})
            if row is None:
                warnings.append(f"{path}:{number}: no path or file; skipped")
            else:
                yield row
        return
    reader = csv.DictReader(handle)
    if not reader.fieldnames or not set(_KEYS) & set(reader.fieldnames):
        raise CorpusSearchError(f"metadata file {path} has no path or file column")
    for record in reader:
        row = _row({key: value for key, value in record.items() if key is not None})
        if row is None:
            warnings.append(f"{path}:{reader.line_num}: no path; skipped")
        else:
            yield row


def _row(record: dict) -> tuple[str, Fields] | None:
    named = next((record[key] for key in _KEYS if isinstance(record.get(key), str) and record[key]), None)
    if named is None:
        return None
    return named, scalar_fields(record, skip=_KEYS)


def scalar_fields(record: dict, skip: Iterable[str] = ()) -> Fields:
    """The fields of a row or record: every key but those in `skip` whose value is a string or a number
    (not a truth value) and not empty, as text."""
    return {
        str(key): _text(value)
        for key, value in record.items()
        if key not in skip and isinstance(value, str | int | float) and not isinstance(value, bool) and value != ""
    }


def _text(value: str | int | float) -> str:
    return value if isinstance(value, str) else json.dumps(value)


# -- the stored table ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Metadata:
    """The fields of every indexed file that has any, and of every record of a file of records."""

    files: dict[str, Fields]
    records: dict[str, list[Fields]]

    def __bool__(self) -> bool:
        return bool(self.files or self.records)

    def fields(self, path: str, record: int = -1) -> Fields | None:
        """The fields of a document (a file, or a record of one), None when it has none."""
        own = self.files.get(path)
        records = self.records.get(path)
        if record < 0 or not records or record >= len(records) or not records[record]:
            return own
        return (own or {}) | records[record]

    def names(self) -> list[str]:
        """Every field some document has, in name order."""
        found = {field for fields in self.files.values() for field in fields}
        found.update(field for records in self.records.values() for fields in records for field in fields)
        return sorted(found)


def write(index_dir: str, files: dict[str, Fields], source: str | None, records: dict[str, list[Fields]]) -> None:
    """Replace the index's metadata table in one rename (not when it holds this already: an index that
    did not change is not written to)."""
    path = os.path.join(index_dir, FILE_NAME)
    temporary = path + ".tmp"
    stored = {"format": _FORMAT, "source": source, "files": files, "records": records}
    encoded = json.dumps(stored, ensure_ascii=False, sort_keys=True)
    try:
        with open(path, encoding="utf-8") as handle:
            if handle.read() == encoded:
                return
    except (OSError, ValueError):
        pass
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(encoded)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def read(index_dir: str) -> Metadata:
    """The fields of the indexed documents (none for an index built before metadata was kept)."""
    stored = _stored(index_dir)
    return Metadata(stored.get("files", {}), stored.get("records", {}))


def remembered_source(index_dir: str) -> str | None:
    """The `--metadata` file a previous run was given, if any (none from a table that cannot be read:
    it is about to be written again)."""
    try:
        return _stored(index_dir).get("source")
    except CorpusSearchError:
        return None


def _stored(index_dir: str) -> dict:
    try:
        with open(os.path.join(index_dir, FILE_NAME), encoding="utf-8") as handle:
            stored = json.load(handle)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        raise CorpusSearchError(
            f"index at {index_dir}: {FILE_NAME} cannot be read ({type(error).__name__}); run cs index again"
        ) from None
    if not isinstance(stored, dict) or stored.get("format") != _FORMAT:
        raise CorpusSearchError(f"index at {index_dir}: {FILE_NAME} is not in a known format; run cs index again")
    return stored


# -- conditions ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Condition:
    field: str
    operator: str
    value: str

    def holds(self, fields: Fields) -> bool:
        if self.field not in fields:
            return False
        have = fields[self.field]
        if self.operator == "~":
            return fnmatch.fnmatchcase(have, self.value)
        order = _compare(have, self.value)
        return {
            "=": order == 0,
            "!=": order != 0,
            "<": order < 0,
            "<=": order <= 0,
            ">": order > 0,
            ">=": order >= 0,
        }[self.operator]


def parse_condition(expression: str) -> Condition:
    """A `--where` expression; CorpusSearchError with a one-line reason when it cannot be read."""
    match = _CONDITION.match(expression)
    if not match:
        raise CorpusSearchError(
            f"--where {expression!r}: expected FIELD OP VALUE with OP one of = != < <= > >= ~ (like year>=1990)"
        )
    field, operator, value = match.groups()
    if not value or value[0] in "=!<>~":
        raise CorpusSearchError(f"--where {expression!r}: no value after {operator}")
    return Condition(field, operator, value)


def document_filter(
    conditions: list[Condition], metadata: Metadata, known: Iterable[str] | None = None
) -> Callable[[str, int], bool]:
    """A test for documents (path, record): every condition holds for the document's fields. A field
    that no indexed document has (`known`: the fields of every shard, for one of them) is the user's
    error (a typo would otherwise quietly find nothing)."""
    known = metadata.names() if known is None else list(known)
    for condition in conditions:
        if condition.field not in known:
            listed = ", ".join(known) or "none: see metadata.csv in the README"
            raise CorpusSearchError(f"--where: no indexed file has the field {condition.field!r} (fields: {listed})")
    return lambda path, record: all(condition.holds(metadata.fields(path, record) or {}) for condition in conditions)


def _compare(have: str, wanted: str) -> int:
    """-1, 0 or 1 as `have` orders before, with or after `wanted` (see the module docstring)."""
    if _NUMBER.match(have) and _NUMBER.match(wanted):
        left, right = float(have), float(wanted)
    elif _YEAR.match(wanted) and _LEADING_YEAR.match(have):
        left, right = int(_LEADING_YEAR.match(have).group(1)), int(wanted)
    elif _ISO_DATE.match(have) and _ISO_DATE.match(wanted):
        length = min(len(have), len(wanted))
        left, right = have[:length], wanted[:length]
    else:
        left, right = have, wanted
    return (left > right) - (left < right)
