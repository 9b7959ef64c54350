"""Formats (formats.py, xmldocs.py, pdftext.py): real text of the sample corpus written as Markdown, HTML,
DOCX, EPUB, TEI and PDF by the libraries that write them, read back and searched; the oracle is the
`.txt` file holding the same text."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, SAMPLE_CORPUS
from corpus_search.formats import DEFAULT_GLOBS, extract, unit_of
from corpus_search.loader import read_text
from corpus_search.normalize import is_han, normalize
from corpus_search.search import Searcher
from documents import (
    pdf_pages,
    rezip,
    write_docx,
    write_epub,
    write_html,
    write_markdown,
    write_pdf,
    write_records,
    write_tei,
)
from test_cli import run

FIELDS = {"title": "三国演义 唐诗 党建", "author": "罗贯中", "date": "2001-05-04"}
HIDDEN = "藏在脚本里的字"  # in an HTML page's script, style and head only
HEADER_ONLY = "只在页眉中的字"  # in a TEI header only
FRONT_ONLY = "只在前言块中"  # in Markdown front matter only


def original_text() -> str:
    """Real text with every quirk of the sample: a novel's start (hard wraps, ideographic spaces, blank
    lines), Tang poems in traditional script, and a seed with numbers set off by spaces (72 名)."""
    novel = read_text(str(SAMPLE_CORPUS / "novels" / "三国演义.txt"))[:8000]
    poems = read_text(str(SAMPLE_CORPUS / "tang" / "全唐诗_poet.tang.0.txt"))[:6000]
    seed = read_text(str(ROOT / "seeds" / "001_1cb04fc48989cd85.txt"))
    return "\r\n".join([novel, poems, seed])


def paragraphs_of(text: str) -> list[str]:
    """The text's lines with text in them: what a paragraph format holds of it."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def write_every_format(folder: Path, text: str) -> dict[str, Path]:
    """The same text as a `.txt` file and in every other format; returns the files by extension."""
    folder.mkdir(parents=True, exist_ok=True)
    paragraphs = paragraphs_of(text)
    third = len(paragraphs) // 3
    files = {extension: folder / f"same{extension}" for extension in (".txt", ".md", ".html", ".docx", ".epub")}
    files |= {".xml": folder / "same.xml", ".pdf": folder / "same.pdf"}
    files[".txt"].write_text(text, encoding="utf-8")
    write_markdown(files[".md"], text, FIELDS | {"note": FRONT_ONLY})
    write_html(files[".html"], paragraphs, FIELDS, HIDDEN)
    write_docx(files[".docx"], paragraphs, FIELDS)
    write_epub(files[".epub"], [paragraphs[:third], paragraphs[third : 2 * third], paragraphs[2 * third :]], FIELDS)
    write_tei(files[".xml"], paragraphs, FIELDS, HEADER_ONLY)
    write_pdf(files[".pdf"], pdf_pages(paragraphs))
    for kind in (".jsonl", ".json", ".csv", ".tsv"):  # the whole text as one record's text field
        files[kind] = folder / f"same{kind}"
        whole = " ".join(text.split()) if kind == ".tsv" else text  # TSV holds no line break
        write_records(files[kind], [{"id": "1", "text": whole} | FIELDS])
    return files


@pytest.fixture(scope="module")
def same_text(tmp_path_factory) -> tuple[Path, dict[str, Path], str]:
    """The folder of the same text in every format, indexed: (folder, files, index)."""
    folder = tmp_path_factory.mktemp("formats") / "same"
    files = write_every_format(folder, original_text())
    index_dir = str(folder.parent / "index")
    result = run("index", str(folder), "--index", index_dir)
    assert result.exit_code == 0 and "warning" not in result.stderr, result.stderr
    return folder, files, index_dir


@pytest.mark.parametrize(
    "extension", [".md", ".html", ".docx", ".epub", ".xml", ".pdf", ".jsonl", ".json", ".csv", ".tsv"]
)
def test_every_format_reads_back_to_the_text_that_was_written(same_text, extension):
    _, files, _ = same_text
    written = normalize(original_text()).text
    extracted = extract(files[extension].name, files[extension].read_bytes())
    assert extracted.warning is None
    assert normalize(extracted.text).text == written


def test_a_text_file_is_read_as_before(same_text):
    """`.txt` keeps the decoding path byte for byte: its text is loader.read_text's, and it has no unit."""
    _, files, _ = same_text
    extracted = extract("same.txt", files[".txt"].read_bytes())
    assert (extracted.text, extracted.fields, extracted.warning) == (read_text(str(files[".txt"])), None, None)
    assert unit_of("a/same.txt") is None and unit_of("same.md") is None and unit_of("x.TXT") is None


def random_needles(text: str, count: int, seed: int) -> list[str]:
    """Substrings of 2 to 8 characters of the normalised text that start and end on a Han character
    (punctuation inside is kept), drawn with a fixed seed."""
    normalized = normalize(text).text
    chooser = random.Random(seed)
    found: list[str] = []
    while len(found) < count:
        start = chooser.randrange(len(normalized) - 8)
        needle = normalized[start : start + chooser.randint(2, 8)]
        if is_han(needle[0]) and is_han(needle[-1]) and not any(char in needle for char in ' "'):
            found.append(needle)
    return found


def test_a_random_substring_occurs_as_often_in_every_format_as_in_the_text_file(same_text):
    folder, files, index_dir = same_text
    needles = random_needles(original_text(), 60, seed=13)
    with Searcher(index_dir) as searcher:
        for needle in needles:
            counts = {Path(path).suffix: tally[0] for path, tally in searcher.run(f'"{needle}"').per_file().items()}
            assert counts.get(".txt", 0) >= 1, needle
            assert counts == dict.fromkeys(files, counts[".txt"]), needle


def test_front_matter_header_script_and_style_are_not_text(same_text):
    _, _, index_dir = same_text
    for hidden in (HIDDEN, HEADER_ONLY, FRONT_ONLY, "generated by python-docx"):
        assert run("search", hidden, "--index", index_dir).exit_code == 1, hidden


def hits(index_dir: str, *args: str) -> list[dict]:
    result = run("search", *args, "--json", "-n", "0", "--index", index_dir)
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_json_names_the_unit_of_line_and_carries_each_files_fields(same_text):
    _, _, index_dir = same_text
    found = {Path(hit["path"]).suffix: hit for hit in hits(index_dir, "滚滚长江东逝水")}
    assert set(found) == {".txt", ".md", ".html", ".docx", ".epub", ".xml", ".pdf", ".jsonl", ".json", ".csv", ".tsv"}
    assert [found[kind].get("unit") for kind in (".txt", ".md", ".pdf", ".csv")] == [None, None, "page", "record"]
    for kind in (".jsonl", ".json", ".csv", ".tsv"):  # the one record's line, its other fields
        assert (found[kind]["line"], found[kind]["unit"]) == ({".jsonl": 1}.get(kind, 2), "record")
        assert found[kind]["meta"] == {"id": "1"} | FIELDS
    assert {found[kind]["unit"] for kind in (".html", ".docx", ".epub", ".xml")} == {"paragraph"}
    assert found[".txt"].get("meta") is None and found[".pdf"].get("meta") is None
    assert found[".md"]["meta"] == FIELDS | {"note": FRONT_ONLY}
    assert found[".html"]["meta"] == FIELDS
    assert found[".epub"]["meta"] == FIELDS
    assert found[".xml"]["meta"] == FIELDS
    assert found[".docx"]["meta"] == FIELDS | {"date": "2001-05-04T00:00:00Z"}
    # The text file and the Markdown file (its front matter kept as blank lines) agree on lines.
    assert found[".md"]["line"] == found[".txt"]["line"] + len(FIELDS) + 3
    kwic = run("kwic", "滚滚长江东逝水", "--json", "--index", index_dir).stdout.splitlines()
    assert {Path(line["path"]).suffix: line.get("unit") for line in map(json.loads, kwic)} == {
        kind: hit.get("unit") for kind, hit in found.items()
    }


def test_where_and_count_by_read_the_fields_of_every_format(same_text):
    _, _, index_dir = same_text
    kept = hits(index_dir, "滚滚长江东逝水", "--where", "author=罗贯中", "--where", "date>=2001")
    with_fields = [".md", ".html", ".docx", ".epub", ".xml", ".jsonl", ".json", ".csv", ".tsv"]
    assert sorted(Path(hit["path"]).suffix for hit in kept) == sorted(with_fields)


def test_a_hit_in_the_third_paragraph_or_page_has_line_3(tmp_path):
    """Each unit holds a word of its own; a hit's line is the number of its paragraph or page (empty
    paragraphs do not count; empty pages do), and -C gives the units around its passage."""
    words = ["甲子年春", "乙丑年夏", "丙寅年秋", "丁卯年冬"]
    folder = tmp_path / "in"
    folder.mkdir()
    story = "话说天下大势，分久必合，合久必分。周末七国分争，并入于秦。及秦灭之后，楚、汉分争，又并入于汉。"
    paragraphs = [f"第{n + 1}段，{word}。{story}" for n, word in enumerate(words)]  # a passage each
    write_html(folder / "a.html", [paragraphs[0], "", paragraphs[1], paragraphs[2], paragraphs[3]], {})
    write_docx(folder / "a.docx", [paragraphs[0], "", "  ", *paragraphs[1:]], {})
    write_epub(folder / "a.epub", [paragraphs[:2], paragraphs[2:]], {})
    write_tei(folder / "a.xml", paragraphs, {})
    write_pdf(folder / "a.pdf", [[paragraphs[0]], [], [paragraphs[2], "第三页的第二行。"], [paragraphs[3]]])
    index_dir = str(tmp_path / "index")
    assert run("index", str(folder), "--index", index_dir).exit_code == 0
    found = {Path(hit["path"]).name: (hit["line"], hit["unit"]) for hit in hits(index_dir, "丙寅年秋")}
    assert found == {
        "a.html": (3, "paragraph"),
        "a.docx": (3, "paragraph"),
        "a.epub": (3, "paragraph"),
        "a.xml": (3, "paragraph"),
        "a.pdf": (3, "page"),
    }
    (context,) = hits(index_dir, "丙寅年秋", "--path", "a.xml", "-C", "1")
    assert context["before"] == [{"line": 2, "text": paragraphs[1]}]
    assert context["after"] == [{"line": 4, "text": paragraphs[3]}]
    plain = run("search", "第三页的第二行", "--index", index_dir).stdout
    assert plain == f"{folder / 'a.pdf'}:3:{paragraphs[2]} 第三页的第二行。\n"


def test_html_tei_docx_and_epub_read_what_a_reader_sees(tmp_path):
    """What each markup language holds beside its running text is left out, and what a reader sees
    of it is kept in place."""
    html = (
        "<html><head><title>题</title><meta name='Author' content=' 某 人 '><meta name='viewport' "
        "content='width=device-width'></head><body><p>一<ruby>漢<rt>han</rt></ruby>字</p><noscript>无</noscript>"
        "<div>前行<br>后行</div><table><tr><td>格一</td><td>格二</td></tr></table></body></html>"
    )
    document = extract("a.html", html.encode())
    assert document.text == "一漢字\n前行\n后行\n格一\n格二"
    assert document.fields == {"title": "题", "author": "某 人"}
    tei = (
        '<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt><title>題</title>'
        "<author>甲</author><author>乙</author></titleStmt><publicationStmt><p/></publicationStmt><sourceDesc>"
        '<bibl><date when="1632">崇禎五年</date></bibl></sourceDesc></fileDesc></teiHeader><text><front><head>序'
        '</head></front><body><fw type="pageNum">12</fw><p>有朋<app><lem>自</lem><rdg wit="#b">從</rdg></app>遠方'
        "<lb/>來<choice><sic>不亦洛乎</sic><corr>不亦樂乎</corr></choice></p><lg><l>床前明月光</l><l>疑是地上霜"
        "</l></lg></body></text></TEI>"
    )
    document = extract("a.xml", tei.encode())
    assert document.text == "序\n有朋自遠方來不亦樂乎\n床前明月光\n疑是地上霜"
    assert document.fields == {"title": "題", "author": "甲; 乙", "date": "1632"}


def test_a_tei_footnote_is_a_paragraph_after_the_sentence_it_interrupts():
    """As CBETA marks its collation notes: the sentence reads on across the note's anchor, and the note
    (blocks inside it included) is its own paragraph after it; an inline note stays in the sentence."""
    tei = (
        '<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body><p>學而時習之，<note place="foot text" type="orig">'
        '〔習〕－【宋】</note><note type="mod">〔習〕<p>校</p>－【元】</note>不亦說乎<note place="inline">說音悅'
        "</note>。</p><p>有朋自遠方來</p></body></text></TEI>"
    )
    document = extract("a.xml", tei.encode())
    assert document.text == "學而時習之，不亦說乎說音悅。\n〔習〕－【宋】\n〔習〕校－【元】\n有朋自遠方來"


def test_a_docx_keeps_its_tables_and_line_breaks_in_reading_order(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("表前")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "左格"
    table.cell(0, 1).text = "右格"
    run_ = document.add_paragraph("换行前").add_run()
    run_.add_break()
    run_.add_text("换行后\t制表")
    document.save(str(tmp_path / "a.docx"))
    assert extract("a.docx", (tmp_path / "a.docx").read_bytes()).text == "表前\n左格\n右格\n换行前\n换行后 制表"


WORD = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
WORD_BODY = (
    # tracked changes: the deletion is not text, the insertion is
    "<w:p><w:r><w:t>保留</w:t></w:r><w:del><w:r><w:delText>删去</w:delText></w:r></w:del>"
    "<w:ins><w:r><w:t>插入</w:t></w:r></w:ins></w:p>"
    # a field: its code is not text, its result is
    '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> PAGE </w:instrText></w:r>'
    '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>七</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/>'
    "</w:r></w:p>"
    # a text box inside a paragraph, and the VML copy of it that older readers fall back on
    '<w:p><w:r><w:t>框前</w:t></w:r><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wps:txbx>'
    "<w:txbxContent><w:p><w:r><w:t>框中</w:t></w:r></w:p></w:txbxContent></wps:txbx></w:drawing></mc:Choice>"
    "<mc:Fallback><w:pict><v:textbox><w:txbxContent><w:p><w:r><w:t>框中</w:t></w:r></w:p></w:txbxContent>"
    "</v:textbox></w:pict></mc:Fallback></mc:AlternateContent></w:r><w:r><w:t>框后</w:t></w:r></w:p>"
)


def test_a_docx_reads_what_word_shows_once(tmp_path):
    import docx

    docx.Document().save(str(tmp_path / "a.docx"))
    namespaces = {
        "w": WORD,
        "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
        "wps": "http://schemas.microsoft.com/office/word/2010/wordprocessingShape",
        "v": "urn:schemas-microsoft-com:vml",
    }
    declared = " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in namespaces.items())
    document = f'<?xml version="1.0" encoding="UTF-8"?><w:document {declared}><w:body>{WORD_BODY}</w:body></w:document>'
    rezip(tmp_path / "a.docx", {"word/document.xml": document})
    assert extract("a.docx", (tmp_path / "a.docx").read_bytes()).text == "保留插入\n七\n框前\n框中\n框后"


def test_markdown_lines_are_the_files_lines(tmp_path):
    text = "---\r\ntitle: 标题\r\ntags: [a, b]\r\nyear: 1999\r\ndraft: true\r\n---\r\n正文。\r\n"
    extracted = extract("a.md", text.encode())
    assert extracted.text == "\r\n" * 6 + "正文。\r\n"
    assert extracted.fields == {"title": "标题", "year": "1999"}
    assert extract("b.md", "正文\n---\n不是前言\n---\n".encode()).fields is None  # not at the top
    bad = extract("c.md", "---\n: [\n---\n正文\n".encode())
    assert (bad.text, bad.fields, bad.warning) == (
        "\n\n\n正文\n",
        None,
        "c.md: its front matter is not YAML; no fields taken from it",
    )


def test_index_takes_every_format_by_default_and_glob_narrows(tmp_path):
    folder = tmp_path / "in"
    files = write_every_format(folder, "滚滚长江东逝水，浪花淘尽英雄。\n")
    shutil.copy(files[".html"], folder / "same.htm")
    (folder / "metadata.csv").write_text("path,title\nsame.txt,题\n", encoding="utf-8")
    (folder / "notes.log").write_text("滚滚长江东逝水", encoding="utf-8")
    index_dir = str(tmp_path / "index")
    result = run("index", str(folder), "--index", index_dir)
    assert result.stderr.startswith("12 files (12 added, 0 updated, 0 removed, 0 unchanged)")  # no metadata.csv
    found = run("search", "浪花", "-l", "--index", index_dir).stdout.split()
    assert {Path(path).name for path in found} == {f"same{glob[1:]}" for glob in DEFAULT_GLOBS}
    narrowed = run("index", str(folder), "--index", index_dir, "--glob", "*.pdf")
    assert narrowed.stderr.startswith("1 files (0 added, 0 updated, 11 removed, 1 unchanged)")
    assert run("search", "浪花", "-l", "--index", index_dir).stdout == f"{folder / 'same.pdf'}\n"

    shutil.copy(files[".txt"], folder / "LOUD.TXT")  # the default takes an extension in any case
    both = run("index", str(folder), "--index", index_dir, "--glob", "*.pdf", "--glob", "*.md")
    assert both.stderr.startswith("2 files (1 added, 0 updated, 0 removed, 1 unchanged)")
    shutil.copy(files[".md"], folder / "more.md")
    again = run("index", "--index", index_dir)  # no PATHS: the last run's paths and globs
    assert again.stderr.startswith("3 files (1 added, 0 updated, 0 removed, 2 unchanged)")
    every = run("index", str(folder), "--index", index_dir)
    assert every.stderr.startswith("14 files (11 added, 0 updated, 0 removed, 3 unchanged)")
    assert folder / "LOUD.TXT" in {
        Path(path) for path in run("search", "浪花", "-l", "--index", index_dir).stdout.split()
    }
    assert run("index", "--index", index_dir).stderr.startswith("14 files (0 added")


def test_searching_documents_imports_none_of_their_readers(same_text):
    """lxml, pdfminer and PyYAML are imported when a document is read for indexing, never by a query."""
    _, _, index_dir = same_text
    program = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from corpus_search.cli import cli\n"
        f"for command in ('search', 'kwic'):\n"
        f"    result = CliRunner().invoke(cli, [command, '浪花', '--json', '--index', {index_dir!r}])\n"
        "    print(result.exit_code, len(result.stdout.splitlines()))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('lxml', 'pdfminer', 'yaml', 'docx')))\n"
    )
    env = {key: value for key, value in os.environ.items() if key != "CS_INDEX"}
    output = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=env, check=True)
    assert output.stdout == "0 11\n0 11\n[]\n"  # one hit in each of the 11 files


def test_html_is_decoded_by_its_meta_charset_or_detected_like_text():
    """A page labelled gb2312 holding GBK characters is read as GBK (as browsers read the label); one
    without a label is detected as a text file is; `--encoding` overrides both."""
    text = "镕基说：滚滚长江东逝水，浪花淘尽英雄。是非成败转头空。青山依旧在，几度夕阳红。"  # 镕 is GBK, not GB2312
    labelled = f'<html><head><meta charset="gb2312"></head><body><p>{text}</p></body></html>'.encode("gbk")
    assert extract("a.html", labelled) == extract("b.html", labelled.replace(b"gb2312", b"gbk"))
    assert extract("a.html", labelled).text == text
    unlabelled = f"<html><body><p>{text}</p></body></html>".encode("gb18030")
    assert extract("c.html", unlabelled).text == text
    traditional = "滾滾長江東逝水，浪花淘盡英雄。是非成敗轉頭空。"
    mislabelled = f'<meta charset="utf-8"><p>{traditional}</p>'.encode("big5")
    assert extract("d.html", mislabelled, encoding="big5").text == traditional
