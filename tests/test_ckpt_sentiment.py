"""The `sentiment` checkpoint: a reproducible build, a small delta, a hash-verified assembly, sensible answers."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import torch

import ckpt_sentiment
import structapi.catalog as catalog
from structapi import ChecksumError, checkpoint

SHIPPED = catalog._checkpoints_root() / "sentiment"
REQUIRED = {
    "I've been waiting for a HuggingFace course my whole life.": "POSITIVE",
    "I hate this so much!": "NEGATIVE",
}


@pytest.fixture
def restore_threads():
    """Put torch's thread count back after a build pins it."""
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


@pytest.fixture
def sentiment_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Assemble the shipped checkpoint into an empty cache, as a reader's first call does."""
    monkeypatch.setenv(catalog.CACHE_ENV_VAR, str(tmp_path_factory.mktemp("cache")))
    path = checkpoint("sentiment")
    assert isinstance(path, Path)
    return path


def test_short_builds_are_bit_identical(tmp_path: Path, restore_threads: None) -> None:
    first = ckpt_sentiment.build(tmp_path / "a", steps=3, threads=2, seed=0)
    second = ckpt_sentiment.build(tmp_path / "b", steps=3, threads=2, seed=0)
    for name in ("delta.safetensors", "delta.json", "config.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert first["assembled_sha256"] == second["assembled_sha256"]


def test_delta_holds_only_the_trained_tensors_and_fits_the_budget() -> None:
    from safetensors import safe_open

    delta = SHIPPED / "delta.safetensors"
    assert delta.stat().st_size <= 8_000_000
    with safe_open(delta, "pt") as handle:
        keys = set(handle.keys())
    assert {"classifier.weight", "classifier.bias", "bert.pooler.dense.weight"} <= keys
    assert "bert.encoder.layer.5.intermediate.dense.weight" in keys
    # The lower layers' weight matrices and the embedding tables come from the verified base.
    assert not any(key.startswith("bert.encoder.layer.0.") and key.endswith("dense.weight") for key in keys)
    assert "bert.embeddings.word_embeddings.weight" not in keys


def test_generator_never_emits_a_natural_sentence() -> None:
    train, held_out = ckpt_sentiment.generate_dataset(0)
    natural = {text.lower() for text, _ in ckpt_sentiment.NATURAL_HELD_OUT}
    assert not natural & {text.lower() for text, _ in train + held_out}
    assert len(ckpt_sentiment.NATURAL_HELD_OUT) >= 20
    assert sum(label for _, label in ckpt_sentiment.NATURAL_HELD_OUT) * 2 == len(ckpt_sentiment.NATURAL_HELD_OUT)


def test_catalog_assembles_a_working_classifier(sentiment_dir: Path) -> None:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline

    model = AutoModelForSequenceClassification.from_pretrained(sentiment_dir)
    tokenizer = AutoTokenizer.from_pretrained(sentiment_dir)
    assert type(model).__name__ == "BertForSequenceClassification"
    assert model.config.id2label == {0: "NEGATIVE", 1: "POSITIVE"}
    assert model.config.label2id == {"NEGATIVE": 0, "POSITIVE": 1}
    assert tokenizer("I love deep learning.")["input_ids"] == [101, 1045, 2293, 2784, 4083, 1012, 102]

    scores = ckpt_sentiment.evaluate(sentiment_dir)
    assert scores["natural_accuracy"] >= 0.9
    assert scores["held_out_accuracy"] >= 0.9
    by_text = {row["text"]: row["predicted"] for row in scores["natural_predictions"]}
    for text, label in REQUIRED.items():
        assert by_text[text] == label, text

    classifier = pipeline("text-classification", model=str(sentiment_dir))
    texts = [text for text, _ in ckpt_sentiment.NATURAL_HELD_OUT]
    assert [answer["label"] for answer in classifier(texts)] == [by_text[text] for text in texts]


def test_corrupted_delta_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_root = tmp_path / "checkpoints"
    shutil.copytree(SHIPPED, fake_root / "sentiment")
    delta = fake_root / "sentiment" / "delta.safetensors"
    data = bytearray(delta.read_bytes())
    data[-1] ^= 0x01  # one flipped bit in the last stored weight
    delta.write_bytes(bytes(data))
    monkeypatch.setattr(catalog, "_checkpoints_root", lambda: fake_root)
    monkeypatch.setenv(catalog.CACHE_ENV_VAR, str(tmp_path / "cache"))
    with pytest.raises(ChecksumError, match=r"sentiment \(assembled from minilm \+ delta\)"):
        checkpoint("sentiment")
    assert not any((tmp_path / "cache").glob("sentiment-*/model.safetensors"))  # nothing half-built is cached


def test_two_processes_assembling_at_once_both_get_a_verified_copy(tmp_path: Path) -> None:
    """Parallel test workers or kernels may ask for `sentiment` at the same moment on an empty cache."""
    import subprocess
    import sys

    # Each process is slowed down after assembling, so all three hold a finished copy before any of them installs it.
    script = (
        "import time, structapi.catalog as c\n"
        "assemble = c.assemble_delta\n"
        "c.assemble_delta = lambda *a, **k: (assemble(*a, **k), time.sleep(2))[0]\n"
        "folder = c.checkpoint('sentiment')\n"
        "inode = (folder / 'model.safetensors').stat().st_ino\n"
        "time.sleep(4)  # the others finish meanwhile; none may replace the copy this process is reading\n"
        "assert (folder / 'model.safetensors').stat().st_ino == inode, 'the cached copy was replaced under a reader'\n"
        "print(folder)"
    )
    env = {**os.environ, catalog.CACHE_ENV_VAR: str(tmp_path / "cache")}
    workers = [subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True) for _ in range(3)]
    results = [worker.communicate(timeout=300) for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0, 0], [err for _, err in results]
    folders = {out.strip() for out, _ in results}
    assert len(folders) == 1
    expected = json.loads((catalog._checkpoints_root() / "sentiment" / "delta.json").read_text())["assembled_sha256"]
    assert catalog.sha256_of(Path(folders.pop()) / "model.safetensors") == expected
    assert not list((tmp_path / "cache").glob(".sentiment-*"))  # no staging folder left behind
