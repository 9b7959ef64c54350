"""Page and line markers (markup.py): Kanripo-style text written from real text of the corpus sample.

The sample is two novels of tests/data/corpus, one after the other (over 64 K characters, so two index
blocks), with an org-mode header, `¶` at the end of most lines and inside sentences, and `<pb:…>` page
markers between characters, at seeded random places. The generator records where it put the markup, so
the oracle (a substring scan over the text without it) needs nothing from the code under test.
"""

from __future__ import annotations

import bisect
import json
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import SAMPLE_CORPUS, needles, starts_of
from corpus_search import build_index
from corpus_search.cli import cli
from corpus_search.loader import blocks_from_text, line_starts, passage_bounds, read_text
from corpus_search.markup import (
    BlockMarkup,
    Pages,
    decode_block_markup,
    encode_block_markup,
    has_markup,
    header_end,
    marker_start,
    starts_outside_markers,
    strip_markup,
)
from corpus_search.normalize import is_han, normalize
from corpus_search.search import Searcher
from corpus_search.variants import fold

SOURCES = ("novels/三国演义.txt", "novels/红楼梦.txt")  # the sample corpus's, so any clone has them
HEADER_SECRET = "抄本甲乙丙丁"  # in the header only
HEADER = (
    "# -*- mode: mandoku-view; -*-\r\n"
    "#+TITLE: 演義樣本\r\n"
    "#+DATE: 2016-09-20 11:37:39\r\n"
    f"#+PROPERTY: SOURCE {HEADER_SECRET}\r\n"
    "\r\n"
)
NO_PAGES = (55_000, 75_000)  # characters of the text with no page marker: the second block starts here
PLAIN = f"#+TITLE: {HEADER_SECRET}\n前文字¶字后文，标记¶\n次行。\n"  # a plain file: no page marker


@dataclass(frozen=True)
class Marked:
    """A file written with markup, and what the generator knows about it."""

    text: str  # the file as written
    kept: list[int]  # offset in `text` of each character of the text without header and markup
    pages: list[tuple[int, str]]  # (offset in `text`, ID) of each page marker, in order
    crossings: dict[str, list[int]]  # kind of markup → offsets (in the text without it) it stands before

    @property
    def clean(self) -> str:
        return "".join(self.text[offset] for offset in self.kept)


def page_id(number: int) -> str:
    return f"KR-sample_001-{number // 2 + 1}{'ab'[number % 2]}"


def write_marked(source: str, seed: int = 14) -> Marked:
    """`source` as Kanripo writes a text: header, a page marker first, `¶` before most line breaks (some
    after a page marker), and `¶` and page markers inside lines."""
    rng = random.Random(seed)
    pieces: list[str] = [HEADER]
    length = len(HEADER)
    kept: list[int] = []
    pages: list[tuple[int, str]] = []
    crossings: dict[str, list[int]] = {"¶": [], "pb": [], "¶ and line break": []}

    def markup(text: str) -> None:
        nonlocal length
        if text.startswith("<pb:"):
            pages.append((length, text[4:-1]))
        pieces.append(text)
        length += len(text)

    markup(f"<pb:{page_id(0)}>")
    markup("¶")
    for index, char in enumerate(source):
        before = source[index - 1] if index else "\n"
        no_pages = NO_PAGES[0] <= index < NO_PAGES[1]
        if char in "\r\n" and before not in "\r\n" and rng.random() < 0.8:
            if not no_pages and rng.random() < 0.1:
                markup(f"<pb:{page_id(len(pages))}>")
            markup("¶")
            crossings["¶ and line break"].append(index)
        elif char not in "\r\n" and before not in "\r\n":
            draw = rng.random()
            if draw < 1 / 150:
                markup("¶")
                crossings["¶"].append(index)
            elif draw < 1 / 150 + 1 / 500 and not no_pages:
                markup(f"<pb:{page_id(len(pages))}>")
                if rng.random() < 0.3:
                    markup("¶")
                crossings["pb"].append(index)
        kept.append(length)
        pieces.append(char)
        length += 1
    return Marked("".join(pieces), kept, pages, crossings)


class Oracle:
    """Every occurrence in the marked file, found by a scan of the normalised text without markup."""

    def __init__(self, marked: Marked):
        normalized = normalize(marked.clean)
        self.text = normalized.text
        self.folded = fold(normalized.text)
        self.to_file = [marked.kept[index] for index in normalized.to_original[:-1]]
        self.line_offsets = line_starts(marked.text)
        self.page_starts = [offset for offset, _ in marked.pages]
        self.page_names = [name for _, name in marked.pages]

    def line_and_page(self, index: int) -> tuple[int, str | None]:
        offset = self.to_file[index]
        page = bisect.bisect_left(self.page_starts, offset)
        return bisect.bisect_right(self.line_offsets, offset) + 1, self.page_names[page - 1] if page else None

    def occurrences(self, typed: str) -> Counter[tuple[int, str | None]]:
        return Counter(self.line_and_page(start) for start in starts_of(self.folded, needles(typed)))


@pytest.fixture(scope="module")
def marked() -> Marked:
    return write_marked("".join(read_text(str(SAMPLE_CORPUS / source)) for source in SOURCES))


@pytest.fixture(scope="module")
def oracle(marked: Marked) -> Oracle:
    return Oracle(marked)


@pytest.fixture(scope="module")
def marked_dir(marked: Marked, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("markers")
    (root / "kanripo").mkdir()
    (root / "plain").mkdir()
    (root / "kanripo" / "sample.txt").write_bytes(marked.text.encode("utf-8"))
    (root / "plain" / "marks.txt").write_text(PLAIN, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def marked_index(marked_dir: Path) -> str:
    index_dir = str(marked_dir / "index")
    build_index([str(marked_dir / "kanripo"), str(marked_dir / "plain")], index_dir)
    return index_dir


@pytest.fixture(scope="module")
def searcher(marked_index: str):
    with Searcher(marked_index) as opened:
        yield opened


def found(searcher: Searcher, query: str) -> Counter[tuple[int, str | None]]:
    """(line, page) of every match of every hit in the marked file, each checked to be the query as written."""
    lines: Counter[tuple[int, str | None]] = Counter()
    for hit in searcher.run(query).hits():
        if not hit.passage.path.endswith("sample.txt"):
            continue
        assert hit.passage.has_markup and hit.ref == hit.matches[0].ref
        for match in hit.matches:
            assert hit.passage.text[match.start : match.end] == match.text
            assert fold(normalize(match.text, markup=True).text) in needles(query)
            lines[match.line, match.ref] += 1
    return lines


def han_window(oracle: Oracle, start: int, length: int) -> str | None:
    text = oracle.text[start : start + length]
    return text if len(text) == length and all(is_han(char) for char in text) else None


def test_the_sample_is_what_the_tests_need(marked: Marked):
    assert len(marked.kept) > 65_536  # two blocks
    assert len(marked.pages) > 50
    assert all(len(places) > 20 for places in marked.crossings.values())


def test_every_occurrence_is_found_on_its_line_and_page(marked: Marked, oracle: Oracle, searcher: Searcher):
    """A fixed random sample of Han substrings of the text without markup, half of them over markup."""
    rng = random.Random(4)
    markup_places = [place for places in marked.crossings.values() for place in places]
    to_clean = normalize(marked.clean).to_original
    queries = set()
    while len(queries) < 150:
        length = rng.randint(2, 8)
        if rng.random() < 0.5:
            start = bisect.bisect_left(to_clean, rng.choice(markup_places)) - rng.randint(1, length - 1)
        else:
            start = rng.randrange(len(oracle.text))
        query = han_window(oracle, start, length) if start >= 0 else None
        if query:
            queries.add(query)
    for query in sorted(queries):
        assert found(searcher, query) == oracle.occurrences(query), query


@pytest.mark.parametrize("kind", ["¶", "pb", "¶ and line break"])
def test_a_phrase_across_markup_is_found_and_shown_with_it(kind, marked, oracle, searcher):
    to_clean = normalize(marked.clean).to_original
    tried = 0
    for place in marked.crossings[kind]:
        start = bisect.bisect_left(to_clean, place) - 2  # the first character after the markup, less 2
        query = han_window(oracle, start, 4) if start >= 0 else None
        if not query:
            continue
        expected = oracle.occurrences(query)
        assert found(searcher, query) == expected
        assert oracle.line_and_page(start) in expected
        shown = [match.text for hit in searcher.run(query).hits() for match in hit.matches]
        assert any(("¶" if kind != "pb" else "<pb:") in text for text in shown), query
        tried += 1
        if tried == 5:
            break
    assert tried == 5


def test_the_header_is_not_text(marked_dir, marked_index):
    result = CliRunner().invoke(cli, ["search", HEADER_SECRET, "--index", marked_index, "--json"])
    assert result.exit_code == 0
    hits = [json.loads(line) for line in result.stdout.splitlines()]
    assert [hit["path"] for hit in hits] == [str(marked_dir / "plain" / "marks.txt")]
    assert CliRunner().invoke(cli, ["search", "演義樣本", "--index", marked_index]).exit_code == 1


def test_a_page_marker_in_an_earlier_block_names_the_page(marked, oracle, searcher):
    blocks = list(blocks_from_text("sample.txt", marked.text))
    assert len(blocks) == 2
    second = len(marked.text) - len(blocks[1].text)  # blocks run to the end of the file
    assert "<pb:" not in blocks[1].passage_text(0)
    page = Pages.of(marked.text).before(second)
    assert page is not None and blocks[1].markup == BlockMarkup(page)
    first = bisect.bisect_left(oracle.to_file, second)
    at = next(at for at in range(first, first + 200) if han_window(oracle, at, 5))
    query = han_window(oracle, at, 5)
    assert oracle.line_and_page(at)[1] == page
    expected = oracle.occurrences(query)
    assert oracle.line_and_page(at) in expected
    assert found(searcher, query) == expected


def test_a_plain_file_keeps_its_marks_as_text(marked_dir, marked_index):
    path = str(marked_dir / "plain" / "marks.txt")
    run = CliRunner().invoke
    marks = run(cli, ["search", "字¶字", "--index", marked_index, "--json"])
    assert marks.exit_code == 0
    assert json.loads(marks.stdout) == {
        "path": path,
        "line": 2,
        "text": PLAIN.rstrip(),
        "score": json.loads(marks.stdout)["score"],
        "matches": [{"line": 2, "start": 18, "end": 21, "text": "字¶字"}],
    }
    assert run(cli, ["search", HEADER_SECRET, "--index", marked_index]).exit_code == 0  # the line is text here
    assert run(cli, ["search", "文字字后", "--index", marked_index]).exit_code == 1
    assert run(cli, ["search", "标记次行", "--index", marked_index]).exit_code == 1
    kwic = run(cli, ["kwic", "字¶字", "--index", marked_index, "--width", "2"])
    assert kwic.stdout == f"前文  字¶字  后文  {path}:2\n"
    coloured = run(cli, ["search", "次行", "--index", marked_index, "--color", "always"])
    assert "\x1b[2m" not in coloured.stdout and "标记¶ \x1b[1;31m次行" in coloured.stdout


def test_json_names_the_page_of_each_match(marked, oracle, marked_dir, marked_index):
    clean = marked.clean
    place = next(place for place in marked.crossings["pb"] if is_han(clean[place - 1]) and is_han(clean[place]))
    offset = marked.kept[place]
    marker = Pages.of(marked.text).before(offset)
    query = clean[place - 1 : place + 1]
    result = CliRunner().invoke(cli, ["search", query, "--index", marked_index, "--json", "--limit", "0"])
    assert result.exit_code == 0
    hits = [json.loads(line) for line in result.stdout.splitlines()]
    across = [
        (hit, match)
        for hit in hits
        for match in hit["matches"]
        if f"<pb:{marker}>" in match["text"] and hit["path"].endswith("sample.txt")
    ]
    assert len(across) == 1
    hit, match = across[0]
    assert hit["text"][match["start"] : match["end"]] == match["text"]
    assert match["text"].startswith(query[0]) and match["text"].endswith(query[1])
    assert match["ref"] == Pages.of(marked.text).before(marked.kept[place - 1])  # the page it starts on
    assert hit["ref"] == hit["matches"][0]["ref"]
    assert list(hit)[:3] == ["path", "line", "ref"]
    assert all(("ref" in found) == found["path"].endswith("sample.txt") for found in hits)


def test_kwic_has_a_page_column_only_for_files_with_markers(oracle, marked_dir, marked_index):
    query = "字¶字"  # only in the plain file
    plain = CliRunner().invoke(cli, ["kwic", query, "--index", marked_index])
    assert plain.stdout.rstrip("\n").endswith("marks.txt:2")
    query = next(text for at in range(1000, 2000) if (text := han_window(oracle, at, 4)))
    expected = oracle.occurrences(query)
    lines = CliRunner().invoke(cli, ["kwic", query, "--index", marked_index]).stdout.splitlines()
    rows = Counter()
    for line in lines:
        where, ref = line.rsplit("  ", 2)[1:]
        rows[int(where.rsplit(":", 1)[1]), ref] += 1
    assert rows == expected
    records = CliRunner().invoke(cli, ["kwic", query, "--index", marked_index, "--json"]).stdout.splitlines()
    assert Counter((record["line"], record["ref"]) for record in map(json.loads, records)) == expected


def test_markers_are_dimmed_on_a_terminal(marked, oracle, marked_index):
    to_clean = normalize(marked.clean).to_original
    starts = (bisect.bisect_left(to_clean, place) - 1 for place in marked.crossings["¶"])
    query = next(text for start in starts if (text := han_window(oracle, start, 2)))
    coloured = CliRunner().invoke(cli, ["search", query, "--index", marked_index, "--color", "always", "-C", "1"])
    assert "\x1b[2m¶\x1b[0m" in coloured.stdout
    piped = CliRunner().invoke(cli, ["search", query, "--index", marked_index, "-C", "1"])
    assert "\x1b" not in piped.stdout and "¶" in piped.stdout


# -- markup.py on its own --------------------------------------------------------------------------


def test_only_a_page_marker_makes_a_file_marked():
    assert has_markup("正文<pb:KR1a0001_tls_002-3a>正文")
    assert not has_markup("正文¶正文\n#+TITLE: 論語\n")
    assert not has_markup("<pb:>  <pb: x>")


def test_the_header_is_the_org_lines_at_the_top():
    text = "# -*- mode: mandoku-view; -*-\n#+TITLE: 論語\n\n#+DATE: 2016\n<pb:A_1a>¶\n子曰\n#+X: y\n"
    assert text[header_end(text) :].startswith("<pb:A_1a>")
    assert header_end("#1 第一\n") == 0


def test_markup_is_stripped_and_offsets_point_past_it():
    text = "學而<pb:A_1a>¶\n時習¶之"
    stripped, kept = strip_markup(text)
    assert stripped == "學而\n時習之"
    assert [text[offset] for offset in kept] == list(stripped)
    normalized = normalize(text, markup=True)
    assert normalized.text == "学而时习之"
    assert [text[offset] for offset in normalized.to_original[:-1]] == list("學而時習之")
    assert normalize(text).text != normalized.text  # without markup=True the marks are text


def test_a_passage_never_starts_inside_a_page_marker():
    # No comma, no space: the only place to cut the long sentence is the ':' inside the marker.
    text = "<pb:A_1a>" + "字" * 180 + "<pb:A_1b>" + "文" * 200 + "。"
    starts = [0, *passage_bounds(text)[1:]]
    assert any(text.rfind("<pb:", 0, start) > text.rfind(">", 0, start) for start in starts)  # the plain cut
    blocks = list(blocks_from_text("a.txt", text))
    marked_starts = blocks[0].text_starts
    assert text[marked_starts[1] :].startswith("<pb:A_1b>")
    assert blocks[0].normalized == "字" * 180 + "文" * 200 + "。"


def test_an_offset_inside_a_page_marker_moves_to_its_start():
    text = "ab<pb:KR_1a>cd"
    assert [marker_start(text, at) for at in range(len(text) + 1)] == [0, 1, 2, *[2] * 9, 12, 13, 14]
    assert starts_outside_markers(text, [0, 4, 9, 13]) == [0, 2, 13]


def test_a_page_marker_in_the_header_is_not_a_page():
    text = "#+TITLE: 論語\n#+PROPERTY: LASTPB <pb:A_9b>\n\n子曰<pb:A_1a>學而\n"
    pages = Pages.of(text, header_end(text))
    assert pages.names == ["A_1a"] and pages.before(text.index("子")) is None
    assert [block.markup for block in blocks_from_text("a.txt", text)] == [BlockMarkup(None)]


def test_block_markup_round_trips():
    for markup in (None, BlockMarkup(None), BlockMarkup("KR1a0001_tls_002-3a")):
        assert decode_block_markup(encode_block_markup(markup)) == markup
    assert encode_block_markup(None) == b""
