"""scripts/perturbation_check.sh catches a stored output that depends on the last digits of a model's weights."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from book_tools import KERNEL_NAME

REPO = Path(__file__).resolve().parents[1]
# Inside the repository, so the pytest configuration (nbval, sanitizers) applies; git ignores tests/artifacts.
SCRATCH = REPO / "tests" / "artifacts" / "perturbation-check"

LOAD = """\
import torch
import transformers
from transformers import AutoModelForCausalLM, AutoTokenizer
from structapi import checkpoint

transformers.logging.disable_progress_bar()
tokenizer = AutoTokenizer.from_pretrained(checkpoint("tiny-gpt2"))
model = AutoModelForCausalLM.from_pretrained(checkpoint("tiny-gpt2")).eval()
with torch.no_grad():
    top_logit = model(**tokenizer("Return the", return_tensors="pt")).logits[0, -1].max().item()
"""


def _run_check(notebook_source: str, name: str, eps_values: tuple[str, ...]) -> list[subprocess.CompletedProcess]:
    """Store an executed notebook (load, then one print), then run the perturbation check on it per eps."""
    SCRATCH.mkdir(parents=True, exist_ok=True)
    path = SCRATCH / f"{name}.ipynb"
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(LOAD), nbformat.v4.new_code_cell(notebook_source)])
    NotebookClient(notebook, timeout=300, kernel_name=KERNEL_NAME, resources={"metadata": {"path": str(SCRATCH)}}).execute()
    nbformat.write(notebook, path)
    return [
        subprocess.run(
            ["bash", "scripts/perturbation_check.sh", eps, str(path.relative_to(REPO))],
            cwd=REPO, capture_output=True, text=True, timeout=600, env={**os.environ, "STRUCTAPI_PERTURB_SEED": "0"},
        )
        for eps in eps_values
    ]


@pytest.fixture(scope="module", autouse=True)
def _clean_scratch():
    """Remove the scratch notebooks afterwards, so no later pytest run collects them under --nbval."""
    yield
    shutil.rmtree(SCRATCH, ignore_errors=True)


def test_check_fails_on_a_value_printed_to_its_last_digits() -> None:
    unperturbed, perturbed = _run_check('print(f"{top_logit:.7f}")', "fragile", ("0", "1e-5"))
    # With eps = 0 the notebook reproduces itself, so the failure below comes from the nudge alone.
    assert unperturbed.returncode == 0 and "2 passed" in unperturbed.stdout, unperturbed.stdout[-2000:]
    assert perturbed.returncode != 0 and "1 failed, 1 passed" in perturbed.stdout, perturbed.stdout[-2000:]


def test_check_passes_a_value_printed_to_what_devices_agree_on() -> None:
    (perturbed,) = _run_check("print(round(top_logit, 1))", "stable", ("1e-5",))
    assert perturbed.returncode == 0 and "2 passed" in perturbed.stdout, perturbed.stdout[-2000:]
