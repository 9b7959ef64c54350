"""DOCX and EPUB: zip archives of XML, read member by member within limits (formats.py joins the
paragraphs into the text to index).

- DOCX: the paragraphs (`w:p`) of the main document (found through `_rels/.rels`) in order, those in
  tables and text boxes included: `w:t` text only, so deleted text and field codes are not read, nor the
  `mc:Fallback` copy of a text box, moved-from text or ruby annotations. A tab is a space; a line break
  (`w:br`, `w:cr`) ends a paragraph's line as `<br>` does. Headers, footers, notes and comments are not
  read. Fields: the core properties title, creator (as `author`), created (as `date`), subject,
  description, keywords and language.
- EPUB: the spine's documents in reading order (META-INF/container.xml → the package document → its
  spine), each read as XHTML (xmldocs.xhtml_paragraphs). Fields: Dublin Core title, creator(s) (as
  `author`, several joined by "; "), date, language, publisher, description, subject.

**A bomb is refused in bounded memory.** An archive of more than MAX_MEMBERS entries is not read. A
member is read only when its declared size is within MAX_MEMBER_BYTES and what is left of
MAX_ARCHIVE_BYTES for the whole archive, and then in chunks, counted as they come (zipfile stops at the
declared size and checks the CRC, so a member that lies about its size fails there). A file that is not
a zip archive, a member that is missing, damaged, encrypted or too big raise CorpusSearchError with the
reason, and formats.py skips the file with one warning.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
import zlib
from urllib.parse import unquote

from .errors import CorpusSearchError
from .xmldocs import Document, Vocabulary, first, local_name, paragraphs, parse_xml, text_of, xhtml_paragraphs

# A novel's EPUB unpacks to a few MB and a 1,000-page DOCX's document.xml to some tens of MB: the limits
# are far above real documents, and keep a worker's memory (bytes plus lxml's tree) within about 1 GB.
MAX_MEMBERS = 10_000  # entries in one archive
MAX_MEMBER_BYTES = 64 << 20  # one member, unpacked
MAX_ARCHIVE_BYTES = 256 << 20  # all the members read from one archive, unpacked
_CHUNK = 1 << 20

_DC = "http://purl.org/dc/elements/1.1/"
_CONTAINER = "urn:oasis:names:tc:opendocument:xmlns:container"
_OPF = "http://www.idpf.org/2007/opf"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"

DOCX = Vocabulary(
    blocks=frozenset({"p", "br", "cr", "tbl", "tr", "tc", "txbxContent"}),
    skipped=lambda element, name: name in {"Fallback", "moveFrom", "rt"},
    text_in=frozenset({"t"}),
    spaces=frozenset({"tab", "ptab"}),
)


class Archive:
    """A zip archive read within the limits above."""

    def __init__(self, data: bytes):
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            entries = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
            raise CorpusSearchError("not a valid zip archive") from None
        if len(entries) > MAX_MEMBERS:
            raise CorpusSearchError(f"its archive holds more than {MAX_MEMBERS:,} files")
        self.names = {entry.filename for entry in entries}
        self.left = MAX_ARCHIVE_BYTES

    def read(self, name: str) -> bytes:
        """A member's bytes; CorpusSearchError when it is missing, too big, damaged or encrypted."""
        try:
            entry = self.zip.getinfo(name)
        except KeyError:
            raise CorpusSearchError(f"its archive has no {name}") from None
        limit = min(MAX_MEMBER_BYTES, self.left)
        if entry.file_size > limit:
            raise CorpusSearchError(f"{name} would unpack to {entry.file_size:,} bytes, over the limit of {limit:,}")
        chunks: list[bytes] = []
        size = 0
        try:
            with self.zip.open(entry) as member:
                while chunk := member.read(_CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise CorpusSearchError(f"{name} unpacks to more than {limit:,} bytes")
                    chunks.append(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
            raise CorpusSearchError(f"{name} in its archive is damaged ({error})") from None
        except (RuntimeError, NotImplementedError) as error:  # encrypted, or compressed in an unknown way
            raise CorpusSearchError(f"{name} in its archive cannot be read ({error})") from None
        self.left -= size
        return b"".join(chunks)


def _relationship_target(archive: Archive, kind: str, default: str) -> str:
    """The package part that _rels/.rels names for a relationship type ending in `kind`."""
    if "_rels/.rels" not in archive.names:
        return default
    for relationship in parse_xml(archive.read("_rels/.rels"), "_rels/.rels").iter(f"{{{_RELATIONSHIPS}}}*"):
        if (relationship.get("Type") or "").endswith(kind) and relationship.get("Target"):
            return posixpath.normpath(unquote(relationship.get("Target")).lstrip("/"))
    return default


def docx_document(data: bytes) -> Document:
    """A DOCX file's paragraphs, and its core properties (title, creator as author, created as date…)."""
    archive = Archive(data)
    main = _relationship_target(archive, "/officeDocument", "word/document.xml")
    found = paragraphs(parse_xml(archive.read(main), main), DOCX)
    core = _relationship_target(archive, "/metadata/core-properties", "docProps/core.xml")
    fields: dict[str, str] = {}
    if core in archive.names:
        names = {"title": "title", "creator": "author", "created": "date", "subject": "subject"}
        names |= {"description": "description", "keywords": "keywords", "language": "language"}
        for element in parse_xml(archive.read(core), core):
            name = names.get(local_name(element) or "")
            if name and text_of(element):
                fields.setdefault(name, text_of(element))
    return Document(found, fields)


def epub_document(data: bytes) -> Document:
    """An EPUB's spine documents in reading order, and its Dublin Core title, creator(s) and date."""
    archive = Archive(data)
    container = parse_xml(archive.read("META-INF/container.xml"), "META-INF/container.xml")
    rootfile = next(container.iter(f"{{{_CONTAINER}}}rootfile"), None)
    if rootfile is None or not rootfile.get("full-path"):
        raise CorpusSearchError("its META-INF/container.xml names no package document")
    package_path = posixpath.normpath(unquote(rootfile.get("full-path")))
    package = parse_xml(archive.read(package_path), package_path)
    folder = posixpath.dirname(package_path)
    manifest = {
        item.get("id"): posixpath.normpath(posixpath.join(folder, unquote((item.get("href") or "").split("#")[0])))
        for item in package.iter(f"{{{_OPF}}}item")
    }
    found: list[str] = []
    for itemref in package.iter(f"{{{_OPF}}}itemref"):
        name = manifest.get(itemref.get("idref"))
        if name is None:
            raise CorpusSearchError(f"its spine names an item the manifest lacks ({itemref.get('idref')})")
        found.extend(xhtml_paragraphs(archive.read(name), name))
    return Document(found, _dublin_core(package))


def _dublin_core(package) -> dict[str, str]:
    """Dublin Core fields of a package document: title, creator(s) as author, date, and a few more."""
    metadata = first(package, "metadata")
    fields: dict[str, list[str]] = {}
    names = {"title": "title", "creator": "author", "date": "date", "language": "language"}
    names |= {"publisher": "publisher", "description": "description", "subject": "subject"}
    for element in metadata if metadata is not None else []:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag.startswith(f"{{{_DC}}}") and local_name(element) in names and text_of(element):
            fields.setdefault(names[local_name(element)], []).append(text_of(element))
    single = {"title", "date", "language"}  # the first; the others, every value joined by "; "
    return {name: values[0] if name in single else "; ".join(dict.fromkeys(values)) for name, values in fields.items()}
