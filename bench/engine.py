"""The engine's figures at 1× and 16× the corpus, for one or more builds of `cs` side by side in one run.

    python bench/engine.py                                   # this environment's cs, 1× and 16×
    python bench/engine.py --engine old=/path/to/venv/bin/python --engine new=.venv/bin/python
    python bench/engine.py --copies 1 --runs 3               # quicker: 1× only

The 16× corpus is 16 copies of ../shared/corpus in separate folders (copy-00 … copy-15), so every file
has a different path, as in a corpus that is really that big. For each engine and size it measures:

- the index build (wall time, peak RSS of `cs index` and its workers, size on disk), against jieba's cut
  of the same files in 2 processes (bench/run.py's floor), run just before each build: the machine's
  speed drifts by tens of percent within minutes, so a floor taken once per size did not compare with a
  build minutes later (the same build read 0.59× and 0.85× of floors an hour apart);
- warm queries through the Python API, opening the index on each call as a script would
  (`Searcher(index).run(q)`, the exact total, the best 20 hits built): median and p95 over the queries;
- `count` (API, one term), `kwic 宝玉 --sort left` and `collocates 不知` (the CLI, end to end);
- the warm queries, `count`, `kwic` and `collocates` with the engines taking turns run by run once every
  index of the size is built, so that this machine's drift in speed falls on all of them alike;
- a no-op `cs index` and one line appended to the biggest file, against indexing that file alone;
- `rg -c -F` over the raw files for the single-term queries, where ripgrep is installed.

Each measurement runs in a child process of the engine's own interpreter. The section between the
ENGINE_BEGIN and ENGINE_END markers of BENCHMARKS.md is replaced (bench/run.py keeps it).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
OUT = ROOT / "BENCHMARKS.md"
ENGINE_BEGIN = "<!-- bench/engine.py: begin -->"
ENGINE_END = "<!-- bench/engine.py: end -->"

QUERIES = ["的", "风 雨", "不知", "宝玉", "明月", "林黛玉", "看秋月春风", "長安", "将军 OR 丞相", "贾母 王夫人",
           "花*月", "第?回", "宝玉 NEAR/5 黛玉", "行者 ADJ/3 八戒", "宝玉 -黛玉"]  # fmt: skip
RG_QUERIES = ["的", "不知", "宝玉", "明月", "林黛玉"]

# Runs in the engine's interpreter: time `runs` calls of each query, each opening the index. With
# "fresh", an engine that keeps an open index between Searchers (handles.py) is told not to, so every
# call opens the index and faults its pages in again; an engine without that answers as it always does.
WARM_CODE = """
import inspect, json, sys, time
from corpus_search.search import Searcher
index, runs, queries, mode = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4]
options = {"reuse": False} if mode == "fresh" and "reuse" in inspect.signature(Searcher).parameters else {}
out = {}
for query in queries:
    times, total = [], 0
    for _ in range(runs + 1):
        started = time.perf_counter()
        with Searcher(index, **options) as searcher:
            result = searcher.run(query)
            total = result.total
            hits = list(result.hits(20))
        times.append(time.perf_counter() - started)
    out[query] = {"seconds": sorted(times[1:]), "total": total, "shown": len(hits)}
print(json.dumps(out))
"""

COUNT_CODE = """
import json, sys, time
from corpus_search.concordance import counts
from corpus_search.search import Searcher
index, runs, query = sys.argv[1], int(sys.argv[2]), sys.argv[3]
times = []
for _ in range(runs + 1):
    started = time.perf_counter()
    with Searcher(index) as searcher:
        _, total = counts(searcher.run(query))
    times.append(time.perf_counter() - started)
print(json.dumps({"seconds": sorted(times[1:]), "occurrences": total.occurrences}))
"""


def cs(python: str) -> str:
    return str(Path(python).parent / "cs")


def wall(command: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    """Wall seconds of one command, and what it printed."""
    started = time.perf_counter()
    finished = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"})
    seconds = time.perf_counter() - started
    if finished.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed ({finished.returncode}): {finished.stderr.strip()[-400:]}")
    return seconds, finished


def index_run(python: str, corpus: Path, index_dir: Path) -> dict:
    """`cs index` in a child that reports its wall time and the peak RSS of its children (cs and workers)."""
    code = (
        "import resource, subprocess, sys, time, json; t = time.perf_counter(); "
        "r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
        "print(json.dumps({'seconds': time.perf_counter() - t, 'code': r.returncode, 'err': r.stderr[-300:], "
        "'peak': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024}))"
    )
    command = [python, "-c", code, cs(python), "index", str(corpus), "--index", str(index_dir), "--glob", "*.txt", "-q"]
    result = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
    if result["code"] != 0:
        raise SystemExit(f"cs index {corpus} failed: {result['err']}")
    size = sum(entry.stat().st_size for entry in index_dir.iterdir() if entry.is_file())
    return {"seconds": result["seconds"], "peak": result["peak"], "bytes": size}


def median(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def make_corpus(source: Path, copies: int, work: Path) -> Path:
    """1×: the corpus itself; n×: n copies of it in separate folders."""
    if copies == 1:
        return source
    target = work / f"corpus-{copies}x"
    for number in range(copies):
        shutil.copytree(source, target / f"copy-{number:02d}", ignore=shutil.ignore_patterns("README*"))
    return target


def biggest_file(corpus: Path) -> Path:
    return max((path for path in corpus.rglob("*.txt")), key=lambda path: path.stat().st_size)


def index_path(work: Path, label: str, copies: int) -> Path:
    return work / f"index-{label}-{copies}x"


def measure(label: str, python: str, corpus: Path, copies: int, work: Path) -> dict:
    """The build of one engine's index, a no-op run over it and, at 1×, one appended line."""
    index_dir = index_path(work, label, copies)
    floor = jieba_floor(python, corpus)
    figures: dict = {"build": index_run(python, corpus, index_dir) | {"floor": floor}}
    print(
        f"  {label} {copies}×: indexed in {figures['build']['seconds']:.1f} s (jieba in 2 processes: {floor:.1f} s)",
        file=sys.stderr,
    )
    noop = [
        wall([cs(python), "index", str(corpus), "--index", str(index_dir), "--glob", "*.txt", "-q"])[0]
        for _ in range(2)
    ]
    figures["noop"] = min(noop)
    if copies == 1:
        figures["append"] = appended(python, corpus, work / f"append-{label}")
    return figures


def warm(engines: dict[str, str], work: Path, copies: int, runs: int) -> dict[str, dict]:
    """Warm queries (index kept, and opened afresh) and `count`, the engines taking turns: each of the
    `runs` rounds starts one child per engine and mode, which answers every query once untimed, then once
    timed."""
    figures: dict[str, dict] = {label: {"queries": {}, "fresh": {}, "count": {"seconds": []}} for label in engines}
    for _ in range(runs):
        for label, python in engines.items():
            index_dir = str(index_path(work, label, copies))
            for key, mode in (("queries", "kept"), ("fresh", "fresh")):
                answer = subprocess.run(
                    [python, "-c", WARM_CODE, index_dir, "1", json.dumps(QUERIES, ensure_ascii=False), mode],
                    capture_output=True, text=True, check=True,
                )  # fmt: skip
                for query, found in json.loads(answer.stdout).items():
                    known = figures[label][key].setdefault(query, {"seconds": [], "total": found["total"]})
                    known["seconds"] += found["seconds"]
            answer = subprocess.run(
                [python, "-c", COUNT_CODE, index_dir, "1", "宝玉"], capture_output=True, text=True, check=True
            )
            found = json.loads(answer.stdout)
            figures[label]["count"]["seconds"] += found["seconds"]
            figures[label]["count"]["occurrences"] = found["occurrences"]
    return figures


def jieba_floor(python: str, corpus: Path) -> float:
    """Seconds for jieba to cut every *.txt file of the corpus in 2 processes, dictionary loaded before the
    clock starts (bench/run.py's floor, run in `python`)."""
    command = [python, str(ROOT / "bench" / "run.py"), "--child", "jieba", str(corpus), "2"]
    answer = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(answer.stdout.strip().splitlines()[-1])["seconds"]


COMMANDS = {"kwic": ["kwic", "宝玉", "--sort", "left"], "collocates": ["collocates", "不知"]}


def commands(engines: dict[str, str], work: Path, copies: int, runs: int) -> dict[str, dict]:
    """`kwic` and `collocates` end to end on each engine's index, the engines taking turns run by run, so
    that this machine's drift in speed falls on all of them alike: the median of `runs` runs each."""
    figures: dict[str, dict] = {label: {} for label in engines}
    lines = {}
    for label, python in engines.items():  # warms the page cache, and counts the lines once
        for name, args in COMMANDS.items():
            command = [cs(python), *args, "--index", str(index_path(work, label, copies))]
            lines[label, name] = len(wall(command)[1].stdout.splitlines())
    times: dict[tuple[str, str], list[float]] = {key: [] for key in lines}
    for _ in range(runs):
        for label, python in engines.items():
            for name, args in COMMANDS.items():
                command = [cs(python), *args, "--index", str(index_path(work, label, copies))]
                times[label, name].append(wall(command)[0])
    for (label, name), seconds in times.items():
        figures[label][name] = {"seconds": median(seconds), "runs": sorted(seconds), "lines": lines[label, name]}
    return figures


def appended(python: str, corpus: Path, work: Path) -> dict:
    """Re-index after one line is appended to the biggest file, against indexing that file alone."""
    copy = work / "corpus"
    shutil.copytree(corpus, copy)
    big = biggest_file(copy)
    index_run(python, copy, work / "index")
    with open(big, "a", encoding="utf-8") as handle:
        handle.write("\n基准测试在文件末尾追加的一行。\n")
    again = index_run(python, copy, work / "index")
    alone = work / "alone"
    alone.mkdir()
    shutil.copy(big, alone / big.name)
    single = index_run(python, alone, work / "alone-index")
    return {"seconds": again["seconds"], "alone": single["seconds"], "file": big.name}


def fts5_size(corpus: Path, work: Path) -> dict:
    """SQLite FTS5 with the trigram tokenizer over the same files, one row per line: its build time and
    size, the smallest index the issue holds `cs` to (it cannot answer 1–2-character queries)."""
    import sqlite3

    database = work / "fts5.sqlite"
    started = time.perf_counter()
    connection = sqlite3.connect(database)
    connection.execute("CREATE VIRTUAL TABLE lines USING fts5(text, tokenize='trigram')")
    for path in sorted(corpus.rglob("*.txt")):
        rows = ((line,) for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip())
        connection.executemany("INSERT INTO lines(text) VALUES (?)", rows)
    connection.commit()
    connection.close()
    figures = {"seconds": time.perf_counter() - started, "bytes": database.stat().st_size}
    database.unlink()
    return figures


def rg_counts(corpus: Path) -> dict[str, float]:
    if not shutil.which("rg"):
        return {}
    times = {}
    for query in RG_QUERIES:
        wall(["rg", "-c", "-F", query, str(corpus)])
        times[query] = min(wall(["rg", "-c", "-F", query, str(corpus)])[0] for _ in range(3))
    return times


def report(results: dict, rg: dict, fts5: dict, floors: dict[int, float], copies: list[int], runs: int) -> str:
    labels = list(results)
    lines = [ENGINE_BEGIN, "## Engine (`python bench/engine.py`)", ""]
    lines.append(
        f"One run on this machine ({os.cpu_count()} cores). Warm queries: {runs} rounds, the engines taking "
        "turns; in each, a new process per engine answers every query once untimed, then once timed. "
        "Each call opens the index, runs the query, takes the exact total and builds the best 20 hits. An "
        "engine that keeps an open index between the Searchers of a process while its files are unchanged "
        "(handles.py) is measured both ways: as a script gets it, and told to open the index afresh each call."
    )
    lines.append("")
    header = ["figure"] + [f"{label} {n}×" for label in labels for n in copies]
    rows = []

    def row(name: str, value) -> None:
        rows.append([name] + [value(results[label][n]) for label in labels for n in copies])

    row("index build", lambda f: f"{f['build']['seconds']:.1f} s")
    if floors:
        row("jieba in 2 processes, just before the build", lambda f: f"{f['build']['floor']:.1f} s")
        row("… build throughput ÷ jieba's", lambda f: f"{f['build']['floor'] / f['build']['seconds']:.2f}×")
    row("peak RSS of the build", lambda f: f"{f['build']['peak'] / 2**20:.0f} MiB")
    row("index size", lambda f: f"{f['build']['bytes'] / 1e6:.0f} MB")
    all_times = lambda f: [median(q["seconds"]) for q in f["queries"].values()]  # noqa: E731
    fresh_times = lambda f: [median(q["seconds"]) for q in f.get("fresh", f["queries"]).values()]  # noqa: E731
    row("warm query, median of the queries", lambda f: f"{1000 * median(all_times(f)):.1f} ms")
    row("warm query, p95 of the queries", lambda f: f"{1000 * p95(all_times(f)):.1f} ms")
    row("… index opened afresh each call: median", lambda f: f"{1000 * median(fresh_times(f)):.1f} ms")
    row("… index opened afresh each call: p95", lambda f: f"{1000 * p95(fresh_times(f)):.1f} ms")
    row("count 宝玉 (API, warm)", lambda f: f"{1000 * median(f['count']['seconds']):.1f} ms")
    row("kwic 宝玉 --sort left (CLI)", lambda f: f"{f['kwic']['seconds']:.2f} s")
    row("collocates 不知 (CLI)", lambda f: f"{f['collocates']['seconds']:.2f} s")
    row("no-op cs index", lambda f: f"{f['noop']:.2f} s")
    lines += table(header, rows)
    lines.append("")
    for label in labels:
        if "append" in results[label].get(1, {}):
            a = results[label][1]["append"]
            lines.append(
                f"- {label}: one line appended to {a['file']} re-indexes in {a['seconds']:.1f} s; "
                f"indexing that file alone takes {a['alone']:.1f} s ({a['seconds'] / a['alone']:.1f}×)."
            )
    if fts5:
        lines.append(
            f"- SQLite FTS5 (trigram) over the 1× files, one row per line: {fts5['bytes'] / 1e6:.0f} MB, "
            f"built in {fts5['seconds']:.0f} s."
        )
    lines += ["", "### The issue's goals (the last engine above)", ""]
    lines += table(["goal", "measured", "met?"], goal_rows(results[labels[-1]], rg, fts5, floors, copies))
    notes = Path(__file__).with_name("engine-notes.md")
    if notes.exists():
        lines += ["", notes.read_text(encoding="utf-8").strip()]
    lines += ["", "### Per query (median warm ms; hits in all)", ""]
    header = ["query"] + [f"{label} {n}×" for label in labels for n in copies] + ["hits at the largest size"]
    rows = []
    largest = copies[-1]
    for query in QUERIES:
        cells = [f"`{query}`"]
        for label in labels:
            for n in copies:
                cells.append(f"{1000 * median(results[label][n]['queries'][query]['seconds']):.1f}")
        cells.append(f"{results[labels[-1]][largest]['queries'][query]['total']:,}")
        rows.append(cells)
    lines += table(header, rows)
    if rg:
        lines += ["", f"`rg -c -F` over the raw {largest}× files (best of 3): "]
        lines.append(", ".join(f"{query} {1000 * seconds:.0f} ms" for query, seconds in rg.items()) + ".")
    lines += ["", ENGINE_END]
    return "\n".join(lines) + "\n"


def goal_rows(figures: dict, rg: dict, fts5: dict, floors: dict[int, float], copies: list[int]) -> list[list[str]]:
    """Each goal of the issue that this script measures, the figure, and whether it is met."""
    rows = []

    def goal(text: str, measured: str, met: bool) -> None:
        rows.append([text, measured, "yes" if met else "NO"])

    def times(n: int, key: str = "queries") -> dict[str, float]:
        found = figures[n].get(key, figures[n]["queries"])
        return {query: median(each["seconds"]) for query, each in found.items()}

    small, large = copies[0], copies[-1]
    for n, limit in ((small, 0.015), (large, 0.030)):
        if n in figures:
            value = p95(list(times(n).values()))
            goal(f"warm query p95 at {n}× ≤ {1000 * limit:.0f} ms", f"{1000 * value:.1f} ms", value <= limit)
            value = p95(list(times(n, "fresh").values()))
            text = f"… with the index opened afresh each call, at {n}×"
            goal(text, f"{1000 * value:.1f} ms", value <= limit)
    if large != small:
        growth = {query: times(large)[query] / times(small)[query] for query in QUERIES}
        over = sorted((query for query in growth if growth[query] > 2), key=lambda query: -growth[query])
        listed = ", ".join(f"`{query}` {growth[query]:.1f}×" for query in over)
        goal(
            f"every query at {large}× ≤ 2× its time at {small}×",
            f"{len(over)} of {len(growth)} over: {listed}" if over else "all",
            not over,
        )
    if rg:
        slower = [query for query, seconds in rg.items() if times(large)[query] >= seconds]
        text = ", ".join(f"`{query}`" for query in slower) or "none"
        goal(f"every query at {large}× faster than `rg -c -F`", f"slower: {text}", not slower)
    count = median(figures[large]["count"]["seconds"])
    goal(f"`count` of one term ≤ 5 ms warm at {large}×", f"{1000 * count:.1f} ms", count <= 0.005)
    kwic = figures[small]["kwic"]["seconds"]
    goal(f"`kwic 宝玉 --sort left` ≤ 0.4 s at {small}×", f"{kwic:.2f} s", kwic <= 0.4)
    for n, limit in ((small, 0.4), (large, 3.0)):
        if n in figures:
            value = figures[n]["collocates"]["seconds"]
            goal(f"`collocates 不知` ≤ {limit:g} s at {n}×", f"{value:.2f} s", value <= limit)
    for n in sorted(floors):
        ratio = figures[n]["build"]["floor"] / figures[n]["build"]["seconds"]
        goal(f"index throughput at {n}× ≥ 0.8× jieba's in 2 processes", f"{ratio:.2f}×", ratio >= 0.8)
    peak = figures[large]["build"]["peak"]
    goal(f"peak RSS of the build ≤ 1 GiB at {large}×", f"{peak / 2**20:.0f} MiB", peak <= 2**30)
    if fts5 and 1 in figures:
        size = figures[1]["build"]["bytes"]
        goal(
            "index size ≤ SQLite FTS5 trigram's (1×)",
            f"{size / 1e6:.0f} MB vs {fts5['bytes'] / 1e6:.0f} MB",
            size <= fts5["bytes"],
        )
    noop = max(figures[n]["noop"] for n in copies if n in figures)
    goal("no-op `cs index` ≤ 0.5 s", f"{noop:.2f} s", noop <= 0.5)
    if "append" in figures.get(1, {}):
        appended = figures[1]["append"]
        ratio = appended["seconds"] / appended["alone"]
        goal("one appended line ≤ 3× indexing that file alone", f"{ratio:.1f}×", ratio <= 3)
    return rows


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return out


def write_section(section: str, out: Path, begin: str = ENGINE_BEGIN, end: str = ENGINE_END) -> None:
    """Put `section` (which starts with `begin` and ends with `end`) in the report, in place of the one
    between those markers, or at its end (bench/imports.py writes its section through this too)."""
    text = out.read_text(encoding="utf-8") if out.exists() else "# Benchmarks\n"
    if begin in text:
        before, rest = text.split(begin, 1)
        text = before + section.rstrip("\n") + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    out.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", action="append", default=[], metavar="LABEL=PYTHON")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--copies", default="1,16")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument("--from-json", type=Path, help="write the section again from figures saved by --json")
    args = parser.parse_args()
    if args.from_json:
        saved = json.loads(args.from_json.read_text(encoding="utf-8"))
        results = {label: {int(n): f for n, f in sizes.items()} for label, sizes in saved["results"].items()}
        copies = sorted({n for sizes in results.values() for n in sizes})
        runs = len(next(iter(next(iter(results.values())).values()))["count"]["seconds"])
        floors = {int(n): seconds for n, seconds in saved.get("floors", {}).items()}
        for sizes in results.values():  # figures saved before each build had its own floor run
            for n, figures in sizes.items():
                if n in floors:
                    figures["build"].setdefault("floor", floors[n])
        section = report(results, saved["rg"], saved.get("fts5", {}), floors, copies, runs)
        write_section(section, args.out)
        print(section)
        return
    engines = dict(item.split("=", 1) for item in args.engine) or {"cs": sys.executable}
    copies = [int(n) for n in args.copies.split(",")]
    results: dict = {label: {} for label in engines}
    with tempfile.TemporaryDirectory(prefix="cs-engine-bench-") as temporary:
        work = Path(temporary)
        rg, fts5, floors = {}, {}, {}
        for n in copies:
            corpus = make_corpus(args.corpus, n, work)
            for label, python in engines.items():
                results[label][n] = measure(label, python, corpus, n, work)
            floors[n] = results[next(iter(engines))][n]["build"]["floor"]
            for label, figures in warm(engines, work, n, args.runs).items():
                results[label][n].update(figures)
            for label, figures in commands(engines, work, n, args.runs).items():
                results[label][n].update(figures)
            if n == 1:
                fts5 = fts5_size(corpus, work)
            if n == copies[-1]:
                rg = rg_counts(corpus)
    if args.json:
        saved = {"results": results, "rg": rg, "fts5": fts5, "floors": floors}
        args.json.write_text(json.dumps(saved, ensure_ascii=False, indent=1))
    section = report(results, rg, fts5, floors, copies, args.runs)
    write_section(section, args.out)
    print(section)


if __name__ == "__main__":
    main()
