"""Tests for the gpt2-tokenizer checkpoint and the pieces of scripts/ckpt_gpt2_tokenizer.py (offline only)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

import ckpt_gpt2_tokenizer as builder
from structapi import checkpoint


def _sample_text() -> str:
    """Return a few pages of varied text shipped with Python plus unicode samples, free of special tokens."""
    import textwrap

    # <|endoftext|> in the text would be matched as a special token by one side only, so it is kept out.
    text = Path(textwrap.__file__).read_text(encoding="utf-8") + "".join(builder.ROUND_TRIP_STRINGS)
    assert "<|endoftext|>" not in text
    return text


@pytest.fixture(scope="module")
def ckpt_dir() -> Path:
    """Return the built checkpoint directory from the catalog."""
    directory = checkpoint("gpt2-tokenizer")
    assert isinstance(directory, Path)
    return directory


@pytest.fixture(scope="module")
def tokenizer(ckpt_dir: Path):
    """Load the checkpoint the way the book does."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(ckpt_dir)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello world", [15496, 995]),
        (" Hello world", [18435, 995]),
        ("I love deep learning.", [40, 1842, 2769, 4673, 13]),
        ("<|endoftext|>", [50256]),
    ],
)
def test_reference_ids(tokenizer, text: str, expected: list[int]) -> None:
    """The ids are GPT-2's own, and no special tokens are added by default."""
    assert tokenizer(text)["input_ids"] == expected
    assert tokenizer.encode(text) == tokenizer.encode(text, add_special_tokens=False)


def test_vocab_and_special_tokens(tokenizer) -> None:
    """50,257 tokens, <|endoftext|> as bos/eos/unk, and no pad token, as in the original."""
    assert len(tokenizer) == 50257
    assert tokenizer.pad_token is None
    assert tokenizer.eos_token == tokenizer.bos_token == tokenizer.unk_token == "<|endoftext|>"
    assert tokenizer.eos_token_id == 50256


@pytest.mark.parametrize("text", builder.ROUND_TRIP_STRINGS)
def test_round_trip(tokenizer, text: str) -> None:
    """Byte-level BPE loses nothing: decoding the ids gives the exact input back."""
    assert tokenizer.decode(tokenizer.encode(text)) == text


def test_evaluate_passes(ckpt_dir: Path) -> None:
    """The build's own checks pass on the shipped directory."""
    facts = builder.evaluate(ckpt_dir)
    assert facts["vocab_size"] == 50257
    assert facts["ids"]["Hello world"] == [15496, 995]


def test_directory_is_small_and_complete(ckpt_dir: Path) -> None:
    """Ships the files the real GPT-2 ships, within the size budget."""
    names = {path.name for path in ckpt_dir.iterdir()}
    assert {"tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt", "README.md"} <= names
    assert sum(path.stat().st_size for path in ckpt_dir.iterdir() if path.is_file()) <= 4 * 1024 * 1024


def test_vocab_and_merges_files_agree_with_tokenizer_json(ckpt_dir: Path, tokenizer) -> None:
    """vocab.json/merges.txt alone rebuild a tokenizer that encodes like tokenizer.json."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    other = Tokenizer(models.BPE.from_file(str(ckpt_dir / "vocab.json"), str(ckpt_dir / "merges.txt")))
    other.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    text = _sample_text()
    assert other.encode(text).ids == tokenizer.encode(text)


def test_merges_reproduce_rank_based_bpe(ckpt_dir: Path, tokenizer) -> None:
    """Merge-based BPE (tokenizer.json) equals tiktoken-style rank-based BPE over the same vocabulary."""
    to_byte = {char: byte for byte, char in builder.bytes_to_unicode().items()}
    vocab = json.loads((ckpt_dir / "vocab.json").read_text(encoding="utf-8"))
    vocab.pop("<|endoftext|>")
    ranks = {bytes(to_byte[char] for char in token): rank for token, rank in vocab.items()}
    text = _sample_text()
    pieces = tokenizer.backend_tokenizer.pre_tokenizer.pre_tokenize_str(text)
    expected: list[int] = []
    for piece, _ in pieces:
        raw = bytes(to_byte[char] for char in piece)
        expected.extend(ranks[part] for part in builder._bpe_parts(raw, ranks, len(ranks)))
    assert tokenizer.encode(text) == expected


def test_derive_merges_on_tiny_table() -> None:
    """Each multi-byte token is split into the two lower-ranked tokens that BPE would join last."""
    ranks = {b"a": 0, b"b": 1, b"c": 2, b"ab": 3, b"bc": 4, b"abc": 5, b"cab": 6, b"abab": 7}
    merges = builder.derive_merges(ranks)
    # "abc": with ranks < 5, "ab" (3) beats "bc" (4), so the last merge is ab + c, not a + bc.
    # "cab": "ab" merges first, then c + ab. "abab": both "ab" merge, then ab + ab.
    assert merges == [(b"a", b"b"), (b"b", b"c"), (b"ab", b"c"), (b"c", b"ab"), (b"ab", b"ab")]


def test_derive_merges_rejects_unreachable_token() -> None:
    """A token that lower ranks cannot assemble into exactly two pieces is an error, not a silent merge."""
    with pytest.raises(ValueError, match="not one merge"):
        builder.derive_merges({b"a": 0, b"b": 1, b"c": 2, b"abc": 3})


def test_bytes_to_unicode_is_gpt2_table() -> None:
    """The table is a bijection onto printable characters, with space -> 'Ġ' and newline -> 'Ċ'."""
    table = builder.bytes_to_unicode()
    assert len(table) == 256 and len(set(table.values())) == 256
    assert table[ord(" ")] == "Ġ" and table[ord("\n")] == "Ċ" and table[ord("A")] == "A"
    assert all(char.isprintable() and not char.isspace() for char in table.values())


def test_parse_tiktoken() -> None:
    """`<base64> <rank>` lines become a bytes -> rank table; gaps in the ranks are refused."""
    assert builder.parse_tiktoken(b"YQ== 0\nYg== 1\nYWI= 2\n") == {b"a": 0, b"b": 1, b"ab": 2}
    with pytest.raises(ValueError, match="permutation"):
        builder.parse_tiktoken(b"YQ== 0\nYg== 2\n")


def test_verify_sha256_accepts_and_refuses() -> None:
    """The pinned-hash check passes the original bytes and refuses a single changed byte, saying why."""
    original = b"SGVsbG8= 0\n"
    digest = hashlib.sha256(original).hexdigest()
    assert builder.verify_sha256(original, digest) == digest
    tampered = b"SGVsbG9= 0\n"
    message = r"sha256 mismatch: got [0-9a-f]{64}, expected " + digest
    with pytest.raises(builder.TiktokenChecksumError, match=message):
        builder.verify_sha256(tampered, digest)


def test_pinned_constants() -> None:
    """The build is pinned to one whisper release and one file hash."""
    assert builder.WHISPER_VERSION == "20250625"
    assert builder.TIKTOKEN_SHA256 == "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930"
