"""What each kind of file is read as: one text, where a hit's `line` means something for that kind.

`extract(path, data, encoding)` turns a file's bytes into the text that is indexed, its own metadata
fields, and a warning; the kind is the file name's extension (any case):

| extension | text | `line` of a hit (`unit`) | fields |
| --- | --- | --- | --- |
| `.txt` (and any other) | the decoded file (loader.decode) | the file's line | a Kanripo header (markup.py) |
| `.md` | the file, its YAML front matter blanked | the file's line | front matter scalars |
| `.html`, `.htm` | paragraphs of the body | paragraph | `<title>`, `<meta name=…>` |
| `.docx` | paragraphs | paragraph | core properties |
| `.epub` | paragraphs of the spine documents | paragraph | Dublin Core |
| `.xml` (TEI only) | paragraphs of `<text>` | paragraph | titleStmt title, author; date |
| `.pdf` | the text layer, one line per page | page | none |
| `.jsonl`, `.json`, `.csv`, `.tsv` | each record's text (records.py) | record: its line | its other fields |

A format without lines of its own is written as one line per unit (paragraph or page) joined by `\\n`, so
the engine's line numbers are paragraph or page numbers, with no change to it, and what a hit shows is
the paragraph's text (whitespace collapsed: xmldocs.py; pdftext.py). Words wrapped across lines of a PDF
page, or across pages, are found, because normalising removes the whitespace between CJK characters.
JSON says which unit a `line` counts with `"unit"` (`unit_of`); for text files it has no such key.
A file of records is a list of documents rather than one text (`Extracted.records`): each is cut into
passages on its own, and no match runs from one record into the next (loader.blocks_from_records).

A file that cannot be read as its kind is skipped with one warning naming it and saying why
(`Extracted.text` is None); the libraries it takes (lxml, pdfminer.six, PyYAML) are imported only here,
when such a file is read, so `cs search` never imports them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import CorpusSearchError

if TYPE_CHECKING:
    from .records import Record

PAGE = "page"
PARAGRAPH = "paragraph"
RECORD = "record"
RECORD_KINDS = (".jsonl", ".json", ".csv", ".tsv")  # records.py
UNITS = {".html": PARAGRAPH, ".htm": PARAGRAPH, ".docx": PARAGRAPH, ".epub": PARAGRAPH, ".xml": PARAGRAPH}
UNITS |= {".pdf": PAGE} | {kind: RECORD for kind in RECORD_KINDS}
EXTENSIONS = (".txt", ".md", ".html", ".htm", ".docx", ".epub", ".xml", ".pdf", *RECORD_KINDS)
DEFAULT_GLOBS = tuple(f"*{extension}" for extension in EXTENSIONS)  # what `cs index` takes without --glob

# YAML front matter: `---` on the first line, up to a line of `---` or `...` (as Jekyll and Hugo read it).
_FRONT_MATTER = re.compile(r"\A---[ \t]*(?:\r\n|\r|\n)(.*?)^(?:---|\.\.\.)[ \t]*(?:\r\n|\r|\n|\Z)", re.S | re.M)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class Extracted:
    """A file's text (None when it is skipped), its own metadata fields, and one warning about it; a
    file of records has its records instead of fields, and its text is theirs joined (for its size)."""

    text: str | None
    fields: dict[str, str] | None = None
    warning: str | None = None
    records: list[Record] | None = None


def extension(path: str) -> str:
    """A file name's extension in lower case, with its dot ('' when it has none)."""
    name = path.rsplit("/", 1)[-1]
    return name[name.rfind(".") :].lower() if "." in name.lstrip(".") else ""


def unit_of(path: str) -> str | None:
    """What a hit's `line` counts in this file: `paragraph`, `page`, or None for the lines of a text file."""
    return UNITS.get(extension(path))


def extract(path: str, data: bytes, encoding: str | None = None, text_field: str | None = None) -> Extracted:
    """The text to index of a file of bytes, by its extension; `encoding` forces the decoding of text,
    HTML and records (XML-based formats say their own encoding); `text_field` names the field of a
    record that is its text (records.py)."""
    kind = extension(path)
    try:
        if kind in RECORD_KINDS:
            return _records(path, data, encoding, kind, text_field)
        if kind == ".pdf":
            return _pdf(path, data)
        if kind in (".docx", ".epub", ".xml"):
            from .archives import docx_document, epub_document
            from .xmldocs import tei_document

            reader = {".docx": docx_document, ".epub": epub_document, ".xml": tei_document}[kind]
            document = reader(data)
            return Extracted("\n".join(document.paragraphs), document.fields)
        return _text(path, data, encoding, kind)
    except CorpusSearchError as error:
        return Extracted(None, warning=f"skipped {path}: {error}")


def _text(path: str, data: bytes, encoding: str | None, kind: str) -> Extracted:
    """Text, Markdown and HTML: decoded as text files are (loader.decode), then read as their kind."""
    from .markup import has_markup, header_fields

    if kind in (".html", ".htm") and encoding is None:
        from .xmldocs import html_charset

        encoding = html_charset(data)
    warnings: list[str] = []
    text, fields = _decoded(path, data, encoding, warnings), None
    if kind in (".html", ".htm"):
        from .xmldocs import html_document

        document = html_document(text)
        text, fields = "\n".join(document.paragraphs), document.fields
    elif kind == ".md":
        text, fields = _without_front_matter(path, text, warnings)
    if has_markup(text):
        fields = header_fields(text) | (fields or {})
    return Extracted(text, fields or None, "; ".join(warnings) or None)


def _without_front_matter(path: str, text: str, warnings: list[str]) -> tuple[str, dict[str, str]]:
    """Markdown's YAML front matter as fields, and the text with it blanked: its lines stay as empty
    lines, so every line of the text is the file's line. Only scalar values are fields."""
    front = _FRONT_MATTER.match(text)
    if front is None:
        return text, {}
    import yaml

    try:
        loaded = yaml.safe_load(front.group(1))
    except yaml.YAMLError:
        loaded = None
        warnings.append(f"{path}: its front matter is not YAML; no fields taken from it")
    fields = {}
    for key, value in (loaded if isinstance(loaded, dict) else {}).items():
        if isinstance(value, bool) or value is None or isinstance(value, list | dict | set | tuple):
            continue
        shown = value.isoformat() if hasattr(value, "isoformat") else str(value)
        if str(key).strip() and shown.strip():
            fields[str(key).strip().lower()] = shown.strip()
    blank = "".join(_LINE_BREAK.findall(front.group()))
    return blank + text[front.end() :], fields


def _decoded(path: str, data: bytes, encoding: str | None, warnings: list[str]) -> str:
    """A file decoded as a text file is (loader.decode), with a warning where bytes were replaced."""
    from .loader import decode

    decoded = decode(data, encoding)
    if decoded.text is None:
        raise CorpusSearchError("not a text file")
    if decoded.replaced:
        warnings.append(f"{path}: {decoded.replaced} bytes that are not {decoded.encoding} replaced by U+FFFD")
    return decoded.text


def _records(path: str, data: bytes, encoding: str | None, kind: str, text_field: str | None) -> Extracted:
    from .records import read_records

    warnings: list[str] = []
    records = read_records(path, kind, _decoded(path, data, encoding, warnings), text_field, warnings)
    text = "\n".join(record.text for record in records)
    return Extracted(text, None, "\n".join(warnings) or None, records)


def _pdf(path: str, data: bytes) -> Extracted:
    from .pdftext import pdf_text

    extracted = pdf_text(data)
    warning = None
    if extracted.unmapped:
        warning = f"{path}: {extracted.unmapped} characters without a Unicode mapping replaced by U+FFFD"
    return Extracted("\n".join(extracted.pages), None, warning)
