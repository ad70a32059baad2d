"""Device choice: one place that decides where the book's tensors live."""

from __future__ import annotations

import os

import torch

__all__ = ["DEVICE_ENV_VAR", "pick_device"]

DEVICE_ENV_VAR = "STRUCTAPI_DEVICE"
_ALLOWED = ("cpu", "cuda", "mps")


def pick_device(preferred: str | None = None) -> torch.device:
    """Return `preferred` (or $STRUCTAPI_DEVICE), else CUDA, else Apple MPS, else CPU."""
    choice = preferred if preferred is not None else os.environ.get(DEVICE_ENV_VAR) or None
    if choice is not None:
        kind = str(choice).split(":")[0].strip().lower()
        if kind not in _ALLOWED:
            raise ValueError(f"unknown device {choice!r}; allowed: {', '.join(_ALLOWED)} (optionally 'cuda:N')")
        if kind == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"device {choice!r} was asked for, but torch sees no CUDA GPU here")
        if kind == "mps" and not torch.backends.mps.is_available():
            raise ValueError(f"device {choice!r} was asked for, but torch sees no Apple MPS device here")
        return torch.device(choice)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")
