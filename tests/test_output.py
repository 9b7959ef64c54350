"""Printers: one line per hit, exact JSON, and no raw control characters on a terminal or in a pipe."""

from __future__ import annotations

import io
import json

from corpus_search.model import Hit, Match, Passage
from corpus_search.output import MAX_SHOWN, hit_json, hit_line, shown_path, write_counts, write_hits


def make_hit(text: str, needle: str, path: str = "a.txt", line: int = 3) -> Hit:
    start = text.index(needle)
    return Hit(Passage(path, line, text), 1.5, (Match(line, start, start + len(needle), needle),))


def test_plain_line_shows_line_breaks_as_spaces():
    hit = make_hit("彭城\n\n先锋关爱", "彭城\n\n先锋")
    assert hit_line(hit, color=False) == "a.txt:3:彭城  先锋关爱"


def test_color_line_highlights_the_match():
    hit = make_hit("成立临时党支部。", "临时党支部")
    assert hit_line(hit, color=True) == "\x1b[35ma.txt\x1b[0m:\x1b[32m3\x1b[0m:成立\x1b[1;31m临时党支部\x1b[0m。"


def test_control_characters_and_escapes_are_never_written_raw():
    hit = make_hit("前\x1b[31m红\x07后", "红")
    line = hit_line(hit, color=False)
    assert line == "a.txt:3:前\\x1b[31m红\\x07后"
    assert "\x1b" not in hit_line(hit, color=False)


def test_paths_stay_on_one_line():
    assert shown_path("dir/a\nb\tc\x1bd.txt") == "dir/a\\nb\\tc\\x1bd.txt"
    hit = make_hit("字", "字", path="x\ny:z.txt")
    assert hit_line(hit, color=False) == "x\\ny:z.txt:3:字"


def test_a_long_passage_is_clipped_around_its_match():
    text = "甲" * 300 + "临时党支部" + "乙" * 300
    shown = hit_line(make_hit(text, "临时党支部"), color=False).split(":", 2)[2]
    assert shown.startswith("…") and shown.endswith("…")
    assert "临时党支部" in shown and len(shown) == MAX_SHOWN + 2


def test_json_keeps_the_passage_as_written():
    hit = make_hit("彭城\r\n先锋", "彭城\r\n先锋")
    obj = json.loads(hit_json(hit))
    assert obj == {
        "path": "a.txt",
        "line": 3,
        "text": "彭城\r\n先锋",
        "score": 1.5,
        "matches": [{"line": 3, "start": 0, "end": 6, "text": "彭城\r\n先锋"}],
    }


def test_writers_count_what_they_write():
    stream = io.StringIO()
    assert write_hits([make_hit("一二", "一"), make_hit("三四", "四")], stream, "plain") == 2
    assert stream.getvalue() == "a.txt:3:一二\na.txt:3:三四\n"
    counts = io.StringIO()
    write_counts({"a.txt": 2, "b.txt": 1}, counts, "plain")
    assert counts.getvalue() == "a.txt:2\nb.txt:1\n"
