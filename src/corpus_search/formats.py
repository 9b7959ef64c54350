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

A format without lines of its own is written as one line per unit (paragraph or page) joined by `\\n`, so
the engine's line numbers are paragraph or page numbers, with no change to it, and what a hit shows is
the paragraph's text (whitespace collapsed: xmldocs.py; pdftext.py). Words wrapped across lines of a PDF
page, or across pages, are found, because normalising removes the whitespace between CJK characters.
JSON says which unit a `line` counts with `"unit"` (`unit_of`); for text files it has no such key.

A file that cannot be read as its kind is skipped with one warning naming it and saying why
(`Extracted.text` is None); the libraries it takes (lxml, pdfminer.six, PyYAML) are imported only here,
when such a file is read, so `cs search` never imports them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import CorpusSearchError

PAGE = "page"
PARAGRAPH = "paragraph"
UNITS = {".html": PARAGRAPH, ".htm": PARAGRAPH, ".docx": PARAGRAPH, ".epub": PARAGRAPH, ".xml": PARAGRAPH}
UNITS[".pdf"] = PAGE
EXTENSIONS = (".txt", ".md", ".html", ".htm", ".docx", ".epub", ".xml", ".pdf")
DEFAULT_GLOBS = tuple(f"*{extension}" for extension in EXTENSIONS)  # what `cs index` takes without --glob

# YAML front matter: `---` on the first line, up to a line of `---` or `...` (as Jekyll and Hugo read it).
_FRONT_MATTER = re.compile(r"\A---[ \t]*(?:\r\n|\r|\n)(.*?)^(?:---|\.\.\.)[ \t]*(?:\r\n|\r|\n|\Z)", re.S | re.M)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class Extracted:
    """A file's text (None when it is skipped), its own metadata fields, and one warning about it."""

    text: str | None
    fields: dict[str, str] | None = None
    warning: str | None = None


def extension(path: str) -> str:
    """A file name's extension in lower case, with its dot ('' when it has none)."""
    name = path.rsplit("/", 1)[-1]
    return name[name.rfind(".") :].lower() if "." in name.lstrip(".") else ""


def unit_of(path: str) -> str | None:
    """What a hit's `line` counts in this file: `paragraph`, `page`, or None for the lines of a text file."""
    return UNITS.get(extension(path))


def extract(path: str, data: bytes, encoding: str | None = None) -> Extracted:
    """The text to index of a file of bytes, by its extension; `encoding` forces the decoding of text
    and HTML (XML-based formats say their own encoding)."""
    kind = extension(path)
    try:
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
    from .loader import decode
    from .markup import has_markup, header_fields

    if kind in (".html", ".htm") and encoding is None:
        from .xmldocs import html_charset

        encoding = html_charset(data)
    decoded = decode(data, encoding)
    if decoded.text is None:
        raise CorpusSearchError("not a text file")
    warnings = []
    if decoded.replaced:
        warnings.append(f"{path}: {decoded.replaced} bytes that are not {decoded.encoding} replaced by U+FFFD")
    text, fields = decoded.text, None
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


def _pdf(path: str, data: bytes) -> Extracted:
    from .pdftext import pdf_text

    extracted = pdf_text(data)
    warning = None
    if extracted.unmapped:
        warning = f"{path}: {extracted.unmapped} characters without a Unicode mapping replaced by U+FFFD"
    return Extracted("\n".join(extracted.pages), None, warning)
