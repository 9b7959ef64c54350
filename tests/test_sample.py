"""The sample corpus in tests/data: what a bare clone tests on, so it must keep every quirk that matters."""

from __future__ import annotations

import runpy
from pathlib import Path

from conftest import SAMPLE_CORPUS, SAMPLE_TANG, corpus_for_tests, full_corpus
from corpus_search.loader import read_text
from corpus_search.normalize import to_simplified

NOVELS = ["三国演义.txt", "水浒传.txt", "红楼梦.txt", "西游记.txt"]


def test_a_bare_clone_tests_on_the_sample(tmp_path):
    nowhere = tmp_path / "shared"  # no ../shared beside the checkout
    assert full_corpus({}, nowhere) is None
    assert corpus_for_tests({}, nowhere) == SAMPLE_CORPUS


def test_the_full_corpus_is_taken_where_there_is_one(tmp_path):
    (tmp_path / "shared" / "corpus").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    assert corpus_for_tests({}, tmp_path / "shared") == tmp_path / "shared" / "corpus"
    named = {"CS_TEST_CORPUS": str(tmp_path / "elsewhere")}
    assert corpus_for_tests(named, tmp_path / "shared") == tmp_path / "elsewhere"


def test_the_sample_holds_the_files_the_tests_index_and_stays_small():
    files = sorted(path.relative_to(SAMPLE_CORPUS).as_posix() for path in SAMPLE_CORPUS.rglob("*.txt"))
    assert files == sorted([f"novels/{name}" for name in NOVELS] + [f"tang/{name}" for name in SAMPLE_TANG])
    data = SAMPLE_CORPUS.parent
    assert sum(path.stat().st_size for path in data.rglob("*") if path.is_file()) <= 1_000_000
    notice = (SAMPLE_CORPUS / "README.md").read_text(encoding="utf-8")
    assert "Copyright (c) 2016 JackeyGao" in notice and "public domain" in notice


def test_the_novels_keep_crlf_hard_wraps_and_ideographic_spaces():
    texts = {name: (SAMPLE_CORPUS / "novels" / name).read_bytes().decode("utf-8") for name in NOVELS}
    for name, text in texts.items():
        assert text.count("\r\n") == text.count("\n") > 300, name
        assert text.endswith("\r\n"), name
    assert "惯\r\n\r\n    看秋月春风" in texts["三国演义.txt"]
    assert "\u3000" in texts["水浒传.txt"] and "\u3000" in texts["红楼梦.txt"]


def test_the_poems_are_traditional_with_a_blank_line_between_poems():
    for name in SAMPLE_TANG:
        text = read_text(str(SAMPLE_CORPUS / "tang" / name))
        poems = text.split("\n\n")
        assert len(poems) > 50 and text.endswith("\n\n") and "\r" not in text, name
        assert to_simplified(text) != text, name  # traditional script: t2s changes it


def test_the_sample_is_a_prefix_of_the_full_corpus(big_corpus_dir):
    for path in SAMPLE_CORPUS.rglob("*.txt"):
        original = big_corpus_dir / path.relative_to(SAMPLE_CORPUS)
        with open(original, "rb") as handle:
            assert handle.read(path.stat().st_size) == path.read_bytes(), path.name


def test_conftest_names_the_same_poem_files_as_the_cutter():
    cutter = runpy.run_path(str(Path(__file__).parent / "data" / "make_sample.py"))
    assert cutter["POEM_FILES"] == SAMPLE_TANG
