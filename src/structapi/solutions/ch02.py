"""Solutions for chapter 02, tokenization: from text to ids and back."""

from __future__ import annotations

from structapi.solutions._loading import tokenizer as _tokenizer


def exercise_1() -> list[str]:
    """The WordPiece tokens (no special tokens) of "Transformers are unbelievably useful."."""
    return _tokenizer("minilm").tokenize("Transformers are unbelievably useful.")


def exercise_2() -> int:
    """How many tokens of the pair ("Where is the station?", "It is next to the old bridge.") have token type 1?"""
    encoding = _tokenizer("minilm")("Where is the station?", "It is next to the old bridge.")
    return sum(encoding["token_type_ids"])


def exercise_3() -> dict[str, int]:
    """GPT-2 tokens and UTF-8 bytes of "naïve café 😀"."""
    text = "naïve café 😀"
    return {"tokens": len(_tokenizer("gpt2-tokenizer")(text)["input_ids"]), "bytes": len(text.encode("utf-8"))}


def exercise_4() -> list[str]:
    """The words of "Tokenizers split unbelievably rare words." that WordPiece cuts into several tokens."""
    text = "Tokenizers split unbelievably rare words."
    encoding = _tokenizer("minilm")(text, return_offsets_mapping=True)
    spans: dict[int, list[tuple[int, int]]] = {}
    for word, offset in zip(encoding.word_ids(), encoding["offset_mapping"]):
        if word is not None:
            spans.setdefault(word, []).append(offset)
    return [text[pieces[0][0]:pieces[-1][1]] for pieces in spans.values() if len(pieces) > 1]


def exercise_5() -> dict[str, int]:
    """Tokens (special tokens included) of "The dog reads a book." in WordPiece, byte-level BPE and Unigram."""
    text = "The dog reads a book."
    return {
        "wordpiece": len(_tokenizer("minilm")(text)["input_ids"]),
        "bpe": len(_tokenizer("gpt2-tokenizer")(text)["input_ids"]),
        "unigram": len(_tokenizer("tiny-t5")(text)["input_ids"]),
    }
