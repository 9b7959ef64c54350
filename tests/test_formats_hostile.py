"""Bad and hostile documents: a file never reaches outside itself, a bomb is refused in bounded memory
and time, garbage is never indexed, and each bad file is one warning while the rest is indexed."""

from __future__ import annotations

import io
import json
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest

from corpus_search import archives, pdftext
from corpus_search.formats import extract
from documents import rezip, tei_xml, write_docx, write_epub, write_pdf
from test_cli import run

SECRET = "绝密不可外泄的文字"
GOOD = "滚滚长江东逝水，浪花淘尽英雄。"


@pytest.fixture()
def secret_file(tmp_path) -> Path:
    """A local file outside the indexed folder that an external entity names."""
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text(SECRET, encoding="utf-8")
    return secret


def xxe_doctype(root: str, secret: Path) -> str:
    """A DOCTYPE declaring `xxe`, the secret file, and `remote`, a URL (on this machine, never fetched)."""
    entities = f'<!ENTITY xxe SYSTEM "{secret.as_uri()}"> <!ENTITY remote SYSTEM "http://127.0.0.1:9/x">'
    return f"<!DOCTYPE {root} [ {entities} ]>\n"


def test_external_entities_are_never_read(tmp_path, secret_file):
    folder = tmp_path / "in"
    folder.mkdir()
    entity = f"{GOOD[:3]}&xxe;&remote;{GOOD[3:]}"
    tei = tei_xml(["PLACEHOLDER"], {"title": "&xxe;"}, doctype=xxe_doctype("TEI", secret_file))
    (folder / "a.xml").write_text(tei.replace("PLACEHOLDER", entity).replace("&amp;xxe;", "&xxe;"), encoding="utf-8")
    page = f'<?xml version="1.0"?>\n{xxe_doctype("html", secret_file)}<html xmlns="http://www.w3.org/1999/xhtml"><body><p>{entity}</p></body></html>'
    write_epub(folder / "b.epub", [[GOOD]], {}, extra={"OEBPS/text/c0.xhtml": page})
    write_docx(folder / "c.docx", ["PLACEHOLDER"], {})
    with zipfile.ZipFile(folder / "c.docx") as archive:
        document = archive.read("word/document.xml").decode("utf-8")
    document = document.replace("<w:document", xxe_doctype("w:document", secret_file) + "<w:document", 1)
    rezip(folder / "c.docx", {"word/document.xml": document.replace("PLACEHOLDER", entity)})
    # An HTML parser reads no DTD at all: the declaration and the entity are left as text, away from GOOD.
    html = f"{xxe_doctype('html', secret_file)}<html><body><p>{GOOD}</p><p>&xxe;</p></body></html>"
    (folder / "d.html").write_text(html, encoding="utf-8")
    index_dir = str(tmp_path / "index")
    result = run("index", str(folder), "--index", index_dir)
    assert (result.exit_code, result.stderr.count("warning")) == (0, 0), result.stderr
    assert run("search", SECRET[:4], "--index", index_dir).exit_code == 1
    found = run("search", GOOD, "-l", "--index", index_dir).stdout.split()
    assert sorted(Path(path).name for path in found) == ["a.xml", "b.epub", "c.docx", "d.html"]
    (tei,) = [
        hit
        for hit in map(json.loads, run("search", GOOD, "--json", "--index", index_dir).stdout.splitlines())
        if hit["path"].endswith("a.xml")
    ]
    assert "meta" not in tei  # its title was the entity alone, and no other field has a value


def bomb(size: int) -> bytes:
    """`size` zero bytes deflated, made a MiB at a time (the test never holds them all)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return b"".join(compressor.compress(bytes(1 << 20)) for _ in range(size >> 20)) + compressor.flush()


def zip_with_bomb(path: Path, name: str, size: int, others: dict[str, str]) -> None:
    """A zip archive whose member `name` unpacks to `size` bytes, written from its deflated data."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for other, text in others.items():
            archive.writestr(other, text)
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w") as member:
            for _ in range(size >> 20):
                member.write(bytes(1 << 20))


@pytest.mark.parametrize("kind", ["docx", "epub"])
def test_a_zip_bomb_is_refused_in_bounded_memory(tmp_path, kind):
    size = archives.MAX_MEMBER_BYTES + (16 << 20)
    path = tmp_path / f"bomb.{kind}"
    if kind == "docx":
        zip_with_bomb(path, "word/document.xml", size, {})
    else:
        write_epub(path, [[GOOD]], {})
        with zipfile.ZipFile(path) as archive:
            others = {info.filename: archive.read(info).decode() for info in archive.infolist()}
        zip_with_bomb(
            path, "OEBPS/text/c0.xhtml", size, {k: v for k, v in others.items() if not k.endswith("c0.xhtml")}
        )
    assert path.stat().st_size < 1 << 20
    tracemalloc.start()
    extracted = extract(path.name, path.read_bytes())
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert extracted.text is None
    member = "word/document.xml" if kind == "docx" else "OEBPS/text/c0.xhtml"
    limit = archives.MAX_MEMBER_BYTES
    assert (
        extracted.warning
        == f"skipped {path.name}: {member} would unpack to {size:,} bytes, over the limit of {limit:,}"
    )
    assert peak < 8 << 20


def test_an_archive_of_too_many_members_is_refused(tmp_path):
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        for number in range(archives.MAX_MEMBERS + 1):
            archive.writestr(f"m/{number}", b"")
    extracted = extract("many.epub", data.getvalue())
    assert (extracted.text, extracted.warning) == (None, "skipped many.epub: its archive holds more than 10,000 files")


def test_a_member_that_unpacks_past_its_declared_size_is_not_read_past_it(tmp_path):
    """A zip whose directory says a member is small but whose data inflates further: zipfile stops at
    the declared size and its CRC check fails, so the file is skipped, never read whole."""
    path = tmp_path / "liar.docx"
    size = archives.MAX_MEMBER_BYTES + (16 << 20)
    zip_with_bomb(path, "word/document.xml", size, {})
    data = bytearray(path.read_bytes())
    directory = zipfile.ZipFile(path).start_dir  # its one entry: the uncompressed size is at byte 24
    assert data[directory : directory + 4] == b"PK\x01\x02"
    assert int.from_bytes(data[directory + 24 : directory + 28], "little") == size
    data[directory + 24 : directory + 28] = (1000).to_bytes(4, "little")
    tracemalloc.start()
    extracted = extract("liar.docx", bytes(data))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert (extracted.text, extracted.warning) == (
        None,
        "skipped liar.docx: word/document.xml in its archive is damaged (Bad CRC-32 for file 'word/document.xml')",
    )
    assert peak < 8 << 20


PDF_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
# A CID font with Identity encoding and no ToUnicode map: its text extracts as (cid:N) codes.
CID_FONT = (
    b"<< /Type /Font /Subtype /Type0 /BaseFont /NoUnicode /Encoding /Identity-H /DescendantFonts [<< /Type /Font "
    b"/Subtype /CIDFontType2 /BaseFont /NoUnicode /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) "
    b"/Supplement 0 >> >>] >>"
)


def raw_pdf(content: bytes, *fonts: bytes, stream_keys: bytes = b"") -> bytes:
    """A one-page PDF with the given content stream and fonts (F1, F2…; Helvetica when none), written
    object by object."""
    fonts = fonts or (PDF_FONT,)
    names = b" ".join(b"/F%d %d 0 R" % (number, number + 4) for number in range(1, len(fonts) + 1))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << %s >> >> "
        b"/Contents 4 0 R >>" % names,
        b"<< /Length %d %s>>\nstream\n" % (len(content), stream_keys) + content + b"\nendstream",
        *fonts,
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    table = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, table)
    return bytes(out)


def test_a_pdf_without_a_usable_text_layer_is_skipped_never_indexed_as_garbage(tmp_path):
    codes = raw_pdf(b"BT /F1 12 Tf 50 800 Td <0102030405060708090a0b0c> Tj ET", CID_FONT)
    drawing = raw_pdf(b"0 0 m 100 100 l S 10 10 200 200 re f")
    assert [extract(name, data).warning for name, data in (("codes.pdf", codes), ("scan.pdf", drawing))] == [
        "skipped codes.pdf: no usable text layer; OCR it first",
        "skipped scan.pdf: no usable text layer; OCR it first",
    ]
    # A few unmapped characters among many good ones: indexed, each one a U+FFFD, with a warning.
    mixed = raw_pdf(b"BT /F1 12 Tf 50 800 Td (" + b"A" * 60 + b") Tj /F2 12 Tf <0102> Tj ET", PDF_FONT, CID_FONT)
    extracted = extract("mixed.pdf", mixed)
    assert extracted.text == "A" * 60 + "\ufffd"
    assert extracted.warning == "mixed.pdf: 1 characters without a Unicode mapping replaced by U+FFFD"


def test_encrypted_pdfs_need_their_password_and_broken_ones_are_skipped(tmp_path):
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfgen import canvas

    for name, user_password in (("locked.pdf", "secret"), ("open.pdf", "")):
        sheet = canvas.Canvas(str(tmp_path / name), encrypt=StandardEncryption(user_password, ownerPassword="o"))
        sheet.drawString(50, 800, "Readable text")
        sheet.showPage()
        sheet.save()
    locked = extract("locked.pdf", (tmp_path / "locked.pdf").read_bytes())
    assert (locked.text, locked.warning) == (None, "skipped locked.pdf: it is encrypted and needs a password")
    assert extract("open.pdf", (tmp_path / "open.pdf").read_bytes()).text == "Readable text"
    write_pdf(tmp_path / "whole.pdf", [["第一页"]])
    whole = (tmp_path / "whole.pdf").read_bytes()
    assert extract("whole.pdf", whole).text == "第一页"
    for name, data in (("cut.pdf", whole[: len(whole) // 2]), ("noise.pdf", b"%PDF-1.4\n" + bytes(range(256)) * 4)):
        broken = extract(name, data)
        assert broken.text is None and broken.warning.startswith(f"skipped {name}: not a readable PDF ("), name


def test_a_pdf_page_that_takes_too_long_is_bounded(monkeypatch):
    monkeypatch.setattr(pdftext, "PAGE_SECONDS", 0.25)
    slow = raw_pdf(b"BT /F1 1 Tf " + b"(a) Tj 0.3 0 Td " * 100_000 + b" ET")  # seconds of layout analysis
    extracted = extract("slow.pdf", slow)
    assert (extracted.text, extracted.warning) == (None, "skipped slow.pdf: page 1 took more than 0.25 s to extract")


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="the memory cap reads /proc (Linux)")
def test_a_pdf_that_needs_too_much_memory_is_bounded(monkeypatch):
    monkeypatch.setattr(pdftext, "MEMORY_BYTES", 64 << 20)
    compressor = zlib.compressobj(9)
    stream = b"".join(compressor.compress(b" " * (1 << 20)) for _ in range(256)) + compressor.flush()
    extracted = extract("bomb.pdf", raw_pdf(stream, stream_keys=b"/Filter /FlateDecode "))  # 256 MB of spaces
    assert (extracted.text, extracted.warning) == (
        None,
        "skipped bomb.pdf: extracting it needs more than 64 MB of memory",
    )


def test_bad_files_are_one_warning_each_and_the_rest_is_indexed(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD, encoding="utf-8")
    (folder / "zip.docx").write_bytes(b"PK\x03\x04 not really a zip")
    (folder / "zip.epub").write_bytes(b"not a zip at all")
    (folder / "broken.xml").write_text('<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><p>x</text>', encoding="utf-8")
    (folder / "other.xml").write_text("<catalog><book>书</book></catalog>", encoding="utf-8")
    (folder / "codes.pdf").write_bytes(raw_pdf(b"BT /F1 12 Tf 50 800 Td <01020304> Tj ET", CID_FONT))
    (folder / "binary.html").write_bytes(b"\x00\x01\x02<html>")
    epub = folder / "nospine.epub"
    write_epub(epub, [[GOOD]], {})
    rezip(epub, {"META-INF/container.xml": "<container/>"})
    index_dir = str(tmp_path / "index")
    result = run("index", str(folder), "--index", index_dir)
    assert result.exit_code == 0
    warnings = sorted(line for line in result.stderr.splitlines() if line.startswith("cs: warning: "))
    assert warnings == [
        f"cs: warning: skipped {folder / 'binary.html'}: not a text file",
        f"cs: warning: skipped {folder / 'broken.xml'}: not well-formed XML (Opening and ending tag mismatch: "
        "p line 1 and text, line 1, column 59)",
        f"cs: warning: skipped {folder / 'codes.pdf'}: no usable text layer; OCR it first",
        f"cs: warning: skipped {folder / 'nospine.epub'}: its META-INF/container.xml names no package document",
        f"cs: warning: skipped {folder / 'other.xml'}: not TEI XML (its root element is <catalog>)",
        f"cs: warning: skipped {folder / 'zip.docx'}: not a valid zip archive",
        f"cs: warning: skipped {folder / 'zip.epub'}: not a valid zip archive",
    ]
    assert result.stderr.splitlines()[-1].startswith("8 files (1 added, 0 updated, 0 removed, 0 unchanged, 7 skipped)")
    assert run("search", GOOD, "-l", "--index", index_dir).stdout == f"{folder / 'good.txt'}\n"
    # Only bad files: exit 2, and the index keeps what it had.
    (folder / "good.txt").unlink()
    again = run("index", str(folder), "--index", index_dir)
    assert again.exit_code == 2
    assert again.stderr.endswith("cs: none of the 7 files could be read; the index was not changed\n")
    assert run("search", GOOD, "-l", "--index", index_dir).stdout == f"{folder / 'good.txt'}\n"
