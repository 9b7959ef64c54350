"""Metadata and --where: fields per file from metadata.csv / .jsonl / --metadata, and sub-corpora chosen by
conditions, checked against a plain evaluation of the conditions over the metadata."""

from __future__ import annotations

import csv
import fnmatch
import json
import operator
import random
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SAMPLE_CORPUS
from corpus_search import build_index
from corpus_search.errors import CorpusSearchError
from corpus_search.search import Searcher
from test_cli import run

AUTHORS = ["曹雪芹", "罗贯中", "吴承恩", "施耐庵"]
FIELDS = ["year", "date", "author", "title"]


def random_fields(chooser: random.Random, path: str) -> dict[str, str]:
    """Some fields for a file, some missing: a year as a number, a date as an ISO date or a year with 年."""
    fields = {
        "year": str(chooser.randint(1700, 2020)),
        "date": chooser.choice([f"{chooser.randint(1700, 2020)}-{chooser.randint(1, 12):02d}-01", "1999年"]),
        "author": chooser.choice(AUTHORS),
        "title": Path(path).stem,
    }
    return {field: value for field, value in fields.items() if chooser.random() > 0.2}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[str, dict[str, dict[str, str]]]:
    """A copy of the sample corpus in the repository with a metadata.csv of random fields, indexed."""
    folder = tmp_path_factory.mktemp("meta") / "corpus"
    shutil.copytree(SAMPLE_CORPUS, folder)
    chooser = random.Random(11)
    files = sorted(str(path.relative_to(folder)) for path in folder.rglob("*.txt"))
    table = {name: random_fields(chooser, name) for name in files}
    with open(folder / "metadata.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", *FIELDS])
        for name, fields in table.items():
            writer.writerow([name, *(fields.get(field, "") for field in FIELDS)])
    index_dir = str(folder.parent / "index")
    build_index([str(folder)], index_dir, globs=["*.txt"])  # the texts, not the sample's README.md
    shown = {f"{folder}/{name}": fields for name, fields in table.items()}
    return index_dir, shown


def holds(fields: dict[str, str], field: str, op: str, value: str) -> bool:
    """The documented semantics, written out plainly."""
    if field not in fields:
        return False
    have = fields[field]
    if op == "~":
        return fnmatch.fnmatchcase(have, value)
    try:
        left, right = float(have), float(value)
    except ValueError:
        if re.fullmatch(r"\d{4}", value) and re.match(r"\d{4}(?!\d)", have):
            left, right = int(have[:4]), int(value)
        elif all(re.fullmatch(r"\d{4}(-\d\d(-\d\d)?)?", text) for text in (have, value)):
            length = min(len(have), len(value))
            left, right = have[:length], value[:length]
        else:
            left, right = have, value
    ops = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt}
    return (ops | {">=": operator.ge})[op](left, right)


conditions = st.tuples(
    st.sampled_from(FIELDS + ["missing"]),
    st.sampled_from(["=", "!=", "<", "<=", ">", ">=", "~"]),
    st.one_of(
        st.integers(1700, 2020).map(str),
        st.sampled_from(["1999", "1999-05", "1850-03-01", "*梦*", "全唐诗*", "罗贯中", "三国演义"]),
        st.sampled_from(AUTHORS),
    ),
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(chosen=st.lists(conditions, min_size=1, max_size=3))
def test_where_keeps_exactly_the_files_whose_metadata_satisfy_every_condition(chosen, corpus):
    index_dir, table = corpus
    where = [f"{field}{op}{value}" for field, op, value in chosen]
    known = {field for fields in table.values() for field in fields}
    with Searcher(index_dir) as searcher:
        if any(field not in known for field, _, _ in chosen):  # no file has it: a typo, said so
            with pytest.raises(CorpusSearchError, match="no indexed file has the field"):
                searcher.run("之", where=where)
            return
        every = searcher.run("之").counts()
        kept = searcher.run("之", where=where).counts()
    expected = {path for path in every if all(holds(table[path], *condition) for condition in chosen)}
    assert set(kept) == expected
    assert all(kept[path] == every[path] for path in kept)


def test_json_hits_carry_the_files_fields(corpus):
    index_dir, table = corpus
    result = run("search", "之", "--index", index_dir, "--json", "-n", "50")
    assert result.exit_code == 0
    for hit in map(json.loads, result.stdout.splitlines()):
        assert hit.get("meta", {}) == table[hit["path"]]


def test_a_named_table_is_read_and_kept_for_later_runs(tmp_path):
    (tmp_path / "texts").mkdir()
    (tmp_path / "texts" / "a.txt").write_text("临时党支部成立了。\n", encoding="utf-8")
    (tmp_path / "texts" / "b.txt").write_text("临时党支部也成立了。\n", encoding="utf-8")
    records = [{"path": "texts/a.txt", "year": 2020, "source": "新华社"}, {"file": "texts/b.txt", "year": 1998}]
    table = tmp_path / "sources.jsonl"
    table.write_text("\n".join(json.dumps(record, ensure_ascii=False) for record in records) + "\nnot json\n")
    index_dir = str(tmp_path / "index")
    first = run("index", str(tmp_path / "texts"), "--index", index_dir, "--metadata", str(table))
    assert first.exit_code == 0
    assert f"cs: warning: {table}:3: not a JSON object; skipped" in first.stderr

    def files(*where: str) -> list[str]:
        args = [arg for expression in where for arg in ("--where", expression)]
        found = run("search", "临时党支部", "--index", index_dir, "-l", *args)
        return [Path(line).name for line in found.stdout.splitlines()]

    assert files("year>=2000") == ["a.txt"]
    assert files("source!=新华社") == []  # b.txt has no source: the condition is false for it
    assert sorted(files("year<2021")) == ["a.txt", "b.txt"]
    # A later run without --metadata keeps reading the same table, changes included.
    table.write_text(json.dumps({"path": "texts/b.txt", "year": 2021}) + "\n")
    assert run("index", str(tmp_path / "texts"), "--index", index_dir).exit_code == 0
    assert files("year>=2000") == ["b.txt"]
    table.unlink()
    gone = run("index", str(tmp_path / "texts"), "--index", index_dir)
    assert "is gone: its fields are dropped" in gone.stderr
    assert files("year>=2000") == []


def test_bad_expressions_and_tables_are_one_line_errors_that_keep_the_index(tmp_path):
    (tmp_path / "a.txt").write_text("临时党支部成立了。\n", encoding="utf-8")
    index_dir = str(tmp_path / "index")
    assert run("index", str(tmp_path), "--index", index_dir).exit_code == 0
    for expression in ["year", "year>=", ">=1990", "year=>1990"]:
        result = run("search", "临时", "--index", index_dir, "--where", expression)
        assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "--where" in result.stderr, expression
    unknown = run("search", "临时", "--index", index_dir, "--where", "year>=1990")
    assert unknown.exit_code == 2
    assert (
        unknown.stderr
        == "cs: --where: no indexed file has the field 'year' (fields: none: see metadata.csv in the README)\n"
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("name,year\na.txt,2000\n", encoding="utf-8")
    result = run("index", str(tmp_path), "--index", index_dir, "--metadata", str(bad))
    assert result.exit_code == 2 and result.stderr == f"cs: metadata file {bad} has no path or file column\n"
    assert run("search", "临时党支部", "--index", index_dir, "-c").exit_code == 0


def test_a_marked_files_header_is_its_metadata_and_a_table_overrides_it(tmp_path):
    shutil.copytree(SAMPLE_CORPUS.parent / "kanripo", tmp_path / "texts")
    plain = "#+TITLE: 不是标题\n秦川雄帝宅，函谷壯皇居。\n"  # no page marker: the header line is text
    (tmp_path / "texts" / "plain.txt").write_text(plain, encoding="utf-8")
    index_dir = str(tmp_path / "index")
    assert run("index", str(tmp_path / "texts"), "--index", index_dir).exit_code == 0

    def metas(*args: str) -> dict[str, dict]:
        found = run("search", "秦川雄帝宅", "--index", index_dir, "--json", *args)
        return {Path(hit["path"]).name: hit.get("meta") for hit in map(json.loads, found.stdout.splitlines())}

    marked = metas()["帝京篇.txt"]
    assert marked["title"] == "帝京篇" and marked["id"] == "KR-sample" and marked["source"].startswith("tests/data")
    assert metas()["plain.txt"] is None
    assert list(metas("--where", "title=帝京篇")) == ["帝京篇.txt"]
    (tmp_path / "texts" / "metadata.csv").write_text("path,title\n帝京篇.txt,帝京篇十首\n", encoding="utf-8")
    assert run("index", str(tmp_path / "texts"), "--index", index_dir).exit_code == 0
    assert metas()["帝京篇.txt"]["title"] == "帝京篇十首" and metas()["帝京篇.txt"]["id"] == "KR-sample"


@pytest.mark.parametrize("field", ["author", "year", "date"])
def test_count_by_a_field_sums_the_files_of_each_value(corpus, field):
    index_dir, table = corpus

    def rows(by: str) -> list[dict]:
        result = run("count", "之", "--index", index_dir, "--by", by, "--json")
        return [json.loads(line) for line in result.stdout.splitlines()]

    files = {row["file"]: row for row in rows("file") if row["file"] is not None}
    expected: dict[str, list[int]] = {}
    for path, row in files.items():
        if field in table[path]:
            sums = expected.setdefault(table[path][field], [0, 0, 0])
            for index, name in enumerate(("occurrences", "passages", "characters")):
                sums[index] += row[name]
    grouped = rows(field)
    assert grouped[-1][field] is None  # the total
    found = {row[field]: [row["occurrences"], row["passages"], row["characters"]] for row in grouped[:-1]}
    assert found == expected and len(found) > 1
    assert [row[field] for row in grouped[:-1]] == sorted(found, key=lambda name: (not name.isdigit(), name))
    assert grouped[-1]["occurrences"] == sum(sums[0] for sums in expected.values())
