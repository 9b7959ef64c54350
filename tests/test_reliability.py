"""Crashes, Ctrl-C, concurrent use and damaged indexes: the index is never lost, no Traceback is shown.

The kill test indexes two novels here (linked many times over from the sample); set
CS_KILL_CORPUS=full to run it on all of ../shared/corpus.
"""

from __future__ import annotations

import errno
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from corpus_search.cli import cli

QUERIES = ["临时党支部", "宝玉", "孙悟空", "黛玉 宝钗", "将军 OR 丞相", "看秋月春风"]


def cs_command() -> list[str]:
    cs = shutil.which("cs", path=str(Path(sys.executable).parent))
    assert cs, "the cs command is not installed: pip install '.[test]'"
    return [cs]


def cs(*args: str, check_exit: tuple[int, ...] = (0, 1)) -> subprocess.CompletedProcess:
    result = subprocess.run([*cs_command(), *args], capture_output=True, text=True, check=False)
    assert result.returncode in check_exit, result.stderr
    assert "Traceback" not in result.stderr
    return result


def answers(index_dir: str) -> list[list[tuple]]:
    """What each query finds: (path, line, match texts) of every hit, in rank order."""
    found = []
    for query in QUERIES:
        out = cs("search", query, "--json", "-n", "0", "--index", index_dir).stdout
        rows = [json.loads(line) for line in out.splitlines()]
        found.append([(row["path"], row["line"], tuple(m["text"] for m in row["matches"])) for row in rows])
    return found


KILL_BYTES = 4_000_000  # about the two full novels: several seconds of indexing, for signals to arrive in


@pytest.fixture(scope="module")
def kill_corpus(corpus_dir: Path, tmp_path_factory) -> Path:
    """Two novels, linked as many times as it takes to reach KILL_BYTES: once from the full corpus,
    a dozen times from the sample, whose files are short."""
    if os.environ.get("CS_KILL_CORPUS") == "full":
        return corpus_dir
    corpus = tmp_path_factory.mktemp("kill-corpus")
    novels = [corpus_dir / "novels" / name for name in ("红楼梦.txt", "西游记.txt")]
    copies = -(-KILL_BYTES // sum(novel.stat().st_size for novel in novels))
    for copy in range(copies):
        for novel in novels:
            os.symlink(novel, corpus / f"{copy:02d}-{novel.name}")
    return corpus


def start_index(source: Path, index_dir: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*cs_command(), "index", str(source), "--index", index_dir, "--follow", "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # As a terminal would have it. A shell runs background jobs with SIGINT ignored, and a CI job
        # may pass that on; Python then never turns Ctrl-C into KeyboardInterrupt.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def test_kill_9_at_any_moment_keeps_the_previous_index(kill_corpus, seeds_dir, tmp_path):
    clean = str(tmp_path / "clean")
    cs("index", str(kill_corpus), "--index", clean, "--follow", "-q", check_exit=(0,))
    expected = answers(clean)

    index_dir = str(tmp_path / "index")
    cs("index", str(seeds_dir), "--index", index_dir, "-q", check_exit=(0,))
    before = answers(index_dir)
    started = time.monotonic()
    cs("index", str(kill_corpus), "--index", str(tmp_path / "timing"), "--follow", "-q", check_exit=(0,))
    full_time = time.monotonic() - started

    rng = random.Random(20261124)
    for _ in range(4):
        process = start_index(kill_corpus, index_dir)
        time.sleep(rng.uniform(0.05, full_time * 0.9))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait()
        now = answers(index_dir)  # answers with exit 0 or 1, never an error
        assert now in (before, expected)
        before = now
    cs("index", str(kill_corpus), "--index", index_dir, "--follow", "-q", check_exit=(0,))
    assert answers(index_dir) == expected


def test_ctrl_c_stops_at_once_and_keeps_the_index(kill_corpus, seeds_dir, tmp_path):
    index_dir = str(tmp_path / "index")
    cs("index", str(seeds_dir), "--index", index_dir, "-q", check_exit=(0,))
    before = answers(index_dir)
    process = start_index(kill_corpus, index_dir)
    time.sleep(1.5)
    assert process.poll() is None, "indexing ended before the interrupt could be tested"
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=10) == 130
    assert time.monotonic() - sent < 1.0
    assert process.stderr.read() == "cs: interrupted; the index was not changed\n"
    assert answers(index_dir) == before


HALF_SENT = """
import gc, os, struct, sys, time
from multiprocessing.queues import SimpleQueue
from corpus_search.workers import worker_pool

def half_a_result(flag):
    # The executor's result pipe, found in this worker: the first bytes of a 10 MB result go in,
    # and the rest never will. A worker killed halfway through sending what it found.
    results = next(o for o in gc.get_objects() if type(o) is SimpleQueue)
    os.write(results._writer.fileno(), struct.pack("!i", 10_000_000) + bytes(1000))
    open(flag, "w").close()
    time.sleep(60)

flag = sys.argv[1]
try:
    with worker_pool(2) as pool:
        pool.submit(half_a_result, flag)
        while not os.path.exists(flag):
            time.sleep(0.01)
        time.sleep(0.2)  # the executor's thread is now waiting for the rest
        raise KeyboardInterrupt
except KeyboardInterrupt:
    print("stopped")
"""


def test_ctrl_c_while_a_worker_is_sending_a_result_stops_at_once(tmp_path):
    """The rare CI hang of the test above, made certain: Ctrl-C lands while a worker is halfway
    through sending an analysed file, and the pool is still stopped at once."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", HALF_SENT, str(tmp_path / "sent")], capture_output=True, text=True, timeout=30
    )
    assert (done.stdout, done.returncode) == ("stopped\n", 0), done.stderr
    assert time.monotonic() - started < 10


def test_search_during_indexing_sees_the_old_or_the_new_index(kill_corpus, seeds_dir, tmp_path):
    index_dir = str(tmp_path / "index")
    cs("index", str(seeds_dir), "--index", index_dir, "-q", check_exit=(0,))
    old = cs("search", "党员", "-c", "--index", index_dir).stdout
    process = start_index(kill_corpus, index_dir)
    seen = set()
    while process.poll() is None:
        seen.add(cs("search", "党员", "-c", "--index", index_dir).stdout)
    assert process.returncode == 0
    new = cs("search", "党员", "-c", "--index", index_dir).stdout
    assert seen <= {old, new} and old != new


def test_a_second_indexer_waits_for_nothing_and_corrupts_nothing(kill_corpus, seeds_dir, tmp_path):
    index_dir = str(tmp_path / "index")
    cs("index", str(seeds_dir), "--index", index_dir, "-q", check_exit=(0,))
    first = start_index(kill_corpus, index_dir)
    time.sleep(1.0)
    second = cs("index", str(kill_corpus), "--index", index_dir, "--follow", check_exit=(2,))
    assert second.stderr == f"cs: another cs index is updating {index_dir}; wait for it to finish\n"
    assert first.wait() == 0
    clean = str(tmp_path / "clean")
    cs("index", str(kill_corpus), "--index", clean, "--follow", "-q", check_exit=(0,))
    assert answers(index_dir) == answers(clean)


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def small_index(seeds_dir: Path, tmp_path: Path) -> str:
    index_dir = str(tmp_path / "index")
    assert run("index", str(seeds_dir), "--index", index_dir, "-q").exit_code == 0
    return index_dir


def test_an_index_of_another_version_asks_for_a_rebuild(small_index, seeds_dir):
    manifest = Path(small_index) / "cs-manifest.json"
    data = json.loads(manifest.read_text())
    data["format"] = 999
    manifest.write_text(json.dumps(data))
    result = run("search", "临时", "--index", small_index)
    assert result.exit_code == 2
    assert result.stderr == (
        f"cs: index at {small_index} was written by another version of cs; rebuild it: cs index --rebuild DIR\n"
    )
    assert run("index", str(seeds_dir), "--index", small_index, "-q").exit_code == 0
    assert run("search", "临时党支部", "-c", "--index", small_index).exit_code == 0


def manifest_totals(index_dir: str) -> tuple[int, int]:
    files = json.loads((Path(index_dir) / "cs-manifest.json").read_text())["files"].values()
    return sum(entry["passages"] for entry in files), sum(entry["chars"] for entry in files)


def test_the_totals_read_on_open_are_the_manifest_entries_summed(seeds_dir, tmp_path):
    # A query reads only the manifest's head; it must say what the entries say after every update, and
    # a manifest without that head (keys in another order) is read whole.
    from corpus_search.store import open_index

    corpus, index_dir = tmp_path / "corpus", str(tmp_path / "index")
    shutil.copytree(seeds_dir, corpus)
    steps = [
        lambda: None,
        lambda: (corpus / "added.txt").write_text("临时党支部成立。\n" * 40, encoding="utf-8"),
        lambda: sorted(corpus.glob("*.txt"))[0].unlink(),
    ]
    for step in steps:
        step()
        assert run("index", str(corpus), "--index", index_dir, "-q").exit_code == 0
        opened = open_index(index_dir)
        assert (opened.passages, opened.chars) == manifest_totals(index_dir) != (0, 0)
    manifest = Path(index_dir) / "cs-manifest.json"
    data = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({"files": data.pop("files"), **{**data, "passages": 1, "chars": 1}}))
    opened = open_index(index_dir)
    assert (opened.passages, opened.chars) == manifest_totals(index_dir)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "delete"])
def test_a_damaged_index_says_so(small_index, seeds_dir, damage):
    for entry in Path(small_index).iterdir():
        if entry.suffix in (".pst", ".toc", ".col", ".trm", ".seg"):
            if damage == "truncate":
                entry.write_bytes(entry.read_bytes()[: entry.stat().st_size // 3])
            elif damage == "garbage":
                entry.write_bytes(os.urandom(entry.stat().st_size))
            else:
                entry.unlink()
    for query in ("临时党支部", "党", "NOT 党"):
        result = run("search", query, "--index", small_index)
        assert result.exit_code == 2, (damage, query, result.stdout)
        assert result.stderr.startswith(f"cs: index at {small_index} ")
        assert result.stderr.endswith("rebuild it: cs index --rebuild DIR\n")
        assert result.stderr.count("\n") == 1
    assert run("index", str(seeds_dir), "--index", small_index, "--rebuild", "-q").exit_code == 0
    assert run("search", "临时党支部", "-c", "--index", small_index).exit_code == 0


def part_files(index_dir: str) -> list[str]:
    return sorted(name for name in os.listdir(index_dir) if ".seg" in name)


def test_a_part_that_cannot_be_written_keeps_the_previous_index(small_index, seeds_dir, monkeypatch):
    """Parts are written in a background thread while the next one fills; a write that fails there still
    ends the run with one line and exit 2, and leaves the index as it was, without the parts written."""
    from corpus_search import segment

    before = run("search", "党员", "-c", "--index", small_index).stdout
    files_before = sorted(os.listdir(small_index))
    write_part, calls = segment.write_part, []

    def fail_the_second(path, *args):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)
        write_part(path, *args)

    monkeypatch.setattr(segment, "PART_CHARS", 2000)
    monkeypatch.setattr(segment, "write_part", fail_the_second)
    result = run("index", str(seeds_dir), "--index", small_index, "--rebuild")
    monkeypatch.undo()
    assert len(calls) == 2  # no part was started after the failure was seen
    assert result.exit_code == 2
    assert result.stderr == f"cs: cannot write the index at {small_index}: {os.strerror(errno.ENOSPC)}\n"
    assert sorted(os.listdir(small_index)) == files_before  # no part, nor the cancelled Whoosh segment's files
    assert run("search", "党员", "-c", "--index", small_index).stdout == before


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_a_full_or_read_only_disk_keeps_the_previous_index(small_index, tmp_path, monkeypatch, code):
    before = run("search", "党员", "-c", "--index", small_index).stdout
    files_before = sorted(os.listdir(small_index))
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "new.txt").write_text("新的党员名单。", encoding="utf-8")

    from whoosh.filedb.filestore import FileStorage

    def refuse(self, name, *args, **kwargs):
        raise OSError(code, os.strerror(code), name)

    monkeypatch.setattr(FileStorage, "create_file", refuse)
    result = run("index", str(tmp_path / "more"), "--index", small_index)
    monkeypatch.undo()
    assert result.exit_code == 2
    assert result.stderr == f"cs: cannot write the index at {small_index}: {os.strerror(code)}\n"
    assert sorted(os.listdir(small_index)) == files_before  # nor a temporary folder
    assert run("search", "党员", "-c", "--index", small_index).stdout == before
    # Whoosh's writer takes the write lock before it creates its files, and keeps it when that fails:
    # cs takes the lock itself and lets it go, so this process can update the index at once.
    assert run("index", str(tmp_path / "more"), "--index", small_index, "-q").exit_code == 0
