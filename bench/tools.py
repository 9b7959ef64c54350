"""Speed of the corpus-linguistics commands (patterns, NEAR/ADJ, kwic, count, collocates, --path, -C,
--dict) on ../shared/corpus, as a user runs them: `cs …` in a fresh process, wall time.

    python bench/tools.py            # indexes the corpus in a temporary directory, writes its section of BENCHMARKS.md
    python bench/tools.py --index DIR  # reuse an index of ../shared/corpus

Each command runs once to warm the page cache, then RUNS times; the median is reported. The section
between the TOOLS_BEGIN and TOOLS_END markers of BENCHMARKS.md is replaced (bench/run.py keeps it).
"""

from __future__ import annotations

import argparse
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
TOOLS_BEGIN = "<!-- bench/tools.py: begin -->"
TOOLS_END = "<!-- bench/tools.py: end -->"
RUNS = 3

COMMANDS = [
    ["search", "第?回", "-c"],
    ["search", "不?不", "-c"],
    ["search", "花*月", "-c"],
    ["search", "宝玉 NEAR/5 黛玉", "-c"],
    ["search", "行者 ADJ/3 八戒", "-c"],
    ["search", "宝玉", "-C", "2"],
    ["search", "行者", "--path", "西游记*", "-c"],
    ["search", "如何且听下回分解", "-c"],
    ["search", "如何且听下回分解", "--ignore-punct", "-c"],
    ["kwic", "孙悟空"],
    ["kwic", "宝玉", "--sort", "left"],
    ["kwic", "的", "-n", "100"],
    ["count", "宝玉"],
    ["count", "的"],
    ["collocates", "宝玉"],
    ["collocates", "不知"],
]


def cs(*args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "cs"), *args]


def timed(command: list[str], runs: int) -> tuple[float, int, int]:
    """Median wall seconds over `runs` (after one warm-up), lines written, exit code."""
    warm = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"})
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, env={**os.environ, "NO_COLOR": "1"})
        times.append(time.perf_counter() - started)
    return statistics.median(times), len(warm.stdout.splitlines()), warm.returncode


def section(rows: list[str], index_rows: list[str]) -> str:
    return "\n".join(
        [
            TOOLS_BEGIN,
            "## Corpus tools (`python bench/tools.py`)",
            "",
            f"`cs …` in a new process on the 7.7 M-character corpus, wall time, median of {RUNS} runs after a warm-up "
            "(so the import and index-open floor of about 0.15 s is included). Lines: what the command wrote.",
            "",
            "| command | lines | exit | median s |",
            "|---|---:|---:|---:|",
            *rows,
            "",
            "| indexing | s |",
            "|---|---:|",
            *index_rows,
            TOOLS_END,
        ]
    )


def write_section(text: str) -> None:
    report = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
    if TOOLS_BEGIN in report:
        before, _, rest = report.partition(TOOLS_BEGIN)
        _, _, after = rest.partition(TOOLS_END)
        report = before + text + after
    else:
        report = report.rstrip("\n") + "\n\n" + text + "\n"
    OUT.write_text(report, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", help="an index of ../shared/corpus to reuse")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cs-tools-"))
    try:
        index_rows = []
        index_dir = args.index or str(work / "index")
        if not args.index:
            started = time.perf_counter()
            subprocess.run(cs("index", "-q", str(CORPUS), "--index", index_dir, "--glob", "*.txt"), check=True)
            index_rows.append(f"| `cs index` of the corpus, no dictionary | {time.perf_counter() - started:.1f} |")
        words = work / "words.txt"
        words.write_text("孙悟空 1000\n林黛玉 1000\n贾宝玉 1000\n", encoding="utf-8")
        for label, extra in [
            ("`cs index --dict words.txt` (dictionary added: every file segmented again)", ["--dict", str(words)]),
            ("`cs index` again (dictionary unchanged: nothing to do)", []),
            ("`cs index --no-dict` (dictionary removed: every file segmented again)", ["--no-dict"]),
        ]:
            started = time.perf_counter()
            subprocess.run(cs("index", "-q", "--index", index_dir, "--glob", "*.txt", *extra), check=True)
            index_rows.append(f"| {label} | {time.perf_counter() - started:.1f} |")
        rows = []
        for command in COMMANDS:
            seconds, lines, code = timed(cs(*command, "--index", index_dir), RUNS)
            shown = " ".join(f"'{arg}'" if " " in arg or "*" in arg or "?" in arg else arg for arg in command)
            rows.append(f"| `cs {shown}` | {lines:,} | {code} | {seconds:.2f} |")
            print(rows[-1], flush=True)
        print("\n".join(index_rows))
        write_section(section(rows, index_rows))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
