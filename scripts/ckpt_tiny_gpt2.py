"""Build the `tiny-gpt2` catalog checkpoint: a byte-level BPE and a small GPT-2 trained on CPython's own docs."""

from __future__ import annotations

import argparse
import ast
import contextlib
import hashlib
import importlib
import inspect
import io
import json
import math
import os
import platform
import re
import subprocess
import sys
import sysconfig
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch
import torch.nn.functional as F

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO_ROOT / "assets" / "checkpoints" / "tiny-gpt2"

EOS = "<|endoftext|>"
HOLDOUT_EVERY = 20  # document i is held out when i % 20 == 19
EVAL_MAX_WINDOWS = 256  # caps evaluate() at 256 x 256 tokens so it stays well under 30 s on 2 cores
MIN_SHARED_PARAGRAPH = 40  # shorter blocks ("Changed in version 3.3.") are boilerplate, not shared prose
MIN_DOC_CHARS = 64  # shorter docstrings are mostly one-liners like "Alias for field number 0"
SAMPLE_PROMPT = "Return the"
SAMPLE_TOKENS = 40

# Standard-library directories whose docstrings are left out: test suites (their docstrings describe test cases,
# not the library), installed third-party packages and caches.
SKIPPED_DIRECTORIES = frozenset({"test", "tests", "idle_test", "site-packages", "dist-packages", "__pycache__"})
# Extension modules that exist only to test CPython itself or serve as templates.
SKIPPED_EXTENSION_PREFIXES = ("_test", "_xx", "xx", "_ctypes_test")


@dataclass(frozen=True)
class HParams:
    """Architecture and optimisation settings of the full build."""

    vocab_size: int = 4096
    n_positions: int = 256
    n_embd: int = 192
    n_layer: int = 5
    n_head: int = 6
    # 3.6 passes over 573k tokens: 0.05 scored 76.2, 0.1 (with 960 steps) 79.1. Over the older, 300k-token corpus,
    # 8 passes overfit badly, and 0.1 took held-out perplexity from 107.8 to 91.0.
    dropout: float = 0.05
    init_std: float = 0.06  # ~1/sqrt(n_embd); GPT-2's 0.02 is tuned for 768+ wide models and learns slower here
    tokens_per_step: int = 2048
    short_context: int = 128  # first short_fraction of the steps use short windows: same tokens, less attention
    short_fraction: float = 0.7
    steps: int = 1000  # about 490 s of training on 2 cores, inside the 10-minute rebuild budget
    peak_lr: float = 1e-3
    embedding_lr_multiplier: float = 20.0  # sparse, rarely-updated embedding rows need far larger steps
    final_lr_fraction: float = 0.1
    warmup_steps: int = 30
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    teacher_weight: float = 0.9  # weight of the bigram soft targets at step 0, falling linearly ...
    teacher_fraction: float = 0.5  # ... to zero at this fraction of the steps
    teacher_discount: float = 0.75


HPARAMS = HParams()


# ---------------------------------------------------------------------------------------------- corpus


def normalise(text: str) -> str:
    """Expand tabs, strip trailing spaces and outer blank lines, and squeeze runs of blank lines to one."""
    lines = [line.rstrip() for line in text.expandtabs(4).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _source_docstrings(stdlib: Path) -> tuple[dict[str, str], int]:
    """Return {qualified name: docstring} of every module, class and function in the stdlib's .py files, and the file count."""
    found: dict[str, str] = {}
    files = 0
    for root, directories, names in os.walk(stdlib):
        directories[:] = sorted(d for d in directories if d not in SKIPPED_DIRECTORIES)
        for name in sorted(n for n in names if n.endswith(".py")):
            path = Path(root) / name
            module = ".".join(path.relative_to(stdlib).with_suffix("").parts).removesuffix(".__init__")
            try:
                tree = ast.parse(path.read_bytes())
            except (SyntaxError, ValueError):  # lib2to3 keeps deliberately broken grammar samples
                continue
            files += 1
            # Parsing instead of importing reads private and nested definitions too, and runs no module code.
            pending: list[tuple[str, ast.AST]] = [(module, tree)]
            while pending:
                key, node = pending.pop()
                docstring = ast.get_docstring(node, clean=True)  # type: ignore[arg-type]
                if docstring:
                    found[key] = docstring
                pending.extend(
                    (f"{key}.{child.name}", child)
                    for child in ast.iter_child_nodes(node)
                    if isinstance(child, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                )
    return found, files


def _extension_docstrings(stdlib: Path) -> tuple[dict[str, str], int]:
    """Return {qualified name: docstring} of the C-implemented stdlib modules (builtins, math, _io, ...) and their count."""
    names = set(sys.builtin_module_names)
    names.update(path.name.split(".")[0] for path in (stdlib / "lib-dynload").glob("*.so"))
    found: dict[str, str] = {}
    used = 0
    for module_name in sorted(n for n in names if not n.startswith(SKIPPED_EXTENSION_PREFIXES)):
        captured = io.StringIO()
        with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                module = importlib.import_module(module_name)
            except Exception:  # a missing system library (Tk, for _tkinter) only shrinks the corpus
                continue
        if captured.getvalue():
            continue  # a module that talks on import is not one we want to depend on
        used += 1
        if isinstance(module.__doc__, str):
            found[module_name] = module.__doc__
        for name, obj in sorted(vars(module).items()):
            if name.startswith("_") or not (inspect.isclass(obj) or inspect.isbuiltin(obj)):
                continue
            if isinstance(obj.__doc__, str):
                found[f"{module_name}.{name}"] = obj.__doc__
            if inspect.isclass(obj):
                for member_name, member in sorted(vars(obj).items()):
                    # Only what C defines on the class: method, getset and member descriptors, not Python overrides.
                    if member_name.startswith("_") or inspect.isfunction(member) or isinstance(member, property):
                        continue
                    if (inspect.ismethoddescriptor(member) or inspect.isdatadescriptor(member)) and isinstance(
                        getattr(member, "__doc__", None), str
                    ):
                        found[f"{module_name}.{name}.{member_name}"] = member.__doc__
    return {key: inspect.cleandoc(text) for key, text in found.items()}, used


def _paragraphs(text: str) -> list[str]:
    """Return the blank-line separated blocks of `text` long enough to identify shared prose."""
    return [block.strip() for block in re.split(r"\n\s*\n", text) if len(block.strip()) >= MIN_SHARED_PARAGRAPH]


def drop_near_duplicates(documents: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Drop documents mostly (>= half their paragraph text) repeated in the others, largest first; keep key order."""
    # pydoc topics nest: 'specialnames' repeats 'customization', 'numeric-types', ... verbatim, and json.dump
    # repeats json.dumps. Keeping both halves of such a pair would let the held-out set be memorised.
    owners: dict[str, set[str]] = {}
    for key, text in documents:
        for paragraph in set(_paragraphs(text)):
            owners.setdefault(paragraph, set()).add(key)
    dropped: set[str] = set()
    for key, text in sorted(documents, key=lambda item: (-len(item[1]), item[0])):
        paragraphs = _paragraphs(text)
        total = sum(len(paragraph) for paragraph in paragraphs)
        shared = sum(len(paragraph) for paragraph in paragraphs if owners[paragraph] - dropped - {key})
        if total and shared * 2 >= total:
            dropped.add(key)
    return [(key, text) for key, text in documents if key not in dropped]


def collect_documents(sources: dict | None = None) -> list[tuple[str, str]]:
    """Return the corpus as sorted (key, text) pairs, collected in a fresh interpreter; counts go into `sources`."""
    # Whatever this process has imported (pytest, transformers, a notebook's libraries) can patch stdlib modules
    # and change their docstrings or members; a new isolated interpreter sees the same stdlib every time.
    code = (
        "import importlib.util, sys\n"
        "spec = importlib.util.spec_from_file_location('tiny_gpt2_corpus', sys.argv[1])\n"
        "module = sys.modules[spec.name] = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "module._write_corpus(sys.argv[2])\n"
    )
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / "corpus.json"
        done = subprocess.run(
            [sys.executable, "-I", "-c", code, str(Path(__file__).resolve()), str(target)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"collecting the corpus failed:\n{done.stderr}")
        payload = json.loads(target.read_text(encoding="utf-8"))
    if sources is not None:
        sources.update(payload["sources"])
    return [(key, text) for key, text in payload["documents"]]


def _write_corpus(path: str) -> None:
    """Collect the corpus in this process and write it as JSON to `path` (run by collect_documents)."""
    sources: dict = {}
    documents = _collect_here(sources)
    Path(path).write_text(json.dumps({"documents": documents, "sources": sources}), encoding="utf-8")


def _collect_here(sources: dict) -> list[tuple[str, str]]:
    """Return the corpus as sorted (key, text) pairs: pydoc topics and stdlib docstrings, deduplicated."""
    if sys.flags.optimize >= 2:
        raise RuntimeError("python -OO strips docstrings, so the corpus would be empty; run without -OO")
    from pydoc_data.topics import topics

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    raw: dict[str, str] = {f"topic:{name}": text for name, text in topics.items()}
    from_source, files = _source_docstrings(stdlib)
    from_extensions, extensions = _extension_docstrings(stdlib)
    raw.update(from_source)
    # A C module shares no name with a source file (_io vs io), but keep the source's text if one ever did.
    raw.update((key, text) for key, text in from_extensions.items() if key not in raw)
    documents: list[tuple[str, str]] = []
    seen: set[str] = set()
    for key in sorted(raw):
        text = normalise(raw[key])
        # Exact duplicates (inherited boilerplate) would otherwise sit on both sides of the hold-out split.
        if len(text) >= MIN_DOC_CHARS and text not in seen:
            seen.add(text)
            documents.append((key, text))
    documents = drop_near_duplicates(documents)
    sources.update(topics=len(topics), source_files=files, extension_modules=extensions, python=platform.python_version())
    return documents


def corpus_fingerprint(documents: list[tuple[str, str]]) -> str:
    """Return the sha256 of the corpus as compact UTF-8 JSON: equal fingerprints mean equal documents and split."""
    payload = json.dumps([[key, text] for key, text in documents], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def split_documents(documents: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """Split sorted documents into (train, held-out) texts: every 20th document (i % 20 == 19) is held out."""
    train = [text for i, (_, text) in enumerate(documents) if i % HOLDOUT_EVERY != HOLDOUT_EVERY - 1]
    heldout = [text for i, (_, text) in enumerate(documents) if i % HOLDOUT_EVERY == HOLDOUT_EVERY - 1]
    return train, heldout


# ------------------------------------------------------------------------------------------- tokenizer


def train_tokenizer(texts: list[str], vocab_size: int, max_length: int):  # -> GPT2TokenizerFast
    """Train a GPT-2 style byte-level BPE on `texts` and wrap it as a transformers tokenizer (no pad token)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPT2TokenizerFast

    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[EOS],
        # All 256 byte symbols up front, so any text encodes even if a byte never occurs in the corpus.
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(texts, trainer=trainer)
    return GPT2TokenizerFast(
        tokenizer_object=backend, bos_token=EOS, eos_token=EOS, unk_token=EOS, model_max_length=max_length
    )


def pack(tokenizer, texts: list[str]) -> torch.Tensor:
    """Return one token stream: EOS, then each document followed by EOS (so every document starts after an EOS)."""
    eos = tokenizer.eos_token_id
    stream = [eos]
    # The backend is called directly: documents longer than the context are fine here, they get cut into windows.
    for encoding in tokenizer.backend_tokenizer.encode_batch(texts, add_special_tokens=False):
        stream.extend(encoding.ids)
        stream.append(eos)
    return torch.tensor(stream, dtype=torch.long)


# ----------------------------------------------------------------------------------------------- model


def make_model(tokenizer, hp: HParams):  # -> GPT2LMHeadModel
    """Return a freshly initialised GPT2LMHeadModel sized by `hp`, with ids and generation defaults set."""
    from transformers import GenerationConfig, GPT2Config, GPT2LMHeadModel

    eos = tokenizer.eos_token_id
    config = GPT2Config(
        vocab_size=len(tokenizer),
        n_positions=hp.n_positions,
        n_embd=hp.n_embd,
        n_layer=hp.n_layer,
        n_head=hp.n_head,
        resid_pdrop=hp.dropout,
        embd_pdrop=hp.dropout,
        attn_pdrop=hp.dropout,
        initializer_range=hp.init_std,
        bos_token_id=eos,
        eos_token_id=eos,
    )
    model = GPT2LMHeadModel(config)
    # pad = eos only in generation: it silences generate()'s warning while the tokenizer keeps pad_token None.
    model.generation_config = GenerationConfig(bos_token_id=eos, eos_token_id=eos, pad_token_id=eos)
    return model


def bigram_teacher(stream: torch.Tensor, vocab_size: int, discount: float) -> torch.Tensor:
    """Return P(next | previous) of the stream as a dense matrix: absolute discounting, backed off to unigrams."""
    counts = torch.zeros(vocab_size, vocab_size)
    counts.index_put_((stream[:-1], stream[1:]), torch.ones(len(stream) - 1), accumulate=True)
    unigram = torch.bincount(stream, minlength=vocab_size).float() + 0.5
    unigram /= unigram.sum()
    totals = counts.sum(1, keepdim=True).clamp(min=1)
    seen_types = (counts > 0).sum(1, keepdim=True).float()
    # Rows of tokens never seen as a predecessor have seen_types = 0; give them the unigram distribution.
    backoff = torch.where(seen_types > 0, discount * seen_types / totals, torch.ones(()))
    return (counts - discount).clamp(min=0) / totals + backoff * unigram


def _lm_loss(model, windows: torch.Tensor, teacher: torch.Tensor | None, teacher_weight: float) -> torch.Tensor:
    """Return next-token cross-entropy on windows of T+1 tokens, mixed with cross-entropy to the teacher's rows."""
    inputs, targets = windows[:, :-1], windows[:, 1:]
    log_probs = torch.log_softmax(model(input_ids=inputs).logits, dim=-1)
    hard = F.nll_loss(log_probs.reshape(-1, log_probs.size(-1)), targets.reshape(-1))
    if teacher is None or teacher_weight <= 0:
        return hard
    # A whole next-token distribution per position carries far more signal than one sampled token, which
    # gets a small model past the unigram plateau in a fraction of the steps.
    soft = -(teacher[inputs] * log_probs).sum(-1).mean()
    return (1 - teacher_weight) * hard + teacher_weight * soft


@torch.no_grad()
def stream_perplexity(model, stream: torch.Tensor, window: int, max_windows: int = EVAL_MAX_WINDOWS) -> dict:
    """Return exp(mean NLL) over the stream cut into non-overlapping windows (first max_windows only)."""
    model.eval()
    total_nll = 0.0
    scored = 0
    starts = list(range(0, max(len(stream) - 1, 1), window))[:max_windows]
    for begin in starts:
        ids = stream[begin : begin + window].unsqueeze(0)
        if ids.size(1) < 2:
            break
        logits = model(input_ids=ids).logits
        nll = F.cross_entropy(logits[0, :-1], ids[0, 1:], reduction="sum")
        total_nll += float(nll)
        scored += ids.size(1) - 1
    return {"perplexity": math.exp(total_nll / scored), "scored_tokens": scored, "windows": len(starts)}


def teacher_perplexity(teacher: torch.Tensor, stream: torch.Tensor, window: int, max_windows: int = EVAL_MAX_WINDOWS) -> float:
    """Return the bigram teacher's perplexity under the same window rule as stream_perplexity."""
    total_nll, scored = 0.0, 0
    for begin in list(range(0, max(len(stream) - 1, 1), window))[:max_windows]:
        ids = stream[begin : begin + window]
        total_nll -= float(torch.log(teacher[ids[:-1], ids[1:]]).double().sum())
        scored += len(ids) - 1
    return math.exp(total_nll / scored)


def _lr_at(step: int, hp: HParams, total: int) -> float:
    """Linear warmup to peak_lr, then cosine decay to final_lr_fraction * peak_lr at the last step."""
    warmup = min(hp.warmup_steps, max(total // 10, 1))
    if step < warmup:
        return hp.peak_lr * (step + 1) / warmup
    progress = (step - warmup) / max(total - warmup - 1, 1)
    floor = hp.final_lr_fraction
    return hp.peak_lr * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0))))


def greedy_sample(model, tokenizer, prompt: str = SAMPLE_PROMPT, new_tokens: int = SAMPLE_TOKENS) -> str:
    """Return the prompt continued greedily for `new_tokens` tokens (deterministic)."""
    model.eval()
    ids = tokenizer(prompt, return_tensors="pt")
    out = model.generate(**ids, max_new_tokens=new_tokens, do_sample=False)
    return tokenizer.decode(out[0], skip_special_tokens=False)


# ------------------------------------------------------------------------------------------------ card


def write_card(out_dir: Path, metrics: dict) -> Path:
    """Write the model card README.md for a build from its metrics."""
    hp = metrics["hparams"]
    size_mb = (out_dir / "model.safetensors").stat().st_size / 1e6
    sample = metrics["sample"].replace("```", "'''")
    passes = metrics["tokens_seen"] / metrics["train_tokens"]
    text = f"""# tiny-gpt2

A small `GPT2LMHeadModel` with its own byte-level BPE tokenizer, trained from scratch by
`scripts/ckpt_tiny_gpt2.py` on text that ships with CPython. In *From Structure to API* it stands in
for `gpt2` / `distilgpt2`: the same classes, tokenizer type and config keys at a tiny fraction of the size.

## Data

- **Source**: the documentation text inside CPython {metrics["python"]}, in three parts:
  - the {metrics["topics"]} help topics of `pydoc_data.topics.topics`;
  - every docstring (module, class, function and method, public or private, nested or not) in the
    {metrics["source_files"]:,} `.py` files of the standard library, read with `ast` so that no module code runs;
    test suites (`test/`, `tests/`, `idle_test/`) and installed packages are left out;
  - the docstrings of {metrics["extension_modules"]} C-implemented modules (`builtins`, `math`, `_io`, ...):
    each module, its public classes and functions, and the methods and attributes C defines on those
    classes.

  Each topic or docstring is one document. The corpus is collected in a fresh `python -I` process
  so that nothing the caller imported can change it. Its sha256 fingerprint (the JSON list of
  `[key, text]` pairs) is `{metrics["corpus_sha256"]}`.
- **Cleaning**: `inspect.cleandoc` on docstrings; tabs expanded, trailing spaces stripped, runs of
  blank lines squeezed to one; documents under {MIN_DOC_CHARS} characters and exact duplicates dropped.
  Help topics nest (`specialnames` repeats `customization`, `numeric-types`, ... verbatim), so a
  document is also dropped when at least half of its paragraph text appears in other documents,
  largest documents first; otherwise the held-out text would be memorised from its copies.
- **Split**: documents sorted by key (`topic:NAME` or `module.Class.method`); document `i` is held out
  when `i % {HOLDOUT_EVERY} == {HOLDOUT_EVERY - 1}`.
  Train: {metrics["train_documents"]:,} documents, {metrics["train_tokens"]:,} tokens.
  Held out: {metrics["heldout_documents"]:,} documents, {metrics["heldout_tokens"]:,} tokens.
  (Token counts include the EOS separators.)
- **Packing**: one stream per split: `<|endoftext|>`, then every document followed by `<|endoftext|>`.

## Tokenizer

Byte-level BPE trained with `tokenizers` on the training documents only: `ByteLevel` pre-tokenizer
(`add_prefix_space=False`), `ByteLevel` decoder, all 256 byte symbols in the initial alphabet,
{metrics["vocab_size"]:,} tokens including the one special token `<|endoftext|>` (id
{metrics["eos_token_id"]}), which serves as bos, eos and unk. As with the real GPT-2 there is no pad
token (`tokenizer.pad_token is None`); `generation_config.pad_token_id` is the eos id so that
`generate()` does not warn.

## Architecture

`GPT2LMHeadModel` with {hp["n_layer"]} layers, {hp["n_head"]} heads, `n_embd={hp["n_embd"]}`,
`n_positions={hp["n_positions"]}`, `vocab_size={metrics["vocab_size"]}`, tied input/output embeddings,
the default attention implementation and GPT-2's `gelu_new`: **{metrics["parameters"]:,} parameters**;
`model.safetensors` is {size_mb:.1f} MB (float32).

## Training

- {metrics["steps"]} AdamW steps of {hp["tokens_per_step"]:,} tokens: {metrics["tokens_seen"]:,} tokens,
  about {passes:.1f} passes over the training stream. Windows start anywhere in the stream, drawn by a
  seeded `torch.Generator`: {hp["short_context"]}-token windows for the first
  {hp["short_fraction"]:.0%} of the steps (cheaper attention, same tokens per step), then
  {hp["n_positions"]}-token windows so that every position embedding is trained.
- Learning rate: linear warmup over {hp["warmup_steps"]} steps to {hp["peak_lr"]:g}, cosine decay to
  {hp["final_lr_fraction"]:g} x peak. Token and position embeddings get {hp["embedding_lr_multiplier"]:g} x
  that rate and no weight decay; weight matrices get weight decay {hp["weight_decay"]:g}; betas 0.9/0.95;
  gradient norm clipped at {hp["grad_clip"]:g}; initialisation std {hp["init_std"]:g}; dropout
  {hp["dropout"]:g}.
- Bigram warm start: the loss begins as {1 - hp["teacher_weight"]:.1f} x the next-token cross-entropy +
  {hp["teacher_weight"]:g} x the cross-entropy against a bigram model of the training stream (absolute
  discounting with D = {hp["teacher_discount"]:g}, backed off to unigram counts). A whole next-token
  distribution per position carries more signal than one sampled token and gets the model past the
  unigram plateau in far fewer steps. The bigram's weight falls linearly to 0 at
  {hp["teacher_fraction"]:.0%} of the steps; the rest is plain language-model training. That bigram
  model on its own scores a held-out perplexity of {metrics["bigram_heldout_perplexity"]:.1f} (rule below).
- Plain float32 on CPU, `torch.set_num_threads({metrics["threads"]})`, seed {metrics["seed"]}.
  This build took {metrics["seconds"]:.0f} s of wall-clock time ({metrics["train_seconds"]:.0f} s of it
  training). The 1-minute load average was {metrics["load_before"]:.1f} before and
  {metrics["load_after"]:.1f} after, on {os.cpu_count()} cores; a load above the core count means
  other jobs were sharing the CPU and the time is inflated.

## Evaluation

Held-out perplexity: **{metrics["heldout_perplexity"]:.2f}**.

The held-out stream (EOS, then each held-out document followed by EOS, tokenized with this tokenizer)
is cut into consecutive, non-overlapping windows of {hp["n_positions"]} tokens (the last one shorter);
at most the first {EVAL_MAX_WINDOWS} windows are used. Within a window every token after the first is
predicted from the tokens before it in that window, and perplexity is exp(total NLL / predicted
tokens) = exp(mean NLL) over {metrics["heldout_scored_tokens"]:,} predicted tokens in
{metrics["heldout_windows"]} windows. `ckpt_tiny_gpt2.evaluate(checkpoint("tiny-gpt2"))` recomputes it.

Greedy continuation (`do_sample=False`, at most {SAMPLE_TOKENS} new tokens) of `{SAMPLE_PROMPT!r}`:

```text
{sample}
```

## Rebuild

```bash
python scripts/build_checkpoints.py tiny-gpt2
# or: python scripts/ckpt_tiny_gpt2.py --out assets/checkpoints/tiny-gpt2 --threads {metrics["threads"]}
```

With the same CPython (its documentation is the corpus), the same torch, tokenizers and
transformers versions and the same thread count, a rebuild reproduces `model.safetensors` and
`tokenizer.json` bit for bit. Another thread count changes the order of float reductions and so,
slightly, the weights.

## Limitations

A teaching model. It has learned the look of Python documentation (layout, stock phrases, common
identifiers), not facts, and greedy text soon turns repetitive. Its vocabulary and knowledge come
from CPython {metrics["python"]}'s documentation alone. The held-out set is small ({metrics["heldout_documents"]}
documents) and split by whole documents, so the perplexity is a coarse, corpus-specific figure and is
not comparable with GPT-2's. Use it to show how the API works, not to generate text anyone relies on.
"""
    path = out_dir / "README.md"
    path.write_text(text)
    return path


# ----------------------------------------------------------------------------------------------- build


def build(
    out_dir: Path,
    *,
    steps: int | None = None,
    threads: int = 2,
    seed: int = 0,
    documents: int | None = None,
    hparams: HParams = HPARAMS,
    log: bool = False,
) -> dict:
    """Build tokenizer and model into out_dir and return metrics; steps=None trains fully, documents=N uses a slice."""
    from structapi.repro import seed_everything

    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    hp = hparams if steps is None else replace(hparams, steps=steps)
    seed_everything(seed, threads)
    # One rayon thread keeps the tokenizer's own threads from competing with torch's pinned ones.
    os.environ.setdefault("RAYON_NUM_THREADS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

    sources: dict = {}
    corpus = collect_documents(sources)
    if documents is not None:
        corpus = corpus[:documents]
    sources["corpus_sha256"] = corpus_fingerprint(corpus)
    train_texts, heldout_texts = split_documents(corpus)
    tokenizer = train_tokenizer(train_texts, hp.vocab_size, hp.n_positions)
    train_stream = pack(tokenizer, train_texts)
    heldout_stream = pack(tokenizer, heldout_texts)

    torch.manual_seed(seed)  # the model's initial weights must not depend on what ran before
    model = make_model(tokenizer, hp)
    teacher = bigram_teacher(train_stream, len(tokenizer), hp.teacher_discount)
    embeddings = [model.transformer.wte.weight, model.transformer.wpe.weight]
    embedding_ids = {id(p) for p in embeddings}
    matrices = [p for p in model.parameters() if p.dim() >= 2 and id(p) not in embedding_ids]
    vectors = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW(
        [
            {"params": matrices, "weight_decay": hp.weight_decay, "lr_scale": 1.0},
            {"params": vectors, "weight_decay": 0.0, "lr_scale": 1.0},
            {"params": embeddings, "weight_decay": 0.0, "lr_scale": hp.embedding_lr_multiplier},
        ],
        lr=hp.peak_lr,
        betas=(0.9, 0.95),
    )
    # Windows start anywhere in the stream, drawn from a private generator so the order is a function of seed only.
    generator = torch.Generator().manual_seed(seed)
    short_steps = int(hp.steps * hp.short_fraction)
    model.train()
    train_started = time.perf_counter()
    for step in range(hp.steps):
        span = hp.short_context if step < short_steps else hp.n_positions
        lr = _lr_at(step, hp, hp.steps)
        for group in optimizer.param_groups:
            group["lr"] = lr * group["lr_scale"]
        starts = torch.randint(0, len(train_stream) - span, (hp.tokens_per_step // span,), generator=generator)
        windows = torch.stack([train_stream[s : s + span + 1] for s in starts.tolist()])
        weight = hp.teacher_weight * max(0.0, 1 - step / max(hp.teacher_fraction * hp.steps, 1))
        loss = _lm_loss(model, windows, teacher, weight)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), hp.grad_clip)
        optimizer.step()
        if log and (step % 50 == 0 or step == hp.steps - 1):
            print(f"step {step:4d} span {span} loss {loss.item():.3f} lr {lr:.2e} "
                  f"{time.perf_counter() - train_started:.0f}s", flush=True)
    train_seconds = time.perf_counter() - train_started

    evaluation = stream_perplexity(model, heldout_stream, hp.n_positions)
    sample = greedy_sample(model, tokenizer)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    metrics = {
        "parameters": sum(p.numel() for p in model.parameters()),
        "vocab_size": len(tokenizer),
        "eos_token_id": tokenizer.eos_token_id,
        **sources,
        "train_documents": len(train_texts),
        "heldout_documents": len(heldout_texts),
        "train_tokens": len(train_stream),
        "heldout_tokens": len(heldout_stream),
        "heldout_perplexity": evaluation["perplexity"],
        "heldout_scored_tokens": evaluation["scored_tokens"],
        "heldout_windows": evaluation["windows"],
        "bigram_heldout_perplexity": teacher_perplexity(teacher, heldout_stream, hp.n_positions),
        "steps": hp.steps,
        "tokens_seen": hp.steps * hp.tokens_per_step,
        "threads": threads,
        "seed": seed,
        "train_seconds": train_seconds,
        "seconds": time.perf_counter() - started,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
        "sample": sample,
        "hparams": asdict(hp),
    }
    write_card(out_dir, metrics)
    return metrics


def evaluate(ckpt_dir: Path, threads: int = 2) -> dict:
    """Return the held-out perplexity of a saved checkpoint, computed exactly as build() reports it."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_num_threads(threads)
    tokenizer = AutoTokenizer.from_pretrained(ckpt_dir)
    model = AutoModelForCausalLM.from_pretrained(ckpt_dir)
    corpus = collect_documents()
    _, heldout_texts = split_documents(corpus)
    stream = pack(tokenizer, heldout_texts)
    result = stream_perplexity(model, stream, model.config.n_positions)
    result["corpus_sha256"] = corpus_fingerprint(corpus)
    result["python"] = platform.python_version()
    result["heldout_documents"] = len(heldout_texts)
    result["heldout_tokens"] = len(stream)
    return result


def main(argv: list[str] | None = None) -> int:
    """Command line: build the checkpoint and print its metrics."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    parser.add_argument("--steps", type=int, default=None, help="training steps (default: the full build)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (results depend on it)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    metrics = build(args.out, steps=args.steps, threads=args.threads, seed=args.seed, log=True)
    for key, value in metrics.items():
        print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO_ROOT / "src"))
    raise SystemExit(main())
