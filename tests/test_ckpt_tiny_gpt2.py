"""The tiny-gpt2 build is reproducible, and the shipped checkpoint loads and meets its perplexity target."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import ckpt_tiny_gpt2

# Training steps and corpus slice of the short builds: enough to exercise every stage in a few seconds.
SHORT_STEPS = 3
SHORT_DOCUMENTS = 200
THREADS = 2


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any accidental Hub access fail fast instead of touching the network."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="module")
def documents() -> list[tuple[str, str]]:
    return ckpt_tiny_gpt2.collect_documents()


def test_corpus_is_sorted_deduplicated_and_split_one_in_twenty(documents: list[tuple[str, str]]) -> None:
    keys = [key for key, _ in documents]
    assert keys == sorted(keys)
    assert len({text for _, text in documents}) == len(documents)
    train, heldout = ckpt_tiny_gpt2.split_documents(documents)
    assert len(heldout) == len(documents) // 20
    assert heldout[0] == documents[19][1]
    assert len(train) + len(heldout) == len(documents)


def test_corpus_has_all_three_sources_and_no_test_suites(documents: list[tuple[str, str]]) -> None:
    keys = [key for key, _ in documents]
    assert any(key.startswith("topic:") for key in keys)
    assert any(key.startswith("json.") for key in keys), "no docstrings parsed from the stdlib's .py files"
    assert any(key.startswith("builtins.") for key in keys), "no docstrings of C-implemented modules"
    # Test suites describe test cases, not the library; SKIPPED_DIRECTORIES keeps them out.
    suites = ("test.", "unittest.test.", "ctypes.test.", "tkinter.test.", "lib2to3.tests.", "idlelib.idle_test.")
    assert not [key for key in keys if key.startswith(suites)]
    assert all(len(text) >= ckpt_tiny_gpt2.MIN_DOC_CHARS for _, text in documents)


def test_corpus_fingerprint_changes_with_any_document(documents: list[tuple[str, str]]) -> None:
    fingerprint = ckpt_tiny_gpt2.corpus_fingerprint(documents)
    assert fingerprint == ckpt_tiny_gpt2.corpus_fingerprint(list(documents))
    edited = [*documents[:-1], (documents[-1][0], documents[-1][1] + ".")]
    assert ckpt_tiny_gpt2.corpus_fingerprint(edited) != fingerprint
    assert ckpt_tiny_gpt2.corpus_fingerprint(documents[:-1]) != fingerprint


def test_short_builds_are_bit_identical(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    metrics = ckpt_tiny_gpt2.build(first, steps=SHORT_STEPS, threads=THREADS, documents=SHORT_DOCUMENTS)
    ckpt_tiny_gpt2.build(second, steps=SHORT_STEPS, threads=THREADS, documents=SHORT_DOCUMENTS)
    for name in ("model.safetensors", "tokenizer.json", "config.json", "generation_config.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert metrics["steps"] == SHORT_STEPS
    assert metrics["train_documents"] + metrics["heldout_documents"] == SHORT_DOCUMENTS


@pytest.fixture(scope="module")
def shipped() -> Path:
    from structapi import checkpoint

    try:
        directory = checkpoint("tiny-gpt2")
    except FileNotFoundError:
        pytest.skip("tiny-gpt2 is not built: run python scripts/build_checkpoints.py tiny-gpt2")
    assert isinstance(directory, Path)
    return directory


def test_shipped_checkpoint_loads_with_auto_classes(shipped: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer, GPT2LMHeadModel

    tokenizer = AutoTokenizer.from_pretrained(shipped)
    model = AutoModelForCausalLM.from_pretrained(shipped)
    assert isinstance(model, GPT2LMHeadModel)
    assert 2_000_000 <= model.num_parameters() <= 5_000_000
    assert (shipped / "model.safetensors").stat().st_size <= 16 * 1024 * 1024
    # Like the real GPT-2: one special token serving as bos/eos/unk, and no pad token.
    assert tokenizer.pad_token is None
    assert tokenizer.eos_token == tokenizer.bos_token == "<|endoftext|>"
    assert model.config.eos_token_id == tokenizer.eos_token_id
    assert model.generation_config.pad_token_id == tokenizer.eos_token_id
    assert model.get_output_embeddings().weight is model.get_input_embeddings().weight
    assert len(tokenizer) == model.config.vocab_size
    text = "Return the number of items."
    assert tokenizer.decode(tokenizer(text)["input_ids"]) == text
    with torch.no_grad():
        ids = tokenizer(text, return_tensors="pt")
        logits = model(**ids).logits
    assert logits.shape == (1, ids["input_ids"].shape[1], model.config.vocab_size)


PERPLEXITY_GOAL = 80.0  # issue #2; the shipped build scores 76.2


@pytest.fixture(scope="module")
def heldout(shipped: Path) -> dict:
    return ckpt_tiny_gpt2.evaluate(shipped, threads=THREADS)


def test_shipped_checkpoint_heldout_perplexity_matches_its_card(shipped: Path, heldout: dict) -> None:
    import re

    text = (shipped / "README.md").read_text()
    card = re.search(r"Held-out perplexity: \*\*([\d.]+)\*\*", text)
    assert card is not None, "the model card states no held-out perplexity"
    python = re.search(r"inside CPython ([\d.]+)", text)
    fingerprint = re.search(r"fingerprint .*? is `([0-9a-f]{64})`", text, re.S)
    assert python and fingerprint, "the model card states no CPython version or corpus fingerprint"
    if heldout["corpus_sha256"] != fingerprint.group(1):
        # The corpus is this interpreter's own documentation: another CPython release, or a build without an
        # optional extension module (_tkinter without Tk), legitimately yields other text and another held-out set.
        pytest.skip(
            f"the card's corpus comes from CPython {python.group(1)} ({fingerprint.group(1)[:12]}); "
            f"this CPython {heldout['python']} gives {heldout['corpus_sha256'][:12]}"
        )
    assert heldout["heldout_documents"] > 0
    assert round(heldout["perplexity"], 2) == pytest.approx(float(card.group(1)), abs=0.011)


def test_shipped_checkpoint_meets_the_perplexity_goal(heldout: dict) -> None:
    assert heldout["perplexity"] <= PERPLEXITY_GOAL
