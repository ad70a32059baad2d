"""The version guard speaks once, in one line, only when versions differ."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

import structapi.versions as versions


def test_verified_versions_match_the_pins() -> None:
    pins = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]["dependencies"]
    for name, version in versions.VERIFIED.items():
        assert f"{name}=={version}" in pins


def test_no_drift_for_the_verified_versions_and_local_build_tags() -> None:
    assert versions.version_drift({"transformers": "5.23.0", "torch": "2.13.0+cpu"}) == {}
    assert versions.version_drift({"transformers": "5.23.0", "torch": "2.13.0+cu128"}) == {}


def test_drift_is_reported_once_in_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setattr(versions, "_warned", False)
    line = versions.warn_if_untested({"transformers": "4.57.1", "torch": "2.13.0"})
    assert line is not None and "\n" not in line
    assert "transformers 4.57.1 (verified: 5.23.0)" in line and "torch" not in line.split("found")[1].split(".")[0]
    assert versions.warn_if_untested({"transformers": "4.57.1", "torch": "2.9.0"}) is None  # only once
    assert capsys.readouterr().err == line + "\n"


def test_a_missing_package_counts_as_drift() -> None:
    assert versions.version_drift({"transformers": "5.23.0"}) == {"torch": ("not installed", "2.13.0")}
