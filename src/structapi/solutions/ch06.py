"""Solutions for chapter 06, decoder-only models: next-token logits, generate() and the KV cache."""

from __future__ import annotations

import torch
from transformers import AutoModelForCausalLM
from transformers.generation import TopPLogitsWarper

from structapi.solutions._loading import model as _model
from structapi.solutions._loading import tokenizer as _tokenizer


def _tiny_gpt2():
    """The tiny-gpt2 tokenizer and model, on the CPU."""
    return _tokenizer("tiny-gpt2"), _model("tiny-gpt2", AutoModelForCausalLM)


def _next_token_logits(prompt: str) -> torch.Tensor:
    """Logits of the token after `prompt`, shape (1, vocabulary)."""
    tokenizer, model = _tiny_gpt2()
    with torch.no_grad():
        return model(**tokenizer(prompt, return_tensors="pt")).logits[:, -1, :]


def exercise_1() -> str:
    """The most likely next token after "Return the number of", decoded."""
    tokenizer, _ = _tiny_gpt2()
    return tokenizer.decode([int(_next_token_logits("Return the number of").argmax())])


def exercise_2() -> int:
    """How many tokens top_p=0.5 keeps for the next token after "Return the number of"."""
    tokenizer, _ = _tiny_gpt2()
    ids = tokenizer("Return the number of", return_tensors="pt")["input_ids"]
    warped = TopPLogitsWarper(top_p=0.5)(ids, _next_token_logits("Return the number of").clone())
    return int(torch.isfinite(warped).sum())


def exercise_3() -> list[int]:
    """Shape of the last layer's values in the cache that greedy generate() returns for "This module provides", 7 new tokens."""
    tokenizer, model = _tiny_gpt2()
    result = model.generate(
        **tokenizer("This module provides", return_tensors="pt"),
        max_new_tokens=7,
        do_sample=False,
        return_dict_in_generate=True,
    )
    return list(result.past_key_values.layers[-1].values.shape)


def exercise_4() -> str:
    """Greedy continuation (40 new tokens) of "Return the" with no_repeat_ngram_size=2."""
    tokenizer, model = _tiny_gpt2()
    inputs = tokenizer("Return the", return_tensors="pt")
    out = model.generate(**inputs, max_new_tokens=40, do_sample=False, no_repeat_ngram_size=2)
    return tokenizer.decode(out[0, inputs["input_ids"].shape[1] :].tolist())
