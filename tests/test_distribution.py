"""cs count --by, --plot and cs plot: counts per group against `cs count`, characters against the
normalised text of each file, bars against the rates, and dispersion marks against a scan of the text."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from click.testing import CliRunner
from wcwidth import wcswidth

from conftest import needles, starts_of
from corpus_search import build_index
from corpus_search.cli import cli
from corpus_search.distribution import dispersion, group_counts
from corpus_search.loader import read_text
from corpus_search.normalize import normalize
from corpus_search.plots import BAR_WIDTH, EIGHTHS, FULL

QUERIES = ["宝玉", "明月", "臨時黨支部", "不知"]


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def json_rows(*args: str) -> list[dict]:
    result = run(*args, "--json")
    assert result.exit_code in (0, 1), result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def scan_offsets(entry, typed: str) -> list[int]:
    """Where the term (or one of its alternatives) starts in a file's normalised, folded text."""
    return starts_of(entry.folded, needles(typed))


@pytest.mark.parametrize("query", QUERIES)
def test_count_by_file_is_count_per_file_over_the_characters_of_the_text(query, oracle, sample_index):
    counted = {row["path"]: row for row in json_rows("count", query, "--index", sample_index)}
    rows = json_rows("count", query, "--by", "file", "--index", sample_index)
    *groups, total = rows
    assert [row["file"] for row in groups] == sorted(entry.path for entry in oracle)  # hits or not
    length = {entry.path: len(entry.text) for entry in oracle}
    for row in groups:
        found = counted.get(row["file"], {"occurrences": 0, "passages": 0})
        assert (row["occurrences"], row["passages"]) == (found["occurrences"], found["passages"])
        assert row["characters"] == length[row["file"]]
        assert row["per_million"] == round(row["occurrences"] * 1e6 / row["characters"], 3)
    assert total["file"] is None
    assert (total["occurrences"], total["passages"]) == (counted[None]["occurrences"], counted[None]["passages"])
    assert total["characters"] == sum(length.values())
    assert total["per_million"] == round(total["occurrences"] * 1e6 / total["characters"], 3)


def test_count_by_file_keeps_only_the_files_path_keeps(oracle, sample_index):
    *groups, total = json_rows("count", "明月", "--by", "file", "--path", "*/novels/*", "--index", sample_index)
    novels = {entry.path: len(entry.text) for entry in oracle if "/novels/" in entry.path}
    assert {row["file"]: row["characters"] for row in groups} == novels
    assert total["characters"] == sum(novels.values())


def rate(row: dict) -> str:
    """The rate per million as the table shows it, from the row's occurrences and characters."""
    return f"{row['occurrences'] * 1e6 / row['characters']:.1f}"


def test_count_by_file_table_csv_and_json_hold_the_same_rows(seeds_index):
    records = json_rows("count", "党员", "--by", "file", "--index", seeds_index)
    table = run("count", "党员", "--by", "file", "--index", seeds_index).stdout.splitlines()
    assert [line.split() for line in table] == [
        [str(r["occurrences"]), str(r["passages"]), str(r["characters"]), rate(r), r["file"] or "total"]
        for r in records
    ]
    csv_lines = run("count", "党员", "--by", "file", "--index", seeds_index, "--csv").stdout.splitlines()
    assert csv_lines[0] == "file,occurrences,passages,characters,per_million"
    assert csv_lines[1:] == [",".join(str(value if value is not None else "") for value in r.values()) for r in records]


def test_characters_are_those_of_the_live_blocks_after_an_update(seeds_dir, tmp_path):
    corpus = tmp_path / "seeds"
    shutil.copytree(seeds_dir, corpus)
    index_dir = str(tmp_path / "index")
    build_index([str(corpus)], index_dir)
    first, second, *_ = sorted(corpus.glob("*.txt"))
    first.write_text(first.read_text(encoding="utf-8") * 3 + "\n党员。", encoding="utf-8")
    second.unlink()
    build_index([str(corpus)], index_dir)
    *groups, total = json_rows("count", "党员", "--by", "file", "--index", index_dir)
    expected = {str(path): len(normalize(read_text(str(path))).text) for path in sorted(corpus.glob("*.txt"))}
    assert {row["file"]: row["characters"] for row in groups} == expected
    assert total["characters"] == sum(expected.values())


BAR = re.compile(rf"^ {{2,}}(?P<bar>[{FULL}{EIGHTHS[1:]}]*) {{2,}}(?P<rate>\d+\.\d)$")  # after the label


def bar_eighths(drawn: str) -> int:
    return 8 * drawn.count(FULL) + sum(EIGHTHS.index(char) for char in drawn if char != FULL)


@pytest.mark.parametrize("query", QUERIES)
def test_bars_are_as_long_as_the_rates(query, sample_index):
    *groups, _ = json_rows("count", query, "--by", "file", "--index", sample_index)
    result = run("count", query, "--by", "file", "--plot", "--index", sample_index)
    lines = result.stdout.splitlines()
    assert len(lines) == len(groups) and "\x1b" not in result.stdout
    rates = [row["occurrences"] * 1e6 / row["characters"] for row in groups]
    highest = max(rates)
    bar_columns = set()
    for line, row, rate in zip(lines, groups, rates, strict=True):
        assert line.startswith(row["file"])
        parsed = BAR.match(line[len(row["file"]) :])
        assert parsed, line
        assert parsed["rate"] == f"{rate:.1f}"
        exact = 8 * BAR_WIDTH * rate / highest
        drawn = bar_eighths(parsed["bar"])
        assert abs(drawn - exact) <= 0.5 or (0 < exact < 1 and drawn == 1), (line, exact)
        assert (drawn == 0) == (rate == 0)
        if drawn:  # where the bar starts on the screen: CJK labels are padded by display width
            bar_columns.add(wcswidth(line[: len(row["file"]) + parsed.start("bar")]))
    assert len(bar_columns) == 1
    assert len({wcswidth(line) for line in lines}) == 1  # bars padded, rates right-aligned in one column


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("width", [60, 17])
def test_dispersion_marks_sit_where_the_text_holds_the_term(query, width, oracle, sample_index):
    result = run("plot", query, "--width", str(width), "--index", sample_index)
    assert result.exit_code == 0 and "\x1b" not in result.stdout
    lines = result.stdout.splitlines()
    assert len(lines) == len(oracle)
    offsets = {row["file"]: row["offsets"] for row in json_rows("plot", query, "--index", sample_index)}
    for line, entry in zip(lines, sorted(oracle, key=lambda entry: entry.path), strict=True):
        expected = scan_offsets(entry, query)
        assert offsets[entry.path] == expected
        label, count, strip = line.rsplit(maxsplit=2)
        assert label == entry.path and int(count) == len(expected)
        assert len(strip) == width and set(strip) <= {"|", "-"}
        marked = {column for column, char in enumerate(strip) if char == "|"}
        assert marked == {offset * width // len(entry.text) for offset in expected}


def test_plot_csv_rows_are_the_json_rows(seeds_index):
    records = json_rows("plot", "党旗", "--index", seeds_index)
    csv_lines = run("plot", "党旗", "--index", seeds_index, "--csv").stdout.splitlines()
    assert csv_lines[0] == "file,occurrences,characters,offsets"
    expected = [f"{r['file']},{r['occurrences']},{r['characters']},{' '.join(map(str, r['offsets']))}" for r in records]
    assert csv_lines[1:] == expected
    assert [r["occurrences"] for r in records] == [len(r["offsets"]) for r in records]


def test_a_near_pair_counts_once_in_count_and_plot(seeds_index):
    query = "临时 NEAR/3 支部"
    counted = {row["path"]: row["occurrences"] for row in json_rows("count", query, "--index", seeds_index)}
    plotted = {row["file"]: row["occurrences"] for row in json_rows("plot", query, "--index", seeds_index)}
    kwic = json_rows("kwic", query, "--index", seeds_index)
    assert {path: n for path, n in plotted.items() if n} == {path: n for path, n in counted.items() if path}
    assert sum(plotted.values()) == counted[None] == len(kwic) > 0


def test_a_group_of_several_files_sums_them_and_lays_their_texts_end_to_end(oracle, sample_searcher):
    def folder(path: str, record: int = -1) -> str:
        return path.rsplit("/", 2)[-2]

    result = sample_searcher.run("明月")
    groups, total = group_counts(result, folder)
    plotted = {row.group: row for row in dispersion(result, folder)}
    per_file = result.per_file()
    assert [count.group for count in groups] == sorted({folder(entry.path) for entry in oracle}) == list(plotted)
    for count in groups:
        members = sorted((entry for entry in oracle if folder(entry.path) == count.group), key=lambda e: e.path)
        assert count.characters == plotted[count.group].characters == sum(len(entry.text) for entry in members)
        assert count.occurrences == sum(per_file.get(entry.path, (0, 0))[0] for entry in members)
        expected, before = [], 0
        for entry in members:
            expected += [before + offset for offset in scan_offsets(entry, "明月")]
            before += len(entry.text)
        assert list(plotted[count.group].offsets) == expected
    assert total.characters == sum(len(entry.text) for entry in oracle)


@pytest.mark.parametrize(
    "args",
    [
        ("count", "党员", "--by", "nosuchfield"),
        ("count", "党员", "--by", "nosuchfield", "--plot"),
        ("plot", "党员", "--by", "nosuchfield"),
    ],
)
def test_an_unknown_field_is_one_line_and_exit_2(seeds_index, args):
    result = run(*args, "--index", seeds_index)
    assert result.exit_code == 2
    assert result.stdout == ""
    fields = "file, author, place, script, source, title"  # seeds/metadata.csv
    assert result.stderr == f"cs: --by: unknown field 'nosuchfield' (fields: {fields})\n"


@pytest.mark.parametrize("flag", ["--json", "--csv", "--excel"])
def test_plot_with_a_data_form_is_a_usage_error(seeds_index, flag):
    result = run("count", "党员", "--plot", flag, "--index", seeds_index)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("cs: --plot draws text") and result.stderr.count("\n") == 1


def test_nothing_found_still_lists_the_groups_and_exits_1(seeds_dir, seeds_index):
    files = sorted(str(path) for path in seeds_dir.glob("*.txt"))
    result = run("count", "不存在的词", "--by", "file", "--index", seeds_index, "--json")
    assert result.exit_code == 1
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["file"] for row in rows] == [*files, None]
    assert all(row["occurrences"] == row["per_million"] == 0 for row in rows)
    plotted = run("plot", "不存在的词", "--index", seeds_index)
    assert plotted.exit_code == 1
    assert [line.split() for line in plotted.stdout.splitlines()] == [[path, "0", "-" * 60] for path in files]
