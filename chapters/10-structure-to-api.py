# %% [markdown]
# # From structure to API: the map {#sec-map}
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/structure-to-api/structure-to-api/blob/main/notebooks/10-structure-to-api.ipynb) [Download this notebook](https://github.com/structure-to-api/structure-to-api/raw/main/notebooks/10-structure-to-api.ipynb)
#
# Nine chapters took the Transformer apart one piece at a time: the tokenizer, the checkpoint and
# its Auto class, the output object, the encoder and its heads, the decoder and its loop, the
# encoder-decoder, attention, and the loss. This chapter puts the pieces back on one page: a table
# that maps each piece of structure to the call that reaches it and the output field that holds it.
# A table like this goes stale quietly, because libraries change and nobody re-reads it. So every
# row here is also a check that runs on a catalog model and asserts what the structure predicts; the
# table is written by code, from the rows, only after every check has passed, and it shows the
# shapes that were observed rather than the shapes someone remembered.
#
# **You will learn**
#
# - which tokenizer call, model class and output field correspond to each part of a Transformer,
#   from tokenization to the loss, for encoder-only, decoder-only and encoder-decoder models;
# - what every field looks like for one sentence, read off three catalog models in one run;
# - how to write documentation as executable checks, so that a changed library breaks a test
#   instead of silently falsifying a table;
# - where each row is explained in detail, and where to go after this book.

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
# The three catalog models that stand for the three families: `minilm` (encoder-only, a BERT),
# `tiny-gpt2` (decoder-only, a GPT-2) and `tiny-t5` (encoder-decoder, a T5), plus the `sentiment`
# classifier for the one row that needs a trained head. All three base models are loaded with
# `attn_implementation="eager"`, because four rows of the map read attention weights, which the
# default attention kernel does not return (@sec-model-outputs). Load reports are silenced: they are
# not the subject here.

# %%
import dataclasses
from collections.abc import Callable

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
import transformers
from IPython.display import Markdown, display
from matplotlib.patches import FancyBboxPatch
from transformers import (
    AutoConfig,
    AutoModel,
    AutoModelForCausalLM,
    AutoModelForSeq2SeqLM,
    AutoModelForSequenceClassification,
    AutoTokenizer,
    BatchEncoding,
    DynamicCache,
    EncoderDecoderCache,
    pipeline,
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


bert_tokenizer = AutoTokenizer.from_pretrained(checkpoint("minilm"))
bert = load(AutoModel, "minilm", attn_implementation="eager")
classifier = load(AutoModelForSequenceClassification, "sentiment")
gpt_tokenizer = AutoTokenizer.from_pretrained(checkpoint("tiny-gpt2"))
gpt = load(AutoModelForCausalLM, "tiny-gpt2", attn_implementation="eager")
t5_tokenizer = AutoTokenizer.from_pretrained(checkpoint("tiny-t5"))
t5 = load(AutoModelForSeq2SeqLM, "tiny-t5", attn_implementation="eager")

for name, model in [("minilm", bert), ("sentiment", classifier), ("tiny-gpt2", gpt), ("tiny-t5", t5)]:
    print(f"{name:<10} {type(model).__name__:<35} {model.config.model_type:<5} "
          f"parameters: {sum(p.numel() for p in model.parameters()):,}")

# %% [markdown]
# ## One sentence, three tokenizers
#
# The map follows one sentence, "I love deep learning.", through all three models. It starts where
# every model starts: each model has its own tokenizer, and the same text becomes different pieces
# and different ids in each. An id means something only to the embedding table it was made for.

# %%
sentence = "I love deep learning."
target = "Ich liebe Deep Learning."  # what tiny-t5 was trained to translate the sentence into
for name, tokenizer in [("minilm", bert_tokenizer), ("tiny-gpt2", gpt_tokenizer), ("tiny-t5", t5_tokenizer)]:
    ids = tokenizer(sentence)["input_ids"]
    print(f"{name:<10} {len(ids)} ids {ids}")
    print(f"{'':<10} {tokenizer.convert_ids_to_tokens(ids)}")

# %% [markdown]
# WordPiece (MiniLM) adds `[CLS]` and `[SEP]`, SentencePiece Unigram (T5) appends `</s>`, and the
# byte-level BPE of GPT-2 adds nothing and marks spaces with `Ġ` (@sec-tokenization).
#
# The vocabulary matters too. `tiny-gpt2` learned its 4,096 pieces from the documentation that ships
# with Python, where "love" and "deep learning" are rare, so it cuts this sentence into more pieces
# than MiniLM does, even counting MiniLM's two special tokens. The model inputs for the rest of the
# chapter:

# %%
bert_inputs = bert_tokenizer(sentence, return_tensors="pt").to(device)
gpt_inputs = gpt_tokenizer(sentence, return_tensors="pt").to(device)
t5_inputs = t5_tokenizer(sentence, return_tensors="pt").to(device)
t5_labels = t5_tokenizer(text_target=target, return_tensors="pt")["input_ids"].to(device)

L = bert_inputs["input_ids"].shape[1]  # MiniLM tokens
T = gpt_inputs["input_ids"].shape[1]  # GPT-2 tokens
S, U = t5_inputs["input_ids"].shape[1], t5_labels.shape[1]  # T5 source and target tokens
print(f"MiniLM: {L} tokens | GPT-2: {T} tokens | T5: {S} source tokens, {U} target tokens")
assert bert_inputs["input_ids"][0, [0, -1]].tolist() == [bert_tokenizer.cls_token_id, bert_tokenizer.sep_token_id]
assert t5_inputs["input_ids"][0, -1] == t5_tokenizer.eos_token_id
assert gpt_tokenizer.decode(gpt_inputs["input_ids"][0]) == sentence  # nothing added: an exact round trip
assert len(gpt_tokenizer) == 4096 and T > L  # more pieces than MiniLM, [CLS] and [SEP] included

# %% [markdown]
# ## Every row is a check
#
# A row of the map has five parts: the piece of **structure**, the **API** that reaches it, the
# **field** that holds the result, the **checkpoint** it was checked on, and the **chapters** that
# explain it. The sixth part makes it trustworthy: a **check**, a function that makes the call,
# asserts what the structure predicts, and returns what it observed.
#
# The assertions are written in terms of the model's configuration wherever possible: "hidden
# states are one more than `config.num_hidden_layers`", not "7". A literal appears only where the
# value itself is the point, such as the ids of bert-base-uncased's vocabulary.
#
# The decorator `row` registers a check together with its description. Nothing runs yet.

# %%
@dataclasses.dataclass
class Row:
    """One line of the map: a piece of structure, how to reach it, and a check that it is so."""

    structure: str
    api: str
    field: str
    checkpoint: str
    chapters: list[str]
    check: Callable[[], str]


ROWS: list[Row] = []


def row(structure, api, field, checkpoint_name, chapters):
    """Register the decorated function as the check of a new row of the map."""
    def register(check_function):
        ROWS.append(Row(structure, api, field, checkpoint_name, chapters, check_function))
        return check_function
    return register


def shape(tensor):
    """A tensor's shape as a tuple of ints, e.g. (1, 7, 384)."""
    return tuple(tensor.shape)


def per_layer(tensors):
    """A tuple of same-shaped tensors described as 'count × shape'."""
    assert len({shape(t) for t in tensors}) == 1, "every entry should have the same shape"
    return f"{len(tensors)} × {shape(tensors[0])}"


def forward(model, inputs, **options):
    """One forward pass without gradients, quietly (GPT-2's loss lookup logs a note, see @sec-model-outputs)."""
    with torch.no_grad(), quiet():
        return model(**inputs, **options)


# %% [markdown]
# ### Text in: tokens, ids and the padding mask
#
# Three rows cover the tokenizer: the call itself, the ids it produces, and the mask that
# tells attention which positions are padding. The mask's check goes one step further than
# @sec-tokenization: it looks inside the encoder and asserts that the attention weights on padded
# positions are exactly zero, which is what "padding mask" means structurally.

# %%
@row("Tokenization", "`AutoTokenizer.from_pretrained(path)`, then `tokenizer(text)`", "`BatchEncoding`",
     "minilm", ["@sec-pipeline", "@sec-tokenization"])
def check_tokenization():
    """the tokenizer returns a BatchEncoding with the three BERT inputs"""
    encoded = bert_tokenizer(sentence)
    assert isinstance(encoded, BatchEncoding)
    assert list(encoded.keys()) == ["input_ids", "token_type_ids", "attention_mask"]
    return ", ".join(f"`{key}`" for key in encoded.keys())


@row("Token ids", "`encoded[\"input_ids\"]`, `convert_ids_to_tokens`", "`input_ids`", "minilm",
     ["@sec-tokenization"])
def check_ids():
    """[CLS] + 5 WordPiece ids of bert-base-uncased + [SEP]"""
    ids = bert_inputs["input_ids"]
    assert ids[0].tolist() == [101, 1045, 2293, 2784, 4083, 1012, 102]
    assert ids[0, 0] == bert_tokenizer.cls_token_id and ids[0, -1] == bert_tokenizer.sep_token_id
    return str(shape(ids))


padded = bert_tokenizer([sentence, "Attention lets every token look at every other token."],
                        padding=True, return_tensors="pt").to(device)


@row("Padding mask", "`tokenizer(texts, padding=True)`", "`attention_mask`", "minilm",
     ["@sec-tokenization", "@sec-attention"])
def check_padding_mask():
    """0 exactly at [PAD]; attention weights on padded keys are 0 in every layer and head"""
    mask = padded["attention_mask"]
    assert torch.equal(mask == 0, padded["input_ids"] == bert_tokenizer.pad_token_id)
    attentions = forward(bert, padded, output_attentions=True).attentions
    hidden = mask[0] == 0  # the padded positions of the short sentence
    assert hidden.any()
    assert all(layer[0][..., hidden].abs().max().item() == 0 for layer in attentions)
    return f"{shape(mask)}, {int(hidden.sum())} padded positions in row 0"


# %% [markdown]
# ### Models: one class per family
#
# The checkpoint's configuration names the architecture; the Auto class picks the model class from
# it and decides what sits on top of the backbone (@sec-auto-classes). `pipeline` packs tokenizer,
# model and post-processing into one call (@sec-pipeline).

# %%
@row("The whole path, text to label", "`pipeline(\"text-classification\", model=path)`",
     "list of `{label, score}`", "sentiment", ["@sec-pipeline"])
def check_pipeline():
    """the pipeline's label is the arg-max of the classifier's logits"""
    classify = pipeline("text-classification", model=classifier, tokenizer=bert_tokenizer)
    answer = classify(sentence)
    logits = forward(classifier, bert_inputs).logits
    assert len(answer) == 1 and set(answer[0]) == {"label", "score"}
    assert answer[0]["label"] == classifier.config.id2label[int(logits.argmax())]
    return f"1 dict, label {answer[0]['label']}"


@row("Checkpoint configuration", "`AutoConfig.from_pretrained(path)`, `model.config`",
     "`model_type`, sizes", "minilm", ["@sec-auto-classes"])
def check_config():
    """the config file names the architecture and its sizes"""
    config = AutoConfig.from_pretrained(checkpoint("minilm"))
    assert type(config).__name__ == "BertConfig" and config.model_type == "bert"
    sizes = ("num_hidden_layers", "hidden_size", "num_attention_heads", "vocab_size")
    assert all(getattr(config, size) == getattr(bert.config, size) for size in sizes)  # the model was built from it
    return (f"`{config.model_type}`: {config.num_hidden_layers} layers, hidden {config.hidden_size}, "
            f"{config.num_attention_heads} heads")


@row("Encoder-only backbone", "`AutoModel`", "`last_hidden_state`, `pooler_output`", "minilm",
     ["@sec-auto-classes", "@sec-encoder-heads"])
def check_encoder_backbone():
    """AutoModel maps model_type bert to BertModel: no head, no loss, no cache"""
    out = forward(bert, bert_inputs, labels=torch.tensor([1], device=device))
    assert type(bert).__name__ == "BertModel"
    assert list(out.keys()) == ["last_hidden_state", "pooler_output"]  # labels are ignored: no head
    return f"`{type(bert).__name__}` → `{type(out).__name__}`"


@row("Encoder + classification head", "`AutoModelForSequenceClassification`", "`logits`", "sentiment",
     ["@sec-pipeline", "@sec-encoder-heads"])
def check_classifier():
    """one score per label for each sentence"""
    logits = forward(classifier, bert_inputs).logits
    assert shape(logits) == (1, classifier.config.num_labels)
    return f"{shape(logits)}, labels {list(classifier.config.id2label.values())}"


@row("Decoder-only language model", "`AutoModelForCausalLM`", "`logits`", "tiny-gpt2",
     ["@sec-decoder-generation"])
def check_decoder_lm():
    """one score per vocabulary entry at every position"""
    out = forward(gpt, gpt_inputs)
    assert type(gpt).__name__ == "GPT2LMHeadModel"
    assert shape(out.logits) == (1, T, gpt.config.vocab_size)
    return f"`{type(gpt).__name__}`, `logits` {shape(out.logits)}"


@row("Encoder-decoder language model", "`AutoModelForSeq2SeqLM`, `labels=` or `decoder_input_ids=`",
     "`logits`, `encoder_last_hidden_state`", "tiny-t5", ["@sec-encoder-decoder"])
def check_seq2seq_lm():
    """target-length logits over the vocabulary; source-length encoder states"""
    out = forward(t5, t5_inputs, labels=t5_labels)
    assert type(t5).__name__ == "T5ForConditionalGeneration"
    assert shape(out.logits) == (1, U, t5.config.vocab_size)
    assert shape(out.encoder_last_hidden_state) == (1, S, t5.config.d_model)
    return f"`logits` {shape(out.logits)}, `encoder_last_hidden_state` {shape(out.encoder_last_hidden_state)}"


# %% [markdown]
# ### Inside the forward pass: states and attention
#
# The fields that describe what happens inside the network: one vector per token after the last
# layer, the same after every layer, and the attention weights of every layer. Two rows check a mask
# rather than a shape: in a decoder, every weight above the diagonal is zero (no token sees its
# future); in the encoder-decoder, the cross-attention has target positions as queries and source
# positions as keys.

# %%
bert_out = forward(bert, bert_inputs, output_hidden_states=True, output_attentions=True)
gpt_out = forward(gpt, gpt_inputs, output_hidden_states=True, output_attentions=True, labels=gpt_inputs["input_ids"])
t5_out = forward(t5, t5_inputs, output_hidden_states=True, output_attentions=True, labels=t5_labels)


@row("Token states (contextual vectors)", "`model(**inputs)`", "`last_hidden_state`", "minilm",
     ["@sec-model-outputs", "@sec-encoder-heads"])
def check_token_states():
    """one hidden-size vector per token"""
    assert shape(bert_out.last_hidden_state) == (1, L, bert.config.hidden_size)
    return str(shape(bert_out.last_hidden_state))


@row("Pooled `[CLS]` vector", "`model(**inputs)`, `model.pooler`", "`pooler_output`", "minilm",
     ["@sec-encoder-heads"])
def check_pooler():
    """the [CLS] state through dense + tanh"""
    by_hand = torch.tanh(bert.pooler.dense(bert_out.last_hidden_state[:, 0]))
    assert torch.allclose(by_hand, bert_out.pooler_output, atol=1e-5)
    return str(shape(bert_out.pooler_output))


@row("Per-layer hidden states", "`output_hidden_states=True`", "`hidden_states`", "minilm",
     ["@sec-model-outputs"])
def check_hidden_states():
    """embeddings + one per layer; the last one is last_hidden_state"""
    states = bert_out.hidden_states
    assert len(states) == bert.config.num_hidden_layers + 1
    assert states[-1] is bert_out.last_hidden_state
    return per_layer(states)


@row("Attention weights", "`attn_implementation=\"eager\"`, `output_attentions=True`", "`attentions`",
     "minilm", ["@sec-model-outputs", "@sec-attention"])
def check_attentions():
    """one (batch, heads, queries, keys) tensor per layer; each row sums to 1"""
    weights = bert_out.attentions
    assert len(weights) == bert.config.num_hidden_layers
    assert shape(weights[0]) == (1, bert.config.num_attention_heads, L, L)
    assert torch.allclose(weights[0].sum(dim=-1), torch.ones(1, device=device), atol=1e-5)
    return per_layer(weights)


@row("Causal mask (decoder self-attention)", "`output_attentions=True`", "`attentions`", "tiny-gpt2",
     ["@sec-decoder-generation", "@sec-attention"])
def check_causal_mask():
    """every weight above the diagonal is 0 (the encoder has none that are)"""
    future = torch.ones(T, T, dtype=torch.bool, device=device).triu(diagonal=1)
    assert all(layer[..., future].abs().max().item() == 0 for layer in gpt_out.attentions)
    assert bert_out.attentions[0][..., torch.ones(L, L, dtype=torch.bool, device=device).triu(1)].min() > 0
    return per_layer(gpt_out.attentions) + ", upper triangle 0"


@row("Cross-attention", "`output_attentions=True` on an encoder-decoder", "`cross_attentions`", "tiny-t5",
     ["@sec-encoder-decoder", "@sec-attention"])
def check_cross_attention():
    """target positions query source positions, in every decoder layer"""
    weights = t5_out.cross_attentions
    assert len(weights) == t5.config.num_decoder_layers
    assert shape(weights[0]) == (1, t5.config.num_heads, U, S)
    assert len(t5_out.encoder_attentions) == t5.config.num_layers
    return per_layer(weights)


# %% [markdown]
# ### Generation, the cache and the loss
#
# The last rows are about using the logits: turning the last position's scores into a next token,
# looping that into `generate()`, keeping keys and values in the cache, and comparing the logits
# with known targets to get a loss. Both losses are checked against a cross-entropy computed by
# hand; they differ in who shifts the targets. A causal LM receives `labels` equal to its
# `input_ids` and shifts inside the loss; a seq2seq model shifts `labels` to the right to build its
# `decoder_input_ids`, and compares position by position.

# %%
@row("Next-token distribution", "`softmax(logits[:, -1])`", "`logits`", "tiny-gpt2",
     ["@sec-decoder-generation"])
def check_next_token():
    """the last position's scores are a distribution over the whole vocabulary"""
    probs = torch.softmax(gpt_out.logits[:, -1], dim=-1)
    assert shape(probs) == (1, gpt.config.vocab_size)
    assert abs(probs.sum().item() - 1) < 1e-4
    return f"{shape(probs)}, sums to 1"


@row("Autoregressive generation", "`model.generate(**inputs, max_new_tokens=8, do_sample=False)`",
     "ids: prompt + new tokens", "tiny-gpt2", ["@sec-decoder-generation"])
def check_generate():
    """the prompt comes back first; the first new token is the arg-max of the last logits, end-of-text barred"""
    ids = gpt.generate(**gpt_inputs, max_new_tokens=8, min_new_tokens=8, do_sample=False)
    assert shape(ids) == (1, T + 8)
    assert torch.equal(ids[:, :T], gpt_inputs["input_ids"])
    # After a full sentence the model's favourite is <|endoftext|>; min_new_tokens=8 sets its score to -inf.
    last = gpt_out.logits[0, -1].clone()
    last[gpt_tokenizer.eos_token_id] = float("-inf")
    assert ids[0, T] == last.argmax()
    return str(shape(ids))


@row("Translation (encoder-decoder generation)", "`model.generate(**inputs)`, `tokenizer.decode`",
     "ids: start token + target", "tiny-t5", ["@sec-encoder-decoder"])
def check_translate():
    """the decoder starts from decoder_start_token_id and writes the German sentence"""
    ids = t5.generate(**t5_inputs)
    assert ids[0, 0] == t5.config.decoder_start_token_id
    assert t5_tokenizer.decode(ids[0], skip_special_tokens=True) == target
    return f"{shape(ids)}: \"{t5_tokenizer.decode(ids[0], skip_special_tokens=True)}\""


@row("KV cache", "`use_cache=True` (the default for decoders)", "`past_key_values`", "tiny-gpt2",
     ["@sec-model-outputs", "@sec-decoder-generation"])
def check_kv_cache():
    """a DynamicCache: per layer, keys and values of shape (batch, heads, tokens, head size)"""
    cache = forward(gpt, gpt_inputs).past_key_values
    head_size = gpt.config.n_embd // gpt.config.n_head
    assert isinstance(cache, DynamicCache) and len(cache.layers) == gpt.config.n_layer
    assert shape(cache.layers[0].keys) == shape(cache.layers[0].values) == (1, gpt.config.n_head, T, head_size)
    assert isinstance(t5_out.past_key_values, EncoderDecoderCache)
    return f"`DynamicCache`, {len(cache.layers)} layers × keys {shape(cache.layers[0].keys)}"


@row("Loss, causal LM", "`labels=input_ids`", "`loss`", "tiny-gpt2", ["@sec-labels-and-loss"])
def check_causal_loss():
    """cross-entropy of position t's logits against token t+1"""
    by_hand = F.cross_entropy(gpt_out.logits[0, :-1], gpt_inputs["input_ids"][0, 1:])
    assert gpt_out.loss.dim() == 0 and torch.allclose(gpt_out.loss, by_hand, atol=1e-5)
    return f"{shape(gpt_out.loss)}, a scalar"


@row("Loss, encoder-decoder (teacher forcing)", "`labels=target_ids`", "`loss`", "tiny-t5",
     ["@sec-encoder-decoder", "@sec-labels-and-loss"])
def check_seq2seq_loss():
    """decoder_input_ids are the labels shifted right; the loss compares position by position"""
    shifted = t5.prepare_decoder_input_ids_from_labels(labels=t5_labels)
    assert shifted[0, 0] == t5.config.decoder_start_token_id and torch.equal(shifted[:, 1:], t5_labels[:, :-1])
    by_hand = F.cross_entropy(t5_out.logits[0], t5_labels[0])
    assert t5_out.loss.dim() == 0 and torch.allclose(t5_out.loss, by_hand, atol=1e-5)
    return f"{shape(t5_out.loss)}, a scalar"


print(len(ROWS), "rows registered")

# %% [markdown]
# ## Run every check, then build the map
#
# The checks run in order. Any failed assertion stops the notebook here, before the table exists:
# a row that is no longer true cannot be printed. Each check's docstring says what it asserted.

# %%
observed = {}
for entry in ROWS:
    observed[entry.structure] = entry.check()
    print(f"passed  {entry.structure:<42} {entry.check.__doc__}")
assert len(observed) == len(ROWS)

# %% [markdown]
# Every check passed, so the map can be written. The *observed* column is what the checks returned
# for "I love deep learning." (and, for the padding row, a second, longer sentence); the last
# column points to the chapter that explains the row.

# %%
#| label: tbl-map
#| tbl-cap: "The map from Transformer structure to the Hugging Face API. Every row was checked on the catalog model named in it before this table was written; *observed* is what the check saw for the chapter's sentence."
lines = ["| Structure | API | Field | Checked on | Observed | Chapter |", "|---|---|---|---|---|---|"]
for entry in ROWS:
    chapters = ", ".join(entry.chapters)
    lines.append(f"| {entry.structure} | {entry.api} | {entry.field} | `{entry.checkpoint}` "
                 f"| {observed[entry.structure]} | {chapters} |")
display(Markdown("\n".join(lines)))

# %% [markdown]
# Read @tbl-map by family. The encoder rows (MiniLM) return one 384-dimensional vector per token,
# 7 hidden states for 6 layers, and square attention maps of 12 heads. The decoder rows (GPT-2) return
# scores over the whole vocabulary at every position, attention maps with an empty upper triangle,
# and a cache with one entry per layer. The encoder-decoder rows (T5) have two lengths, the source
# and the target, and the cross-attention is the one field whose shape mixes them.
#
# The rows are deliberately redundant with the chapters they point to. A chapter explains; the
# map lets you find the explanation from the name of a field you met in someone else's code.

# %% [markdown]
# ## One forward pass, every field
#
# The encoder-decoder is the family with the most fields, and one call returns them all: pass
# `labels`, `output_hidden_states=True` and `output_attentions=True` to `tiny-t5`, and the output
# holds the loss, the logits, the cache, and the hidden states and attention weights of both halves.

# %%
def describe(value):
    """A short, device-independent description of one output field."""
    if torch.is_tensor(value):
        return str(shape(value))
    if isinstance(value, tuple):
        return per_layer(value)
    return type(value).__name__


fields = {name: describe(value) for name, value in t5_out.items()}
print(type(t5_out).__name__)
for name, described in fields.items():
    print(f"  {name:<26} {described}")
assert list(fields) == ["loss", "logits", "past_key_values", "decoder_hidden_states", "decoder_attentions",
                        "cross_attentions", "encoder_last_hidden_state", "encoder_hidden_states",
                        "encoder_attentions"]

# %% [markdown]
# @fig-forward-pass places each field where the structure produces it: the encoder reads the
# source once; the decoder reads the target shifted right, attends to its own past and, through
# cross-attention, to the encoder's last states; the LM head scores every target position; the loss
# compares those scores with `labels`. The labels in the figure are the descriptions printed above,
# so the figure cannot disagree with the run.

# %%
#| label: fig-forward-pass
#| fig-cap: "One forward pass of `tiny-t5` on the chapter's sentence with `labels`, `output_hidden_states=True` and `output_attentions=True`: where each output field comes from, with the shape the run produced."
#| fig-alt: "Diagram in two columns. Left, the encoder: input_ids and attention_mask enter the encoder blocks, which produce encoder_hidden_states, encoder_attentions and encoder_last_hidden_state. Right, the decoder: labels shifted right become decoder_input_ids, which enter the decoder blocks; an arrow from encoder_last_hidden_state into the decoder blocks is labelled cross_attentions. The decoder blocks produce decoder_hidden_states, decoder_attentions and past_key_values, then the LM head produces logits, and logits compared with labels give the loss. Every box carries the shape observed in the run."
def box(ax, x, y, title, lines, color, width=4.4, height=0.9):
    """Draw a rounded box centred at (x, y): a bold title, then smaller lines of detail."""
    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height, boxstyle="round,pad=0.05",
                                facecolor=color, edgecolor="0.3", linewidth=1))
    top = y + 0.15 * len(lines)
    ax.text(x, top, title, ha="center", va="center", fontsize=10, fontweight="bold")
    for number, line in enumerate(lines, start=1):
        ax.text(x, top - 0.32 * number, line, ha="center", va="center", fontsize=8.5, family="monospace")


def arrow(ax, start, end):
    """Draw an arrow from start to end."""
    ax.annotate("", xy=end, xytext=start, arrowprops=dict(arrowstyle="-|>", color="0.3", linewidth=1.2))


inputs_color, block_color, field_color, loss_color = "#e8eef7", "#d9ead3", "#fff2cc", "#f4cccc"
fig, ax = plt.subplots(figsize=(12, 8))
ax.set_xlim(0, 12)
ax.set_ylim(0, 9.2)
ax.axis("off")
ENC, DEC = 2.6, 9.0  # the two columns

ax.text(ENC, 9.0, "encoder", ha="center", fontsize=12, fontweight="bold")
ax.text(DEC, 9.0, "decoder", ha="center", fontsize=12, fontweight="bold")
box(ax, ENC, 8.2, "input_ids, attention_mask", [str(shape(t5_inputs["input_ids"]))], inputs_color)
box(ax, ENC, 6.2, f"{t5.config.num_layers} encoder blocks",
    ["self-attention + feed-forward",
     f"encoder_hidden_states {fields['encoder_hidden_states']}",
     f"encoder_attentions {fields['encoder_attentions']}"], block_color, height=1.9)
box(ax, ENC, 4.0, "encoder_last_hidden_state", [fields["encoder_last_hidden_state"]], field_color)
arrow(ax, (ENC, 7.7), (ENC, 7.2))
arrow(ax, (ENC, 5.2), (ENC, 4.5))

box(ax, DEC, 8.2, "labels → decoder_input_ids", [f"{shape(t5_labels)}, shifted right"], inputs_color, width=4.8)
box(ax, DEC, 4.0, f"{t5.config.num_decoder_layers} decoder blocks",
    ["causal self-attention + cross-attention + FFN",
     f"decoder_hidden_states {fields['decoder_hidden_states']}",
     f"decoder_attentions {fields['decoder_attentions']}",
     f"past_key_values {fields['past_key_values']}"], block_color, width=4.8, height=2.1)
box(ax, DEC, 1.75, "logits (LM head)", [fields["logits"]], field_color, width=4.8)
box(ax, DEC, 0.5, "loss", [f"{fields['loss']}: cross-entropy of logits vs labels"], loss_color, width=4.8)
arrow(ax, (DEC, 7.7), (DEC, 5.1))
arrow(ax, (DEC, 2.9), (DEC, 2.25))
arrow(ax, (DEC, 1.25), (DEC, 0.98))

arrow(ax, (ENC + 2.25, 4.0), (DEC - 2.45, 4.0))  # the encoder's states feed every decoder block
ax.text((ENC + DEC) / 2 - 0.1, 4.25, "cross_attentions", ha="center", fontsize=9, fontweight="bold")
ax.text((ENC + DEC) / 2 - 0.1, 3.7, fields["cross_attentions"], ha="center", fontsize=8.5, family="monospace")
plt.show()

# %% [markdown]
# ## A map that can go stale, and the checks that notice
#
# Maps copied from older tutorials contain rows that were true once. Two examples, each written as
# a check in the same style as the rows above, and run against transformers as installed:
#
# - "`output_attentions=True` returns the attention weights": true only for a model whose attention
#   is computed by the eager implementation. The chapter's `sentiment` classifier was loaded with
#   the default, and for it the field is an empty tuple (@sec-model-outputs).
# - "`past_key_values[layer][0]` is a layer's keys": true while the cache was nested tuples. In
#   transformers 5 the cache is a `Cache` object (@sec-decoder-generation).

# %%
def old_claim_default_attention():
    """output_attentions=True returns weights with the default attention implementation"""
    # `classifier` was loaded without attn_implementation, so it runs the default kernel
    weights = forward(classifier, bert_inputs, output_attentions=True).attentions
    assert len(weights) == classifier.config.num_hidden_layers, (
        f"{classifier.config._attn_implementation!r} attention returned {len(weights)} tensors")


def old_claim_cache_tuples():
    """past_key_values[0][0] is layer 0's keys"""
    cache = forward(gpt, gpt_inputs).past_key_values
    assert shape(cache[0][0]) == (1, gpt.config.n_head, T, gpt.config.n_embd // gpt.config.n_head)


verdicts = {}
for claim in [old_claim_default_attention, old_claim_cache_tuples]:
    try:
        claim()
        verdicts[claim.__name__] = "holds"
    except (AssertionError, TypeError) as err:
        verdicts[claim.__name__] = f"fails, {type(err).__name__}"
        print(f"{claim.__doc__}\n  -> {type(err).__name__}: {err}")
assert set(verdicts.values()) == {"fails, AssertionError", "fails, TypeError"}

# %% [markdown]
# Both fail, loudly and with a reason. That is the point of writing the map as checks: when a
# library changes, the row that stopped being true is named by a failing assertion, instead of
# surviving in a table that nobody re-reads. The same habit serves your own notes and
# documentation: state a shape, and assert it next to the statement.

# %% [markdown]
# ## Reading someone else's code with the map
#
# The map also works backwards, from code to structure. Faced with an unfamiliar snippet, ask four
# questions, and each has an answer in one column of @tbl-map:
#
# 1. **Which Auto class?** `AutoModel` is a backbone, `...ForCausalLM` a decoder with an LM head,
#    `...ForSeq2SeqLM` an encoder-decoder, any other `...For...` a backbone with a task head.
# 2. **Which inputs?** `attention_mask` is the padding mask; `labels` means a loss will come back;
#    `decoder_input_ids` means an encoder-decoder is being driven by hand.
# 3. **Which fields are read?** `last_hidden_state` is token vectors, `logits` is scores,
#    `hidden_states` and `attentions` are per-layer views, `past_key_values` is the cache.
# 4. **Which switches?** `output_attentions=True` needs eager attention; `use_cache=False` removes
#    the cache; `return_dict=False` turns the output into a tuple (@sec-model-outputs).

# %% [markdown]
# ## Where to go next
#
# The catalog models exist so that every number in this book can be checked offline and in
# seconds. The code does not depend on them.
#
# - **Real checkpoints.** @sec-appendix-hub shows how to let `checkpoint` pass a Hub id through
#   and which Hub models the catalog stands in for. The checks in this chapter are written against
#   `config` values, so their shape assertions are meant to carry over to a larger model; the few
#   literal values (the WordPiece ids, the size of `tiny-gpt2`'s vocabulary, the German sentence)
#   belong to the catalog.
# - **A GPU.** @sec-appendix-gpu explains how the book picks its device and why its stored outputs
#   hold on a GPU too; for the larger Hub models, loading with `dtype=torch.float16` halves the
#   memory they need.
# - **Older tutorials.** @sec-appendix-v5 lists what changed in transformers 5, so that code written
#   for version 4 can be read with the right expectations.
# - **Training.** @sec-labels-and-loss shows where the loss comes from and fine-tunes a MiniLM
#   classifier twice, with a loop written by hand and with `Trainer`. The same holds for every
#   model in the map: one that returns a `loss` can be trained by any loop that calls
#   `loss.backward()` and steps an optimizer.

# %% [markdown]
# ## Summary
#
# - Every piece of a Transformer that this book opened has a name in the API: an input key of the
#   tokenizer's `BatchEncoding`, a model class chosen by an Auto class, a keyword switch of
#   `forward`, or a field of the `ModelOutput` it returns. @tbl-map lists them, checked.
# - The three families differ in their fields: encoders return token states, decoders return
#   next-token logits and a cache, encoder-decoders return both halves and the cross-attention
#   between them (@fig-forward-pass).
# - A table of shapes is only as good as its last check. Write each claim as an assertion in terms
#   of the configuration, run all of them, and build the table from what they observed.

# %% [markdown]
# ## Exercises
#
# Each exercise has a cell for your answer: replace `None`, run the cell, and `check` tells you
# whether the answer is right. The solution is folded away below it.
#
# **Exercise 10.1.** Add a row to the map by hand. For the English source "Today I love the big
# dog." and the German target "Heute liebe ich den großen Hund.", what is the shape of `tiny-t5`'s
# `cross_attentions[0]`? Answer with a `tuple` of four `int`s.

# %%
check("10.1", None)

# %%
#| code-fold: true
#| code-summary: "Solution"
dog_inputs = t5_tokenizer("Today I love the big dog.", return_tensors="pt").to(device)
dog_labels = t5_tokenizer(text_target="Heute liebe ich den großen Hund.", return_tensors="pt")["input_ids"].to(device)
dog_out = forward(t5, dog_inputs, labels=dog_labels, output_attentions=True)
check("10.1", shape(dog_out.cross_attentions[0]))

# %% [markdown]
# **Exercise 10.2.** The KV cache row in @tbl-map gives the shape of one layer's keys. How many
# numbers does the whole cache hold, keys and values of every layer, after one forward pass of
# `tiny-gpt2` over the prompt "Return a new list containing"? Answer with an `int`.

# %%
check("10.2", None)

# %%
#| code-fold: true
#| code-summary: "Solution"
prompt_inputs = gpt_tokenizer("Return a new list containing", return_tensors="pt").to(device)
prompt_cache = forward(gpt, prompt_inputs).past_key_values
check("10.2", sum(layer.keys.numel() + layer.values.numel() for layer in prompt_cache.layers))

# %% [markdown]
# **Exercise 10.3.** The loss row measures how far a target is from what the model expects. For
# the correct pair of Exercise 10.1 the loss of `tiny-t5` is close to 0. What is the loss when the
# target keeps the English word order, "Heute ich liebe den großen Hund." (German puts the verb
# second, right after "Heute")? Answer with a `float`.

# %%
check("10.3", None)

# %%
#| code-fold: true
#| code-summary: "Solution"
wrong_order = t5_tokenizer(text_target="Heute ich liebe den großen Hund.", return_tensors="pt")["input_ids"].to(device)
assert dog_out.loss.item() < 0.01  # the correct order: close to 0, as the exercise says
check("10.3", forward(t5, dog_inputs, labels=wrong_order).loss.item())
