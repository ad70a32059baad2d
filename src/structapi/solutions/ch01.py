"""Solutions for chapter 01, the pipeline opened up."""

from __future__ import annotations

from functools import cache

from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline

from structapi.catalog import checkpoint

BATCH = ["I've been waiting for a HuggingFace course my whole life.", "I hate this so much!"]


@cache
def _sentiment():
    directory = checkpoint("sentiment")
    return AutoTokenizer.from_pretrained(directory), AutoModelForSequenceClassification.from_pretrained(directory)


def exercise_1() -> int:
    """How many [PAD] tokens does the second sentence get when the two are batched with padding=True?"""
    tokenizer, _ = _sentiment()
    mask = tokenizer(BATCH, padding=True, return_tensors="pt")["attention_mask"]
    return int((mask[1] == 0).sum())


def exercise_2() -> str:
    """Which label does the sentiment pipeline give "The lecture was a complete waste of time."?"""
    tokenizer, model = _sentiment()
    classifier = pipeline("text-classification", model=model, tokenizer=tokenizer)
    return classifier("The lecture was a complete waste of time.")[0]["label"]
