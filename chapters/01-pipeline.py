# %% [markdown]
# # The pipeline, opened up {#sec-pipeline}
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/structure-to-api/structure-to-api/blob/main/notebooks/01-pipeline.ipynb) [Download this notebook](https://github.com/structure-to-api/structure-to-api/raw/main/notebooks/01-pipeline.ipynb)
#
# A single call to `pipeline` turns a sentence into a label and a score. Behind that call sit three
# pieces of Transformer structure: a tokenizer that turns text into ids, a network that turns ids
# into one score per class, and a small post-processing step that turns scores into a named label.
# This chapter runs the pipeline once and then rebuilds its answer by hand, one piece at a time.
#
# **You will learn**
#
# - what `pipeline("text-classification", ...)` returns, and which three objects it wraps;
# - how the tokenizer's `input_ids` and `attention_mask` encode a padded batch;
# - where the logits come from, how softmax turns them into probabilities, and how
#   `config.id2label` names the winning class;
# - how to check, with an `assert`, that the hand-made result equals the pipeline's.

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
# Every chapter starts the same way: fix the random seeds, choose a device, and ask the book's
# checkpoint catalog for a local directory. The catalog is why the book runs offline: `checkpoint`
# returns a folder on disk that `from_pretrained` reads exactly as it would read a model downloaded
# from the Hugging Face Hub.

# %%
import torch
import transformers
from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline

from structapi import checkpoint, pick_device, seed_everything
from structapi.exercises import check

seed_everything(0)
device = pick_device()
print("transformers", transformers.__version__, "| torch", torch.__version__.split("+")[0])

# %% [markdown]
# The checkpoint used here, `sentiment`, is the 6-layer MiniLM encoder with a two-class head that
# this project fine-tuned to tell negative sentences from positive ones. It stands in for the
# DistilBERT sentiment model that `pipeline("sentiment-analysis")` would download when online.

# %%
sentiment_dir = checkpoint("sentiment")
sentences = [
    "I've been waiting for a HuggingFace course my whole life.",
    "I hate this so much!",
]

# %% [markdown]
# ## The one-line answer
#
# `pipeline` takes a task name and a checkpoint, loads the matching tokenizer and model, and returns
# a callable. Calling it on a list of sentences gives one dictionary per sentence.

# %%
classifier = pipeline("text-classification", model=str(sentiment_dir), device=device)
pipeline_results = classifier(sentences)
for sentence, result in zip(sentences, pipeline_results):
    print(f"{result['label']:<8} {result['score']:.4f}  {sentence}")

# %% [markdown]
# The pipeline is a thin shell around three objects. Each is an attribute we can inspect:

# %%
print("tokenizer:", type(classifier.tokenizer).__name__)
print("model:    ", type(classifier.model).__name__)
print("labels:   ", classifier.model.config.id2label)

# %% [markdown]
# ## Step 1: text to ids (the tokenizer)
#
# A Transformer reads integers, not characters. The tokenizer splits each sentence into sub-word
# tokens, looks each one up in its vocabulary, and adds the two special tokens this model family
# expects: `[CLS]` at the start and `[SEP]` at the end.
#
# The two sentences have different lengths, but a batch is one rectangular tensor. With
# `padding=True` the shorter row is filled with `[PAD]` (id 0), and `attention_mask` marks real
# tokens with 1 and padding with 0, so that attention never looks at the filler.

# %%
tokenizer = AutoTokenizer.from_pretrained(sentiment_dir)
batch = tokenizer(sentences, padding=True, truncation=True, return_tensors="pt")
print("keys:", list(batch.keys()))
print("input_ids shape:", tuple(batch["input_ids"].shape))
for row in range(len(sentences)):
    tokens = tokenizer.convert_ids_to_tokens(batch["input_ids"][row])
    print(tokens)

# %%
print("input_ids:\n", batch["input_ids"])
print("attention_mask:\n", batch["attention_mask"])

# %% [markdown]
# The first sentence needs 16 tokens, counting `[CLS]` and `[SEP]`; the lower-cased "huggingface" is
# not in the vocabulary and becomes two pieces, `hugging` and `##face`. The second sentence needs 8,
# so its row is padded with eight `[PAD]` tokens and its mask ends in eight zeros.

# %%
lengths = batch["attention_mask"].sum(dim=1).tolist()
print("real tokens per sentence:", lengths)
assert lengths == [16, 8]
assert (batch["input_ids"][1, 8:] == tokenizer.pad_token_id).all()

# %% [markdown]
# ## Step 2: ids to logits (the model)
#
# `AutoModelForSequenceClassification` is the encoder with a classification head on top. The head
# maps the encoder's summary of the sentence to one number per class. These raw numbers are the
# **logits**: any real value, one row per sentence and one column per class.

# %%
model = AutoModelForSequenceClassification.from_pretrained(sentiment_dir).to(device)
model.eval()  # no dropout: the same input gives the same output
with torch.no_grad():
    outputs = model(**batch.to(device))
logits = outputs.logits.cpu()
print(type(outputs).__name__)
print("logits shape:", tuple(logits.shape))
print(logits.round(decimals=1))  # one decimal: one logit lies within 3e-5 of a two-decimal boundary

# %% [markdown]
# ## Step 3: logits to a label (post-processing)
#
# Softmax turns each row of logits into probabilities that are positive and sum to 1. The index of
# the largest probability is the predicted class, and `config.id2label` gives its name.

# %%
probabilities = torch.softmax(logits, dim=-1)
predicted_ids = probabilities.argmax(dim=-1)
manual_results = [
    {"label": model.config.id2label[int(i)], "score": float(probabilities[row, i])}
    for row, i in enumerate(predicted_ids)
]
print(probabilities.round(decimals=4))
for result in manual_results:
    print(f"{result['label']:<8} {result['score']:.4f}")

# %% [markdown]
# The hand-made answer and the pipeline's agree: same labels, and scores equal to within rounding.

# %%
for by_hand, by_pipeline in zip(manual_results, pipeline_results):
    assert by_hand["label"] == by_pipeline["label"]
    assert abs(by_hand["score"] - by_pipeline["score"]) < 1e-5
print("hand-made result == pipeline result")

# %% [markdown]
# ## Summary
#
# | Stage | Structure | API | What you get |
# |---|---|---|---|
# | Pre-processing | WordPiece tokenizer | `AutoTokenizer`, `tokenizer(..., padding=True, return_tensors="pt")` | `input_ids`, `attention_mask` |
# | Model | Encoder + classification head | `AutoModelForSequenceClassification` | `outputs.logits`, shape (batch, num_labels) |
# | Post-processing | Softmax and label names | `torch.softmax`, `config.id2label` | `{"label": ..., "score": ...}` |
#
# `pipeline` is a convenience, not magic: every number it prints can be recomputed from the three
# objects it holds. The following chapters open each of them in turn, starting with the tokenizer.

# %% [markdown]
# ## Exercises
#
# Each exercise has a cell for your answer: replace `None`, run the cell, and `check` tells you
# whether the answer is right. The solution is folded away below it.
#
# **Exercise 1.1.** When the two sentences of this chapter are batched with `padding=True`, how many
# `[PAD]` tokens does the second sentence receive? Answer with an `int` computed from
# `batch["attention_mask"]`.

# %%
check("01.1", None)

# %%
#| code-fold: true
#| code-summary: "Solution"
check("01.1", int((batch["attention_mask"][1] == 0).sum()))

# %% [markdown]
# **Exercise 1.2.** Without calling `pipeline`, use `tokenizer`, `model`, softmax and
# `model.config.id2label` to find the label of "The lecture was a complete waste of time.".

# %%
check("01.2", None)

# %%
#| code-fold: true
#| code-summary: "Solution"
with torch.no_grad():
    lecture_logits = model(**tokenizer("The lecture was a complete waste of time.", return_tensors="pt").to(device)).logits
check("01.2", model.config.id2label[int(lecture_logits.argmax(dim=-1))])
