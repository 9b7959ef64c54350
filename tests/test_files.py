"""Files found in the wild: every encoding, bad bytes, binaries, odd names, links, huge lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from corpus_search.cli import cli
from corpus_search.loader import read_text

PASSAGE_QUERY = "猴王"


@pytest.fixture(scope="module")
def novel_text(corpus_dir: Path) -> str:
    """Real text: the first chapter of 西游记, which names 猴王 many times."""
    return read_text(str(corpus_dir / "novels" / "西游记.txt"))[:6000]


@pytest.fixture(scope="module")
def poem_text(corpus_dir: Path) -> str:
    """Real traditional-script text, as Big5 holds it."""
    return read_text(str(corpus_dir / "tang" / "全唐诗_poet.tang.0.txt"))[:3000]


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def index(tmp_path: Path, *extra: str):
    return run("index", str(tmp_path / "in"), "--index", str(tmp_path / "index"), *extra)


def hits(tmp_path: Path, query: str) -> list[dict]:
    result = run("search", query, "--json", "-n", "0", "--index", str(tmp_path / "index"))
    return [json.loads(line) for line in result.stdout.splitlines()]


def make_tree(tmp_path: Path, files: dict[str, bytes]) -> Path:
    root = tmp_path / "in"
    root.mkdir()
    for name, data in files.items():
        (root / name).write_bytes(data)
    return root


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "gb18030", "gbk"])
def test_encodings_are_read(tmp_path, novel_text, encoding):
    data = novel_text.encode(encoding)
    if encoding in ("utf-16-le", "utf-16-be"):
        data = ("\ufeff" + novel_text).encode(encoding)  # with a byte-order mark, as files carry it
    make_tree(tmp_path, {"a.txt": data})
    result = index(tmp_path)
    assert result.exit_code == 0 and "warning" not in result.stderr
    found = hits(tmp_path, PASSAGE_QUERY)
    assert len(found) > 10
    assert all(not found_hit["text"].startswith("\ufeff") for found_hit in found)
    assert [(h["line"], h["text"]) for h in found] == hits_for_utf8(tmp_path, novel_text)


def hits_for_utf8(tmp_path: Path, text: str) -> list[tuple[int, str]]:
    other = tmp_path / "reference"
    (other / "in").mkdir(parents=True)
    (other / "in" / "a.txt").write_text(text, encoding="utf-8")
    run("index", str(other / "in"), "--index", str(other / "index"))
    return [(h["line"], h["text"]) for h in hits(other, PASSAGE_QUERY)]


def test_big5_is_detected_and_found_in_either_script(tmp_path, poem_text):
    make_tree(tmp_path, {"poems.txt": poem_text.encode("big5", errors="ignore")})
    assert index(tmp_path).exit_code == 0
    found = hits(tmp_path, "壯皇居")
    assert len(found) == 1 and "秦川雄帝宅，函谷壯皇居。" in found[0]["text"]
    assert hits(tmp_path, "壮皇居") == found


def test_encoding_can_be_forced(tmp_path, novel_text):
    make_tree(tmp_path, {"a.txt": novel_text.encode("gb18030")})
    assert index(tmp_path, "--encoding", "gb18030").exit_code == 0
    assert len(hits(tmp_path, PASSAGE_QUERY)) > 10
    bad = index(tmp_path, "--encoding", "no-such-codec")
    assert (bad.exit_code, bad.stderr) == (2, "cs: unknown encoding: no-such-codec\n")


def test_invalid_bytes_are_replaced_with_one_warning(tmp_path, novel_text):
    data = novel_text.encode("utf-8")
    middle = len(data) // 2
    middle -= 1 if data[middle] & 0xC0 == 0x80 else 0
    while data[middle] & 0xC0 == 0x80:
        middle -= 1
    make_tree(tmp_path, {"bad.txt": data[:middle] + b"\xff\xfe" + data[middle:]})
    result = index(tmp_path)
    assert result.exit_code == 0
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert warnings == [f"cs: warning: {tmp_path / 'in' / 'bad.txt'}: 2 bytes that are not utf-8 replaced by U+FFFD"]
    assert len(hits(tmp_path, PASSAGE_QUERY)) > 10


def test_binary_files_are_skipped_with_a_warning(tmp_path, novel_text):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
    make_tree(tmp_path, {"image.txt": png, "text.txt": novel_text.encode("utf-8")})
    result = index(tmp_path)
    assert result.exit_code == 0
    assert f"cs: warning: skipped {tmp_path / 'in' / 'image.txt'}: not a text file\n" in result.stderr
    assert "1 skipped" in result.stderr
    assert {Path(hit["path"]).name for hit in hits(tmp_path, PASSAGE_QUERY)} == {"text.txt"}


def test_empty_and_blank_files_hold_nothing(tmp_path):
    make_tree(tmp_path, {"empty.txt": b"", "blank.txt": " \n\r\n\u3000\n".encode()})
    result = index(tmp_path)
    assert result.exit_code == 0
    assert result.stderr.startswith("2 files (2 added")
    assert run("search", "字", "--index", str(tmp_path / "index")).exit_code == 1


def test_unreadable_and_vanished_files_are_named_and_the_rest_indexed(tmp_path, novel_text, monkeypatch):
    make_tree(tmp_path, {"good.txt": novel_text.encode("utf-8"), "locked.txt": b"x"})
    real_open = open

    def failing_open(path, *args, **kwargs):
        if str(path).endswith("locked.txt"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", failing_open)
    result = run("index", str(tmp_path / "in"), "--index", str(tmp_path / "index"), "-q")
    monkeypatch.undo()
    assert result.exit_code == 0
    assert result.stderr == f"cs: warning: cannot read {tmp_path / 'in' / 'locked.txt'}: Permission denied\n"
    assert len(hits(tmp_path, PASSAGE_QUERY)) > 10


def test_nothing_readable_is_an_error(tmp_path, monkeypatch):
    make_tree(tmp_path, {"a.txt": b"\x00\x01binary"})
    result = index(tmp_path)
    assert result.exit_code == 2
    assert result.stderr.endswith("cs: none of the 1 files could be read; the index was not changed\n")


def test_no_matching_files_is_an_error(tmp_path):
    make_tree(tmp_path, {"a.log": "字".encode(), "metadata.csv": b"path,title\na.log,x\n"})
    result = index(tmp_path)
    every = "*.txt *.md *.html *.htm *.docx *.epub *.xml *.pdf *.jsonl *.json *.csv *.tsv"  # not metadata.csv
    assert (result.exit_code, result.stderr) == (2, f"cs: no files matching {every} under {tmp_path / 'in'}\n")
    result = index(tmp_path, "--glob", "*.pdf")
    assert (result.exit_code, result.stderr) == (2, f"cs: no files matching *.pdf under {tmp_path / 'in'}\n")
    assert index(tmp_path, "--glob", "*.log").exit_code == 0


def test_links_are_followed_only_when_asked_and_loops_end(tmp_path, novel_text):
    root = make_tree(tmp_path, {"a.txt": novel_text.encode("utf-8")})
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "b.txt").write_text("外面的猴王。", encoding="utf-8")
    (root / "out").symlink_to(outside)
    (root / "loop").symlink_to(root)
    (root / "linked.txt").symlink_to(outside / "b.txt")
    assert index(tmp_path).exit_code == 0
    assert {Path(hit["path"]).name for hit in hits(tmp_path, PASSAGE_QUERY)} == {"a.txt"}
    followed = index(tmp_path, "--follow")
    assert followed.exit_code == 0
    paths = sorted({hit["path"] for hit in hits(tmp_path, "外面的猴王")})
    assert paths == [str(root / "linked.txt"), str(root / "out" / "b.txt")]


def test_odd_file_names_stay_one_hit_per_line(tmp_path):
    root = tmp_path / "in"
    root.mkdir()
    names = ["with space.txt", "co:lon.txt", "new\nline.txt"]
    for name in names:
        (root / name).write_text("奇怪的名字。", encoding="utf-8")
    with open(os.fsencode(root) + b"/bytes-\xff.txt", "w", encoding="utf-8") as handle:
        handle.write("奇怪的名字。")
    assert index(tmp_path).exit_code == 0
    plain = run("search", "奇怪", "--index", str(tmp_path / "index")).stdout
    lines = plain.splitlines()
    assert len(lines) == 4
    shown = sorted(line.rsplit(":", 2)[0].rsplit("/", 1)[1] for line in lines)
    assert shown == ["bytes-\\xff.txt", "co:lon.txt", "new\\nline.txt", "with space.txt"]
    as_json = sorted(Path(hit["path"]).name for hit in hits(tmp_path, "奇怪"))
    assert as_json == ["bytes-\\xff.txt", "co:lon.txt", "new\nline.txt", "with space.txt"]


def test_control_characters_in_text_are_never_written_raw(tmp_path):
    make_tree(tmp_path, {"a.txt": "前\x1b[2J\x1b[31m红色\x07后。\n".encode()})
    assert index(tmp_path).exit_code == 0
    for color in ("always", "never"):
        out = run("search", "红色", "--color", color, "--index", str(tmp_path / "index")).stdout
        assert "\x1b[2J" not in out and "\x07" not in out
        assert "\\x1b[2J\\x1b[31m" in out
    assert hits(tmp_path, "红色")[0]["text"] == "前\x1b[2J\x1b[31m红色\x07后。"


def test_a_50_mb_line_is_indexed_in_bounded_memory(tmp_path, corpus_dir):
    """Real text with its line breaks taken out: one line of 50 MB, indexed in a child process."""
    text = read_text(str(corpus_dir / "novels" / "红楼梦.txt")).replace("\r\n", "").replace("\n", "")
    line = (text * (50_000_000 // len(text.encode("utf-8")) + 1)).encode("utf-8")[:50_000_000]
    line = line.decode("utf-8", errors="ignore").encode("utf-8")
    make_tree(tmp_path, {"huge.txt": line})
    code = (
        "import resource, sys; from corpus_search import build_index; "
        f"build_index([{str(tmp_path / 'in')!r}], {str(tmp_path / 'index')!r}); "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    peak_kib = int(child.stdout.strip())
    assert peak_kib < 1024 * 1024, f"peak RSS {peak_kib} KiB"
    result = run("search", "贾宝玉", "--json", "-n", "3", "--index", str(tmp_path / "index"))
    found = [json.loads(row) for row in result.stdout.splitlines()]
    assert len(found) == 3
    assert all(hit["line"] == 1 and len(hit["text"]) <= 400 for hit in found)
