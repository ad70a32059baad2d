# %% [markdown]
# # ModelOutput: what a forward pass returns {#sec-model-outputs}
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/structure-to-api/structure-to-api/blob/main/notebooks/04-model-outputs.ipynb) [Download this notebook](https://github.com/structure-to-api/structure-to-api/raw/main/notebooks/04-model-outputs.ipynb)
#
# A Transformer's forward pass produces more than one thing. The last layer's hidden states, a
# pooled sentence vector, one row of scores per token, the loss when the targets are known, the
# key/value cache that makes generation fast, and on request every layer's hidden states and
# attention weights. Transformers packs whatever a pass produced into one object, a `ModelOutput`.
# It is a dataclass that also behaves like an ordered dictionary and, through indexing, like a
# tuple. Each of those three faces has its own rules, and one of them, positional indexing, hides a
# pitfall that has broken many training loops. This chapter takes the object apart on the catalog's
# encoder, decoder and encoder-decoder models.
#
# **You will learn**
#
# - which output class each kind of model returns (`BaseModelOutputWithPoolingAndCrossAttentions`,
#   `SequenceClassifierOutput`, `CausalLMOutputWithCrossAttentions` and its sibling
#   `CausalLMOutputWithPast`, `Seq2SeqLMOutput`), and how to read the class off a model's signature;
# - the three ways to read a field (attribute, key, index) and what each does with a missing field;
# - the rule that fields holding `None` are left out of `keys()`, `to_tuple()` and indexing, and the
#   pitfall it creates: `outputs[0]` is the loss as soon as `labels` are passed;
# - which fields `output_hidden_states`, `output_attentions`, `use_cache` and `labels` add to an
#   encoder, a decoder and an encoder-decoder, and the shape of each;
# - what `return_dict=False` returns in transformers 5.

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
# Besides the usual seeds, device and catalog, this chapter needs a way to load checkpoints without
# the load report that transformers logs: it is not the subject here, so `load` silences it for the
# duration of `from_pretrained` only. Every model is put in evaluation mode, so that a pass without
# labels is deterministic and no dropout changes the numbers between runs.

# %%
import dataclasses
import inspect
import typing

import torch
import transformers
from IPython.display import Markdown, display
from transformers import (
    AutoModel,
    AutoModelForCausalLM,
    AutoModelForSeq2SeqLM,
    AutoModelForSequenceClassification,
    AutoTokenizer,
    LlamaForCausalLM,
)
from transformers.modeling_outputs import (
    CausalLMOutputWithCrossAttentions,
    CausalLMOutputWithPast,
    Seq2SeqLMOutput,
    SequenceClassifierOutput,
    TokenClassifierOutput,
)

from structapi import checkpoint, pick_device, seed_everything
from structapi.exercises import check
from structapi.logs import quiet

seed_everything(0)
device = pick_device()
transformers.utils.logging.disable_progress_bar()  # no "Loading weights" progress bars in the outputs


def load(auto_class, name, **kwargs):
    """Load catalog checkpoint `name` with `auto_class`, quietly, on the chapter's device, in eval mode."""
    with quiet():
        model = auto_class.from_pretrained(checkpoint(name), **kwargs)
    return model.to(device).eval()


print("transformers", transformers.__version__, "| torch", torch.__version__.split("+")[0])

# %% [markdown]
# ## One forward pass, one object
#
# Start with the plainest model there is: the MiniLM encoder loaded with `AutoModel`, the network
# without any task head. Two sentences go in as one padded batch.

# %%
tokenizer = AutoTokenizer.from_pretrained(checkpoint("minilm"))
encoder = load(AutoModel, "minilm")
sentences = ["The new API is a joy to use.", "This error message is useless."]
batch = tokenizer(sentences, padding=True, return_tensors="pt").to(device)
seq_len = batch["input_ids"].shape[1]

with torch.no_grad():
    outputs = encoder(**batch)

print(type(outputs).__name__)
print("method resolution order:", [cls.__name__ for cls in type(outputs).__mro__])
print("dataclass:", dataclasses.is_dataclass(outputs), "| dict:", isinstance(outputs, dict),
      "| tuple:", isinstance(outputs, tuple))

# %% [markdown]
# The class name reads like a table of contents. *BaseModelOutput*: the output of a model without
# a head, whose main field is `last_hidden_state`. *WithPooling*: BERT's pooler adds one vector per
# sentence, `pooler_output`. *AndCrossAttentions*: the same class serves BERT when it is configured
# as a decoder that attends to an encoder, which needs room for cross-attention weights.
#
# The class is a `dataclass` and, through `ModelOutput`, an `OrderedDict`. It is **not** a
# `tuple`: the tuple behaviour is borrowed, through integer indexing and the method `to_tuple()`.
#
# A dataclass declares its fields up front; the dictionary holds only the ones that were filled.
# `dataclasses.fields` lists the first, `keys()` the second.

# %%
declared = [field.name for field in dataclasses.fields(outputs)]
present = list(outputs.keys())
print("declared:", declared)
print("present: ", present)
for name, value in outputs.items():
    print(f"  {name:<17} {tuple(value.shape)}")

assert len(declared) == 6 and present == ["last_hidden_state", "pooler_output"]
assert tuple(outputs.last_hidden_state.shape) == (2, seq_len, encoder.config.hidden_size) == (2, 11, 384)
assert tuple(outputs.pooler_output.shape) == (2, encoder.config.hidden_size)

# %% [markdown]
# Six fields are declared, two are present: one hidden vector of size 384 per token
# (`last_hidden_state`, batch 2 by 11 tokens by 384) and one per sentence (`pooler_output`, 2 by 384).
# The other four (`hidden_states`, `past_key_values`, `attentions`, `cross_attentions`) hold `None`,
# because nobody asked for them.

# %% [markdown]
# ## Three ways to read a field
#
# The same tensor can be reached as an attribute, as a dictionary key, or by position. All three
# return the very same object:

# %%
by_attribute = outputs.last_hidden_state
by_key = outputs["last_hidden_state"]
by_index = outputs[0]
print("attribute is key:", by_attribute is by_key, "| key is index:", by_key is by_index)
assert by_attribute is by_key is by_index

# %% [markdown]
# They part ways on a field that holds `None`. The attribute exists and returns `None`; the key does
# not exist, because a `None` field never enters the dictionary; and positions count only the
# fields that are present, so there is no position 2 at all.

# %%
print("attribute:       ", outputs.attentions)
print("'attentions' in: ", "attentions" in outputs)
try:
    outputs["attentions"]
except KeyError as err:
    print("key:              KeyError", err)
try:
    outputs[2]
except IndexError as err:
    print("index 2:          IndexError:", err)
print("len(outputs):", len(outputs), "| len(to_tuple()):", len(outputs.to_tuple()))
assert outputs.attentions is None and "attentions" not in outputs and len(outputs.to_tuple()) == 2

# %% [markdown]
# Because the object *is* a dictionary, iterating over it yields its keys, not its values. Tuple-style
# unpacking therefore "works" and quietly hands you two strings. To unpack the tensors, go through
# `to_tuple()`, or better, name the fields.

# %%
first, second = outputs  # unpacks the KEYS
print("unpacked directly:", repr(first), repr(second))
hidden, pooled = outputs.to_tuple()  # unpacks the values
print("unpacked to_tuple():", tuple(hidden.shape), tuple(pooled.shape))
assert (first, second) == ("last_hidden_state", "pooler_output")

# %% [markdown]
# | Access | Field present | Field is `None` | Stable when other fields come and go? |
# |---|---|---|---|
# | `outputs.name` | the value | `None` | yes |
# | `outputs["name"]` | the value | `KeyError` | yes |
# | `outputs[i]`, `outputs.to_tuple()[i]` | the i-th *present* field | skipped | **no** |
#
# The last column is the one that matters, as the next section shows.

# %% [markdown]
# ## `None` fields are skipped, so index 0 moves
#
# The rule is easiest to see on an output built by hand. `SequenceClassifierOutput` declares `loss`
# first and `logits` second. Fill only `logits`, and `logits` is at index 0; fill both, and the
# loss takes index 0 and pushes the logits to index 1.

# %%
toy_logits = torch.tensor([[2.0, -1.0]])
without_loss = SequenceClassifierOutput(logits=toy_logits)
with_loss = SequenceClassifierOutput(loss=torch.tensor(0.0486), logits=toy_logits)
for label, toy in [("logits only", without_loss), ("loss and logits", with_loss)]:
    name_at_0 = next(name for name in toy.keys() if toy[name] is toy[0])
    print(f"{label:<16} keys={list(toy.keys())}  index 0 is {name_at_0}")
assert without_loss[0] is toy_logits and with_loss[1] is toy_logits

# %% [markdown]
# Now the real thing. The `sentiment` checkpoint is MiniLM with a two-class head, loaded with
# `AutoModelForSequenceClassification`; its output class is `SequenceClassifierOutput`. Passing
# `labels` (here 1 = POSITIVE for the first sentence and 0 = NEGATIVE for the second) makes the
# model compute the cross-entropy loss itself and put it first.

# %%
classifier = load(AutoModelForSequenceClassification, "sentiment", attn_implementation="eager")
labels = torch.tensor([1, 0], device=device)
print("id2label:", classifier.config.id2label)

with torch.no_grad():
    plain = classifier(**batch)
    supervised = classifier(**batch, labels=labels)

print(type(plain).__name__)
print("without labels:", list(plain.keys()), "-> outputs[0] has shape", tuple(plain[0].shape))
print("with labels:   ", list(supervised.keys()), "-> outputs[0] has shape", tuple(supervised[0].shape))
print("loss:", round(supervised.loss.item(), 3))

assert torch.equal(plain[0], plain.logits)
assert torch.equal(supervised[0], supervised.loss) and supervised[0].dim() == 0
assert torch.equal(supervised.logits, plain.logits)
assert torch.allclose(supervised.loss, torch.nn.functional.cross_entropy(plain.logits, labels))

# %% [markdown]
# The loss is a scalar, shape `()`, and it equals `cross_entropy(logits, labels)` computed by hand;
# the logits themselves are unchanged by passing labels. Code that was written for the first case
# keeps running in the second and computes nonsense without a word of complaint:

# %%
predicted_without_labels = plain[0].argmax(dim=-1)  # the logits: one class per sentence
predicted_with_labels = supervised[0].argmax(dim=-1)  # the loss: argmax of a scalar
print("predictions from outputs[0], no labels:  ", predicted_without_labels.tolist())
print("predictions from outputs[0], with labels:", predicted_with_labels.tolist())
print("predictions from outputs.logits:         ", supervised.logits.argmax(dim=-1).tolist())
assert predicted_without_labels.tolist() == [1, 0] and predicted_with_labels.tolist() == 0

# %% [markdown]
# This is not a quirk of one class. The task output classes all declare `loss` as their first field;
# here are four of them:

# %%
for output_class in (SequenceClassifierOutput, TokenClassifierOutput, CausalLMOutputWithPast, Seq2SeqLMOutput):
    first_field = dataclasses.fields(output_class)[0].name
    print(f"{output_class.__name__:<25} first field: {first_field}")
    assert first_field == "loss"

# %% [markdown]
# ::: {.callout-warning}
# ## `outputs[0]` is the loss once `labels` are passed
#
# Positional access counts only the fields that are not `None`, and `loss` is declared first in
# every task output class (`SequenceClassifierOutput`, `TokenClassifierOutput`,
# `CausalLMOutputWithPast`, `Seq2SeqLMOutput`, ...). The same line `model(**batch)[0]` returns the
# logits during evaluation and the loss during training. Write `outputs.logits` and `outputs.loss`.
# :::
#
# The opposite mistake is silent too. A model *without* a head has no loss to compute, yet
# `AutoModel`'s forward accepts extra keyword arguments and ignores `labels`:

# %%
with torch.no_grad():
    headless = encoder(**batch, labels=labels)
print("AutoModel with labels:", list(headless.keys()), "| loss:", headless.get("loss"))
assert "loss" not in headless

# %% [markdown]
# ## The output class of each architecture
#
# Every model class declares its output class in the return annotation of `forward`, so it can be
# read without running anything. `typing.get_type_hints` resolves the annotation. The task models
# say `tuple[...] | SomeOutput`: the tuple is what `return_dict=False` gives, as shown at the end of
# the chapter.
#
# Two more catalog models join the encoder: `tiny-gpt2`, a decoder-only GPT-2 with a language-model
# head, and `tiny-t5`, an encoder-decoder trained to translate a small English grammar into German.
# Both are loaded with `attn_implementation="eager"`, for a reason explained below.

# %%
gpt2_tokenizer = AutoTokenizer.from_pretrained(checkpoint("tiny-gpt2"))
gpt2 = load(AutoModelForCausalLM, "tiny-gpt2", attn_implementation="eager")
t5_tokenizer = AutoTokenizer.from_pretrained(checkpoint("tiny-t5"))
t5 = load(AutoModelForSeq2SeqLM, "tiny-t5", attn_implementation="eager")

for model in [encoder, classifier, gpt2, t5]:
    hint = typing.get_type_hints(type(model).forward)["return"]
    print(f"{type(model).__name__:<34} -> {getattr(hint, '__name__', None) or str(hint).replace('transformers.modeling_outputs.', '')}")

# %% [markdown]
# GPT-2's language-model head returns `CausalLMOutputWithCrossAttentions`: like BERT, GPT-2 can be
# configured as the decoder of an encoder-decoder model, so its output class has a slot for
# cross-attention. Most recent decoder-only models (Llama, Mistral, Qwen and their relatives)
# return `CausalLMOutputWithPast` instead, which is the same class minus that one field:

# %%
def field_names(output_class):
    """The fields a ModelOutput class declares, in order."""
    return [field.name for field in dataclasses.fields(output_class)]


print("LlamaForCausalLM ->", typing.get_type_hints(LlamaForCausalLM.forward)["return"].__name__)
print("CausalLMOutputWithPast:           ", field_names(CausalLMOutputWithPast))
print("CausalLMOutputWithCrossAttentions:", field_names(CausalLMOutputWithCrossAttentions))
extra = set(field_names(CausalLMOutputWithCrossAttentions)) - set(field_names(CausalLMOutputWithPast))
print("only in the second:", extra)
assert typing.get_type_hints(LlamaForCausalLM.forward)["return"] is CausalLMOutputWithPast
assert extra == {"cross_attentions"}

# %% [markdown]
# Now give each model an input. GPT-2 reads one sentence of the kind it was trained on. T5 reads an
# English sentence, and its target is the German translation: the tokenizer's `text_target`
# argument turns the target into `labels`. A seq2seq model's decoder needs its own input, the target
# shifted one position to the right behind a start token;
# `prepare_decoder_input_ids_from_labels` builds it, exactly as the model would from `labels`.

# %%
gpt2_inputs = gpt2_tokenizer(["Return a new sorted list from the items in iterable."], return_tensors="pt").to(device)
gpt2_labels = gpt2_inputs["input_ids"]  # a causal LM predicts its own input, shifted inside the loss

t5_batch = t5_tokenizer(["I love deep learning."], text_target=["Ich liebe Deep Learning."], return_tensors="pt").to(device)
t5_labels = t5_batch.pop("labels")
t5_inputs = {**t5_batch, "decoder_input_ids": t5.prepare_decoder_input_ids_from_labels(labels=t5_labels)}

print("GPT-2 input_ids:        ", tuple(gpt2_inputs["input_ids"].shape))
print("T5 input_ids:           ", tuple(t5_inputs["input_ids"].shape))
print("T5 labels:              ", t5_labels.tolist())
print("T5 decoder_input_ids:   ", t5_inputs["decoder_input_ids"].tolist())
assert torch.equal(t5_inputs["decoder_input_ids"][:, 1:], t5_labels[:, :-1])

# %% [markdown]
# The first forward pass of each model, with nothing but the inputs:

# %%
with torch.no_grad():
    first_passes = {
        "encoder (minilm)": encoder(**batch),
        "encoder + head (sentiment)": classifier(**batch),
        "decoder (tiny-gpt2)": gpt2(**gpt2_inputs),
        "seq2seq (tiny-t5)": t5(**t5_inputs),
    }
for label, out in first_passes.items():
    print(f"{label:<27} {type(out).__name__:<45} {list(out.keys())}")

# %% [markdown]
# The decoder and the seq2seq model return a `past_key_values` field even though nobody asked:
# `use_cache` defaults to `True` in their configurations, because generation reuses the cache at
# every step. The encoders have no such field in any setting; they are not decoders.

# %% [markdown]
# ## Which fields appear when
#
# Four switches decide what a pass returns:
#
# - `output_hidden_states=True` adds the hidden states after the embeddings and after every layer;
# - `output_attentions=True` adds every layer's attention weights;
# - `use_cache=False` removes the key/value cache (`True` is the default of decoders);
# - `labels=...` adds the loss, in first position.
#
# The next cell runs every model under every switch and tabulates the fields that came back.

# %%
cases = {
    "encoder (minilm)": (encoder, batch, labels),
    "encoder + head (sentiment)": (classifier, batch, labels),
    "decoder (tiny-gpt2)": (gpt2, gpt2_inputs, gpt2_labels),
    "seq2seq (tiny-t5)": (t5, t5_inputs, t5_labels),
}
switches = {
    "(none)": {},
    "`output_hidden_states=True`": {"output_hidden_states": True},
    "`output_attentions=True`": {"output_attentions": True},
    "`use_cache=False`": {"use_cache": False},
    "`labels=...`": {"labels": None},  # filled in per model
}


def run(model, inputs, case_labels, switch):
    """One forward pass of `model` with the inputs and one switch."""
    kwargs = {key: (case_labels if key == "labels" else value) for key, value in switch.items()}
    with torch.no_grad(), quiet():
        return model(**inputs, **kwargs)


encoder.set_attn_implementation("eager")  # switch the sdpa-loaded encoder to eager (see the callout below)
keys_by_switch = {
    switch_name: {case: list(run(*cases[case], switch).keys()) for case in cases}
    for switch_name, switch in switches.items()
}

# %%
#| label: tbl-fields
#| tbl-cap: "The fields present in the output of each model under each switch (one switch at a time)."
header = "| switch | " + " | ".join(cases) + " |\n|---|" + "---|" * len(cases) + "\n"
rows = "".join(
    f"| {switch_name} | " + " | ".join(", ".join(f"`{k}`" for k in keys[case]) for case in cases) + " |\n"
    for switch_name, keys in keys_by_switch.items()
)
display(Markdown(header + rows))

# %% [markdown]
# Reading @tbl-fields column by column:
#
# - The headless encoder never has `loss` or `past_key_values`; its `labels` row equals its first
#   row, because the argument is ignored.
# - `output_attentions=True` also adds `cross_attentions` to the BERT and GPT-2 outputs, although
#   neither model has cross-attention layers. The field holds an empty tuple, not `None`, so it is
#   present. The classifier's class has no such field, so nothing appears there.
# - For T5 every family of fields comes in encoder and decoder versions:
#   `encoder_hidden_states` and `decoder_hidden_states`, `encoder_attentions`,
#   `decoder_attentions` and the `cross_attentions` through which the decoder reads the encoder.
#   `encoder_last_hidden_state` is always there.
# - `use_cache=False` changes nothing for the encoders and removes `past_key_values` from the others.
#
# The assertions below pin the table's key facts, so that a future transformers version that
# changes them breaks this chapter loudly.

# %%
assert keys_by_switch["`labels=...`"]["encoder (minilm)"] == keys_by_switch["(none)"]["encoder (minilm)"]
for case in ["encoder + head (sentiment)", "decoder (tiny-gpt2)", "seq2seq (tiny-t5)"]:
    assert keys_by_switch["`labels=...`"][case][0] == "loss"
    assert "past_key_values" not in keys_by_switch["`use_cache=False`"][case]
for case in ["decoder (tiny-gpt2)", "seq2seq (tiny-t5)"]:
    assert "past_key_values" in keys_by_switch["(none)"][case]
assert keys_by_switch["`output_attentions=True`"]["encoder (minilm)"][-2:] == ["attentions", "cross_attentions"]
assert keys_by_switch["`output_attentions=True`"]["seq2seq (tiny-t5)"] == [
    "logits", "past_key_values", "decoder_attentions", "cross_attentions",
    "encoder_last_hidden_state", "encoder_attentions",
]
print("all field assertions hold")

# %% [markdown]
# ### The shapes behind the fields
#
# One pass per model with every switch on at once shows what each field holds. Tensors are given by
# their shape; tuples by their length and the shape of their first element; caches by their class.

# %%
def describe(value):
    """A short, device-independent description of one output field."""
    if torch.is_tensor(value):
        return str(tuple(value.shape))
    if isinstance(value, tuple):
        return f"tuple of {len(value)} x {tuple(value[0].shape)}" if value else "empty tuple"
    return type(value).__name__


everything = {
    case: run(model, inputs, case_labels, {"output_hidden_states": True, "output_attentions": True, "labels": None})
    for case, (model, inputs, case_labels) in cases.items()
}

# %%
#| label: tbl-shapes
#| tbl-cap: "What each field holds when `output_hidden_states=True`, `output_attentions=True` and `labels` are passed together."
lines = ["| model | field | holds |", "|---|---|---|"]
for case, out in everything.items():
    lines += [f"| {case} | `{name}` | {describe(value)} |" for name, value in out.items()]
display(Markdown("\n".join(lines)))

# %% [markdown]
# The shapes follow from the structure of each model:
#
# - **Hidden states** come as a tuple with one entry more than the model has layers: the embedding
#   output, then one per layer, each (batch, tokens, hidden size). MiniLM has 6 layers and
#   returns 7; the classifier shares its body; GPT-2 has 5 layers and returns 6; T5 has
#   its own count on each side.
# - **Attention weights** come one per layer, each (batch, heads, query tokens, key tokens): MiniLM
#   has 12 heads.
# - **Cross-attention** in T5 has the target length as queries and the source length as keys.
# - The **loss** is a scalar, `()`, and the **logits** have one score per class (classifier) or per
#   vocabulary entry at every position (GPT-2, T5).

# %%
mini, head, dec, s2s = everything.values()
L = seq_len
assert len(mini.hidden_states) == encoder.config.num_hidden_layers + 1 == 7
assert len(mini.attentions) == encoder.config.num_hidden_layers == 6
assert tuple(mini.attentions[0].shape) == (2, encoder.config.num_attention_heads, L, L) == (2, 12, L, L)
assert mini.cross_attentions == ()
assert mini.hidden_states[-1] is mini.last_hidden_state  # the last entry IS last_hidden_state
assert len(head.hidden_states) == 7 and tuple(head.logits.shape) == (2, 2)

T = gpt2_inputs["input_ids"].shape[1]
assert tuple(dec.logits.shape) == (1, T, gpt2.config.vocab_size)
assert len(dec.hidden_states) == gpt2.config.n_layer + 1 == 6
assert tuple(dec.attentions[0].shape) == (1, gpt2.config.n_head, T, T)
assert dec.loss.dim() == 0 and dec.cross_attentions == ()

S, U = t5_inputs["input_ids"].shape[1], t5_labels.shape[1]
assert tuple(s2s.logits.shape) == (1, U, t5.config.vocab_size)
assert tuple(s2s.encoder_last_hidden_state.shape) == (1, S, t5.config.d_model)
assert len(s2s.encoder_hidden_states) == t5.config.num_layers + 1
assert len(s2s.decoder_hidden_states) == t5.config.num_decoder_layers + 1
assert tuple(s2s.cross_attentions[0].shape) == (1, t5.config.num_heads, U, S)
assert tuple(s2s.encoder_attentions[0].shape) == (1, t5.config.num_heads, S, S)
print("MiniLM: layers", encoder.config.num_hidden_layers, "| heads", encoder.config.num_attention_heads,
      "| tokens", L)
print("GPT-2:  layers", gpt2.config.n_layer, "| heads", gpt2.config.n_head, "| tokens", T,
      "| vocabulary", gpt2.config.vocab_size)
print("T5:     encoder layers", t5.config.num_layers, "| decoder layers", t5.config.num_decoder_layers,
      "| heads", t5.config.num_heads, "| source tokens", S, "| target tokens", U)

# %% [markdown]
# GPT-2's output has no `last_hidden_state` field, but the last entry of `hidden_states` plays that
# role: the language-model head turns it into the logits. Checking that closes the loop between
# the two fields:

# %%
with torch.no_grad():
    logits_by_hand = gpt2.lm_head(dec.hidden_states[-1])
print("max |lm_head(hidden_states[-1]) - logits|:", round((logits_by_hand - dec.logits).abs().max().item(), 4))
assert torch.allclose(logits_by_hand, dec.logits, atol=1e-4)

# %% [markdown]
# ::: {.callout-note}
# ## Attention weights need `attn_implementation="eager"`
#
# In transformers 5, hidden states and attention weights are collected by hooks on the layers, and
# the default attention kernel, PyTorch's fused `sdpa`, never materialises the weights. A model
# loaded with the default therefore answers `output_attentions=True` with a one-time log message
# and an **empty tuple**: the field is present, so `keys()` lists it, but it holds nothing. Load
# with `attn_implementation="eager"`, or switch a loaded model with
# `model.set_attn_implementation("eager")`, as the table's encoder was.
# :::
#
# A freshly loaded MiniLM shows the behaviour, warning included:

# %%
# expected warning: the sdpa model's one-time message about output_attentions, explained above
sdpa_encoder = load(AutoModel, "minilm")
print("attention implementation:", sdpa_encoder.config._attn_implementation)
with torch.no_grad():
    sdpa_out = sdpa_encoder(**batch, output_attentions=True)
print("keys:", list(sdpa_out.keys()))
print("attentions:", sdpa_out.attentions)
assert sdpa_out.attentions == ()

# %% [markdown]
# ### A note on GPT-2's loss
#
# Transformers 5 chooses a model's loss function from its class name, stored as `loss_type`.
# `GPT2LMHeadModel` predates the `...ForCausalLM` naming, so its `loss_type` is `None`; the lookup
# then falls back, with a one-time log message that `quiet()` kept out of the table, to the
# causal-language-model loss, which is the right one. The check: the loss equals the cross-entropy
# of each position's logits against the *next* token.

# %%
with quiet():
    loss_function = gpt2.loss_function
print("loss_type:", gpt2.loss_type, "| loss function:", loss_function.__name__)
by_hand = torch.nn.functional.cross_entropy(dec.logits[0, :-1], gpt2_labels[0, 1:])
print("loss:", round(dec.loss.item(), 3), "| by hand:", round(by_hand.item(), 3))
assert gpt2.loss_type is None and loss_function.__name__ == "ForCausalLMLoss"
assert torch.allclose(dec.loss, by_hand, atol=1e-5)

# %% [markdown]
# ## The cache is an object, not nested tuples
#
# Older tutorials index `past_key_values[layer][0]` to get a layer's keys, because the cache used
# to be a tuple of tuples of tensors. In transformers 5 it is a `Cache` object: a `DynamicCache`
# for GPT-2, and an `EncoderDecoderCache` for T5, which pairs a self-attention cache with a
# cross-attention cache. Indexing it the old way fails; its layers are in `.layers`.

# %%
cache = first_passes["decoder (tiny-gpt2)"].past_key_values
print(type(cache).__name__, "| layers:", len(cache.layers), "| cached tokens:", cache.get_seq_length())
print("layer 0 keys:", tuple(cache.layers[0].keys.shape), "| values:", tuple(cache.layers[0].values.shape))
try:
    cache[0][0]
except TypeError as err:
    print("cache[0][0] -> TypeError:", err)

t5_cache = first_passes["seq2seq (tiny-t5)"].past_key_values
print(type(t5_cache).__name__, "| self-attention:", type(t5_cache.self_attention_cache).__name__,
      "| cross-attention keys of layer 0:", tuple(t5_cache.cross_attention_cache.layers[0].keys.shape))

head_dim = gpt2.config.n_embd // gpt2.config.n_head
assert len(cache.layers) == gpt2.config.n_layer and cache.get_seq_length() == T
assert tuple(cache.layers[0].keys.shape) == (1, gpt2.config.n_head, T, head_dim)
assert t5_cache.cross_attention_cache.layers[0].keys.shape[2] == S

# %% [markdown]
# The cache holds, for every layer, the keys and values of every token seen so far, split into
# heads: (batch, heads, tokens, head size). T5's cross-attention cache stores the keys computed
# from the source sentence, so its third dimension is the source length. How generation reuses the
# cache is the subject of @sec-decoder-generation.

# %% [markdown]
# ## `return_dict=False`: a plain tuple
#
# Every model also accepts `return_dict=False`, and then returns a plain Python `tuple`. In
# transformers 5 this is implemented in one place, the decorator `@can_return_tuple` on `forward`,
# which calls `to_tuple()` on the finished output. The tuple therefore follows the same rule: `None`
# fields are skipped, and the loss comes first when labels are given.

# %%
print(inspect.getsource(type(classifier).forward).splitlines()[0].strip())
with torch.no_grad():
    as_output = classifier(**batch, labels=labels, output_hidden_states=True)
    as_tuple = classifier(**batch, labels=labels, output_hidden_states=True, return_dict=False)
print(type(as_tuple).__name__, "of", len(as_tuple), "->", [describe(value) for value in as_tuple])
print("same order as keys():", list(as_output.keys()))

assert isinstance(as_tuple, tuple) and len(as_tuple) == len(as_output.to_tuple()) == 3
assert torch.equal(as_tuple[0], as_output.loss) and torch.equal(as_tuple[1], as_output.logits)
assert all(torch.equal(a, b) for a, b in zip(as_tuple[2], as_output.hidden_states))

# %% [markdown]
# The tuple keeps whatever objects the fields held, so a decoder's tuple carries the `Cache` object
# itself, not tuples of tensors:

# %%
with torch.no_grad():
    gpt2_tuple = gpt2(**gpt2_inputs, return_dict=False)
print([describe(value) for value in gpt2_tuple])
assert isinstance(gpt2_tuple[1], transformers.DynamicCache)

# %% [markdown]
# The switch also lives in the configuration, `config.return_dict`, which applies to every call
# that does not pass `return_dict` itself. Tuples exist for code that predates `ModelOutput` and for
# tools that trace or export models; in new code, the named fields are the better interface.

# %%
classifier.config.return_dict = False
with torch.no_grad():
    from_config = classifier(**batch)
classifier.config.return_dict = True  # restore the default
print("config.return_dict=False ->", type(from_config).__name__, "of", len(from_config))
assert isinstance(from_config, tuple)

# %% [markdown]
# ## Summary
#
# | Structure | What the forward pass returns | How to read it |
# |---|---|---|
# | Encoder without head (MiniLM) | `BaseModelOutputWithPoolingAndCrossAttentions` | `last_hidden_state` (batch, tokens, 384), `pooler_output` (batch, 384) |
# | Encoder + classification head | `SequenceClassifierOutput` | `logits` (batch, classes); `loss` with `labels` |
# | Decoder + LM head (GPT-2) | `CausalLMOutputWithCrossAttentions` (Llama-style: `CausalLMOutputWithPast`) | `logits` (batch, tokens, vocabulary), `past_key_values` (a `DynamicCache`) |
# | Encoder-decoder (T5) | `Seq2SeqLMOutput` | `logits` over the target, `encoder_last_hidden_state`, `past_key_values` (an `EncoderDecoderCache`) |
# | Every layer's output | `output_hidden_states=True` | tuple of layers + 1, the embeddings first |
# | Every layer's attention | `output_attentions=True` with eager attention | tuple of layers, each (batch, heads, queries, keys) |
# | Targets | `labels=...` | `loss`, a scalar, at index 0 |
# | Legacy interface | `return_dict=False` | the same values as `to_tuple()` |
#
# A `ModelOutput` is a dataclass, an ordered dictionary of the fields that are not `None`, and a
# tuple of the same values when indexed by position. Name the fields: `outputs.logits` means the
# same thing in every setting, while `outputs[0]` changes meaning the moment labels are passed.

# %% [markdown]
# ## Exercises
#
# **Exercise 4.1.** Run `gpt2` on `gpt2_inputs` with `labels=gpt2_labels`,
# `output_hidden_states=True` and `use_cache=False`. Which keys does the output have, in order?
# Answer with a list of strings.

# %%
check("04.1", None)

# %%
#| code-fold: true
#| code-summary: "Solution"
with torch.no_grad(), quiet():
    exercise_out = gpt2(**gpt2_inputs, labels=gpt2_labels, output_hidden_states=True, use_cache=False)
check("04.1", list(exercise_out.keys()))

# %% [markdown]
# **Exercise 4.2.** Call `classifier` on `batch` with `labels=labels`, `output_hidden_states=True`,
# `output_attentions=True` and `return_dict=False`. At which index of the returned tuple are the
# attention weights? Answer with an `int`, found without counting by hand.

# %%
check("04.2", None)

# %%
#| code-fold: true
#| code-summary: "Solution"
with torch.no_grad():
    exercise_named = classifier(**batch, labels=labels, output_hidden_states=True, output_attentions=True)
check("04.2", list(exercise_named.keys()).index("attentions"))

# %% [markdown]
# **Exercise 4.3.** Translate-style input for T5: the source "The dog sees the man." and the target
# "Der Hund sieht den Mann.". With `output_attentions=True`, what is the shape of the first layer's
# cross-attention weights? Answer with a list of four ints.

# %%
check("04.3", None)

# %%
#| code-fold: true
#| code-summary: "Solution"
dog = t5_tokenizer(["The dog sees the man."], text_target=["Der Hund sieht den Mann."], return_tensors="pt").to(device)
with torch.no_grad():
    dog_out = t5(**dog, output_attentions=True)
check("04.3", list(dog_out.cross_attentions[0].shape))
