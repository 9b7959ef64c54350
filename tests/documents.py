"""Real files of every format cs reads, written by the libraries that write them (python-docx, reportlab,
zipfile) or directly (HTML, TEI, Markdown), from paragraphs of text. Used by the tests and by
tests/data/make_formats.py, which writes the README's sample."""

from __future__ import annotations

import html
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from corpus_search.normalize import is_cjk

TEI_NAMESPACE = "http://www.tei-c.org/ns/1.0"


def write_html(path: Path, paragraphs: list[str], fields: dict[str, str], hidden: str = "") -> None:
    """One `<p>` per paragraph; `hidden` goes into a script, a style and the head, none of them text."""
    metas = "".join(
        f'<meta name="{name}" content={quoteattr(value)}>' for name, value in fields.items() if name != "title"
    )
    body = "\n".join(f"<p>{html.escape(paragraph)}</p>" for paragraph in paragraphs)
    path.write_text(
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{html.escape(fields.get("title", ""))}</title>'
        f"{metas}<style>/* {hidden} */</style></head>\n<body>\n<script>var hidden = '{hidden}';</script>\n"
        f"{body}\n</body></html>\n",
        encoding="utf-8",
    )


def write_docx(path: Path, paragraphs: list[str], fields: dict[str, str]) -> None:
    """One Word paragraph per paragraph, and the core properties title, author and created."""
    import datetime

    import docx

    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    properties = document.core_properties
    properties.title = fields.get("title", "")
    properties.author = fields.get("author", "")
    properties.comments = ""
    if "date" in fields:
        properties.created = datetime.datetime.fromisoformat(fields["date"])
    document.save(str(path))


def _xhtml(paragraphs: list[str]) -> str:
    body = "\n".join(f"<p>{escape(paragraph)}</p>" for paragraph in paragraphs)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml">'
        f"<head><title>章</title></head>\n<body>\n{body}\n</body></html>\n"
    )


def write_epub(path: Path, chapters: list[list[str]], fields: dict[str, str], extra: dict[str, str] = {}) -> None:  # noqa: B006
    """An EPUB 3 whose spine holds the chapters in order (the manifest lists them backwards, so the
    spine's order is what counts); `extra` adds or replaces members."""
    metadata = "".join(
        f"<dc:{name}>{escape(fields[key])}</dc:{name}>"
        for key, name in (("title", "title"), ("author", "creator"), ("date", "date"))
        if key in fields
    )
    items = "".join(
        f'<item id="c{n}" href="text/c{n}.xhtml" media-type="application/xhtml+xml"/>'
        for n in reversed(range(len(chapters)))
    )
    spine = "".join(f'<itemref idref="c{n}"/>' for n in range(len(chapters)))
    members = {
        "META-INF/container.xml": '<?xml version="1.0"?><container version="1.0" '
        'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile '
        'full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>',
        "OEBPS/content.opf": '<?xml version="1.0" encoding="utf-8"?><package xmlns="http://www.idpf.org/2007/opf" '
        'version="3.0" unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<dc:identifier id="id">sample</dc:identifier>{metadata}</metadata><manifest>{items}</manifest>'
        f"<spine>{spine}</spine></package>",
    }
    members |= {f"OEBPS/text/c{n}.xhtml": _xhtml(chapter) for n, chapter in enumerate(chapters)}
    members |= extra
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip")  # first and stored, as EPUB asks
        for name, text in members.items():
            archive.writestr(name, text)


def tei_xml(paragraphs: list[str], fields: dict[str, str], header_text: str = "", doctype: str = "") -> str:
    """A TEI document: the fields in its header (with `header_text` in a note there), one `<p>` per
    paragraph in `<text><body>`."""
    body = "\n".join(f"<p>{escape(paragraph)}</p>" for paragraph in paragraphs)
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n{doctype}<TEI xmlns="{TEI_NAMESPACE}"><teiHeader><fileDesc>'
        f"<titleStmt><title>{escape(fields.get('title', ''))}</title><author>{escape(fields.get('author', ''))}"
        f"</author></titleStmt><publicationStmt><date>{escape(fields.get('date', ''))}</date></publicationStmt>"
        f"<sourceDesc><p>{escape(header_text)}</p></sourceDesc></fileDesc></teiHeader>\n<text><body>\n{body}\n"
        "</body></text></TEI>\n"
    )


def write_tei(path: Path, paragraphs: list[str], fields: dict[str, str], header_text: str = "") -> None:
    path.write_text(tei_xml(paragraphs, fields, header_text), encoding="utf-8")


def write_markdown(path: Path, text: str, fields: dict[str, str]) -> None:
    """The text after a YAML front matter block of the fields."""
    front = "".join(f"{name}: {value}\n" for name, value in fields.items())
    path.write_text(f"---\n{front}---\n{text}", encoding="utf-8")


def wrapped(paragraph: str, width: int) -> list[str]:
    """A paragraph cut into lines of at most `width` characters, only where a neighbour of the cut is
    CJK (so normalising joins the lines again, as it joins a PDF's)."""
    lines = []
    while len(paragraph) > width:
        cut = next((at for at in range(width, 0, -1) if is_cjk(paragraph[at - 1]) or is_cjk(paragraph[at])), width)
        lines.append(paragraph[:cut])
        paragraph = paragraph[cut:]
    return [*lines, paragraph] if paragraph else lines


def write_pdf(path: Path, pages: list[list[str]]) -> None:
    """A PDF with a Chinese text layer: each page's lines drawn top down in the CID font STSong-Light,
    which reportlab references (not embeds) with the UniGB-UCS2-H encoding, so the text extracts."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    sheet = canvas.Canvas(str(path), invariant=True)
    for lines in pages:
        sheet.setFont("STSong-Light", 10)
        for number, line in enumerate(lines):
            sheet.drawString(40, 800 - 12 * number, line)
        sheet.showPage()
    sheet.save()


def pdf_pages(paragraphs: list[str], width: int = 40, lines_per_page: int = 60) -> list[list[str]]:
    """Paragraphs laid out as a PDF's pages: wrapped at `width`, `lines_per_page` lines a page."""
    lines = [line for paragraph in paragraphs for line in wrapped(paragraph, width)]
    return [lines[at : at + lines_per_page] for at in range(0, len(lines), lines_per_page)] or [[]]


def rezip(path: Path, replace: dict[str, str | bytes]) -> None:
    """Rewrite a zip archive with some members replaced."""
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in (members | replace).items():
            archive.writestr(name, data)


def write_records(path: Path, records: list[dict[str, str]]) -> None:
    """Records as their kind holds them, by extension: JSON Lines, a JSON array (pretty-printed, so
    records start on lines of their own), CSV (RFC 4180, written by the csv module), TSV (no quoting:
    the values must hold no tab and no line break)."""
    import csv
    import io
    import json

    kind = path.suffix
    if kind == ".jsonl":
        path.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records), encoding="utf-8")
    elif kind == ".json":
        path.write_text(json.dumps(records, ensure_ascii=False, indent=1), encoding="utf-8")
    else:
        names = list(dict.fromkeys(name for record in records for name in record))
        if kind == ".tsv":
            assert not any(set(value) & {"\t", "\n", "\r"} for record in records for value in record.values())
            lines = ["\t".join(names)] + ["\t".join(record.get(name, "") for name in names) for record in records]
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        else:
            buffer = io.StringIO(newline="")
            writer = csv.DictWriter(buffer, names)
            writer.writeheader()
            writer.writerows(records)
            path.write_text(buffer.getvalue(), encoding="utf-8", newline="")


def record_lines(path: Path, records: list[dict[str, str]]) -> list[int]:
    """The line where each record written by write_records starts."""
    if path.suffix == ".json":
        return [2 + sum(2 + len(record) for record in records[:index]) for index in range(len(records))]
    if path.suffix == ".jsonl":
        return [index + 1 for index in range(len(records))]
    line, found = 2, []  # after the header row
    for record in records:
        found.append(line)
        line += sum(value.count("\n") for value in record.values())  # \r\n inside a value counts once
        line += 1
    return found
