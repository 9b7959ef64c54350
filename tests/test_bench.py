"""bench/run.py still runs end to end: its --smoke mode writes every figure of the report.

No figure's value is checked (a 2-core CI runner is too noisy for timings), but every row must be there
and measured, and the per-query table must hold the smoke queries with cs's line starts.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FIGURES = [
    "stock index: time",
    "stock index: throughput",
    "stock index: size",
    "cs index: time",
    "cs index: throughput",
    "cs index: throughput vs jieba floor",
    "cs index: size",
    "cs index: peak RSS",
    "floor: jieba.cut, 1 process",
    "floor: jieba.cut, 2 processes",
    "floor: OpenCC t2s, 1 process",
    "cs index: nothing changed",
    "cs index: one file changed",
    "floor: cold import",
    "floor: cold import, beside the searches",
    "cold cs search: median",
    "warm query: p50",
    "warm query: p95",
    "cs search peak RSS (的)",
    "queries where cs finds fewer line starts than rg",
    "queries cs failed on",
]


@pytest.fixture(scope="module")
def smoke_report(tmp_path_factory, corpus_dir: Path) -> str:
    out = tmp_path_factory.mktemp("bench") / "B.md"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--smoke", "--corpus", str(corpus_dir), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return out.read_text(encoding="utf-8")


def table_row(report: str, first_cell: str) -> list[str]:
    """The cells of the table row whose first cell is `first_cell`."""
    for line in report.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no row {first_cell!r} in the report")


@pytest.mark.parametrize("figure", FIGURES)
def test_every_figure_is_measured(smoke_report: str, figure: str):
    cells = table_row(smoke_report, figure)
    assert len(cells) == 6
    assert cells[1] not in ("", "not measured")


def test_goals_are_judged_on_ratios(smoke_report: str):
    throughput = table_row(smoke_report, "cs index: throughput")
    assert throughput[2].endswith("(stock)")
    assert throughput[3].endswith("×")
    assert throughput[4] == "≥ 3× stock"
    assert throughput[5] in ("yes", "NO")
    assert table_row(smoke_report, "cs search peak RSS (的)")[4] == "≤ 250 MB"


def test_growth_is_skipped_in_smoke(smoke_report: str):
    assert table_row(smoke_report, "4× corpus: warm query p95")[1] == "skipped (--smoke)"


def test_per_query_table_counts_line_starts(smoke_report: str):
    # 临时党支部 starts on three lines of the seeds (README.md shows them), and nowhere in the Tang file.
    cells = table_row(smoke_report, "临时党支部")
    assert cells[6] == "3"
    assert table_row(smoke_report, "queries cs failed on")[1] == "0"


def test_report_names_the_machine(smoke_report: str):
    assert "- cores: " in smoke_report
    assert "- corpus: smoke: seeds/ and the smallest file of" in smoke_report
