"""Solutions for chapter 10, from structure to API: the map."""

from __future__ import annotations

from functools import cache

import torch
import transformers
from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer

from structapi.catalog import checkpoint

DOG_SOURCE = "Today I love the big dog."
DOG_TARGET = "Heute liebe ich den großen Hund."
WRONG_ORDER = "Heute ich liebe den großen Hund."


def _quietly(load):
    """Run `load()` with transformers' log messages silenced, and restore the previous level after it."""
    previous = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_error()
    try:
        return load()
    finally:
        transformers.logging.set_verbosity(previous)


@cache
def _tiny_t5():
    """The tiny-t5 tokenizer and model with eager attention (so that attention weights are returned)."""
    directory = checkpoint("tiny-t5")
    model = _quietly(lambda: AutoModelForSeq2SeqLM.from_pretrained(directory, attn_implementation="eager").eval())
    return AutoTokenizer.from_pretrained(directory), model


@cache
def _tiny_gpt2():
    """The tiny-gpt2 tokenizer and model."""
    directory = checkpoint("tiny-gpt2")
    model = _quietly(lambda: AutoModelForCausalLM.from_pretrained(directory).eval())
    return AutoTokenizer.from_pretrained(directory), model


def _dog_pass(target: str = DOG_TARGET):
    """tiny-t5's forward pass on the dog sentence and `target`, with labels and attention weights."""
    tokenizer, model = _tiny_t5()
    inputs = tokenizer(DOG_SOURCE, return_tensors="pt")
    labels = tokenizer(text_target=target, return_tensors="pt")["input_ids"]
    with torch.no_grad():
        return model(**inputs, labels=labels, output_attentions=True)


def exercise_1() -> tuple[int, ...]:
    """Shape of tiny-t5's first cross-attention tensor for the dog sentence pair."""
    return tuple(_dog_pass().cross_attentions[0].shape)


def exercise_2() -> int:
    """Numbers held by tiny-gpt2's KV cache (keys and values, all layers) after "Return a new list containing"."""
    tokenizer, model = _tiny_gpt2()
    with torch.no_grad():
        cache = model(**tokenizer("Return a new list containing", return_tensors="pt")).past_key_values
    return sum(layer.keys.numel() + layer.values.numel() for layer in cache.layers)


def exercise_3() -> float:
    """tiny-t5's loss on the dog sentence with a target in English word order (the verb not second)."""
    return _dog_pass(WRONG_ORDER).loss.item()
