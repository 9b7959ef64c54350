"""The cluster (cluster.py) against real processes: a `dask scheduler` and two `dask worker`s on 127.0.0.1
index the corpus into 3 shards, and every command answers with --cluster exactly as one local index of
the same files does; then the faults: a worker killed during a query or while indexing, a scheduler that
cannot be reached, a shard no worker can read, and TLS."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import cloudpickle
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpus_search import build_index
from corpus_search.normalize import is_han
from corpus_search.shards import read_catalog
from dask_cluster import DaskCluster, free_port, make_certificates
from test_cli import run

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers run this module's patches


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    started = DaskCluster(2, log_dir=tmp_path_factory.mktemp("dask-logs"))
    yield started
    started.close()


@pytest.fixture(scope="module")
def indexes(cluster, corpus_dir, tmp_path_factory) -> tuple[str, str]:
    """(the corpus indexed into 3 shards by the cluster's workers, one local index of the same files)."""
    folder = tmp_path_factory.mktemp("cluster-index")
    on_cluster, local = str(folder / "cluster"), str(folder / "local")
    result = run("index", str(corpus_dir), "--index", on_cluster, "--shards", "3", "--cluster", cluster.address)
    assert result.exit_code == 0, result.stderr
    build_index([str(corpus_dir)], local)
    return on_cluster, local


QUERIES = ["宝玉", "明月", "不知 OR 天下", '"说道" NOT 宝玉', "明月 NEAR/4 风", "行*"]
COMMANDS = [
    ("search", "-n", "0", "--json"),
    ("search", "-n", "3", "-C", "1"),
    ("search", "--count"),
    ("search", "-l", "--path", "novels/*"),
    ("kwic", "--json"),
    ("kwic", "--sort", "left", "--width", "6", "-n", "30"),
    ("kwic", "--sort", "right", "-n", "7"),
    ("kwic", "-n", "5", "--json"),
    ("count",),
    ("count", "--by", "file", "--json"),
    ("collocates", "--json", "--min-count", "2"),
    ("plot", "--json"),
    ("count", "--plot"),
]


def answers(index_dir: str, query: str, cluster: str | None = None) -> list[tuple[int, str]]:
    extra = ("--cluster", cluster) if cluster else ()
    results = (run(command[0], query, *command[1:], "--index", index_dir, *extra) for command in COMMANDS)
    return [(result.exit_code, result.stdout) for result in results]


def test_the_workers_wrote_three_shards_of_every_file(cluster, indexes):
    on_cluster, local = indexes
    assert read_catalog(on_cluster).shards == 3
    assert sorted(os.listdir(on_cluster)) == ["shard-0", "shard-1", "shard-2", "shards.json"]
    info = run("info", "--index", on_cluster, "--cluster", cluster.address).stdout.splitlines()
    expected = run("info", "--index", local).stdout.splitlines()
    wanted = ("files", "chars", "passages")
    assert [line for line in info if line.startswith(wanted)] == [line for line in expected if line.startswith(wanted)]


@pytest.mark.parametrize("query", QUERIES)
def test_every_command_answers_as_one_local_index(cluster, indexes, query):
    on_cluster, local = indexes
    found = answers(on_cluster, query, cluster.address)
    assert found == answers(local, query)
    assert any(stdout for _, stdout in found)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_terms_answer_as_one_local_index(cluster, indexes, oracle, data):
    on_cluster, local = indexes
    entry = data.draw(st.sampled_from(oracle))
    start = data.draw(st.integers(0, len(entry.text) - 4))
    term = entry.text[start : start + data.draw(st.integers(1, 3))]
    term = term if all(map(is_han, term)) else "之"
    for command in (("search", "-n", "0", "--json"), ("count",), ("kwic", "--json")):
        ours = run(command[0], term, *command[1:], "--index", on_cluster, "--cluster", cluster.address)
        theirs = run(command[0], term, *command[1:], "--index", local)
        assert (ours.exit_code, ours.stdout) == (theirs.exit_code, theirs.stdout), term


def test_where_and_by_answer_as_one_local_index(cluster, seeds_dir, seeds_index, tmp_path):
    on_cluster = str(tmp_path / "index")
    assert run("index", str(seeds_dir), "--index", on_cluster, "--cluster", cluster.address).exit_code == 0
    assert read_catalog(on_cluster).shards == 2  # a new index: a shard per worker
    for args in (
        ("search", "党员", "-n", "0", "--json", "--where", "place~*州"),
        ("count", "党员", "--by", "place", "--json"),
        ("kwic", "疫情", "--csv", "--where", "script=simplified"),
        ("plot", "党员", "--by", "place", "--json"),
        ("plot", "党员", "--by", "script", "--json"),  # a group of files in both shards, laid end to end
        ("count", "党员", "--by", "nosuchfield"),
        ("search", "党员", "--where", "nosuchfield=1"),
    ):
        ours = run(*args, "--index", on_cluster, "--cluster", cluster.address)
        theirs = run(*args, "--index", seeds_index)
        assert (ours.exit_code, ours.stdout, ours.stderr) == (theirs.exit_code, theirs.stdout, theirs.stderr)


def test_a_scheduler_that_cannot_be_reached_is_one_line_within_the_timeout(tmp_path):
    address = f"tcp://127.0.0.1:{free_port()}"
    started = time.monotonic()
    result = run("count", "宝玉", "--index", str(tmp_path), "--cluster", address, "--timeout", "2")
    assert time.monotonic() - started < 8
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith(f"cs: cannot reach the Dask scheduler at {address} within 2 s")
    assert result.stderr.count("\n") == 1


def test_a_shard_no_worker_can_read_is_named_and_nothing_is_printed(cluster, indexes, tmp_path):
    broken = str(tmp_path / "broken")
    shutil.copytree(indexes[0], broken)
    shard = os.path.join(broken, "shard-1")
    for name in os.listdir(shard):
        if name.endswith(".seg") and name.startswith("cs-"):
            os.remove(os.path.join(shard, name))
    result = run("search", "的", "-n", "0", "--index", broken, "--cluster", cluster.address)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.count("\n") == 1 and shard in result.stderr, result.stderr


def slow_down(what: str) -> None:
    """On a worker: its tasks of this kind sleep first, so that the test can kill it while they run."""
    import corpus_search.cluster as cluster

    if what == "build":  # stop in the middle of the build: one file analysed and written, not committed

        def slowly(job):
            return job.run(workers=1, progress=lambda *done: time.sleep(60))

        cluster._build_shard = slowly
    else:
        real = cluster._ANSWERS[what]

        def slowly(*arguments):
            time.sleep(60)
            return real(*arguments)

        cluster._ANSWERS[what] = slowly


def kill_a_busy_worker(cluster: DaskCluster, victim: str, started: subprocess.Popen) -> None:
    """Kill the worker `victim` (an address) as soon as it is running a task."""
    with cluster.client() as client:
        while not client.processing().get(victim):
            assert started.poll() is None, "the command ended before the worker took its task"
            time.sleep(0.05)
        pids = client.run(os.getpid, workers=[victim])
    group = os.getpgid(pids[victim])  # the worker runs under its nanny, in the process group of `dask worker`
    cluster.kill_worker(next(process for process in cluster.workers if process.pid == group))


def cs(*args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", "from corpus_search.cli import main; main()", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def test_a_worker_killed_during_a_query_and_the_answer_is_the_same(indexes, tmp_path):
    on_cluster, local = indexes
    own = DaskCluster(2, log_dir=tmp_path)
    try:
        with own.client() as client:
            victim = sorted(client.scheduler_info()["workers"])[0]  # shards 0 and 2 are placed on it
            client.run(slow_down, "kwic", workers=[victim])
        query = cs("kwic", "的", "--json", "--index", on_cluster, "--cluster", own.address)
        kill_a_busy_worker(own, victim, query)
        stdout, stderr = query.communicate(timeout=120)
        assert query.returncode == 0, stderr
        assert stdout == run("kwic", "的", "--json", "--index", local).stdout
    finally:
        own.close()


def test_a_worker_killed_while_indexing_and_the_build_finishes_on_the_other(seeds_dir, seeds_index, tmp_path):
    own = DaskCluster(2, log_dir=tmp_path)
    try:
        with own.client() as client:
            victim = sorted(client.scheduler_info()["workers"])[0]
            client.run(slow_down, "build", workers=[victim])
        index_dir = str(tmp_path / "index")
        build = cs("index", str(seeds_dir), "--index", index_dir, "--shards", "3", "--cluster", own.address)
        kill_a_busy_worker(own, victim, build)
        _, stderr = build.communicate(timeout=300)
        assert build.returncode == 0, stderr
        for query in ("的", "党员"):
            ours = run("search", query, "-n", "0", "--json", "--index", index_dir).stdout
            assert ours == run("search", query, "-n", "0", "--json", "--index", seeds_index).stdout
    finally:
        own.close()


def test_tls_works_through_the_same_flag(seeds_dir, seeds_index, tmp_path):
    certificates = make_certificates(tmp_path)
    own = DaskCluster(1, tls=certificates, log_dir=tmp_path)
    try:
        assert own.address.startswith("tls://")
        index_dir = str(tmp_path / "index")
        built = cs("index", str(seeds_dir), "--index", index_dir, "--cluster", own.address, env=own.environment())
        assert built.wait(timeout=120) == 0, built.stderr.read()
        query = cs(
            "search", "党员", "-n", "0", "--json", "--index", index_dir, "--cluster", own.address, env=own.environment()
        )
        stdout, stderr = query.communicate(timeout=120)
        assert query.returncode == 0, stderr
        assert stdout == run("search", "党员", "-n", "0", "--json", "--index", seeds_index).stdout
        plain = own.address.replace("tls://", "tcp://")
        refused = cs("count", "党员", "--index", index_dir, "--cluster", plain, "--timeout", "3", env=own.environment())
        _, stderr = refused.communicate(timeout=60)
        assert refused.returncode == 2 and stderr.startswith(f"cs: cannot reach the Dask scheduler at {plain}")
    finally:
        own.close()


def opened_shards() -> dict[str, int]:
    """On a worker: the shards it holds open, and which Searcher each is."""
    import corpus_search.cluster as cluster

    return {directory: id(searcher) for directory, (_, searcher, _) in cluster._OPEN.items()}


def test_each_worker_opens_a_shard_once_and_again_only_when_it_changed(cluster, seeds_dir, tmp_path):
    folder = tmp_path / "in"
    shutil.copytree(seeds_dir, folder)
    index_dir = str(tmp_path / "index")
    assert run("index", str(folder), "--index", index_dir, "--cluster", cluster.address).exit_code == 0
    with cluster.client() as client:
        asked = ("count", "党员", "--index", index_dir, "--cluster", cluster.address)
        first = run(*asked).stdout
        opened = client.run(opened_shards)
        assert run(*asked).stdout == first
        assert client.run(opened_shards) == opened  # the same open shards answered again
        mine = {directory for shards in opened.values() for directory in shards if directory.startswith(index_dir)}
        assert len(mine) == 2
        changed = sorted(folder.glob("*.txt"))[0]
        changed.write_text(changed.read_text(encoding="utf-8") + "\n党员党员", encoding="utf-8")
        assert run("index", str(folder), "--index", index_dir, "--cluster", cluster.address).exit_code == 0
        assert run(*asked).stdout != first
        reopened = client.run(opened_shards)
    before = {(worker, d): found for worker, shards in opened.items() for d, found in shards.items() if d in mine}
    after = {(worker, d): found for worker, shards in reopened.items() for d, found in shards.items() if d in mine}
    assert before.keys() == after.keys()
    assert sum(before[key] != after[key] for key in before) == 1  # only the shard that changed was opened again


def test_without_dask_installed_cluster_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "distributed", None)  # what `import distributed` meets without the extra
    result = run("search", "宝玉", "--index", str(tmp_path), "--cluster", "tcp://127.0.0.1:8786")
    assert (result.exit_code, result.stderr) == (2, "cs: --cluster needs Dask: pip install 'corpus-search[cluster]'\n")
