"""`cs index --dict`: a jieba user dictionary stored with the index, on the seeds.

jieba cuts the seeds' 临时党支部 as 临时 / 党支部 and 彭城先锋 as 彭 / 城 / 先锋; `--words` accepts a run of
whole words, so `--words 临时党支部` finds the same three hits with or without the dictionary. What the
dictionary changes is where words end: with 彭城先锋 a word, 彭城 is no longer one there; and 党旗, which
jieba cuts 党 / 旗飘扬 and 党 / 旗下 in 002, becomes a whole word there once it has a frequency of 1000.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from corpus_search import build_index
from corpus_search.analysis import UserWord
from corpus_search.cli import cli
from corpus_search.errors import CorpusSearchError
from corpus_search.userdict import parse_user_dict

ROOT = Path(__file__).resolve().parent.parent
WORDS = "临时党支部\n彭城先锋\n党旗 1000\n"
SEED_001 = "seeds/001_1cb04fc48989cd85.txt"
SEED_002 = "seeds/002_3e0b381a289ec2e7.txt"

WITHOUT = {
    "党旗": ["seeds/000_b82ecbf800d4d854.txt:1", f"{SEED_002}:1", "seeds/003_fe8ee1085813ed00.txt:3",
            "seeds/004_2370f710414c8349.txt:1"],
    "彭城": [f"{SEED_001}:2"],
    "临时党支部": ["seeds/000_b82ecbf800d4d854.txt:1", "seeds/003_fe8ee1085813ed00.txt:1",
              "seeds/004_2370f710414c8349.txt:1"],
}  # fmt: skip
WITH = {**WITHOUT, "党旗": [*WITHOUT["党旗"][:1], f"{SEED_002}:3", *WITHOUT["党旗"][2:]], "彭城": []}


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def at_root(monkeypatch):
    """Run from the project root, so hits read seeds/…."""
    monkeypatch.chdir(ROOT)


def whole_word_counts(index_dir: str) -> dict[str, list[str]]:
    """`cs search --words QUERY --count` for each query of WITHOUT."""
    found = {}
    for query in WITHOUT:
        result = run("search", "--words", query, "--count", "--index", index_dir)
        assert result.exit_code == (0 if result.stdout else 1)
        found[query] = result.stdout.splitlines()
    return found


def index(*args: str):
    result = run("index", *args)
    assert result.exit_code == 0, result.stderr
    return result


def write_dict(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_the_dictionary_decides_whole_words_not_matches(tmp_path, at_root):
    index_dir = str(tmp_path / "index")
    index("seeds", "--index", index_dir)
    assert whole_word_counts(index_dir) == WITHOUT
    plain = run("search", "党旗", "彭城", "OR", "临时党支部", "--json", "-n", "0", "--index", index_dir).stdout
    assert run("info", "--index", index_dir).stdout.splitlines().count("dict:     none") == 1

    words = write_dict(tmp_path / "words.txt", WORDS)
    result = index("seeds", "--index", index_dir, "--dict", words)
    assert result.stderr.startswith("5 files (0 added, 5 updated, 0 removed, 0 unchanged): indexed 15,984 characters")
    assert whole_word_counts(index_dir) == WITH
    after = run("search", "党旗", "彭城", "OR", "临时党支部", "--json", "-n", "0", "--index", index_dir).stdout
    assert sorted(map(match_spans, after.splitlines())) == sorted(map(match_spans, plain.splitlines()))
    sha256 = hashlib.sha256(WORDS.encode()).hexdigest()
    assert run("info", "--index", index_dir).stdout.splitlines().count(f"dict:     3 words (sha256 {sha256[:12]})") == 1


def match_spans(line: str) -> tuple:
    """A hit without its score: ranking may change with the dictionary, what is found may not."""
    hit = json.loads(line)
    return hit["path"], hit["line"], tuple((match["start"], match["end"]) for match in hit["matches"])


def test_the_stored_dictionary_is_kept_until_changed_or_dropped(tmp_path, at_root):
    index_dir = str(tmp_path / "index")
    words = write_dict(tmp_path / "words.txt", WORDS)
    index("seeds", "--index", index_dir, "--dict", words)
    stored = Path(index_dir, "cs-userdict.txt")
    manifest = json.loads(Path(index_dir, "cs-manifest.json").read_text(encoding="utf-8"))
    assert stored.read_text(encoding="utf-8") == WORDS
    assert manifest["user_dict"] == {"sha256": hashlib.sha256(WORDS.encode()).hexdigest(), "words": 3}

    unchanged = "5 files (0 added, 0 updated, 0 removed, 5 unchanged): indexed 0 characters in 0 passages"
    assert index("--index", index_dir).stderr.startswith(unchanged)
    assert index("--index", index_dir, "--dict", words).stderr.startswith(unchanged)
    assert whole_word_counts(index_dir) == WITH

    # The content is stored, not the path: editing the file changes nothing until it is given again.
    write_dict(tmp_path / "words.txt", "临时党支部\n")
    assert index("--index", index_dir).stderr.startswith(unchanged)
    assert whole_word_counts(index_dir) == WITH
    updated = "5 files (0 added, 5 updated, 0 removed, 0 unchanged): indexed 15,984 characters in 136 passages"
    assert index("--index", index_dir, "--dict", words).stderr.startswith(updated)
    assert whole_word_counts(index_dir) == WITHOUT
    assert stored.read_text(encoding="utf-8") == "临时党支部\n"
    assert index("--index", index_dir).stderr.startswith(unchanged)

    # A stored copy that differs from the manifest's (a run killed before its commit) is finished next time.
    stored.write_text(WORDS, encoding="utf-8")
    assert index("--index", index_dir).stderr.startswith(updated)
    assert whole_word_counts(index_dir) == WITH

    assert index("--index", index_dir, "--rebuild").stderr.startswith(updated)
    assert whole_word_counts(index_dir) == WITH

    assert index("--index", index_dir, "--no-dict").stderr.startswith(updated)
    assert whole_word_counts(index_dir) == WITHOUT
    assert not stored.exists()
    assert "user_dict" not in json.loads(Path(index_dir, "cs-manifest.json").read_text(encoding="utf-8"))
    assert index("--index", index_dir).stderr.startswith(unchanged)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("临时党支部\n临时 党支部\n", "line 2: '临时 党支部' is not `word [frequency] [tag]`"),
        ("党旗 NR\n", "line 1: '党旗 NR' is not `word [frequency] [tag]`"),
        ("党旗 1000 n x\n", "line 1: '党旗 1000 n x' is not `word [frequency] [tag]`"),
        ("临时党支部\n\n".encode() + "彭城先锋".encode("gb18030"), "line 3: not UTF-8"),
        (None, "cannot read the dictionary"),
    ],
    ids=["space in a word", "upper-case tag", "extra field", "not UTF-8", "missing"],
)
def test_a_bad_dictionary_is_one_line_and_leaves_the_index(tmp_path, at_root, content, message):
    index_dir = str(tmp_path / "index")
    index("seeds", "--index", index_dir, "--dict", write_dict(tmp_path / "words.txt", WORDS))
    before = {entry.name: entry.read_bytes() for entry in Path(index_dir).iterdir()}
    answers = whole_word_counts(index_dir)
    bad = tmp_path / "bad.txt"
    if isinstance(content, str):
        bad.write_text(content, encoding="utf-8")
    elif content is not None:
        bad.write_bytes(content)

    result = run("index", "seeds", "--index", index_dir, "--dict", str(bad))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"cs: {'cannot read the dictionary ' if content is None else 'dictionary '}{bad}")
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert {entry.name: entry.read_bytes() for entry in Path(index_dir).iterdir()} == before
    assert whole_word_counts(index_dir) == answers == WITH


def index_state(index_dir: str) -> dict[str, bytes]:
    """The files that say what the index holds: Whoosh's table of contents, the manifest, the dictionary."""
    return {
        entry.name: entry.read_bytes()
        for entry in Path(index_dir).iterdir()
        if entry.name.endswith((".toc", ".json", ".txt"))
    }


def test_a_failed_commit_puts_the_previous_dictionary_back(tmp_path, at_root, monkeypatch):
    index_dir = str(tmp_path / "index")
    index("seeds", "--index", index_dir, "--dict", write_dict(tmp_path / "words.txt", WORDS))
    before = index_state(index_dir)
    from whoosh.writing import SegmentWriter

    def full_disk(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(SegmentWriter, "commit", full_disk)
    result = run("index", "seeds", "--index", index_dir, "--dict", write_dict(tmp_path / "other.txt", "临时党支部\n"))
    monkeypatch.undo()
    assert result.exit_code == 2
    assert result.stderr == f"cs: cannot write the index at {index_dir}: {os.strerror(errno.ENOSPC)}\n"
    assert index_state(index_dir) == before  # Whoosh leaves the cancelled segment's files; nothing uses them
    assert whole_word_counts(index_dir) == WITH


def test_dict_and_no_dict_exclude_each_other(tmp_path):
    result = run("index", "seeds", "--index", str(tmp_path / "index"), "--dict", "words.txt", "--no-dict")
    assert result.exit_code == 2
    assert result.stderr.startswith("cs: --dict and --no-dict exclude each other (see: ")
    assert not (tmp_path / "index").exists()


def word_totals(index_dir: str) -> Counter:
    """Occurrences of each word over the `words` column of every block."""
    from whoosh import index as whoosh_index

    totals: Counter = Counter()
    with whoosh_index.open_dir(index_dir).reader() as reader:
        column = reader.column_reader("words")
        for docnum in reader.all_doc_ids():
            for line in column[docnum].decode("utf-8").splitlines():
                word, count = line.split("\t")
                totals[word] += int(count)
    return totals


@pytest.mark.parametrize("workers", [1, 2])
def test_word_counts_hold_the_dictionary_words(seeds_dir, tmp_path, workers):
    plain, with_dict = str(tmp_path / "plain"), str(tmp_path / "dict")
    build_index([str(seeds_dir)], plain, workers=workers)
    build_index([str(seeds_dir)], with_dict, workers=workers, user_dict=write_dict(tmp_path / "words.txt", WORDS))
    before, after = word_totals(plain), word_totals(with_dict)
    words = ("临时党支部", "临时", "党支部", "彭城先锋", "彭", "党旗", "旗飘扬", "旗下")
    assert [before[word] for word in words] == [0, 9, 5, 0, 2, 9, 2, 1]
    assert [after[word] for word in words] == [3, 6, 2, 2, 0, 12, 0, 0]


def test_dictionary_words_are_normalised_like_the_text():
    data = "\ufeff臨時黨支部 12 nt\n\nCOVID-19 n\n  党旗\t1000  \n".encode()
    parsed = parse_user_dict(data, "words.txt")
    assert parsed.words == (UserWord("临时党支部", 12, "nt"), UserWord("covid-19", None, "n"), UserWord("党旗", 1000))
    assert parsed.sha256 == hashlib.sha256(data).hexdigest()
    with pytest.raises(CorpusSearchError, match=r"^dictionary words.txt, line 2: 'a\\x00b' is not"):
        parse_user_dict(b"ok\na\x00b\n", "words.txt")


WRITE_PATH = ("corpus_search.indexing", "corpus_search.workers", "corpus_search.userdict")


def test_search_never_loads_jieba_nor_the_write_path(tmp_path, seeds_dir):
    index_dir = str(tmp_path / "index")
    build_index([str(seeds_dir)], index_dir, user_dict=write_dict(tmp_path / "words.txt", WORDS))
    program = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from corpus_search.cli import cli\n"
        f"result = CliRunner().invoke(cli, ['search', '--words', '党旗', '--count', '--index', {index_dir!r}])\n"
        f"loaded = sorted(m for m in sys.modules if 'jieba' in m or m in {WRITE_PATH!r})\n"
        "print(result.exit_code, len(result.stdout.splitlines()), loaded)\n"
    )
    env = {key: value for key, value in os.environ.items() if key != "CS_INDEX"}
    output = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=env, check=True)
    assert output.stdout == "0 4 []\n"
