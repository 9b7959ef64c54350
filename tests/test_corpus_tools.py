"""cs kwic, cs count, cs collocates, --path and -C: against substring scans of the real files."""

from __future__ import annotations

import bisect
import functools
import json
import math
from collections import Counter

import pytest
from click.testing import CliRunner

from corpus_search.cli import cli
from corpus_search.concordance import collocates, counts, kwic, score_collocates
from corpus_search.normalize import normalize
from corpus_search.output import shown_text
from corpus_search.search import path_filter
from corpus_search.variants import fold
from test_search import oracle_starts


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def scan_count(oracle, typed: str) -> dict[str, int]:
    """Occurrences of a term per file: a substring scan of the normalised, folded text."""
    needle = fold(normalize(typed).text)
    found = {}
    for entry in oracle:
        occurrences = 0
        at = entry.folded.find(needle)
        while at >= 0:
            occurrences += 1
            at = entry.folded.find(needle, at + 1)
        if occurrences:
            found[entry.path] = occurrences
    return found


@pytest.mark.parametrize("query", ["宝玉", "孫悟空", "明月", "不知", "臨時黨支部"])
def test_count_equals_a_substring_scan(query, oracle, sample_searcher):
    files, total = counts(sample_searcher.run(query))
    expected = scan_count(oracle, query)
    assert {count.path: count.occurrences for count in files} == expected
    assert total.occurrences == sum(expected.values())
    assert total.passages == sample_searcher.run(query).total


def test_count_on_the_command_line(sample_index):
    result = run("count", "宝玉", "--index", sample_index, "--json")
    assert result.exit_code == 0
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert records[-1]["path"] is None
    assert records[-1]["occurrences"] == sum(record["occurrences"] for record in records[:-1])
    occurrences = [record["occurrences"] for record in records[:-1]]
    assert occurrences == sorted(occurrences, reverse=True)
    by_path = run("count", "宝玉", "--index", sample_index, "--sort", "path", "--color", "never").stdout.splitlines()
    assert by_path[-1].split()[-1] == "total"
    paths = [line.split()[-1] for line in by_path[:-1]]
    assert paths == sorted(paths)
    assert run("count", "不存在的词语啊", "--index", sample_index).exit_code == 1


def test_kwic_has_a_line_per_occurrence_centred_on_it(oracle, sample_searcher):
    lines = list(kwic(sample_searcher.run("孫悟空"), width=10))
    assert len(lines) == sum(scan_count(oracle, "孫悟空").values())
    assert {(line.path, line.line) for line in lines} == oracle_starts(oracle, "孫悟空")
    for line in lines:
        assert fold(normalize(line.keyword).text) == fold(normalize("孫悟空").text)
        assert len(line.left) <= 10 and len(line.right) <= 10
        assert "\n" not in line.left + line.right


def test_kwic_sorts_by_the_context_left_or_right(sample_searcher):
    from corpus_search.normalize import to_simplified

    result = sample_searcher.run("行者")
    right = [to_simplified(line.right) for line in kwic(result, 5, "right")]
    assert right == sorted(right)
    left = [to_simplified(line.left)[::-1] for line in kwic(result, 5, "left")]
    assert left == sorted(left)


@pytest.mark.parametrize("sort", ["left", "right"])
def test_kwic_sorted_is_text_order_sorted_line_by_line(sample_searcher, sort):
    # The sort keys are converted in one batch; ties keep text order.
    from corpus_search.normalize import to_simplified

    def key(line):
        return (to_simplified(line.left)[::-1] if sort == "left" else to_simplified(line.right)), to_simplified(
            line.keyword
        )

    for query in ("行者", "長安", "明月 OR 长安"):
        in_text_order = list(kwic(sample_searcher.run(query), 4))
        assert list(kwic(sample_searcher.run(query), 4, sort)) == sorted(in_text_order, key=key)


def test_kwic_columns_line_up_by_display_width(sample_index):
    from wcwidth import wcswidth

    result = run("kwic", "黛玉", "--index", sample_index, "--width", "8", "-n", "50", "--color", "never")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 50
    for line in lines:
        at = line.index("  黛玉  ")
        assert wcswidth(line[:at]) == 16, line
        assert wcswidth(line[: line.rindex("  ")]) == 16 + 2 + 4 + 2 + 16, line


def test_kwic_json_and_a_near_pair(seeds_index):
    result = run("kwic", "临时 NEAR/3 支部", "--index", seeds_index, "--json")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 3
    for record in records:
        assert record["keyword"] == "临时党支部"
        assert record["terms"] == ["临时", "支部"]


def test_collocates_score_by_the_two_by_two_table():
    # 10 words in the windows, 4 of them 甲; 甲 occurs 5 times in 100 words.
    [found] = score_collocates(Counter({"甲": 4, "乙": 6}), Counter({"甲": 5, "乙": 60}), total=100, min_count=3)
    assert found.word == "甲" and found.count == 4 and found.frequency == 5
    expected = [(4, 10 * 5 / 100), (6, 10 * 95 / 100), (1, 90 * 5 / 100), (89, 90 * 95 / 100)]
    assert found.log_likelihood == pytest.approx(2 * sum(o * math.log(o / e) for o, e in expected))
    assert found.mutual_information == pytest.approx(math.log2(4 / 0.5))


def whole_block_words(searcher, docnum: int) -> tuple[list[int], list[int], list[str]]:
    """Start, end and text of every word of a block: its whole text normalised, cut at the boundaries."""
    from corpus_search.analysis import BOUNDARY, is_collocate

    text = normalize(searcher.block_text(docnum)).text
    flags = searcher.bounds(docnum)
    length = searcher.layout(docnum).norm_starts[-1]
    assert len(text) == length
    cuts = [offset for offset in range(length + 1) if flags[offset] & BOUNDARY]
    words = [(a, b, text[a:b]) for a, b in zip(cuts, cuts[1:], strict=False) if is_collocate(text[a:b])]
    return [a for a, _, _ in words], [b for _, b, _ in words], [w for _, _, w in words]


@pytest.mark.parametrize(("query", "word"), [("黛玉", "宝玉"), ("悟空", "师父"), ("明月", "月")])
def test_collocates_count_the_words_within_the_window(query, word, sample_searcher):
    result = sample_searcher.run(query)
    found = {row.word: row for row in collocates(result, window=2, min_count=1)}
    expected = 0
    spans = sample_searcher.unit_spans(result.units[0], result.options)
    block_words = functools.cache(functools.partial(whole_block_words, sample_searcher))  # a block's words, once
    for key, occurrences in spans.items():
        starts, ends, words = block_words(key[0])
        for start, end in occurrences:
            before = bisect.bisect_right(ends, start)
            after = bisect.bisect_left(starts, end)
            expected += (words[max(0, before - 2) : before] + words[after : after + 2]).count(word)
    assert found[word].count == expected > 0
    assert found[word].log_likelihood > 0
    frequencies, total = sample_searcher.word_frequencies(result.docnums(), [word])
    assert frequencies[word] == sum(block_words(docnum)[2].count(word) for docnum in result.docnums())
    assert total == sum(len(block_words(docnum)[2]) for docnum in result.docnums())


@pytest.mark.parametrize(("window", "per_call"), [(1, None), (3, None), (5, None), (3, 7)])
def test_the_window_words_are_the_whole_block_words_around_each_occurrence(
    window, per_call, sample_searcher, monkeypatch
):
    # Every word counted, against the words of each block cut from its whole text normalised again; with
    # `per_call`, the kernel is called for a few occurrences at a time.
    from corpus_search import reader
    from corpus_search.concordance import window_words

    if per_call is not None:
        monkeypatch.setattr(reader, "_WINDOW_WORDS", per_call)
    block_words = functools.cache(functools.partial(whole_block_words, sample_searcher))
    for query in ("黛玉", "不知", "明月 OR 长安", "宝玉 NEAR/5 黛玉", "了"):
        result = sample_searcher.run(query)
        expected: Counter[str] = Counter()
        for unit in result.units:
            for key, occurrences in sample_searcher.unit_spans(unit, result.options).items():
                starts, ends, words = block_words(key[0])
                for start, end in occurrences:
                    before, after = bisect.bisect_right(ends, start), bisect.bisect_left(starts, end)
                    expected.update(words[max(0, before - window) : before] + words[after : after + window])
        assert window_words(result, window) == expected and expected


def test_a_window_wider_than_the_block_takes_all_its_words(sample_searcher):
    from corpus_search.concordance import window_words

    result = sample_searcher.run("看秋月春风")
    [(key, occurrences)] = sample_searcher.unit_spans(result.units[0], result.options).items()
    starts, ends, words = whole_block_words(sample_searcher, key[0])
    expected = Counter()
    for start, end in occurrences:
        expected.update(words[: bisect.bisect_right(ends, start)] + words[bisect.bisect_left(starts, end) :])
    assert window_words(result, 10**9) == expected and expected


def test_collocates_on_the_command_line(sample_index):
    result = run("collocates", "黛玉", "--index", sample_index, "-n", "5", "--json")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 5
    scores = [record["log_likelihood"] for record in records]
    assert scores == sorted(scores, reverse=True)
    assert "宝玉" in [record["word"] for record in records]


def test_path_globs_match_a_name_or_a_whole_path():
    wanted = path_filter(["*.txt"])
    assert wanted("novels/红楼梦.txt") and not wanted("novels/readme.md")
    assert path_filter(["novels/*"])("novels/红楼梦.txt")
    assert not path_filter(["tang/*"])("novels/红楼梦.txt")
    assert path_filter(["红楼梦.txt", "西游记.txt"])("x/西游记.txt")


def test_path_restricts_every_command(sample_index):
    everything = run("search", "行者", "--index", sample_index, "-c").stdout.splitlines()
    only = run("search", "行者", "--index", sample_index, "-c", "--path", "*西游记*").stdout.splitlines()
    assert len(everything) > 1 and only == [line for line in everything if "西游记" in line]
    assert run("search", "行者", "--index", sample_index, "--path", "nothing*").exit_code == 1


def test_context_prints_lines_around_a_hit_like_grep(sample_dir, sample_index):
    result = run("search", "惯看秋月春风", "--index", sample_index, "-C", "2", "--color", "never")
    lines = result.stdout.splitlines()
    hit = next(line for line in lines if ":9:" in line)
    path = hit.split(":9:")[0]
    original = (sample_dir / "novels" / "三国演义.txt").read_text(encoding="utf-8").splitlines()
    before = lines[: lines.index(hit)]
    assert before == [f"{path}-{n}-{shown_text(original[n - 1])}" for n in (7, 8)]
    data = json.loads(run("search", "惯看秋月春风", "--index", sample_index, "-C", "1", "--json").stdout)
    assert [entry["line"] for entry in data["before"]] == [8]


def test_shell_completion_lists_commands():
    result = CliRunner().invoke(
        cli, [], env={"_CS_COMPLETE": "bash_complete", "COMP_WORDS": "cs co", "COMP_CWORD": "1"}
    )
    assert "collocates" in result.output and "count" in result.output


def test_collocates_read_blocks_whose_seams_fall_inside_whitespace(tmp_path):
    """Box-drawing tables padded with spaces and ANSI colour codes, as a terminal log holds them: block
    seams fall inside whitespace runs, where a block normalised on its own came out one character short."""
    import random

    chooser = random.Random(1)
    words = ["系统", "文件", "使用", "可以", "一个", "没有"]
    lines = []
    for number in range(9000):
        cells = [chooser.choice(words) + " " * chooser.randint(0, 6) for _ in range(4)]
        colour = f"\x1b[3{number % 7}m时间已经\x1b[0m" if number % 3 == 0 else chooser.choice(words)
        lines.append("│ " + " │ ".join(cells) + f" │   {colour}   ")
        if number % 5 == 0:
            lines.append("├──────┼──────┼──────┤      ")
    text = "\n".join(lines) + "\n"
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "log.txt").write_text(text, encoding="utf-8")
    index_dir = str(tmp_path / "index")
    run("index", str(tmp_path / "in"), "--index", index_dir, "-q")
    result = run("collocates", "时间", "--index", index_dir, "--window", "1", "--min-count", "1", "--json")
    found = {record["word"]: record["count"] for record in map(json.loads, result.stdout.splitlines())}
    assert found["已经"] == text.count("时间已经") == 3000


@pytest.mark.parametrize(
    "query",
    ["的", "宝玉", "風", "花*月", "行者 OR 八戒", "宝玉 NOT 黛玉", "a", "1", "孫悟空", "之 NEAR/3 也"],
)
@pytest.mark.parametrize("options", [{}, {"exact_script": True}, {"whole_words": True}])
def test_passages_shown_together_are_the_passages_shown_one_by_one(query, options, sample_searcher):
    """A KWIC shows the passages of a block together, from the occurrences the engine found: each must be
    the Shown that finding the query again in that passage alone gives (words, lines and spans alike)."""
    result = sample_searcher.run(query, **options)
    keys = sorted(key for _, _, _, key in result.ranked)
    together = list(sample_searcher.shown_many(keys, result.units, result.options))
    one_by_one = [sample_searcher.shown(key, result.units, result.options) for key in keys]
    assert together == one_by_one
    assert sum(len(shown.occurrences) for shown in together) == len(list(kwic(result)))
