"""Solutions for chapter 07, encoder-decoder models."""

from __future__ import annotations

import torch
from transformers import AutoModelForSeq2SeqLM

from structapi.solutions._loading import model as _model
from structapi.solutions._loading import tokenizer as _tokenizer


def _t5():
    """The tiny-t5 tokenizer and model (eager attention, so cross-attention weights exist)."""
    return _tokenizer("tiny-t5"), _model("tiny-t5", AutoModelForSeq2SeqLM, attn_implementation="eager")


def exercise_1() -> str:
    """The greedy translation of "Tomorrow we visit the famous museum."."""
    tokenizer, model = _t5()
    source = tokenizer("Tomorrow we visit the famous museum.", return_tensors="pt")
    with torch.no_grad():
        generated = model.generate(**source)
    return tokenizer.decode(generated[0], skip_special_tokens=True)


def exercise_2() -> str:
    """The English token that the step writing "▁trägst" attends to most (last layer, mean over heads)."""
    tokenizer, model = _t5()
    source = tokenizer("We know that you carry a red umbrella.", return_tensors="pt")
    with torch.no_grad():
        generated = model.generate(**source)
        out = model(**source, decoder_input_ids=generated[:, :-1], output_attentions=True)
    written = tokenizer.convert_ids_to_tokens(generated[0, 1:])
    weights = out.cross_attentions[-1][0].mean(dim=0)[written.index("▁trägst")]
    return tokenizer.convert_ids_to_tokens(source["input_ids"][0])[int(weights.argmax())]


def exercise_3() -> tuple[int, int]:
    """(self-attention, cross-attention) cache lengths after greedily translating "Today I love the big dog."."""
    tokenizer, model = _t5()
    source = tokenizer("Today I love the big dog.", return_tensors="pt")
    with torch.no_grad():
        out = model.generate(**source, return_dict_in_generate=True)
    cache_ = out.past_key_values
    return (cache_.self_attention_cache.get_seq_length(), cache_.cross_attention_cache.get_seq_length())
