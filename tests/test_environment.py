"""The environment is described once: pyproject.toml, environment.yml, README and .ci/run must agree."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _pyproject_requirements() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return set(project["dependencies"]) | set(project["optional-dependencies"]["dev"])


def _conda_pip_requirements() -> set[str]:
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_sections = [item["pip"] for item in environment["dependencies"] if isinstance(item, dict) and "pip" in item]
    assert len(pip_sections) == 1, "environment.yml needs exactly one pip: section"
    return {line for line in pip_sections[0] if not line.startswith("-e")}


def test_every_requirement_is_pinned_exactly() -> None:
    for requirement in _pyproject_requirements():
        assert re.fullmatch(r"[A-Za-z0-9_.\-]+==[0-9][0-9A-Za-z.]*", requirement), requirement


def test_torch_is_pinned_to_the_local_cpu_wheel() -> None:
    assert "torch==2.13.0" in _pyproject_requirements()


def test_environment_yml_matches_pyproject() -> None:
    pip_side, conda_side = _pyproject_requirements(), _conda_pip_requirements()
    assert conda_side == pip_side, (
        f"only in pyproject.toml: {sorted(pip_side - conda_side)}; only in environment.yml: {sorted(conda_side - pip_side)}"
    )


def test_environment_yml_installs_the_package_itself() -> None:
    assert "-e ." in (ROOT / "environment.yml").read_text()


def test_ci_runs_exactly_the_readme_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"<!-- (setup|test)-command -->\n```bash\n(.+?)\n```", readme)
    assert [kind for kind, _ in blocks] == ["setup", "test"]
    extracted = subprocess.run(
        ["bash", str(ROOT / ".ci" / "run"), "--print-commands"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert extracted == [command for _, command in blocks]
    assert "HF_HUB_OFFLINE=1" in blocks[1][1]


def test_ci_turns_no_tests_into_a_failure() -> None:
    assert re.search(r'"\$status" -eq 5 \].*\n.*\n\s+exit 1', (ROOT / ".ci" / "run").read_text())
