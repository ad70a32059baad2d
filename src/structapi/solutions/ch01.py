"""Solutions for chapter 01, the pipeline opened up."""

from __future__ import annotations

from transformers import AutoModelForSequenceClassification, pipeline

from structapi.solutions._loading import model as _model
from structapi.solutions._loading import tokenizer as _tokenizer

BATCH = ["I've been waiting for a HuggingFace course my whole life.", "I hate this so much!"]


def exercise_1() -> int:
    """How many [PAD] tokens does the second sentence get when the two are batched with padding=True?"""
    mask = _tokenizer("sentiment")(BATCH, padding=True, return_tensors="pt")["attention_mask"]
    return int((mask[1] == 0).sum())


def exercise_2() -> str:
    """Which label does the sentiment pipeline give "The lecture was a complete waste of time."?"""
    classifier = pipeline("text-classification", model=_model("sentiment", AutoModelForSequenceClassification),
                          tokenizer=_tokenizer("sentiment"))
    return classifier("The lecture was a complete waste of time.")[0]["label"]
