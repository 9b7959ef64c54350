"""The `cs` command in-process (CliRunner) and, once, as an installed program in a pipe."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from corpus_search.cli import cli
from corpus_search.normalize import normalize

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


@pytest.fixture(scope="module")
def seeds_cli_index(tmp_path_factory) -> str:
    """An index of `seeds` built through the CLI from the project root, so paths read seeds/…."""
    index_dir = str(tmp_path_factory.mktemp("cli") / "index")
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        result = run("index", "seeds", "--index", index_dir)
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("5 files (5 added, 0 updated, 0 removed, 0 unchanged): indexed 15,984 characters")
    return index_dir


def test_piped_output_is_path_line_passage(seeds_cli_index):
    result = run("search", "临时党组织", "--index", seeds_cli_index)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [line.split(":")[:2] for line in lines] == [
        ["seeds/003_fe8ee1085813ed00.txt", "11"],
        ["seeds/002_3e0b381a289ec2e7.txt", "15"],
        ["seeds/002_3e0b381a289ec2e7.txt", "29"],
    ]
    assert "臨時黨組織" in lines[1] and "\x1b" not in result.stdout
    assert result.stderr == ""


def test_either_script_finds_both(seeds_cli_index):
    simplified = run("search", "临时党组织", "--index", seeds_cli_index).stdout
    traditional = run("search", "臨時黨組織", "--index", seeds_cli_index).stdout
    assert simplified == traditional


def test_json_lines_follow_the_schema(seeds_cli_index):
    result = run("search", "彭城先锋", "--json", "--index", seeds_cli_index)
    hits = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(hit["path"], hit["line"]) for hit in hits] == [("seeds/001_1cb04fc48989cd85.txt", 49)] * 2
    for hit in hits:
        assert set(hit) == {"path", "line", "text", "score", "matches", "meta"}  # seeds/metadata.csv
        assert isinstance(hit["score"], float) and hit["meta"]["place"] == "徐州"
        for match in hit["matches"]:
            assert set(match) == {"line", "start", "end", "text"}
            assert hit["text"][match["start"] : match["end"]] == match["text"]
            assert normalize(match["text"]).text == "彭城先锋"
    assert sorted(match["text"] for hit in hits for match in hit["matches"]) == ["彭城\n\n先锋", "彭城先锋"]


def test_seed_quirks_are_found(seeds_cli_index):
    spaced = json.loads(run("search", "72名", "--json", "--index", seeds_cli_index).stdout.splitlines()[0])
    assert [match["text"] for match in spaced["matches"]] == ["72 名"]
    broken = json.loads(run("search", "建立健全", "--json", "--index", seeds_cli_index).stdout)
    assert [match["text"] for match in broken["matches"]] == ["建\n\n立健全"]
    assert broken["path"] == "seeds/000_b82ecbf800d4d854.txt"


def test_no_hit_exits_1_with_nothing_on_stdout(seeds_cli_index):
    result = run("search", "不存在的词语", "--index", seeds_cli_index)
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", '"临时'], 'cs: bad query: a " is not closed\n'),
        (["search", "(临时"], "cs: bad query: a ( is not closed\n"),
        (["search", "OR"], "cs: bad query: OR has nothing before it\n"),
        (
            ["search", "临时", "--index", "/nonexistent/index"],
            "cs: no index at /nonexistent/index — run: cs index DIR\n",
        ),
        (
            ["index", "/nonexistent/dir", "--index", "/tmp/cs-never-made"],
            "cs: no such file or directory: /nonexistent/dir\n",
        ),
        (["search", "临时", "--limit", "-1"], None),
        (["collocates", "临时", "--window", "51"], None),
        (["search"], None),
    ],
)
def test_errors_are_one_line_and_exit_2(seeds_cli_index, args, message):
    if "--index" not in args:
        args = [*args, "--index", seeds_cli_index]
    result = run(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("cs: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
    if message:
        assert result.stderr == message


def test_limit_cuts_and_says_so(seeds_cli_index):
    result = run("search", "党员", "-n", "2", "--index", seeds_cli_index)
    assert len(result.stdout.splitlines()) == 2
    total = len(run("search", "党员", "-n", "0", "--index", seeds_cli_index).stdout.splitlines())
    assert total > 20
    assert result.stderr == f"2 of {total} hits (--limit 0 shows all)\n"
    assert len(run("search", "党员", "--index", seeds_cli_index).stdout.splitlines()) == 20


def test_count_and_files_with_matches(seeds_cli_index):
    counts = run("search", "临时党组织", "--count", "--index", seeds_cli_index).stdout
    assert counts == "seeds/002_3e0b381a289ec2e7.txt:2\nseeds/003_fe8ee1085813ed00.txt:1\n"
    files = run("search", "临时党组织", "-l", "--index", seeds_cli_index).stdout
    assert files == "seeds/002_3e0b381a289ec2e7.txt\nseeds/003_fe8ee1085813ed00.txt\n"


def test_color_is_used_only_when_asked_or_on_a_terminal(seeds_cli_index):
    always = run("search", "彭城先锋", "--color", "always", "--index", seeds_cli_index).stdout
    assert "\x1b[1;31m彭城先锋\x1b[0m" in always
    assert "\x1b[1;31m彭城  先锋\x1b[0m" in always  # the line break inside the match shown as spaces
    never = run("search", "彭城先锋", "--color", "never", "--index", seeds_cli_index).stdout
    assert "\x1b" not in never
    no_color = run("search", "彭城先锋", "--color", "auto", "--index", seeds_cli_index, env={"NO_COLOR": "1"})
    assert no_color.stdout == never


def test_to_converts_the_script_of_passages(seeds_cli_index):
    traditional = run("search", "临时党组织", "--to", "t", "-n", "1", "--index", seeds_cli_index).stdout
    assert "臨時黨組織" in traditional
    simplified = run("search", "臨時黨組織", "--to", "s", "--json", "--index", seeds_cli_index).stdout
    hits = [json.loads(line) for line in simplified.splitlines()]
    assert {match["text"] for hit in hits for match in hit["matches"]} == {"临时党组织"}


def test_info_describes_the_index(seeds_cli_index):
    result = run("info", "--index", seeds_cli_index)
    assert result.exit_code == 0
    assert "files:    5\n" in result.stdout and "passages: 136\n" in result.stdout
    assert "chars:    15,984\n" in result.stdout
    assert "metadata: 5 files, fields author, place, script, source, title\n" in result.stdout  # seeds/metadata.csv


def test_index_follows_changes_additions_and_deletions(tmp_path):
    corpus = tmp_path / "texts"
    corpus.mkdir()
    (corpus / "a.txt").write_text("临时党支部成立了。\n", encoding="utf-8")
    (corpus / "b.txt").write_text("彭城先锋。\n", encoding="utf-8")
    index_dir = str(tmp_path / "index")
    assert run("index", str(corpus), "--index", index_dir).stderr.startswith("2 files (2 added, 0 updated, 0 removed")
    again = run("index", str(corpus), "--index", index_dir)
    assert again.stderr.startswith("2 files (0 added, 0 updated, 0 removed, 2 unchanged)")

    (corpus / "a.txt").write_text("这里没有了。\n", encoding="utf-8")
    (corpus / "b.txt").unlink()
    (corpus / "c.txt").write_text("新的临时党支部。\n", encoding="utf-8")
    changed = run("index", "--index", index_dir)  # no PATHS: the paths of the last run
    assert changed.stderr.startswith("2 files (1 added, 1 updated, 1 removed, 0 unchanged)")
    assert run("search", "临时党支部", "-l", "--index", index_dir).stdout == f"{corpus / 'c.txt'}\n"
    assert run("search", "彭城先锋", "--index", index_dir).exit_code == 1
    assert run("search", "没有", "-l", "--index", index_dir).stdout == f"{corpus / 'a.txt'}\n"


def test_cs_index_env_variable_names_the_index(seeds_cli_index):
    result = run("search", "临时党组织", "-c", env={"CS_INDEX": seeds_cli_index})
    assert result.exit_code == 0 and result.stdout.count("\n") == 2


def test_installed_cs_in_a_pipe(seeds_cli_index):
    cs = shutil.which("cs", path=str(Path(sys.executable).parent)) or shutil.which("cs")
    assert cs, "the cs command is not installed: pip install -e '.[test]'"
    piped = subprocess.run(
        [cs, "search", "临时党组织", "--index", seeds_cli_index], capture_output=True, text=True, check=False
    )
    assert piped.returncode == 0 and "\x1b" not in piped.stdout
    assert [line.split(":")[1] for line in piped.stdout.splitlines()] == ["11", "15", "29"]
    # A reader that leaves early is no error: no traceback, exit status of cs is 0.
    shell = subprocess.run(
        f"'{cs}' search 党 -n 0 --index '{seeds_cli_index}' | head -1; echo \"${{PIPESTATUS[0]}}\"",
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
        check=False,
    )
    first, status = shell.stdout.splitlines()
    assert first.startswith("seeds/") and status == "0"
    assert shell.stderr == ""


def test_progress_line_reports_files_characters_and_time_left():
    from corpus_search.cli import progress_line

    line = progress_line(3, 12, 250, 1000, 1_234_567, elapsed=3.0)
    assert line == "indexing 3/12 files, 1,234,567 characters, 25%, about 9 s left"


def test_progress_shows_on_a_terminal_only(seeds_dir, tmp_path):
    cs = shutil.which("cs", path=str(Path(sys.executable).parent)) or shutil.which("cs")
    controller, terminal = os.openpty()
    try:
        process = subprocess.run(
            [cs, "index", str(seeds_dir), "--index", str(tmp_path / "tty")],
            stdout=subprocess.PIPE,
            stderr=terminal,
            check=True,
        )
        os.close(terminal)
        shown = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(controller)
    assert process.stdout == b""
    assert b"\rindexing 5/5 files, 15,984 characters, 100%, about 0 s left" in shown
    piped = subprocess.run(
        [cs, "index", str(seeds_dir), "--index", str(tmp_path / "pipe")], capture_output=True, text=True, check=True
    )
    assert "indexing" not in piped.stderr and "\r" not in piped.stderr
    quiet = run("index", str(seeds_dir), "--index", str(tmp_path / "quiet"), "-q")
    assert (quiet.exit_code, quiet.stderr) == (0, "")
