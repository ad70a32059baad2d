"""Solutions for chapter 03, checkpoints, configs and the Auto classes (each computed once per process)."""

from __future__ import annotations

from functools import cache

from transformers import (
    AutoModelForQuestionAnswering,
    AutoModelForSeq2SeqLM,
    AutoModelForSequenceClassification,
    AutoModelForTokenClassification,
)

from structapi.catalog import checkpoint
from structapi.solutions._loading import model as _model
from structapi.solutions._loading import quiet


@cache
def exercise_1() -> int:
    """How many parameters does a 5-label token-classification head add to minilm?"""
    model = _model("minilm", AutoModelForTokenClassification, num_labels=5)
    return sum(p.numel() for p in model.classifier.parameters())


@cache
def exercise_2() -> str:
    """Which class does AutoModelForSequenceClassification build from tiny-gpt2?"""
    return type(_model("tiny-gpt2", AutoModelForSequenceClassification)).__name__


@cache
def exercise_3() -> list[str]:
    """Which weights are newly initialised when minilm is loaded for question answering (sorted names)?"""
    with quiet():  # the load report is this exercise's subject, not output
        _, info = AutoModelForQuestionAnswering.from_pretrained(checkpoint("minilm"), output_loading_info=True)
    return sorted(info["missing_keys"])


@cache
def exercise_4() -> int:
    """How many parameters (shared tensors counted once) does tiny-t5 have under AutoModelForSeq2SeqLM?"""
    return sum(p.numel() for p in _model("tiny-t5", AutoModelForSeq2SeqLM).parameters())
