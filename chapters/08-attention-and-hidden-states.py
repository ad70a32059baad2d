# %% [markdown]
# # Attention weights and hidden states {#sec-attention}
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/structure-to-api/structure-to-api/blob/main/notebooks/08-attention-and-hidden-states.ipynb) [Download this notebook](https://github.com/structure-to-api/structure-to-api/raw/main/notebooks/08-attention-and-hidden-states.ipynb)
#
# A forward pass computes far more than the output fields we have used so far. Every layer builds
# one attention matrix per head, a table of how much each token takes from every other, and every
# layer hands a new vector per token to the next. Transformers can return all of it:
# `output_attentions=True` and `output_hidden_states=True` turn a model into an open box. This
# chapter asks for both, checks the rules the numbers obey (rows that sum to one, a mask above the
# diagonal, nothing for padding), draws them, builds an explorer that keeps working on a static web
# page, follows single words through the layers, and ends with what such pictures can and cannot
# tell you about why a model predicted what it did.
#
# **You will learn**
#
# - why `output_attentions=True` needs `attn_implementation="eager"`, and what the default `sdpa`
#   implementation returns instead;
# - the shape of the `attentions` tuple and the rules its numbers obey: rows that sum to 1, zeros
#   above the diagonal in a decoder, zeros for padding;
# - how to draw one head, one layer, or every cross-attention head of a translation model, and how
#   an explorer of pre-rendered pictures keeps working without Python;
# - what `hidden_states` holds (one entry per layer plus the embeddings), how a word's vector
#   drifts through the layers, and how the logit lens reads a decoder's intermediate guesses;
# - why an attention map is not an explanation of a prediction.

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
# Three models from the catalog: the MiniLM encoder (BERT, 6 layers, 12 heads), `tiny-gpt2` (a
# small GPT-2) and `tiny-t5` (a small English-to-German T5). Loading progress bars are switched
# off; they are not the subject here.

# %%

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
import transformers
from IPython.display import Markdown, display
from transformers import AutoModel, AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer

from structapi import checkpoint, pick_device, seed_everything
from structapi.exercises import check
from structapi.logs import transformers_messages
from structapi.explorer import attention_explorer
from structapi.plotting import plot_attention_grid, plot_attention_head, plot_attention_layer

seed_everything(0)
device = pick_device()
transformers.utils.logging.disable_progress_bar()  # no "Loading weights" bars in the outputs

tokenizer = AutoTokenizer.from_pretrained(checkpoint("minilm"))
gpt_tokenizer = AutoTokenizer.from_pretrained(checkpoint("tiny-gpt2"))
t5_tokenizer = AutoTokenizer.from_pretrained(checkpoint("tiny-t5"))
for name, loaded in [("minilm", tokenizer), ("tiny-gpt2", gpt_tokenizer), ("tiny-t5", t5_tokenizer)]:
    print(f"{name:<10} {type(loaded).__name__}")

# %% [markdown]
# ## Asking for attention weights
#
# The structure: in every layer, each head scores every query token against every key token, and a
# softmax turns each row of scores into weights that sum to 1. Those weights mix the value vectors.
# The API: pass `output_attentions=True` to the forward call and read `outputs.attentions`.
#
# There is a catch. Transformers 5 loads most models with PyTorch's fused
# `scaled_dot_product_attention` (`attn_implementation="sdpa"`), which computes the weighted mix in
# one kernel and never writes the weights to memory. Let us load MiniLM the default way and ask
# anyway, catching what transformers logs:

# %%
def logged(call):
    """Run call() and return its result together with whatever transformers logged meanwhile."""
    with transformers_messages() as messages:
        result = call()
    return result, "\n".join(messages).strip()


sentence = "The cat sat on the mat because it was tired."
inputs = tokenizer(sentence, return_tensors="pt").to(device)
tokens = tokenizer.convert_ids_to_tokens(inputs["input_ids"][0])

default_encoder = AutoModel.from_pretrained(checkpoint("minilm")).to(device).eval()
with torch.no_grad():
    sdpa_out, log = logged(lambda: default_encoder(**inputs, output_attentions=True))
print("implementation:", default_encoder.config._attn_implementation)
print("attentions:", sdpa_out.attentions)
print("logged:", log)
assert default_encoder.config._attn_implementation == "sdpa"
assert sdpa_out.attentions == () and "does not support `output_attentions=True`" in log

# %% [markdown]
# The call succeeds, the field exists, and it holds an **empty tuple**. The only hint is the line
# transformers logs once per process. Code that goes on to index `attentions[0]` fails with an
# `IndexError` far from the cause.
#
# ::: {.callout-warning}
# ## `output_attentions=True` needs `attn_implementation="eager"`
#
# With the default `sdpa` implementation, transformers 5 returns `attentions == ()` and logs
# "`sdpa` attention does not support `output_attentions=True`". Load the model with
# `from_pretrained(..., attn_implementation="eager")`, or switch a loaded model with
# `model.set_attn_implementation("eager")`. Older tutorials that only pass `output_attentions=True`
# were written when eager attention was the default. The eager path computes the same outputs,
# just more slowly, so use it when you want to look at the weights, not for production inference.
# :::
#
# Both routes, checked against each other and against the default model's output:

# %%
encoder = AutoModel.from_pretrained(checkpoint("minilm"), attn_implementation="eager").to(device).eval()
default_encoder.set_attn_implementation("eager")
with torch.no_grad():
    outputs = encoder(**inputs, output_attentions=True)
    switched = default_encoder(**inputs, output_attentions=True)

attentions = outputs.attentions
print("implementation:", encoder.config._attn_implementation, "|", default_encoder.config._attn_implementation)
print("attentions:", type(attentions).__name__, "of", len(attentions), "| each:", tuple(attentions[0].shape))
print("tokens:", tokens)
same_weights = all(torch.allclose(a, b) for a, b in zip(attentions, switched.attentions))
same_output = torch.allclose(outputs.last_hidden_state, sdpa_out.last_hidden_state, atol=1e-5)
print("same weights both routes:", same_weights, "| same last_hidden_state as sdpa:", same_output)
assert len(attentions) == encoder.config.num_hidden_layers == 6
assert tuple(attentions[0].shape) == (1, 12, 13, 13) and len(tokens) == 13
assert same_weights and same_output

# %% [markdown]
# `attentions` is a tuple with one entry per layer, 6 for MiniLM. Each entry has the shape
# (batch, heads, query positions, key positions): here (1, 12, 13, 13), one 13 x 13 matrix for
# each of the 12 heads, because the sentence is 13 tokens long with `[CLS]` and `[SEP]`. Row *i* of
# a matrix says how token *i* (the query) spreads its attention over all tokens (the keys).

# %% [markdown]
# ## Three rules the weights obey
#
# ### Every row sums to 1
#
# Each row is the output of a softmax, so every weight is between 0 and 1 and each row adds up to 1:

# %%
stacked = torch.stack(attentions).cpu()  # (layers, batch, heads, query, key)
row_sums = stacked.sum(dim=-1)
print("rows checked:", row_sums.numel(), "| min weight:", round(stacked.min().item(), 4),
      "| row sums between", round(row_sums.min().item(), 4), "and", round(row_sums.max().item(), 4))
assert row_sums.numel() == 6 * 12 * 13 and stacked.min() >= 0
assert torch.allclose(row_sums, torch.ones_like(row_sums), atol=1e-5)

# %% [markdown]
# All 936 rows (6 layers x 12 heads x 13 queries) sum to 1.0000. A weight is therefore a share:
# "token *i* takes 30 % of its mix from token *j*", never an absolute amount.
#
# ### Padding receives no attention
#
# In a batch, short sentences are padded, and `attention_mask` marks the padding with 0. Inside each
# layer that mask becomes a large negative number added to the scores of the padding *keys*, so the
# softmax gives them weight 0. Two sentences of different lengths:

# %%
pair = ["Dogs bark.", "The trophy did not fit in the suitcase because it was too big."]
padded = tokenizer(pair, padding=True, return_tensors="pt").to(device)
with torch.no_grad():
    padded_attn = torch.stack(encoder(**padded, output_attentions=True).attentions).cpu()

mask = padded["attention_mask"][0].cpu().bool()  # the short sentence: True for real tokens
on_padding = padded_attn[:, 0][..., ~mask]  # weight every query of sentence 0 puts on a padding key
print("shape:", tuple(padded_attn.shape), "| real tokens:", padded["attention_mask"].sum(dim=1).tolist())
print("largest weight on a padding key:", on_padding.max().item())
print("weight the real queries put on real keys, per row:",
      round(padded_attn[:, 0][..., mask, :][..., mask].sum(-1).min().item(), 4))
assert mask.sum().item() == 5 and on_padding.numel() > 0 and on_padding.max().item() == 0.0

# %% [markdown]
# "Dogs bark." is 5 tokens; the batch pads it to the length of the longer sentence. Across all 6
# layers and 12 heads, the largest weight any query of the short sentence puts on a padding key is
# exactly 0.0, so its real tokens share all of their attention among themselves (their rows still
# sum to 1 over the real keys). The padding positions themselves still *ask* (their query rows are
# computed like any other), but nothing reads their answers: the next layer hides them again, and
# @sec-encoder-heads showed how to leave them out of a sentence embedding.
#
# ### A decoder never looks ahead
#
# GPT-2 predicts the next token, so position *i* may only see positions up to *i*: a **causal
# mask** sets the scores above the diagonal to minus infinity before the softmax. `tiny-gpt2` with
# eager attention:

# %%
gpt = AutoModelForCausalLM.from_pretrained(checkpoint("tiny-gpt2"), attn_implementation="eager").to(device).eval()
code_prompt = "Return the number of items in the list."
gpt_inputs = gpt_tokenizer(code_prompt, return_tensors="pt").to(device)
gpt_tokens = gpt_tokenizer.convert_ids_to_tokens(gpt_inputs["input_ids"][0])
with torch.no_grad():
    gpt_out = gpt(**gpt_inputs, output_attentions=True, output_hidden_states=True)

gpt_attn = torch.stack(gpt_out.attentions).cpu()  # (layers, batch, heads, query, key)
above = torch.triu(gpt_attn, diagonal=1)
print("layers:", gpt.config.n_layer, "| heads:", gpt.config.n_head, "| tokens:", len(gpt_tokens))
print("attentions[0]:", tuple(gpt_out.attentions[0].shape))
print("largest weight above the diagonal:", above.max().item())
print("first token's weight on itself:", gpt_attn[..., 0, 0].min().item())
assert len(gpt_out.attentions) == gpt.config.n_layer
assert above.max().item() == 0.0 and torch.all(gpt_attn[..., 0, 0] == 1.0)
assert torch.allclose(gpt_attn.sum(-1), torch.ones(gpt_attn.shape[:-1]), atol=1e-5)

# %% [markdown]
# Every weight above the diagonal is exactly 0.0, in every layer and head. The first token can
# only see itself, so its single weight is 1.0. Compare the encoder above, whose rows spread over
# the whole sentence, left and right: same tuple, same shapes, different mask.

# %% [markdown]
# ## Drawing attention
#
# A matrix of weights is easiest to read as a heatmap: queries down the rows, keys along the
# columns, bright for large weights. The book's package has two helpers that take the tuple exactly
# as transformers returns it: `plot_attention_head(attentions, tokens, layer, head)` draws one
# head, and `plot_attention_layer(attentions, tokens, layer)` draws all heads of one layer.
#
# One head of MiniLM's layer 3, where the row of "it" has its largest weight on "cat":

# %%
#| label: fig-attention-head
#| fig-cap: "MiniLM, layer 3, head 1, for one sentence. Each row is a query token and shows how its attention is spread over the key tokens; every row sums to 1."
#| fig-alt: "A 13 by 13 heatmap with the tokens of 'The cat sat on the mat because it was tired.' on both axes. Most rows are dark except for a bright column at [CLS]; the row for 'it' has its brightest cell under 'cat'."
LAYER, HEAD = 3, 1
it_row = tokens.index("it")
it_weights = attentions[LAYER][0, HEAD, it_row].cpu()
print(f"layer {LAYER}, head {HEAD}: 'it' gives {it_weights.max().item():.2f} to {tokens[int(it_weights.argmax())]!r}, "
      f"{it_weights[0].item():.2f} to '[CLS]'")
assert tokens[int(it_weights.argmax())] == "cat"
plot_attention_head(attentions, tokens, LAYER, HEAD)
plt.show()

# %% [markdown]
# In @fig-attention-head the row of "it" puts its largest weight on "cat". Tempting as it is to call
# this head a coreference detector, hold that thought until the last section. Notice also the
# bright `[CLS]` column: many rows send most of their weight to the first token.
#
# The whole layer at once, in @fig-attention-layer:

# %%
#| label: fig-attention-layer
#| fig-cap: "All 12 heads of MiniLM's layer 3 for the same sentence, on one colour scale."
#| fig-alt: "A grid of 12 small heatmaps, 3 rows of 4. In nearly every panel the first column ([CLS]) is bright; only a few other cells stand out, such as the cell for 'it' and 'cat' in head 1."
cls_share = attentions[LAYER][0, :, :, 0].mean().item()
print(f"layer {LAYER}: average weight on '[CLS]' over all heads and queries: {cls_share:.2f}")
assert cls_share > 0.5
plot_attention_layer(attentions, tokens, LAYER)
plt.show()

# %% [markdown]
# In @fig-attention-layer nearly every head sends a large share of each row to `[CLS]` (the bright
# first column): in this layer `[CLS]` receives more than half of all attention on average. Only a
# few other cells stand out, "it" and "cat" in head 1 among them. This is one layer of six; the
# explorer in the next section shows them all, and the last section asks what the `[CLS]` column
# means.
#
# The helpers check their input and say what is wrong. The most common mistake, passing the empty
# tuple of an `sdpa` model, gets a message that names the fix:

# %%
try:
    plot_attention_head(sdpa_out.attentions, tokens, layer=0, head=0)
except ValueError as error:
    print("ValueError:", error)
try:
    plot_attention_head(attentions, tokens, layer=6, head=0)
except IndexError as error:
    print("IndexError:", error)

# %% [markdown]
# ## An explorer that works without Python
#
# With 6 layers x 12 heads there are 72 pictures per sentence, too many for a page of figures. An
# interactive explorer with a slider for the layer and one for the head is the obvious answer, and
# the usual way to build one (`ipywidgets.interact` calling a plotting function) has a flaw: it
# draws each picture in Python when the slider moves. On the book's website, and in any notebook
# opened without a running kernel, nothing answers, and the slider moves over a frozen picture.
#
# The explorer in `structapi.explorer` is built the other way round:
#
# - every picture is drawn **in advance** and stored as PNG bytes in an `ipywidgets.Image`;
# - the axes and token labels are the same for every head of a sentence, so they are stored once,
#   as a frame, and each head stores only its coloured square, laid over the frame's empty axes;
# - a `Stack` shows one of its children at a time: one stack per layer holds that layer's heads,
#   and an outer stack holds the layers (and one more level holds the sentences);
# - the sliders are tied to the stacks' `selected_index` with `ipywidgets.jslink`, a link that runs
#   **in the browser**, not in the kernel;
# - when the notebook is executed, the widgets' state (pictures included) is saved in its metadata,
#   and any page that shows the notebook can rebuild the widgets from it.
#
# So moving a slider switches pictures with no Python behind the page. The project's test suite
# exports a notebook with this explorer to HTML, opens it in a headless browser without a kernel,
# moves the sliders and checks that the picture changes (and that it does not when the links are
# ordinary kernel-side links). Two sentences, every layer and every head:

# %%
winograd = ["The cat sat on the mat because it was tired.",
            "The trophy did not fit in the suitcase because it was too big."]
examples = {}
for text in winograd:
    encoded = tokenizer(text, return_tensors="pt").to(device)
    with torch.no_grad():
        example_attn = encoder(**encoded, output_attentions=True).attentions
    examples[text] = ([a.cpu() for a in example_attn], tokenizer.convert_ids_to_tokens(encoded["input_ids"][0]))

explorer = attention_explorer(examples, size=3.6, dpi=64)
head_bytes = sum(len(png) for png in explorer.images.values())
print("pictures:", len(explorer.images), "| jslinks:", len(explorer.links),
      "| all heads' PNGs under 150 KB:", head_bytes < 150_000)
assert len(explorer.images) == 2 * 6 * 12 and len(explorer.links) == 1 + 2 + 2 * 6
assert head_bytes < 150_000
explorer

# %% [markdown]
# The explorer holds 144 pictures (2 sentences x 6 layers x 12 heads) and 15 browser-side links:
# one for the sentence menu, one per sentence for the layer slider, and one per sentence and
# layer for the head slider (`jslink` ties one value to one value, so the head slider needs a
# link to each of the 12 head stacks). A head's square is a PNG with a small palette, and all 144
# of them together take less than 150 KB, so the explorer keeps the saved notebook small. In the
# second sentence, look at where "it" points in the later layers: "trophy" or "suitcase"?

# %% [markdown]
# ## Hidden states: one vector per token, after every layer
#
# The structure: the embedding layer turns each token into a vector, and each layer replaces every
# vector with a new one of the same size. The API: `output_hidden_states=True` returns them all in
# `outputs.hidden_states`, a tuple with **one entry more than there are layers**: the embedding
# output first, then the output of each layer.

# %%
with torch.no_grad():
    states = encoder(**inputs, output_hidden_states=True)
    embedded = encoder.embeddings(input_ids=inputs["input_ids"], token_type_ids=inputs["token_type_ids"])

print("MiniLM hidden_states:", len(states.hidden_states), "entries, each", tuple(states.hidden_states[0].shape))
print("entry 0 == embeddings(...):", torch.equal(states.hidden_states[0], embedded),
      "| entry -1 == last_hidden_state:", torch.equal(states.hidden_states[-1], states.last_hidden_state))
assert len(states.hidden_states) == encoder.config.num_hidden_layers + 1 == 7
assert torch.equal(states.hidden_states[0], embedded)
assert torch.equal(states.hidden_states[-1], states.last_hidden_state)

positions = torch.arange(gpt_inputs["input_ids"].shape[1], device=device)
with torch.no_grad():
    gpt_embedded = gpt.transformer.wte(gpt_inputs["input_ids"]) + gpt.transformer.wpe(positions)
print("tiny-gpt2 hidden_states:", len(gpt_out.hidden_states), "entries, each", tuple(gpt_out.hidden_states[0].shape))
print("entry 0 == wte(ids) + wpe(positions):", torch.allclose(gpt_out.hidden_states[0], gpt_embedded))
assert len(gpt_out.hidden_states) == gpt.config.n_layer + 1
assert torch.allclose(gpt_out.hidden_states[0], gpt_embedded)

# %% [markdown]
# MiniLM returns 7 entries for its 6 layers. Entry 0 is exactly what the embedding module computes
# (word + position + segment embeddings, then a layer norm), and the last entry is the very tensor
# `last_hidden_state` holds. For `tiny-gpt2` entry 0 is the token embedding plus the position
# embedding, `wte(ids) + wpe(positions)`. Entry 0 of either model knows nothing about context: the
# same token at the same position always starts from the same vector.
#
# ### How a token's vector drifts
#
# How far does each layer move a token away from where it started? Two measures per token and
# layer: the cosine similarity of its vector to its own entry-0 vector, and the vector's length.

# %%
#| label: fig-drift
#| fig-cap: "How MiniLM's vectors change through the layers, for every token of the sentence: cosine similarity to the token's own embedding (left) and vector norm (right)."
#| fig-alt: "Two heatmaps with the 13 tokens down the rows and layers 0 to 6 across. On the left every row starts at 1 in entry 0 and fades with every entry, to between about 0.2 and 0.5 by entry 6 ([CLS] stays higher). On the right the norms rise after layer 0 and fall again in the last layers."
hidden = torch.stack(states.hidden_states)[:, 0].cpu()  # (layers + 1, tokens, hidden)
to_embedding = F.cosine_similarity(hidden, hidden[0:1], dim=-1)  # (layers + 1, tokens)
norms = hidden.norm(dim=-1)
mean_cosine = to_embedding.mean(dim=1)

figure, (left, right) = plt.subplots(1, 2, figsize=(9, 4.2))
for ax, values, name in [(left, to_embedding, "cosine to own embedding"), (right, norms, "vector norm")]:
    image = ax.imshow(values.T.numpy(), cmap="magma", aspect="auto")
    ax.set_xticks(range(len(values)), [str(layer) for layer in range(len(values))])
    ax.set_yticks(range(len(tokens)), tokens, fontsize=8)
    ax.set_xlabel("hidden_states entry (0 = embeddings)")
    ax.set_title(name, fontsize=10)
    figure.colorbar(image, ax=ax)
figure.tight_layout()
plt.show()
print("mean cosine to the embedding, per entry:", [round(value, 2) for value in mean_cosine.tolist()])
mean_norm = norms.mean(dim=1)
print("mean norm, per entry:", [round(value, 1) for value in mean_norm.tolist()])
assert torch.all(mean_cosine[1:] < mean_cosine[:-1])  # every layer moves the vectors further away
assert mean_norm[1] > mean_norm[0] and mean_norm[6] < mean_norm[5] < mean_norm[4]

# %% [markdown]
# In @fig-drift every token starts at cosine 1 (its own embedding) and drifts further with every
# layer: averaged over the sentence, the similarity falls from 1.0 to 0.37 by the last layer, and
# every layer lowers it. The norms are not constant either: on average they jump from 9.0 to 11.3
# after the first layer and shrink again in the last two, to 8.3. A hidden state in layer 5 is a blend of everything the token saw,
# not "the word it" anymore, and that matters when we read attention maps of late layers.
#
# ### "bank" in two senses
#
# Because entry 0 ignores context, the same word at the same position starts from the same vector.
# The layers then pull its vector towards the meaning the context selects. Three sentences with
# "bank" at position 2, two about rivers and one about money:

# %%
#| label: tbl-bank
#| tbl-cap: "Cosine similarity of the vector of \"bank\" (position 2) between sentences, in every entry of MiniLM's `hidden_states`."
banks = ["The bank of the river was muddy.", "The bank of the stream was steep.", "The bank raised its interest rates."]
bank_batch = tokenizer(banks, padding=True, return_tensors="pt").to(device)
bank_position = 2
assert all(tokenizer.convert_ids_to_tokens(ids)[bank_position] == "bank" for ids in bank_batch["input_ids"])
with torch.no_grad():
    bank_states = torch.stack(encoder(**bank_batch, output_hidden_states=True).hidden_states)[:, :, bank_position].cpu()

river_stream = F.cosine_similarity(bank_states[:, 0], bank_states[:, 1], dim=-1)
river_money = F.cosine_similarity(bank_states[:, 0], bank_states[:, 2], dim=-1)
lines = ["| entry | river vs stream | river vs money | gap |", "|---|---|---|---|"]
for layer, (same, other) in enumerate(zip(river_stream.tolist(), river_money.tolist())):
    lines.append(f"| {layer} | {same:.3f} | {other:.3f} | {same - other:.3f} |")
display(Markdown("\n".join(lines)))

# %%
assert torch.allclose(river_stream[0], torch.tensor(1.0)) and torch.allclose(river_money[0], torch.tensor(1.0))
assert torch.all(river_stream[1:] > river_money[1:])
print("largest gap at entry", int((river_stream - river_money).argmax()), "| final entry:",
      round(river_stream[-1].item(), 3), "vs", round(river_money[-1].item(), 3))

# %% [markdown]
# In @tbl-bank both similarities start at exactly 1: entry 0 is the same vector in all three
# sentences. From the first layer on, the two river banks stay closer to each other than either is
# to the money bank; the gap is largest in the middle, at entry 3. The encoder has no list of word senses;
# the separation comes from the context alone. (A cosine of 0.83 between the two senses in the last
# entry is still high: the vectors share a lot besides the sense, which is why such comparisons are
# only meaningful side by side.)

# %% [markdown]
# ## The logit lens: what a decoder would say after each layer
#
# A decoder turns its last hidden state into next-token scores with a final layer norm and the LM
# head. GPT-2 calls them `transformer.ln_f` and `lm_head`. The **logit lens** applies the same two
# modules to the hidden state after *every* layer, as if the model stopped there, and asks which
# token each layer would predict.
#
# One detail of the API matters: in GPT-2 the last entry of `hidden_states` is taken **after**
# `ln_f`, while the others are the raw outputs of the blocks. Check it before building on it:

# %%
ln_f, lm_head = gpt.transformer.ln_f, gpt.lm_head
block_outputs = []
hook = gpt.transformer.h[-1].register_forward_hook(lambda module, args, output: block_outputs.append(output))
with torch.no_grad():
    gpt(**gpt_inputs)
hook.remove()
last_block = block_outputs[0][0] if isinstance(block_outputs[0], tuple) else block_outputs[0]
with torch.no_grad():
    print("hidden_states[-1] == ln_f(last block's output):", torch.allclose(gpt_out.hidden_states[-1], ln_f(last_block), atol=1e-5))
    print("hidden_states[-1] == last block's output:      ", torch.allclose(gpt_out.hidden_states[-1], last_block, atol=1e-5))
    print("lm_head(hidden_states[-1]) == logits:          ", torch.allclose(lm_head(gpt_out.hidden_states[-1]), gpt_out.logits, atol=1e-4))
    assert torch.allclose(gpt_out.hidden_states[-1], ln_f(last_block), atol=1e-5)
    assert not torch.allclose(gpt_out.hidden_states[-1], last_block, atol=1e-5)
    assert torch.allclose(lm_head(gpt_out.hidden_states[-1]), gpt_out.logits, atol=1e-4)

# %% [markdown]
# So the lens applies `ln_f` to entries 0 to `n_layer - 1` and not to the last one, which has had
# it already (applying a layer norm twice is not the same as once). The table shows, at every
# position of the prompt, the token each entry would predict next:

# %%
#| label: tbl-logit-lens
#| tbl-cap: "The logit lens on `tiny-gpt2`: the most likely next token at each position of the prompt (columns), read from each entry of `hidden_states` (rows) through `ln_f` and `lm_head`. The last row is the model's real prediction."
def lens_logits(hidden_states):
    """Next-token logits from every entry: ln_f + lm_head, except the last entry, which already had ln_f."""
    with torch.no_grad():
        return torch.stack([lm_head(h if index == len(hidden_states) - 1 else ln_f(h))
                            for index, h in enumerate(hidden_states)])[:, 0].cpu()


def show(token_id):
    """A token as readable table text: its decoded form, with spaces made visible."""
    text = gpt_tokenizer.decode([token_id]).replace("|", "\\|").replace("\n", "\\n")
    return f"`{text.replace(' ', '␣')}`"


lens = lens_logits(gpt_out.hidden_states)  # (entries, positions, vocabulary)
lens_top = lens.argmax(dim=-1)
header = "| entry | " + " | ".join(show(token_id) for token_id in gpt_inputs["input_ids"][0].tolist()) + " |"
lines = [header, "|---" * (lens_top.shape[1] + 1) + "|"]
for entry, row in enumerate(lens_top.tolist()):
    lines.append(f"| {entry} | " + " | ".join(show(token_id) for token_id in row) + " |")
display(Markdown("\n".join(lines)))

# %%
final_prediction = gpt_out.logits[0].argmax(dim=-1).cpu()
agree = (lens_top == final_prediction).float().mean(dim=1)
tied = gpt.lm_head.weight.data_ptr() == gpt.transformer.wte.weight.data_ptr()
print("lm_head shares its weights with wte:", tied)
print("entry 0 predicts the current token itself:", torch.equal(lens_top[0], gpt_inputs["input_ids"][0].cpu()))
print("share of positions where the entry's guess is the final prediction:", [round(value, 2) for value in agree.tolist()])
assert tied and torch.equal(lens_top[0], gpt_inputs["input_ids"][0].cpu())
assert torch.equal(lens_top[-1], final_prediction) and agree[0].item() == 0.0 and agree[-1].item() == 1.0
assert agree[4] < agree[3]  # the dip the text below points out
best_two = lens.topk(2, dim=-1).values
assert (best_two[..., 0] - best_two[..., 1]).min().item() > 0.01  # every guess in the table wins clearly, on any device

# %% [markdown]
# The header row is the prompt, one token per column; each cell is the token that entry would
# predict *after* that column's token. The last row of @tbl-logit-lens is the model's own
# prediction (it matches `logits.argmax` everywhere).
#
# The first row is no guess at all: it repeats the current token. GPT-2 **ties** its LM head to
# the token embedding (`lm_head.weight` is `wte.weight`), so a vector that has only been
# embedded scores highest against its own row of the embedding matrix. Reading downwards shows the
# guess forming: the share of positions whose guess already equals the final prediction climbs
# from 0 at the embeddings to 1 at the last entry, but not steadily. Entry 4 agrees with the final
# prediction at fewer positions than entry 3: a later layer can overturn a guess and the last layer
# restore it. The lens is a rough tool: the intermediate states were never trained to be read by
# `lm_head`, so a row that looks wrong may still hold the information in a form the lens cannot read.

# %% [markdown]
# ## Cross-attention as an alignment map
#
# An encoder-decoder has a third kind of attention (@sec-encoder-decoder): the decoder's
# **cross-attention**, whose queries are target positions and whose keys are the encoder's source
# positions. For a translation model, where each German token looks in the English sentence is a
# soft word alignment. `tiny-t5` translates a synthetic grammar; first the translation, then one
# forward pass over it with `output_attentions=True`:

# %%
t5 = AutoModelForSeq2SeqLM.from_pretrained(checkpoint("tiny-t5"), attn_implementation="eager").to(device).eval()
english = "We know that you carry a red umbrella."
source = t5_tokenizer(english, return_tensors="pt").to(device)
with torch.no_grad():
    generated = t5.generate(**source, do_sample=False)  # greedy; the length limit comes from the generation config
    translated = t5(**source, decoder_input_ids=generated[:, :-1], output_attentions=True)

source_tokens = t5_tokenizer.convert_ids_to_tokens(source["input_ids"][0])
target_tokens = t5_tokenizer.convert_ids_to_tokens(generated[0, 1:])  # row i is the step that writes token i
cross = translated.cross_attentions
print("translation:", t5_tokenizer.decode(generated[0], skip_special_tokens=True))
print("cross_attentions:", len(cross), "layers, each", tuple(cross[0].shape))
assert len(cross) == t5.config.num_decoder_layers == 3
assert tuple(cross[0].shape) == (1, 16, len(target_tokens), len(source_tokens)) == (1, 16, 11, 11)

# %% [markdown]
# The decoder ran on the translation shifted right (it starts from the pad token), so row *i* of a
# cross-attention matrix belongs to the step that *writes* German token *i*. The tuple holds 3
# entries, one per decoder layer, each (1, 16, 11, 11): 16 heads, 11 German rows, 11 English
# columns. @fig-cross-grid shows all 48 heads.

# %%
#| label: fig-cross-grid
#| fig-cap: "Cross-attention of `tiny-t5` for one translation: every head (columns) of every decoder layer (rows). Rows of each panel are the German tokens being written, columns the English source tokens."
#| fig-alt: "A grid of 48 small heatmaps in 3 rows of 16. In the first row most panels show bright vertical stripes, the same few source tokens for every German row; in the second and third many panels show a bright, roughly diagonal path, which bends at the end where the German verb moves to the end of the clause."
plot_attention_grid(cross, source_tokens, query_tokens=target_tokens, panel_size=1.15)
plt.show()
row_maxima = torch.stack(cross)[:, 0].argmax(dim=-1).cpu()  # (layers, heads, target): each row's top source token
spread = [sum(len(set(head.tolist())) for head in layer) / len(layer) for layer in row_maxima]
print("different source tokens a head's 11 rows point at, mean per layer:", [round(value, 1) for value in spread])
assert spread[0] < spread[1] < spread[2]

# %% [markdown]
# One number summarises the grid: for each head, take every German row's largest weight and count
# how many *different* English tokens those maxima fall on. A head that draws vertical stripes
# sends every row to the same few tokens; a head that aligns words sends each row somewhere else.
# In the first decoder layer the 11 rows of a head point at fewer than 5 different source tokens on
# average (stripes: no alignment yet); in layers 1 and 2 the count grows to about 6 and 8, and many
# panels show a path from the top left to the bottom right that bends where German word order
# differs (in "dass du einen roten Regenschirm trägst" the verb moves to the end). Averaging the
# heads of the last layer gives
# one alignment map, @fig-cross-mean:

# %%
#| label: fig-cross-mean
#| fig-cap: "The heads of `tiny-t5`'s last decoder layer, averaged: a soft alignment between the German tokens being written (rows) and the English source (columns)."
#| fig-alt: "One heatmap with German tokens down the rows and English tokens across. Bright cells pair Wir with We, wissen with know, du with you, roten with red, Regenschirm with umbrella, and trägst, at the end, with carry in the middle of the English sentence."
last_mean = cross[-1].mean(dim=1, keepdim=True)  # (1, 1, target, source): one "head", the average
aligned = {target_tokens[row]: source_tokens[col] for row, col in enumerate(last_mean[0, 0].argmax(dim=-1).tolist())}
print({german: aligned[german] for german in ["▁Wir", "▁du", "▁roten", "▁Regenschirm", "▁trägst"]})
assert aligned["▁trägst"] == "▁carry" and aligned["▁Regenschirm"] == "▁umbrella" and aligned["▁roten"] == "▁red"
plot_attention_head((last_mean,), source_tokens, 0, 0, query_tokens=target_tokens,
                    title="last decoder layer, mean of 16 heads")
plt.show()

# %% [markdown]
# In @fig-cross-mean the verb "trägst", written near the end of the German sentence, looks at
# "carry" in the middle of the English one; "Regenschirm" looks at "umbrella" and "roten" at "red".
# For a model trained only on this small grammar the map is unusually clean. Large translation
# models spread their cross-attention far more, and their maps are much harder to read.

# %% [markdown]
# ## What these pictures do and do not explain
#
# Attention maps are seductive: a bright cell between "it" and "cat" looks like the model
# "resolving" a pronoun. Three things stand between such a picture and an explanation.
#
# **A weight is not a contribution.** Attention weights multiply *value vectors*, and value
# vectors have very different lengths. We saw that MiniLM sends more than half of its attention to
# `[CLS]` in the middle layers. Weighting each key's share by the length of its value vector
# (the size of what actually gets added, $\|\alpha_{ij} v_j\|$) tells a different story. The value
# vectors come from each layer's `attention.self.value` projection, caught with forward hooks:

# %%
#| label: tbl-weight-vs-norm
#| tbl-cap: "Share of the attention that goes to `[CLS]` in each MiniLM layer, measured by the weights and by the length of the weighted value vectors, averaged over heads and query tokens."
values = {}
hooks = [layer.attention.self.value.register_forward_hook(
    lambda module, args, output, index=index: values.__setitem__(index, output.detach()))
    for index, layer in enumerate(encoder.encoder.layer)]
with torch.no_grad():
    encoder(**inputs)
for hook in hooks:
    hook.remove()

heads, head_size = encoder.config.num_attention_heads, encoder.config.hidden_size // encoder.config.num_attention_heads
lines = ["| layer | weight share on `[CLS]` | weighted-value share on `[CLS]` | value length at `[CLS]` | mean value length elsewhere |",
         "|---|---|---|---|---|"]
weight_share, norm_share = [], []
for layer, weights in enumerate(attentions):
    weights = weights[0].cpu()  # (heads, query, key)
    value_length = values[layer][0].cpu().view(-1, heads, head_size).transpose(0, 1).norm(dim=-1)  # (heads, key)
    contribution = weights * value_length[:, None, :]  # |alpha_ij| * |v_j| = |alpha_ij v_j|
    weight_share.append(weights[:, :, 0].mean().item())
    norm_share.append((contribution[:, :, 0] / contribution.sum(dim=-1)).mean().item())
    lines.append(f"| {layer} | {weight_share[-1]:.2f} | {norm_share[-1]:.2f} | {value_length[:, 0].mean():.2f} "
                 f"| {value_length[:, 1:].mean():.2f} |")
display(Markdown("\n".join(lines)))

# %%
ratios = [w / n for w, n in zip(weight_share, norm_share)]
print("weight share / weighted-value share, per layer:", [round(r, 1) for r in ratios])
assert all(w > 0.5 and n < 0.15 for w, n in zip(weight_share[1:5], norm_share[1:5]))
assert all(2.9 < r < 6.5 for r in ratios)

# %% [markdown]
# @tbl-weight-vs-norm shows the gap. In layers 1 to 4 more than half of the attention weight lands
# on `[CLS]`, yet the value vectors there are short, so `[CLS]` supplies only about a seventh or
# less of what is actually added. Heads seem to use `[CLS]` as a place to "park" attention they do
# not need. A heatmap of weights alone overstates its role three to six times over.
#
# **The residual stream carries most of the vector.** Each layer *adds* its attention output to the
# token's existing vector (and a feed-forward network follows). A weight says how the added part was
# mixed, not how much of the token's final state it makes up. And after a few layers, position *i*
# holds a blend of the whole sentence (@fig-drift), so "layer 5 attends to 'cat'" means "to the
# vector at the position where 'cat' started".
#
# **Attention is not an explanation of a prediction.** To explain a prediction is to say what it
# depends on: change that, and the prediction changes. Attention weights are not built to answer
# that. Studies have found that quite different attention maps can lead to the same output, and that
# attention weights often disagree with measures of which inputs matter (gradient-based and
# perturbation-based attributions). The pictures show *where information may flow* in one forward
# pass. To claim that a head does something, intervene: remove or change the input or the head and
# measure what happens to the output.
#
# ::: {.callout-note}
# ## Reading attention maps honestly
#
# Use attention maps to find patterns worth testing (a head that follows the previous token, a
# cross-attention path that bends with the word order), not as proof. State which layer and head you
# show, remember the 71 others, and back any claim about *why* the model predicted something with an
# experiment that changes the input or the model.
# :::

# %% [markdown]
# ## Summary
#
# | Structure | API | Output |
# |---|---|---|
# | Attention weights (softmax per head) | `output_attentions=True` with `attn_implementation="eager"` (or `set_attn_implementation("eager")`) | `attentions`: one (batch, heads, query, key) tensor per layer |
# | The same with the default `sdpa` | `output_attentions=True` alone | `attentions == ()` and one log line |
# | Rows of the softmax | `attentions[l].sum(-1)` | all 1 |
# | Causal mask (decoder) | `torch.triu(attentions[l], diagonal=1)` | all 0 |
# | Padding mask | `attention_mask` | weight 0 on padding keys |
# | Pictures | `plot_attention_head`, `plot_attention_layer`, `plot_attention_grid` | heatmaps with token labels |
# | Kernel-free explorer | pre-rendered `Image`s in `Stack`s, `jslink`ed sliders | works on a static page |
# | Vectors after every layer | `output_hidden_states=True` | `hidden_states`: layers + 1 entries, entry 0 = embeddings |
# | GPT-2's final layer norm | `transformer.ln_f`; already applied to `hidden_states[-1]` | logit lens: `lm_head(ln_f(h))` |
# | Cross-attention (encoder-decoder) | `cross_attentions` | (batch, heads, target, source) per decoder layer |
#
# Attention weights and hidden states are two views of one forward pass: how tokens mix, and what
# the mixing produces. Both are easy to ask for and to draw. Reading them as explanations takes
# more than a picture.

# %% [markdown]
# ## Exercises
#
# Each exercise has a cell for your answer: replace `None`, run the cell, and `check` tells you
# whether the answer is right. The solution is folded away below it.
#
# **Exercise 8.1.** In the sentence "The trophy did not fit in the suitcase because it was too
# big.", average MiniLM's attention over the 12 heads of the last layer (layer 5). Leaving out
# `[CLS]` and `[SEP]`, which token gets the largest weight from the query "it"? Answer with the
# token (a `str`, as `convert_ids_to_tokens` writes it).

# %%
check("08.1", None)

# %%
#| code-fold: true
#| code-summary: "Solution"
trophy = tokenizer("The trophy did not fit in the suitcase because it was too big.", return_tensors="pt").to(device)
trophy_tokens = tokenizer.convert_ids_to_tokens(trophy["input_ids"][0])
with torch.no_grad():
    trophy_attn = encoder(**trophy, output_attentions=True).attentions
it_mean = trophy_attn[5][0, :, trophy_tokens.index("it")].mean(dim=0)
it_mean[[0, -1]] = 0  # leave out [CLS] and [SEP]
check("08.1", trophy_tokens[int(it_mean.argmax())])

# %% [markdown]
# **Exercise 8.2.** Take the word "bank" in "I sat on the bank and watched the water." and in "I
# went to the bank to open an account." What is the cosine similarity of its two vectors in the
# *last* entry of MiniLM's `hidden_states`? Answer with a `float`.

# %%
check("08.2", None)

# %%
#| code-fold: true
#| code-summary: "Solution"
def bank_vector(text):
    """MiniLM's last hidden state at the position of "bank"."""
    encoded = tokenizer(text, return_tensors="pt").to(device)
    position = tokenizer.convert_ids_to_tokens(encoded["input_ids"][0]).index("bank")
    with torch.no_grad():
        return encoder(**encoded, output_hidden_states=True).hidden_states[-1][0, position]


check("08.2", F.cosine_similarity(bank_vector("I sat on the bank and watched the water."),
                                  bank_vector("I went to the bank to open an account."), dim=0).item())

# %% [markdown]
# **Exercise 8.3.** Use the logit lens on `tiny-gpt2` with the prompt "The default value is". At
# the last position, what is the first entry of `hidden_states` (0 to `n_layer`) whose lens
# prediction equals the model's final prediction? Answer with an `int`.

# %%
check("08.3", None)

# %%
#| code-fold: true
#| code-summary: "Solution"
default_inputs = gpt_tokenizer("The default value is", return_tensors="pt").to(device)
with torch.no_grad():
    default_out = gpt(**default_inputs, output_hidden_states=True)
last_guesses = lens_logits(default_out.hidden_states)[:, -1].argmax(dim=-1)
final_guess = default_out.logits[0, -1].argmax().item()
check("08.3", int((last_guesses == final_guess).nonzero()[0]))

# %% [markdown]
# **Exercise 8.4.** In @fig-cross-grid, how many of the 48 cross-attention heads (3 layers x 16
# heads) give their largest weight in the row of "trägst" to the English token "carry"? Answer with
# an `int`.

# %%
check("08.4", None)

# %%
#| code-fold: true
#| code-summary: "Solution"
verb_rows = torch.stack(cross)[:, 0, :, target_tokens.index("▁trägst")]  # (layers, heads, source)
check("08.4", int((verb_rows.argmax(dim=-1) == source_tokens.index("▁carry")).sum()))
