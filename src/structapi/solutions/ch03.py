"""Solutions for chapter 03, checkpoints, configs and the Auto classes (each computed once per process)."""

from __future__ import annotations

from functools import cache

from transformers import (
    AutoModelForQuestionAnswering,
    AutoModelForSeq2SeqLM,
    AutoModelForSequenceClassification,
    AutoModelForTokenClassification,
)
from transformers.utils import logging as hf_logging

from structapi.catalog import checkpoint


def _quietly(load, *args, **kwargs):
    """Call a from_pretrained without printing its load report (the reports are the exercises' subject, not output)."""
    previous = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        return load(*args, **kwargs)
    finally:
        hf_logging.set_verbosity(previous)


@cache
def exercise_1() -> int:
    """How many parameters does a 5-label token-classification head add to minilm?"""
    model = _quietly(AutoModelForTokenClassification.from_pretrained, checkpoint("minilm"), num_labels=5)
    return sum(p.numel() for p in model.classifier.parameters())


@cache
def exercise_2() -> str:
    """Which class does AutoModelForSequenceClassification build from tiny-gpt2?"""
    model = _quietly(AutoModelForSequenceClassification.from_pretrained, checkpoint("tiny-gpt2"))
    return type(model).__name__


@cache
def exercise_3() -> list[str]:
    """Which weights are newly initialised when minilm is loaded for question answering (sorted names)?"""
    _, info = _quietly(AutoModelForQuestionAnswering.from_pretrained, checkpoint("minilm"), output_loading_info=True)
    return sorted(info["missing_keys"])


@cache
def exercise_4() -> int:
    """How many parameters (shared tensors counted once) does tiny-t5 have under AutoModelForSeq2SeqLM?"""
    model = _quietly(AutoModelForSeq2SeqLM.from_pretrained, checkpoint("tiny-t5"))
    return sum(p.numel() for p in model.parameters())
