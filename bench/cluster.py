"""The cluster's figures (cluster.py) on this machine, and a plan for 10 billion characters drawn from them.

    python bench/cluster.py                     # ../shared/corpus, 2 Dask workers of one thread each
    python bench/cluster.py --runs 3

It indexes the corpus once without shards (in this process) and into 1, 2 and 4 shards on a Dask cluster
started here (`distributed.LocalCluster`: a scheduler and 2 worker processes, one thread each, so the
2 cores are both used), then for each query of bench/run.py's set times, warm (the index or the shards
already open; the per-term caches emptied before every run, here and on the workers):

- `hits(20)` from the local index through the Python API (answers.Answers over Searcher.run);
- `hits(20)` from the cluster through the Python API (cluster.ClusterAnswers), with 1, 2 and 4 shards:
  the overhead of the scatter-gather is the cluster with 1 shard less the local index;
- `file_counts()` (what `cs count` prints), the same ways;

and, end to end, `cs search QUERY` as a new process with and without `--cluster`. The section between
CLUSTER_BEGIN and CLUSTER_END of BENCHMARKS.md is replaced.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine import table, write_section  # noqa: E402  (bench/ is on the path when this runs as a script)
from run import QUERIES  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
CLUSTER_BEGIN = "<!-- bench/cluster.py: begin -->"
CLUSTER_END = "<!-- bench/cluster.py: end -->"
# bench/engine.py's figures for this engine at 16× (its run of 2026-11-26, in BENCHMARKS.md), for the
# estimate on paper: a shard of that size answers as that index does.
ENGINE_16X = {"median ms": 11.6, "p95 ms": 31.0, "build s": 224, "peak MiB": 753}
SHARDS = (1, 2, 4)


def clear_caches() -> None:
    """On a worker (or here): empty the per-term caches of every open shard."""
    import corpus_search.cluster as cluster

    for _, searcher, _ in cluster._OPEN.values():
        searcher._located.clear()
        searcher._pairs.clear()


def worker_rss() -> int:
    import psutil

    return psutil.Process().memory_info().rss


def timed(run, runs: int, before=None) -> float:
    """The median of `runs` wall times of `run()`, after one untimed run; `before()` before each."""
    seconds = []
    for number in range(runs + 1):
        if before:
            before()
        started = time.perf_counter()
        run()
        if number:
            seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def cli_seconds(args: list[str], runs: int) -> float:
    command = [sys.executable, "-c", "from corpus_search.cli import main; main()", *args]
    return timed(lambda: subprocess.run(command, capture_output=True, check=False), runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    args = parser.parse_args()
    from distributed import Client, LocalCluster

    import corpus_search
    from corpus_search.answers import Answers
    from corpus_search.cluster import ClusterAnswers, Request
    from corpus_search.cluster import build as build_on_cluster
    from corpus_search.search import Searcher
    from corpus_search.shards import index_dirs

    work = Path(tempfile.mkdtemp(prefix="cs-cluster-bench-"))
    started_run = time.perf_counter()
    try:
        corpus = args.corpus.resolve()
        local = str(work / "local")
        started = time.perf_counter()
        report = corpus_search.build_index([str(corpus)], local)
        local_build = time.perf_counter() - started
        chars = report.chars
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
            client = Client(cluster, set_as_default=False)
            builds, sizes = {}, {}
            for count in SHARDS:
                index_dir = str(work / f"shards-{count}")
                started = time.perf_counter()
                build_on_cluster(client, [str(corpus)], index_dir, shards=count)
                builds[count] = time.perf_counter() - started
                sizes[count] = [
                    sum(entry.stat().st_size for entry in os.scandir(shard)) for shard in index_dirs(index_dir)
                ]
            rows = {}
            with Searcher(local) as searcher:

                def local_clear() -> None:
                    searcher._located.clear()
                    searcher._pairs.clear()

                for query in QUERIES:
                    hits = lambda q=query: list(Answers(searcher.run(q)).hits(20))  # noqa: E731
                    counted = lambda q=query: Answers(searcher.run(q)).file_counts()  # noqa: E731
                    rows[query] = {
                        "local hits": timed(hits, args.runs, local_clear),
                        "local count": timed(counted, args.runs, local_clear),
                    }

            def remote_clear() -> None:
                client.run(clear_caches)

            for count in SHARDS:
                index_dir = str(work / f"shards-{count}")
                for query in QUERIES:
                    answers = lambda q=query, at=index_dir: ClusterAnswers(client, at, Request(q))  # noqa: E731
                    rows[query][f"{count} hits"] = timed(lambda a=answers: list(a().hits(20)), args.runs, remote_clear)
                    rows[query][f"{count} count"] = timed(lambda a=answers: a().file_counts(), args.runs, remote_clear)
            rss = sorted(client.run(worker_rss).values())
            address = cluster.scheduler_address
            cli = {
                "local": statistics.median(cli_seconds(["search", q, "--index", local], 3) for q in QUERIES[:5]),
                "cluster": statistics.median(
                    cli_seconds(["search", q, "--index", str(work / "shards-4"), "--cluster", address], 3)
                    for q in QUERIES[:5]
                ),
            }
            client.close()
        took = time.perf_counter() - started_run
        section = report_section(rows, builds, local_build, sizes, chars, rss, cli, args, took)
        write_section(section, args.out, CLUSTER_BEGIN, CLUSTER_END)
        print(section)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def report_section(rows, builds, local_build, sizes, chars, rss, cli, args, took) -> str:
    import platform

    def column(name: str) -> list[float]:
        return [figures[name] for figures in rows.values()]

    def p95(values: list[float]) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    overhead = [figures["1 hits"] - figures["local hits"] for figures in rows.values()]
    one_round = statistics.median(column("1 count")) - statistics.median(column("local count"))
    per_task = (statistics.median(column("4 count")) - statistics.median(column("1 count"))) / 3
    shard_gb = 125e6 * sum(sizes[1]) / chars / 1e9
    latency = 2 * (one_round + 80 * per_task) + ENGINE_16X["p95 ms"] / 1000
    lines = [
        CLUSTER_BEGIN,
        "## Cluster (bench/cluster.py)",
        "",
        f"Written by `python bench/cluster.py`; do not edit by hand. {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {time.strftime('%Y-%m-%d')}; the run took {took / 60:.1f} min. Corpus: "
        f"{args.corpus} ({chars:,} characters). Cluster: `LocalCluster`, 2 worker processes of 1 thread. "
        f"Warm: the index or shards open, per-term caches emptied; median of {args.runs} runs per query, then "
        f"the median and p95 over the {len(rows)} queries of bench/run.py.",
        "",
    ]
    header = ["", "local index", *(f"cluster, {count} shard{'s' * (count > 1)}" for count in SHARDS)]
    body = []
    for what, label in (("hits", "hits(20): median"), ("count", "count per file: median")):
        body.append(
            [label, ms(statistics.median(column(f"local {what}")))]
            + [ms(statistics.median(column(f"{count} {what}"))) for count in SHARDS]
        )
        body.append(
            [label.replace("median", "p95"), ms(p95(column(f"local {what}")))]
            + [ms(p95(column(f"{count} {what}"))) for count in SHARDS]
        )
    body.append(["index build", f"{local_build:.1f} s (2 processes)"] + [f"{builds[count]:.1f} s" for count in SHARDS])
    body.append(["size on disk", "—"] + [f"{sum(sizes[count]) / 1e6:.1f} MB" for count in SHARDS])
    lines += table(header, body)
    per_char = sum(sizes[1]) / chars
    lines += [
        "",
        f"- **Scatter-gather overhead** (cluster with 1 shard less the local index, hits(20)): median "
        f"{ms(statistics.median(overhead))}, p95 {ms(p95(overhead))} per query. A ranked query is two rounds "
        f"of tasks (the BM25 statistics, then the hits); one round (`count`, 1 shard, less the local count) "
        f"costs {ms(one_round)}: Dask's submit, the hop to a worker thread and back, the gather, and "
        f"pickling. Each shard more adds {ms(per_task)} to a round here (count, 1 to 4 shards, on 2 workers).",
        f"- End to end, `cs search QUERY` as a new process: {cli['local']:.2f} s on the local index, "
        f"{cli['cluster']:.2f} s with `--cluster` on 4 shards (the client's import of distributed and its "
        "connection come on top).",
        f"- Memory: the 2 workers held {rss[0] / 2**20:.0f} and {rss[-1] / 2**20:.0f} MiB after answering "
        f"from every index above (shards kept open). Disk: {per_char:.1f} bytes of index per character.",
        "",
        "**On paper: 10 billion characters**, from these figures and bench/engine.py's at 16× (124 M characters "
        f"in one index: warm query median {ENGINE_16X['median ms']:g} ms, p95 {ENGINE_16X['p95 ms']:g} ms; build "
        f"{ENGINE_16X['build s']:g} s on 2 cores, peak RSS {ENGINE_16X['peak MiB']:g} MiB):",
        "",
        f"- **Shards** of about 125 M characters (the size measured at 16×): 80 shards of {shard_gb:.1f} GB, "
        f"{10e9 * per_char / 1e9:.0f} GB in all on the shared filesystem.",
        f"- **Workers**: 20 machines of 8 cores and 32 GB, 4 shards each, a worker process of one thread per "
        f"shard. A shard is memory-mapped: the page cache needs {4 * shard_gb:.1f} GB per machine to keep "
        f"its 4 shards warm, the heap under 1 GB per shard ({ENGINE_16X['peak MiB']:g} MiB peak while building one).",
        "- **Building**: 80 tasks, each analysing in one process: about 8 minutes for 125 M characters (the "
        f"16× build took {ENGINE_16X['build s']:g} s on 2 cores). 20 machines of 8 cores run all 80 at once: "
        "8–10 minutes of wall time, if the shared filesystem takes about 110 GB of writes in that time.",
        f"- **Latency** of a warm ranked query, extrapolated from the figures above: two rounds of "
        f"({ms(one_round)} + 80 × {ms(per_task)}) plus the slowest shard (p95 {ENGINE_16X['p95 ms']:g} ms): about "
        f"{latency:.2f} s. The per-shard cost is the scheduler's and this process's, one task each, and it "
        "dominates.",
        "- **What breaks first**: that per-task cost (a task per shard per round), then the merge here of "
        "every kwic line of a common word when no `--limit` is given (with one, each shard sends only its "
        "first `limit`), then `cs-metadata.json` read whole for a dataset of millions of records. The "
        "fixes: one task per worker for all its shards (an actor per worker), and the BM25 statistics of "
        "common terms kept in the catalog so that most ranked queries take one round.",
        CLUSTER_END,
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
