"""Benchmark `cs` in one run on one corpus, against a stock jieba + Whoosh index and against its floors.

    python bench/run.py            # full run on ../shared/corpus, writes BENCHMARKS.md (several minutes)
    python bench/run.py --smoke    # every step on a tiny corpus, in seconds, writes a temporary file

Machines are noisy, so every figure is also given as a ratio to a baseline measured in the same run, and
the issue's goals are checked on those ratios. Every step that loads a library runs in a process of its
own (this script with `--child TASK`), so no step's memory or caches colour the next one, and peak RSS is
read from `os.wait4` on that one process (its waited-for workers included).
"""

from __future__ import annotations

import argparse
import datetime
import functools
import json
import logging
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
DEFAULT_OUT = ROOT / "BENCHMARKS.md"
CHILD = "--child"

# Common and rare words, 2–8 character phrases, AND (space) and OR, both scripts, one with no hit at all.
QUERIES = [
    "宝玉",
    "林黛玉",
    "孙悟空",
    "孫悟空",
    "齐天大圣孙悟空",
    "明月",
    "明月 OR 清風",
    "行者 八戒",
    "看秋月春风",
    "临时党支部",
    "天下大势",
    "滚滚长江东逝水",
    "如何且听下回分解",
    "葡萄美酒夜光杯",
    "春眠不觉晓",
    "李白",
    "長安",
    "长安",
    "不知",
    "一声",
    "黄河",
    "白发三千丈",
    "风 雨",
    "将军 OR 丞相",
    "梁山泊",
    "宋江",
    "贾母 王夫人",
    "西天取经",
    "如来佛祖",
    "嫦娥",
    "洞庭",
    "蓬莱",
]
# The smoke corpus is seeds/ plus the corpus's smallest file (a Tang-poem file): queries that hit both.
SMOKE_QUERIES = ["临时党支部", "臨時黨組織", "党员 干部", "明月", "長安", "明月 OR 清風", "风 雨"]
RSS_QUERY = "的"  # the commonest character: the most hits to rank

IMPORT_FLOOR_CODE = "import whoosh.index, whoosh.searching, whoosh.query, click"
APPENDED_LINE = "\n基准测试在文件末尾追加的一行。\n"
GROWTH_COPIES = 4
STARTED = time.perf_counter()
MB = 1_000_000
GIB = 1 << 30


class BenchError(Exception):
    """A step that cannot be measured; the message says which and why."""


# -- processes ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finished:
    """A process that has ended: wall time, exit code, peak RSS of it and its waited-for children."""

    seconds: float
    exit_code: int
    peak_rss: int | None
    stdout: str
    stderr: str


def run_measured(argv: Sequence[str], cwd: Path | None = None) -> Finished:
    """Run argv to its end; os.wait4 reports the peak RSS of this process tree alone, not of earlier steps."""
    environment = {**os.environ, "NO_COLOR": "1"}
    environment.pop("CS_INDEX", None)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            list(argv), stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=cwd, env=environment
        )
        peak_rss = None
        if hasattr(os, "wait4"):
            _, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
            peak_rss = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
        else:
            process.wait()
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        return Finished(
            seconds,
            process.returncode,
            peak_rss,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
        )


def checked(finished: Finished, what: str, allowed: tuple[int, ...] = (0,)) -> Finished:
    if finished.exit_code not in allowed:
        raise BenchError(f"{what} exited {finished.exit_code}: {finished.stderr.strip()[-2000:]}")
    return finished


def run_child(task: str, *args: str) -> tuple[dict, Finished]:
    """Run one of this script's child tasks in a fresh interpreter; it prints its figures as one JSON line."""
    finished = checked(run_measured([sys.executable, str(Path(__file__).resolve()), CHILD, task, *args]), task)
    return json.loads(finished.stdout.strip().splitlines()[-1]), finished


@functools.cache
def cs_executable() -> str:
    """The `cs` installed beside this interpreter, so the CLI and the API measured are the same install."""
    beside = Path(sys.executable).parent / "cs"
    found = str(beside) if beside.exists() else shutil.which("cs")
    if not found:
        raise BenchError("no `cs` command beside this Python or on PATH: pip install -e . first")
    return found


def run_cs(*args: str, allowed: tuple[int, ...] = (0,)) -> Finished:
    return checked(run_measured([cs_executable(), *args]), "cs " + " ".join(args[:2]), allowed)


def index_with_cs(corpus: Path, index_dir: Path) -> Finished:
    return run_cs("index", str(corpus), "--index", str(index_dir), "--glob", "*.txt", "-q")


# -- the corpus --------------------------------------------------------------------------------------


def corpus_files(corpus: Path) -> list[Path]:
    """The files the benchmarks index (`--glob '*.txt'`, so that the corpus's README.md is not one of
    them): every *.txt under the corpus, in a stable order."""
    return sorted(path for path in corpus.rglob("*.txt") if path.is_file())


def read_corpus_text(path: Path) -> str:
    """Every measurement counts characters decoded the same way (the corpus is UTF-8, some with a BOM)."""
    return path.read_bytes().decode("utf-8-sig", errors="replace")


def copy_corpus(files: list[Path], corpus: Path, destination: Path) -> list[Path]:
    """Writable copies (the shared corpus is read-only), so one can be changed and each has its own real path."""
    copies = []
    for path in files:
        target = destination / path.relative_to(corpus)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        copies.append(target)
    return copies


def make_smoke_corpus(corpus: Path, destination: Path) -> Path:
    """The project's seeds plus the corpus's smallest file: every quirk, and seconds to index."""
    copy_corpus(corpus_files(ROOT / "seeds"), ROOT / "seeds", destination / "seeds")
    smallest = min(corpus_files(corpus), key=lambda path: path.stat().st_size)
    copy_corpus([smallest], corpus, destination / "corpus")
    return destination


def directory_bytes(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())


# -- child tasks: each runs in its own interpreter and returns JSON-able figures ----------------------


def quiet_jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def child_stock(corpus: str, index_dir: str) -> dict:
    """The stock way: jieba's own Whoosh analyzer, one document per non-empty line, Whoosh's default writer."""
    quiet_jieba()
    from jieba.analyse import ChineseAnalyzer
    from whoosh import index
    from whoosh.fields import ID, STORED, TEXT, Schema

    schema = Schema(path=ID(stored=True), line=STORED, content=TEXT(analyzer=ChineseAnalyzer()))
    os.makedirs(index_dir, exist_ok=True)
    writer = index.create_in(index_dir, schema).writer()
    documents = 0
    for path in corpus_files(Path(corpus)):
        for number, line in enumerate(read_corpus_text(path).splitlines(), 1):
            if line.strip():
                writer.add_document(path=str(path), line=number, content=line)
                documents += 1
    writer.commit()
    return {"documents": documents}


def cut_file(path: Path) -> int:
    """Segment one file as `cs` does for ranking (dictionary only, no HMM); returns the word count."""
    import jieba

    return sum(1 for _ in jieba.cut(read_corpus_text(path), HMM=False))


def ready_jieba_worker(barrier) -> None:
    """Load the dictionary, then wait, so the clock starts when every worker can cut at once."""
    quiet_jieba().initialize()
    barrier.wait()


def child_jieba(corpus: str, processes: str) -> dict:
    """jieba's throughput floor: files read and cut, dictionary already loaded; biggest files first to balance."""
    import multiprocessing

    files = sorted(corpus_files(Path(corpus)), key=lambda path: path.stat().st_size, reverse=True)
    workers = int(processes)
    if workers == 1:
        quiet_jieba().initialize()
        started = time.perf_counter()
        words = sum(map(cut_file, files))
        return {"seconds": time.perf_counter() - started, "words": words}
    barrier = multiprocessing.Barrier(workers + 1)
    with multiprocessing.Pool(workers, initializer=ready_jieba_worker, initargs=(barrier,)) as pool:
        barrier.wait()
        started = time.perf_counter()
        words = sum(pool.map(cut_file, files, chunksize=1))
        return {"seconds": time.perf_counter() - started, "words": words}


def child_opencc(corpus: str) -> dict:
    """OpenCC t2s's throughput floor: cs converts every file once, whole."""
    import opencc

    converter = opencc.OpenCC("t2s")
    started = time.perf_counter()
    for path in corpus_files(Path(corpus)):
        converter.convert(read_corpus_text(path))
    return {"seconds": time.perf_counter() - started}


def timed_runs(query_once: Callable[[], object], runs: int) -> list[float]:
    """One untimed warm-up (imports, page cache), then `runs` timed calls."""
    query_once()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        query_once()
        times.append(time.perf_counter() - started)
    return times


def fresh_search(index_dir: str, query: str) -> int:
    """A new Searcher per query, as a program that answers one query does: its caches start empty."""
    from corpus_search.search import Searcher

    with Searcher(index_dir) as searcher:
        return len(list(searcher.run(query).hits(20)))


def reused_search(searcher, query: str) -> int:
    """An open Searcher, as a long-lived program keeps one, with the per-term cache emptied first."""
    searcher._occurrences.clear()
    return len(list(searcher.run(query).hits(20)))


def child_warm(index_dir: str, queries_json: str, runs: str) -> dict:
    """Query latency through the Python API in one warm process, in seconds per run, per query."""
    from corpus_search.search import Searcher

    queries = json.loads(queries_json)
    fresh: dict[str, list[float] | None] = {}
    for query in queries:
        try:
            fresh[query] = timed_runs(functools.partial(fresh_search, index_dir, query), int(runs))
        except Exception:  # a query cs rejects is reported as an error, the others are still measured
            fresh[query] = None
    reused: dict[str, list[float] | None] | None = None
    with Searcher(index_dir) as searcher:
        if isinstance(getattr(searcher, "_occurrences", None), dict):
            reused = {}
            for query in queries:
                try:
                    reused[query] = timed_runs(functools.partial(reused_search, searcher, query), int(runs))
                except Exception:
                    reused[query] = None
    return {"fresh": fresh, "reused": reused}


CHILD_TASKS: dict[str, Callable[..., dict]] = {
    "stock": child_stock,
    "jieba": child_jieba,
    "opencc": child_opencc,
    "warm": child_warm,
}


# -- measurements ------------------------------------------------------------------------------------


@dataclass
class IndexRun:
    seconds: float
    bytes: int
    peak_rss: int | None


@dataclass
class QueryFigures:
    query: str
    cold_seconds: float | None = None  # median of new `cs search` processes; None when cs failed
    warm_seconds: float | None = None  # median of the timed API runs
    rg_simplified: int | None = None  # lines holding the simplified form (single terms, rg installed)
    rg_traditional: int | None = None
    rg_either: int | None = None
    cs_starts: int | None = None  # distinct (path, line) where a match starts, from --json
    short_files: list[str] = field(default_factory=list)  # files where cs has fewer starts than rg lines
    error: str = ""


@dataclass
class Growth:
    index: IndexRun
    warm_samples: list[float]


@dataclass
class Figures:
    files: int = 0
    chars: int = 0
    stock: IndexRun | None = None
    stock_documents: int = 0
    cs: IndexRun | None = None
    jieba_1_seconds: float = 0.0
    jieba_2_seconds: float = 0.0
    opencc_seconds: float = 0.0
    import_seconds: float = 0.0
    import_rss: int | None = None
    cold_floor_samples: list[float] = field(default_factory=list)  # the import floor, run beside each cold search
    noop_seconds: float = 0.0
    changed_fresh_seconds: float | None = None
    changed_seconds: float | None = None
    changed_file: str = ""
    queries: list[QueryFigures] = field(default_factory=list)
    warm_samples: list[float] = field(default_factory=list)
    reused_samples: list[float] | None = None
    rg_version: str | None = None
    rg_seconds: list[float] = field(default_factory=list)
    search_rss: int | None = None
    growth: Growth | None = None
    failures: dict[str, str] = field(default_factory=dict)  # optional step → why it could not be measured


@dataclass(frozen=True)
class Settings:
    corpus: Path  # the corpus measured: the shared one, or the tiny one with --smoke
    described: str  # what the corpus is, for the report (the smoke corpus lives in a temporary folder)
    out: Path
    smoke: bool
    growth: bool
    queries: list[str]
    cold_runs: int  # new `cs search` processes per query
    warm_runs: int  # timed API runs per query, after one warm-up
    import_runs: int


def step(message: str) -> None:
    """Progress on stderr: the full run takes minutes."""
    print(f"[{time.perf_counter() - STARTED:5.0f} s] {message}", file=sys.stderr, flush=True)


def measure_import_floor(runs: int) -> tuple[float, int | None]:
    """The least a new Python process that searches a Whoosh index with a Click CLI can cost."""
    finished = [checked(run_measured([sys.executable, "-c", IMPORT_FLOOR_CODE]), "import floor") for _ in range(runs)]
    peaks = [run.peak_rss for run in finished if run.peak_rss is not None]
    return statistics.median(run.seconds for run in finished), max(peaks) if peaks else None


def measure_floors(settings: Settings, figures: Figures) -> None:
    corpus = str(settings.corpus)
    figures.import_seconds, figures.import_rss = measure_import_floor(settings.import_runs)
    figures.jieba_1_seconds = run_child("jieba", corpus, "1")[0]["seconds"]
    figures.jieba_2_seconds = run_child("jieba", corpus, "2")[0]["seconds"]
    figures.opencc_seconds = run_child("opencc", corpus)[0]["seconds"]


def measure_stock(settings: Settings, work: Path) -> tuple[IndexRun, int]:
    index_dir = work / "stock-index"
    result, finished = run_child("stock", str(settings.corpus), str(index_dir))
    return IndexRun(finished.seconds, directory_bytes(index_dir), finished.peak_rss), result["documents"]


def measure_cs_index(corpus: Path, index_dir: Path) -> IndexRun:
    finished = index_with_cs(corpus, index_dir)
    return IndexRun(finished.seconds, directory_bytes(index_dir), finished.peak_rss)


def is_single_term(query: str) -> bool:
    return len(query.split()) == 1 and not any(char in query for char in '"()')


def rg_version() -> str | None:
    if not shutil.which("rg"):
        return None
    return run_measured(["rg", "--version"]).stdout.splitlines()[0]


def rg_line_counts(patterns: list[str], corpus: Path) -> tuple[dict[str, int], float]:
    """Lines holding any of the literal patterns, per file, as ripgrep counts them, and rg's wall time."""
    argv = ["rg", "--count", "--with-filename", "--fixed-strings", "--no-ignore", "--hidden", "--glob", "*.txt"]
    for pattern in patterns:
        argv += ["-e", pattern]
    finished = checked(run_measured([*argv, str(corpus)]), "rg", allowed=(0, 1))
    counts = {}
    for line in finished.stdout.splitlines():
        path, _, count = line.rpartition(":")
        counts[os.path.relpath(path, corpus)] = int(count)
    return counts, finished.seconds


def cs_line_starts(query: str, index_dir: Path, corpus: Path) -> dict[str, set[int]]:
    """Distinct lines where cs's matches start, per file: the figure comparable with rg's matching lines."""
    finished = run_cs("search", *query.split(), "--index", str(index_dir), "--json", "-n", "0", allowed=(0, 1))
    starts: dict[str, set[int]] = {}
    for line in finished.stdout.splitlines():
        hit = json.loads(line)
        lines = starts.setdefault(os.path.relpath(hit["path"], corpus), set())
        lines.update(match["line"] for match in hit["matches"])
    return starts


def cold_search_seconds(query: str, index_dir: Path, runs: int, floor_samples: list[float]) -> float:
    """A query as a user types it at the shell: a new process each time, median of `runs`. Each run
    follows one run of the import floor, whose time goes to `floor_samples`: on a shared machine the
    speed of a process moves by tens of percent within minutes, so only runs side by side compare."""
    times = []
    for _ in range(runs):
        floor_samples.append(checked(run_measured([sys.executable, "-c", IMPORT_FLOOR_CODE]), "import floor").seconds)
        times.append(run_cs("search", *query.split(), "--index", str(index_dir), "-n", "20", allowed=(0, 1)).seconds)
    return statistics.median(times)


def compare_with_rg(figure: QueryFigures, index_dir: Path, corpus: Path, figures: Figures) -> None:
    """Fill in rg's line counts (both scripts) and cs's line starts, and name the files where cs has fewer."""
    starts = cs_line_starts(figure.query, index_dir, corpus)
    figure.cs_starts = sum(len(lines) for lines in starts.values())
    if figures.rg_version is None or not is_single_term(figure.query):
        return
    import opencc

    simplified = opencc.OpenCC("t2s").convert(figure.query)
    traditional = opencc.OpenCC("s2t").convert(figure.query)
    figure.rg_simplified = sum(rg_line_counts([simplified], corpus)[0].values())
    figure.rg_traditional = sum(rg_line_counts([traditional], corpus)[0].values())
    either, seconds = rg_line_counts(sorted({simplified, traditional}), corpus)
    figures.rg_seconds.append(seconds)
    figure.rg_either = sum(either.values())
    figure.short_files = sorted(path for path, count in either.items() if len(starts.get(path, ())) < count)


def measure_queries(settings: Settings, index_dir: Path, figures: Figures) -> None:
    for query in settings.queries:
        figure = QueryFigures(query)
        try:
            figure.cold_seconds = cold_search_seconds(query, index_dir, settings.cold_runs, figures.cold_floor_samples)
            compare_with_rg(figure, index_dir, settings.corpus, figures)
        except BenchError as error:
            figure.error = str(error)
        figures.queries.append(figure)
    warm, _ = run_child("warm", str(index_dir), json.dumps(settings.queries), str(settings.warm_runs))
    for figure in figures.queries:
        samples = warm["fresh"].get(figure.query)
        if samples:
            figure.warm_seconds = statistics.median(samples)
            figures.warm_samples.extend(samples)
        elif not figure.error:
            figure.error = "the API raised an error"
    if warm["reused"] is not None:
        figures.reused_samples = [sample for samples in warm["reused"].values() if samples for sample in samples]
    figures.search_rss = run_cs("search", RSS_QUERY, "--index", str(index_dir), "-n", "20", allowed=(0, 1)).peak_rss


def measure_one_file_changed(settings: Settings, work: Path, figures: Figures) -> None:
    """Re-index after appending a line to the biggest file of a copy: the worst single-file change."""
    copies = copy_corpus(corpus_files(settings.corpus), settings.corpus, work / "changed-corpus")
    index_dir = work / "changed-index"
    figures.changed_fresh_seconds = index_with_cs(work / "changed-corpus", index_dir).seconds
    biggest = max(copies, key=lambda path: path.stat().st_size)
    with biggest.open("a", encoding="utf-8") as handle:
        handle.write(APPENDED_LINE)
    figures.changed_seconds = index_with_cs(work / "changed-corpus", index_dir).seconds
    figures.changed_file = str(biggest.relative_to(work / "changed-corpus"))


def measure_growth(settings: Settings, work: Path) -> Growth:
    """The corpus four times over (real copies: cs keys files by real path, so symlinks would collapse)."""
    corpus = work / "corpus-x4"
    files = corpus_files(settings.corpus)
    for number in range(1, GROWTH_COPIES + 1):
        copy_corpus(files, settings.corpus, corpus / f"copy{number}")
    index = measure_cs_index(corpus, work / "index-x4")
    warm, _ = run_child("warm", str(work / "index-x4"), json.dumps(settings.queries), str(settings.warm_runs))
    samples = [sample for runs in warm["fresh"].values() if runs for sample in runs]
    return Growth(index, samples)


def measure_all(settings: Settings, work: Path) -> Figures:
    files = corpus_files(settings.corpus)
    figures = Figures(files=len(files), chars=sum(len(read_corpus_text(path)) for path in files))
    figures.rg_version = rg_version()
    step(f"corpus {settings.corpus}: {figures.files} files, {figures.chars:,} characters")
    step("floors: cold import, jieba (1 and 2 processes), OpenCC t2s")
    measure_floors(settings, figures)
    step("stock baseline: jieba ChineseAnalyzer in Whoosh, one document per line (the slow part)")
    figures.stock, figures.stock_documents = measure_stock(settings, work)
    step("cs index, fresh")
    index_dir = work / "index"
    figures.cs = measure_cs_index(settings.corpus, index_dir)
    step("cs index, nothing changed")
    figures.noop_seconds = index_with_cs(settings.corpus, index_dir).seconds
    step(f"search: {len(settings.queries)} queries, cold and warm, against rg")
    measure_queries(settings, index_dir, figures)
    step("cs index after one file changed (on a copy)")
    try:
        measure_one_file_changed(settings, work, figures)
    except BenchError as error:  # the later steps are optional: report the failure, keep the figures
        figures.failures["one file changed"] = str(error)
    if settings.growth:
        step(f"growth: the corpus {GROWTH_COPIES}× over, indexed and queried")
        try:
            figures.growth = measure_growth(settings, work)
        except BenchError as error:
            figures.failures["growth"] = str(error)
    step("done")
    return figures


# -- figures → table ---------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile: a value that was measured, never an interpolation."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def seconds_text(seconds: float) -> str:
    return f"{seconds:.2f} s"


def ms_text(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def rate_text(chars_per_second: float) -> str:
    return f"{chars_per_second:,.0f} chars/s"


def size_text(size: float) -> str:
    return f"{size / MB:.1f} MB"


@dataclass(frozen=True)
class Row:
    figure: str
    value: str
    baseline: str = "—"
    ratio: str = "—"
    goal: str = ""
    met: str = ""


def row(
    figure: str,
    value: float | None,
    show: Callable[[float], str],
    baseline: tuple[str, float | None] | None = None,
    goal: str = "",
    met: Callable[[float, float | None], bool] | None = None,
) -> Row:
    """One line of the table; `met(value, ratio)` decides the goal, ratio = value ÷ baseline."""
    if value is None:
        return Row(figure, "not measured", goal=goal, met="?" if goal else "")
    ratio = None
    baseline_text = "—"
    if baseline is not None:
        name, base = baseline
        if base:
            ratio = value / base
            baseline_text = f"{show(base)} ({name})"
    return Row(
        figure,
        show(value),
        baseline_text,
        f"{ratio:.2f}×" if ratio is not None else "—",
        goal,
        ("yes" if met(value, ratio) else "NO") if met else "",
    )


def ratio_at_least(limit: float) -> Callable[[float, float | None], bool]:
    return lambda value, ratio: ratio is not None and ratio >= limit


def ratio_at_most(limit: float) -> Callable[[float, float | None], bool]:
    return lambda value, ratio: ratio is not None and ratio <= limit


def value_at_most(limit: float) -> Callable[[float, float | None], bool]:
    return lambda value, ratio: value <= limit


def index_rows(figures: Figures) -> list[Row]:
    stock, cs, chars = figures.stock, figures.cs, figures.chars
    assert stock is not None and cs is not None
    stock_rate, cs_rate = chars / stock.seconds, chars / cs.seconds
    jieba_rate = chars / figures.jieba_1_seconds
    return [
        row("stock index: time", stock.seconds, seconds_text),
        row("stock index: throughput", stock_rate, rate_text),
        row("stock index: size", stock.bytes, size_text),
        row("stock index: peak RSS", stock.peak_rss, size_text),
        row("cs index: time", cs.seconds, seconds_text, ("stock", stock.seconds)),
        row(
            "cs index: throughput",
            cs_rate,
            rate_text,
            ("stock", stock_rate),
            "≥ 3× stock",
            ratio_at_least(3),
        ),
        row(
            "cs index: throughput vs jieba floor",
            cs_rate,
            rate_text,
            ("jieba in 2 processes", chars / figures.jieba_2_seconds),
            "≥ 0.8×",
            ratio_at_least(0.8),
        ),
        row(
            "cs index: size",
            cs.bytes,
            size_text,
            ("stock", stock.bytes),
            "≤ 1× stock",
            ratio_at_most(1),
        ),
        row(
            "cs index: peak RSS",
            cs.peak_rss,
            size_text,
            ("stock", stock.peak_rss),
            "≤ 1 GiB",
            value_at_most(GIB),
        ),
        row("floor: jieba.cut, 1 process", jieba_rate, rate_text),
        row(
            "floor: jieba.cut, 2 processes",
            chars / figures.jieba_2_seconds,
            rate_text,
            ("jieba 1 process", jieba_rate),
        ),
        row("floor: OpenCC t2s, 1 process", chars / figures.opencc_seconds, rate_text),
        row(
            "cs index: nothing changed",
            figures.noop_seconds,
            seconds_text,
            ("import floor", figures.import_seconds),
            "≤ 2 s",
            value_at_most(2),
        ),
        row(
            "cs index: one file changed",
            figures.changed_seconds,
            seconds_text,
            ("fresh index of the copy", figures.changed_fresh_seconds),
        ),
    ]


def search_rows(figures: Figures) -> list[Row]:
    cold = [figure.cold_seconds for figure in figures.queries if figure.cold_seconds is not None]
    samples = figures.warm_samples
    rg_scan = ("rg scan, median", statistics.median(figures.rg_seconds)) if figures.rg_seconds else None
    floor = statistics.median(figures.cold_floor_samples) if figures.cold_floor_samples else None
    rows = [
        row("floor: cold import", figures.import_seconds, seconds_text),
        row("floor: cold import, beside the searches", floor, seconds_text),
        row(
            "cold cs search: median",
            statistics.median(cold) if cold else None,
            seconds_text,
            ("import floor", floor),
            "≤ 1.5× import floor",
            ratio_at_most(1.5),
        ),
        row("warm query: p50", percentile(samples, 0.5) if samples else None, ms_text, rg_scan),
        row(
            "warm query: p95",
            percentile(samples, 0.95) if samples else None,
            ms_text,
            rg_scan,
            "≤ 30 ms",
            value_at_most(0.030),
        ),
    ]
    if figures.reused_samples:
        rows.append(row("warm query, open Searcher: p95", percentile(figures.reused_samples, 0.95), ms_text, rg_scan))
    rows.append(
        row(
            f"cs search peak RSS ({RSS_QUERY})",
            figures.search_rss,
            size_text,
            ("import floor", figures.import_rss),
            "≤ 250 MB",
            value_at_most(250 * MB),
        )
    )
    return rows


def growth_rows(figures: Figures, settings: Settings) -> list[Row]:
    names = ["4× corpus: index throughput", "4× corpus: warm query p50", "4× corpus: warm query p95"]
    growth, cs = figures.growth, figures.cs
    if growth is None or cs is None:
        if "growth" in figures.failures:
            reason = "failed (see below)"
        else:
            reason = "skipped (--smoke)" if settings.smoke else "skipped (--no-growth)"
        return [Row(name, reason) for name in names]
    samples, base = growth.warm_samples, figures.warm_samples
    within = ratio_at_most(1.5)
    return [
        row(
            names[0],
            GROWTH_COPIES * figures.chars / growth.index.seconds,
            rate_text,
            ("1×", figures.chars / cs.seconds),
        ),
        row(names[1], percentile(samples, 0.5), ms_text, ("1×", percentile(base, 0.5)), "≤ 1.5× of 1×", within),
        row(names[2], percentile(samples, 0.95), ms_text, ("1×", percentile(base, 0.95)), "≤ 1.5× of 1×", within),
    ]


def recall_row(figures: Figures) -> Row:
    figure = "queries where cs finds fewer line starts than rg"
    if figures.rg_version is None:
        return Row(figure, "rg not installed: not compared", goal="0", met="?")
    compared = [query for query in figures.queries if query.rg_either is not None]
    short = [query.query for query in compared if query.short_files]
    value = f"{len(short)} of {len(compared)}" + (f": {', '.join(short)}" if short else "")
    return Row(figure, value, goal="0", met="NO" if short else "yes")


def error_row(figures: Figures) -> Row:
    failed = [query.query for query in figures.queries if query.error]
    return Row(
        "queries cs failed on",
        f"{len(failed)}" + (f": {', '.join(failed)}" if failed else ""),
        goal="0",
        met="NO" if failed else "yes",
    )


def build_rows(figures: Figures, settings: Settings) -> list[Row]:
    return [
        *index_rows(figures),
        *search_rows(figures),
        *growth_rows(figures, settings),
        recall_row(figures),
        error_row(figures),
    ]


def query_table_rows(figures: Figures) -> list[list[str]]:
    def count(value: int | None) -> str:
        return "—" if value is None else f"{value:,}"

    lines = []
    for figure in figures.queries:
        if figure.error:
            check = "error: " + figure.error.splitlines()[0][:80]
        elif figure.short_files:
            check = "CS FINDS FEWER in " + ", ".join(figure.short_files)
        else:
            check = "ok" if figure.rg_either is not None else ""
        lines.append(
            [
                figure.query,
                "—" if figure.cold_seconds is None else f"{figure.cold_seconds * 1000:.0f}",
                "—" if figure.warm_seconds is None else f"{figure.warm_seconds * 1000:.1f}",
                count(figure.rg_simplified),
                count(figure.rg_traditional),
                count(figure.rg_either),
                count(figure.cs_starts),
                check,
            ]
        )
    return lines


# -- report ------------------------------------------------------------------------------------------


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    return "\n".join([line(header), line(["---"] * len(header)), *(line(cells) for cells in rows)])


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def project_revision() -> str:
    """The commit measured, and whether src/ had uncommitted changes (src/ moves while we measure)."""
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "src"], capture_output=True, text=True
        )
    except OSError:
        return "unknown"
    if head.returncode != 0:
        return "unknown"
    return head.stdout.strip() + (" with uncommitted changes in src/" if dirty.stdout.strip() else "")


def library_versions() -> str:
    names = ["whoosh", "jieba", "opencc-python-reimplemented", "click"]
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} missing")
    return ", ".join(found)


def machine_lines(figures: Figures, settings: Settings, started_at: datetime.datetime, minutes: float) -> list[str]:
    return [
        f"- cores: {os.cpu_count()}",
        f"- CPU: {cpu_model()}",
        f"- Python: {platform.python_version()} ({platform.platform()})",
        f"- date: {started_at.isoformat(timespec='seconds')}; the run took {minutes:.1f} min",
        f"- cs: commit {project_revision()}; {library_versions()}",
        f"- rg: {figures.rg_version or 'not installed (the rg columns are empty)'}",
        f"- corpus: {settings.described}: {figures.files} files, "
        f"{figures.chars:,} characters (decoded), {figures.stock_documents:,} non-empty lines",
    ]


NOTES = """\
How each figure is taken (every process is timed by wall clock, from start to exit):

- **stock index**: `jieba.analyse.ChineseAnalyzer()` in a Whoosh `TEXT` field, one document per non-empty
  line of every file, Whoosh's default `ix.writer()`, then commit; in its own process.
- **cs index**: `cs index CORPUS --index DIR -q` in a new process; peak RSS includes its worker processes.
  *Nothing changed*: the same command again. *One file changed*: on a copy of the corpus, one line appended
  to its biggest file ({changed}), then the same command again.
- **throughput** is the decoded characters of the corpus (one count for every row) per second.
- **floors**: `jieba.cut(text, HMM=False)` and OpenCC `t2s` over every file, dictionaries loaded before
  the clock starts (with 2 processes: one file per task, biggest first); *cold import* is the median of
  {import_runs} runs of `python -c "{import_code}"`.
- **cold cs search**: `cs search QUERY --index DIR -n 20` in a new process, median of {cold_runs} runs per
  query, then the median over the queries. Each run follows one run of the import floor, and the row
  compares with the median of those floor runs: the speed of this shared machine moves by tens of
  percent within minutes, so a floor taken at the start of the run does not compare.
- **warm query**: `Searcher(DIR).run(q).hits(20)` with a new `Searcher` each run, so no query is answered
  from a cache; {warm_runs} timed runs per query after one warm-up, percentiles over all runs of all
  queries. *Open Searcher*: one `Searcher` kept open, its per-term cache emptied before each run.
  The rg baseline is the median time of one `rg -c -F` over the raw files.
- **rg lines**: `rg -c -F` on the raw `*.txt` files for the simplified form, the traditional form (OpenCC
  `s2t`/`t2s` of single-term queries) and either; **cs starts**: distinct (file, line) where a match starts
  in `cs search QUERY --json -n 0`. cs also finds words broken across lines, so it may find more; fewer is
  flagged.
"""


def render(figures: Figures, settings: Settings, rows: list[Row], machine: list[str]) -> str:
    main_table = markdown_table(
        ["figure", "value", "baseline", "ratio", "goal", "met?"],
        [[r.figure, r.value, r.baseline, r.ratio, r.goal, r.met] for r in rows],
    )
    query_table = markdown_table(
        [
            "query",
            "cold ms",
            "warm ms",
            "rg lines (simp.)",
            "rg lines (trad.)",
            "rg lines (either)",
            "cs starts",
            "check",
        ],
        query_table_rows(figures),
    )
    notes = NOTES.format(
        changed=figures.changed_file,
        import_runs=settings.import_runs,
        import_code=IMPORT_FLOOR_CODE,
        cold_runs=settings.cold_runs,
        warm_runs=settings.warm_runs,
    )
    sections = [
        "# Benchmarks",
        "Written by `python bench/run.py` (add `--smoke` for a quick check on a tiny corpus); do not edit by "
        "hand. Run it from the project root with the project installed (`pip install -e .`); the stock "
        "baseline takes minutes. Ratios are what count: each is taken against a baseline measured in the "
        "same run on the same machine.",
        "## Machine",
        "\n".join(machine),
        "## Results",
        main_table,
        notes.rstrip(),
        "## Per query",
        query_table,
    ]
    if figures.failures:
        sections += ["## Steps that failed", "\n".join(f"- {name}: {why}" for name, why in figures.failures.items())]
    return "\n\n".join(sections) + "\n"


# -- command line ------------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="corpus folder (default: %(default)s)")
    parser.add_argument("--out", type=Path, help="where to write the report (default: BENCHMARKS.md at the root)")
    parser.add_argument("--smoke", action="store_true", help="every step on a tiny corpus, in seconds")
    parser.add_argument(
        "--growth",
        action=argparse.BooleanOptionalAction,
        help="also index the corpus 4× over and query it (default: on, off with --smoke)",
    )
    return parser.parse_args(argv)


def make_settings(args: argparse.Namespace, work: Path) -> Settings:
    corpus = args.corpus.resolve()
    if not corpus.is_dir():
        raise BenchError(f"no corpus at {corpus} (--corpus PATH)")
    if args.smoke:
        out = args.out or Path(tempfile.mkstemp(prefix="cs-bench-smoke-", suffix=".md")[1])
        return Settings(
            corpus=make_smoke_corpus(corpus, work / "smoke-corpus"),
            described=f"smoke: seeds/ and the smallest file of {corpus}",
            out=out,
            smoke=True,
            growth=bool(args.growth),
            queries=SMOKE_QUERIES,
            cold_runs=1,
            warm_runs=2,
            import_runs=2,
        )
    growth = True if args.growth is None else args.growth
    return Settings(
        corpus, str(corpus), args.out or DEFAULT_OUT, False, growth, QUERIES, cold_runs=3, warm_runs=5, import_runs=5
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == [CHILD]:
        task, *args = argv[1:]
        print(json.dumps(CHILD_TASKS[task](*args)))
        return 0
    args = parse_args(argv)
    started_at = datetime.datetime.now().astimezone()
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="cs-bench-") as temporary:
            settings = make_settings(args, Path(temporary))
            figures = measure_all(settings, Path(temporary))
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    machine = machine_lines(figures, settings, started_at, (time.perf_counter() - started) / 60)
    report = render(figures, settings, build_rows(figures, settings), machine)
    report += kept_sections(settings.out)
    settings.out.write_text(report, encoding="utf-8")
    print(report)
    print(f"written to {settings.out}", file=sys.stderr)
    return 0


def kept_sections(out: Path) -> str:
    """The parts of an existing report that other scripts write (bench/tools.py, engine.py, imports.py), kept
    as they are."""
    if not out.exists():
        return ""
    text = out.read_text(encoding="utf-8")
    kept = ""
    for script in ("tools", "engine", "imports"):
        begin, end = f"<!-- bench/{script}.py: begin -->", f"<!-- bench/{script}.py: end -->"
        if begin in text and end in text:
            kept += "\n" + begin + text.split(begin, 1)[1].split(end, 1)[0] + end + "\n"
    return kept


if __name__ == "__main__":
    sys.exit(main())
