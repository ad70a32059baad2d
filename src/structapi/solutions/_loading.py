"""What every solution module needs: catalog tokenizers and models, loaded once per process, without log noise."""

from __future__ import annotations

from functools import cache
from typing import Any

from transformers import AutoTokenizer

from structapi.catalog import checkpoint
from structapi.logs import quiet

__all__ = ["model", "quiet", "tokenizer"]


@cache
def tokenizer(name: str) -> Any:
    """The tokenizer of catalog checkpoint `name`, loaded once per process."""
    with quiet():
        return AutoTokenizer.from_pretrained(checkpoint(name))


@cache
def model(name: str, auto_class: type, **kwargs: Any) -> Any:
    """`auto_class.from_pretrained(checkpoint(name), **kwargs)` in eval mode, loaded once per process; never modify it."""
    with quiet():
        return auto_class.from_pretrained(checkpoint(name), **kwargs).eval()
