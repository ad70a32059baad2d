"""Solutions for chapter 08, attention weights and hidden states."""

from __future__ import annotations

from functools import cache

import torch
import torch.nn.functional as F
from transformers import AutoModel, AutoModelForCausalLM, AutoModelForSeq2SeqLM

from structapi.solutions._loading import model as _model
from structapi.solutions._loading import tokenizer as _tokenizer


def _load(name: str, auto_class):
    """A catalog tokenizer and model with eager attention (so that attention weights come back)."""
    return _tokenizer(name), _model(name, auto_class, attn_implementation="eager")


@cache  # check() computes the answer for the reader's cell and again for the solution cell
def exercise_1() -> str:
    """The token (not [CLS] or [SEP]) that "it" attends to most in MiniLM's last layer, averaged over heads."""
    tokenizer, model = _load("minilm", AutoModel)
    encoded = tokenizer("The trophy did not fit in the suitcase because it was too big.", return_tensors="pt")
    tokens = tokenizer.convert_ids_to_tokens(encoded["input_ids"][0])
    with torch.no_grad():
        attentions = model(**encoded, output_attentions=True).attentions
    row = attentions[-1][0, :, tokens.index("it")].mean(dim=0)
    row[[0, -1]] = 0  # leave out [CLS] and [SEP]
    return tokens[int(row.argmax())]


@cache
def exercise_2() -> float:
    """Cosine similarity of the last hidden states of "bank" in a river sentence and a money sentence."""
    tokenizer, model = _load("minilm", AutoModel)

    def bank_vector(text: str) -> torch.Tensor:
        encoded = tokenizer(text, return_tensors="pt")
        position = tokenizer.convert_ids_to_tokens(encoded["input_ids"][0]).index("bank")
        with torch.no_grad():
            return model(**encoded, output_hidden_states=True).hidden_states[-1][0, position]

    first = bank_vector("I sat on the bank and watched the water.")
    second = bank_vector("I went to the bank to open an account.")
    return float(F.cosine_similarity(first, second, dim=0))


@cache
def exercise_3() -> int:
    """The first hidden_states entry whose logit-lens guess at the last position is tiny-gpt2's final prediction."""
    tokenizer, model = _load("tiny-gpt2", AutoModelForCausalLM)
    encoded = tokenizer("The default value is", return_tensors="pt")
    with torch.no_grad():
        outputs = model(**encoded, output_hidden_states=True)
        entries = outputs.hidden_states
        guesses = [
            model.lm_head(h if index == len(entries) - 1 else model.transformer.ln_f(h))[0, -1].argmax().item()
            for index, h in enumerate(entries)
        ]
    final = outputs.logits[0, -1].argmax().item()
    return guesses.index(final)


@cache
def exercise_4() -> int:
    """How many of tiny-t5's cross-attention heads give "trägst" its largest weight on "carry"."""
    tokenizer, model = _load("tiny-t5", AutoModelForSeq2SeqLM)
    source = tokenizer("We know that you carry a red umbrella.", return_tensors="pt")
    with torch.no_grad():
        generated = model.generate(**source, do_sample=False)
        cross = model(**source, decoder_input_ids=generated[:, :-1], output_attentions=True).cross_attentions
    source_tokens = tokenizer.convert_ids_to_tokens(source["input_ids"][0])
    target_tokens = tokenizer.convert_ids_to_tokens(generated[0, 1:])
    rows = torch.stack(cross)[:, 0, :, target_tokens.index("▁trägst")]  # (layers, heads, source)
    return int((rows.argmax(dim=-1) == source_tokens.index("▁carry")).sum())
