# %% [markdown]
# # Tokenization: from text to ids and back {#sec-tokenization}
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/structure-to-api/structure-to-api/blob/main/notebooks/02-tokenization.ipynb) [Download this notebook](https://github.com/structure-to-api/structure-to-api/raw/main/notebooks/02-tokenization.ipynb)
#
# A Transformer never sees a letter. Its first layer is an embedding table, a matrix with one row per
# entry of a fixed vocabulary, and all it can do with its input is look rows up by number. Something
# has to cut text into pieces that are in the vocabulary, replace each piece by its row number, add
# the markers the model was trained with, and pad a batch into a rectangle. That something is the
# tokenizer, and it is the part of a model that is easiest to get subtly wrong: the wrong tokenizer
# does not crash, it just feeds the network ids that mean something else. This chapter takes three
# real tokenizers apart, one for each of the algorithms that dominate practice: WordPiece (BERT),
# byte-level BPE (GPT-2) and Unigram (T5).
#
# **You will learn**
#
# - what `tokenizer(text)` returns, and which step adds `[CLS]`, `[SEP]`, `token_type_ids` and
#   `attention_mask`;
# - to run the steps one at a time: normalize, pre-tokenize, `tokenize`, `convert_tokens_to_ids`,
#   add special tokens, `decode`;
# - how `padding`, `truncation`, `max_length` and `padding_side` shape a batch, and why the attention
#   mask is the key-padding mask of self-attention;
# - how byte-level BPE (`Ġ`, exact round trips, no pad token) and SentencePiece Unigram (`▁`, `</s>`)
#   differ from WordPiece;
# - how offsets and `word_ids()` lead from tokens back to characters and words, and what the
#   vocabulary itself looks like.

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
# Three tokenizers from the book's catalog: `minilm` carries the WordPiece vocabulary of
# bert-base-uncased, `gpt2-tokenizer` is the byte-level BPE tokenizer of GPT-2 itself, and `tiny-t5`
# is a small T5 model whose Unigram tokenizer this project trained on a synthetic English-German
# corpus. A tokenizer is only files (a vocabulary and some rules), so loading one takes a moment and
# no model weights.

# %%
import torch
import transformers
from IPython.display import Markdown, display
from transformers import AutoModel, AutoTokenizer

from structapi import checkpoint, pick_device, seed_everything
from structapi.exercises import check

seed_everything(0)
device = pick_device()

wordpiece = AutoTokenizer.from_pretrained(checkpoint("minilm"))
bpe = AutoTokenizer.from_pretrained(checkpoint("gpt2-tokenizer"))
unigram = AutoTokenizer.from_pretrained(checkpoint("tiny-t5"))
for name, tok in [("minilm", wordpiece), ("gpt2-tokenizer", bpe), ("tiny-t5", unigram)]:
    print(f"{name:<15} {type(tok).__name__:<15} algorithm: {type(tok.backend_tokenizer.model).__name__}")

# %% [markdown]
# ## One call: text in, ids out
#
# Calling the tokenizer on a string runs every step at once and returns a `BatchEncoding`, a
# dictionary with one list per model input. For the BERT family those inputs are `input_ids` (the
# row numbers), `token_type_ids` (which segment each token belongs to) and `attention_mask` (which
# positions are real).

# %%
sentence = "I love deep learning."
encoding = wordpiece(sentence)
print(type(encoding).__name__, list(encoding.keys()))
print("input_ids:     ", encoding["input_ids"])
print("tokens:        ", encoding.tokens())
print("token_type_ids:", encoding["token_type_ids"])
print("attention_mask:", encoding["attention_mask"])
assert encoding["input_ids"] == [101, 1045, 2293, 2784, 4083, 1012, 102]

# %% [markdown]
# Four words and a full stop became seven ids. The sentence itself gives five tokens, lower-cased,
# with the full stop as a token of its own. The tokenizer then wraps them in two **special tokens**:
# `[CLS]` (id 101) opens every input, and BERT-style models read their sentence-level summary from its
# position; `[SEP]` (id 102) closes each segment. A single sentence is one segment, so every
# `token_type_id` is 0, and nothing is padding, so every `attention_mask` entry is 1.
#
# With `return_tensors="pt"` the lists become PyTorch tensors with a batch dimension in front, which
# is the form a model's `forward` takes:

# %%
tensors = wordpiece(sentence, return_tensors="pt")
print({key: tuple(value.shape) for key, value in tensors.items()})
print(tensors["input_ids"])

# %% [markdown]
# ::: {.callout-note}
# ## Transformers 5: one tokenizer class per model
#
# Older tutorials distinguish a "slow" Python tokenizer (`BertTokenizer`) from a "fast" Rust one
# (`BertTokenizerFast`) and pass `use_fast=True`. In transformers 5 there is one class, backed by the
# Rust `tokenizers` library: `AutoTokenizer` returns `BertTokenizer`, `BertTokenizerFast` is another
# name for the same class, and `use_fast=False` is ignored. The old helpers `encode_plus`,
# `batch_encode_plus` and `build_inputs_with_special_tokens` are gone; call the tokenizer itself.
# :::

# %%
print("class:", type(wordpiece).__name__, "| is_fast:", wordpiece.is_fast)
print("BertTokenizerFast is BertTokenizer:", transformers.BertTokenizerFast is transformers.BertTokenizer)
slow_request = AutoTokenizer.from_pretrained(checkpoint("minilm"), use_fast=False)
print("use_fast=False gives:", type(slow_request).__name__)
for old in ["encode_plus", "batch_encode_plus", "build_inputs_with_special_tokens"]:
    print(f"has {old}:", hasattr(wordpiece, old))

# %% [markdown]
# ## The steps one at a time
#
# Inside, the tokenizer is a pipeline of four stages, each an object of the `tokenizers` library that
# `backend_tokenizer` exposes:
#
# 1. the **normalizer** cleans the raw string (for this vocabulary: lower-case, strip accents);
# 2. the **pre-tokenizer** splits it into words, at spaces and punctuation;
# 3. the **model** (here WordPiece) cuts each word into pieces from the vocabulary;
# 4. the **post-processor** adds the special tokens.
#
# A fifth object, the **decoder**, runs the other way when ids are turned back into text.

# %%
backend = wordpiece.backend_tokenizer
print("normalizer:    ", backend.normalizer)
print("pre-tokenizer: ", backend.pre_tokenizer)
print("model:         ", type(backend.model).__name__,
      "| sub-word prefix:", backend.model.continuing_subword_prefix)
print("decoder:       ", backend.decoder)

# %% [markdown]
# ### Normalization: case and accents
#
# The vocabulary is *uncased*: it was built from lower-cased text with the accents removed, so the
# normalizer must do the same to every input. `normalize_str` runs this one stage on its own.

# %%
print(backend.normalizer.normalize_str("Héllo WORLD, café!"))
print(wordpiece("Hello HELLO hello")["input_ids"])
assert backend.normalizer.normalize_str("Héllo WORLD, café!") == "hello world, cafe!"
assert wordpiece("Hello HELLO hello")["input_ids"] == [101, 7592, 7592, 7592, 102]

# %% [markdown]
# All three spellings of "hello" become id 7592: whatever case carried is gone before the model
# sees the text. A cased vocabulary keeps them apart; GPT-2's, later in this chapter, is one.
#
# ### Pre-tokenization: words and their character spans
#
# The pre-tokenizer splits at white space and around every punctuation mark, and records where each
# piece sits in the string. Those `(start, end)` spans travel with the tokens to the end.

# %%
print(backend.pre_tokenizer.pre_tokenize_str("i've got 3.5 apples!"))

# %% [markdown]
# ### `tokenize`: words into sub-words
#
# WordPiece keeps a word whole when the vocabulary has it. Otherwise it takes the longest prefix
# that is in the vocabulary, then the longest continuation, and so on. A continuation piece is
# spelled with a leading `##`, meaning "glued to the previous piece, no space in between".
# `tokenize` runs the first three stages and returns the pieces as strings.

# %%
pieces = wordpiece.tokenize("I've been waiting for a HuggingFace course")
print(pieces)
assert pieces[-3:] == ["hugging", "##face", "course"]
print(wordpiece.tokenize("Transformers are unbelievably useful."))

# %% [markdown]
# "HuggingFace" is not in the vocabulary, but `hugging` and `##face` are. "unbelievably" needs five
# pieces. Common words cost one token, rare words several, and no word is ever out of reach as long
# as its letters are in the vocabulary.
#
# ### `convert_tokens_to_ids`: pieces into row numbers
#
# The vocabulary maps each piece to an id, the row of the embedding matrix that represents it. A
# string that is not in the vocabulary gets the id of `[UNK]`, 100.

# %%
tokens = wordpiece.tokenize(sentence)
ids = wordpiece.convert_tokens_to_ids(tokens)
print(tokens, "->", ids)
print(wordpiece.convert_tokens_to_ids(["love", "qwertyuiop", "[UNK]"]))
assert wordpiece.convert_tokens_to_ids("qwertyuiop") == wordpiece.unk_token_id == 100

# %% [markdown]
# ### Adding special tokens
#
# The last stage wraps the ids in `[CLS]` ... `[SEP]`. Doing it by hand with the tokenizer's
# `cls_token_id` and `sep_token_id` gives exactly what the one-call version returned. The rule
# itself is stored as a template in the post-processor; `num_special_tokens_to_add` reports how
# many tokens it adds to one sentence and to a pair.

# %%
by_hand = [wordpiece.cls_token_id] + ids + [wordpiece.sep_token_id]
print(by_hand)
assert by_hand == wordpiece(sentence)["input_ids"]
print("special tokens added: single", wordpiece.num_special_tokens_to_add(),
      "| pair", wordpiece.num_special_tokens_to_add(pair=True))
print(wordpiece(sentence, add_special_tokens=False)["input_ids"])

# %% [markdown]
# `add_special_tokens=False` switches the last stage off, which is what you want when you build
# inputs from fragments yourself.
#
# ### `decode`: ids back to text
#
# `decode` maps ids to pieces, glues `##` pieces to their predecessor, and joins the rest with spaces.
# `skip_special_tokens=True` drops `[CLS]`, `[SEP]` and `[PAD]`.

# %%
full = wordpiece(sentence)["input_ids"]
print(repr(wordpiece.decode(full)))
print(repr(wordpiece.decode(full, skip_special_tokens=True)))

# %% [markdown]
# The round trip is lossy. The capital "I" is gone for good, and WordPiece does not remember whether
# there was a space before a punctuation mark, so `decode` has to guess. The decoder (the
# `cleanup=True` printed above) glues `.`, `,`, `?` and `!` to the word before them, but it leaves
# the apostrophes of contractions standing between spaces:

# %%
contraction = wordpiece("I've been waiting, don't you?")["input_ids"]
print(repr(wordpiece.decode(contraction, skip_special_tokens=True)))
print(repr(wordpiece.decode(contraction, skip_special_tokens=True, clean_up_tokenization_spaces=True)))
print("default clean_up_tokenization_spaces:", wordpiece.clean_up_tokenization_spaces)

# %% [markdown]
# ::: {.callout-warning}
# ## Transformers 5 no longer tidies decoded text by default
#
# `clean_up_tokenization_spaces` is a second, string-level pass after decoding that also rejoins
# contractions (`" ' "`, `" n't"`, `" 've"` and a few more). Older versions switched it on for BERT
# tokenizers, so tutorials print "i've"; in transformers 5 the default is `False` and you get
# "i ' ve" unless you pass `clean_up_tokenization_spaces=True`. Neither is the original text: only a
# tokenizer that keeps every byte can promise that, as GPT-2's does below.
# :::
#
# ### Unknown characters
#
# WordPiece can only build a word from pieces it has. The vocabulary holds 997 single characters
# (among them 244 CJK ideographs, the Chinese characters, which the pre-tokenizer always splits one by
# one), but no emoji. A word with even one unknown character becomes a single `[UNK]` in full.

# %%
single_characters = [piece for piece in wordpiece.get_vocab() if len(piece) == 1]
print("single characters:", len(single_characters),
      "| of them CJK ideographs:", sum("\u4e00" <= piece <= "\u9fff" for piece in single_characters))
assert len(single_characters) == 997
print(wordpiece.tokenize("hi😀there naïve café 北京"))
print(wordpiece("😀")["input_ids"])

# %% [markdown]
# "hi😀there" is one word to the pre-tokenizer, and the whole of it turns into `[UNK]`; the accents
# of "naïve" and "café" are stripped by the normalizer, and 北京 becomes two characters.
#
# ## Batches: padding, truncation, tensors
#
# Sentences have different lengths, but a batch is one rectangular tensor. Passing a list of strings
# with `padding=True` pads every row to the longest one with `[PAD]` (id 0), and the attention mask
# marks the filler with 0.

# %%
pair_of_sentences = ["I love deep learning.", "Tokenizers turn text into numbers for the model."]
batch = wordpiece(pair_of_sentences, padding=True, return_tensors="pt")
print("input_ids shape:", tuple(batch["input_ids"].shape))
print(batch["input_ids"])
print(batch["attention_mask"])
assert tuple(batch["input_ids"].shape) == (2, 13)
assert batch["attention_mask"][0].tolist() == [1] * 7 + [0] * 6
assert (batch["input_ids"][batch["attention_mask"] == 0] == wordpiece.pad_token_id).all()

# %% [markdown]
# The first sentence has 7 tokens and receives 6 `[PAD]`s, all with mask 0; the second fills its 13
# positions. "Tokenizers" alone costs three pieces (`token`, `##izer`, `##s`).
#
# To cap the length, `truncation=True` cuts rows longer than `max_length` (or, without
# `max_length`, longer than the model's limit, `model_max_length`). With `padding="max_length"`
# every row gets exactly `max_length` tokens. Truncation removes text, not the closing `[SEP]`.

# %%
capped = wordpiece(pair_of_sentences, padding="max_length", truncation=True, max_length=10, return_tensors="pt")
print("shape:", tuple(capped["input_ids"].shape), "| model_max_length:", wordpiece.model_max_length)
for row in capped["input_ids"]:
    print(wordpiece.convert_ids_to_tokens(row))
assert capped["input_ids"][1, -1].item() == wordpiece.sep_token_id

# %% [markdown]
# Padding goes on the right by default. The attribute `padding_side` moves it to the left, which
# decoder-only models need when they generate (new tokens are appended on the right, so the real
# text must end there). The ids are the same; only their positions change.

# %%
wordpiece.padding_side = "left"
left = wordpiece(pair_of_sentences, padding=True, return_tensors="pt")
wordpiece.padding_side = "right"
print(left["input_ids"][0])
print(left["attention_mask"][0])

# %% [markdown]
# ### The attention mask is the key-padding mask
#
# Self-attention lets every position (a *query*) take a weighted average over all positions (the
# *keys*). The `[PAD]` rows have to be there to make the tensor rectangular, but no real token
# should take anything from them. Before the softmax, the model adds a large negative number to the
# score of every key whose mask is 0; the softmax then gives those keys weight 0. The mask has one
# entry per key and is broadcast over heads and queries: it is the *key-padding mask* of attention.
# Here it is built by hand and applied to random scores of the shape a
# 12-head model produces, (batch, heads, queries, keys):

# %%
mask = batch["attention_mask"]
additive = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
scores = torch.randn(2, 12, 13, 13)
weights = torch.softmax(scores + additive, dim=-1)
print("mask", tuple(mask.shape), "-> additive", tuple(additive.shape), "-> weights", tuple(weights.shape))
print("largest weight on a [PAD] key:", weights[0, :, :, 7:].max().item())
print("weights still sum to 1:", torch.allclose(weights.sum(dim=-1), torch.ones(2, 12, 13)))
assert weights[0, :, :, 7:].max().item() == 0.0

# %% [markdown]
# @fig-key-padding draws the allowed query-key pairs for both sentences: the first sentence's 7 real
# tokens may look at each other, and no query looks at its last 6 columns. The `[PAD]` rows (queries)
# still get an output vector each, a meaningless one: no real token reads it, and anything that pools
# over positions, such as mean pooling or a loss, has to skip it using the same mask.

# %%
#| label: fig-key-padding
#| fig-cap: "The attention mask as a key-padding mask: for each sentence of the padded batch, the (query, key) pairs that attention may use (light) and the [PAD] keys it must ignore (dark)."
#| fig-alt: "Two 13-by-13 grids. In the left one, for the 7-token sentence, the last 6 columns are dark and the rest light; in the right one, for the 13-token sentence, every cell is light."
# %matplotlib inline
import matplotlib.pyplot as plt
from matplotlib.colors import ListedColormap

fig, axes = plt.subplots(1, 2, figsize=(10, 4.6))
for row, ax in enumerate(axes):
    allowed = mask[row][None, :].expand(13, 13)
    labels = wordpiece.convert_ids_to_tokens(batch["input_ids"][row])
    ax.imshow(allowed, cmap=ListedColormap(["#2b2b2b", "#cfe3f5"]), vmin=0, vmax=1)
    ax.set_xticks(range(13), labels, rotation=90, fontsize=8)
    ax.set_yticks(range(13), labels, fontsize=8)
    ax.set_xticks([x - 0.5 for x in range(1, 13)], minor=True)
    ax.set_yticks([y - 0.5 for y in range(1, 13)], minor=True)
    ax.grid(which="minor", color="white", linewidth=0.6)
    ax.tick_params(which="minor", length=0)
    ax.set_xlabel("key")
    ax.set_ylabel("query")
    ax.set_title(f"sentence {row + 1}: {int(mask[row].sum())} real tokens")
fig.tight_layout()
plt.show()

# %% [markdown]
# The real model does the same thing. Running the MiniLM encoder on the first sentence alone and
# inside the padded batch gives the same vectors for its 7 real tokens; dropping the mask lets the
# padding leak into every one of them.

# %%
transformers.logging.disable_progress_bar()  # the weight-loading bar is not the point here
encoder = AutoModel.from_pretrained(checkpoint("minilm")).to(device).eval()
on_device = {key: value.to(device) for key, value in batch.items()}
with torch.no_grad():
    alone = encoder(**wordpiece(sentence, return_tensors="pt").to(device)).last_hidden_state[0].cpu()
    padded = encoder(**on_device).last_hidden_state[0].cpu()
    no_mask = {key: on_device[key] for key in ["input_ids", "token_type_ids"]}
    unmasked = encoder(**no_mask).last_hidden_state[0].cpu()
print("alone", tuple(alone.shape), "| in the batch", tuple(padded.shape))
print("with the mask, the 7 real vectors match:", bool((alone - padded[:7]).abs().max() < 1e-4))
print("without the mask, they change:        ", bool((alone - unmasked[:7]).abs().max() > 0.1))
assert (alone - padded[:7]).abs().max() < 1e-4 and (alone - unmasked[:7]).abs().max() > 0.1

# %% [markdown]
# ## Sentence pairs and `token_type_ids`
#
# Some tasks read two texts at once: a question and a passage, a premise and a hypothesis. Passing
# two strings puts both in one input, `[CLS] A [SEP] B [SEP]`, and `token_type_ids` says which
# segment each token belongs to: 0 for the first (with `[CLS]` and its `[SEP]`), 1 for the second.

# %%
pair = wordpiece("How old are you?", "I am six years old.")
print(pair.tokens())
print(pair["token_type_ids"])
print("sequence_ids:", pair.sequence_ids())
assert pair["token_type_ids"] == [0] * 7 + [1] * 7

# %% [markdown]
# The structure behind the field is a second, tiny embedding table with one row per segment type,
# added to the token embeddings. MiniLM's has 2 rows of 384 numbers:

# %%
print("token_type_embeddings:", tuple(encoder.embeddings.token_type_embeddings.weight.shape))
print("config.type_vocab_size:", encoder.config.type_vocab_size)

# %% [markdown]
# Pairs batch like single sentences: pass a list of first texts and a list of second texts. The
# padding of the shorter pair gets mask 0 and token type 0 (`pad_token_type_id`).

# %%
pairs = wordpiece(["How old are you?", "Where do you live?"], ["I am six years old.", "In Berlin."],
                  padding=True, return_tensors="pt")
print(pairs["token_type_ids"])
print(pairs["attention_mask"])
print("pad_token_type_id:", wordpiece.pad_token_type_id)
assert (pairs["token_type_ids"][pairs["attention_mask"] == 0] == 0).all()

# %% [markdown]
# ## Byte-level BPE: the GPT-2 tokenizer
#
# GPT-2 reads text as UTF-8 bytes. Its vocabulary starts from the 256 possible bytes and adds 50,000
# merged byte sequences learned by Byte-Pair Encoding, plus one special token, `<|endoftext|>`.
# There is no normalizer: case, accents and spaces all reach the model. A space is part of the
# token that follows it, drawn as `Ġ`:

# %%
print("normalizer:", bpe.backend_tokenizer.normalizer, "| pre-tokenizer:", bpe.backend_tokenizer.pre_tokenizer)
for text in ["Hello world", " Hello world"]:
    enc = bpe(text)
    print(f"{text!r:<16}", enc["input_ids"], enc.tokens())
assert bpe("Hello world")["input_ids"] == [15496, 995]
assert bpe(" Hello world")["input_ids"] == [18435, 995]

# %% [markdown]
# "Hello" at the start of a text and " Hello" after a space are two different tokens, 15496 and
# 18435. `Ġ` is not a special marker: byte-level BPE shows each byte as a printable character, and
# the bytes that have no printable form of their own (the control characters and the space) are
# shifted up by 256. The space, byte 32, becomes character 288, which is `Ġ`; the newline, byte 10,
# becomes `Ċ`.

# %%
print("Ġ:", ord("Ġ"), "= 256 +", ord(" "), "| Ċ:", ord("Ċ"), "= 256 +", ord("\n"))
assert ord("Ġ") == 256 + ord(" ") and ord("Ċ") == 256 + ord("\n")
print(bpe.tokenize("def f(x):\n    return x"))

# %% [markdown]
# ### No special tokens, and an exact round trip
#
# GPT-2 adds nothing to the input: no start token, no end token, and no `token_type_ids`
# (`model_input_names` lists the inputs the tokenizer produces). Because every byte is in the
# vocabulary, nothing is ever unknown, and `decode` gives back the original string exactly, spaces,
# case, tabs and emoji included.

# %%
print("model_input_names:", bpe.model_input_names)
print("I love deep learning. ->", bpe(sentence)["input_ids"], bpe(sentence).tokens())
samples = ["I love deep learning.", "Héllo  WORLD\tnaïve café", "😀 北京\n", "x = [1, 2]  # two spaces"]
for text in samples:
    assert bpe.decode(bpe(text)["input_ids"]) == text
print("exact round trip for all", len(samples), "samples")
print(bpe.tokenize("naïve 😀"))

# %% [markdown]
# The emoji has no token of its own, so it is spelled by its bytes: `ĠðŁĺ` covers the space and
# three of its four UTF-8 bytes, `Ģ` the fourth. The pieces are unreadable, but decoding them
# restores the character.
#
# ### No pad token, and what to set
#
# GPT-2 was trained on long, unpadded streams of text, so its tokenizer defines no pad token, and
# asking it to pad raises an error that says what to do:

# %%
print("pad_token:", bpe.pad_token)
try:
    bpe(["Hello world", "I love deep learning."], padding=True)
except ValueError as error:
    print("ValueError:", str(error).split(".")[0])

# %% [markdown]
# The usual fix reuses the end-of-text token as padding. That is safe because the attention mask,
# not the id, tells the model which positions are filler. For generation, pad on the left. A second
# copy of the tokenizer keeps the original unchanged for the rest of the chapter.

# %%
bpe_padded = AutoTokenizer.from_pretrained(checkpoint("gpt2-tokenizer"))
bpe_padded.pad_token = bpe_padded.eos_token
bpe_padded.padding_side = "left"
padded_bpe = bpe_padded(["Hello world", "I love deep learning."], padding=True, return_tensors="pt")
print("pad_token:", bpe_padded.pad_token, "id", bpe_padded.pad_token_id)
print(padded_bpe["input_ids"])
print(padded_bpe["attention_mask"])
assert bpe_padded.pad_token_id == 50256

# %% [markdown]
# ## Unigram and SentencePiece: the T5 tokenizer
#
# T5 uses a SentencePiece vocabulary scored by a **Unigram** language model: every piece has a
# log-probability, and a word is split into the pieces whose log-probabilities add up to the most.
# SentencePiece treats the space as an ordinary symbol, drawn as `▁` (U+2581) at the start of the
# piece that follows it, and T5's post-processor appends the end-of-sequence token `</s>`. There is
# no start token, no `token_type_ids`, and no normalizer: case is kept.

# %%
t5_encoding = unigram(sentence)
print(t5_encoding["input_ids"])
print(t5_encoding.tokens())
print("eos:", unigram.eos_token, unigram.eos_token_id, "| pad:", unigram.pad_token, unigram.pad_token_id,
      "| unk:", unigram.unk_token, unigram.unk_token_id)
print("model_input_names:", unigram.model_input_names, "| pieces in the vocabulary:", len(unigram))
print("normalizer:", unigram.backend_tokenizer.normalizer)
print("pre-tokenizer:", unigram.backend_tokenizer.pre_tokenizer)
assert t5_encoding.tokens()[-1] == "</s>" and t5_encoding["input_ids"][-1] == unigram.eos_token_id == 1
assert len(unigram) == 645
print(repr(unigram.decode(t5_encoding["input_ids"])))
print(repr(unigram.decode(t5_encoding["input_ids"], skip_special_tokens=True)))

# %% [markdown]
# The ids are small because this vocabulary is small: the tiny-t5 tokenizer was trained only on the
# sentences of a synthetic English-German grammar and has 645 pieces. "love", "deep" and "learning"
# are whole pieces with their space, `▁love`; the vocabulary has no `▁I`, so "I" costs two pieces,
# the bare space `▁` and `I`. `decode` turns every `▁` back into a space and drops the one at the very start.
#
# ### How Unigram chooses a split
#
# Each piece's score is its log-probability under the Unigram model, stored in the tokenizer's JSON
# description. Among all ways to cover a word with pieces from the vocabulary, the tokenizer picks the
# one with the highest total score. For "reads" there are two candidates:

# %%
import json

unigram_json = json.loads(unigram.backend_tokenizer.to_str())
scores = {piece: score for piece, score in unigram_json["model"]["vocab"]}
whole = scores["▁reads"]
split = scores["▁read"] + scores["s"]
print("['▁reads']       ", round(whole, 4))
print("['▁read', 's']   ", round(split, 4))
print("chosen:", unigram.tokenize("reads"))
assert whole > split and unigram.tokenize("reads") == ["▁reads"]

# %% [markdown]
# One piece with log-probability -6.3 beats two pieces whose log-probabilities sum to -13.0: a split
# into more pieces multiplies more probabilities below 1, so Unigram prefers few, frequent pieces. The
# first entries of the vocabulary, in id order, are the three special tokens and then the most probable
# pieces:

# %%
print([(piece, round(score, 4)) for piece, score in list(scores.items())[:9]])

# %% [markdown]
# A character the training corpus never contained has no piece at all. Unigram maps it to `<unk>`
# (id 2), and, unlike byte-level BPE, it cannot be recovered: `decode` drops it. White space is not
# kept exactly either, since the pre-tokenizer splits at runs of spaces.

# %%
odd = unigram("naïve café 😀")
print(odd["input_ids"])
print(unigram.convert_ids_to_tokens(odd["input_ids"]))
print(repr(unigram.decode(odd["input_ids"], skip_special_tokens=True)))
print(repr(unigram.decode(unigram("two   spaces")["input_ids"], skip_special_tokens=True)))
assert odd["input_ids"].count(unigram.unk_token_id) == 3

# %% [markdown]
# A pair is joined as `A </s> B </s>`, with no segment ids: T5 marks its tasks with plain-text
# prefixes instead ("translate English to German: ..."), so there is nothing for `token_type_ids` to
# carry.

# %%
t5_pair = unigram("The dog reads a book.", "Der Hund liest ein Buch.")
print(t5_pair.tokens())
print(list(t5_pair.keys()))

# %% [markdown]
# ## From tokens back to characters: offsets and `word_ids`
#
# Every token remembers the span of the original string it came from. `return_offsets_mapping=True`
# returns those `(start, end)` character positions, and `word_ids()` gives the index of the
# pre-tokenizer word each token belongs to. Special tokens have the empty span `(0, 0)` and no word.

# %%
text = "HuggingFace tokenizers are fast."
aligned = wordpiece(text, return_offsets_mapping=True)
for token, (start, end), word in zip(aligned.tokens(), aligned["offset_mapping"], aligned.word_ids()):
    print(f"{token:<9} ({start:>2}, {end:>2})  {text[start:end]!r:<10} word {word}")
assert aligned.word_ids() == [None, 0, 0, 1, 1, 1, 2, 3, 4, None]

# %% [markdown]
# Offsets are what let a token-level prediction be shown on the original text: the tokens of word 1
# together span characters 12 to 22, "tokenizers", with its capital letters intact even though the
# tokens themselves are lower-cased. The `BatchEncoding` also answers the inverse questions:

# %%
print("character 3 is in token", aligned.char_to_token(3))
print("word 1 spans", aligned.word_to_chars(1))
print("token 4 spans", aligned.token_to_chars(4))

# %% [markdown]
# A common use is labelling words with a model that labels tokens, such as named-entity
# recognition: keep the prediction of each word's first token and ignore the rest. The first token
# of each word is where `word_ids()` changes:

# %%
word_ids = aligned.word_ids()
first_tokens = [i for i, w in enumerate(word_ids) if w is not None and (i == 0 or word_ids[i - 1] != w)]
print("first token of each word:", first_tokens, [aligned.tokens()[i] for i in first_tokens])

# %% [markdown]
# GPT-2's offsets follow its tokens, so a token that starts with `Ġ` also covers the space before it:

# %%
aligned_bpe = bpe(text, return_offsets_mapping=True)
for token, (start, end) in zip(aligned_bpe.tokens(), aligned_bpe["offset_mapping"]):
    print(f"{token:<8} ({start:>2}, {end:>2})  {text[start:end]!r}")

# %% [markdown]
# ## The vocabulary
#
# The vocabulary is the tokenizer's half of a contract with the model: the id of a piece is the row
# of the embedding matrix that was trained for it. `len(tokenizer)` counts every id, including added
# special tokens, and it must equal the number of rows:

# %%
print("len(wordpiece):", len(wordpiece))
print("word_embeddings:", tuple(encoder.get_input_embeddings().weight.shape))
assert len(wordpiece) == encoder.get_input_embeddings().weight.shape[0] == encoder.config.vocab_size == 30522
print(wordpiece.special_tokens_map)
print(dict(zip(wordpiece.all_special_tokens, wordpiece.all_special_ids)))

# %% [markdown]
# `get_vocab()` returns the whole mapping from piece to id. Read in id order, it shows how the
# vocabulary was laid out: `[PAD]` first, then reserved `[unused]` slots, the special tokens at
# 100-103, single characters from 999, then whole words and `##` pieces mixed, roughly by frequency,
# from 1996 on (`##s` is 2015), and the `##` forms of single characters at the very end.

# %%
vocab = wordpiece.get_vocab()
by_id = {i: piece for piece, i in vocab.items()}
for start in [0, 100, 999, 1996, 30512]:
    print(f"{start:>5}:", [by_id[i] for i in range(start, start + 8)])
print("the ->", vocab["the"], "| ##s ->", vocab["##s"])

# %% [markdown]
# The other two vocabularies, in the same form:

# %%
bpe_vocab = {i: piece for piece, i in bpe.get_vocab().items()}
print("GPT-2:  ", len(bpe), "ids |", bpe.special_tokens_map)
print("   first ids:", [bpe_vocab[i] for i in range(8)], "| 50256:", bpe_vocab[50256])
assert len(bpe) == 50257 and bpe.convert_tokens_to_ids("<|endoftext|>") == 50256
merges = len(json.loads(bpe.backend_tokenizer.to_str())["model"]["merges"])
print("   merges:", merges, "| 256 bytes + merges + <|endoftext|> =", 256 + merges + 1)
assert 256 + merges + 1 == len(bpe)
t5_vocab = {i: piece for piece, i in unigram.get_vocab().items()}
print("tiny-t5:", len(unigram), "ids |", unigram.special_tokens_map)
print("   first ids:", [t5_vocab[i] for i in range(8)])

# %% [markdown]
# ## Three tokenizers, side by side
#
# @tbl-side-by-side runs the same sentences through all three algorithms, with each tokenizer's
# default special tokens. The counts are what a model pays for: sequence length drives both the
# memory and the time of attention.

# %%
#| label: tbl-side-by-side
#| tbl-cap: "The same sentences through WordPiece (minilm), byte-level BPE (gpt2-tokenizer) and Unigram (tiny-t5), with default special tokens."
table_sentences = ["I love deep learning.", "Hello world", "HuggingFace tokenizers are fast.", "The dog reads a book."]
tokenizers_by_name = {"WordPiece": wordpiece, "byte-level BPE": bpe, "Unigram": unigram}
rows = ["| sentence | algorithm | tokens | pieces |", "|---|---|---:|---|"]
counts = {}
for text in table_sentences:
    for name, tok in tokenizers_by_name.items():
        pieces = tok(text).tokens()
        counts[text, name] = len(pieces)
        rows.append(f"| {text} | {name} | {len(pieces)} | `{' '.join(pieces)}` |")
display(Markdown("\n".join(rows)))

# %%
print(" " * 36, list(tokenizers_by_name))
for text in table_sentences:
    print(f"{text!r:<36}", [counts[text, name] for name in tokenizers_by_name])
assert [counts["HuggingFace tokenizers are fast.", name] for name in tokenizers_by_name] == [10, 8, 30]
assert [counts["The dog reads a book.", name] for name in tokenizers_by_name] == [8, 6, 8]

# %% [markdown]
# Part of each count is fixed overhead: WordPiece adds two special tokens, Unigram one (`</s>`),
# byte-level BPE none. The rest depends on the vocabulary as much as on the algorithm. GPT-2's 50,000
# merges were learned from web text, so everyday English costs about one token per word; only the
# rarer "HuggingFace" and "tokenizers" take several. The tiny-t5 vocabulary was learned from a narrow
# grammar: "The dog reads a book." is inside its world and costs one piece per word and one for the
# full stop, plus a bare `▁` before "a" and the closing `</s>`, 8 tokens, but "HuggingFace tokenizers
# are fast." is outside it and falls apart into single characters, 30 tokens. The same sentence can
# cost three to four times as many tokens with a tokenizer trained on the wrong text.

# %% [markdown]
# ## Summary
#
# | Structure | API | What you get |
# |---|---|---|
# | Normalizer (case, accents) | `backend_tokenizer.normalizer.normalize_str` | `"hello world, cafe!"` |
# | Pre-tokenizer (words + spans) | `backend_tokenizer.pre_tokenizer.pre_tokenize_str` | `[("i", (0, 1)), ...]` |
# | Sub-word model (WordPiece, BPE, Unigram) | `tokenize`, `convert_tokens_to_ids` | `["hugging", "##face"]`, ids |
# | Post-processor (special tokens) | `tokenizer(text)`, `add_special_tokens=False` | `[CLS] ... [SEP]`, `... </s>` |
# | Segments | `tokenizer(text_a, text_b)` | `token_type_ids` 0/1 |
# | Key-padding mask | `padding=True`, `padding_side` | `attention_mask`, 0 on `[PAD]` |
# | Length limit | `truncation=True`, `max_length` | rows cut, `[SEP]` kept |
# | Decoder | `decode`, `skip_special_tokens`, `clean_up_tokenization_spaces` | text (exact only for byte-level BPE) |
# | Alignment | `return_offsets_mapping=True`, `word_ids()` | character spans, word indices |
# | Vocabulary = embedding rows | `len(tokenizer)`, `get_vocab()`, `special_tokens_map` | 30522 / 50257 / 645 ids |
#
# A tokenizer is part of the model. Its ids only mean something to the embedding matrix trained
# with them, which is why a checkpoint ships its tokenizer and `AutoTokenizer.from_pretrained`
# should always load from the same checkpoint as the model.

# %% [markdown]
# ## Exercises
#
# Each exercise has a cell for your answer: replace `None`, run the cell, and `check` tells you
# whether the answer is right. The solution is folded away below it.
#
# **Exercise 2.1.** Which WordPiece tokens (without special tokens) does the MiniLM tokenizer make of
# "Transformers are unbelievably useful."? Answer with a list of strings.

# %%
check("02.1", None)

# %%
#| code-fold: true
#| code-summary: "Solution"
check("02.1", wordpiece.tokenize("Transformers are unbelievably useful."))

# %% [markdown]
# **Exercise 2.2.** Encode the pair ("Where is the station?", "It is next to the old bridge.") with
# the MiniLM tokenizer. How many tokens belong to the second segment, its `[SEP]` included? Answer
# with an `int`.

# %%
check("02.2", None)

# %%
#| code-fold: true
#| code-summary: "Solution"
check("02.2", sum(wordpiece("Where is the station?", "It is next to the old bridge.")["token_type_ids"]))

# %% [markdown]
# **Exercise 2.3.** How many GPT-2 tokens does "naïve café 😀" take, and how many bytes does it have
# in UTF-8? Answer with a dict `{"tokens": ..., "bytes": ...}`.

# %%
check("02.3", None)

# %%
#| code-fold: true
#| code-summary: "Solution"
emoji_text = "naïve café 😀"
check("02.3", {"tokens": len(bpe(emoji_text)["input_ids"]), "bytes": len(emoji_text.encode("utf-8"))})

# %% [markdown]
# **Exercise 2.4.** Using `return_offsets_mapping=True` and `word_ids()`, find the words of
# "Tokenizers split unbelievably rare words." that WordPiece cuts into more than one token. Answer
# with the list of those words as they appear in the original text (capitals kept), in order.

# %%
check("02.4", None)

# %%
#| code-fold: true
#| code-summary: "Solution"
rare_text = "Tokenizers split unbelievably rare words."
rare = wordpiece(rare_text, return_offsets_mapping=True)
spans = {}
for word, (start, end) in zip(rare.word_ids(), rare["offset_mapping"]):
    if word is not None:
        spans.setdefault(word, []).append((start, end))
check("02.4", [rare_text[p[0][0]:p[-1][1]] for p in spans.values() if len(p) > 1])

# %% [markdown]
# **Exercise 2.5.** How many tokens, special tokens included, does "The dog reads a book." take in
# each of the three tokenizers? Answer with a dict `{"wordpiece": ..., "bpe": ..., "unigram": ...}`.

# %%
check("02.5", None)

# %%
#| code-fold: true
#| code-summary: "Solution"
dog = "The dog reads a book."
check("02.5", {"wordpiece": len(wordpiece(dog)["input_ids"]), "bpe": len(bpe(dog)["input_ids"]),
               "unigram": len(unigram(dog)["input_ids"])})
