"""Seeding and device choice, with their bad inputs."""

from __future__ import annotations

import pytest
import torch

from structapi import pick_device, seed_everything


def test_seed_everything_makes_torch_repeatable() -> None:
    seed_everything(123)
    first = torch.rand(3)
    seed_everything(123)
    assert torch.equal(first, torch.rand(3))


def test_seed_everything_pins_threads() -> None:
    before = torch.get_num_threads()
    try:
        seed_everything(0, threads=1)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"seed": -1}, "seed must be a non-negative int"),
    ({"seed": 1.5}, "seed must be a non-negative int"),
    ({"seed": 0, "threads": 0}, "threads must be a positive int"),
])
def test_seed_everything_rejects_bad_input(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        seed_everything(**kwargs)


def test_pick_device_defaults_to_an_available_device(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STRUCTAPI_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    assert pick_device().type == expected


def test_pick_device_honours_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRUCTAPI_DEVICE", "cpu")
    assert pick_device() == torch.device("cpu")


def test_pick_device_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match="unknown device 'tpu'; allowed: cpu, cuda, mps"):
        pick_device("tpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_pick_device_refuses_cuda_where_there_is_none() -> None:
    with pytest.raises(ValueError, match="no CUDA GPU"):
        pick_device("cuda")
