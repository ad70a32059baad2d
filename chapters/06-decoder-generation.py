# %% [markdown]
# # Decoder-only models: next-token logits, `generate()` and the KV cache {#sec-decoder-generation}
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/structure-to-api/structure-to-api/blob/main/notebooks/06-decoder-generation.ipynb) [Download this notebook](https://github.com/structure-to-api/structure-to-api/raw/main/notebooks/06-decoder-generation.ipynb)
#
# A decoder-only model such as GPT-2 does one thing: given a sequence of tokens, it scores every
# token of its vocabulary as the possible *next* one. Writing a paragraph is that step repeated:
# pick a token from the scores, append it, and ask again. Everything `generate()` offers (greedy
# decoding, temperature, top-k, top-p, beam search, the key/value cache) is a choice about how to
# pick from the scores or how to avoid recomputing them. This chapter runs the catalog's small GPT-2
# step by step, rebuilds `generate()` by hand, and then opens the options one at a time.
#
# **You will learn**
#
# - what `logits` of shape (batch, tokens, vocabulary) mean, and how `logits[:, -1]` becomes the
#   distribution of the next token;
# - that the LM head is the last hidden state times the (tied) token-embedding matrix;
# - that `generate(do_sample=False)` is a greedy loop you can write in a few lines, and how
#   temperature, top-k, top-p, repetition penalties, n-gram blocking and beam search change it;
# - how to make sampled text reproducible, and why a seed alone does not make it the same on a GPU;
# - how `GenerationConfig` stores these choices, and what transformers 5 does with unset fields;
# - why batched generation needs a pad token and *left* padding;
# - what the KV cache (`past_key_values`, a `Cache` object) holds, why it gives the same logits as
#   recomputing the prefix, how it grows, and how much time it saves.

# %%
# In Colab: fetch the book and install what Colab lacks (Colab's own torch is kept). Elsewhere: nothing.
import sys

if "google.colab" in sys.modules:
    import subprocess
    import tomllib

    subprocess.run(["git", "clone", "--depth=1", "https://github.com/structure-to-api/structure-to-api", "/content/book"], check=True)
    pins = tomllib.load(open("/content/book/pyproject.toml", "rb"))["project"]["dependencies"]
    kept_from_colab = ("torch==", "numpy==", "matplotlib==", "ipywidgets==")
    needed = [pin for pin in pins if not pin.startswith(kept_from_colab)]
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", *needed], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "-e", "/content/book"], check=True)
    sys.path.insert(0, "/content/book/src")

# %% [markdown]
# ## Setup
#
# The model is `tiny-gpt2`: a `GPT2LMHeadModel` with 5 layers and about 3 million parameters that
# this project trained on the documentation that ships with CPython (docstrings and the `help()`
# topics), with its own byte-level BPE of 4,096 tokens. It is small enough to run every cell of this
# chapter in seconds on a CPU, and it writes recognisable (if repetitive) Python-documentation
# English, which is all we need to watch decoding at work. Loading progress bars are switched off;
# they are not the subject here. On a CPU, torch runs on one thread: the matrices of a model this
# small are too little work to share out, and on a busy machine a second thread waiting for a core
# makes every step slower.

# %%
import copy
import tempfile
import time
import warnings

import matplotlib.pyplot as plt
import torch
import transformers
from IPython.display import Markdown, display
from transformers import AutoModelForCausalLM, AutoTokenizer, DynamicCache, GenerationConfig
from transformers.generation import (
    NoRepeatNGramLogitsProcessor,
    RepetitionPenaltyLogitsProcessor,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
)

from structapi import checkpoint, pick_device, seed_everything
from structapi.exercises import check

seed_everything(0, threads=1)  # one CPU thread: for a model this small a second one only adds overhead
device = pick_device()
transformers.utils.logging.disable_progress_bar()  # no "Loading weights" bars in the outputs

gpt_dir = checkpoint("tiny-gpt2")
tokenizer = AutoTokenizer.from_pretrained(gpt_dir)
model = AutoModelForCausalLM.from_pretrained(gpt_dir).to(device).eval()
config = model.config
head_dim = config.n_embd // config.n_head

print(type(model).__name__, "|", type(tokenizer).__name__)
print(f"layers {config.n_layer} | heads {config.n_head} | hidden {config.n_embd} | head size {head_dim} "
      f"| vocabulary {config.vocab_size} | context {config.n_positions}")
n_parameters = sum(p.numel() for p in model.parameters())
print("parameters:", n_parameters)
print("eos:", repr(tokenizer.eos_token), tokenizer.eos_token_id, "| pad:", tokenizer.pad_token)
assert config.n_layer == 5 and config.vocab_size == len(tokenizer) == 4096 and 2e6 < n_parameters < 4e6
assert config.n_embd == 192 and head_dim == 32 and tokenizer.pad_token is None

# %% [markdown]
# The tokenizer has one special token, `<|endoftext|>`, which marks the end (and start) of each
# document, and, like the original GPT-2 tokenizer, no padding token. That will matter when we batch
# prompts of different lengths.
#
# Three small helpers keep the cells short: `encode` turns a prompt into a batch of one on the model's
# device, `continuation` decodes only the tokens a call added after the prompt, and `shown` rounds a
# number for printing. A GPU computes the same logits as a CPU only up to rounding in the last
# digits, and every number this chapter prints must read the same on both. So on the CPU, where the
# book's stored outputs are made, `shown` first checks that moving the value by `noise`, more than
# that rounding can move it, would not change the printed digits. A logit or a log-probability gets
# `noise=1e-4`; a probability, or a sum of probabilities, moves by at most half as much as the logits
# move, so it gets `noise=5e-5`.

# %%
def encode(prompt):
    """Tokenize one prompt as a batch of one, on the model's device."""
    return tokenizer(prompt, return_tensors="pt").to(device)


def continuation(sequences, prompt_length, row=0):
    """Decode the tokens that follow the prompt in row `row` of a generate() result."""
    return tokenizer.decode(sequences[row, prompt_length:].tolist())


def shown(value, digits, noise=1e-4):
    """round(value, digits); on the CPU, first check that a change of `noise` would not alter the printed digits."""
    printed = round(value, digits)
    if device.type == "cpu":
        assert round(value - noise, digits) == printed == round(value + noise, digits), f"{value} is too close to a rounding boundary"
    return printed


# %% [markdown]
# ## Logits: one score per vocabulary entry, at every position
#
# **Structure.** A causal language model reads the tokens left to right. At position *t* its
# self-attention may only look at positions 0..*t* (the causal mask), and the LM head turns the
# hidden state of position *t* into a score for every entry of the vocabulary: the model's guess of
# token *t*+1.
#
# **API.** `AutoModelForCausalLM` returns a `CausalLMOutputWithCrossAttentions` whose `logits` has
# the shape (batch, tokens, vocabulary). One forward pass scores *every* position at once; that is
# how the model was trained, with each position predicting its neighbour.

# %%
prompt = "Return a new list containing"
inputs = encode(prompt)
prompt_ids = inputs["input_ids"]
with torch.no_grad():
    outputs = model(**inputs)
logits = outputs.logits.cpu()
tokens = tokenizer.convert_ids_to_tokens(prompt_ids[0].tolist())

print(type(outputs).__name__)
print("tokens:", tokens)
print("input_ids shape:", tuple(prompt_ids.shape), "| logits shape:", tuple(logits.shape))
assert tuple(logits.shape) == (1, prompt_ids.shape[1], config.vocab_size)

# %% [markdown]
# (`Ġ` is how a byte-level BPE shows a leading space, and `Ċ` a newline.) Reading each row's best guess shows the
# "predict the next token" training objective directly: row *t* is compared with token *t*+1.

# %%
guesses = logits[0].argmax(dim=-1).tolist()
for position, token in enumerate(tokens):
    actual = tokens[position + 1] if position + 1 < len(tokens) else "(not yet written)"
    print(f"{position}  after {token!r:<12} guess {tokenizer.convert_ids_to_tokens(guesses[position])!r:<12} actual {actual!r}")
# Each guess leads the runner-up clearly, so the same guesses appear on any device (see below, "Greedy text on another device").
best_two = logits[0].topk(2, dim=-1).values
assert (best_two[:, 0] - best_two[:, 1]).min().item() > 0.01

# %% [markdown]
# ## The next-token distribution from `logits[:, -1]`
#
# Only the last row looks at the whole prompt, so `logits[:, -1]` (shape (batch, vocabulary)) is
# what generation uses. Softmax turns it into a probability distribution over the 4,096 entries;
# `torch.topk` lists the most likely candidates.

# %%
#| label: tbl-next-token
#| tbl-cap: "The five most likely next tokens after the prompt, from `logits[:, -1]`."
next_logits = logits[:, -1, :]
next_probs = torch.softmax(next_logits, dim=-1)
top = torch.topk(next_probs, k=5, dim=-1)

rows = ["| rank | id | token | logit | probability |", "|---:|---:|---|---:|---:|"]
for rank, (p, i) in enumerate(zip(top.values[0].tolist(), top.indices[0].tolist()), start=1):
    text = repr(tokenizer.decode([i])).replace("|", "\\|")
    rows.append(f"| {rank} | {i} | `{text}` | {shown(next_logits[0, i].item(), 2):.2f} | {shown(p, 2, noise=5e-5):.2f} |")
display(Markdown("\n".join(rows)))

print("next_logits shape:", tuple(next_logits.shape))
print("probabilities sum to", round(next_probs.sum().item(), 4))
print("top-5 cover", shown(top.values.sum().item(), 3, noise=5e-5), "of the probability mass")
assert tuple(next_logits.shape) == (1, config.vocab_size)
assert abs(next_probs.sum().item() - 1) < 1e-4
assert (-next_logits[0].topk(6).values.diff()).min().item() > 0.01  # a stable ranking: no near-ties among the top 6

# %% [markdown]
# ## The LM head is the embedding matrix, used backwards
#
# **Structure.** GPT-2 *ties* its input and output embeddings: the matrix that turns a token id into
# a 192-dimensional vector at the bottom of the network is the same matrix that, at the top, scores a
# 192-dimensional hidden state against every token. The score of token *v* is the dot product of the
# final hidden state with row *v* of the embedding matrix.
#
# **API.** `model.get_input_embeddings()` is `transformer.wte` and `model.get_output_embeddings()` is
# `lm_head`, a `Linear` without bias; `config.tie_word_embeddings` says they share one weight tensor.
# With `output_hidden_states=True` the model returns the embeddings plus one hidden state per layer;
# the last one has already passed the final layer norm `ln_f`, so multiplying it by the embedding
# matrix must give the logits exactly.

# %%
embedding = model.get_input_embeddings()
lm_head = model.get_output_embeddings()
print(lm_head)
print("tie_word_embeddings:", config.tie_word_embeddings, "| same tensor:", lm_head.weight is embedding.weight)

with torch.no_grad():
    traced = model(**inputs, output_hidden_states=True)
last_hidden = traced.hidden_states[-1]
by_hand = last_hidden @ embedding.weight.T
print("hidden states:", len(traced.hidden_states), "| last:", tuple(last_hidden.shape),
      "| embedding matrix:", tuple(embedding.weight.shape), "| product:", tuple(by_hand.shape))

assert config.tie_word_embeddings and lm_head.weight is embedding.weight and lm_head.bias is None
assert len(traced.hidden_states) == config.n_layer + 1
assert torch.allclose(by_hand, traced.logits, atol=1e-5)
print("hidden state @ embedding matrix == logits")

# %% [markdown]
# ## `generate()` is a loop around the forward pass
#
# **Structure.** Autoregressive generation appends one token at a time: run the model, choose a token
# from the last row of logits, append it, repeat until a length limit or the end-of-text token.
# Choosing the most likely token every time is *greedy decoding*.
#
# **API.** `model.generate(**inputs, max_new_tokens=N, do_sample=False)` runs that loop and returns
# the prompt followed by the new ids, as one tensor of shape (batch, prompt + new tokens). Here is the
# loop written out, without any of `generate()`'s machinery:

# %%
def greedy_by_hand(input_ids, new_tokens):
    """Append the arg-max token `new_tokens` times (or until end-of-text), recomputing the whole prefix."""
    for _ in range(new_tokens):
        with torch.no_grad():
            next_id = model(input_ids=input_ids).logits[:, -1, :].argmax(dim=-1, keepdim=True)
        input_ids = torch.cat([input_ids, next_id], dim=-1)
        if next_id.item() == tokenizer.eos_token_id:
            break
    return input_ids


hand_ids = greedy_by_hand(prompt_ids, 20)
generated_ids = model.generate(**inputs, max_new_tokens=20, do_sample=False)
print("generate() shape:", tuple(generated_ids.shape))
print(repr(tokenizer.decode(generated_ids[0].tolist())))
assert torch.equal(hand_ids, generated_ids)
print("hand-written greedy loop == generate(do_sample=False)")

# %% [markdown]
# The ids are identical, token for token. Nothing warned about a missing `pad_token_id` either: the
# checkpoint's `generation_config.json`, which `from_pretrained` loaded into `model.generation_config`,
# already names the end-of-text token as the pad and end tokens.

# %%
print(model.generation_config)

# %% [markdown]
# ### Greedy text on another device
#
# An arg-max is only as stable as the winner's lead. A GPU adds the same numbers in a different order
# than a CPU, so its logits differ in the last digits; if, at some step, the two best tokens were
# that close, a GPU could pick the other one, and every later token would differ too. The text
# printed in a book is only portable if every step of it was won clearly.
#
# `generate()` can hand back the scores it chose from: with `return_dict_in_generate=True` and
# `output_scores=True` it returns an output object whose `scores` holds one (batch, vocabulary)
# tensor per new token (the logits after any processors, which for plain greedy decoding are the
# logits themselves). The gap between the best and the second-best score of each step is the margin
# by which that token won:

# %%
MIN_MARGIN = 0.01  # float32 rounding differences between CPU and GPU are orders of magnitude smaller

result = model.generate(**inputs, max_new_tokens=20, do_sample=False, return_dict_in_generate=True, output_scores=True)
best_two = torch.stack(result.scores, dim=1).topk(2, dim=-1).values  # (batch, steps, 2)
margins = best_two[..., 0] - best_two[..., 1]
print(type(result).__name__, "| fields:", list(result.keys()))
print("scores:", len(result.scores), "tensors of shape", tuple(result.scores[0].shape),
      "| new tokens:", result.sequences.shape[1] - prompt_ids.shape[1])
print("smallest margin:", shown(margins.min().item(), 2))
assert torch.equal(result.sequences, generated_ids) and len(result.scores) == generated_ids.shape[1] - prompt_ids.shape[1]
assert margins.min().item() > MIN_MARGIN

# %% [markdown]
# Every step was won by more than `MIN_MARGIN`, far above rounding noise, so this text is the same on
# any device. From here on, greedy runs go through a small helper that returns the ids together with
# their smallest margin, and every greedy text the chapter prints is checked the same way.

# %%
def greedy(inputs, max_new_tokens, **options):
    """Greedy generate(); also return the smallest gap between the two best scores over all rows and steps."""
    result = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False,
                            return_dict_in_generate=True, output_scores=True, **options)
    best_two = torch.stack(result.scores, dim=1).topk(2, dim=-1).values
    return result.sequences, (best_two[..., 0] - best_two[..., 1]).min().item()


# %% [markdown]
# ## Decoding strategies
#
# Every strategy below starts from the same next-token logits; they differ in how a token is chosen.
# We use one prompt throughout, a typical opening of a sentence in a docstring.

# %%
story = "The name"
story_inputs = encode(story)
story_length = story_inputs["input_ids"].shape[1]
print("story prompt:", tokenizer.convert_ids_to_tokens(story_inputs["input_ids"][0].tolist()))

# %% [markdown]
# ### Greedy decoding and its loops
#
# Greedy decoding is deterministic and often sensible for a few tokens, but a small model soon
# repeats itself: once a phrase is the most likely continuation of itself, greedy decoding is stuck
# in it. The helper below counts *repeated n-grams*: runs of *n* tokens that already occurred earlier
# in the continuation.

# %%
def repeated_ngrams(ids, n=3):
    """Count the n-grams of a list of ids that repeat an earlier n-gram of the same list."""
    grams = [tuple(ids[i : i + n]) for i in range(len(ids) - n + 1)]
    return len(grams) - len(set(grams))


greedy_ids, margin = greedy(story_inputs, 40)
greedy_new = greedy_ids[0, story_length:].tolist()
print(repr(continuation(greedy_ids, story_length)))
print("repeated 3-grams:", repeated_ngrams(greedy_new))
assert repeated_ngrams(greedy_new) > 0 and margin > MIN_MARGIN

# %% [markdown]
# ### Temperature
#
# **Structure.** Sampling draws the next token at random from the softmax distribution instead of
# taking the arg-max. *Temperature* T divides the logits before the softmax: T < 1 sharpens the
# distribution towards the favourite, T > 1 flattens it towards uniform.
#
# **API.** `generate(do_sample=True, temperature=T)`. Inside, `generate()` builds a list of *logits
# processors* and applies them in turn to the last row of logits; temperature is the
# `TemperatureLogitsWarper`, and it is nothing but a division:

# %%
with torch.no_grad():
    story_logits = model(**story_inputs).logits[:, -1, :].cpu()
story_ids_cpu = story_inputs["input_ids"].cpu()
warped = TemperatureLogitsWarper(0.5)(story_ids_cpu, story_logits.clone())
assert torch.allclose(warped, story_logits / 0.5)
print("TemperatureLogitsWarper(0.5) == logits / 0.5")

temperatures = [0.5, 1.0, 2.0]
top_ids = torch.topk(story_logits[0], k=8).indices
for t in temperatures:
    probs = torch.softmax(story_logits[0] / t, dim=-1)
    print(f"T={t}: top-1 probability {shown(probs.max().item(), 3, noise=5e-5):.3f} "
          f"| top-8 mass {shown(probs[top_ids].sum().item(), 3, noise=5e-5):.3f}")
top1 = [torch.softmax(story_logits[0] / t, dim=-1).max().item() for t in temperatures]
assert top1[0] > top1[1] > top1[2]

# %% [markdown]
# @fig-temperature shows the same eight candidates at the three temperatures.

# %%
#| label: fig-temperature
#| fig-cap: "Probability of the eight most likely next tokens after \"The name\" at three temperatures: low temperature concentrates the mass on the favourite, high temperature spreads it out."
#| fig-alt: "Grouped bar chart with eight candidate tokens on the x axis and probability on the y axis; for the first token the temperature 0.5 bar is by far the tallest, and the bars for temperature 2.0 are the flattest."
labels = [repr(tokenizer.decode([i])) for i in top_ids.tolist()]
fig, ax = plt.subplots(figsize=(8, 3.2))
width = 0.27
for k, t in enumerate(temperatures):
    probs = torch.softmax(story_logits[0] / t, dim=-1)[top_ids]
    ax.bar([x + (k - 1) * width for x in range(len(labels))], probs.tolist(), width, label=f"T = {t}")
ax.set_xticks(range(len(labels)), labels, rotation=30)
ax.set_ylabel("probability")
ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# ### Top-k and top-p
#
# Plain sampling can pick any of the 4,096 tokens, including absurd ones from the long tail. Two
# filters cut the tail before drawing:
#
# - **top-k** keeps the *k* most likely tokens (`TopKLogitsWarper`, `top_k=k`);
# - **top-p** (nucleus sampling) keeps the smallest set of most likely tokens whose probabilities add
#   up to at least *p* (`TopPLogitsWarper`, `top_p=p`). Its size adapts: few tokens when the model
#   is sure, many when it is not.
#
# Both set the logits of the discarded tokens to minus infinity, so softmax gives them probability 0.
# Counting the survivors, and recomputing the nucleus by hand from the sorted probabilities:

# %%
kept_k = torch.isfinite(TopKLogitsWarper(top_k=10)(story_ids_cpu, story_logits.clone())).sum().item()
kept_p = torch.isfinite(TopPLogitsWarper(top_p=0.8)(story_ids_cpu, story_logits.clone())).sum().item()

cumulative = torch.softmax(story_logits[0], dim=-1).sort(descending=True).values.cumsum(dim=0)
nucleus_by_hand = int((cumulative < 0.8).sum().item()) + 1
print("top_k=10 keeps", kept_k, "tokens | top_p=0.8 keeps", kept_p, "| by hand:", nucleus_by_hand)
print(f"mass of the best {nucleus_by_hand - 1}: {shown(cumulative[nucleus_by_hand - 2].item(), 2, noise=5e-5):.2f} "
      f"| of the best {nucleus_by_hand}: {shown(cumulative[nucleus_by_hand - 1].item(), 2, noise=5e-5):.2f}")
assert kept_k == 10 and kept_p == nucleus_by_hand and kept_p > kept_k
# the cut is clear of 0.8 on both sides, so the count is the same on every device
assert cumulative[nucleus_by_hand - 2] < 0.8 - 1e-3 and cumulative[nucleus_by_hand - 1] > 0.8 + 1e-3

# %% [markdown]
# After "The name" the model is far from sure, so the nucleus for `top_p=0.8` is larger
# than the ten tokens `top_k=10` keeps: here top-p leaves more of the tail in play than top-k. After
# a prompt that leaves little doubt, the same `top_p` keeps only a handful.
#
# ### Sampling, reproducibly
#
# **Structure.** A sampling step is a softmax followed by one random draw from the resulting
# distribution. **API.** `generate(do_sample=True)` draws with `torch.multinomial`, using torch's
# global random number generator; `torch.manual_seed` right before the call fixes the draws, so the
# same seed gives the same text and another seed other text. Here one step by hand, against
# `generate()`, both with temperature 0.7 and top-k switched off (`top_k=0`, see below why). The
# `generate()` call goes to `sampler`, a CPU copy of the model (on a CPU-only machine, the model
# itself); the next section says why.

# %%
sampler = model if device.type == "cpu" else copy.deepcopy(model).to("cpu")
story_cpu = {key: value.cpu() for key, value in story_inputs.items()}

torch.manual_seed(0)
one_step = sampler.generate(**story_cpu, max_new_tokens=1, do_sample=True, temperature=0.7, top_k=0)
torch.manual_seed(0)
drawn = torch.multinomial(torch.softmax(story_logits / 0.7, dim=-1), num_samples=1)
print("generate() drew", tokenizer.convert_ids_to_tokens(one_step[0, -1:].tolist()),
      "| softmax + multinomial drew", tokenizer.convert_ids_to_tokens(drawn[0].tolist()))
assert one_step[0, -1].item() == drawn.item()

# %% [markdown]
# ### Seeds are per device
#
# The cell above drew on the CPU on purpose. CPU and CUDA have *separate* random number generators,
# built differently: `torch.manual_seed(0)` seeds both, but the numbers a GPU then draws are not
# those the CPU draws. The same seeded `generate(do_sample=True)` call therefore writes one text on a
# laptop and another on a GPU; both are reproducible on their own device, neither is portable.
#
# There are two ways to get the same sampled text everywhere, and this chapter uses both:
#
# - **Sample on the CPU.** The sampling calls of this chapter go to `sampler`, the CPU copy of the
#   model. The model is tiny, so this costs nothing.
# - **Compute on the device, draw on the CPU.** A hand-written loop can run the forward pass
#   wherever the model lives, move the last row of logits to the CPU, and draw from a seeded
#   `torch.Generator`, which is a CPU generator of its own that no other code touches.
#
# The second way, with the cache of the section on the KV cache left out for brevity:

# %%
def sample_by_hand(input_ids, new_tokens, temperature, seed):
    """Sample with temperature: logits on the model's device, draws from a seeded CPU generator."""
    draws = torch.Generator().manual_seed(seed)  # a CPU generator: same numbers on every machine
    for _ in range(new_tokens):
        with torch.no_grad():
            logits = model(input_ids=input_ids).logits[:, -1, :].float().cpu()
        next_id = torch.multinomial(torch.softmax(logits / temperature, dim=-1), num_samples=1, generator=draws)
        input_ids = torch.cat([input_ids, next_id.to(input_ids.device)], dim=-1)
    return input_ids.cpu()


by_hand = sample_by_hand(story_inputs["input_ids"], 20, temperature=0.7, seed=0)
torch.manual_seed(0)
by_generate = sampler.generate(**story_cpu, max_new_tokens=20, do_sample=True, temperature=0.7, top_k=0)
print("by hand:   ", repr(continuation(by_hand, story_length)))
print("generate():", repr(continuation(by_generate, story_length)))
assert torch.equal(by_hand, by_generate)

# %% [markdown]
# The two agree token for token: a seeded CPU generator feeds the same numbers to
# `torch.multinomial` as a seeded global CPU generator does.
#
# On a GPU, `sample_by_hand` draws from probabilities that differ from the CPU's in the last digits.
# Could that change a draw? Only if the draw was a near tie, and that can be measured. For one
# sample, `torch.multinomial` runs a race: it draws one exponential random number *q* per token and
# picks the token with the largest *p* / *q* (an exact way to sample from *p*, related to the
# Gumbel-max trick). Replaying the seeded generator gives each step's race; one forward pass over the
# finished text gives the probabilities of every step at once:

# %%
replay = torch.Generator().manual_seed(0)  # the same seed as sample_by_hand above
with torch.no_grad():
    step_logits = model(input_ids=by_hand.to(device)).logits[0, story_length - 1 : -1].float().cpu()
gaps = []
for row, token in zip(step_logits, by_hand[0, story_length:].tolist()):
    probs = torch.softmax(row / 0.7, dim=-1)
    race = probs.log() - torch.empty_like(probs).exponential_(generator=replay).log()  # log(p / q)
    best_two = race.topk(2)
    assert best_two.indices[0].item() == token  # the race's winner is the token that was drawn
    gaps.append((best_two.values[0] - best_two.values[1]).item())
print("draws replayed:", len(gaps), "| closest race won by", shown(min(gaps), 2), "in log(p / q)")
assert min(gaps) > 1e-3  # GPU rounding moves log p by far less

# %% [markdown]
# Every race was won by a clear gap, far more than GPU rounding can move a log-probability, so this
# sample is the same on every device. (With another seed or prompt a race could be close; then the
# text could differ on another device, and this check is how you would know.)
#
# Reseeding repeats a sample exactly; another seed gives another text:

# %%
torch.manual_seed(0)
first = sampler.generate(**story_cpu, max_new_tokens=20, do_sample=True)
torch.manual_seed(0)
again = sampler.generate(**story_cpu, max_new_tokens=20, do_sample=True)
torch.manual_seed(1)
other = sampler.generate(**story_cpu, max_new_tokens=20, do_sample=True)
print("seed 0:", repr(continuation(first, story_length)))
print("seed 0:", repr(continuation(again, story_length)))
print("seed 1:", repr(continuation(other, story_length)))
assert torch.equal(first, again) and not torch.equal(first, other)

# %% [markdown]
# One table compares the strategies on the same prompt, each sampled row drawn on the CPU with seed 0.

# %%
#| label: tbl-strategies
#| tbl-cap: "Twenty new tokens after \"The name\" under six decoding settings (sampled rows: CPU, seed 0)."
settings = {
    "greedy": dict(do_sample=False),
    "T = 0.7": dict(do_sample=True, temperature=0.7, top_k=0),
    "T = 1.5": dict(do_sample=True, temperature=1.5, top_k=0),
    "top_k = 10": dict(do_sample=True, top_k=10),
    "top_p = 0.8": dict(do_sample=True, top_p=0.8, top_k=0),
    "T = 0.7, top_p = 0.8": dict(do_sample=True, temperature=0.7, top_p=0.8, top_k=0),
}
strategy_texts = {}
for name, options in settings.items():
    torch.manual_seed(0)
    out = sampler.generate(**story_cpu, max_new_tokens=20, **options)
    strategy_texts[name] = continuation(out, story_length)

rows = ["| setting | continuation |", "|---|---|"]
for name, text in strategy_texts.items():
    rows.append(f"| {name} | `{text!r}` |".replace("\n", " ").replace("|`", "| `"))
display(Markdown("\n".join(rows)))
assert strategy_texts["T = 0.7"] == continuation(by_generate, story_length)
assert continuation(greedy_ids, story_length).startswith(strategy_texts["greedy"])

# %% [markdown]
# The greedy row is the start of the 40-token greedy text above; the `T = 0.7` row is the text the
# hand-written sampler produced. The `top_k=0` in several rows is deliberate: it switches top-k off.
# Without it, sampling would silently keep only the 50 most likely tokens, as the next section shows.

# %% [markdown]
# ### Defaults in transformers 5: unset means "the library default"
#
# A fresh `GenerationConfig()` holds `None` in almost every field. In transformers 5, `generate()`
# fills each field that neither the checkpoint's `generation_config.json` nor the caller set with a
# library default: `temperature=1.0`, `top_p=1.0`, a length limit and, easy to miss, `top_k=50`. So
# `do_sample=True` on its own does not sample from the full distribution: it draws exactly as
# `top_k=50` does.

# %%
blank = GenerationConfig()
print("GenerationConfig():", {name: getattr(blank, name) for name in ["max_length", "do_sample", "temperature", "top_k", "top_p"]})

torch.manual_seed(0)
default_sampling = sampler.generate(**story_cpu, max_new_tokens=20, do_sample=True)
torch.manual_seed(0)
explicit_defaults = sampler.generate(**story_cpu, max_new_tokens=20, do_sample=True, top_k=50, temperature=1.0, top_p=1.0)
torch.manual_seed(0)
full_distribution = sampler.generate(**story_cpu, max_new_tokens=20, do_sample=True, top_k=0)
print("do_sample=True == top_k=50, temperature=1.0, top_p=1.0:", torch.equal(default_sampling, explicit_defaults))
print("do_sample=True == top_k=0:", torch.equal(default_sampling, full_distribution))
assert blank.top_k is None and torch.equal(default_sampling, explicit_defaults)
assert not torch.equal(default_sampling, full_distribution)

# %% [markdown]
# The length limit changed meaning. Older tutorials say that a `generate()` call without a length
# cuts the *whole* sequence at `max_length=20` tokens. In transformers 5 the unset default gives 20
# *new* tokens after the prompt, and a `UserWarning` suggests setting `max_new_tokens`. The cell
# catches that warning and prints its message:

# %%
# expected warning: generate() warns when it falls back to its default length; the cell prints that message
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    unbounded = model.generate(**story_inputs, do_sample=False)  # no max_new_tokens, no max_length
print("prompt tokens:", story_length, "| new tokens:", unbounded.shape[1] - story_length)
print("warning:", [str(w.message) for w in caught if issubclass(w.category, UserWarning)][0])
assert unbounded.shape[1] - story_length == 20

# %% [markdown]
# ### Fighting repetition: `repetition_penalty` and `no_repeat_ngram_size`
#
# Sampling is one cure for greedy loops; two logits processors are another, and they keep decoding
# deterministic:
#
# - `repetition_penalty=r` (`RepetitionPenaltyLogitsProcessor`) makes every token that already
#   appears in the sequence less likely: its logit is divided by *r* when positive and multiplied by
#   *r* when negative.
# - `no_repeat_ngram_size=n` (`NoRepeatNGramLogitsProcessor`) forbids outright any token that would
#   complete an *n*-gram already present in the sequence (prompt included).
#
# Both are easy to verify by hand. The repetition penalty, on the story prompt's logits:

# %%
penalised = RepetitionPenaltyLogitsProcessor(penalty=1.5)(story_ids_cpu, story_logits.clone())
seen = story_ids_cpu[0].unique()
original = story_logits[0, seen]
expected = torch.where(original > 0, original / 1.5, original * 1.5)
assert torch.allclose(penalised[0, seen], expected)
unseen = torch.ones(config.vocab_size, dtype=torch.bool)
unseen[seen] = False
assert torch.equal(penalised[0, unseen], story_logits[0, unseen])
print("penalised", len(seen), "tokens of the prompt; the other", int(unseen.sum()), "logits are unchanged")

# %% [markdown]
# The n-gram block, at the first step where greedy decoding repeats itself. With `n=3`, the last two
# tokens of the sequence are the start of a possible 3-gram, and every token that followed the same
# two tokens earlier is banned (its logit becomes minus infinity). Greedy decoding's favourite is
# among the banned tokens, which is exactly how the block breaks the loop.

# %%
ids = greedy_ids[0].tolist()  # prompt + 40 greedy tokens
repeat_at = next(k for k in range(story_length, len(ids)) if tuple(ids[k - 2 : k + 1]) in
                 {tuple(ids[j : j + 3]) for j in range(k - 2)})  # first token that completes a repeated 3-gram
prefix = greedy_ids[:, :repeat_at].cpu()
with torch.no_grad():
    prefix_logits = model(input_ids=greedy_ids[:, :repeat_at]).logits[:, -1, :].cpu()
blocked = NoRepeatNGramLogitsProcessor(3)(prefix, prefix_logits.clone())
banned = torch.isinf(blocked[0]).nonzero().flatten().tolist()

earlier = prefix[0].tolist()
banned_by_hand = sorted({earlier[i + 2] for i in range(len(earlier) - 2) if earlier[i : i + 2] == earlier[-2:]})
print("text so far:", repr(tokenizer.decode(earlier)))
print("last two tokens:", tokenizer.convert_ids_to_tokens(earlier[-2:]))
print("banned next tokens:", tokenizer.convert_ids_to_tokens(banned))
print("greedy's favourite:", tokenizer.convert_ids_to_tokens([ids[repeat_at]]))
assert banned == banned_by_hand and prefix_logits.argmax().item() == ids[repeat_at] and ids[repeat_at] in banned

# %% [markdown]
# Applied to the whole generation, from the same prompt:

# %%
anti_repeat = {
    "greedy": dict(),
    "repetition_penalty = 1.3": dict(repetition_penalty=1.3),
    "no_repeat_ngram_size = 3": dict(no_repeat_ngram_size=3),
}
repeat_counts = {}
for name, options in anti_repeat.items():
    # 25 tokens: at step 28 `no_repeat_ngram_size` leaves two candidates within MIN_MARGIN of each other.
    out, margin = greedy(story_inputs, 25, **options)
    repeat_counts[name] = repeated_ngrams(out[0, story_length:].tolist())
    print(f"{name:<26} repeated 3-grams: {repeat_counts[name]:>2} | {continuation(out, story_length)!r}")
    assert margin > MIN_MARGIN

assert repeat_counts["no_repeat_ngram_size = 3"] == 0
assert repeat_counts["repetition_penalty = 1.3"] < repeat_counts["greedy"]

# %% [markdown]
# `no_repeat_ngram_size=3` brings the count to exactly 0, by construction. It is a blunt tool: a
# text that legitimately repeats a three-token phrase (a function name, "of the") cannot be written
# under it.

# %% [markdown]
# ### Beam search
#
# **Structure.** Greedy decoding commits to the best token at each step; the best *sequence* may
# start with a token that is only second best. Beam search keeps the `num_beams` best partial
# sequences at every step, scoring each by the sum of its tokens' log-probabilities: it extends every
# kept sequence by every token of the vocabulary, and keeps the `num_beams` best of all those
# candidates.
#
# That fits in a short loop, too. The version below ignores the end-of-text token (which
# `generate()` treats specially: a beam that emits it is set aside as finished), so it matches
# `generate()` as long as no kept beam ends a document, as here. It also records the smallest gap
# between neighbouring candidates in the ranking, for the same reason as greedy's margin: which
# candidates survive must not hinge on rounding.

# %%
def beam_by_hand(input_ids, new_tokens, num_beams):
    """Beam search without end-of-text handling; returns the beams, their summed log-probabilities and the smallest gap."""
    beams, scores, gaps = input_ids, torch.zeros(1, device=input_ids.device), []
    for _ in range(new_tokens):
        with torch.no_grad():
            logprobs = torch.log_softmax(model(input_ids=beams).logits[:, -1, :].float(), dim=-1)
        candidates = (scores[:, None] + logprobs).flatten()  # every kept beam x every token
        best = candidates.topk(num_beams + 1)
        gaps.append(-best.values.diff().max().item())  # closest neighbours among the best num_beams + 1
        keep = best.indices[:num_beams]
        beams = torch.cat([beams[keep // config.vocab_size], (keep % config.vocab_size)[:, None]], dim=-1)
        scores = best.values[:num_beams]
    return beams, scores, min(gaps)


hand_beams, hand_scores, beam_margin = beam_by_hand(story_inputs["input_ids"], 10, num_beams=3)
print("beams:", tuple(hand_beams.shape), "| smallest gap in the rankings:", shown(beam_margin, 2))
assert beam_margin > MIN_MARGIN

# %% [markdown]
# **API.** `num_beams=B` (with `do_sample=False`) switches `generate()` to beam search;
# `num_return_sequences` returns several beams; `return_dict_in_generate=True` returns a
# `GenerateBeamDecoderOnlyOutput`, and with `output_scores=True` as well its `sequences_scores` are
# the final, length-normalised beam scores (without `output_scores` that field is simply absent).

# %%
beams = model.generate(
    **story_inputs, max_new_tokens=10, num_beams=3, num_return_sequences=2, do_sample=False,
    return_dict_in_generate=True, output_scores=True,
)
print(type(beams).__name__, "| fields:", list(beams.keys()))
print("sequences:", tuple(beams.sequences.shape), "| sequences_scores:", [shown(x, 2) for x in beams.sequences_scores.tolist()])
assert torch.equal(beams.sequences, hand_beams[:2])
print("the best two beams by hand == generate(num_beams=3, num_return_sequences=2)")

new_tokens = beams.sequences.shape[1] - story_length
print("summed log-probabilities / new tokens:", [shown(x, 2) for x in (hand_scores[:2] / new_tokens).tolist()])
assert torch.allclose(hand_scores[:2].cpu() / new_tokens, beams.sequences_scores.cpu(), atol=1e-4)

# %% [markdown]
# Each `sequences_scores` entry is the beam's summed log-probability divided by the number of new
# tokens: that division is the length normalisation (`length_penalty=1.0`, the default, is the
# exponent of the length), which keeps longer hypotheses from losing just because every extra token
# adds a negative log-probability.
#
# To compare beam search with greedy decoding fairly, score both continuations the same way: one
# forward pass over prompt + continuation, then the sum of the log-probabilities of the new tokens.

# %%
def continuation_logprob(sequence, prompt_length):
    """Sum of log P(token | everything before it) over the tokens after the prompt."""
    with torch.no_grad():
        logprobs = torch.log_softmax(model(input_ids=sequence[None, :]).logits[0, :-1], dim=-1)
    targets = sequence[1:]
    return logprobs[torch.arange(len(targets)), targets][prompt_length - 1 :].sum().item()


greedy10 = greedy_ids[:, : story_length + 10]  # the first 10 greedy tokens
greedy_score = continuation_logprob(greedy10[0], story_length)
beam_score = continuation_logprob(beams.sequences[0], story_length)
print(f"greedy  log P = {shown(greedy_score, 1):.1f} | {continuation(greedy10, story_length)!r}")
print(f"beam 1  log P = {shown(beam_score, 1):.1f} | {continuation(beams.sequences, story_length, 0)!r}")
print(f"beam 2            | {continuation(beams.sequences, story_length, 1)!r}")
assert beam_score > greedy_score and abs(beam_score - hand_scores[0].item()) < 1e-3

split = next(i for i in range(story_length, greedy10.shape[1]) if beams.sequences[0, i] != greedy10[0, i])
print(f"first difference: new token {split - story_length + 1}, greedy chose",
      tokenizer.convert_ids_to_tokens(greedy10[0, split : split + 1].tolist()),
      "| beam 1 chose", tokenizer.convert_ids_to_tokens(beams.sequences[0, split : split + 1].tolist()))

# %% [markdown]
# Beam search takes a token there that greedy decoding ranked lower, and ends with a
# continuation that the model itself rates as more likely than the greedy one. That is what it
# optimises: likelihood. Likely text is not the same as good text, though: like greedy decoding, beam
# search has no randomness to pull it out of a loop once a repeated phrase is the likeliest, which is
# why open-ended generation usually samples instead and beam search is kept for tasks with one right
# answer, such as translation (@sec-encoder-decoder).

# %% [markdown]
# ### `GenerationConfig`: decoding settings as an object
#
# Every keyword argument of `generate()` above is a field of `GenerationConfig`. A config object can
# be built once, passed as `generation_config=`, saved next to a model (`generation_config.json`),
# and reloaded.

# %%
creative = GenerationConfig(
    do_sample=True, temperature=0.7, top_p=0.8, top_k=0, max_new_tokens=20,
    pad_token_id=tokenizer.eos_token_id, eos_token_id=tokenizer.eos_token_id,
)
print({key: value for key, value in creative.to_diff_dict().items() if key != "transformers_version"})

torch.manual_seed(0)
from_config = sampler.generate(**story_cpu, generation_config=creative)
assert continuation(from_config, story_length) == strategy_texts["T = 0.7, top_p = 0.8"]
print("generation_config=creative reproduces the 'T = 0.7, top_p = 0.8' row")

with tempfile.TemporaryDirectory() as folder:
    creative.save_pretrained(folder)
    reloaded = GenerationConfig.from_pretrained(folder)
assert reloaded.to_diff_dict() == creative.to_diff_dict()
print("saved and reloaded: same fields")

# %% [markdown]
# Older tutorials pass a config *and* loose keyword arguments to override some of its fields. In
# transformers 5 that still works, but it is deprecated: `generate()` logs a message asking for one
# or the other. The call below overrides `max_new_tokens` the old way, and the override still
# applies to this call only.

# %%
# expected warning: transformers 5 deprecates mixing generation_config= with loose generation arguments
torch.manual_seed(0)
mixed = sampler.generate(**story_cpu, generation_config=creative, max_new_tokens=5)
print("new tokens:", mixed.shape[1] - story_length, "| creative.max_new_tokens is still", creative.max_new_tokens)
assert mixed.shape[1] - story_length == 5 and creative.max_new_tokens == 20

# %% [markdown]
# The current way is to change a copy of the config. With the same seed, the first five sampled tokens
# are those of the 20-token run, because the same random numbers meet the same processors:

# %%
short = copy.deepcopy(creative)
short.max_new_tokens = 5
torch.manual_seed(0)
shorter = sampler.generate(**story_cpu, generation_config=short)
print(repr(continuation(shorter, story_length)))
assert torch.equal(shorter, from_config[:, : story_length + 5])

# %% [markdown]
# ## Batched generation: a pad token and left padding
#
# **Structure.** A batch is one rectangle of ids, so shorter prompts must be padded. A decoder-only
# model appends each new token at the *right* end of every row and reads the next-token logits from
# the *last* column. If a short prompt is padded on the right, its last column is padding: the model
# is asked what follows the padding, and the new tokens land after it.
#
# **API.** The tokenizer needs a `pad_token` (GPT-2 has none; the end-of-text token is the usual
# stand-in) and `padding_side="left"`. The attention mask then hides the padding, and `generate()`
# derives position ids from the mask so that each prompt's real tokens keep positions 0, 1, 2, ...
#
# Without a pad token, padding fails at once:

# %%
batch_prompts = ["Return a new", "When the file is opened, the"]
try:
    tokenizer(batch_prompts, padding=True, return_tensors="pt")
except ValueError as err:
    print("ValueError:", str(err).split(". ")[0])

tokenizer.pad_token = tokenizer.eos_token
print("pad token:", repr(tokenizer.pad_token), tokenizer.pad_token_id, "| padding side:", tokenizer.padding_side)

# %% [markdown]
# The reference: each prompt on its own, greedily, 8 new tokens.

# %%
alone = []
for text in batch_prompts:
    single = encode(text)
    out, margin = greedy(single, 8)
    alone.append(continuation(out, single["input_ids"].shape[1]))
    print(repr(text), "->", repr(alone[-1]))
    assert margin > MIN_MARGIN

# %% [markdown]
# Now the same two prompts as one right-padded batch. transformers notices the padding at the right
# end of a row and logs a warning suggesting `padding_side='left'`; it still generates, and the
# short prompt's continuation is wrong. That row ends in padding, that is in end-of-text tokens, so
# its first new token answers the question "what follows the end of a document?": the start of a
# new one. The new tokens are appended after the padding, and what they continue is no longer
# "Return a new".

# %%
# expected warning: right padding is the mistake this cell demonstrates, and transformers says so
right = tokenizer(batch_prompts, padding=True, return_tensors="pt").to(device)
print("right-padded ids:\n", right["input_ids"].cpu())
right_out, margin = greedy(right, 8)
right_texts = [continuation(right_out, right["input_ids"].shape[1], row) for row in range(2)]
print(right_texts)
assert right_texts[0] != alone[0] and margin > MIN_MARGIN

# %% [markdown]
# With left padding the real tokens of every row end in the last column, and each continuation
# equals the one generated alone:

# %%
tokenizer.padding_side = "left"
left = tokenizer(batch_prompts, padding=True, return_tensors="pt").to(device)
print("left-padded ids:\n", left["input_ids"].cpu())
print("attention_mask:\n", left["attention_mask"].cpu())
positions = (left["attention_mask"].cumsum(dim=-1) - 1).masked_fill(left["attention_mask"] == 0, 0)
print("position ids generate() derives from the mask:\n", positions.cpu())
real = left["attention_mask"][0].bool()
assert positions[0, real].tolist() == list(range(int(real.sum())))
left_out, margin = greedy(left, 8)
left_texts = [continuation(left_out, left["input_ids"].shape[1], row) for row in range(2)]
print(left_texts)
assert left_texts == alone and margin > MIN_MARGIN

# The model's own forward pass does not derive positions from the mask: it numbers the columns.
with torch.no_grad():
    short_alone = model(**encode(batch_prompts[0])).logits[0, -1]
    numbered = model(**left).logits[0, -1]
    from_mask = model(**left, position_ids=positions).logits[0, -1]
print("forward pass, row 0 vs the prompt alone: default positions close:", torch.allclose(numbered, short_alone, atol=1e-4),
      "| position_ids from the mask close:", torch.allclose(from_mask, short_alone, atol=1e-4))
assert not torch.allclose(numbered, short_alone, atol=1e-4) and torch.allclose(from_mask, short_alone, atol=1e-4)
tokenizer.padding_side = "right"  # back to the default for the rest of the chapter

# %% [markdown]
# ::: {.callout-warning}
# ## Right padding fails silently except for a log line
# Batched generation with a right-padded decoder-only batch does not raise: it returns plausible-looking
# text that continues the padding instead of the prompt. Set `tokenizer.padding_side = "left"` before
# tokenizing prompts for `generate()`. (Encoder models and training batches are fine with right
# padding; the problem is only where new tokens are appended.) And if you call the model's forward
# pass yourself on a left-padded batch, pass `position_ids` built from the mask as above: only
# `generate()` derives them for you.
# :::

# %% [markdown]
# ## The KV cache
#
# **Structure.** In self-attention, each token's query is compared with the *keys* of all tokens so
# far, and the result mixes their *values*. Under the causal mask, the keys and values of earlier
# tokens never change when a token is appended. Recomputing them at every step, as `greedy_by_hand`
# does, is wasted work: a generation step only needs the new token's query, key and value, plus the
# stored keys and values of the prefix. Storing them is the *KV cache*.
#
# **API.** With `use_cache=True` (the default) the output's `past_key_values` holds the cache.
# In transformers 5 it is a `Cache` object, here a `DynamicCache`, not the nested tuples of older
# versions (see @sec-model-outputs). `cache.layers[i].keys` and `.values` are tensors of shape
# (batch, heads, tokens, head size), and `get_seq_length()` counts the cached tokens.

# %%
with torch.no_grad():
    first_pass = model(**inputs, use_cache=True)
cache = first_pass.past_key_values
n_prompt = prompt_ids.shape[1]

print(type(cache).__name__, "| a Cache:", isinstance(cache, transformers.Cache), "| layers:", len(cache.layers))
print("cached tokens:", cache.get_seq_length())
print("layer 0 keys:", tuple(cache.layers[0].keys.shape), "| values:", tuple(cache.layers[0].values.shape))
assert isinstance(cache, DynamicCache) and len(cache.layers) == config.n_layer
assert tuple(cache.layers[0].keys.shape) == (1, config.n_head, n_prompt, head_dim)
assert cache.get_seq_length() == n_prompt

# %% [markdown]
# ### One new token with the cache = the whole prefix without it
#
# To take one step with the cache, pass only the new token's id together with `past_key_values`. The
# result must be the same as running the full sequence from scratch. Note that a `DynamicCache` is
# updated *in place*: the call appends the new token's keys and values to the object we passed in,
# and returns that same object.

# %%
next_id = first_pass.logits[:, -1, :].argmax(dim=-1, keepdim=True)
with torch.no_grad():
    step = model(input_ids=next_id, past_key_values=cache, use_cache=True)
    full = model(input_ids=torch.cat([prompt_ids, next_id], dim=-1), use_cache=False)

print("input to the cached step:", tuple(next_id.shape), "| its logits:", tuple(step.logits.shape))
print("same cache object returned:", step.past_key_values is cache, "| cached tokens now:", cache.get_seq_length())
difference = (step.logits[:, -1] - full.logits[:, -1]).abs().max().item()
print("max |cached - recomputed| below 1e-4:", difference < 1e-4)
assert step.past_key_values is cache and cache.get_seq_length() == n_prompt + 1
assert torch.allclose(step.logits[:, -1], full.logits[:, -1], atol=1e-4)
assert step.logits[0, -1].argmax() == full.logits[0, -1].argmax()

# %% [markdown]
# The two logits agree to floating-point rounding (the arithmetic is ordered differently, so they
# need not be bit-identical), and the arg-max is the same token.
#
# With that, the greedy loop can run on the cache: after the first pass over the prompt, each step
# feeds one token. It still produces exactly what `generate()` produces, because this is what
# `generate()` does.

# %%
def greedy_with_cache(input_ids, new_tokens):
    """Greedy decoding that feeds one token per step and keeps the keys and values in a DynamicCache."""
    cache = DynamicCache(config=config)
    step_input, sequence, sizes = input_ids, input_ids, []
    for _ in range(new_tokens):
        with torch.no_grad():
            out = model(input_ids=step_input, past_key_values=cache, use_cache=True)
        step_input = out.logits[:, -1, :].argmax(dim=-1, keepdim=True)
        sequence = torch.cat([sequence, step_input], dim=-1)
        sizes.append(cache.get_seq_length())
        if step_input.item() == tokenizer.eos_token_id:
            break
    return sequence, sizes


cached_ids, cache_sizes = greedy_with_cache(prompt_ids, 20)
assert torch.equal(cached_ids, generated_ids)
print("greedy with a cache == generate(do_sample=False)")
print("cached tokens after each step:", cache_sizes)

# %% [markdown]
# ### How the cache grows
#
# The cache grows by one token per step, in every layer. Each token costs, per layer, one key and one
# value vector per head: 2 x layers x heads x head size numbers. For `tiny-gpt2` that is
# 2 x 5 x 6 x 32 = 1,920 numbers, 7,680 bytes in float32, per token.

# %%
def cache_bytes(cache):
    """Bytes held by all keys and values of a cache."""
    return sum(t.numel() * t.element_size() for layer in cache.layers for t in (layer.keys, layer.values))


numbers_per_token = 2 * config.n_layer * config.n_head * head_dim
per_token = numbers_per_token * torch.finfo(model.dtype).bits // 8
print("numbers per cached token:", numbers_per_token, "| bytes:", per_token)
print("this cache:", cache.get_seq_length(), "tokens,", cache_bytes(cache), "bytes")
assert numbers_per_token == 1920 and per_token == 7680 and cache_bytes(cache) == per_token * cache.get_seq_length()
print(f"a full {config.n_positions}-token context: {per_token * config.n_positions / 2**20:.4f} MiB")

# %% [markdown]
# Small here, but the same formula for a 7-billion-parameter model (32 layers, 32 heads of size 128,
# 16-bit numbers) gives half a mebibyte per token, and gigabytes for a long context and a batch of
# prompts: the cache, not the weights, often limits how many requests a server can hold.

# %%
bytes_7b = 2 * 32 * 32 * 128 * 2  # keys and values x layers x heads x head size x 2 bytes
print(f"7B model: {bytes_7b / 2**20} MiB per token | 4,096 tokens x 8 prompts: {bytes_7b * 4096 * 8 / 2**30} GiB")
assert bytes_7b == 2**19

# %% [markdown]
# `generate()` manages its cache itself; with `return_dict_in_generate=True` it also hands it back.
# The last generated token has not been fed through the model yet, so the cache holds one token
# fewer than the returned sequence:

# %%
result = model.generate(**inputs, max_new_tokens=6, do_sample=False, return_dict_in_generate=True)
print(type(result).__name__, "| fields:", list(result.keys()))
print("sequence length:", result.sequences.shape[1], "| cached tokens:", result.past_key_values.get_seq_length())
assert result.past_key_values.get_seq_length() == result.sequences.shape[1] - 1

# %% [markdown]
# ### What the cache saves
#
# `generate(use_cache=False)` recomputes the whole prefix at every step, exactly like
# `greedy_by_hand`. It produces the same ids, for a fixed number of new tokens (`min_new_tokens`
# keeps the end-of-text token from stopping either run early). The cell also times both calls, but
# prints no time: a time is different at every run, and this cell's output is checked.

# %%
def seconds_since(start):
    """Wall-clock seconds since `start` (a time.perf_counter() value), once the device has finished."""
    if device.type == "cuda":
        torch.cuda.synchronize()  # CUDA runs asynchronously: wait for it before reading the clock
    return time.perf_counter() - start


long_prompt = "Return a new list containing the items of the iterable in sorted order. " * 3
long_inputs = encode(long_prompt)
start = time.perf_counter()
with_cache, margin = greedy(long_inputs, 50, min_new_tokens=50, use_cache=True)
seconds_cached = seconds_since(start)
start = time.perf_counter()
without_cache = model.generate(**long_inputs, max_new_tokens=50, min_new_tokens=50, do_sample=False, use_cache=False)
seconds_uncached = seconds_since(start)
print("prompt tokens:", long_inputs["input_ids"].shape[1], "| new tokens:", with_cache.shape[1] - long_inputs["input_ids"].shape[1])
assert torch.equal(with_cache, without_cache) and margin > MIN_MARGIN
print("use_cache=True and use_cache=False give the same ids")

# %% [markdown]
# Only the time differs. Without the cache, step *k* processes prompt + *k* tokens; with it, one.
# The next cell prints the two times measured above and their ratio.

# %%
# NBVAL_IGNORE_OUTPUT
# (wall-clock times differ from run to run and from machine to machine, so nbval must not compare
# this cell's output; it is the only cell of the chapter left unchecked)
print(f"use_cache=True : {seconds_cached:.3f} s")
print(f"use_cache=False: {seconds_uncached:.3f} s")
print(f"without the cache it takes {seconds_uncached / seconds_cached:.1f}x as long")

# %% [markdown]
# The ratio depends on the machine (which is why the cell's output is not checked), and it grows
# with the length of the sequence: the work saved at step *k* is proportional to the prompt + *k*
# tokens already there. For a model this small, much of each step is fixed Python overhead either
# way; for a large model and a long context the cache is the difference between usable and unusable.

# %% [markdown]
# ## Summary
#
# | Structure | API | What you get |
# |---|---|---|
# | Next-token scores at every position | `AutoModelForCausalLM(...)(**inputs).logits` | (batch, tokens, vocabulary) |
# | Distribution of the next token | `torch.softmax(logits[:, -1], dim=-1)`, `torch.topk` | (batch, vocabulary), candidates |
# | Tied LM head | `get_output_embeddings().weight is get_input_embeddings().weight` | logits = last hidden state @ embedding matrixᵀ |
# | Autoregressive loop | `generate(max_new_tokens=N, do_sample=False)` | prompt + N ids, same as a hand-written arg-max loop |
# | Greedy margins | `return_dict_in_generate=True`, `output_scores=True` | `scores`: one (batch, vocabulary) tensor per step; best minus second best |
# | Sampling and its filters | `do_sample=True`, `temperature`, `top_k`, `top_p` (+ `torch.manual_seed`) | logits processors applied before each draw |
# | Portable samples | a CPU model, or `torch.multinomial(..., generator=torch.Generator().manual_seed(s))` | the same text on every device |
# | Repetition control | `repetition_penalty`, `no_repeat_ngram_size` | fewer or no repeated n-grams |
# | Beam search | `num_beams`, `num_return_sequences`, `return_dict_in_generate` | `sequences`, `sequences_scores` |
# | Decoding settings | `GenerationConfig`, `model.generation_config`, `generation_config=` | one reusable, savable object; unset fields take library defaults (`top_k=50`, 20 new tokens) |
# | Batched prompts | `tokenizer.pad_token = tokenizer.eos_token`, `padding_side="left"` | correct continuations for every row |
# | KV cache | `use_cache=True`, `past_key_values` (`DynamicCache`), `.layers[i].keys` | (batch, heads, tokens, head size) per layer; same logits, less work |
#
# `generate()` is a loop over the forward pass of @sec-model-outputs. Every option in this chapter
# either changes how one token is chosen from `logits[:, -1]` or avoids recomputing what the cache
# already holds.

# %% [markdown]
# ## Exercises
#
# Replace `None` with your answer and run the cell; `check` says whether it is right. Solutions are
# folded below each exercise.
#
# **Exercise 6.1.** Which token does `tiny-gpt2` consider the most likely continuation of
# `"Return the number of"`? Answer with the decoded token as a `str` (leading space included).

# %%
check("06.1", None)

# %%
#| code-fold: true
#| code-summary: "Solution"
with torch.no_grad():
    number_logits = model(**encode("Return the number of")).logits[0, -1].cpu()
check("06.1", tokenizer.decode([int(number_logits.argmax())]))

# %% [markdown]
# **Exercise 6.2.** For the same prompt, how many tokens does `top_p=0.5` keep? Answer with an `int`
# (use `TopPLogitsWarper`, or sort the probabilities yourself).

# %%
check("06.2", None)

# %%
#| code-fold: true
#| code-summary: "Solution"
number_ids = encode("Return the number of")["input_ids"].cpu()
warped_number = TopPLogitsWarper(top_p=0.5)(number_ids, number_logits[None, :].clone())
check("06.2", int(torch.isfinite(warped_number).sum()))

# %% [markdown]
# **Exercise 6.3.** Call `generate()` on `"This module provides"` with `max_new_tokens=7`, greedy,
# and `return_dict_in_generate=True`. What is the shape of the *values* tensor of the last layer in
# the returned cache? Answer with a `list` of four `int`s.

# %%
check("06.3", None)

# %%
#| code-fold: true
#| code-summary: "Solution"
provides = model.generate(**encode("This module provides"), max_new_tokens=7, do_sample=False, return_dict_in_generate=True)
check("06.3", list(provides.past_key_values.layers[-1].values.shape))

# %% [markdown]
# **Exercise 6.4.** Greedy decoding of `"Return the"` with `no_repeat_ngram_size=2` and 40 new
# tokens: what is the decoded continuation (the new tokens only)? Answer with a `str`.

# %%
check("06.4", None)

# %%
#| code-fold: true
#| code-summary: "Solution"
return_inputs = encode("Return the")
unlooped = model.generate(**return_inputs, max_new_tokens=40, do_sample=False, no_repeat_ngram_size=2)
check("06.4", continuation(unlooped, return_inputs["input_ids"].shape[1]))
