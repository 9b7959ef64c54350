"""HTML, XHTML and TEI as paragraphs of text and metadata fields, and the XML reading that DOCX and EPUB
(archives.py) share; formats.py joins the paragraphs into the text to index.

A *paragraph* is the text of one block element, and of each line of one that a line break (`<br>`,
Word's `w:br`) ends, with its whitespace, line breaks included, collapsed to single spaces as a browser
does; only paragraphs with text count (`paragraphs`, driven by a `Vocabulary` of element names).

- HTML and the XHTML documents of an EPUB: the visible text of `<body>`; `script`, `style`, `template`,
  `noscript` and ruby annotations (`rt`, `rp`) are not text. Blocks: `p`, `div`, `h1`…`h6`, `li`, `td`,
  `blockquote`, `pre` and the other block elements of HTML. `<title>` and `<meta name=author|date|
  description|keywords|…>` (or Dublin Core, `DC.creator`) are fields.
- TEI: the `<text>` element (front, body and back), not the `teiHeader`. Blocks: `p`, `head`, `l`, `ab`,
  `item`, `div` and the like. The base text of an apparatus is read, not its readings (`rdg`); of a
  `choice`, the correction, the regularised form and the expansion (not `sic`, `orig`, `abbr`); forme
  work (`fw`: running heads, page numbers) is not text. Milestones such as `<lb/>` and `<pb/>` are not
  read. Fields: the titleStmt's title and author(s), and the date of the publicationStmt or else the
  first in the sourceDesc (its `when`, else its text).

**Nothing reaches outside the file.** XML is parsed by lxml with no entity resolution, no DTD loading
and no network (`safe_parser`): an entity that names a local file or a URL is left out, never read (the
HTML parser reads no DTD at all). XML that does not parse raises CorpusSearchError with libxml2's reason,
and formats.py skips the file with one warning.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .errors import CorpusSearchError

TEI_NAMESPACE = "http://www.tei-c.org/ns/1.0"
_XML_DECLARATION = re.compile(r"\A\s*<\?xml[^>]*\?>")
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
# Labels that browsers read as a superset (the WHATWG Encoding Standard): GBK text labelled gb2312.
_BROWSER_CHARSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "big5": "big5hkscs"}


@dataclass(frozen=True, slots=True)
class Document:
    """A file's paragraphs in reading order and its metadata fields (lower-case names)."""

    paragraphs: list[str]
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """What a markup language's elements mean for the text, by local name (namespaces ignored)."""

    blocks: frozenset[str]  # elements that start and end a paragraph
    skipped: Callable[[object, str], bool]  # (element, local name) → its text and its children's are not text
    text_in: frozenset[str] | None = None  # only text inside these elements counts; None: all text
    spaces: frozenset[str] = frozenset()  # empty elements that stand for a space (Word's tab)
    # (element, local name) → its text is set aside: a paragraph of its own after the one it sits in
    aside: Callable[[object, str], bool] = lambda element, name: False


def local_name(element) -> str | None:
    """An element's name without its namespace; None for comments, processing instructions, entities."""
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else None


_HTML_BLOCKS = (
    "address article aside blockquote body br caption center dd details dialog div dl dt fieldset "
    "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary "
    "table tbody td tfoot th thead tr ul"
)
HTML = Vocabulary(
    blocks=frozenset(_HTML_BLOCKS.split()),
    skipped=lambda element, name: name in {"script", "style", "template", "noscript", "head", "rt", "rp"},
)
_TEI_BLOCKS = (
    "ab argument back body byline cell closer dateline div div1 div2 div3 div4 div5 div6 div7 docAuthor "
    "docImprint docTitle epigraph figure front group head item juan l label lg list opener p postscript "
    "quote row salute signed sp speaker stage table text titlePage titlePart trailer"
)


def _tei_skipped(element, name: str) -> bool:
    if name in {"teiHeader", "rdg", "rdgGrp", "fw", "mulu"}:  # mulu: CBETA's table-of-contents copies
        return True
    parent = element.getparent()
    return name in {"sic", "orig", "abbr"} and parent is not None and local_name(parent) == "choice"


def _tei_aside(element, name: str) -> bool:
    """A note that is not printed inline (a footnote, a margin or an editor's note: CBETA's
    `place="foot text"` and `type="mod"`) is not part of the sentence its anchor interrupts; an
    inline note (`place="inline"`, the interlinear commentary of classical texts) is."""
    return name == "note" and "inline" not in (element.get("place") or "").split()


TEI = Vocabulary(blocks=frozenset(_TEI_BLOCKS.split()), skipped=_tei_skipped, aside=_tei_aside)


def collapsed(text: str) -> str:
    """Whitespace runs, line breaks included, as one space; none at the ends."""
    return " ".join(text.split())


def paragraphs(root, vocabulary: Vocabulary) -> list[str]:
    """The paragraphs of an element's text, walked without recursion (no depth limit to meet).

    An element the vocabulary sets aside (a TEI footnote) is one paragraph, blocks inside it included,
    placed after the paragraph it sits in; that paragraph reads on across it.
    """
    from lxml import etree

    found: list[str] = []
    current: list[str] = []
    aside: list[str] = []  # the text of the element set aside that the walk is in
    waiting: list[str] = []  # paragraphs set aside, for after the current one

    def flush() -> None:
        for text in (collapsed("".join(current)), *waiting):
            if text:
                found.append(text)
        current.clear()
        waiting.clear()

    text_in, every_text = vocabulary.text_in, vocabulary.text_in is None
    skip_depth = aside_depth = 0
    for event, element in etree.iterwalk(root, events=("start", "end")):
        name = local_name(element)
        if event == "start":
            if skip_depth or name is None or vocabulary.skipped(element, name):
                skip_depth += 1
                continue
            if aside_depth or vocabulary.aside(element, name):
                aside_depth += 1
            elif name in vocabulary.blocks:
                flush()
            into = aside if aside_depth else current
            if name in vocabulary.spaces:
                into.append(" ")
            if element.text and (every_text or name in text_in):
                into.append(element.text)
            continue
        if skip_depth:
            skip_depth -= 1
            if skip_depth:
                continue
        elif aside_depth:
            aside_depth -= 1
            if not aside_depth:
                waiting.append(collapsed("".join(aside)))
                aside.clear()
        elif name in vocabulary.blocks:
            flush()
        into = aside if aside_depth else current
        if element.tail and element is not root and (every_text or local_name(element.getparent()) in text_in):
            into.append(element.tail)  # (inside a text element, the text after an unresolved entity)
    flush()
    return found


def safe_parser():
    """An lxml XML parser that resolves no entity, loads no DTD and touches no network."""
    from lxml import etree

    return etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_xml(data: bytes, member: str | None = None):
    """The root element of an XML document (a `member` of an archive); CorpusSearchError when it does
    not parse, with libxml2's reason (`Opening and ending tag mismatch: p line 1 and text, line 1, …`)."""
    from lxml import etree

    what = f"{member} is not" if member else "not"
    try:
        root = etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as error:
        reason = (error.msg or "it does not parse").splitlines()[0]
        raise CorpusSearchError(f"{what} well-formed XML ({reason})") from None
    if root is None:
        raise CorpusSearchError(f"{what} well-formed XML (no root element)")
    return root


# -- HTML ------------------------------------------------------------------------------------------------


def html_charset(data: bytes) -> str | None:
    """The encoding a page declares in a `<meta>` of its first 2 KiB, as a browser reads the label."""
    declared = _CHARSET.search(data[:2048])
    if not declared:
        return None
    label = declared.group(1).decode("ascii").lower()
    import codecs

    try:
        codecs.lookup(label)
    except LookupError:
        return None
    return _BROWSER_CHARSETS.get(label, label)


def _html_root(text: str):
    from lxml import etree, html

    parser = html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True)
    try:
        return html.document_fromstring(_XML_DECLARATION.sub("", text, count=1), parser=parser)
    except (etree.ParserError, ValueError):  # an empty document
        return None


def html_document(text: str) -> Document:
    """A decoded HTML page: the paragraphs of its body; `<title>` and `<meta name=…>` as fields."""
    root = _html_root(text)
    if root is None:
        return Document([])
    body = root.find("body")
    return Document(paragraphs(body if body is not None else root, HTML), _html_fields(root))


_HTML_META = {"author", "date", "description", "keywords", "subject", "publisher", "language", "copyright"}
_META_ALIASES = {"creator": "author", "created": "date", "issued": "date"}


def _html_fields(root) -> dict[str, str]:
    """`<title>`, then `<meta name=author|date|description|…>` (also as Dublin Core, `DC.creator`)."""
    fields: dict[str, str] = {}
    title = root.find("head/title")
    if title is not None and collapsed(title.text_content()):
        fields["title"] = collapsed(title.text_content())
    for meta in root.iter("meta"):
        name = (meta.get("name") or "").lower()
        name = name.split(".", 1)[1] if name.startswith(("dc.", "dcterms.")) else name
        name = _META_ALIASES.get(name, name)
        value = collapsed(meta.get("content") or "")
        if (name in _HTML_META or name == "title") and value:
            fields.setdefault(name, value)
    return fields


def xhtml_paragraphs(data: bytes, member: str) -> list[str]:
    """The paragraphs of an XHTML document's body; one that is not well-formed XML (an `&nbsp;` without
    its DTD, a tag left open) is read as HTML instead, as reading systems do."""
    try:
        root = parse_xml(data, member)
    except CorpusSearchError:
        from .loader import decode

        text = decode(data).text
        return html_document(text).paragraphs if text else []
    body = next((element for element in root.iter() if local_name(element) == "body"), root)
    return paragraphs(body, HTML)


def children(element, name: str) -> Iterable:
    """The children of an element with this local name."""
    return (child for child in element if local_name(child) == name)


def first(element, *path: str):
    """The first element down a path of local names, or None."""
    for name in path:
        if element is None:
            return None
        element = next(iter(children(element, name)), None)
    return element


def text_of(element) -> str:
    """An element's text, all of it, whitespace collapsed ('' for None); XPath's string value, which
    leaves unresolved entities out (itertext would give their names)."""
    return collapsed(element.xpath("string()")) if element is not None else ""


# -- TEI -------------------------------------------------------------------------------------------------


def is_tei(root) -> bool:
    """A TEI document: its root is in the TEI namespace, or named TEI (P4's TEI.2, teiCorpus)."""
    return root.tag.startswith(f"{{{TEI_NAMESPACE}}}") or local_name(root) in {
        "TEI",
        "TEI.2",
        "teiCorpus",
        "teiCorpus.2",
    }


def tei_document(data: bytes) -> Document:
    """A TEI file's `<text>` as paragraphs, and its titleStmt title and author(s) and date as fields."""
    root = parse_xml(data)
    if not is_tei(root):
        raise CorpusSearchError(f"not TEI XML (its root element is <{local_name(root)}>)")
    namespace = root.tag[1:].partition("}")[0] if root.tag.startswith("{") else None
    query = "//t:text[not(ancestor::t:text)]" if namespace else "//text[not(ancestor::text)]"
    found: list[str] = []
    for text in root.xpath(query, namespaces={"t": namespace} if namespace else None):
        found.extend(paragraphs(text, TEI))
    return Document(found, _tei_fields(root))


def _tei_fields(root) -> dict[str, str]:
    header = first(root, "teiHeader")
    fields: dict[str, str] = {}
    title_statement = first(header, "fileDesc", "titleStmt")
    if title_statement is not None:
        if text_of(first(title_statement, "title")):
            fields["title"] = text_of(first(title_statement, "title"))
        authors = [text_of(author) for author in children(title_statement, "author") if text_of(author)]
        if authors:
            fields["author"] = "; ".join(dict.fromkeys(authors))
    dates = [first(header, "fileDesc", "publicationStmt", "date")]
    source = first(header, "fileDesc", "sourceDesc")
    if source is not None:
        dates.extend(element for element in source.iter() if local_name(element) == "date")
    for date in dates:
        value = (date.get("when") or text_of(date)) if date is not None else ""
        if value:
            fields["date"] = collapsed(value)
            break
    return fields
