"""Solutions for chapter 04, ModelOutput: what a forward pass returns."""

from __future__ import annotations

from functools import cache

import torch
from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoModelForSequenceClassification

from structapi.solutions._loading import model as _model
from structapi.solutions._loading import quiet
from structapi.solutions._loading import tokenizer as _tokenizer

SENTENCES = ["The new API is a joy to use.", "This error message is useless."]
LABELS = [1, 0]
GPT2_TEXT = "Return a new sorted list from the items in iterable."
T5_SOURCE, T5_TARGET = "The dog sees the man.", "Der Hund sieht den Mann."


def _load(auto_class, name: str):
    """Tokenizer and eager-attention model of a catalog checkpoint (eager, so attention weights come back)."""
    return _tokenizer(name), _model(name, auto_class, attn_implementation="eager")


@cache
def exercise_1() -> list[str]:
    """The keys of tiny-gpt2's output with labels, output_hidden_states=True and use_cache=False."""
    tokenizer, model = _load(AutoModelForCausalLM, "tiny-gpt2")
    inputs = tokenizer([GPT2_TEXT], return_tensors="pt")
    with quiet(), torch.no_grad():  # quiet: GPT-2's one-time "loss_type=None" note
        out = model(**inputs, labels=inputs["input_ids"], output_hidden_states=True, use_cache=False)
    return list(out.keys())


@cache
def exercise_2() -> int:
    """The index of the attention weights in the sentiment classifier's return_dict=False tuple."""
    tokenizer, model = _load(AutoModelForSequenceClassification, "sentiment")
    batch = tokenizer(SENTENCES, padding=True, return_tensors="pt")
    with torch.no_grad():
        as_tuple = model(**batch, labels=torch.tensor(LABELS), output_hidden_states=True,
                         output_attentions=True, return_dict=False)
        named = model(**batch, labels=torch.tensor(LABELS), output_hidden_states=True, output_attentions=True)
    index = list(named.keys()).index("attentions")
    assert torch.equal(as_tuple[index][0], named.attentions[0])  # the tuple holds the same values
    return index


@cache
def exercise_3() -> list[int]:
    """The shape of tiny-t5's first-layer cross-attention weights for the dog/man sentence pair."""
    tokenizer, model = _load(AutoModelForSeq2SeqLM, "tiny-t5")
    batch = tokenizer([T5_SOURCE], text_target=[T5_TARGET], return_tensors="pt")
    with torch.no_grad():
        out = model(**batch, output_attentions=True)
    return list(out.cross_attentions[0].shape)
