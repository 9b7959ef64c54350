"""--csv and --excel on every query command: the CSV, parsed back with the csv module, holds the rows
that --json gives; the BOM comes with --excel only; --csv with --json is a usage error."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from corpus_search.cli import cli

BOM = "\ufeff"


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def raw(result) -> str:
    """Standard output exactly as written (CliRunner's `stdout` turns CRLF into LF)."""
    return result.stdout_bytes.decode("utf-8")


def csv_table(result) -> tuple[list[str], list[dict[str, str]]]:
    """The header and the records of a --csv output, read as RFC 4180 by the csv module."""
    text = raw(result)
    assert not text.startswith(BOM)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    return list(reader.fieldnames or []), list(reader)


def json_rows(result) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def both(*args: str):
    """The same command with --json and with --csv: (JSON records, CSV header, CSV records)."""
    as_json, as_csv = run(*args, "--json"), run(*args, "--csv")
    assert as_json.exit_code == as_csv.exit_code == 0, as_csv.stderr
    return json_rows(as_json), *csv_table(as_csv)


ROOT = Path(__file__).resolve().parent.parent

# The seeds' metadata fields (seeds/metadata.csv), which search and kwic rows end with, after `ref`.
SEED_FIELDS = sorted((ROOT / "seeds" / "metadata.csv").read_text(encoding="utf-8").splitlines()[0].split(",")[1:])


def described(row: dict, record: dict) -> bool:
    """The row's `ref` and metadata cells are the JSON record's `ref` and `meta` (empty where absent)."""
    meta = record.get("meta", {})
    return row["ref"] == (record.get("ref") or "") and all(row[name] == meta.get(name, "") for name in SEED_FIELDS)


@pytest.mark.parametrize("query", ["彭城先锋", "党员 干部", "臨時黨組織", "临时 NEAR/3 支部"])
def test_search_csv_rows_are_the_json_hits(seeds_index, query):
    hits, header, rows = both("search", query, "--index", seeds_index, "--limit", "0")
    assert header == ["path", "line", "score", "text", "matches", "ref", *SEED_FIELDS]
    assert len(rows) == len(hits) > 0
    for row, hit in zip(rows, hits, strict=True):
        assert row["path"] == hit["path"]
        assert int(row["line"]) == hit["line"]
        assert float(row["score"]) == hit["score"]
        assert row["text"] == hit["text"]
        assert row["matches"] == " | ".join(match["text"] for match in hit["matches"])
        assert described(row, hit) and hit["meta"]


def test_search_csv_keeps_crlf_line_breaks_inside_a_field(sample_index):
    hits, _, rows = both("search", "宝玉", "--index", sample_index, "--limit", "0", "--path", "红楼梦*")
    assert any("\r\n" in hit["text"] for hit in hits)  # 红楼梦.txt is hard-wrapped with CRLF
    assert [row["text"] for row in rows] == [hit["text"] for hit in hits]
    assert [row["matches"] for row in rows] == [" | ".join(m["text"] for m in hit["matches"]) for hit in hits]


def test_search_csv_with_context_has_the_lines_before_and_after(seeds_index):
    hits, header, rows = both("search", "临时党支部", "--index", seeds_index, "-C", "2")
    assert header == ["path", "line", "score", "text", "matches", "before", "after", "ref", *SEED_FIELDS]
    for row, hit in zip(rows, hits, strict=True):
        assert row["before"] == "\n".join(line["text"] for line in hit["before"])
        assert row["after"] == "\n".join(line["text"] for line in hit["after"])


@pytest.mark.parametrize(("flag", "columns"), [("--count", ["path", "count"]), ("-l", ["path"])])
def test_search_count_and_files_csv_are_the_json_rows(seeds_index, flag, columns):
    records, header, rows = both("search", "党旗", "--index", seeds_index, flag)
    assert header == columns
    assert [{name: str(record[name]) for name in columns} for record in records] == rows


@pytest.mark.parametrize("query", ["党员", "临时 NEAR/3 支部", "黨旗"])
def test_kwic_csv_rows_are_the_json_lines(seeds_index, query):
    lines, header, rows = both("kwic", query, "--index", seeds_index, "--width", "12")
    assert header == ["left", "keyword", "right", "path", "line", "ref", *SEED_FIELDS]
    assert len(rows) == len(lines) > 0
    assert any("," in row["left"] + row["right"] for row in rows)  # quoted fields are read back whole
    for row, line in zip(rows, lines, strict=True):
        assert {**row, "line": int(row["line"])} == {name: line[name] for name in header[:5]} | {
            name: row[name] for name in header[5:]
        }
        assert described(row, line)


def test_count_csv_rows_are_the_json_rows_total_last(seeds_index):
    records, header, rows = both("count", "党员", "--index", seeds_index)
    assert header == ["path", "occurrences", "passages"]
    assert records[-1]["path"] is None and rows[-1]["path"] == ""
    expected = [{name: "" if record[name] is None else str(record[name]) for name in header} for record in records]
    assert rows == expected


def test_collocates_csv_rows_are_the_json_rows(sample_index):
    records, header, rows = both("collocates", "宝玉", "--index", sample_index, "-n", "30")
    assert header == ["word", "count", "frequency", "log_likelihood", "mutual_information"]
    assert len(rows) == len(records) == 30
    for row, record in zip(rows, records, strict=True):
        assert row["word"] == record["word"]
        assert [int(row["count"]), int(row["frequency"])] == [record["count"], record["frequency"]]
        assert float(row["log_likelihood"]) == record["log_likelihood"]
        assert float(row["mutual_information"]) == record["mutual_information"]


COMMANDS = [
    ("search", "党员", "-n", "3"),
    ("search", "党员", "--count"),
    ("kwic", "党员"),
    ("count", "党员"),
    ("count", "党员", "--by", "file"),
    ("collocates", "党员"),
    ("plot", "党员"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_the_bom_comes_with_excel_only(seeds_index, command):
    plain = run(*command, "--index", seeds_index, "--csv")
    excel = run(*command, "--index", seeds_index, "--excel")
    assert plain.exit_code == excel.exit_code == 0
    assert not plain.stdout_bytes.startswith(b"\xef\xbb\xbf")
    assert excel.stdout_bytes == b"\xef\xbb\xbf" + plain.stdout_bytes  # one BOM, then the same CSV
    assert excel.stdout_bytes.decode("utf-8-sig") == raw(plain)
    assert raw(plain).endswith("\r\n") and "\r\n" in raw(plain)[: raw(plain).index("\n") + 1]  # CRLF, RFC 4180


def test_excel_never_runs_a_cell_as_a_formula_and_csv_keeps_the_data(tmp_path):
    """A corpus line that Excel would read as a formula gets a `'` first under --excel (OWASP's advice
    on CSV injection); numbers stay numbers, and --csv is the text exactly."""
    lines = ['=HYPERLINK("http://example.com","点击")', "+号开头", "-负号开头", "@提到", "平常的行"]
    (tmp_path / "in").mkdir()
    for number, line in enumerate(lines):  # a file each, so that each is a hit of its own
        (tmp_path / "in" / f"{number}.txt").write_text(line + "\n", encoding="utf-8")
    index_dir = str(tmp_path / "index")
    assert run("index", str(tmp_path / "in"), "--index", index_dir, "-q").exit_code == 0
    plain = run("search", "开头 OR 点击 OR 提到 OR 平常", "-n", "0", "--csv", "--index", index_dir)
    excel = run("search", "开头 OR 点击 OR 提到 OR 平常", "-n", "0", "--excel", "--index", index_dir)
    rows = {Path(row["path"]).stem: row for row in csv_table(plain)[1]}
    inert = {Path(row["path"]).stem: row for row in csv.DictReader(io.StringIO(raw(excel)[1:], newline=""))}
    assert rows.keys() == inert.keys() == {str(number) for number in range(len(lines))}
    for name, row in rows.items():
        assert row["text"] == lines[int(name)]
        formula = row["text"].startswith(("=", "+", "-", "@", "\t"))
        assert inert[name]["text"] == ("'" if formula else "") + row["text"]
        assert (inert[name]["line"], inert[name]["score"]) == (row["line"], row["score"])


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("flags", [("--csv", "--json"), ("--json", "--excel")])
def test_csv_with_json_is_a_usage_error(seeds_index, command, flags):
    result = run(*command, "--index", seeds_index, *flags)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("cs: --json and --csv (or --excel) exclude each other")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("command", "header"),
    [
        (("search", "不存在的词"), ",".join(["path,line,score,text,matches,ref", *SEED_FIELDS])),
        (("kwic", "不存在的词"), ",".join(["left,keyword,right,path,line,ref", *SEED_FIELDS])),
        (("collocates", "不存在的词"), "word,count,frequency,log_likelihood,mutual_information"),
    ],
)
def test_nothing_found_is_the_header_alone_and_exit_1(seeds_index, command, header):
    result = run(*command, "--index", seeds_index, "--csv")
    assert result.exit_code == 1
    assert raw(result) == header + "\r\n"
