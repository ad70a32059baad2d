"""Solutions for chapter 10, from structure to API: the map."""

from __future__ import annotations

from functools import cache

import torch
from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM

from structapi.solutions._loading import model as _model
from structapi.solutions._loading import tokenizer as _tokenizer

DOG_SOURCE = "Today I love the big dog."
DOG_TARGET = "Heute liebe ich den großen Hund."
WRONG_ORDER = "Heute ich liebe den großen Hund."


def _tiny_t5():
    """The tiny-t5 tokenizer and model with eager attention (so that attention weights are returned)."""
    return _tokenizer("tiny-t5"), _model("tiny-t5", AutoModelForSeq2SeqLM, attn_implementation="eager")


def _tiny_gpt2():
    """The tiny-gpt2 tokenizer and model."""
    return _tokenizer("tiny-gpt2"), _model("tiny-gpt2", AutoModelForCausalLM)


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
