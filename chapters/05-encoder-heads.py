# %% [markdown]
# # Encoder-only models and their heads {#sec-encoder-heads}
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/structure-to-api/structure-to-api/blob/main/notebooks/05-encoder-heads.ipynb) [Download this notebook](https://github.com/structure-to-api/structure-to-api/raw/main/notebooks/05-encoder-heads.ipynb)
#
# An encoder-only model such as BERT reads a whole sentence at once and hands back one vector per
# token. On its own that is not an answer to anything: it is raw material. A sentence embedding is a
# way of averaging those vectors; a classifier, a tagger, a question-answering model and a
# fill-in-the-blank model are each one small layer, a **head**, placed on top of the very same
# vectors. This chapter takes the MiniLM encoder from the book's catalog, looks at what it returns,
# and then puts each of the standard heads on it in turn, paying close attention to which weights
# were trained and which were just drawn at random.
#
# **You will learn**
#
# - what `last_hidden_state` and `pooler_output` hold, and how to check that the encoder reads in
#   both directions (no causal mask);
# - how to turn token vectors into a sentence embedding with a mean that respects `attention_mask`,
#   and why the naive mean breaks under padding;
# - how cosine similarity exposes meaning, both between sentences and between two uses of one word;
# - what the `AutoModelFor...` heads for sequence classification, token classification, question
#   answering and masked language modelling add, and the shape of each output;
# - how to read a load report, and what a freshly initialised head can and cannot tell you.

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
# Besides seeds, device and the catalog, this chapter needs to load one backbone under several head
# classes and look at what each load reports. `load` does that: it asks `from_pretrained` for its
# loading information (`output_loading_info=True`: which weights were missing from the checkpoint
# and which were left over), and it catches the load report that transformers logs instead of
# letting it print, so that the report can be shown once, on purpose, with the install folder
# replaced by the catalog name.

# %%
import math
import re
import textwrap

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
import transformers
from IPython.display import Markdown, display
from transformers import (
    AutoModel,
    AutoModelForMaskedLM,
    AutoModelForQuestionAnswering,
    AutoModelForSequenceClassification,
    AutoModelForTokenClassification,
    AutoTokenizer,
    pipeline,
)

from structapi import checkpoint, pick_device, seed_everything
from structapi.exercises import check
from structapi.logs import transformers_messages

seed_everything(0)
device = pick_device()
transformers.utils.logging.disable_progress_bar()  # no "Loading weights" progress bars in the outputs
ANSI_CODES = re.compile(r"\x1b\[[0-9;]*m")


def load(auto_class, name="minilm", **kwargs):
    """Load catalog checkpoint `name` with `auto_class`; return the model, its loading info and its load report."""
    with transformers_messages() as messages:  # the report is caught, not printed; its width is pinned
        model, info = auto_class.from_pretrained(checkpoint(name), output_loading_info=True, **kwargs)
    report = ANSI_CODES.sub("", "".join(m + "\n" for m in messages)).replace(str(checkpoint(name)), f"<{name}>")
    info = {key: sorted(value) for key, value in info.items()}
    return model.to(device).eval(), info, report


tokenizer = AutoTokenizer.from_pretrained(checkpoint("minilm"))
encoder, encoder_info, encoder_report = load(AutoModel, "minilm")
print(type(encoder).__name__, "| layers:", encoder.config.num_hidden_layers,
      "| hidden size:", encoder.config.hidden_size, "| heads:", encoder.config.num_attention_heads)
print("load report:", repr(encoder_report), "| missing:", encoder_info["missing_keys"])
assert encoder_report == "" and encoder_info["missing_keys"] == []

# %% [markdown]
# `AutoModel` gives the bare network, `BertModel`: 6 layers, vectors of size 384, 12 attention
# heads. The checkpoint contains every weight this class needs, so the load is silent: the report is
# empty and no key is missing. Keep that in mind; it will not stay silent once a head is added.

# %% [markdown]
# ## The encoder's output: one vector per token
#
# The structure: after the embedding layer and 6 Transformer blocks, every token position holds one
# vector of size 384, informed by every other position. The API: the model's output field
# `last_hidden_state`, of shape (batch, seq_len, hidden). BERT-style models add a second field,
# `pooler_output`, one vector per sentence (@sec-model-outputs lists every field a forward pass
# can return).

# %%
pair = ["I love this library.", "This is the worst bug I have ever seen."]
batch = tokenizer(pair, padding=True, return_tensors="pt").to(device)
with torch.no_grad():
    outputs = encoder(**batch)

seq_len = batch["input_ids"].shape[1]
print("input_ids:        ", tuple(batch["input_ids"].shape))
print("last_hidden_state:", tuple(outputs.last_hidden_state.shape))
print("pooler_output:    ", tuple(outputs.pooler_output.shape))
assert seq_len == 12 and tuple(outputs.last_hidden_state.shape) == (2, seq_len, 384)
assert tuple(outputs.pooler_output.shape) == (2, 384)

# %% [markdown]
# The batch is 2 sentences padded to 12 tokens, so `last_hidden_state` is (2, 12, 384) and
# `pooler_output` is (2, 384).
#
# `pooler_output` is not a summary of all tokens. It is the vector at position 0, the `[CLS]`
# token, passed through one more dense layer and a `tanh`. The pooler is an ordinary submodule,
# `encoder.pooler`, so we can recompute it by hand:

# %%
cls_vectors = outputs.last_hidden_state[:, 0]  # position 0 of every sentence: the [CLS] token
with torch.no_grad():
    pooled_by_hand = torch.tanh(encoder.pooler.dense(cls_vectors))
print(encoder.pooler.dense)
print("max |by hand - pooler_output|:", round((pooled_by_hand - outputs.pooler_output).abs().max().item(), 4))
assert torch.allclose(pooled_by_hand, outputs.pooler_output, atol=1e-5)

# %% [markdown]
# In the original BERT this layer was trained by a pre-training task that compared two sentences.
# The catalog's checkpoint, `all-MiniLM-L6-v2`, was trained afterwards as a sentence-embedding
# model through a mean over its token vectors, not through the pooler. For this checkpoint the
# sentence vector to use is therefore the mean, built two sections below.

# %% [markdown]
# ## The encoder sees both sides
#
# In a decoder, position *i* may only look at positions up to *i* (a **causal mask**). An encoder
# has no such mask: every position attends to every other, to its left and to its right. In
# transformers 5, `BertModel.forward` builds a bidirectional mask from `attention_mask` (which only
# hides padding) unless `config.is_decoder` is set, in which case it builds a causal one.
#
# That gives a clean experiment. Take two sentences that differ only in their last word.
# Run the encoder on both and measure how much each position's vector changed. Then load the *same
# weights* with `is_decoder=True`, which switches on the causal mask, and measure again.

# %%
twins = ["The bank of the river was muddy.", "The bank of the river was closed."]
twin_batch = tokenizer(twins, return_tensors="pt").to(device)
twin_tokens = tokenizer.convert_ids_to_tokens(twin_batch["input_ids"][0])
changed_at = twin_tokens.index("muddy")

causal, _, _ = load(AutoModel, "minilm", is_decoder=True)
with torch.no_grad():
    both_sides = encoder(**twin_batch).last_hidden_state
    left_only = causal(**twin_batch).last_hidden_state
change_encoder = (both_sides[0] - both_sides[1]).norm(dim=-1).cpu()
change_causal = (left_only[0] - left_only[1]).norm(dim=-1).cpu()

print(f"{'token':<8} {'encoder':>8} {'causal':>8}")
for position, token in enumerate(twin_tokens):
    print(f"{token:<8} {change_encoder[position]:>8.2f} {change_causal[position]:>8.2f}")

assert (change_encoder > 0.5).all()  # every position moved, including those before the changed word
assert torch.allclose(change_causal[:changed_at], torch.zeros(changed_at), atol=1e-4)
assert (change_causal[changed_at:] > 0.1).all()

# %% [markdown]
# Each row is the distance between the two sentences' vectors at that position. In the encoder
# column every position moved, `[CLS]` and "bank" included, although the edit sits near the end:
# information flows right to left as well as left to right. In the causal column the positions
# before "muddy"/"closed" did not move at all (distance 0.00), because they cannot see it.
# Same weights, different mask: the mask alone decides whether the model reads one way or both.

# %% [markdown]
# ## Sentence embeddings: a mean that respects the mask
#
# A sentence embedding is one vector per sentence, good for search, clustering and comparison. The
# usual recipe for MiniLM is the **mean of the token vectors**. The trap is padding: in a batch,
# short sentences are filled with `[PAD]` tokens, and the encoder still produces vectors at those
# positions. They are not the sentence, but `last_hidden_state.mean(dim=1)` averages them in anyway.
#
# The fix uses `attention_mask` (1 for real tokens, 0 for padding) as weights: multiply, sum over
# the sequence, divide by the number of real tokens.

# %%
def naive_mean(hidden, attention_mask):
    """Average over every position, padding included (the mistake)."""
    return hidden.mean(dim=1)


def masked_mean(hidden, attention_mask):
    """Average over the real tokens only: attention_mask weights each position by 1 or 0."""
    weights = attention_mask.unsqueeze(-1).to(hidden.dtype)  # (batch, seq_len, 1)
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)


short = "Cats sleep a lot."
long = "My neighbour's old grey cat sleeps on the warm windowsill all afternoon."
alone = tokenizer([short], return_tensors="pt").to(device)
padded = tokenizer([short, long], padding=True, return_tensors="pt").to(device)
with torch.no_grad():
    hidden_alone = encoder(**alone).last_hidden_state
    hidden_padded = encoder(**padded).last_hidden_state

print("short sentence alone:", tuple(alone["input_ids"].shape),
      "| in the batch:", tuple(padded["input_ids"].shape),
      "| real tokens:", padded["attention_mask"].sum(dim=1).tolist())
for pool in (naive_mean, masked_mean):
    by_itself = pool(hidden_alone, alone["attention_mask"])[0]
    in_batch = pool(hidden_padded, padded["attention_mask"])[0]
    similarity = F.cosine_similarity(by_itself, in_batch, dim=0).item()
    print(f"{pool.__name__:<11}: max |alone - padded| = {(by_itself - in_batch).abs().max().item():.2f}, "
          f"cosine = {similarity:.2f}")

naive_gap = (naive_mean(hidden_alone, None)[0] - naive_mean(hidden_padded, None)[0]).abs().max().item()
masked_alone = masked_mean(hidden_alone, alone["attention_mask"])[0]
masked_padded = masked_mean(hidden_padded, padded["attention_mask"])[0]
assert naive_gap > 1.0
assert torch.allclose(masked_alone, masked_padded, atol=1e-4)

# %% [markdown]
# Alone, "Cats sleep a lot." is 7 tokens. Batched with the long sentence it is padded to 18, and
# the naive mean now averages 11 padding vectors into it: its embedding changed so much that it is
# only about 0.68 similar to itself. The masked mean gives the same vector either way (a difference
# of 0.00 at two decimals): the padding positions get weight 0, and the attention mask has already
# kept them from influencing the real tokens.
#
# ::: {.callout-warning}
# ## `last_hidden_state.mean(dim=1)` is wrong for batches
#
# The naive mean only works when nothing is padded, which is to say for one sentence at a time. The
# same text then gets a different embedding depending on what it was batched with. Weight the mean
# with `attention_mask`, always.
# :::

# %% [markdown]
# ### The same vector as `sentence-transformers`
#
# The catalog's MiniLM is `all-MiniLM-L6-v2`, a checkpoint made for the `sentence-transformers`
# library, and its folder carries that library's configuration: a mean-pooling module and a
# normalisation module after the Transformer. Loaded with `SentenceTransformer`, the same folder
# gives embeddings through `encode`. Our masked mean, scaled to length 1 with `F.normalize`, should
# be exactly that.

# %%
from sentence_transformers import SentenceTransformer

sbert = SentenceTransformer(str(checkpoint("minilm")), device="cpu")
print([type(module).__name__ for module in sbert])
print(sbert[1])

library = sbert.encode([short, long], convert_to_tensor=True)
ours = F.normalize(masked_mean(hidden_padded, padded["attention_mask"]), dim=-1).cpu()
print("encode:", tuple(library.shape), "| ours:", tuple(ours.shape))
print("max |ours - encode|:", round((ours - library).abs().max().item(), 4))
print("norms:", ours.norm(dim=-1).round(decimals=4).tolist())
assert torch.allclose(ours, library, atol=1e-5)

# %% [markdown]
# The modules printed above, Transformer, then Pooling with `pooling_mode` "mean", then Normalize,
# are the recipe we wrote by hand, and the two agree to every printed digit. Normalised vectors have length 1, so their dot
# product *is* their cosine similarity.

# %% [markdown]
# ## Meaning in the vectors
#
# ### Sentences
#
# With unit-length embeddings, one matrix product compares every sentence with every other. Six
# sentences on three topics, two per topic, phrased with different words:

# %%
def embed(sentences):
    """Normalised masked-mean embeddings of a list of sentences, one row each, on the CPU."""
    encoded = tokenizer(sentences, padding=True, return_tensors="pt").to(device)
    with torch.no_grad():
        hidden = encoder(**encoded).last_hidden_state
    return F.normalize(masked_mean(hidden, encoded["attention_mask"]), dim=-1).cpu()


topics = [
    "The cat is sleeping on the sofa.",
    "A kitten naps on the couch.",
    "Python lists can grow and shrink.",
    "In Python, a list changes size as you append items.",
    "Heavy rain is expected tomorrow morning.",
    "Tomorrow will be wet and stormy.",
]
similarity = embed(topics) @ embed(topics).T
print("similarity:", tuple(similarity.shape))

# %%
#| label: tbl-similarity
#| tbl-cap: "Cosine similarity of the six sentences' embeddings (rounded to two decimals)."
def cell(value):
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text


rows = ["| sentence | " + " | ".join(f"S{j + 1}" for j in range(len(topics))) + " |", "|---" * (len(topics) + 1) + "|"]
rows += [f"| S{i + 1}: {text} | " + " | ".join(cell(v) for v in similarity[i].tolist()) + " |"
         for i, text in enumerate(topics)]
display(Markdown("\n".join(rows)))

# %%
#| label: fig-similarity
#| fig-cap: "Cosine similarity between the embeddings of six sentences, two per topic. The bright 2x2 blocks on the diagonal are the pairs that share a topic."
#| fig-alt: "A 6 by 6 heatmap. Three bright 2 by 2 squares lie on the diagonal, one for the cat sentences, one for the Python sentences, one for the weather sentences; everything off those squares is dark, near zero."
fig, ax = plt.subplots(figsize=(8.5, 4.5))
image = ax.imshow(similarity, cmap="viridis", vmin=-0.1, vmax=1.0)
ax.set_xticks(range(len(topics)), [f"S{j + 1}" for j in range(len(topics))])
ax.set_yticks(range(len(topics)), [f"S{i + 1}: {text}" for i, text in enumerate(topics)], fontsize=9)
for i in range(len(topics)):
    for j in range(len(topics)):
        ax.text(j, i, cell(similarity[i, j].item()), ha="center", va="center",
                color="black" if similarity[i, j] > 0.5 else "white", fontsize=8)
fig.colorbar(image, ax=ax, label="cosine similarity")
fig.tight_layout()
plt.show()

# %% [markdown]
# Each sentence's nearest neighbour is its partner on the same topic, although the partners share
# almost no words ("cat"/"kitten", "sofa"/"couch", "rain"/"wet"), and sentences on different
# topics sit near 0. The check below pins exactly that:

# %%
off_diagonal = similarity - 2 * torch.eye(len(topics))  # push each sentence's self-similarity out of the way
nearest = off_diagonal.argmax(dim=1).tolist()
print("nearest neighbour of S1..S6:", [f"S{j + 1}" for j in nearest])
same_topic = torch.tensor([[i // 2 == j // 2 and i != j for j in range(6)] for i in range(6)])
print("lowest same-topic similarity:", round(similarity[same_topic].min().item(), 2),
      "| highest cross-topic similarity:", round(similarity[~same_topic & ~torch.eye(6, dtype=torch.bool)].max().item(), 2))
assert nearest == [1, 0, 3, 2, 5, 4]
assert similarity[same_topic].min() > 0.5 > 0.1 > similarity[~same_topic & ~torch.eye(6, dtype=torch.bool)].max()

# %% [markdown]
# ### One word, two meanings
#
# "Bank" is one token with one id, so the embedding layer hands the model the same input vector
# wherever it appears. What comes out of the encoder depends on the context. Four sentences, two
# about river banks and two about money banks:

# %%
bank_sentences = [
    "Fish were resting under the muddy bank of the river.",
    "We had a picnic on the grassy bank beside the stream.",
    "She paid the cheque into her account at the bank.",
    "The bank raised its interest rates again.",
]
bank_id = tokenizer.convert_tokens_to_ids("bank")
input_vectors, context_vectors = [], []
for sentence in bank_sentences:
    encoded = tokenizer(sentence, return_tensors="pt").to(device)
    position = encoded["input_ids"][0].tolist().index(bank_id)
    with torch.no_grad():
        input_vectors.append(encoder.get_input_embeddings()(encoded["input_ids"])[0, position].cpu())
        context_vectors.append(encoder(**encoded).last_hidden_state[0, position].cpu())

print("id of 'bank':", bank_id)
print("input embeddings all identical:", all(torch.equal(input_vectors[0], v) for v in input_vectors))
bank_similarity = F.normalize(torch.stack(context_vectors), dim=-1) @ F.normalize(torch.stack(context_vectors), dim=-1).T
print("cosine similarity of the contextual 'bank' vectors (river, river, money, money):")
for row in bank_similarity.tolist():
    print("  ".join(f"{value:.2f}" for value in row))
assert all(torch.equal(input_vectors[0], v) for v in input_vectors)

# %% [markdown]
# The input vectors, read from `get_input_embeddings()` (the word-embedding table), are identical
# in all four sentences. The contextual vectors are not: no two of them are the same, and the two
# river banks (0.85) and the two money banks (0.82) are closer to each other than any river bank
# is to any money bank (at most 0.75). The encoder has separated the two senses using nothing but
# the surrounding words.

# %%
same_sense = torch.tensor([[i // 2 == j // 2 and i != j for j in range(4)] for i in range(4)])
other_sense = torch.tensor([[i // 2 != j // 2 for j in range(4)] for i in range(4)])
print("same sense, lowest:", round(bank_similarity[same_sense].min().item(), 2),
      "| different sense, highest:", round(bank_similarity[other_sense].max().item(), 2))
assert bank_similarity[same_sense].min() > bank_similarity[other_sense].max()
assert bank_similarity[~torch.eye(4, dtype=torch.bool)].max() < 0.99

# %% [markdown]
# ## Heads: one backbone, many tasks
#
# A **head** is the small network between the encoder's vectors and a task's answer. Transformers
# names each combination of backbone and head `<Architecture>For<Task>`; the `AutoModelFor<Task>`
# classes pick the right one from the checkpoint's `config.json`. For MiniLM, a BERT model, they all
# produce a `Bert...` class whose attribute `bert` is the backbone we have been using, with the
# head next to it.
#
# Loading a head class from a checkpoint that has no weights for that head is allowed, and common:
# it is how fine-tuning starts. The head's weights are then **freshly initialised** from random
# numbers, and transformers says so in a load report. Here it is, for a two-class sequence
# classifier:

# %%
# expected warning: a fresh head's weights are MISSING from the checkpoint; the text explains the report
seed_everything(0)  # a fresh head's weights come from the random generator
fresh_classifier, fresh_info, fresh_report = load(AutoModelForSequenceClassification, "minilm")
print(fresh_report)
print("missing:   ", fresh_info["missing_keys"])
print("unexpected:", fresh_info["unexpected_keys"])
assert fresh_info["missing_keys"] == ["classifier.bias", "classifier.weight"]
assert "newly initialized" in fresh_report

# %% [markdown]
# The report is a table of weight names and what happened to them:
#
# - **MISSING**: the model has these parameters, the checkpoint does not. Here that is the whole
#   head, `classifier.weight` and `classifier.bias`; as the note says, they "were newly
#   initialized", and the model needs training before its answers mean anything.
# - **UNEXPECTED** (not present here, but coming up): the checkpoint has weights the model does not
#   use. They are ignored.
#
# The same lists come back as data when `from_pretrained` is called with `output_loading_info=True`
# (our `load` does that), which is the way to check a load in code rather than by reading the log.
#
# ### What a fresh head predicts
#
# The classifier is one linear layer from the pooled vector (size 384) to `num_labels` scores,
# 2 by default. Its weights were drawn from a normal distribution with standard deviation
# `config.initializer_range` and its bias set to zero, so its scores are small and its
# probabilities hover around one half:

# %%
head = fresh_classifier.classifier
print(head, "| initializer_range:", fresh_classifier.config.initializer_range)
print("weight std:", round(head.weight.std().item(), 2), "| bias all zero:", bool((head.bias == 0).all()))
print("labels:", fresh_classifier.config.id2label)

with torch.no_grad():
    fresh_out = fresh_classifier(**batch, labels=torch.tensor([1, 0], device=device))
fresh_probs = fresh_out.logits.softmax(dim=-1).cpu()
print("logits:", tuple(fresh_out.logits.shape), "| every probability within 0.05 of 0.5:",
      bool(((fresh_probs - 0.5).abs() < 0.05).all()))
print("loss:", f"{fresh_out.loss.item():.1f}", "| ln 2 =", round(math.log(2), 4))
assert abs(head.weight.std().item() - fresh_classifier.config.initializer_range) < 0.002
assert tuple(fresh_out.logits.shape) == (2, 2) and ((fresh_probs - 0.5).abs() < 0.05).all()
assert abs(fresh_out.loss.item() - math.log(2)) < 0.05

# %% [markdown]
# The logits have shape (batch, num_labels) = (2, 2). The labels have placeholder names, `LABEL_0`
# and `LABEL_1`, because nobody told the model what its classes mean. And the cross-entropy loss
# against the labels 1 and 0 is about 0.7, that is ln 2: exactly the loss of a coin toss.
# A fresh head is not broken; it is untrained, and it says so in numbers.
#
# The backbone, on the other hand, is the trained MiniLM, weight for weight:

# %%
def same_backbone(model):
    """True when every backbone weight of `model` equals the corresponding weight of `encoder`."""
    reference = encoder.state_dict()
    backbone = model.bert.state_dict()
    return all(torch.equal(value, reference[name]) for name, value in backbone.items())


print("backbone identical to AutoModel's:", same_backbone(fresh_classifier))
assert same_backbone(fresh_classifier)

# %% [markdown]
# ### A trained head: the `sentiment` checkpoint
#
# The catalog's `sentiment` checkpoint is the same architecture after fine-tuning on
# NEGATIVE/POSITIVE sentences: its head was trained, and its checkpoint contains it. The load is
# silent, the labels have names, and the answers mean something.

# %%
sentiment, sentiment_info, sentiment_report = load(AutoModelForSequenceClassification, "sentiment")
print(type(sentiment).__name__, "| load report:", repr(sentiment_report), "| missing:", sentiment_info["missing_keys"])
print("labels:", sentiment.config.id2label)
with torch.no_grad():
    sentiment_probs = sentiment(**batch).logits.softmax(dim=-1).cpu()
for sentence, probs in zip(pair, sentiment_probs):
    label = sentiment.config.id2label[int(probs.argmax())]
    print(f"{label:<8} {probs.max().item():.4f}  {sentence}")
assert sentiment_report == "" and sentiment_info["missing_keys"] == []
assert [sentiment.config.id2label[int(i)] for i in sentiment_probs.argmax(dim=-1)] == ["POSITIVE", "NEGATIVE"]
assert type(sentiment) is type(fresh_classifier)

# %% [markdown]
# Same class, same output shape, same code path. What differs is where the numbers came from, and
# fine-tuning may touch more than the head. Comparing the two backbones tensor by tensor shows what
# training changed, block by block, for the weight matrices (2-D tensors) and for the biases and
# LayerNorm parameters (1-D tensors):

# %%
def block(name):
    """The block a backbone weight belongs to: 'embeddings', 'encoder.layer.N' or 'pooler'."""
    return re.match(r"embeddings|encoder\.layer\.\d+|pooler", name).group(0)


reference = encoder.state_dict()
tally = {}  # block -> [changed matrices, matrices, changed vectors, vectors]
for name, value in sentiment.bert.state_dict().items():
    counts = tally.setdefault(block(name), [0, 0, 0, 0])
    offset = 0 if value.dim() == 2 else 2
    counts[offset] += int(not torch.equal(value, reference[name]))
    counts[offset + 1] += 1

print(f"{'block':<16} {'matrices changed':>17} {'biases/norms changed':>21}")
for name, (m_changed, m_total, v_changed, v_total) in tally.items():
    print(f"{name:<16} {f'{m_changed} of {m_total}':>17} {f'{v_changed} of {v_total}':>21}")

matrices_changed = [name for name, counts in tally.items() if counts[0] > 0]
assert matrices_changed == ["encoder.layer.5", "pooler"]
assert tally["encoder.layer.5"][0] == tally["encoder.layer.5"][1]
assert all(counts[2] == counts[3] for counts in tally.values())

# %% [markdown]
# This checkpoint was fine-tuned with most of the backbone frozen. The weight matrices of the
# embeddings and of layers 0 to 4 are MiniLM's, byte for byte; the top layer (`encoder.layer.5`)
# and the pooler were trained in full, and every bias and LayerNorm vector was allowed to shift, a
# cheap technique known as BitFit. Fine-tuning every weight is just as common; the load, the class
# and the output shapes would be the same.

# %% [markdown]
# ### Token classification: one answer per token
#
# Named-entity recognition and part-of-speech tagging label every word. `AutoModelForTokenClassification`
# puts a linear layer on *every* position of `last_hidden_state`, so its logits have shape
# (batch, seq_len, num_labels). We give the head five entity tags through `id2label`, which also
# sets `num_labels`:

# %%
tags = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
seed_everything(0)
tagger, tagger_info, _ = load(AutoModelForTokenClassification, "minilm", id2label=dict(enumerate(tags)))
print(tagger.classifier, "| num_labels:", tagger.config.num_labels)
print("missing:   ", tagger_info["missing_keys"])
print("unexpected:", tagger_info["unexpected_keys"])
assert tagger_info["missing_keys"] == ["classifier.bias", "classifier.weight"]
assert tagger_info["unexpected_keys"] == ["pooler.dense.bias", "pooler.dense.weight"]
assert same_backbone(tagger)

# %% [markdown]
# This time the report also has UNEXPECTED keys: the pooler. A tagger works on every token, not
# on a sentence summary, so `BertForTokenClassification` builds its backbone without the pooler, and
# the checkpoint's pooler weights have nowhere to go. Harmless, and expected.
#
# The catch with tagging is that labels belong to **words**, while the model sees **tokens**.
# WordPiece splits rare words into pieces, and special tokens belong to no word at all. The fast
# tokenizer's `word_ids()` maps each token back to the index of the word it came from (`None` for
# special tokens):

# %%
sentence = "Ada Lovelace worked with Charles Babbage in London."
word_tags = ["B-PER", "I-PER", "O", "O", "B-PER", "I-PER", "O", "B-LOC", "O"]  # one tag per word
encoded = tokenizer(sentence, return_tensors="pt").to(device)
word_ids = encoded.word_ids()
tokens = tokenizer.convert_ids_to_tokens(encoded["input_ids"][0])

# Training labels: the word's tag on its first token, -100 (ignored by the loss) everywhere else.
token_labels, previous = [], None
for word in word_ids:
    token_labels.append(-100 if word is None or word == previous else tags.index(word_tags[word]))
    previous = word

print(f"{'token':<9} {'word_id':>7} {'label':>6}  tag")
for token, word, label in zip(tokens, word_ids, token_labels):
    print(f"{token:<9} {str(word):>7} {label:>6}  {tags[label] if label != -100 else ''}")
assert word_ids == [None, 0, 1, 1, 2, 3, 4, 5, 5, 5, 6, 7, 8, None]

# %% [markdown]
# The tokenizer counts the final full stop as a word of its own, so the sentence has nine words,
# and they became 14 tokens: "Lovelace" is `love` + `##lace`, "Babbage" is `ba` + `##bba` +
# `##ge`, and `[CLS]`/`[SEP]` frame the sentence. The label `-100` is the index that PyTorch's
# cross-entropy ignores by default, so continuation pieces and special tokens neither earn nor
# cost anything during training.
#
# Going the other way, from the model's per-token logits back to one tag per word, uses the same
# map: keep the prediction at each word's first token.

# %%
with torch.no_grad():
    tagged = tagger(**encoded, labels=torch.tensor([token_labels], device=device))
per_token = tagged.logits.argmax(dim=-1)[0].tolist()
first_token_of_word = {}
for position, word in enumerate(word_ids):
    if word is not None:
        first_token_of_word.setdefault(word, position)
per_word = [tags[per_token[position]] for position in first_token_of_word.values()]

words = len(set(word_ids) - {None})
print("logits:", tuple(tagged.logits.shape), "| tags predicted:", len(per_word), "| words:", words)
print("loss:", f"{tagged.loss.item():.1f}", "| ln 5 =", round(math.log(5), 4))
assert tuple(tagged.logits.shape) == (1, len(tokens), len(tags)) == (1, 14, 5)
assert len(per_word) == len(word_tags) == words == 9
assert abs(tagged.loss.item() - math.log(len(tags))) < 0.15

# %% [markdown]
# The logits are (1, 14, 5): batch, tokens, tags. The nine predicted word tags are random, because
# the head is; the loss, about ln 5, is again the loss of guessing uniformly among five tags.

# %% [markdown]
# ### Question answering: two scores per token
#
# Extractive question answering finds the answer as a span of the context. The head is one linear
# layer with **two** outputs per token: a score for "the answer starts here" and one for "the
# answer ends here". The model returns them as `start_logits` and `end_logits`, each of shape
# (batch, seq_len). The question and the context go in as a sentence pair; `sequence_ids()` tells
# the two apart (0 for the question, 1 for the context, `None` for special tokens).

# %%
question = "Who wrote the first compiler?"
context = "The first compiler was written by Grace Hopper in 1952, while she worked at Remington Rand."
qa_inputs = tokenizer(question, context, return_offsets_mapping=True, return_tensors="pt")
offsets = qa_inputs.pop("offset_mapping")[0].tolist()  # character spans; the model does not take them
sequence_ids = qa_inputs.sequence_ids()
qa_inputs = qa_inputs.to(device)

seed_everything(0)
reader, reader_info, _ = load(AutoModelForQuestionAnswering, "minilm")
with torch.no_grad():
    answer_out = reader(**qa_inputs)
print(reader.qa_outputs, "| missing:", reader_info["missing_keys"])
print("fields:", list(answer_out.keys()))
print("start_logits:", tuple(answer_out.start_logits.shape), "| end_logits:", tuple(answer_out.end_logits.shape))
print("context tokens:", sequence_ids.count(1), "of", len(sequence_ids))
assert reader_info["missing_keys"] == ["qa_outputs.bias", "qa_outputs.weight"] and same_backbone(reader)
assert tuple(answer_out.start_logits.shape) == tuple(answer_out.end_logits.shape) == (1, len(sequence_ids)) == (1, 27)

# %% [markdown]
# Decoding a span means choosing the start *i* and end *j* with the highest `start_logits[i] +
# end_logits[j]`, subject to three rules: both inside the context, *j* not before *i*, and the span
# not longer than some limit. The character offsets of the two tokens then cut the answer out of
# the context string.

# %%
def best_span(start_logits, end_logits, sequence_ids, offsets, context, max_tokens=15):
    """Return the context text between the highest-scoring valid start and end tokens."""
    n = len(sequence_ids)
    scores = start_logits[:, None] + end_logits[None, :]  # scores[i, j]: start at i, end at j
    in_context = torch.tensor([s == 1 for s in sequence_ids])
    i, j = torch.arange(n)[:, None], torch.arange(n)[None, :]
    allowed = in_context[:, None] & in_context[None, :] & (j >= i) & (j - i < max_tokens)
    best = scores.masked_fill(~allowed, float("-inf")).argmax().item()
    start, end = divmod(best, n)
    return context[offsets[start][0]:offsets[end][1]]


# A trained head would score "grace" highest as a start and "hopper" as an end; fake such logits.
qa_tokens = tokenizer.convert_ids_to_tokens(qa_inputs["input_ids"][0])
ideal_start = torch.zeros(len(qa_tokens))
ideal_end = torch.zeros(len(qa_tokens))
ideal_start[qa_tokens.index("grace")] = 5.0
ideal_end[qa_tokens.index("hopper")] = 5.0
print("decoded from ideal logits:", repr(best_span(ideal_start, ideal_end, sequence_ids, offsets, context)))

fresh_answer = best_span(answer_out.start_logits[0].cpu(), answer_out.end_logits[0].cpu(), sequence_ids, offsets, context)
print("the fresh head's span lies in the context:", fresh_answer in context, "| is the answer:", fresh_answer == "Grace Hopper")
assert best_span(ideal_start, ideal_end, sequence_ids, offsets, context) == "Grace Hopper"
assert fresh_answer in context and fresh_answer != "Grace Hopper"

# %% [markdown]
# The decoder works: given logits that point at the right tokens, it returns "Grace Hopper", with
# the capital letters of the original text, because it cuts the context string rather than joining
# lower-cased tokens. Given the fresh head's logits, it returns some piece of the context that is
# not the answer. MiniLM ships no trained question-answering head, so `qa_outputs` must be trained
# (on a dataset such as SQuAD) before this model answers anything.
#
# ::: {.callout-note}
# ## No `"question-answering"` pipeline in transformers 5
#
# Older tutorials end this section with `pipeline("question-answering", ...)`. In transformers
# 5.23 that task name has been removed from `pipeline` (together with `"summarization"` and
# `"translation"`), and asking for it raises a `KeyError` that recommends a chat model instead.
# `AutoModelForQuestionAnswering` itself is still there; the span decoding above is what the old
# pipeline did for you. The other encoder tasks, `"feature-extraction"`, `"fill-mask"`,
# `"text-classification"` and `"token-classification"`, keep their pipelines.
# :::

# %%
from transformers.pipelines import get_supported_tasks

for task in ["question-answering", "summarization", "translation"]:
    try:
        pipeline(task, model=reader, tokenizer=tokenizer)
    except KeyError as err:
        print(f"{task:<19} KeyError:", str(err).strip("'").split(" See ")[0])
encoder_tasks = ["feature-extraction", "fill-mask", "text-classification", "token-classification"]
print("still supported:", {task: task in get_supported_tasks() for task in encoder_tasks})
assert all(task in get_supported_tasks() for task in encoder_tasks)
assert "question-answering" not in get_supported_tasks()

# %% [markdown]
# ### Masked language modelling: a score for every word in the vocabulary
#
# BERT's pre-training task hides tokens behind `[MASK]` and asks the model to guess them. The head,
# reached through `AutoModelForMaskedLM`, maps every position's vector to one score per vocabulary
# entry: logits of shape (batch, seq_len, vocab_size). It is bigger than the others: a dense layer
# with GELU and LayerNorm (the "transform"), then a decoder to all 30,522 WordPiece tokens. The
# decoder's weight matrix is **tied** to the input embedding table: the same tensor object, not a
# copy.

# %%
seed_everything(0)
mlm, mlm_info, mlm_report = load(AutoModelForMaskedLM, "minilm")
print(mlm.cls.predictions.transform)
print("decoder:", mlm.cls.predictions.decoder)
print("decoder weight is the input embedding table:",
      mlm.cls.predictions.decoder.weight is mlm.get_input_embeddings().weight)
print("missing:", mlm_info["missing_keys"])
assert mlm.cls.predictions.decoder.weight is mlm.get_input_embeddings().weight
assert all(key.startswith("cls.predictions.") for key in mlm_info["missing_keys"]) and len(mlm_info["missing_keys"]) == 6
assert same_backbone(mlm)

# %% [markdown]
# MiniLM's checkpoint has no masked-LM head at all: six head tensors are MISSING, among them the
# transform's dense layer and LayerNorm and the output bias. Only the decoder's weight is trained,
# and only because it is the embedding table. transformers 5 also logs a line of its own for this
# load, which sounds worse than it is:

# %%
print(textwrap.fill([line for line in mlm_report.splitlines() if "corrupted" in line][0], width=100))
assert "seem corrupted" in mlm_report

# %% [markdown]
# It means what the table says: the tied output bias is absent from the file. The file is intact;
# it simply was never saved with a masked-LM head.
#
# To use the head, find the `[MASK]` position and read the logits there: one row of 30,522 scores.

# %%
masked_text = f"The capital of France is {tokenizer.mask_token}."
masked_inputs = tokenizer(masked_text, return_tensors="pt").to(device)
mask_position = (masked_inputs["input_ids"][0] == tokenizer.mask_token_id).nonzero().item()
with torch.no_grad():
    mlm_logits = mlm(**masked_inputs).logits.cpu()
mask_scores = mlm_logits[0, mask_position]
rank_of_paris = int((mask_scores > mask_scores[tokenizer.convert_tokens_to_ids("paris")]).sum())

print("tokens:", tokenizer.convert_ids_to_tokens(masked_inputs["input_ids"][0]))
print("[MASK] id:", tokenizer.mask_token_id, "| position:", mask_position)
print("logits:", tuple(mlm_logits.shape), "| at the mask:", tuple(mask_scores.shape))
print("'paris' in the top 100:", rank_of_paris < 100)
assert tuple(mlm_logits.shape) == (1, 9, mlm.config.vocab_size) == (1, 9, 30522) and mask_position == 6
assert rank_of_paris >= 100

# %% [markdown]
# The logits are (1, 9, 30522), and the row at position 6 ranks every vocabulary entry as the
# missing word. The obvious answer is not even in the top 100: with a random transform in front of
# it, the head's ranking is noise. A second seed gives a different fresh head and a different
# top 5, while the `fill-mask` pipeline, which still exists, reproduces exactly our top 5 from the
# same model:

# %%
top5 = mask_scores.topk(5).indices.tolist()
fill_mask = pipeline("fill-mask", model=mlm, tokenizer=tokenizer)
pipeline_top5 = [guess["token"] for guess in fill_mask(masked_text, top_k=5)]

seed_everything(1)
other_mlm, _, _ = load(AutoModelForMaskedLM, "minilm")
with torch.no_grad():
    other_top5 = other_mlm(**masked_inputs).logits[0, mask_position].topk(5).indices.tolist()
print("fill-mask pipeline == our top 5:", pipeline_top5 == top5)
print("seed 1 gives the same top 5 as seed 0:", other_top5 == top5)
assert pipeline_top5 == top5 and other_top5 != top5

# %% [markdown]
# ::: {.callout-important}
# ## Which heads in this chapter are trained
#
# Only the `sentiment` classifier. MiniLM (`all-MiniLM-L6-v2`) ships its encoder and pooler and
# nothing else, so the sequence-classification, token-classification, question-answering and
# masked-LM heads loaded on it here are all freshly initialised: their shapes and the plumbing
# around them are real, their predictions are random. A fill-mask demo needs a checkpoint saved
# *with* its MLM head, such as the original `bert-base-uncased`; a tagger or a reader needs
# fine-tuning first.
# :::

# %% [markdown]
# ## Every head in one table
#
# Each head ends in one linear layer; its `in_features` is the backbone's hidden size and its
# `out_features` is the size of the answer per position. The table below is built from the loaded
# models themselves: the last `nn.Linear` in each, and the shape of each output on the same
# two-sentence batch as before (2 sentences, 12 tokens).

# %%
#| label: tbl-heads
#| tbl-cap: "The MiniLM backbone under each head class: whether the head was trained or is fresh, the head's final linear layer, and the output it produces for a batch of 2 sentences of 12 tokens."
def final_linear(model):
    """The name and module of the last nn.Linear in the model: the layer that produces the output."""
    return [(name, module) for name, module in model.named_modules() if isinstance(module, torch.nn.Linear)][-1]


heads = {  # API -> (model, checkpoint, loading info)
    "AutoModel": (encoder, "minilm", encoder_info),
    "AutoModelForSequenceClassification": (sentiment, "sentiment", sentiment_info),
    "AutoModelForTokenClassification": (tagger, "minilm", tagger_info),
    "AutoModelForQuestionAnswering": (reader, "minilm", reader_info),
    "AutoModelForMaskedLM": (mlm, "minilm", mlm_info),
}
shapes, head_state = {}, {}
lines = ["| API | class | checkpoint | head | final layer | in -> out features | output |", "|---|---|---|---|---|---|---|"]
for api, (model, name, info) in heads.items():
    layer_name, layer = final_linear(model)
    with torch.no_grad():
        out = model(**batch)
    shapes[api] = {field: tuple(value.shape) for field, value in out.items()}
    head_state[api] = "none" if api == "AutoModel" else "fresh" if info["missing_keys"] else "trained"
    described = ", ".join(f"`{field}` {shape}" for field, shape in shapes[api].items())
    lines.append(f"| `{api}` | `{type(model).__name__}` | `{name}` | {head_state[api]} | `{layer_name}` "
                 f"| {layer.in_features} -> {layer.out_features} | {described} |")
display(Markdown("\n".join(lines)))

# %%
assert shapes["AutoModel"] == {"last_hidden_state": (2, 12, 384), "pooler_output": (2, 384)}
assert shapes["AutoModelForSequenceClassification"] == {"logits": (2, 2)}
assert shapes["AutoModelForTokenClassification"] == {"logits": (2, 12, 5)}
assert shapes["AutoModelForQuestionAnswering"] == {"start_logits": (2, 12), "end_logits": (2, 12)}
assert shapes["AutoModelForMaskedLM"] == {"logits": (2, 12, 30522)}
assert all(final_linear(model)[1].in_features == 384 for model, _, _ in heads.values())
assert list(head_state.values()) == ["none", "trained", "fresh", "fresh", "fresh"]
print("head shapes as in the table")

# %% [markdown]
# Reading @tbl-heads from top to bottom: the bare model's last linear layer is the pooler (384 ->
# 384). A sequence classifier turns the pooled vector into `num_labels` scores per sentence. A
# token classifier applies its layer at every position. The question-answering head has exactly two
# outputs per position, split into `start_logits` and `end_logits`. The masked-LM decoder has one
# output per vocabulary entry at every position. Underneath every row is the MiniLM backbone
# (with its top layer fine-tuned in `sentiment`); only one of the four heads, the sentiment
# classifier, was ever trained.

# %% [markdown]
# ## Summary
#
# | Structure | API | Output |
# |---|---|---|
# | Encoder body (bidirectional, no causal mask) | `AutoModel` | `last_hidden_state` (batch, seq_len, 384) |
# | `[CLS]` vector through dense + tanh | `outputs.pooler_output`, `model.pooler` | (batch, 384) |
# | Sentence embedding | masked mean of `last_hidden_state` with `attention_mask`, then `F.normalize` | (batch, 384), equal to `SentenceTransformer.encode` |
# | Sentence-level head | `AutoModelForSequenceClassification` | `logits` (batch, num_labels) |
# | Token-level head | `AutoModelForTokenClassification`, aligned with `word_ids()` | `logits` (batch, seq_len, num_labels) |
# | Span head | `AutoModelForQuestionAnswering`, decoded with `sequence_ids()` and offsets | `start_logits`, `end_logits` (batch, seq_len) |
# | Vocabulary head, tied to the embeddings | `AutoModelForMaskedLM`, read at the `[MASK]` position | `logits` (batch, seq_len, vocab_size) |
# | Which weights were loaded | `from_pretrained(..., output_loading_info=True)`, the load report | MISSING (fresh) and UNEXPECTED (ignored) keys |
#
# The encoder turns tokens into context-dependent vectors; everything task-specific is a thin layer
# on top. A head that was not in the checkpoint starts random, and a random head produces
# well-shaped nonsense: the shapes of this chapter hold for any checkpoint, the predictions only
# for a trained one such as `sentiment`.

# %% [markdown]
# ## Exercises
#
# Each exercise has a cell for your answer: replace `None`, run the cell, and `check` tells you
# whether the answer is right. The solution is folded away below it.
#
# **Exercise 5.1.** Using the normalised masked-mean embedding of this chapter (`embed`), what is
# the cosine similarity of "A man is playing a guitar." and "Someone is performing music on an
# instrument."? Answer with a `float`.

# %%
check("05.1", None)

# %%
#| code-fold: true
#| code-summary: "Solution"
guitar = embed(["A man is playing a guitar.", "Someone is performing music on an instrument."])
check("05.1", (guitar[0] @ guitar[1]).item())

# %% [markdown]
# **Exercise 5.2.** Semantic search. Which of the candidates below has the embedding most similar
# to the query "How do I reset my password?"? Answer with the candidate sentence (a `str`).

# %%
query = "How do I reset my password?"
candidates = [
    "The museum is closed on Mondays.",
    "Steps to recover access when you forget your login credentials.",
    "Our team won the football match yesterday.",
    "Passwords should contain at least twelve characters.",
]
check("05.2", None)

# %%
#| code-fold: true
#| code-summary: "Solution"
scores = (embed([query]) @ embed(candidates).T)[0]
check("05.2", candidates[int(scores.argmax())])

# %% [markdown]
# **Exercise 5.3.** Label alignment for token classification. The sentence "Marie Curie lived in
# Paris." has the word tags `["B-PER", "I-PER", "O", "O", "B-LOC", "O"]`. Using `tags` from this
# chapter and the rule above (the word's tag id on its first token, `-100` on special tokens and
# continuation pieces), what is the list of token labels? Answer with a list of ints.

# %%
check("05.3", None)

# %%
#| code-fold: true
#| code-summary: "Solution"
curie_words = ["B-PER", "I-PER", "O", "O", "B-LOC", "O"]
curie_labels, previous = [], None
for word in tokenizer("Marie Curie lived in Paris.").word_ids():
    curie_labels.append(-100 if word is None or word == previous else tags.index(curie_words[word]))
    previous = word
check("05.3", curie_labels)

# %% [markdown]
# **Exercise 5.4.** A question-answering head may start an answer only at a context token. For the
# question "When was the telescope invented?" and the context "The first telescopes appeared in
# the Netherlands in 1608, made by spectacle makers.", how many positions of the encoded pair can
# hold the start of an answer? Answer with an `int`.

# %%
check("05.4", None)

# %%
#| code-fold: true
#| code-summary: "Solution"
telescope = tokenizer("When was the telescope invented?",
                      "The first telescopes appeared in the Netherlands in 1608, made by spectacle makers.")
check("05.4", telescope.sequence_ids().count(1))
