"""The GitHub Actions workflows are valid and pass a security linter, both from PyPI."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert found, f"{name} is a dev requirement; install the book with the README's setup command"
    return found


def test_there_are_cpu_gpu_site_and_drift_workflows() -> None:
    jobs = {job for path in WORKFLOWS for job in yaml.safe_load(path.read_text())["jobs"]}
    assert {"cpu", "gpu", "render", "publish", "newest-transformers"} <= jobs


def test_workflows_match_the_github_schema() -> None:
    result = subprocess.run(
        [_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflows_pass_zizmor() -> None:
    result = subprocess.run(
        [_tool("zizmor"), "--offline", "--config", str(ROOT / ".github" / "zizmor.yml"), str(ROOT / ".github" / "workflows")],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("old", "new", "tool", "complaint"), [
    ("timeout-minutes: 90", "timeout-minutes: ninety", "check-jsonschema", "timeout-minutes"),
    ("actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683", "actions/checkout@v4", "zizmor", "unpinned-uses"),
])
def test_the_linters_can_fail(old: str, new: str, tool: str, complaint: str, tmp_path: Path) -> None:
    text = (ROOT / ".github" / "workflows" / "ci.yml").read_text()
    assert old in text
    target = tmp_path / ".github" / "workflows" / "ci.yml"
    target.parent.mkdir(parents=True)
    target.write_text(text.replace(old, new, 1))
    options = ["--builtin-schema", "vendor.github-workflows"] if tool == "check-jsonschema" else [
        "--offline", "--config", str(ROOT / ".github" / "zizmor.yml")]
    result = subprocess.run([_tool(tool), *options, str(target)], capture_output=True, text=True)
    assert result.returncode != 0
    assert complaint in result.stdout + result.stderr
