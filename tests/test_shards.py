"""Sharded indexes (shards.py): the same files in N shards give every command's output byte for byte as
one index does, and a later run keeps each file in its shard and leaves unchanged shards alone."""

from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpus_search import build_index
from corpus_search.normalize import is_han
from corpus_search.shards import CATALOG, read_catalog
from test_cli import run


@pytest.fixture(scope="module")
def sharded_sample(sample_dir: Path, tmp_path_factory) -> str:
    index_dir = str(tmp_path_factory.mktemp("sharded") / "index")
    report = build_index([str(sample_dir)], index_dir, shards=3, follow_links=True)
    assert report.files == report.added > 3 and not report.warnings
    return index_dir


@pytest.fixture(scope="module")
def sharded_seeds(seeds_dir: Path, tmp_path_factory) -> str:
    index_dir = str(tmp_path_factory.mktemp("sharded-seeds") / "index")
    build_index([str(seeds_dir)], index_dir, shards=2)
    return index_dir


COMMANDS = [
    ("search", "-n", "0", "--json"),
    ("search", "-n", "5"),
    ("search", "--count"),
    ("kwic", "--json"),
    ("kwic", "--sort", "right", "--width", "6"),
    ("count",),
    ("count", "--by", "file", "--json"),
    ("plot", "--json"),
    ("collocates", "--json", "--min-count", "2"),
    ("search", "-n", "0", "--json", "--path", "novels/*"),
]


def outputs(index_dir: str, query: str) -> list[tuple[int, str]]:
    return [
        (result.exit_code, result.stdout)
        for result in (run(*c[:1], query, *c[1:], "--index", index_dir) for c in COMMANDS)
    ]


def test_the_shards_split_the_files_and_the_catalog_names_each_ones_shard(sharded_sample, sample_index):
    catalog = read_catalog(sharded_sample)
    assert catalog is not None and catalog.shards == 3
    assert set(catalog.files.values()) == {0, 1, 2}
    info = run("info", "--index", sharded_sample).stdout.splitlines()
    single = run("info", "--index", sample_index).stdout.splitlines()
    assert "shards:   3" in info
    assert [line for line in info if line.startswith(("files", "chars", "passages"))] == [
        line for line in single if line.startswith(("files", "chars", "passages"))
    ]


@pytest.mark.parametrize("query", ["宝玉", "明月", "不知 OR 天下", '"说道" NOT 宝玉', "明月 NEAR/4 风", "行*", "的"])
def test_every_command_answers_as_one_index_does(sharded_sample, sample_index, query):
    found = outputs(sharded_sample, query)
    assert found == outputs(sample_index, query)
    assert any(stdout for _, stdout in found)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_terms_answer_as_one_index_does(sharded_sample, sample_index, oracle, data):
    entry = data.draw(st.sampled_from(oracle))
    start = data.draw(st.integers(0, len(entry.text) - 4))
    term = entry.text[start : start + data.draw(st.integers(1, 3))]
    if not all(map(is_han, term)):
        term = "之"
    for command in (("search", "-n", "0", "--json"), ("count",), ("kwic", "--json")):
        ours, theirs = (
            run(command[0], term, *command[1:], "--index", index) for index in (sharded_sample, sample_index)
        )
        assert (ours.exit_code, ours.stdout) == (theirs.exit_code, theirs.stdout), term


def test_metadata_where_and_by_answer_as_one_index_does(sharded_seeds, seeds_index):
    for args in (
        ("search", "党员", "-n", "0", "--json", "--where", "place~*州"),
        ("count", "党员", "--by", "place", "--json"),
        ("kwic", "疫情", "--csv", "--where", "script=simplified"),
    ):
        ours, theirs = (run(*args, "--index", index) for index in (sharded_seeds, seeds_index))
        assert (ours.exit_code, ours.stdout) == (theirs.exit_code, theirs.stdout)
        assert ours.stdout


def snapshot(directory: str) -> dict[str, int]:
    return {entry.path: entry.stat().st_mtime_ns for entry in os.scandir(directory)}


def test_a_later_run_keeps_each_file_in_its_shard_and_leaves_unchanged_shards_alone(corpus_dir, tmp_path):
    folder = tmp_path / "in"
    shutil.copytree(corpus_dir / "novels", folder)
    index_dir = str(tmp_path / "index")
    assert run("index", str(folder), "--index", index_dir, "--shards", "3").exit_code == 0
    before = read_catalog(index_dir)
    changed = sorted(folder.glob("*.txt"))[0]
    shard = before.files[str(changed)]
    others = {number: snapshot(os.path.join(index_dir, f"shard-{number}")) for number in range(3) if number != shard}
    with open(changed, "a", encoding="utf-8") as handle:
        handle.write("\n新加的一句话：分片不动。\n")
    again = run("index", "--index", index_dir)  # no --shards: the index stays in its 3 shards
    assert again.stderr.startswith("4 files (0 added, 1 updated, 0 removed, 3 unchanged)"), again.stderr
    assert read_catalog(index_dir).files == before.files
    for number, files in others.items():
        assert snapshot(os.path.join(index_dir, f"shard-{number}")) == files  # not written to
    assert run("search", "分片不动", "-l", "--index", index_dir).stdout == f"{changed}\n"
    (folder / "new.txt").write_text("又一个新文件", encoding="utf-8")
    run("index", "--index", index_dir)
    after = read_catalog(index_dir)
    assert {path: after.files[path] for path in before.files} == before.files and str(folder / "new.txt") in after.files


def test_the_number_of_shards_changes_only_with_rebuild(seeds_dir, tmp_path):
    index_dir = str(tmp_path / "index")
    assert run("index", str(seeds_dir), "--index", index_dir).exit_code == 0
    refused = run("index", str(seeds_dir), "--index", index_dir, "--shards", "2")
    assert (refused.exit_code, refused.stderr) == (
        2,
        f"cs: index at {index_dir} is not sharded; to shard it: cs index --rebuild --shards N\n",
    )
    single = run("search", "党员", "-n", "0", "--json", "--index", index_dir).stdout
    assert run("index", str(seeds_dir), "--index", index_dir, "--shards", "2", "--rebuild").exit_code == 0
    assert not os.path.exists(os.path.join(index_dir, "cs-manifest.json"))
    assert run("search", "党员", "-n", "0", "--json", "--index", index_dir).stdout == single
    refused = run("index", str(seeds_dir), "--index", index_dir, "--shards", "4")
    assert refused.exit_code == 2 and "has 2 shards" in refused.stderr
    assert run("index", str(seeds_dir), "--index", index_dir, "--shards", "9", "--rebuild").exit_code == 0
    assert sorted(name for name in os.listdir(index_dir) if name.startswith("shard-")) == [
        f"shard-{number}"
        for number in range(5)  # five seed files: four shards would be empty
    ]
    assert json.loads(Path(index_dir, CATALOG).read_text())["shards"] == 9
    assert run("search", "党员", "-n", "0", "--json", "--index", index_dir).stdout == single
    assert run("index", str(seeds_dir), "--index", index_dir, "--shards", "0").exit_code == 2


def test_a_sharded_index_of_random_files_counts_as_one_index(tmp_path):
    chooser = random.Random(3)
    folder = tmp_path / "in"
    folder.mkdir()
    for number in range(12):
        text = "".join(chooser.choice("红楼梦甲乙。\n") for _ in range(chooser.randint(0, 400)))
        (folder / f"{number:02}.txt").write_text(text, encoding="utf-8")
    one, many = str(tmp_path / "one"), str(tmp_path / "many")
    run("index", str(folder), "--index", one)
    run("index", str(folder), "--index", many, "--shards", "4")
    for query in ("红楼", "梦甲", '"乙。红"'):
        assert run("count", query, "--index", one).stdout == run("count", query, "--index", many).stdout
