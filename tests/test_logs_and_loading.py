"""structapi.logs keeps transformers' messages off the page and restores its logging; the solutions load once."""

from __future__ import annotations

import os

import pytest
import transformers
from transformers import AutoModelForCausalLM

from structapi.catalog import UnknownCheckpointError
from structapi.logs import quiet, transformers_messages
from structapi.solutions._loading import model, tokenizer


def test_quiet_restores_the_log_level_and_progress_bars_even_after_an_error() -> None:
    transformers.logging.set_verbosity_info()
    bars_before = transformers.utils.logging.is_progress_bar_enabled()
    try:
        with pytest.raises(RuntimeError), quiet():
            assert transformers.logging.get_verbosity() == transformers.logging.ERROR
            assert not transformers.utils.logging.is_progress_bar_enabled()
            raise RuntimeError("boom")
        assert transformers.logging.get_verbosity() == transformers.logging.INFO
        assert transformers.utils.logging.is_progress_bar_enabled() == bars_before
    finally:
        transformers.logging.set_verbosity_warning()


def test_transformers_messages_collects_instead_of_printing(capsys: pytest.CaptureFixture[str]) -> None:
    library_logger = transformers.logging.get_logger("transformers.models.gpt2")
    with transformers_messages() as messages:
        library_logger.warning("a load report")
        assert os.environ["COLUMNS"] == "100"
    assert messages == ["a load report"]
    assert "a load report" not in capsys.readouterr().err
    with pytest.raises(RuntimeError), transformers_messages():
        raise RuntimeError("boom")
    assert not any(type(h).__name__ == "_Collector" for h in transformers.logging.get_logger("transformers").handlers)


def test_each_checkpoint_is_loaded_once_in_eval_mode() -> None:
    first = model("tiny-gpt2", AutoModelForCausalLM)
    assert model("tiny-gpt2", AutoModelForCausalLM) is first
    assert not first.training
    assert model("tiny-gpt2", AutoModelForCausalLM, attn_implementation="eager") is not first
    assert tokenizer("tiny-gpt2") is tokenizer("tiny-gpt2")


def test_an_unknown_checkpoint_name_is_refused_with_the_known_names() -> None:
    with pytest.raises(UnknownCheckpointError, match="known names: minilm"):
        tokenizer("no-such-model")
