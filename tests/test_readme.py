"""Every `$ cs …` command in README.md prints what the README says it prints (run on the seeds, on the
Kanripo-style sample in tests/data/kanripo for the section on page markers, and on the documents in
tests/data/formats for the section on formats)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TIMING = re.compile(r"\d+\.\d s →")
SAMPLES = ("kanripo", "formats")  # folders of tests/data, copied beside the seeds, each with its own index


def examples() -> list[tuple[str, str]]:
    """(command, expected output) for each `$ cs` line of the README's console blocks."""
    found = []
    for block in re.findall(r"```console\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S):
        for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, _, output = chunk.partition("\n")
            found.append((command, output))
    return found


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, seeds_dir) -> Path:
    work = tmp_path_factory.mktemp("readme")
    shutil.copytree(seeds_dir, work / "seeds")
    for sample in SAMPLES:
        shutil.copytree(ROOT / "tests" / "data" / sample, work / sample)
    return work


def test_the_readme_has_examples():
    commands = [command for command, _ in examples()]
    assert commands[0] == "cs index seeds/"
    assert len(commands) >= 8


@pytest.mark.parametrize(("command", "expected"), examples(), ids=[command for command, _ in examples()])
def test_readme_example(workdir, command, expected):
    env = {key: value for key, value in os.environ.items() if key not in ("CS_INDEX", "NO_COLOR")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    if command.startswith("cs index") and "--index" not in command:
        shutil.rmtree(workdir / "index", ignore_errors=True)
    elif not (workdir / "index").exists():
        subprocess.run("cs index seeds/", shell=True, cwd=workdir, env=env, check=True, capture_output=True)
    for sample in SAMPLES:
        build = f"cs index {sample}/ --index {sample}-index"
        if f"--index {sample}-index" in command and command != build and not (workdir / f"{sample}-index").exists():
            subprocess.run(build, shell=True, cwd=workdir, env=env, check=True, capture_output=True)
    result = subprocess.run(
        command, shell=True, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert TIMING.sub("X s →", result.stdout) == TIMING.sub("X s →", expected)
