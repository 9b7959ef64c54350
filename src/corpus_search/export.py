"""CSV for every query command, and JSON Lines for the distribution rows (`cs count --by`, `cs plot`).

CSV is RFC 4180 as Python's csv module writes it (the `excel` dialect): a header row, then one record a
row, CRLF line ends, a field quoted when it holds a comma, a quote or a line break, quotes doubled. Text
is exactly what `--json` gives (a passage's line breaks included, inside its quoted field). The header
is written even when nothing was found, so a table always has its columns. The encoding is UTF-8
without a BOM; the form `excel` (`--excel`) starts with a BOM, which Excel needs to read UTF-8 (without
it, it guesses the ANSI code page and shows Chinese as mojibake), and which pandas, R's read.csv, csvkit,
cut and sort would take as part of the first column's name.

Under `excel` a text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a `'`
first, as OWASP's "CSV Injection" advice has it: Excel would otherwise run it as a formula, and the text
comes from files of anywhere (`=HYPERLINK(…)` in a corpus is a link the user did not write). Excel shows
that `'`; numbers are left as they are. Plain `csv` is never changed: it is the data, for programs.

One row per record, with these columns (the numbers rounded as `--json` rounds them):

- search: `path, line, score, text, matches`: one row per hit, as `--json`; `matches` is the texts of
  its matches in order, joined by " | " (their offsets are in `--json`); with `-C`, `before` and
  `after` are the texts of the lines around it, joined by line breaks. `--count`: `path, count`;
  `-l`: `path`.
- kwic: `left, keyword, right, path, line`.
- count: `path, occurrences, passages`, then the total with `path` empty (JSON's null).
- count --by FIELD: `FIELD, occurrences, passages, characters, per_million`, then the total with FIELD
  empty. `characters` are the group's normalised characters, `per_million` = occurrences × 10⁶ /
  characters, rounded to 3 decimals.
- collocates: `word, count, frequency, log_likelihood, mutual_information`.
- plot: `FIELD, occurrences, characters, offsets`: the offsets where occurrences start in the group's
  normalised text, space-separated (a list in JSON).

Search and kwic rows end with `ref` (the page, in a file with page markers: markup.py) and then one
column per metadata field of the index (metadata.py), in name order, a field named like a column above
taking a `meta.` prefix; a cell is empty where the file has no such field.

Each record is a dict built by one `*_row` function, and the columns are named apart from it; a row
without one of the names leaves its cell empty.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TextIO

from .model import Collocate, Concordance, Dispersion, FileCount, GroupCount, Hit

FORMS = ("csv", "excel")  # the forms written here; `excel` is CSV with a BOM
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what makes Excel read a cell as a formula
MATCH_JOINER = " | "

HIT_COLUMNS = ("path", "line", "score", "text", "matches")
CONTEXT_COLUMNS = ("before", "after")
KWIC_COLUMNS = ("left", "keyword", "right", "path", "line")
COUNT_COLUMNS = ("path", "occurrences", "passages")
GROUP_COLUMNS = ("occurrences", "passages", "characters", "per_million")  # after the group's field
COLLOCATE_COLUMNS = ("word", "count", "frequency", "log_likelihood", "mutual_information")
DISPERSION_COLUMNS = ("occurrences", "characters", "offsets")  # after the group's field

Row = Mapping[str, object]


def write_table(rows: Iterable[Row], columns: Sequence[str], stream: TextIO, form: str) -> int:
    """Write the header and the rows as CSV (`csv`, or `excel` with a BOM first); returns the rows written."""
    if form == "excel":
        stream.write("\ufeff")
        rows = ({name: _inert(value) for name, value in row.items()} for row in rows)
    writer = csv.DictWriter(stream, fieldnames=list(columns), restval="")
    writer.writeheader()
    written = 0
    for row in rows:
        writer.writerow(row)
        written += 1
    return written


def _inert(value: object) -> object:
    """A text that Excel would run as a formula, with a `'` first; anything else as it is."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def hit_row(hit: Hit, context: bool = False) -> dict[str, object]:
    row: dict[str, object] = {
        "path": hit.passage.path,
        "line": hit.line,
        "score": round(hit.score, 4),
        "text": hit.passage.text,
        "matches": MATCH_JOINER.join(match.text for match in hit.matches),
    }
    if context:
        row["before"] = "\n".join(text for _, text in hit.before)
        row["after"] = "\n".join(text for _, text in hit.after)
    return row


def write_hits(
    hits: Iterable[Hit], stream: TextIO, form: str, context: bool = False, fields: Sequence[str] = ()
) -> int:
    columns = HIT_COLUMNS + CONTEXT_COLUMNS if context else HIT_COLUMNS
    rows = (hit_row(hit, context) | _described(hit.ref, hit.meta, columns) for hit in hits)
    return write_table(rows, _with_fields(columns, fields), stream, form)


def _column(field: str, columns: Sequence[str]) -> str:
    """The column of a metadata field: its name, or `meta.` and its name where a column has that name."""
    return f"meta.{field}" if field in columns or field == "ref" else field


def _with_fields(columns: Sequence[str], fields: Sequence[str]) -> tuple[str, ...]:
    return (*columns, "ref", *(_column(field, columns) for field in fields))


def _described(ref: str | None, meta: Mapping[str, str] | None, columns: Sequence[str]) -> dict[str, object]:
    """The `ref` cell and the metadata cells of a row."""
    return {"ref": ref or ""} | {_column(field, columns): value for field, value in (meta or {}).items()}


def write_counts(counts: dict[str, int], stream: TextIO, form: str) -> None:
    rows = ({"path": path, "count": count} for path, count in counts.items())
    write_table(rows, ("path", "count"), stream, form)


def write_paths(paths: Iterable[str], stream: TextIO, form: str) -> None:
    write_table(({"path": path} for path in paths), ("path",), stream, form)


def kwic_row(line: Concordance) -> dict[str, object]:
    return {"left": line.left, "keyword": line.keyword, "right": line.right, "path": line.path, "line": line.line}


def write_kwic(
    lines: Iterable[Concordance], stream: TextIO, form: str, width: int = 0, fields: Sequence[str] = ()
) -> int:
    """KWIC lines as CSV (`width` is the text forms' concern: the context is already cut to it)."""
    rows = (kwic_row(line) | _described(line.ref, line.meta, KWIC_COLUMNS) for line in lines)
    return write_table(rows, _with_fields(KWIC_COLUMNS, fields), stream, form)


def write_file_counts(files: list[FileCount], total: FileCount, stream: TextIO, form: str) -> None:
    rows = (
        {"path": count.path, "occurrences": count.occurrences, "passages": count.passages} for count in [*files, total]
    )
    write_table(rows, COUNT_COLUMNS, stream, form)


def collocate_row(row: Collocate) -> dict[str, object]:
    return {
        "word": row.word,
        "count": row.count,
        "frequency": row.frequency,
        "log_likelihood": round(row.log_likelihood, 3),
        "mutual_information": round(row.mutual_information, 3),
    }


def write_collocates(found: Iterable[Collocate], stream: TextIO, form: str) -> int:
    return write_table(map(collocate_row, found), COLLOCATE_COLUMNS, stream, form)


# -- distribution rows: JSON Lines here too, since only these forms carry them -----------------------


def group_row(count: GroupCount, field: str) -> dict[str, object]:
    return {
        field: count.group,
        "occurrences": count.occurrences,
        "passages": count.passages,
        "characters": count.characters,
        "per_million": round(count.per_million, 3),
    }


def dispersion_row(row: Dispersion, field: str) -> dict[str, object]:
    offsets = list(row.offsets)
    return {field: row.group, "occurrences": len(offsets), "characters": row.characters, "offsets": offsets}


def write_group_counts(groups: list[GroupCount], total: GroupCount, field: str, stream: TextIO, form: str) -> None:
    """One record per group, then the total (its group null, or an empty cell), as JSON Lines or CSV."""
    rows = [group_row(count, field) for count in [*groups, total]]
    if form == "json":
        _write_json(rows, stream)
    else:
        write_table(rows, (field, *GROUP_COLUMNS), stream, form)


def write_dispersion(rows: list[Dispersion], field: str, stream: TextIO, form: str) -> None:
    """One record per group with the offsets of its occurrences, as JSON Lines or CSV."""
    records = (dispersion_row(row, field) for row in rows)
    if form == "json":
        _write_json(records, stream)
    else:
        flat = ({**record, "offsets": " ".join(map(str, record["offsets"]))} for record in records)
        write_table(flat, (field, *DISPERSION_COLUMNS), stream, form)


def _write_json(rows: Iterable[Row], stream: TextIO) -> None:
    for row in rows:
        stream.write(json.dumps(row, ensure_ascii=False) + "\n")
