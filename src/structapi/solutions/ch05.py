"""Solutions for chapter 05, encoder-only models and their heads."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from transformers import AutoModel

from structapi.solutions._loading import model as _model
from structapi.solutions._loading import tokenizer as _tokenizer

TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


def _minilm():
    """The MiniLM tokenizer and encoder (no head)."""
    return _tokenizer("minilm"), _model("minilm", AutoModel)


def _embed(sentences: list[str]) -> torch.Tensor:
    """Normalised masked-mean sentence embeddings, one row per sentence."""
    tokenizer, model = _minilm()
    encoded = tokenizer(sentences, padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**encoded).last_hidden_state
    weights = encoded["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    return F.normalize((hidden * weights).sum(dim=1) / weights.sum(dim=1), dim=-1)


def exercise_1() -> float:
    """Cosine similarity of the embeddings of two sentences about making music."""
    guitar = _embed(["A man is playing a guitar.", "Someone is performing music on an instrument."])
    return float(guitar[0] @ guitar[1])


def exercise_2() -> str:
    """The candidate whose embedding is closest to "How do I reset my password?"."""
    candidates = [
        "The museum is closed on Mondays.",
        "Steps to recover access when you forget your login credentials.",
        "Our team won the football match yesterday.",
        "Passwords should contain at least twelve characters.",
    ]
    scores = (_embed(["How do I reset my password?"]) @ _embed(candidates).T)[0]
    return candidates[int(scores.argmax())]


def exercise_3() -> list[int]:
    """Token labels of "Marie Curie lived in Paris." (tag id on a word's first token, -100 elsewhere)."""
    tokenizer, _ = _minilm()
    word_tags = ["B-PER", "I-PER", "O", "O", "B-LOC", "O"]
    labels, previous = [], None
    for word in tokenizer("Marie Curie lived in Paris.").word_ids():
        labels.append(-100 if word is None or word == previous else TAGS.index(word_tags[word]))
        previous = word
    return labels


def exercise_4() -> int:
    """How many positions of a (question, context) pair are context tokens, i.e. possible answer starts."""
    tokenizer, _ = _minilm()
    encoded = tokenizer(
        "When was the telescope invented?",
        "The first telescopes appeared in the Netherlands in 1608, made by spectacle makers.",
    )
    return encoded.sequence_ids().count(1)
