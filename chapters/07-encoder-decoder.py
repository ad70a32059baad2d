# %% [markdown]
# # Encoder-decoder models {#sec-encoder-decoder}
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/structure-to-api/structure-to-api/blob/main/notebooks/07-encoder-decoder.ipynb) [Download this notebook](https://github.com/structure-to-api/structure-to-api/raw/main/notebooks/07-encoder-decoder.ipynb)
#
# Translation turns one sequence into another of a different length, in a different order, in a
# different language. An encoder-decoder model splits the work in two. The **encoder** reads the
# whole source sentence once, in both directions, and hands back one vector per source token. The
# **decoder** then writes the target one token at a time, like the decoder-only models of
# @sec-decoder-generation, but at every step it may also look back at the encoder's vectors through
# a third kind of attention, **cross-attention**. This chapter takes the catalog's small T5 apart:
# it runs the encoder by hand, drives the decoder step by step until it matches `generate()`, opens
# every field of the output and the two-part cache, and reads the cross-attention weights as an
# alignment between German and English words.
#
# **You will learn**
#
# - that `AutoModelForSeq2SeqLM` runs the encoder once and the decoder once per output token,
#   starting from `decoder_start_token_id`, and how to write that greedy loop yourself;
# - what each field of `Seq2SeqLMOutput` holds, with its shape, and why attention weights need
#   `attn_implementation="eager"`;
# - what the `EncoderDecoderCache` of transformers 5 keeps: a growing self-attention cache and a
#   fixed cross-attention cache;
# - how T5 handles word order without position embeddings (a relative position bias), and how its
#   one vocabulary serves both languages through tied embeddings;
# - how beam search differs from greedy decoding (`num_beams`, `num_return_sequences`,
#   `sequences_scores`), and how cross-attention lines a German verb up with its English source.

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
# The model is `tiny-t5`: a `T5ForConditionalGeneration` with 3 encoder and 3 decoder layers that
# this project trained to translate sentences of a small synthetic English grammar into German. Its
# Unigram tokenizer (@sec-tokenization) has 645 pieces and covers both languages. The model is
# loaded with `attn_implementation="eager"` so that it can return its attention weights; the
# reason is a callout further down. Loading progress bars are switched off.

# %%
import json

import matplotlib.pyplot as plt
import torch
import transformers
from IPython.display import Markdown, display
from safetensors import safe_open
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer, EncoderDecoderCache

from structapi import checkpoint, pick_device, seed_everything
from structapi.exercises import check
from structapi.plotting import plot_attention_head

seed_everything(0)
device = pick_device()
transformers.utils.logging.disable_progress_bar()  # no "Loading weights" bars in the outputs

t5_dir = checkpoint("tiny-t5")
tokenizer = AutoTokenizer.from_pretrained(t5_dir)
model = AutoModelForSeq2SeqLM.from_pretrained(t5_dir, attn_implementation="eager").to(device).eval()
config = model.config

print(type(model).__name__, "|", type(tokenizer).__name__)
print(f"encoder layers {config.num_layers} | decoder layers {config.num_decoder_layers} | heads {config.num_heads} "
      f"| head size {config.d_kv} | d_model {config.d_model} | vocabulary {config.vocab_size}")
print("parameters:", sum(p.numel() for p in model.parameters()))
assert (config.num_layers, config.num_decoder_layers, config.num_heads, config.d_model) == (3, 3, 16, 128)
assert config.vocab_size == len(tokenizer) == 645

# %% [markdown]
# About 1.5 million parameters: 3 + 3 layers, 16 attention heads of size 8 (so 16 x 8 = 128 =
# `d_model`), and a vocabulary of 645 pieces. The real `t5-small` has the same structure, only
# larger in every direction.

# %% [markdown]
# ## Translate first
#
# `AutoModelForSeq2SeqLM` picks the sequence-to-sequence class from the config, here
# `T5ForConditionalGeneration`. Its `generate()` takes the tokenized English sentence and returns
# the German token ids. The checkpoint's `generation_config` asks for greedy decoding
# (`num_beams=1`, `do_sample=False`), so the output is deterministic.
#
# A few sentences with German word order that differs from the English: an adverb in first place
# pushes the verb before the subject ("Heute liebe ich"), and subordinate clauses introduced by
# *dass*, *weil* and *obwohl* send their verb to the very end.

# %%
#| label: tbl-translations
#| tbl-cap: "Greedy translations by tiny-t5. The first sentence was held out of training on purpose."
def translate(sentences, **generate_kwargs):
    """Translate a list of English sentences; return the decoded German strings."""
    batch = tokenizer(sentences, padding=True, return_tensors="pt").to(device)
    with torch.no_grad():
        generated = model.generate(**batch, **generate_kwargs)
    return tokenizer.batch_decode(generated, skip_special_tokens=True)


references = {
    "I love deep learning.": "Ich liebe Deep Learning.",
    "Today I love the big dog.": "Heute liebe ich den großen Hund.",
    "We know that you carry a red umbrella.": "Wir wissen, dass du einen roten Regenschirm trägst.",
    "I love the cat because he sees the dog.": "Ich liebe die Katze, weil er den Hund sieht.",
    "Although the dog sees a cat, the old man drinks hot coffee.":
        "Obwohl der Hund eine Katze sieht, trinkt der alte Mann heißen Kaffee.",
    "She thinks that the teacher reads a book.": "Sie denkt, dass der Lehrer ein Buch liest.",
}
german = translate(list(references))
lines = ["| English | German (greedy) | as expected |", "|---|---|---|"]
lines += [f"| {en} | {de} | {de == references[en]} |" for en, de in zip(references, german)]
display(Markdown("\n".join(lines)))
assert german == list(references.values())

# %% [markdown]
# Every translation in @tbl-translations is the one the grammar defines, including the clause-final
# verbs *trägst*, *sieht* and *liest*. The first sentence deserves a remark. The checkpoint folder
# records how its training data were drawn, and "I love deep learning." was removed from the
# training pairs before training, so the model never saw it:

# %%
training_data = json.loads((t5_dir / "training_data.json").read_text())
print("training pairs:", training_data["n_train"], "| held-out pairs:", training_data["n_heldout"])
print("held out on purpose:", training_data["held_out_sentence"])
assert training_data["held_out_sentence"][0] == "I love deep learning."

# %% [markdown]
# So the first row is a small generalisation test: the model has seen "I love ..." and "deep
# learning" in other sentences, never together. The other sentences were written for this chapter
# from the same grammar; some of them may be among the 117,662 training pairs.

# %% [markdown]
# ## Three parts and one vocabulary
#
# **Structure.** Four pieces sit at the top of the model: one embedding table, the encoder stack,
# the decoder stack and the LM head. An encoder block has two sub-layers (self-attention, then a
# feed-forward network); a decoder block has three, with cross-attention between the two.
#
# **API.** The pieces are attributes: `model.shared`, `model.encoder` (also reached by
# `model.get_encoder()`), `model.decoder` and `model.lm_head`.

# %%
print([name for name, _ in model.named_children()])
encoder_parts = [type(sub).__name__ for sub in model.encoder.block[0].layer]
decoder_parts = [type(sub).__name__ for sub in model.decoder.block[0].layer]
print("encoder block:", encoder_parts)
print("decoder block:", decoder_parts)
assert model.get_encoder() is model.encoder
assert decoder_parts == ["T5LayerSelfAttention", "T5LayerCrossAttention", "T5LayerFF"]

# %% [markdown]
# T5 uses **one vocabulary for both languages**: the tokenizer was trained on English and German
# text together, and the same tokenizer encodes the source and the target. English and German
# pieces therefore live side by side in one table:

# %%
for text in ["I love the cat.", "Ich liebe die Katze."]:
    ids = tokenizer(text)["input_ids"]
    print(f"{text:<22}", ids, tokenizer.convert_ids_to_tokens(ids))
print("special tokens:", tokenizer.convert_ids_to_tokens([0, 1, 2]))

# %% [markdown]
# Both sentences end with id 1, `</s>`. Id 0 is `<pad>` and id 2 is `<unk>`; T5 has no
# beginning-of-sentence token, which will matter for the decoder.
#
# One vocabulary allows one embedding table. The checkpoint is saved with `tie_word_embeddings`,
# and the model uses the **same tensor** three times: to embed the encoder's input, to embed the
# decoder's input, and, transposed, as the LM head that turns decoder vectors into scores.

# %%
shared = model.shared.weight
print("shared table:", tuple(shared.shape))
print("encoder input embedding is shared:", model.encoder.embed_tokens.weight is shared)
print("decoder input embedding is shared:", model.decoder.embed_tokens.weight is shared)
print("LM head weight is shared:         ", model.lm_head.weight is shared)
print("names in the state dict:", [n for n in model.state_dict() if n.endswith("embed_tokens.weight") or n.startswith(("shared", "lm_head"))])
with safe_open(t5_dir / "model.safetensors", framework="pt") as weights_file:
    stored = [n for n in weights_file.keys() if n.endswith("embed_tokens.weight") or n.startswith(("shared", "lm_head"))]
print("names in the weight file: ", stored)
assert stored == ["shared.weight"]
assert model.encoder.embed_tokens.weight is shared and model.decoder.embed_tokens.weight is shared
assert model.lm_head.weight is shared and tuple(shared.shape) == (645, 128)

# %% [markdown]
# The state dict lists four names, but they are four names for one (645, 128) tensor, and the
# weight file stores it once, as `shared.weight`; loading ties the other three to it. Because the output layer is the input table, T5 scales the decoder's last
# vectors by `d_model ** -0.5` before the LM head (the config flag `scale_decoder_outputs`); we
# check that by hand once the output fields are open.

# %% [markdown]
# ## The encoder runs once
#
# **Structure.** The encoder reads the whole source sentence with bidirectional self-attention and
# produces one vector of size `d_model` per source token. Nothing it computes depends on the target,
# so it is computed once per sentence.
#
# **API.** `model.get_encoder()` is a `T5Stack`; called on the tokenized source it returns a
# `BaseModelOutputWithPastAndCrossAttentions` (the class T5's encoder and decoder stacks share; for
# the encoder only `last_hidden_state` is filled) whose `last_hidden_state` has shape
# (batch, source length, `d_model`).

# %%
sentence = "I love the cat because he sees the dog."
source = tokenizer(sentence, return_tensors="pt").to(device)
with torch.no_grad():
    encoder_outputs = model.get_encoder()(**source)
source_tokens = tokenizer.convert_ids_to_tokens(source["input_ids"][0])
print(type(encoder_outputs).__name__, list(encoder_outputs.keys()))
print("source tokens:", source_tokens)
print("last_hidden_state:", tuple(encoder_outputs.last_hidden_state.shape))
assert tuple(encoder_outputs.last_hidden_state.shape) == (1, len(source_tokens), 128) == (1, 12, 128)

# %% [markdown]
# 12 source tokens (the pronoun "I" is cut into `▁` and `I`, and `</s>` closes the sentence), so
# (1, 12, 128). To see that `generate()` also calls the encoder only once, we can count calls with
# forward hooks on both stacks while it translates:

# %%
calls = {"encoder": 0, "decoder": 0}
hooks = [
    model.encoder.register_forward_hook(lambda *_: calls.__setitem__("encoder", calls["encoder"] + 1)),
    model.decoder.register_forward_hook(lambda *_: calls.__setitem__("decoder", calls["decoder"] + 1)),
]
try:
    with torch.no_grad():
        generated = model.generate(**source)
finally:
    for hook in hooks:
        hook.remove()
target_tokens = tokenizer.convert_ids_to_tokens(generated[0])
print("generated:", target_tokens)
print("calls:", calls, "| tokens written after the start token:", generated.shape[1] - 1)
assert calls == {"encoder": 1, "decoder": generated.shape[1] - 1}

# %% [markdown]
# One encoder call, twelve decoder calls: one for each token the decoder wrote, `</s>` included.
# The first generated id is not a word at all but `<pad>`. That is the decoder's start token.

# %% [markdown]
# ## The decoder, one token at a time
#
# **Structure.** The decoder is a causal language model over the target, conditioned on the
# encoder's vectors. It needs *something* as its first input before it has written anything. T5
# uses the padding token for that; the config names it `decoder_start_token_id`.
#
# **API.** `model(...)` accepts `encoder_outputs=` (so the encoder is not run again) and
# `decoder_input_ids=` (the target written so far). Its `logits` have one row of vocabulary scores
# per decoder position; the last row scores the next token.

# %%
start_id = config.decoder_start_token_id
print("decoder_start_token_id:", start_id, repr(tokenizer.convert_ids_to_tokens(start_id)),
      "| in generation_config:", model.generation_config.decoder_start_token_id)
decoder_input_ids = torch.tensor([[start_id]], device=device)
with torch.no_grad():
    first = model(encoder_outputs=encoder_outputs, attention_mask=source["attention_mask"],
                  decoder_input_ids=decoder_input_ids)
print("logits:", tuple(first.logits.shape))
print("first German token:", repr(tokenizer.convert_ids_to_tokens(first.logits[0, -1].argmax().item())))
assert start_id == tokenizer.pad_token_id == 0 and tuple(first.logits.shape) == (1, 1, 645)

# %% [markdown]
# From the start token alone (plus the encoder's view of the English), the decoder's best guess is
# `▁Ich`. Repeat: append the best token, run the decoder again on the longer prefix, stop at `</s>`.
# This is greedy decoding, and the encoder's output is reused at every step.

# %%
def greedy_translate(source, max_new_tokens=40):
    """Greedy decoding by hand: encode once, then run the decoder on the growing prefix until </s>."""
    with torch.no_grad():
        encoded = model.get_encoder()(**source)  # once
        ids = torch.tensor([[config.decoder_start_token_id]], device=source["input_ids"].device)
        step_logits = []
        for _ in range(max_new_tokens):
            out = model(encoder_outputs=encoded, attention_mask=source["attention_mask"],
                        decoder_input_ids=ids, use_cache=False)
            step_logits.append(out.logits[0, -1])
            next_id = out.logits[:, -1].argmax(dim=-1, keepdim=True)
            ids = torch.cat([ids, next_id], dim=1)
            if next_id.item() == config.eos_token_id:
                break
    return ids, torch.stack(step_logits)


by_hand, by_hand_logits = greedy_translate(source)
print("by hand:   ", tokenizer.decode(by_hand[0], skip_special_tokens=True))
print("generate():", tokenizer.decode(generated[0], skip_special_tokens=True))
print("same ids:", torch.equal(by_hand, generated))
assert torch.equal(by_hand, generated)

# %% [markdown]
# The ids are identical. `generate()` accepts precomputed `encoder_outputs` too, which is how you
# would translate one source several times (with different settings) and pay for the encoder once:

# %%
with torch.no_grad():
    from_encoded = model.generate(encoder_outputs=encoder_outputs, attention_mask=source["attention_mask"])
print("generate(encoder_outputs=...) gives the same ids:", torch.equal(from_encoded, generated))
assert torch.equal(from_encoded, generated)

# %% [markdown]
# ## Teacher forcing: every decoder step in one pass
#
# The loop above runs the decoder once per token because each input depends on the previous output.
# In training the target is known in advance, so all steps can run at once: feed the decoder the
# *correct* target, shifted one place to the right behind the start token, and let the causal mask
# keep each position from seeing its own answer. That is **teacher forcing**.
#
# **API.** Pass the target as `labels`. The model builds `decoder_input_ids` from it (shift right,
# put `decoder_start_token_id` in front) and adds a `loss` to the output. The tokenizer's
# `text_target=` argument produces `labels` directly.

# %%
pair = tokenizer(sentence, text_target=references[sentence], return_tensors="pt").to(device)
labels = pair.pop("labels")
with torch.no_grad():
    forced = model(**pair, labels=labels)
shifted = model.prepare_decoder_input_ids_from_labels(labels=labels)
print("labels:           ", labels[0].tolist())
print("decoder_input_ids:", shifted[0].tolist())
print("logits:", tuple(forced.logits.shape), "| loss:", f"{forced.loss.item():.4f}")
print("same logits as the step-by-step loop:", torch.allclose(forced.logits[0], by_hand_logits, atol=1e-4))
assert torch.equal(shifted[0, 1:], labels[0, :-1]) and shifted[0, 0].item() == start_id
assert torch.allclose(forced.logits[0], by_hand_logits, atol=1e-4)

# %% [markdown]
# One forward pass gave the (1, 12, 645) logits that the loop computed in twelve passes, row for
# row, because here the correct target equals the greedy output. The loss is the average
# cross-entropy of those rows against `labels`; it is near zero because the model is sure of this
# translation. How `labels`, the shift, `-100` and the loss fit together for every model family is
# the subject of @sec-labels-and-loss.

# %% [markdown]
# ## What a forward pass returns: `Seq2SeqLMOutput`
#
# A forward pass of a seq2seq model returns a `Seq2SeqLMOutput` (@sec-model-outputs introduces
# `ModelOutput` objects). It carries the encoder's results and the decoder's results side by side.
# To make the shapes easy to tell apart, take a sentence whose source (13 tokens) and target
# (14 tokens) have different lengths, and ask for everything: hidden states and attention weights.

# %%
long_en = "My sister reads the newspaper because she likes the famous teacher."
long_de = "Meine Schwester liest die Zeitung, weil sie den berühmten Lehrer mag."
long_pair = tokenizer(long_en, text_target=long_de, return_tensors="pt").to(device)
long_labels = long_pair.pop("labels")
with torch.no_grad():
    outputs = model(**long_pair, labels=long_labels, output_hidden_states=True, output_attentions=True)

src_len, tgt_len = long_pair["input_ids"].shape[1], long_labels.shape[1]
print(type(outputs).__name__, "| source length", src_len, "| target length", tgt_len)


def describe(value):
    """A short, device-free description of one output field."""
    if isinstance(value, torch.Tensor):
        return f"tensor {tuple(value.shape)}"
    if isinstance(value, tuple):
        return f"tuple of {len(value)}, each {tuple(value[0].shape)}"
    return type(value).__name__


for field, value in outputs.items():
    print(f"{field:<25} {describe(value)}")

# %%
assert (src_len, tgt_len) == (13, 14)
assert tuple(outputs.logits.shape) == (1, tgt_len, 645)
assert tuple(outputs.encoder_last_hidden_state.shape) == (1, src_len, 128)
assert len(outputs.encoder_hidden_states) == len(outputs.decoder_hidden_states) == 4
assert all(tuple(h.shape) == (1, tgt_len, 128) for h in outputs.decoder_hidden_states)
assert all(tuple(a.shape) == (1, 16, src_len, src_len) for a in outputs.encoder_attentions)
assert all(tuple(a.shape) == (1, 16, tgt_len, tgt_len) for a in outputs.decoder_attentions)
assert all(tuple(a.shape) == (1, 16, tgt_len, src_len) for a in outputs.cross_attentions)
assert isinstance(outputs.past_key_values, EncoderDecoderCache)
assert torch.equal(outputs.encoder_hidden_states[-1], outputs.encoder_last_hidden_state)
print("shapes as listed")

# %% [markdown]
# Read the list by which side of the model each field comes from:
#
# - `encoder_last_hidden_state` is (batch, source length, `d_model`) = (1, 13, 128): one vector per
#   English token, the same tensor `get_encoder()` returned above.
# - `logits` is (batch, target length, vocabulary) = (1, 14, 645): one score per vocabulary entry
#   at every German position. The encoder's length does not appear in it at all.
# - `encoder_hidden_states` and `decoder_hidden_states` hold 4 tensors each: the embedding output
#   and the output of each of the 3 layers, the last one after the stack's final layer norm (so the
#   encoder's last entry is `encoder_last_hidden_state` itself).
# - `encoder_attentions` (1, 16, 13, 13) and `decoder_attentions` (1, 16, 14, 14) are square: each
#   side attends to itself. (The decoder's weights above the diagonal are zero: the causal mask.)
# - `cross_attentions` is (1, 16, 14, 13): rows are German positions (queries), columns are English
#   positions (keys). It is the only place where the two lengths meet.
# - `past_key_values` is the cache, opened in the next section; `loss` is there because we passed
#   `labels`.
#
# The last decoder hidden state is the one the LM head reads. Scaled by `d_model ** -0.5` and
# multiplied by the shared embedding table, it reproduces the logits:

# %%
last_decoder_state = outputs.decoder_hidden_states[-1]
with torch.no_grad():
    logits_by_hand = (last_decoder_state * config.d_model ** -0.5) @ model.shared.weight.T
causal_upper = torch.triu(outputs.decoder_attentions[0][0], diagonal=1)
print("scale_decoder_outputs:", config.scale_decoder_outputs)
print("max |by hand - logits|:", round((logits_by_hand - outputs.logits).abs().max().item(), 4))
print("decoder self-attention above the diagonal:", causal_upper.abs().max().item())
assert config.scale_decoder_outputs and torch.allclose(logits_by_hand, outputs.logits, atol=1e-4)
assert causal_upper.abs().max().item() == 0.0

# %% [markdown]
# ::: {.callout-warning}
# ## Attention weights need `attn_implementation="eager"`
#
# In transformers 5, T5 loads with PyTorch's fused `sdpa` attention by default. That kernel never
# materialises the weights, so `output_attentions=True` logs a one-time message and the three
# attention fields come back as **empty tuples**: present in `keys()`, holding nothing. This chapter
# loads the model with `attn_implementation="eager"`; a loaded model can also be switched with
# `model.set_attn_implementation("eager")`. The logits, and so the translations, are the same either
# way.
# :::
#
# The default load, for comparison:

# %%
# expected warning: the sdpa model's one-time message about output_attentions, explained in the callout above
sdpa_model = AutoModelForSeq2SeqLM.from_pretrained(t5_dir).to(device).eval()
with torch.no_grad():
    sdpa_out = sdpa_model(**long_pair, labels=long_labels, output_attentions=True)
print("attention implementation:", sdpa_model.config._attn_implementation)
print("encoder_attentions:", sdpa_out.encoder_attentions, "| decoder_attentions:", sdpa_out.decoder_attentions,
      "| cross_attentions:", sdpa_out.cross_attentions)
print("same logits as eager:", torch.allclose(sdpa_out.logits, outputs.logits, atol=1e-4))
assert sdpa_out.cross_attentions == () and torch.allclose(sdpa_out.logits, outputs.logits, atol=1e-4)

# %% [markdown]
# ## The cache: `EncoderDecoderCache`
#
# **Structure.** A decoder layer attends to two things, so it can cache two things. Its
# self-attention looks at the German tokens written so far: their keys and values grow by one
# position per step, exactly as in a decoder-only model (@sec-decoder-generation). Its
# cross-attention looks at the encoder's output, which never changes: those keys and values can be
# computed at the first step and reused unchanged.
#
# **API.** In transformers 5, `past_key_values` of a seq2seq model is an `EncoderDecoderCache`
# holding two `DynamicCache` objects, `self_attention_cache` and `cross_attention_cache`. Each has
# one entry per decoder layer in `.layers`, with `.keys` and `.values` of shape
# (batch, heads, positions, head size).

# %%
cache = outputs.past_key_values
print(cache)
for name in ["self_attention_cache", "cross_attention_cache"]:
    part = getattr(cache, name)
    print(f"{name:<22} {type(part).__name__}: {len(part.layers)} layers, layer 0 keys "
          f"{tuple(part.layers[0].keys.shape)}, values {tuple(part.layers[0].values.shape)}")
assert tuple(cache.self_attention_cache.layers[0].keys.shape) == (1, 16, tgt_len, 8)
assert tuple(cache.cross_attention_cache.layers[0].keys.shape) == (1, 16, src_len, 8)

# %% [markdown]
# After the teacher-forced pass, the self-attention cache covers the 14 German positions and the
# cross-attention cache covers the 13 English positions; 16 heads of size 8 each. To watch the two
# parts during decoding, run the greedy loop again, this time feeding the decoder only the newest
# token and passing the cache along:

# %%
with torch.no_grad():
    ids = torch.tensor([[start_id]], device=device)
    step_cache = None
    lengths = []
    for _ in range(40):
        out = model(encoder_outputs=encoder_outputs, attention_mask=source["attention_mask"],
                    decoder_input_ids=ids[:, -1:], past_key_values=step_cache, use_cache=True)
        step_cache = out.past_key_values
        lengths.append((step_cache.self_attention_cache.get_seq_length(),
                        step_cache.cross_attention_cache.get_seq_length()))
        next_id = out.logits[:, -1].argmax(dim=-1, keepdim=True)
        ids = torch.cat([ids, next_id], dim=1)
        if next_id.item() == config.eos_token_id:
            break
print("(self, cross) cache lengths per step:", lengths)
print("same ids as generate():", torch.equal(ids, generated))
assert torch.equal(ids, generated)
assert [s for s, _ in lengths] == list(range(1, len(lengths) + 1))
assert {c for _, c in lengths} == {len(source_tokens)}

# %% [markdown]
# The self-attention cache grows 1, 2, 3, ... by one German token per step; the cross-attention
# cache holds the 12 English positions from the first step to the last. Each step now feeds the
# decoder a single token, and the ids still equal `generate()`'s, which runs this same loop.

# %% [markdown]
# ## Word order without position embeddings
#
# **Structure.** BERT and GPT-2 add a learned position vector to every token embedding. T5 has no
# such vectors. Instead, each attention score gets a learned **bias** that depends only on the
# *distance* between query and key, sorted into 32 buckets: one bucket per small distance, wider
# buckets (on a log scale) for long ones. The encoder's buckets distinguish left from right; the
# decoder's only look left. Each stack owns one bias table, in its first layer, and shares the bias
# it computes with the layers above; cross-attention uses none.
#
# **API.** The table is `relative_attention_bias`, an `nn.Embedding(32 buckets, 16 heads)`, on the
# `T5Attention` of block 0; `has_relative_attention_bias` says which attention layers own one.

# %%
print("parameters with 'position' in their name:", [n for n, _ in model.named_parameters() if "position" in n])
owners = [name for name, module in model.named_modules()
          if type(module).__name__ == "T5Attention" and module.has_relative_attention_bias]
print("attention layers that own a bias table:", owners)
encoder_attention = model.encoder.block[0].layer[0].SelfAttention
print(encoder_attention.relative_attention_bias)
assert owners == ["encoder.block.0.layer.0.SelfAttention", "decoder.block.0.layer.0.SelfAttention"]

# %% [markdown]
# How distances map to buckets (distance = key position minus query position):

# %%
distances = torch.tensor([-100, -64, -20, -8, -7, -1, 0, 1, 7, 8, 20, 64, 100])
bucket = encoder_attention._relative_position_bucket
encoder_buckets = bucket(distances, bidirectional=True, num_buckets=32, max_distance=config.relative_attention_max_distance)
decoder_buckets = bucket(distances, bidirectional=False, num_buckets=32, max_distance=config.relative_attention_max_distance)
print(f"{'distance':<16}", distances.tolist())
print(f"{'encoder bucket':<16}", encoder_buckets.tolist())
print(f"{'decoder bucket':<16}", decoder_buckets.tolist())
assert decoder_buckets[distances > 0].eq(0).all()
assert encoder_buckets[distances == 64].item() == encoder_buckets[distances == 100].item() == 31

# %% [markdown]
# In the encoder, the query's own position and the keys to its left use buckets 0 to 15, keys to
# its right buckets 16 to 31. Distances up to 7 each get a bucket of their own; from 8 on the
# buckets widen, and everything 64 or more tokens away shares the last one (15 on the left, 31 on
# the right). The decoder spends all 32 buckets on the left; every future position falls into
# bucket 0 (the causal mask hides those anyway).
#
# Because the bias depends only on the distance, the bias matrix is constant along each diagonal.
# For one head of the encoder, on a 6-token sentence:

# %%
with torch.no_grad():
    bias = encoder_attention.compute_bias(6, 6).cpu()  # (1, heads, query, key)
print(tuple(bias.shape))
print(bias[0, 0].round(decimals=2) + 0.0)  # + 0.0 turns -0.0 into 0.0
assert torch.equal(bias[..., 1:, 1:], bias[..., :-1, :-1])

# %% [markdown]
# The same number fills each diagonal: the head has one preference per distance, wherever the pair
# of tokens sits in the sentence.
#
# A practical consequence: padding on the left or on the right makes no difference to T5. Left
# padding shifts every real token to a new absolute position, but the distances between real
# tokens stay the same and the padding itself is masked out. The encoder's vectors for the short
# sentence below are identical under both paddings:

# %%
two = ["She loves the dog.", long_en]
right_padded = tokenizer(two, padding=True, return_tensors="pt").to(device)
tokenizer.padding_side = "left"
left_padded = tokenizer(two, padding=True, return_tensors="pt").to(device)
tokenizer.padding_side = "right"
n_real = int(right_padded["attention_mask"][0].sum())
with torch.no_grad():
    right_vectors = model.get_encoder()(**right_padded).last_hidden_state[0, :n_real]
    left_vectors = model.get_encoder()(**left_padded).last_hidden_state[0, -n_real:]
print("batch:", tuple(right_padded["input_ids"].shape), "| real tokens of the short sentence:", n_real)
print("max |right-padded - left-padded|:", round((right_vectors - left_vectors).abs().max().item(), 4))
assert torch.allclose(right_vectors, left_vectors, atol=1e-5)

# %% [markdown]
# ## Greedy decoding and beam search
#
# Greedy decoding commits to the single best token at every step. **Beam search** keeps the
# `num_beams` best partial translations instead, extends each by every token, and keeps the best
# `num_beams` again; when hypotheses end with `</s>` they are ranked by their total log-probability
# divided by their length (`length_penalty=1.0`). With `num_return_sequences` you get several of
# the finished hypotheses back, and with `return_dict_in_generate=True` plus `output_scores=True`
# their scores arrive in `sequences_scores`. (@sec-decoder-generation covers the other decoding
# options; they work the same for seq2seq models.)

# %%
umbrella = tokenizer("We know that you carry a red umbrella.", return_tensors="pt").to(device)
with torch.no_grad():
    beams = model.generate(**umbrella, num_beams=4, num_return_sequences=3,
                           return_dict_in_generate=True, output_scores=True)
print(type(beams).__name__, list(beams.keys()))
for text, score in zip(tokenizer.batch_decode(beams.sequences, skip_special_tokens=True), beams.sequences_scores):
    print(f"{score.item():8.3f}  {text}")
greedy_umbrella = translate(["We know that you carry a red umbrella."])[0]
print("greedy:   ", greedy_umbrella)
assert tokenizer.decode(beams.sequences[0], skip_special_tokens=True) == greedy_umbrella
assert beams.sequences.shape[0] == 3

# %% [markdown]
# The best beam is the greedy translation, with an average log-probability per token near 0: the
# model is almost certain. The runners-up differ in one word each, and both are wrong German (*Wir
# weißt* breaks subject-verb agreement, *trage* has the wrong person), at a score of about -0.65
# per token.
#
# The score is a plain average. Recompute the top one by teacher forcing its tokens through the
# model and averaging the log-probabilities of the tokens it wrote (everything after the start
# token, `</s>` included):

# %%
best = beams.sequences[0:1]
with torch.no_grad():
    log_probs = model(**umbrella, decoder_input_ids=best[:, :-1]).logits.log_softmax(dim=-1)
token_log_probs = log_probs[0].gather(1, best[0, 1:, None]).squeeze(1)
print("tokens written:", len(token_log_probs), "| average log-probability:", round(token_log_probs.mean().item(), 3),
      "| sequences_scores[0]:", round(beams.sequences_scores[0].item(), 3))
assert torch.isclose(token_log_probs.mean(), beams.sequences_scores[0], atol=1e-4)

# %% [markdown]
# On a sentence the model handles well, beam search and greedy decoding agree. They part ways where
# the model struggles. In the next sentence the bare plural "teachers" is *Lehrer*, the same word as
# the singular, and it has to move to the end of a *dass* clause together with the verb:

# %%
tricky = "They think that his friendly sisters visit teachers."
tricky_source = tokenizer(tricky, return_tensors="pt").to(device)
with torch.no_grad():
    tricky_ids = model.generate(**tricky_source)
tricky_greedy, tricky_beam = tokenizer.decode(tricky_ids[0], skip_special_tokens=True), translate([tricky], num_beams=4)[0]
greedy_words = tricky_greedy.split()
print("greedy:", " ".join(greedy_words[:10]), "...", f"({len(greedy_words)} words)")
print("greedy length in tokens:", tricky_ids.shape[1], "| max_length:", model.generation_config.max_length,
      "| ends with </s>:", tricky_ids[0, -1].item() == config.eos_token_id)
print("beam:  ", tricky_beam)
print("grammar's answer: Sie denken, dass seine freundlichen Schwestern Lehrer besuchen.")
assert greedy_words[6:] == ["Lehrer"] * (len(greedy_words) - 6) and len(greedy_words) > 30
assert tricky_ids.shape[1] == model.generation_config.max_length == 64 and tricky_ids[0, -1].item() != config.eos_token_id
assert tricky_beam == "Sie denken, dass seine freundlichen Schwestern besuchen."

# %% [markdown]
# Greedy decoding writes *Lehrer* and then cannot stop: *Lehrer* follows *Lehrer* until the length
# limit of the generation config (`max_length=64` tokens, start token included), and never writes
# `</s>`. Beam search finds a hypothesis that ends properly, but it has dropped *Lehrer* altogether.
# Neither is right; beam search is a better search over the model's probabilities, not a better
# model.

# %% [markdown]
# ## Cross-attention as alignment
#
# **Structure.** At every decoder step, each cross-attention head distributes one unit of weight
# over the source tokens. When the decoder is about to write a German word, the heads that carry
# meaning tend to look at the English word being translated, so the weights trace an
# **alignment** between the two sentences.
#
# **API.** `cross_attentions` holds one (batch, heads, target length, source length) tensor per
# decoder layer. To read it against the translation, run the model once with the generated ids as
# `decoder_input_ids` (everything except the final `</s>`): row *t* is then the step that *wrote*
# the German token at position *t* + 1 of the output.
#
# The example is the *weil* sentence, where German moves the verb: English says "he **sees** the
# dog", German "er den Hund **sieht**".

# %%
with torch.no_grad():
    aligned = model(**source, decoder_input_ids=generated[:, :-1], output_attentions=True)
written = tokenizer.convert_ids_to_tokens(generated[0, 1:])  # the token each decoder step wrote
cross = [layer[0].cpu() for layer in aligned.cross_attentions]  # per layer: (heads, German, English)
last_layer_mean = cross[-1].mean(dim=0)  # average the 16 heads of the last decoder layer
print("cross_attentions:", len(cross), "layers of", tuple(aligned.cross_attentions[0].shape))
print("German (rows):  ", written)
print("English (cols): ", source_tokens)
assert last_layer_mean.shape == (len(written), len(source_tokens))

# %%
#| label: fig-cross-attention
#| fig-cap: "Cross-attention of the last decoder layer of tiny-t5, averaged over its 16 heads. Each row is the decoder step that wrote one German token; each column is an English source token. The German verb sieht, written at the end of the clause, attends to English sees, which stands before the object."
#| fig-alt: "A heatmap with twelve German tokens as rows and twelve English tokens as columns. Bright cells run roughly down the diagonal, Ich to I, liebe to love, die to the, Katze to cat, weil to because, er to he, but at the end the pattern bends: den looks at the second the, Hund at dog, and the last word sieht looks back to sees, two columns to the left of dog."
ax = plot_attention_head(last_layer_mean[None, None], source_tokens, layer=0, head=0, query_tokens=written,
                         title="last decoder layer, mean of 16 heads")
ax.set_xlabel("English source token (key)")
ax.set_ylabel("German token being written (query)")
plt.show()

# %% [markdown]
# (`plot_attention_head` from `structapi.plotting` draws one head; the average is passed in as a
# tensor with a single layer and a single head, and `query_tokens` gives the rows their own labels,
# so the plot need not be square.)
#
# @fig-cross-attention shows a near-diagonal band that bends at the end. To measure it rather than
# eyeball it, take each row's argmax:

# %%
alignment = last_layer_mean.argmax(dim=-1).tolist()
for row, token in enumerate(written):
    column = alignment[row]
    print(f"{token:<9} -> {source_tokens[column]:<9} (column {column}, weight {last_layer_mean[row, column]:.2f})")

sieht, sees = written.index("▁sieht"), source_tokens.index("▁sees")
hund, dog = written.index("▁Hund"), source_tokens.index("▁dog")
assert alignment[sieht] == sees and last_layer_mean[sieht, sees] > 0.9
assert alignment[hund] == dog
assert sieht > hund and sees < dog  # the order flips: German verb after the object, English before

# %% [markdown]
# The step that writes *sieht* puts practically all of its weight (1.00) on "sees", and *Hund*
# looks at "dog": in English the verb comes first, in German last, and the attention follows the
# words, not the positions. *den* picks the second "the" (column 8), the one in front of "dog".
# Punctuation and `</s>` have no English word of their own and look somewhere plausible (the comma
# at "love", the full stop at "sees").
#
# Is that true of every layer? Compare each layer's head-averaged argmax with the alignment a person
# would draw for the nine German words:

# %%
human = {"▁Ich": "I", "▁liebe": "▁love", "▁die": 3, "▁Katze": "▁cat", "▁weil": "▁because",
         "▁er": "▁he", "▁den": 8, "▁Hund": "▁dog", "▁sieht": "▁sees"}  # an int picks one of the two "the"
expected = {written.index(de): en if isinstance(en, int) else source_tokens.index(en) for de, en in human.items()}
agreement = []
for layer, weights in enumerate(cross):
    choice = weights.mean(dim=0).argmax(dim=-1)
    agreement.append(sum(int(choice[row]) == column for row, column in expected.items()))
    print(f"layer {layer}: {agreement[-1]} of {len(expected)} words aligned")
heads_on_sees = [int(cross[-1][head, sieht].argmax()) == sees for head in range(config.num_heads)]
print("heads of the last layer whose maximum for 'sieht' is 'sees':", sum(heads_on_sees), "of", config.num_heads)
assert agreement == [3, 9, 9] and all(heads_on_sees)

# %% [markdown]
# The first decoder layer's cross-attention does not align (3 of 9); the second and third align
# every word, and in the last layer all 16 heads agree on "sees" for *sieht*. That matches a common
# picture of such models: lower layers gather context, upper layers look up the word to translate.
# It is a measurement on one sentence and one small model, not a law; attention weights show where
# a head looked, not why the model chose its word.

# %% [markdown]
# ## Structure, API, output
#
# @tbl-seq2seq collects the chapter, with each shape read from the forward pass on the 13-token
# English sentence and its 14-token German target.

# %%
#| label: tbl-seq2seq
#| tbl-cap: "Where each part of an encoder-decoder model shows up in transformers 5, with shapes from tiny-t5 on a 13-token source and a 14-token target."
rows = [
    ("Encoder stack (bidirectional self-attention), run once", "`model.get_encoder()`; reuse with `encoder_outputs=`",
     "encoder_last_hidden_state"),
    ("Encoder layers", "`output_hidden_states=True`", "encoder_hidden_states"),
    ("Encoder self-attention", "`output_attentions=True`, eager attention", "encoder_attentions"),
    ("Decoder start token", "`config.decoder_start_token_id`; `labels` shifted right", None),
    ("Decoder causal self-attention", "`output_attentions=True`, eager attention", "decoder_attentions"),
    ("Cross-attention (German queries, English keys)", "`output_attentions=True`, eager attention", "cross_attentions"),
    ("Decoder layers", "`output_hidden_states=True`", "decoder_hidden_states"),
    ("LM head tied to the shared embedding", "`model.lm_head`, `model.shared`", "logits"),
    ("Self- and cross-attention caches", "`use_cache=True` (the default)", "past_key_values"),
    ("Teacher forcing", "`labels=` (@sec-labels-and-loss)", "loss"),
]
lines = ["| Structure | API | Output field | What it holds |", "|---|---|---|---|"]
for structure, api, field in rows:
    if field is None:
        lines.append(f"| {structure} | {api} | (an input) | `decoder_input_ids[:, 0]` = {shifted[0, 0].item()} |")
        continue
    value = outputs[field]
    if isinstance(value, EncoderDecoderCache):
        held = (f"`EncoderDecoderCache`: self {value.self_attention_cache.get_seq_length()}, "
                f"cross {value.cross_attention_cache.get_seq_length()} positions")
    elif isinstance(value, torch.Tensor) and value.dim() == 0:
        held = "scalar"
    else:
        held = describe(value)
    lines.append(f"| {structure} | {api} | `{field}` | {held} |")
display(Markdown("\n".join(lines)))
assert all(field is None or field in outputs for _, _, field in rows)

# %% [markdown]
# ## Summary
#
# An encoder-decoder model is an encoder and a decoder joined by cross-attention. The encoder turns
# the source into `(batch, source length, d_model)` vectors once; the decoder starts from
# `decoder_start_token_id` (T5's `<pad>`) and writes one token per call, reading those vectors at
# every step. The hand-written greedy loop gave exactly `generate()`'s ids, and teacher forcing
# with `labels` gave all of its logits in one pass. `Seq2SeqLMOutput` keeps the two sides apart:
# `encoder_*` fields follow the source length, `decoder_*` fields and `logits` the target length,
# and `cross_attentions` is the one rectangle where they meet, readable as a word alignment. In
# transformers 5 the cache is an `EncoderDecoderCache` whose self-attention part grows while its
# cross-attention part stays fixed. T5 knows word order only through a relative position bias, and
# its one vocabulary serves both languages through a single tied embedding table. @tbl-seq2seq is
# the map.

# %% [markdown]
# ## Exercises
#
# Each exercise has a cell for your answer: replace `None`, run the cell, and `check` tells you
# whether the answer is right. The solution is folded away below it.
#
# **Exercise 7.1.** Translate "Tomorrow we visit the famous museum." with greedy decoding. Answer
# with the German sentence (a `str`, special tokens removed).

# %%
check("07.1", None)

# %%
#| code-fold: true
#| code-summary: "Solution"
check("07.1", translate(["Tomorrow we visit the famous museum."])[0])

# %% [markdown]
# **Exercise 7.2.** In "We know that you carry a red umbrella." the German verb *trägst* comes last.
# In the last decoder layer's cross-attention, averaged over the heads, which English source token
# gets the most weight from the step that writes `▁trägst`? Answer with the token as the tokenizer
# spells it (a `str`, such as `"▁sees"`).

# %%
check("07.2", None)

# %%
#| code-fold: true
#| code-summary: "Solution"
umbrella_ids = model.generate(**umbrella)
with torch.no_grad():
    umbrella_out = model(**umbrella, decoder_input_ids=umbrella_ids[:, :-1], output_attentions=True)
umbrella_written = tokenizer.convert_ids_to_tokens(umbrella_ids[0, 1:])
umbrella_mean = umbrella_out.cross_attentions[-1][0].mean(dim=0)
column = int(umbrella_mean[umbrella_written.index("▁trägst")].argmax())
check("07.2", tokenizer.convert_ids_to_tokens(umbrella["input_ids"][0])[column])

# %% [markdown]
# **Exercise 7.3.** Translate "Today I love the big dog." with `generate(..., return_dict_in_generate=True)`
# and look at the returned `past_key_values`. How many positions does its self-attention cache
# hold, and how many its cross-attention cache? Answer with a tuple `(self, cross)` of two ints.
# (Hint: the last token `generate()` writes is never fed back into the decoder.)

# %%
check("07.3", None)

# %%
#| code-fold: true
#| code-summary: "Solution"
dog = tokenizer("Today I love the big dog.", return_tensors="pt").to(device)
with torch.no_grad():
    dog_out = model.generate(**dog, return_dict_in_generate=True)
check("07.3", (dog_out.past_key_values.self_attention_cache.get_seq_length(),
               dog_out.past_key_values.cross_attention_cache.get_seq_length()))
