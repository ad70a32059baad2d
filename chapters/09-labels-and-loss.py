# %% [markdown]
# # Labels and loss {#sec-labels-and-loss}
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/structure-to-api/structure-to-api/blob/main/notebooks/09-labels-and-loss.ipynb) [Download this notebook](https://github.com/structure-to-api/structure-to-api/raw/main/notebooks/09-labels-and-loss.ipynb)
#
# Every model class whose name reads `...For<Task>` accepts one more argument than the bare
# network: `labels`. Pass it, and the forward pass hands back a `loss` next to the logits, a single
# number that says how wrong the logits were and that `backward()` turns into gradients. That one
# keyword hides a lot of decisions: which loss function, what shape and dtype the labels must
# have, which positions count, and whether the targets have to be shifted by one position first.
# This chapter opens each of those decisions for the four families of heads in this book,
# reproduces every loss by hand, and then trains a classifier for real, first with a plain
# PyTorch loop and then with `Trainer`.
#
# **You will learn**
#
# - why a fresh two-class head gives a loss of about ln 2 = 0.693, and how to get the same number
#   with `torch.nn.functional.cross_entropy`;
# - how `problem_type` picks cross-entropy, mean squared error or binary cross-entropy, and how
#   transformers guesses it from `num_labels` and the labels' dtype when you do not set it;
# - what the label -100 means, and how to place it on special tokens, sub-word pieces and padding;
# - where the one-position shift happens: inside the loss for a causal LM, in
#   `decoder_input_ids` for a sequence-to-sequence model;
# - how to fine-tune a classifier with a hand-written loop, and then with `Trainer`,
#   `TrainingArguments` and `DataCollatorWithPadding`.

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
# Three checkpoints from the catalog: `minilm` (a BERT encoder that carries no task head, so every
# head put on it here starts random), `tiny-gpt2` (a small causal language model) and `tiny-t5` (a
# small English-to-German translator). Loading a head that the checkpoint lacks prints a load report
# listing the new weights; @sec-encoder-heads read that report line by line, so `load` silences it
# here. `seed_everything` also pins the number of CPU threads, because the training runs at the end
# of the chapter are only bit-for-bit repeatable with a fixed thread count. We pin it to one: on
# batches this small a second thread gains little, and when other programs share the cores, threads
# that wait for each other make every step many times slower.

# %%
import inspect
import math
import tempfile
import textwrap

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
import transformers
from IPython.display import Markdown, display
from transformers import (
    AutoModelForCausalLM,
    AutoModelForSeq2SeqLM,
    AutoModelForSequenceClassification,
    AutoModelForTokenClassification,
    AutoTokenizer,
    DataCollatorForSeq2Seq,
    DataCollatorWithPadding,
    Trainer,
    TrainingArguments,
)
from transformers.trainer_callback import PrinterCallback

from structapi import checkpoint, pick_device, seed_everything
from structapi.exercises import check

seed_everything(0, threads=1)
device = pick_device()
transformers.utils.logging.disable_progress_bar()  # no "Loading weights" progress bars in the outputs


def load(auto_class, name, seed=0, **kwargs):
    """Load catalog checkpoint `name` with `auto_class`, a fresh head drawn from `seed`, without the load report."""
    torch.manual_seed(seed)  # a head missing from the checkpoint is initialised from this seed
    previous = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_error()
    try:
        model = auto_class.from_pretrained(checkpoint(name), **kwargs)
    finally:
        transformers.logging.set_verbosity(previous)
    return model.to(device).eval()


bert_tokenizer = AutoTokenizer.from_pretrained(checkpoint("minilm"))
print("threads:", torch.get_num_threads(), "| ln 2 =", round(math.log(2), 4))

# %% [markdown]
# ## Labels in, loss out
#
# The structure: a sequence classifier ends in one linear layer that maps the pooled sentence
# vector to `num_labels` scores, the logits. Training needs a number that is small when the
# highest score belongs to the right class. For one sentence with correct class *y*, that number is
# the **cross-entropy** $-\log \operatorname{softmax}(\text{logits})_y$; for a batch, its mean.
#
# The API: pass the classes as `labels`, one integer per sentence, and the output gains a `loss`
# field. Here is a fresh two-class head on MiniLM, with two sentences labelled 1 and 0:

# %%
classifier = load(AutoModelForSequenceClassification, "minilm", num_labels=2)
pair = ["I love this library.", "This is the worst bug I have ever seen."]
batch = bert_tokenizer(pair, padding=True, return_tensors="pt").to(device)
labels = torch.tensor([1, 0], device=device)
with torch.no_grad():
    outputs = classifier(**batch, labels=labels)

print("fields:", list(outputs.keys()))
print("logits:", tuple(outputs.logits.shape), "| loss:", tuple(outputs.loss.shape))
print("loss:", round(outputs.loss.item(), 3))
print("largest |logit|:", round(outputs.logits.abs().max().item(), 2))
assert list(outputs.keys()) == ["loss", "logits"] and outputs.loss.shape == ()
assert abs(outputs.loss.item() - math.log(2)) < 0.02

# %% [markdown]
# The loss is a scalar (shape `()`) and it sits near ln 2 = 0.6931. That is no accident. A fresh
# head's weights are drawn from a normal distribution with standard deviation
# `config.initializer_range` (0.02 here) and its bias starts at zero, so every logit is close to 0
# (the largest is 0.04). Softmax of two nearly equal scores is about (0.5, 0.5), and the
# cross-entropy of probability 0.5 is $-\ln 0.5 = \ln 2$. With *k* classes the starting loss is
# about ln *k*: a quick sanity check at the start of any fine-tuning run.
#
# The same number by hand: softmax, log, pick the probability of the right class, average. Or in one
# call, `F.cross_entropy(logits, labels)`, which is what the model uses.

# %%
logits = outputs.logits
log_probs = logits.log_softmax(dim=-1)
by_hand = -log_probs[torch.arange(2, device=device), labels].mean()
by_function = F.cross_entropy(logits, labels)
print("initializer_range:", classifier.config.initializer_range,
      "| head weight std:", round(classifier.classifier.weight.std().item(), 3),
      "| head bias:", classifier.classifier.bias.tolist())
print("by hand:", round(by_hand.item(), 3), "| F.cross_entropy:", round(by_function.item(), 3),
      "| model:", round(outputs.loss.item(), 3))
assert torch.allclose(by_hand, outputs.loss, atol=1e-6) and torch.allclose(by_function, outputs.loss, atol=1e-6)
assert classifier.classifier.bias.tolist() == [0.0, 0.0]

# %% [markdown]
# The loss of a fresh head depends on the random draw; that is why `load` calls `torch.manual_seed`
# right before `from_pretrained`. Another seed gives another head and another loss, still near
# ln 2:

# %%
other_seed = load(AutoModelForSequenceClassification, "minilm", seed=1, num_labels=2)
with torch.no_grad():
    other_loss = other_seed(**batch, labels=labels).loss.item()
print("seed 0:", round(outputs.loss.item(), 3), "| seed 1:", round(other_loss, 3))
assert other_loss != outputs.loss.item() and abs(other_loss - math.log(2)) < 0.02
del other_seed

# %% [markdown]
# ## Which loss? `problem_type`
#
# A sequence-classification head can serve three kinds of task, and each needs a different loss:
#
# - **single-label classification**: one class per sentence; integer labels of shape (batch,);
#   cross-entropy;
# - **regression**: one real number per sentence (`num_labels=1`); float labels of shape (batch,);
#   mean squared error;
# - **multi-label classification**: any subset of the classes may apply; a row of 0.0/1.0 floats
#   per sentence, shape (batch, num_labels); binary cross-entropy on each logit, through a sigmoid.
#
# The config field `problem_type` names the task. When it is `None`, the forward pass guesses.
# Rather than trust a tutorial, read the guess in the installed source:

# %%
source = inspect.getsource(type(classifier).forward)
start = source.rindex("\n", 0, source.index("if self.config.problem_type is None")) + 1
end = source.index("return SequenceClassifierOutput")
print(transformers.__version__, type(classifier).__name__ + ".forward:")
print(textwrap.dedent(source[start:end]).strip())
assert 'elif self.config.problem_type == "multi_label_classification"' in source

# %% [markdown]
# The rule, in order: `num_labels == 1` means regression; more than one label with integer labels
# (`torch.long` or `torch.int`) means single-label classification; anything else, in practice
# float labels, means multi-label. Note also that the guess is *written into the config*
# (`self.config.problem_type = ...`): it is made once, on the first call with labels.
#
# ### Regression: `num_labels=1` and mean squared error
#
# One output per sentence, say a score between 0 and 1 for how positive a review is. The labels are
# floats, and the loss is the mean squared difference between the single logit and the label.

# %%
regressor = load(AutoModelForSequenceClassification, "minilm", num_labels=1)
scores = torch.tensor([0.9, 0.1], device=device)
with torch.no_grad():
    regression = regressor(**batch, labels=scores)
mse_by_hand = ((regression.logits.squeeze(-1) - scores) ** 2).mean()
print("problem_type after the call:", regressor.config.problem_type)
print("logits:", tuple(regression.logits.shape), "| labels:", tuple(scores.shape), scores.dtype)
print("loss:", round(regression.loss.item(), 3), "| by hand:", round(mse_by_hand.item(), 3),
      "| F.mse_loss:", round(F.mse_loss(regression.logits.squeeze(-1), scores).item(), 3))
assert regressor.config.problem_type == "regression"
assert abs(regression.loss.item() - (0.9**2 + 0.1**2) / 2) < 0.05
assert torch.allclose(mse_by_hand, regression.loss, atol=1e-6)
del regressor

# %% [markdown]
# The logits have shape (2, 1), one column because `num_labels=1`; the model squeezes it away
# before comparing with the labels of shape (2,). A fresh head predicts about 0 for everything, so
# the starting loss is close to the mean of the squared labels, (0.81 + 0.01) / 2 = 0.41; the
# small logits of this head bring it to 0.37.
#
# ### Multi-label: binary cross-entropy with float labels
#
# Now three topics, food, weather and travel, of which a sentence may touch several. Each logit
# becomes an independent yes/no question, answered through a sigmoid. The labels are a multi-hot
# float matrix, and `problem_type="multi_label_classification"` says so explicitly.

# %%
topics = ["food", "weather", "travel"]
trip = ["We ate fresh pasta on our trip to Rome.", "The flight was delayed by a snowstorm.",
        "Soup tastes best on a rainy day."]
trip_batch = bert_tokenizer(trip, padding=True, return_tensors="pt").to(device)
multi_hot = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0], [1.0, 1.0, 0.0]], device=device)

tagger3 = load(AutoModelForSequenceClassification, "minilm", num_labels=3,
               problem_type="multi_label_classification")
with torch.no_grad():
    multi = tagger3(**trip_batch, labels=multi_hot)
probs = multi.logits.sigmoid()
bce_by_hand = -(multi_hot * probs.log() + (1 - multi_hot) * (1 - probs).log()).mean()
print("logits:", tuple(multi.logits.shape), "| labels:", tuple(multi_hot.shape), multi_hot.dtype)
print("loss:", round(multi.loss.item(), 3), "| by hand:", round(bce_by_hand.item(), 3),
      "| F.binary_cross_entropy_with_logits:",
      round(F.binary_cross_entropy_with_logits(multi.logits, multi_hot).item(), 3))
assert torch.allclose(bce_by_hand, multi.loss, atol=1e-5)
assert abs(multi.loss.item() - math.log(2)) < 0.02

# %% [markdown]
# The labels have the same shape as the logits, (3, 3), and the loss averages nine separate yes/no
# cross-entropies. Each starts at probability 0.5, so the fresh loss is near ln 2 again, however
# many topics there are. The library computes it from the logits (`BCEWithLogitsLoss`), which is
# the numerically safe form of the sigmoid-then-log written out above.
#
# ### The guess, and why it sticks
#
# With `problem_type` left at `None`, the very same three-class head switches loss with the dtype
# of the labels. `guess` clears the field, runs one forward pass and reads back what the model
# decided:

# %%
guesser = load(AutoModelForSequenceClassification, "minilm", num_labels=3)


def guess(model, labels):
    """Clear problem_type, run one forward pass with `labels`; return the problem_type it chose and the loss's fate."""
    model.config.problem_type = None
    try:
        with torch.no_grad():
            loss = model(**trip_batch, labels=labels).loss
        fate = f"loss {loss.item():.4f}"
    except RuntimeError as err:
        fate = f"RuntimeError: {err}"
    return model.config.problem_type, fate


class_ids = torch.tensor([0, 1, 0], device=device)
guesses = {
    "int64 (3,)": guess(guesser, class_ids),
    "int32 (3,)": guess(guesser, class_ids.int()),
    "float32 (3, 3)": guess(guesser, multi_hot),
}
for described, (problem, fate) in guesses.items():
    print(f"labels {described:<15} -> {problem:<27} | {fate}")
assert [problem for problem, _ in guesses.values()] == [
    "single_label_classification", "single_label_classification", "multi_label_classification"]
assert guesses["int32 (3,)"][1].startswith("RuntimeError: expected target dtype to be Long")

# %% [markdown]
# Integer labels give cross-entropy, float labels give binary cross-entropy. The guess accepts
# `torch.int` (32-bit) labels as class ids, but `F.cross_entropy` itself only takes `torch.long`
# class ids, so such labels pass the guess and then fail: make class ids `torch.long`.
#
# Because the guess is
# stored in the config, the *first* batch decides for the rest of the model's life (and for the
# config that `save_pretrained` writes). After one multi-hot batch, integer class ids are still
# fed to the binary cross-entropy, which rejects them for their shape:

# %%
guesser.config.problem_type = None
with torch.no_grad():
    guesser(**trip_batch, labels=multi_hot)  # the first call decides: multi-label
print("problem_type now:", guesser.config.problem_type)
try:
    with torch.no_grad():
        guesser(**trip_batch, labels=class_ids)  # integer class ids, but the decision is made
except ValueError as err:
    print("ValueError:", err)
assert guesser.config.problem_type == "multi_label_classification"
del guesser

# %% [markdown]
# ::: {.callout-warning}
# ## Float class ids silently become a multi-label problem
#
# Labels loaded from a CSV file or a NumPy array are easily `float` (`tensor([1., 0.])`). Passed
# to a classifier with `num_labels=2` and no `problem_type`, they are read as multi-hot rows, and
# binary cross-entropy then fails with a shape error that never mentions `problem_type`. Cast
# class ids with `.long()`, or set `problem_type` in `from_pretrained`, so that nothing is left to
# the guess.
# :::

# %%
float_ids = torch.tensor([1.0, 0.0], device=device)
fresh = load(AutoModelForSequenceClassification, "minilm", num_labels=2)
try:
    with torch.no_grad():
        fresh(**batch, labels=float_ids)
except ValueError as err:
    print("ValueError:", err)
print("problem_type:", fresh.config.problem_type)
assert fresh.config.problem_type == "multi_label_classification"
del fresh

# %% [markdown]
# Two class ids stored as floats, `tensor([1., 0.])`, were taken for a multi-label problem, and the
# binary cross-entropy refused labels of shape (2,) against logits of shape (2, 2).

# %% [markdown]
# ## Token classification: the label -100
#
# The structure: a token-classification head produces one row of `num_labels` scores at *every*
# position, and the loss is the mean cross-entropy over positions. But not every position is a word:
# `[CLS]`, `[SEP]` and padding are not, and a word cut into several pieces should be counted once,
# not once per piece.
#
# The API: give those positions the label **-100**. It is not a class; it is the default
# `ignore_index` of `torch.nn.functional.cross_entropy`, and such positions are simply left out of
# the sum and out of the count. The common rule, also used in @sec-encoder-heads: a word's tag on
# its first piece, -100 on special tokens, continuation pieces and padding, found through
# `word_ids()`.

# %%
tags = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
people = ["Alan Turing worked at Bletchley Park.", "Marie Curie lived in Paris."]
word_tags = [["B-PER", "I-PER", "O", "O", "B-LOC", "I-LOC", "O"], ["B-PER", "I-PER", "O", "O", "B-LOC", "O"]]
people_batch = bert_tokenizer(people, padding=True, return_tensors="pt")


def align(word_ids, word_tags):
    """Token labels: the word's tag id on its first piece, -100 on special tokens, later pieces and padding."""
    token_labels, previous = [], None
    for word in word_ids:
        token_labels.append(-100 if word is None or word == previous else tags.index(word_tags[word]))
        previous = word
    return token_labels


token_labels = torch.tensor([align(people_batch.word_ids(row), word_tags[row]) for row in range(2)])
for row in range(2):
    pieces = bert_tokenizer.convert_ids_to_tokens(people_batch["input_ids"][row])
    print("  ".join(f"{piece}:{label}" for piece, label in zip(pieces, token_labels[row].tolist())))
print("labels:", tuple(token_labels.shape), "| counted:", int((token_labels != -100).sum()),
      "| ignored:", int((token_labels == -100).sum()))
assert (token_labels != -100).sum().item() == len(word_tags[0]) + len(word_tags[1]) == 13

# %% [markdown]
# "Bletchley" became four pieces, `b ##let ##ch ##ley`; only `b` carries its tag (3, B-LOC).
# "Curie" became `cu ##rie`. The second sentence is shorter and padded, and its `[PAD]` positions
# are -100 too. Of the 24 positions, 13 (one per word) count.
#
# Now the loss, from the model and by hand. With five tags the fresh loss should be near ln 5:

# %%
token_head = load(AutoModelForTokenClassification, "minilm", num_labels=len(tags))
with torch.no_grad():
    tagged = token_head(**people_batch.to(device), labels=token_labels.to(device))
token_logits = tagged.logits.cpu()
flat_loss = F.cross_entropy(token_logits.view(-1, len(tags)), token_labels.view(-1))  # ignore_index=-100 by default
counted = token_labels != -100
kept_only = F.cross_entropy(token_logits[counted], token_labels[counted])
print("logits:", tuple(token_logits.shape), "| largest |logit|:", round(token_logits.abs().max().item(), 2),
      "| ln 5 =", round(math.log(5), 4))
print("model:", round(tagged.loss.item(), 3), "| F.cross_entropy:", round(flat_loss.item(), 3),
      "| only the 13 counted positions:", round(kept_only.item(), 3))
assert torch.allclose(flat_loss, tagged.loss.cpu(), atol=1e-6) and torch.allclose(kept_only, flat_loss, atol=1e-6)
assert abs(tagged.loss.item() - math.log(5)) < 0.2

# %% [markdown]
# Three numbers, one loss: the model's, `F.cross_entropy` over all 24 positions, and the plain
# cross-entropy over the 13 counted positions alone. It is 1.73, somewhat above ln 5 = 1.61: the
# token vectors are longer than the pooled sentence vector (which went through a `tanh`), so the
# fresh head's logits spread further from 0 than the classifier's did. That last equality is what -100 means. To see
# it from the other side, scramble whatever the head says at the ignored positions: the loss does
# not move.

# %%
torch.manual_seed(0)
scrambled = token_logits.clone()
scrambled[~counted] = 100 * torch.randn(int((~counted).sum()), len(tags))
scrambled_loss = F.cross_entropy(scrambled.view(-1, len(tags)), token_labels.view(-1))
print("ignored positions scrambled, loss:", round(scrambled_loss.item(), 3), "| equal:",
      torch.equal(scrambled_loss, flat_loss))
assert torch.allclose(scrambled_loss, flat_loss, atol=1e-6)

every_piece = token_labels.clone()  # the other convention: label continuation pieces with the word's tag too
for row in range(2):
    for position, word in enumerate(people_batch.word_ids(row)):
        if word is not None:
            every_piece[row, position] = tags.index(word_tags[row][word])
every_piece_loss = F.cross_entropy(token_logits.view(-1, len(tags)), every_piece.view(-1))
print("label every piece:", int((every_piece != -100).sum()), "positions counted, loss",
      round(every_piece_loss.item(), 3))
assert (every_piece != -100).sum().item() == 17 and not torch.allclose(every_piece_loss, flat_loss)

# %% [markdown]
# The other convention, tagging every piece of a word, counts 17 positions instead of 13 and gives
# a different loss: "Bletchley" now weighs four times as much as "Park". Both conventions are in
# use; what matters is to evaluate the way you trained.

# %% [markdown]
# ## Causal language modelling: the shift inside the model
#
# The structure: a decoder predicts, at every position *i*, the token at position *i* + 1. The
# targets of a text are therefore the text itself, moved one step to the left; the last position
# has nothing to predict.
#
# The API: pass `labels=input_ids`, unshifted. The model's loss function shifts them itself. Let us
# load `tiny-gpt2` and try it on a sentence in the style of the Python documentation it was trained
# on. The first loss computation of a GPT-2 model prints one line of its own:

# %%
# expected warning: GPT2LMHeadModel names no loss type, so transformers announces its default causal-LM loss
gpt_tokenizer = AutoTokenizer.from_pretrained(checkpoint("tiny-gpt2"))
gpt = load(AutoModelForCausalLM, "tiny-gpt2")
sentence = "Return the number of items in a container."
encoded = gpt_tokenizer(sentence, return_tensors="pt").to(device)
with torch.no_grad():
    lm_out = gpt(**encoded, labels=encoded["input_ids"])
print("input_ids:", tuple(encoded["input_ids"].shape), "| logits:", tuple(lm_out.logits.shape))
print("loss:", round(lm_out.loss.item(), 3), "| loss_type:", gpt.loss_type)
assert gpt.loss_type is None

# %% [markdown]
# The message is harmless. transformers 5 picks a model's loss function from its class name
# (`...ForCausalLM`, `...ForSequenceClassification`, ...) through a table, `LOSS_MAPPING`.
# `GPT2LMHeadModel` is an older name that matches no entry, so `loss_type` stays `None`, the
# library logs that it falls back to `ForCausalLMLoss`, and that default is exactly the right loss.
# The line is logged once per session.
#
# By hand, the shift is one slice on each side: the logits at positions 0 ... n-2 predict the
# tokens at positions 1 ... n-1.

# %%
ids = encoded["input_ids"]
shift_logits = lm_out.logits[:, :-1]  # predictions made at positions 0 .. n-2
shift_targets = ids[:, 1:]  # the tokens at positions 1 .. n-1
lm_by_hand = F.cross_entropy(shift_logits.reshape(-1, shift_logits.shape[-1]), shift_targets.reshape(-1))
unshifted = F.cross_entropy(lm_out.logits[0], ids[0])  # the mistake: each position "predicts" itself
n = ids.shape[1]
print(f"{n} tokens -> {n - 1} predictions")
print("model:", round(lm_out.loss.item(), 3), "| by hand, shifted:", round(lm_by_hand.item(), 3),
      "| without the shift:", round(unshifted.item(), 3))
assert torch.allclose(lm_by_hand, lm_out.loss, atol=1e-5) and unshifted > lm_out.loss

# %% [markdown]
# The model's loss and ours agree. Comparing each position with its *own* token instead gives a
# much larger loss: the model was trained to predict the next token, not to repeat the current one.
# The lesson is in the other direction too: do not shift the labels yourself before passing them,
# or the model shifts them a second time and learns to predict two tokens ahead.
#
# ### Padding: pad = eos, and -100 in the labels
#
# GPT-2, and `tiny-gpt2` after it, has no padding token. To batch sentences of different lengths,
# the usual move is to reuse the end-of-text token as padding. The attention mask then keeps the
# padding out of attention, but the *labels* must keep it out of the loss: otherwise the model is
# scored (and trained) on predicting a run of `<|endoftext|>` after every short sentence.

# %%
print("pad token:", gpt_tokenizer.pad_token, "| eos token:", gpt_tokenizer.eos_token, gpt_tokenizer.eos_token_id)
assert gpt_tokenizer.pad_token is None
gpt_tokenizer.pad_token = gpt_tokenizer.eos_token

docs = ["Return the number of items in a container.", "The list type is a mutable sequence of objects in Python."]
lm_batch = gpt_tokenizer(docs, padding=True, return_tensors="pt").to(device)
lm_labels = lm_batch["input_ids"].clone()
lm_labels[lm_batch["attention_mask"] == 0] = -100  # mask by the attention mask, not by token id
with torch.no_grad():
    lm_batch_out = gpt(**lm_batch, labels=lm_labels)
    masked_loss = lm_batch_out.loss
    padded_loss = gpt(**lm_batch, labels=lm_batch["input_ids"]).loss
print("padding side:", gpt_tokenizer.padding_side, "| batch:", tuple(lm_batch["input_ids"].shape),
      "| real tokens:", lm_batch["attention_mask"].sum(dim=1).tolist())
print("loss, padding masked with -100:", round(masked_loss.item(), 3))
print("loss, padding left in the labels:", round(padded_loss.item(), 3))
assert not torch.allclose(masked_loss, padded_loss)

# %% [markdown]
# Mask by `attention_mask == 0`, not by `input_ids == eos_token_id`: when pad and eos are the same
# token, masking by id would also hide every genuine end-of-text token that the model should learn
# to produce.
#
# Which average is the batch loss? Not the mean of the two sentences' losses: it is the mean over
# every counted prediction in the batch, so a long sentence weighs more than a short one. Each
# sentence alone, and the token-weighted mean:

# %%
alone_losses, predictions = [], []
for text in docs:
    single = gpt_tokenizer(text, return_tensors="pt").to(device)
    with torch.no_grad():
        alone_losses.append(gpt(**single, labels=single["input_ids"]).loss.item())
    predictions.append(single["input_ids"].shape[1] - 1)
weighted = sum(loss * count for loss, count in zip(alone_losses, predictions)) / sum(predictions)
print("alone:", [round(loss, 3) for loss in alone_losses], "| predictions:", predictions)
print("token-weighted mean:", round(weighted, 3), "| plain mean:", round(sum(alone_losses) / 2, 3),
      "| batch loss:", round(masked_loss.item(), 3))
assert abs(weighted - masked_loss.item()) < 1e-4

# %% [markdown]
# The batch loss equals the token-weighted mean of the sentences' own losses, which also shows that
# the padding, masked out of the labels and hidden by the attention mask, changed nothing else.
#
# ### From loss to perplexity
#
# A language model's loss is the average negative log-probability of the true next token.
# Its exponential, the **perplexity**, is easier to picture: the model was, on average, as unsure as
# if it had to choose uniformly among that many tokens. A model that knew nothing, uniform over the
# 4,096-token vocabulary, would score 4,096.

# %%
perplexities = [math.exp(loss) for loss in alone_losses]
print("vocabulary:", gpt.config.vocab_size)
for text, ppl in zip(docs, perplexities):
    print(f"perplexity {ppl:7.1f}  {text}")
print(f"perplexity of the batch: {math.exp(masked_loss.item()):.1f}")
assert gpt.config.vocab_size == 4096 and all(ppl < gpt.config.vocab_size / 10 for ppl in perplexities)

# %% [markdown]
# Both sentences are far below the 4,096 of blind guessing: the small model has picked up a good
# deal of the documentation's vocabulary and phrasing.

# %% [markdown]
# ## Sequence-to-sequence: the shift moves into the decoder's input
#
# The structure: an encoder-decoder model such as T5 reads the source with its encoder and writes
# the target with its decoder, one token after another. During training, the decoder is fed the
# target shifted one position to the *right*, starting with a start token, and must output the
# target itself at every position (teacher forcing).
#
# The API: pass the target token ids as `labels`. The tokenizer makes them from `text_target`, and
# if you do not pass `decoder_input_ids`, the model builds them from the labels.

# %%
t5_tokenizer = AutoTokenizer.from_pretrained(checkpoint("tiny-t5"))
t5 = load(AutoModelForSeq2SeqLM, "tiny-t5")
sources = ["I love deep learning.", "Today I love the big dog."]
targets = ["Ich liebe Deep Learning.", "Heute liebe ich den großen Hund."]
t5_batch = t5_tokenizer(sources, text_target=targets, padding=True, return_tensors="pt")
print("keys:", list(t5_batch.keys()))
for row in range(2):
    print(t5_tokenizer.convert_ids_to_tokens(t5_batch["labels"][row]))
print("decoder_start_token_id:", t5.config.decoder_start_token_id, "| pad_token_id:", t5.config.pad_token_id)
assert t5.config.decoder_start_token_id == t5.config.pad_token_id == t5_tokenizer.pad_token_id == 0

# %% [markdown]
# The labels end in `</s>` and the shorter target is padded with `<pad>`, id 0. As with the causal
# model, padding must not be scored, so it becomes -100. Then comes the shift: T5's start token is
# its padding token, id 0 (`decoder_start_token_id`), and any -100 that slides into the decoder's
# input is turned back into a real id, the pad id, because an embedding table has no row -100.

# %%
t5_labels = t5_batch["labels"].clone()
t5_labels[t5_labels == t5_tokenizer.pad_token_id] = -100

decoder_input_ids = torch.full_like(t5_labels, t5.config.decoder_start_token_id)
decoder_input_ids[:, 1:] = t5_labels[:, :-1]  # one step to the right
decoder_input_ids[decoder_input_ids == -100] = t5.config.pad_token_id

print("labels:           ", t5_labels[0].tolist())
print("decoder_input_ids:", decoder_input_ids[0].tolist())
print("equal to _shift_right:", torch.equal(decoder_input_ids, t5._shift_right(t5_labels)),
      "| to prepare_decoder_input_ids_from_labels:",
      torch.equal(decoder_input_ids, t5.prepare_decoder_input_ids_from_labels(labels=t5_labels)))
assert torch.equal(decoder_input_ids, t5._shift_right(t5_labels))
assert torch.equal(decoder_input_ids, t5.prepare_decoder_input_ids_from_labels(labels=t5_labels))

# %% [markdown]
# Our shift equals the model's own, the private `_shift_right` and the public
# `prepare_decoder_input_ids_from_labels`. Now the loss: since the shift happened on the input side,
# position *i* of the logits is compared with position *i* of the labels directly, with no slicing.

# %%
t5_inputs = {key: value.to(device) for key, value in t5_batch.items() if key != "labels"}
with torch.no_grad():
    t5_out = t5(**t5_inputs, labels=t5_labels.to(device))
    own_decoder = t5(**t5_inputs, decoder_input_ids=decoder_input_ids.to(device)).logits
    t5_unmasked = t5(**t5_inputs, labels=t5_batch["labels"].to(device)).loss
t5_by_hand = F.cross_entropy(own_decoder.reshape(-1, own_decoder.shape[-1]), t5_labels.to(device).reshape(-1))
print("logits:", tuple(t5_out.logits.shape), "| labels:", tuple(t5_labels.shape))
print("model:", round(t5_out.loss.item(), 3), "| by hand:", round(t5_by_hand.item(), 3),
      "| padding left in the labels:", round(t5_unmasked.item(), 3))
assert torch.allclose(t5_by_hand, t5_out.loss, rtol=1e-3, atol=0) and t5_out.loss < 1e-3
assert t5_unmasked > 0.5

# %% [markdown]
# The translator was trained on exactly this kind of sentence, and it is practically never
# surprised by the right German: its loss is below 0.001, and ours agrees
# with it. Leave the padding in the labels and the loss jumps above 0.5, because the model is now
# also scored on predicting `<pad>` after `</s>`, something it was never trained to do.
#
# In a data pipeline, `DataCollatorForSeq2Seq` does both steps: it pads labels with -100
# (`label_pad_token_id`) and, given the model, builds `decoder_input_ids` with the model's own
# method.

# %%
seq2seq_collator = DataCollatorForSeq2Seq(t5_tokenizer, model=t5)
features = [t5_tokenizer(source, text_target=target) for source, target in zip(sources, targets)]
collated = seq2seq_collator(features)
print("keys:", list(collated.keys()))
print("labels equal ours:", torch.equal(collated["labels"], t5_labels),
      "| decoder_input_ids equal ours:", torch.equal(collated["decoder_input_ids"], decoder_input_ids))
assert torch.equal(collated["labels"], t5_labels) and torch.equal(collated["decoder_input_ids"], decoder_input_ids)

# %% [markdown]
# ::: {.callout-note}
# ## Two places for the same shift
#
# A causal LM takes `labels` equal to its input and shifts them *left* inside the loss. A
# sequence-to-sequence model takes `labels` equal to the target and shifts them *right* into
# `decoder_input_ids` before the decoder runs; its loss then needs no shift. In both cases you
# pass unshifted labels, and -100 marks what must not be scored.
# :::

# %% [markdown]
# ## The rules in one table
#
# Each row below was checked in this chapter: the labels' dtype and shape as they were passed, and
# the loss the model computed, reproduced by hand.

# %%
#| label: tbl-labels
#| tbl-cap: "What each head expects as `labels` and which loss it computes, from the runs of this chapter."
rows = [
    ("`...ForSequenceClassification`, single-label", labels, outputs.logits, "`CrossEntropyLoss`", "no"),
    ("`...ForSequenceClassification`, `num_labels=1`", scores, regression.logits, "`MSELoss`", "no"),
    ("`...ForSequenceClassification`, multi-label", multi_hot, multi.logits, "`BCEWithLogitsLoss`", "no"),
    ("`...ForTokenClassification`", token_labels, tagged.logits, "`CrossEntropyLoss`, -100 ignored", "no"),
    ("`...ForCausalLM` (`GPT2LMHeadModel`)", lm_labels, lm_batch_out.logits, "`ForCausalLMLoss`, -100 ignored",
     "labels shifted left inside the loss"),
    ("`...ForSeq2SeqLM` (T5)", t5_labels, t5_out.logits, "`CrossEntropyLoss`, -100 ignored",
     "labels shifted right into `decoder_input_ids`"),
]
lines = ["| head | labels dtype | labels shape | logits shape | loss | shift |", "|---|---|---|---|---|---|"]
for head, head_labels, head_logits, loss_name, shift in rows:
    lines.append(f"| {head} | `{str(head_labels.dtype).replace('torch.', '')}` | {tuple(head_labels.shape)} "
                 f"| {tuple(head_logits.shape)} | {loss_name} | {shift} |")
display(Markdown("\n".join(lines)))

# %% [markdown]
# ## Training for real
#
# Everything so far measured a loss. Training means making it smaller: compute the loss, call
# `backward()` to get its gradient with respect to every weight, and let an optimizer take a small
# step downhill; repeat over batches, and over the data several times (epochs).
#
# ### A small data set
#
# Two clearly different classes of short sentences: kitchen instructions (label 0) and weather
# reports (label 1), 30 of each, written for this book. Every third sentence goes to the test set,
# which the model never trains on.

# %%
kitchen = [
    "Stir the onions until they turn golden.", "Add a pinch of salt to the boiling water.",
    "Bake the bread for forty minutes.", "Chop the carrots into thin slices.",
    "Whisk the eggs with a little milk.", "Let the soup simmer on a low flame.",
    "Grate some cheese over the pasta.", "Melt the butter in a small pan.",
    "Peel the potatoes and cut them in half.", "Roast the chicken with garlic and lemon.",
    "Knead the dough until it feels smooth.", "Season the sauce with pepper and basil.",
    "Fry the mushrooms in olive oil.", "Mix the flour and sugar in a bowl.",
    "Slice the tomatoes for the salad.", "Boil the rice for twelve minutes.",
    "Spread jam on the warm toast.", "Marinate the fish in soy sauce overnight.",
    "Beat the cream until it forms soft peaks.", "Toast the almonds in a dry skillet.",
    "Pour the batter into a greased tin.", "Dice the peppers and add them to the stew.",
    "Rinse the lentils before cooking them.", "Sprinkle fresh herbs over the omelette.",
    "Steam the broccoli for five minutes.", "Squeeze a lemon over the grilled prawns.",
    "Fold the chocolate into the cake mix.", "Brown the minced beef in a hot pan.",
    "Taste the curry and add more chili.", "Cool the cookies on a wire rack.",
]
weather = [
    "Heavy rain is expected this afternoon.", "The sky cleared up after the storm.",
    "A cold wind is blowing from the north.", "Snow will cover the hills tonight.",
    "It is sunny and warm along the coast.", "Thick fog delayed the morning flights.",
    "Thunder rolled across the valley.", "The temperature will drop below freezing.",
    "Light showers are likely over the weekend.", "A heatwave is building in the south.",
    "Clouds are gathering over the mountains.", "The forecast promises a dry, bright week.",
    "Hail damaged cars in the city centre.", "Strong gusts knocked down a few trees.",
    "The humidity makes the air feel heavy.", "A rainbow appeared after the drizzle.",
    "Frost covered the fields at dawn.", "The hurricane is moving toward the islands.",
    "Tomorrow will be cloudy with mild winds.", "Lightning lit up the evening sky.",
    "The drought has lasted for three months.", "Sleet is turning the roads icy.",
    "A warm breeze came in from the sea.", "The monsoon rains arrived early this year.",
    "Overnight the wind died down completely.", "Scattered storms may reach the plains.",
    "The snowfall broke a record for March.", "Mist hung over the lake until noon.",
    "Temperatures will climb to thirty degrees.", "A blizzard closed the mountain pass.",
]
class_names = ["kitchen", "weather"]
examples = [(text, 0) for text in kitchen] + [(text, 1) for text in weather]
train_set = [example for i, example in enumerate(examples) if i % 3 != 2]
test_set = [example for i, example in enumerate(examples) if i % 3 == 2]
print("train:", len(train_set), "| test:", len(test_set),
      "| test labels:", {name: sum(label == k for _, label in test_set) for k, name in enumerate(class_names)})
assert (len(train_set), len(test_set)) == (40, 20)

# %% [markdown]
# ### The model, and two choices that keep the run small and repeatable
#
# A fresh two-class head on MiniLM, as at the start of the chapter, with two changes:
#
# - **Dropout off.** In `train()` mode BERT drops random activations (probability 0.1). The
#   masks come from the random generator of the device the model runs on, so a seeded run repeats
#   on the same machine but a GPU draws different masks than a CPU. With 40 sentences dropout buys
#   little, and switching it off (`hidden_dropout_prob=0.0`, `attention_probs_dropout_prob=0.0`)
#   makes the printed numbers the same on every device.
# - **Only the top two layers train.** The embeddings and the lower four of the six layers are
#   frozen with `requires_grad_(False)`; the top two layers, the pooler and the head learn. The
#   lower layers keep the general features they learnt in pretraining, which is all that 40
#   sentences can use, and each step gets much cheaper: the backward pass stops at the first layer
#   that trains, and the optimizer keeps state for a sixth of the weights. A common way to
#   fine-tune on little data and little compute.

# %%
def fresh_classifier():
    """MiniLM with a fresh 2-class head (seed 0), no dropout, only the top two layers trainable."""
    model = load(AutoModelForSequenceClassification, "minilm", num_labels=2,
                 id2label=dict(enumerate(class_names)), label2id={name: k for k, name in enumerate(class_names)},
                 hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    model.bert.embeddings.requires_grad_(False)
    for layer in model.bert.encoder.layer[:4]:
        layer.requires_grad_(False)
    return model


def accuracy(model, data):
    """The share of `data` whose highest logit is the right class."""
    model.eval()
    encoded = bert_tokenizer([text for text, _ in data], padding=True, return_tensors="pt").to(device)
    with torch.no_grad():
        predicted = model(**encoded).logits.argmax(dim=-1).cpu()
    return (predicted == torch.tensor([label for _, label in data])).sum().item() / len(data)


student = fresh_classifier()
trainable = sum(p.numel() for p in student.parameters() if p.requires_grad)
total = sum(p.numel() for p in student.parameters())
accuracy_before = accuracy(student, test_set)
print(f"trainable parameters: {trainable:,} of {total:,}")
print("test accuracy before training:", accuracy_before)
assert accuracy_before == 0.55
assert [any(p.requires_grad for p in layer.parameters()) for layer in student.bert.encoder.layer] == [False] * 4 + [True] * 2

# %% [markdown]
# With the lower layers frozen, 3,697,538 of the 22,713,986 parameters remain trainable.
# Before training, the head is random and so are its answers: 11 of the 20 test sentences right,
# 0.55, about what a coin would score.
#
# ### A training loop by hand
#
# The loop is short. In each epoch, shuffle the training set with a generator seeded with
# 0 + epoch, cut it into batches of 8, and for each batch: tokenize, forward with `labels`,
# `loss.backward()`, `optimizer.step()`, `optimizer.zero_grad()`. The optimizer is AdamW with a
# constant learning rate of 2e-4 and no weight decay. `model.train()` switches the model to
# training mode (which matters for dropout and similar layers) and `model.eval()` switches back.
# Three epochs of five batches:

# %%
optimizer = torch.optim.AdamW([p for p in student.parameters() if p.requires_grad], lr=2e-4, weight_decay=0.0)
loop_losses = []
student.train()
for epoch in range(3):
    shuffler = torch.Generator().manual_seed(0 + epoch)  # a fresh order each epoch, from seed + epoch
    order = torch.randperm(len(train_set), generator=shuffler).tolist()
    for start in range(0, len(order), 8):
        chunk = [train_set[i] for i in order[start:start + 8]]
        inputs = bert_tokenizer([text for text, _ in chunk], padding=True, return_tensors="pt").to(device)
        step = student(**inputs, labels=torch.tensor([label for _, label in chunk], device=device))
        step.loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        loop_losses.append(step.loss.item())
student.eval()

epoch_means = [sum(loop_losses[k:k + 5]) / 5 for k in range(0, 15, 5)]
accuracy_after = accuracy(student, test_set)
print("steps:", len(loop_losses), "| mean loss per epoch:", [round(value, 2) for value in epoch_means])
print("test accuracy:", accuracy_before, "->", accuracy_after)
assert len(loop_losses) == 15 and epoch_means[0] > epoch_means[1] > epoch_means[2]
assert loop_losses[-1] < 0.2
assert accuracy_after > accuracy_before and accuracy_after == 1.0

# %% [markdown]
# The mean loss falls from epoch to epoch, from 0.63 to 0.26 to 0.04, and after 15 steps the
# classifier gets every one of the 20 unseen test sentences right. @fig-loss-curve, after the next
# section, shows the loss of every step.

# %% [markdown]
# ### The same with `Trainer`
#
# `Trainer` runs that loop for you, with the batching, shuffling, optimizer, a learning-rate
# schedule, logging, evaluation and checkpointing. Three pieces go in:
#
# - `TrainingArguments`: every setting, in one object. Two defaults of transformers 5.23 are worth
#   knowing: `report_to` now defaults to no integration at all (an empty list: no experiment
#   tracker is contacted unless you name one; older versions reported to every tracker installed), and
#   `save_strategy` is `"steps"`, so a long run writes checkpoints into `output_dir`; here a
#   temporary folder, and `save_strategy="no"`.
# - a data set: any sequence of dicts will do, here the tokenizer's output plus a `labels` entry;
#   no `datasets` library needed.
# - a **data collator**, which turns a list of such dicts into one padded batch of tensors.
#   `DataCollatorWithPadding` pads each batch only to its own longest sentence:

# %%
train_features = [dict(bert_tokenizer(text), labels=label) for text, label in train_set]
test_features = [dict(bert_tokenizer(text), labels=label) for text, label in test_set]
collator = DataCollatorWithPadding(bert_tokenizer)
sample = collator(train_features[:3])
print("one feature:", {key: type(value).__name__ for key, value in train_features[0].items()})
print("collated:", {key: tuple(value.shape) for key, value in sample.items()})
with tempfile.TemporaryDirectory() as scratch:
    defaults = TrainingArguments(output_dir=scratch)
print("defaults: report_to", defaults.report_to, "| save_strategy", defaults.save_strategy.value)
assert sample["labels"].tolist() == [label for _, label in train_set[:3]]
assert defaults.report_to == [] and defaults.save_strategy.value == "steps"

# %% [markdown]
# Three sentences of different lengths came out as one (3, 12) batch, and the labels as a tensor of
# shape (3,). Now the run, set up to repeat the hand loop exactly: the same fresh model (seed 0),
# batch size, learning rate and number of epochs, and two defaults switched off, the linear decay
# of the learning rate and the clipping of the gradient norm. `Trainer`'s default optimizer is
# AdamW with no weight decay, as in our loop, and it shuffles each epoch with a generator seeded
# with `seed` + epoch (through the `accelerate` library), which is where the loop's choice came
# from.
#
# With `disable_tqdm=True` there is no progress bar, but `Trainer` then prints every log line
# through its `PrinterCallback`, timings included; we remove that callback and read the numbers
# from `trainer.state.log_history` instead.

# %%
with tempfile.TemporaryDirectory() as output_dir:
    args = TrainingArguments(
        output_dir=output_dir,
        num_train_epochs=3,
        per_device_train_batch_size=8,
        per_device_eval_batch_size=20,
        learning_rate=2e-4,
        lr_scheduler_type="constant",  # the default, "linear", lowers the rate to 0 over the run
        max_grad_norm=0.0,  # the default, 1.0, clips the gradient norm; 0 switches clipping off
        seed=0,
        logging_strategy="steps",
        logging_steps=1,  # one log entry, and one loss, per step
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
        dataloader_pin_memory=False,  # pinned memory only helps a GPU; on a CPU it earns a warning
    )
    trainer = Trainer(model=fresh_classifier(), args=args, train_dataset=train_features,
                      eval_dataset=test_features, data_collator=collator, processing_class=bert_tokenizer)
    trainer.remove_callback(PrinterCallback)
    trainer_accuracy_before = accuracy(trainer.model, test_set)
    result = trainer.train()
    evaluation = trainer.evaluate()
    predictions = trainer.predict(test_features)

trainer_losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
trainer_epochs = [sum(trainer_losses[k:k + 5]) / 5 for k in range(0, 15, 5)]
trainer_accuracy = float((predictions.predictions.argmax(-1) == predictions.label_ids).mean())
print("steps:", result.global_step, "| mean loss per epoch:", [round(value, 2) for value in trainer_epochs])
print("training loss:", round(result.training_loss, 2), "| test loss:", round(evaluation["eval_loss"], 2))
print("test accuracy:", trainer_accuracy_before, "->", trainer_accuracy)
print("largest step-by-step difference from the hand loop < 0.001:",
      max(abs(a - b) for a, b in zip(loop_losses, trainer_losses)) < 1e-3)
assert result.global_step == len(trainer_losses) == 15
assert max(abs(a - b) for a, b in zip(loop_losses, trainer_losses)) < 1e-3
assert trainer_accuracy > trainer_accuracy_before and trainer_accuracy == 1.0

# %% [markdown]
# `Trainer` took the same 15 steps, saw the same batches in the same order, and its loss at every
# step matches the hand loop's (@fig-loss-curve): the packaged loop is the loop we wrote. Its
# `training_loss` is the mean over all steps, 0.31; on the 20 test sentences the loss is 0.01 and
# every prediction is right. The returned `TrainOutput` and the evaluation dict also carry timings
# (`train_runtime`, `eval_runtime`), which is why only the losses are printed here.

# %%
#| label: fig-loss-curve
#| fig-cap: "Training loss at each of the 15 steps (3 epochs of 5 batches of 8 sentences) for the hand-written loop (line) and for `Trainer` (crosses), starting from the same fresh head. The dotted line marks ln 2, the loss of a head that guesses 50/50."
#| fig-alt: "A line chart of loss against training step from 1 to 15. The loss starts at the dotted line at 0.69, stays between 0.55 and 0.7 during the first epoch, then falls, with some noise from batch to batch, to about 0.02 at step 15. Trainer's crosses sit on the hand loop's line at every step."
fig, ax = plt.subplots(figsize=(7, 3.5))
steps = range(1, 16)
ax.plot(steps, loop_losses, marker="o", label="hand-written loop")
ax.plot(steps, trainer_losses, marker="x", linestyle="none", markersize=10, color="black", label="Trainer")
ax.axhline(math.log(2), color="gray", linestyle=":", label="ln 2")
for boundary in (5.5, 10.5):
    ax.axvline(boundary, color="lightgray", linewidth=0.8)
ax.set_xlabel("step (epochs end after steps 5 and 10)")
ax.set_ylabel("training loss")
ax.set_xticks(list(steps))
ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# ### Beyond the built-in losses
#
# The model's forward pass knows only the losses above. Label smoothing, which aims at 0.9 for the
# right class instead of 1.0, has its own switch in `TrainingArguments` (`label_smoothing_factor`).
# Anything else, such as class weights for an unbalanced data set, means computing the loss
# yourself from the logits: `F.cross_entropy` takes `weight=` and `label_smoothing=`, and
# `Trainer(compute_loss_func=...)` accepts a function `(outputs, labels, num_items_in_batch)`
# that returns the loss. On the pair of sentences from the start of the chapter:

# %%
def weighted_loss(outputs, labels, num_items_in_batch=None):
    """Cross-entropy that counts a mistake on class 1 three times as much as one on class 0."""
    return F.cross_entropy(outputs.logits, labels, weight=torch.tensor([1.0, 3.0], device=labels.device))


print("plain:", round(F.cross_entropy(outputs.logits, labels).item(), 3),
      "| class weights 1:3:", round(weighted_loss(outputs, labels).item(), 3),
      "| label smoothing 0.1:", round(F.cross_entropy(outputs.logits, labels, label_smoothing=0.1).item(), 3))
perfect = torch.tensor([[-10.0, 10.0]])
print("confident and right, plain:", round(F.cross_entropy(perfect, torch.tensor([1])).item(), 3),
      "| with smoothing:", round(F.cross_entropy(perfect, torch.tensor([1]), label_smoothing=0.1).item(), 3))
assert F.cross_entropy(perfect, torch.tensor([1]), label_smoothing=0.1) > 0.5

# %% [markdown]
# At the start of training, with logits near zero, these variants barely differ. They matter later:
# with smoothing, even a confident right answer keeps a loss of about 1 instead of 0, which stops
# the model from pushing its logits ever further apart.

# %% [markdown]
# ## Summary
#
# | Structure | API | Field |
# |---|---|---|
# | Targets for the head | `model(**inputs, labels=...)` | `outputs.loss`, a scalar, next to `logits` |
# | Which loss a classifier uses | `config.problem_type`, guessed from `num_labels` and the labels' dtype, then stored | `CrossEntropyLoss`, `MSELoss` or `BCEWithLogitsLoss` |
# | Positions that must not count | label -100 (`ignore_index` of `F.cross_entropy`), from `word_ids()` and `attention_mask` | left out of the mean |
# | Next-token prediction | causal LM: `labels=input_ids`, shifted left inside the loss | `loss`; `math.exp(loss)` is the perplexity |
# | Teacher forcing in a translator | seq2seq: `labels` shifted right into `decoder_input_ids` (`prepare_decoder_input_ids_from_labels`) | `loss` with no further shift |
# | A training step | `loss.backward()`, `optimizer.step()`, `optimizer.zero_grad()` | the loss falls |
# | The training loop, packaged | `Trainer`, `TrainingArguments`, `DataCollatorWithPadding` | `trainer.state.log_history`, `trainer.predict` |
#
# A fresh head starts at a loss of about ln *k* for *k* classes; -100 is the one label value that
# never counts; and whether you pass labels to a classifier, a tagger, a causal LM or a translator,
# you pass them unshifted and let the model do the alignment.

# %% [markdown]
# ## Exercises
#
# Each exercise has a cell for your answer: replace `None`, run the cell, and `check` tells you
# whether the answer is right. The solution is folded away below it.
#
# **Exercise 9.1.** Using `align` from this chapter, label the sentence "Ada Lovelace visited
# Kensington in 1842." with word tags `["B-PER", "I-PER", "O", "B-LOC", "O", "O", "O"]`. How many
# of its positions get the label -100? Answer with an `int`.

# %%
check("09.1", None)

# %%
#| code-fold: true
#| code-summary: "Solution"
ada = bert_tokenizer("Ada Lovelace visited Kensington in 1842.")
check("09.1", align(ada.word_ids(), ["B-PER", "I-PER", "O", "B-LOC", "O", "O", "O"]).count(-100))

# %% [markdown]
# **Exercise 9.2.** For the German target "Heute liebe ich den großen Hund." on its own (no
# padding), what are the `decoder_input_ids` that `tiny-t5` builds from its labels? Shift by hand,
# then compare with `t5.prepare_decoder_input_ids_from_labels`. Answer with a list of ints.

# %%
check("09.2", None)

# %%
#| code-fold: true
#| code-summary: "Solution"
hund = t5_tokenizer(text_target="Heute liebe ich den großen Hund.")["input_ids"]
check("09.2", [t5.config.decoder_start_token_id] + hund[:-1])

# %% [markdown]
# **Exercise 9.3.** What is the perplexity of `tiny-gpt2` on the sentence "Dictionaries map keys to
# values."? Pass the sentence alone, with `labels=input_ids`, and take `math.exp` of the loss.
# Answer with a `float`.

# %%
check("09.3", None)

# %%
#| code-fold: true
#| code-summary: "Solution"
dictionary = gpt_tokenizer("Dictionaries map keys to values.", return_tensors="pt").to(device)
with torch.no_grad():
    check("09.3", math.exp(gpt(**dictionary, labels=dictionary["input_ids"]).loss.item()))
