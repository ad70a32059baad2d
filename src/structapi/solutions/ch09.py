"""Solutions for chapter 09, labels and loss."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from transformers import AutoConfig, AutoModelForCausalLM

from structapi.catalog import checkpoint
from structapi.solutions._loading import model as _model
from structapi.solutions._loading import tokenizer as _tokenizer

TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


def _gpt():
    return _model("tiny-gpt2", AutoModelForCausalLM)


def exercise_1() -> int:
    """How many positions of "Ada Lovelace visited Kensington in 1842." get the label -100."""
    word_tags = ["B-PER", "I-PER", "O", "B-LOC", "O", "O", "O"]
    labels, previous = [], None
    for word in _tokenizer("minilm")("Ada Lovelace visited Kensington in 1842.").word_ids():
        labels.append(-100 if word is None or word == previous else TAGS.index(word_tags[word]))
        previous = word
    return labels.count(-100)


def exercise_2() -> list[int]:
    """tiny-t5's decoder_input_ids for the target "Heute liebe ich den großen Hund.": start token, then labels[:-1]."""
    labels = _tokenizer("tiny-t5")(text_target="Heute liebe ich den großen Hund.")["input_ids"]
    start = AutoConfig.from_pretrained(checkpoint("tiny-t5")).decoder_start_token_id
    return [start] + labels[:-1]


def exercise_3() -> float:
    """Perplexity of tiny-gpt2 on "Dictionaries map keys to values.": exp of the mean next-token cross-entropy."""
    ids = _tokenizer("tiny-gpt2")("Dictionaries map keys to values.", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        logits = _gpt()(input_ids=ids).logits
    loss = F.cross_entropy(logits[0, :-1], ids[0, 1:])  # position i predicts token i + 1
    return math.exp(loss.item())
