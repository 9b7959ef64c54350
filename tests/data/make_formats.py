"""Write tests/data/formats: the opening of each novel, and two Tang poems, as documents of the kinds cs
reads, for the README's examples (tests/test_readme.py runs them on a copy). The text is the sample
corpus's (tests/data/corpus: public domain, and the chinese-poetry project's MIT-licensed Tang poems);
the files are written by tests/documents.py (reportlab writes the PDF, zipfile the EPUB). No DOCX: the
one python-docx writes weighs 36 KB of styles, over what tests/data may hold (test_sample.py).

    python tests/data/make_formats.py
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from documents import pdf_pages, write_epub, write_html, write_markdown, write_pdf, write_tei  # noqa: E402

CORPUS = HERE / "corpus"
OUT = HERE / "formats"


def opening(name: str, characters: int) -> str:
    """The first lines of a file of the sample corpus, up to `characters` characters, cut after a line."""
    text = (CORPUS / name).read_bytes().decode("utf-8")
    return text[: text.rindex("\n", 0, characters) + 1]


def paragraphs(text: str) -> list[str]:
    """Its lines with text, the first (the book's title and author) left out."""
    return [line.strip() for line in text.splitlines()[1:] if line.strip()]


def main() -> None:
    OUT.mkdir(exist_ok=True)
    write_pdf(OUT / "三国演义.pdf", pdf_pages(paragraphs(opening("novels/三国演义.txt", 1200)), 36, 16))
    write_html(
        OUT / "水浒传.html", paragraphs(opening("novels/水浒传.txt", 900)), {"title": "水浒传", "author": "施耐庵"}
    )
    chapter = paragraphs(opening("novels/西游记.txt", 900))
    write_epub(OUT / "西游记.epub", [chapter[:6], chapter[6:]], {"title": "西游记", "author": "吴承恩"})
    poems = opening("tang/全唐诗_poet.tang.0.txt", 400).split("\n\n")[:2]
    write_tei(
        OUT / "帝京篇.xml",
        [line for poem in poems for line in poem.splitlines()[2:]],
        {"title": "帝京篇", "author": "太宗皇帝"},
    )
    text = opening("novels/红楼梦.txt", 900)
    write_markdown(OUT / "红楼梦.md", text[text.index("\n") + 1 :], {"title": "红楼梦", "author": "曹雪芹"})


if __name__ == "__main__":
    main()
