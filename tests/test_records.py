"""Files of records (records.py): JSON Lines, JSON, CSV and TSV datasets, one document per record.

The oracle is a plain substring scan over each record's normalised, folded text: a match never runs from
one record into the next, a hit's line is its record's line in the file, and each record's fields are
its metadata for --where, --by and the outputs."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SAMPLE_CORPUS, needles, starts_of
from corpus_search.formats import extract
from corpus_search.loader import read_text
from corpus_search.normalize import normalize
from corpus_search.search import Searcher
from corpus_search.variants import fold
from documents import record_lines, write_records
from test_cli import run

KINDS = (".jsonl", ".json", ".csv", ".tsv")


def occurrences(texts: list[str], typed: str) -> int:
    """The oracle: how often the typed term occurs in the records, each scanned on its own."""
    wanted = needles(typed)
    return sum(len(starts_of(fold(normalize(text).text), wanted)) for text in texts)


def split_records(text: str, count: int, seed: int) -> list[str]:
    """The text cut into `count` records at random places: between lines and inside them, so that words
    and phrases are cut in two."""
    chooser = random.Random(seed)
    cuts = sorted(chooser.sample(range(1, len(text) - 1), count - 1))
    return [text[start:end] for start, end in zip([0, *cuts], [*cuts, len(text)], strict=True)]


@pytest.fixture(scope="module")
def records_index(tmp_path_factory) -> tuple[Path, dict[str, list[dict[str, str]]], str]:
    """A real novel's start cut into 120 records with a year each, as JSON Lines, a JSON array and CSV
    (line breaks in the text) and as TSV (none), indexed: (folder, records by kind, index)."""
    folder = tmp_path_factory.mktemp("records") / "in"
    folder.mkdir()
    text = read_text(str(SAMPLE_CORPUS / "novels" / "三国演义.txt"))[:30000]
    written = {}
    for number, kind in enumerate(KINDS):
        texts = split_records(text if kind != ".tsv" else " ".join(text.split()), 120, seed=number)
        records = [{"year": str(1990 + index % 7), "text": part, "n": str(index)} for index, part in enumerate(texts)]
        write_records(folder / f"novel{kind}", records)
        written[kind] = records
    index_dir = str(folder.parent / "index")
    result = run("index", str(folder), "--index", index_dir)
    assert result.exit_code == 0 and "warning" not in result.stderr, result.stderr
    return folder, written, index_dir


def test_each_kind_reads_back_its_records_lines_and_fields(records_index):
    folder, written, _ = records_index
    for kind, records in written.items():
        path = folder / f"novel{kind}"
        extracted = extract(path.name, path.read_bytes())
        assert extracted.warning is None and extracted.records is not None
        assert [record.text for record in extracted.records] == [record["text"] for record in records]
        assert [record.line for record in extracted.records] == record_lines(path, records)
        assert [record.fields for record in extracted.records] == [
            {"year": record["year"], "n": record["n"]} for record in records
        ]


def test_counts_equal_a_scan_of_each_record_and_no_match_crosses_two(records_index):
    """Needles drawn from the whole text, many across the cuts between records: the index finds each as
    often as the records hold it, never once more."""
    folder, written, index_dir = records_index
    whole = fold(normalize(" ".join(record["text"] for record in written[".jsonl"])).text)
    chooser = random.Random(7)
    typed = [whole[at : at + chooser.randint(2, 6)] for at in chooser.sample(range(len(whole) - 8), 40)]
    texts = [normalize(record["text"]).text.strip() for record in written[".jsonl"]]
    typed += [texts[at][-2:] + texts[at + 1][:2] for at in chooser.sample(range(len(texts) - 1), 20)]  # across
    typed = [needle for needle in typed if '"' not in needle and needle.strip() == needle and " " not in needle]
    crossing = 0
    with Searcher(index_dir) as searcher:
        for needle in typed:
            counted = {Path(path).suffix: tally[0] for path, tally in searcher.run(f'"{needle}"').per_file().items()}
            for kind, records in written.items():
                expected = occurrences([record["text"] for record in records], needle)
                assert counted.get(kind, 0) == expected, (kind, needle)
            crossing += occurrences([" ".join(record["text"] for record in written[".jsonl"])], needle) > occurrences(
                [record["text"] for record in written[".jsonl"]], needle
            )
    assert crossing >= 1  # some needles do cross a cut, so the test can tell


def test_a_hit_is_on_its_records_line_with_its_fields(records_index):
    folder, written, index_dir = records_index
    for kind, records in written.items():
        lines = record_lines(folder / f"novel{kind}", records)
        chosen = next(at for at in range(50, 120) if re.search(r"[\u4e00-\u9fff]{4}", records[at]["text"]))
        record = records[chosen]
        needle = re.search(r"[\u4e00-\u9fff]{4}", normalize(record["text"]).text).group()  # no query syntax
        found = [
            json.loads(line)
            for line in run(
                "search", needle, "--json", "-n", "0", "--path", f"*{kind}", "--index", index_dir
            ).stdout.splitlines()
        ]
        expected = [lines[index] for index, each in enumerate(records) if occurrences([each["text"]], needle)]
        assert sorted(hit["line"] for hit in found) == expected, (kind, needle)
        assert all(hit["unit"] == "record" for hit in found)
        assert all(hit["matches"][0]["line"] == hit["line"] for hit in found)
        ours = next(hit for hit in found if hit["line"] == lines[chosen])
        assert ours["meta"] == {"year": record["year"], "n": str(chosen)}


def test_kwic_context_stays_inside_the_record(records_index):
    """A keyword at a record's very end has nothing on its right, though the next record follows."""
    _, written, index_dir = records_index
    records = written[".jsonl"]
    tail = normalize(records[10]["text"]).text.rstrip()
    needle = next(tail[-n:] for n in range(3, 8) if occurrences([r["text"] for r in records], tail[-n:]) == 1)
    (line,) = [
        json.loads(row)
        for row in run("kwic", needle, "--json", "--path", "*.jsonl", "--index", index_dir).stdout.splitlines()
    ]
    assert line["right"] == ""


def test_where_and_count_by_use_each_records_own_fields(records_index):
    _, written, index_dir = records_index
    records = written[".csv"]
    term = "曹操"
    rows = [
        json.loads(row)
        for row in run(
            "count", term, "--by", "year", "--path", "*.csv", "--json", "--index", index_dir
        ).stdout.splitlines()
    ]
    *groups, total = rows
    for row in groups:
        members = [record["text"] for record in records if record["year"] == row["year"]]
        assert row["occurrences"] == occurrences(members, term)
        assert row["characters"] == sum(len(normalize(text).text) for text in members)
    assert total["occurrences"] == occurrences([record["text"] for record in records], term) > 0
    kept = run("count", term, "--where", "year>=1994", "--path", "*.csv", "--json", "--index", index_dir)
    expected = occurrences([record["text"] for record in records if record["year"] >= "1994"], term)
    assert (
        sum(json.loads(row)["occurrences"] for row in kept.stdout.splitlines() if json.loads(row)["path"]) == expected
    )
    plotted = run("plot", term, "--by", "year", "--path", "*.csv", "--json", "--index", index_dir).stdout.splitlines()
    assert [len(json.loads(row)["offsets"]) for row in plotted] == [row["occurrences"] for row in groups]


def test_a_bad_line_or_row_is_one_warning_and_the_rest_is_indexed(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jsonl").write_text(
        '{"text": "第一条记录"}\n{"text": 坏\n\n[1, 2]\n{"content": "第五行的记录"}\n{"title": "没有正文"}\n',
        encoding="utf-8",
    )
    (folder / "b.csv").write_text('body,year\n第二行,1999\n多,出,一格\n"第四行\n跨两行",2000\n', encoding="utf-8")
    (folder / "c.json").write_text('[{"text": "数组一"}, {"text": "数组二"', encoding="utf-8")
    index_dir = str(tmp_path / "index")
    result = run("index", str(folder), "--index", index_dir)
    assert result.exit_code == 0
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert warnings == [
        f"cs: warning: {folder / 'a.jsonl'}:2: not a JSON object; skipped",
        f"cs: warning: {folder / 'a.jsonl'}:4: not a JSON object; skipped",
        f"cs: warning: {folder / 'a.jsonl'}:6: 1 record(s) without a text field (text or content or body); skipped",
        f"cs: warning: {folder / 'b.csv'}:3: 3 fields where the header has 2; skipped",
        f"cs: warning: skipped {folder / 'c.json'}: not valid JSON at line 1",
    ]
    found = run("search", "记录 OR 行 OR 数组", "--index", index_dir).stdout
    assert sorted(found.splitlines()) == [
        f"{folder / 'a.jsonl'}:1:第一条记录",
        f"{folder / 'a.jsonl'}:5:第五行的记录",
        f"{folder / 'b.csv'}:2:第二行",
        f"{folder / 'b.csv'}:4:第四行 跨两行",
    ]


def test_text_field_chooses_the_text_is_kept_and_a_change_reads_the_records_again(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    write_records(folder / "a.jsonl", [{"text": "正文甲", "summary": "摘要乙"}])
    (folder / "b.txt").write_text("纯文本丙", encoding="utf-8")
    index_dir = str(tmp_path / "index")
    assert run("index", str(folder), "--index", index_dir).exit_code == 0
    assert run("search", "正文甲", "--index", index_dir).exit_code == 0
    assert run("search", "摘要乙", "--index", index_dir).exit_code == 1
    changed = run("index", str(folder), "--index", index_dir, "--text-field", "summary")
    assert changed.stderr.startswith("2 files (0 added, 1 updated, 0 removed, 1 unchanged)"), changed.stderr
    assert run("search", "摘要乙", "--json", "--index", index_dir).stdout.count('"meta": {"text": "正文甲"}') == 1
    assert run("search", "正文甲", "--index", index_dir).exit_code == 1
    again = run("index", "--index", index_dir)  # kept for later runs: nothing to do
    assert again.stderr.startswith("2 files (0 added, 0 updated, 0 removed, 2 unchanged)"), again.stderr
    back = run("index", str(folder), "--index", index_dir, "--text-field", "")
    assert back.stderr.startswith("2 files (0 added, 1 updated"), back.stderr
    assert run("search", "正文甲", "--index", index_dir).exit_code == 0


def test_a_metadata_table_is_read_as_metadata_and_not_indexed(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("红楼梦", encoding="utf-8")
    (folder / "metadata.csv").write_text("path,text\na.txt,红楼梦的表\n", encoding="utf-8")
    index_dir = str(tmp_path / "index")
    assert run("index", str(folder), "--index", index_dir).stderr.startswith("1 files (1 added")
    found = [json.loads(line) for line in run("search", "红楼梦", "--json", "--index", index_dir).stdout.splitlines()]
    assert [(Path(hit["path"]).name, hit.get("meta")) for hit in found] == [("a.txt", {"text": "红楼梦的表"})]


TEXTS = st.lists(st.text(alphabet="红楼梦。，\n 甲乙", min_size=0, max_size=12), min_size=1, max_size=6)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=TEXTS, kind=st.sampled_from([".jsonl", ".json", ".csv"]))
def test_any_records_are_counted_as_a_scan_of_each_finds(tmp_path_factory, texts, kind):
    folder = tmp_path_factory.mktemp("property") / "in"
    folder.mkdir()
    write_records(folder / f"r{kind}", [{"text": text} for text in texts])
    index_dir = str(folder.parent / "index")
    result = run("index", str(folder), "--index", index_dir)
    assert result.exit_code == 0, result.stderr
    with Searcher(index_dir) as searcher:
        for term in ("红楼", "梦红", "楼梦甲", "乙"):
            counted = sum(tally[0] for tally in searcher.run(f'"{term}"').per_file().values())
            assert counted == occurrences(texts, term), (term, texts)
