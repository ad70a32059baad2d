"""Build the `tiny-t5` catalog checkpoint: a Unigram tokenizer and a small T5 trained on a synthetic EN->DE grammar."""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

# OpenMP threads that spin while waiting make a 2-thread run 10x slower when other processes share the cores;
# sleeping waiters cost little when alone. Only effective if torch is not imported yet; results are unchanged.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))  # german_grammar sits next to this file

import german_grammar as grammar  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO_ROOT / "assets" / "checkpoints" / "tiny-t5"
DATA_FILE = "training_data.json"  # how the grammar was sampled and split, so evaluate() can rebuild the held-out set
SPECIAL_TOKENS = ["<pad>", "</s>", "<unk>"]  # T5's ids 0, 1, 2
EXAMPLES = (
    grammar.HELD_OUT_SENTENCE[0],
    "Today I love the big dog.",
    "My sister reads the newspaper because she likes the famous teacher.",
    "Because the dog sees a cat, the old man drinks hot coffee.",
    "We know that you carry a red umbrella.",
)


@dataclass(frozen=True)
class HParams:
    """Data, architecture and optimisation settings of the full build."""

    n_pairs: int = 120_000  # distinct sentences drawn from the grammar before the hold-out split
    holdout_every: int = 50  # sha256(english) % 50 == 0 is held out: about 2% of the pool
    vocab_size: int = 1000  # an upper bound: the trainer stops at the pieces this corpus supports
    d_model: int = 128
    d_ff: int = 512
    num_layers: int = 3
    num_decoder_layers: int = 3
    num_heads: int = 16  # many narrow heads: 16x8 learned the reorderings in half the steps of 4x32
    d_kv: int = 8
    batch_size: int = 64
    steps: int = 2500
    peak_lr: float = 3e-3
    warmup_steps: int = 200
    weight_decay: float = 0.01
    max_length: int = 64  # generation limit in decoder tokens; the longest German target is about 30


@contextlib.contextmanager
def _serial_tokenizers() -> Iterator[None]:
    """Run `tokenizers` single-threaded so its training reduces floats in a fixed order."""
    old = os.environ.get("TOKENIZERS_PARALLELISM")
    os.environ["TOKENIZERS_PARALLELISM"] = "false"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("TOKENIZERS_PARALLELISM", None)
        else:
            os.environ["TOKENIZERS_PARALLELISM"] = old


def train_tokenizer(texts: list[str], vocab_size: int):  # -> transformers.T5Tokenizer
    """Train a shared EN+DE Unigram tokenizer (Metaspace pre-tokenizer) and wrap it as a T5Tokenizer."""
    from tokenizers import Tokenizer, pre_tokenizers
    from tokenizers.models import Unigram
    from tokenizers.trainers import UnigramTrainer
    from transformers import T5Tokenizer

    backend = Tokenizer(Unigram())
    # The same pre-tokenizer T5Tokenizer rebuilds on load, so training and use segment words identically.
    backend.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")]
    )
    trainer = UnigramTrainer(
        vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS, unk_token="<unk>", show_progress=False
    )
    # The trainer seeds candidate pieces with substrings seen at least twice among the *distinct* words.
    # Words with a single spelling (die, er, Weil, deep) would never be candidates and end up spelled
    # letter by letter; one extra "word." per lexicon entry makes each a candidate without changing counts much.
    lexicon = sorted({word.strip(".,") for text in texts for word in text.split()})
    with _serial_tokenizers():
        backend.train_from_iterator(texts + [word + "." for word in lexicon], trainer)
    vocab = [(piece, score) for piece, score in json.loads(backend.to_str())["model"]["vocab"]]
    assert [piece for piece, _ in vocab[:3]] == SPECIAL_TOKENS, vocab[:3]
    # The trainer iterates Rust HashMaps, whose order changes per process: scores differ in the last bit, and
    # characters that EM pruned are re-added just above the lowest score on a 0.0001-step ladder, in random
    # order. Rounding, one shared score for everything on that ladder's band, and a (score, piece) sort make
    # the file bit-identical; ids then follow score order, as in a SentencePiece model.
    lowest = min(score for _, score in vocab[3:])
    band = lowest + 1e-4 * sum(len(piece) == 1 for piece, _ in vocab[3:]) + 1e-6
    pieces = sorted(
        ((piece, round(lowest if score <= band else score, 6)) for piece, score in vocab[3:]),
        key=lambda ps: (-ps[1], ps[0]),
    )
    vocab = [(piece, 0.0) for piece in SPECIAL_TOKENS] + pieces
    # Passing the trained vocab (rather than tokenizer_object) builds exactly the pipeline that
    # AutoTokenizer.from_pretrained rebuilds from tokenizer.json, so save -> load is lossless.
    # model_max_length as in t5-small: a bound for truncation=True, not a limit of relative attention.
    return T5Tokenizer(vocab=vocab, extra_ids=0, model_max_length=512)


def _model_config(hp: HParams, vocab_size: int):  # -> transformers.T5Config
    from transformers import T5Config

    return T5Config(
        vocab_size=vocab_size,
        d_model=hp.d_model,
        d_kv=hp.d_kv,
        d_ff=hp.d_ff,
        num_layers=hp.num_layers,
        num_decoder_layers=hp.num_decoder_layers,
        num_heads=hp.num_heads,
        relative_attention_num_buckets=32,
        relative_attention_max_distance=64,
        dropout_rate=0.0,  # the grammar yields more sentences than training sees: nothing to regularise
        feed_forward_proj="relu",
        tie_word_embeddings=True,
        pad_token_id=0,
        eos_token_id=1,
        decoder_start_token_id=0,  # T5 starts decoding from <pad>
    )


def _encode(tokenizer, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """Tokenize texts into one padded id tensor (pad id 0) plus their lengths."""
    batch = tokenizer(texts, padding=True, return_tensors="pt")
    return batch.input_ids, batch.attention_mask.sum(dim=1)


def _batches(lengths: torch.Tensor, batch_size: int, generator: torch.Generator) -> Iterator[torch.Tensor]:
    """Endless index batches: shuffle, sort each run of 50 batches by length, then shuffle those batches."""
    # Sorting within a run keeps padding (and so compute) low while batch order stays random.
    while True:
        perm = torch.randperm(len(lengths), generator=generator)
        for run in perm.split(batch_size * 50):
            run = run[torch.sort(lengths[run], stable=True).indices]
            batches = run.split(batch_size)
            for j in torch.randperm(len(batches), generator=generator).tolist():
                yield batches[j]


def _lr_at(step: int, hp: HParams, total: int) -> float:
    """Linear warm-up, then cosine decay to zero (the last steps polish exact-match accuracy)."""
    warmup = min(hp.warmup_steps, max(1, total // 10))
    if step < warmup:
        return hp.peak_lr * (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return hp.peak_lr * 0.5 * (1.0 + math.cos(math.pi * progress))


def translate(model, tokenizer, sentences: list[str], *, batch_size: int = 256, max_length: int | None = None
              ) -> list[str]:
    """Greedy-decode a list of English sentences, batching by length so padding stays small."""
    order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))
    out: list[str] = [""] * len(sentences)
    model.eval()
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            batch = tokenizer([sentences[i] for i in idx], return_tensors="pt", padding=True)
            generated = model.generate(**batch, do_sample=False, num_beams=1,
                                       **({"max_length": max_length} if max_length else {}))
            for i, text in zip(idx, tokenizer.batch_decode(generated, skip_special_tokens=True)):
                out[i] = text
    return out


def _data(n_pairs: int, seed: int, holdout_every: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    return grammar.split_pairs(grammar.pairs(n_pairs, seed=seed), every=holdout_every)


def _exact_match(model, tokenizer, held: list[tuple[str, str]]) -> dict:
    preds = translate(model, tokenizer, [en for en, _ in held])
    wrong = [(en, de, p) for (en, de), p in zip(held, preds) if p != de]
    return {
        "exact_match": round(1.0 - len(wrong) / max(1, len(held)), 4),
        "n_heldout": len(held),
        "errors": [{"en": en, "expected": de, "got": p} for en, de, p in wrong[:5]],
    }


def train_model(model, src: torch.Tensor, src_len: torch.Tensor, tgt: torch.Tensor, tgt_len: torch.Tensor,
                hp: HParams, *, seed: int, device: str = "cpu", log_every: int = 0,
                on_log: Callable[[int, float], None] | None = None) -> list[float]:
    """Train a seq2seq model in place on padded (src, tgt) id tensors; return the per-step losses."""
    model.to(device)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and "shared" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and "shared" not in n)]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": hp.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=hp.peak_lr, betas=(0.9, 0.98), eps=1e-8,
    )
    generator = torch.Generator().manual_seed(seed)  # data order independent of the global RNG
    batches = _batches(src_len + tgt_len, hp.batch_size, generator)
    losses: list[float] = []
    model.train()
    for step in range(hp.steps):
        idx = next(batches)
        input_ids = src[idx, : int(src_len[idx].max())].to(device)
        labels = tgt[idx, : int(tgt_len[idx].max())].clone()
        labels[labels == 0] = -100  # padding does not count; T5 shifts the labels right itself
        labels = labels.to(device)
        for group in optimizer.param_groups:
            group["lr"] = _lr_at(step, hp, hp.steps)
        loss = model(input_ids=input_ids, attention_mask=(input_ids != 0).long(), labels=labels).loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
        if log_every and ((step + 1) % log_every == 0 or step + 1 == hp.steps):
            recent = sum(losses[-log_every:]) / len(losses[-log_every:])
            if on_log is not None:
                on_log(step + 1, recent)
    model.eval()
    return losses


def build(out_dir: Path, *, steps: int | None = None, threads: int = 2, seed: int = 0,
          n_pairs: int | None = None, hparams: HParams | None = None) -> dict:
    """Generate the grammar data, train tokenizer and model, save both to out_dir, and return metrics."""
    from structapi.repro import seed_everything
    from transformers import GenerationConfig, T5ForConditionalGeneration

    t0 = time.perf_counter()
    hp = hparams or HParams()
    hp = replace(hp, steps=steps if steps is not None else hp.steps, n_pairs=n_pairs or hp.n_pairs)
    seed_everything(seed, threads)
    out_dir = Path(out_dir)

    train, held = _data(hp.n_pairs, seed, hp.holdout_every)
    assert not {en for en, _ in train} & {en for en, _ in held}
    assert grammar.HELD_OUT_SENTENCE[0] not in {en for en, _ in train}
    tokenizer = train_tokenizer([text for pair in train for text in pair], hp.vocab_size)
    src, src_len = _encode(tokenizer, [en for en, _ in train])
    tgt, tgt_len = _encode(tokenizer, [de for _, de in train])
    t_data = time.perf_counter() - t0

    torch.manual_seed(seed)  # the weights must not depend on how many random numbers data prep used
    model = T5ForConditionalGeneration(_model_config(hp, len(tokenizer)))
    n_params = sum(p.numel() for p in model.parameters())
    t1 = time.perf_counter()

    def log(step: int, loss: float) -> None:
        print(f"step {step}/{hp.steps} loss {loss:.4f} ({time.perf_counter() - t1:.0f} s)", flush=True)

    losses = train_model(model, src, src_len, tgt, tgt_len, hp, seed=seed,
                         log_every=500 if steps is None else 0, on_log=log)
    t_train = time.perf_counter() - t1

    model.generation_config = GenerationConfig(
        decoder_start_token_id=0, eos_token_id=1, pad_token_id=0, max_length=hp.max_length,
        do_sample=False, num_beams=1,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    data_info = {
        "grammar_seed": seed, "n_pairs": hp.n_pairs, "holdout_every": hp.holdout_every,
        "n_train": len(train), "n_heldout": len(held), "held_out_sentence": list(grammar.HELD_OUT_SENTENCE),
    }
    (out_dir / DATA_FILE).write_text(json.dumps(data_info, indent=2, ensure_ascii=False) + "\n")

    metrics = evaluate(out_dir) if steps is None else {}
    result = {
        "params": n_params,
        "vocab": len(tokenizer),
        "n_train": len(train),
        "n_heldout": len(held),
        "steps": hp.steps,
        "threads": threads,
        "final_loss": round(sum(losses[-50:]) / len(losses[-50:]), 4),
        "data_seconds": round(t_data, 1),
        "train_seconds": round(t_train, 1),
        "total_seconds": round(time.perf_counter() - t0, 1),
        "hparams": asdict(hp),
        **metrics,
    }
    if steps is None:
        write_card(out_dir, result)
    return result


def write_card(out_dir: Path, metrics: dict) -> Path:
    """Write the checkpoint's model card (README.md) from the metrics of a full build."""
    hp = metrics["hparams"]
    examples = "\n".join(f"| {en} | {de} |" for en, de in metrics.get("examples", {}).items())
    text = f"""# tiny-t5: English -> German on a synthetic grammar

A `T5ForConditionalGeneration` small enough to train on a laptop CPU, made for the book's encoder-decoder
chapters: it translates sentences of a synthetic English -> German grammar well enough that greedy and beam
search output, the `Seq2SeqLMOutput` fields and cross-attention maps are meaningful. Built by
`scripts/ckpt_tiny_t5.py` (run `python scripts/build_checkpoints.py tiny-t5`).

## Data

`scripts/german_grammar.py` generates English/German sentence pairs: subject-verb agreement (Ich liebe, du liebst,
er liebt ...), the accusative (der -> den, ein -> einen), adjective endings after definite, indefinite, possessive
and no article, inversion after a fronted adverb ("Heute liebe ich ..."), subordinate clauses with dass / weil /
obwohl that put the verb last, and fronted subordinate clauses ("Weil er den Hund sieht, liebe ich die Katze.").
The verb-final clauses make the word alignment non-monotonic, which is what the cross-attention figures show.

- {metrics["n_train"] + metrics["n_heldout"]:,} distinct pairs drawn with seed 0; a pair is held out when
  sha256(english) % {hp["holdout_every"]} == 0: {metrics["n_train"]:,} train, {metrics["n_heldout"]:,} held out.
- "{grammar.HELD_OUT_SENTENCE[0]}" -> "{grammar.HELD_OUT_SENTENCE[1]}" is generable by the grammar but removed from
  both splits, so the model never saw it.
- `training_data.json` records the sampling, so `evaluate()` rebuilds the identical held-out set.

## Model

| | |
|---|---|
| parameters | {metrics["params"]:,} |
| vocabulary | {metrics["vocab"]} Unigram pieces shared by both languages (`<pad>`=0, `</s>`=1, `<unk>`=2) |
| encoder / decoder layers | {hp["num_layers"]} / {hp["num_decoder_layers"]} |
| d_model / d_ff / heads x d_kv | {hp["d_model"]} / {hp["d_ff"]} / {hp["num_heads"]} x {hp["d_kv"]} |
| positions | T5 relative position buckets (32 buckets, max distance 64) |
| embeddings | input, output and decoder embeddings tied |

## Training

{hp["steps"]} steps of batch {hp["batch_size"]}, AdamW (peak lr {hp["peak_lr"]}, {hp["warmup_steps"]} warm-up steps,
cosine decay to 0, weight decay {hp["weight_decay"]}), no dropout, seed 0, {metrics["threads"]} torch threads:
{metrics["train_seconds"]:.0f} s of training and {metrics["total_seconds"]:.0f} s in all on 2 CPU cores. Mean loss
over the last 50 steps: {metrics["final_loss"]}. At a fixed thread count a rebuild is bit-identical.

## Evaluation (greedy decoding)

- exact match on the {metrics["n_heldout"]:,} held-out sentences: **{metrics["exact_match"]:.4f}**
- "{grammar.HELD_OUT_SENTENCE[0]}" -> "{metrics["held_out_translation"]}"
  ({"correct" if metrics["held_out_correct"] else "WRONG"})

| English | model output |
|---|---|
{examples}

## Limits

It knows only the grammar's {metrics["vocab"]}-piece world: a few dozen nouns, verbs and adjectives. Anything
else comes out as confident nonsense; that is the point of a toy, not a bug to report.
"""
    path = Path(out_dir) / "README.md"
    path.write_text(text)
    return path


def evaluate(ckpt_dir: Path, *, limit: int | None = None) -> dict:
    """Greedy exact match on the held-out grammar sentences, plus the translation of HELD_OUT_SENTENCE."""
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    ckpt_dir = Path(ckpt_dir)
    info = json.loads((ckpt_dir / DATA_FILE).read_text())
    train, held = _data(info["n_pairs"], info["grammar_seed"], info["holdout_every"])
    held = held[:limit] if limit else held
    tokenizer = AutoTokenizer.from_pretrained(ckpt_dir)
    model = AutoModelForSeq2SeqLM.from_pretrained(ckpt_dir)
    t0 = time.perf_counter()
    metrics = _exact_match(model, tokenizer, held)
    english, german = grammar.HELD_OUT_SENTENCE
    got = translate(model, tokenizer, [english])[0]
    return {
        **metrics,
        "eval_seconds": round(time.perf_counter() - t0, 1),
        "held_out_sentence": english,
        "held_out_translation": got,
        "held_out_correct": got == german,
        "examples": dict(zip(EXAMPLES, translate(model, tokenizer, list(EXAMPLES)))),
    }


def main(argv: list[str] | None = None) -> int:
    """CLI: build the checkpoint and print its metrics as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--steps", type=int, default=None, help="train this many steps only (a short run)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads; results are bit-identical per count")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--evaluate", action="store_true", help="only evaluate the checkpoint in --out")
    args = parser.parse_args(argv)
    if args.evaluate:
        print(json.dumps(evaluate(args.out), indent=2, ensure_ascii=False))
        return 0
    metrics = build(args.out, steps=args.steps, threads=args.threads, seed=args.seed)
    print(json.dumps(metrics, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO_ROOT / "src"))
    sys.exit(main())
