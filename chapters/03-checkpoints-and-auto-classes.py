# %% [markdown]
# # Checkpoints, configs and the Auto classes {#sec-auto-classes}
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/structure-to-api/structure-to-api/blob/main/notebooks/03-checkpoints-and-auto-classes.ipynb) [Download this notebook](https://github.com/structure-to-api/structure-to-api/raw/main/notebooks/03-checkpoints-and-auto-classes.ipynb)
#
# Every `from_pretrained` call in this book reads a folder. The folder holds the two halves of a
# trained Transformer: a small JSON file that describes its *structure* (how many layers, how wide,
# how many attention heads) and a large file of *weights* that fill that structure with numbers.
# The Auto classes sit between the folder and your code: they read the structure, pick the Python
# class that builds it, and, if you ask for a task, bolt the right head on top. This chapter opens
# the folder, reads the description, and loads the same weights under seven different Auto classes.
#
# **You will learn**
#
# - what a checkpoint directory holds, and which library reads each of its files;
# - how `AutoConfig` exposes the architecture, why BERT, GPT-2 and T5 name the same quantity
#   differently, and how `model_type` decides which class gets built;
# - the difference between a backbone (`AutoModel`) and a backbone with a head
#   (`AutoModelFor...`), in module trees, parameter counts and the load report;
# - what the seven common Auto classes return, from one forward pass each;
# - how to read a head's source code, save a model and get identical outputs after reloading it;
# - how `dtype=` and `.to(device)` control where and in which precision the weights live.

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
# Besides the usual seed and device, this setup turns off the "Loading weights" progress bars, which
# would otherwise print a timing line for every load, and brings two small tools used throughout:
# `transformers_messages`, from the book's helper package, collects what the library logs inside a
# `with` block instead of letting it spill onto the screen, and `tidy`, defined here, makes such a
# message printable (no colour codes, no local paths, table rows in a fixed order). The load
# report's table adapts its columns to the width of the terminal, so `transformers_messages` also
# pins that width: the stored text is then the same on every machine.

# %%
import inspect
import json
import os
import pydoc
import re
import tempfile
from pathlib import Path

import torch
import transformers
from IPython.display import Markdown, display
from safetensors import safe_open
from transformers import (
    AutoConfig,
    AutoModel,
    AutoModelForCausalLM,
    AutoModelForMaskedLM,
    AutoModelForQuestionAnswering,
    AutoModelForSeq2SeqLM,
    AutoModelForSequenceClassification,
    AutoModelForTokenClassification,
    AutoTokenizer,
)

from structapi import checkpoint, pick_device, seed_everything
from structapi.exercises import check
from structapi.logs import transformers_messages  # collects what transformers logs in a `with` block

seed_everything(0)
device = pick_device()
transformers.utils.logging.disable_progress_bar()
print("transformers", transformers.__version__, "| torch", torch.__version__.split("+")[0])


def tidy(message, directory, name):
    """Strip colour codes, replace the local path `directory` by <name>, and sort the rows of a load-report table."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", message).replace(str(directory), f"<{name}>")
    lines = text.split("\n")
    if len(lines) > 3 and set(lines[2]) <= {"-", "+"}:  # a report: title, header, separator, rows, blank
        end = lines.index("", 3) if "" in lines[3:] else len(lines)
        lines[3:end] = sorted(lines[3:end])
    return "\n".join(lines)


# %% [markdown]
# The chapter uses three checkpoints from the catalog, one per family: the BERT encoder `minilm`,
# the GPT-2 decoder `tiny-gpt2` and the T5 encoder-decoder `tiny-t5`.

# %%
minilm_dir = checkpoint("minilm")
gpt2_dir = checkpoint("tiny-gpt2")
t5_dir = checkpoint("tiny-t5")

# %% [markdown]
# ## What a checkpoint directory holds
#
# A checkpoint is an ordinary folder. @tbl-checkpoint-files lists what the three folders contain
# and which piece of software reads each file. Three kinds of file matter to `transformers`:
# `config.json` (the structure), `model.safetensors` (the weights) and the tokenizer files
# (`tokenizer.json`, the whole tokenizer in one file, and `tokenizer_config.json`, its class and
# special tokens). Generative models add `generation_config.json`, the default settings of
# `generate()`. The `minilm` folder also carries files that only the `sentence-transformers` library
# reads, because all-MiniLM-L6-v2 was published as a sentence-embedding model; the rest is
# documentation for people.

# %%
#| label: tbl-checkpoint-files
#| tbl-cap: "The files of the three checkpoints and who reads them."
FILE_ROLES = {
    "config.json": "`AutoConfig`: the architecture",
    "model.safetensors": "`AutoModel...`: the weights",
    "generation_config.json": "`GenerationConfig`: defaults of `generate()`",
    "tokenizer.json": "`AutoTokenizer`: vocabulary, rules, special tokens",
    "tokenizer_config.json": "`AutoTokenizer`: tokenizer class and settings",
    "special_tokens_map.json": "`AutoTokenizer` (older format)",
    "vocab.txt": "`AutoTokenizer` (older format, WordPiece vocabulary)",
    "vocab.json": "`AutoTokenizer` (older format, BPE vocabulary)",
    "merges.txt": "`AutoTokenizer` (older format, BPE merges)",
    "spiece.model": "`AutoTokenizer` (older format, SentencePiece model)",
    "README.md": "people: the model card",
    "training_data.json": "people: how this book built the checkpoint",
    "data_config.json": "people: the data the model was trained on",
    ".gitattributes": "git",
}
folders = {"minilm": minilm_dir, "tiny-gpt2": gpt2_dir, "tiny-t5": t5_dir}
listing = {name: sorted(os.listdir(folder)) for name, folder in folders.items()}
all_files = sorted(set().union(*listing.values()), key=lambda f: (f not in FILE_ROLES, f))
rows = ["| file | " + " | ".join(folders) + " | read by |", "|---|" + "---|" * len(folders) + "---|"]
for file_name in all_files:
    marks = " | ".join("yes" if file_name in listing[name] else "" for name in folders)
    role = FILE_ROLES.get(file_name, "`sentence-transformers`, not `transformers`")
    rows.append(f"| `{file_name}` | {marks} | {role} |")
display(Markdown("\n".join(rows)))

# %%
for name in folders:
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"} <= set(listing[name])

# %% [markdown]
# The weights file can be opened without building a model. `safetensors` stores a header that names
# every tensor with its shape and dtype, followed by the raw numbers; `safe_open` reads the header
# and fetches a tensor only when asked. The names already reveal the structure: an `embeddings`
# block and numbered `encoder.layer.N` blocks.

# %%
with safe_open(Path(minilm_dir) / "model.safetensors", framework="pt") as weights:
    names = list(weights.keys())
    shapes = {name: tuple(weights.get_slice(name).get_shape()) for name in names}
    dtypes = {name: weights.get_slice(name).get_dtype() for name in names}
print("tensors stored:", len(names), "| dtypes:", sorted(set(dtypes.values())))
for name in names[:4] + ["encoder.layer.0.attention.self.query.weight", "pooler.dense.weight"]:
    print(f"  {name:<45} {shapes[name]}")
layer_numbers = sorted({int(n.split(".")[2]) for n in names if n.startswith("encoder.layer.")})
print("encoder layers found in the names:", layer_numbers)

# %% [markdown]
# All 104 tensors are 32-bit floats (`F32`) except one: `embeddings.position_ids` (`I64`) is a
# bookkeeping buffer that older versions of the library saved along with the weights; it holds the
# numbers 0 to 511 and no learned values. Summing the sizes of the other 103 tensors gives the
# number of parameters the model will have, before any class has been chosen.

# %%
stored_parameters = sum(
    torch.Size(shape).numel() for name, shape in shapes.items() if not name.endswith("position_ids")
)
with safe_open(Path(minilm_dir) / "model.safetensors", framework="pt") as weights:
    position_ids = weights.get_tensor("embeddings.position_ids")
print("embeddings.position_ids:", position_ids.dtype, "from", position_ids.min().item(), "to", position_ids.max().item())
print("parameters stored in model.safetensors:", f"{stored_parameters:,}")
assert len(names) == 104 and [n for n, d in dtypes.items() if d != "F32"] == ["embeddings.position_ids"]
assert dtypes["embeddings.position_ids"] == "I64" and shapes["embeddings.position_ids"] == (1, 512)
assert torch.equal(position_ids, torch.arange(512).unsqueeze(0))

# %% [markdown]
# ## The config: the architecture as named fields
#
# `AutoConfig.from_pretrained` reads `config.json` and returns a configuration object, an instance
# of a family-specific subclass of `PreTrainedConfig` (spelled `PretrainedConfig` before
# transformers 5; the old name still works as an alias). Two fields say what the checkpoint is:
# `model_type`, the family, and `architectures`, the class that was used to save it.

# %%
configs = {name: AutoConfig.from_pretrained(folder) for name, folder in folders.items()}
for name, config in configs.items():
    print(f"{name:<10} {type(config).__name__:<11} model_type={config.model_type!r:<7} architectures={config.architectures}")
assert isinstance(configs["minilm"], transformers.PreTrainedConfig)
assert transformers.PretrainedConfig is transformers.PreTrainedConfig

# %% [markdown]
# Each family was written by different people at different times, so the same quantity has a
# different field name in each (@tbl-config-fields): BERT says `hidden_size`, GPT-2 `n_embd`, T5
# `d_model`. To let generic code ask one question of every model, each config class declares an
# `attribute_map` that forwards the common names to its own. `config.hidden_size` therefore works on
# all three, while `n_embd` exists only on GPT-2.

# %%
#| label: tbl-config-fields
#| tbl-cap: "The same architectural quantities under each family's own field names."
QUANTITIES = [  # (quantity, the common name, the field name in BERT, GPT-2 and T5 configs)
    ("width of the hidden states", "hidden_size", "hidden_size", "n_embd", "d_model"),
    ("number of layers (blocks)", "num_hidden_layers", "num_hidden_layers", "n_layer", "num_layers"),
    ("attention heads per layer", "num_attention_heads", "num_attention_heads", "n_head", "num_heads"),
    ("inner width of the feed-forward", "", "intermediate_size", "n_inner", "d_ff"),
    ("longest input (positions)", "max_position_embeddings", "max_position_embeddings", "n_positions", ""),
    ("vocabulary size", "vocab_size", "vocab_size", "vocab_size", "vocab_size"),
    ("padding token id", "pad_token_id", "pad_token_id", "pad_token_id", "pad_token_id"),
    ("beginning / end token ids", "", "bos_token_id, eos_token_id", "bos_token_id, eos_token_id", "eos_token_id"),
    ("first decoder input id", "", "", "", "decoder_start_token_id"),
]


def field_values(config, fields):
    """Render 'field=value' for each comma-separated field name that the config has."""
    if not fields:
        return "-"
    return ", ".join(f"`{f}`={getattr(config, f, None)}" for f in fields.split(", "))


rows = ["| quantity | common name | minilm (BERT) | tiny-gpt2 (GPT-2) | tiny-t5 (T5) |", "|---|---|---|---|---|"]
for quantity, common, *family_fields in QUANTITIES:
    cells = [field_values(configs[name], fields) for name, fields in zip(folders, family_fields)]
    rows.append(f"| {quantity} | {f'`{common}`' if common else '-'} | " + " | ".join(cells) + " |")
display(Markdown("\n".join(rows)))

# %%
print("GPT-2 attribute_map:", dict(sorted(type(configs["tiny-gpt2"]).attribute_map.items())))
print("T5 attribute_map:   ", dict(sorted(type(configs["tiny-t5"]).attribute_map.items())))
for name, config in configs.items():
    head_dim = config.hidden_size // config.num_attention_heads
    print(f"{name:<10} hidden_size={config.hidden_size:<4} num_attention_heads={config.num_attention_heads:<3} "
          f"num_hidden_layers={config.num_hidden_layers}  -> {head_dim} dimensions per head")
print("T5 also stores the head width itself: d_kv =", configs["tiny-t5"].d_kv)
assert configs["tiny-gpt2"].hidden_size == configs["tiny-gpt2"].n_embd
assert configs["tiny-t5"].hidden_size == configs["tiny-t5"].d_model
assert not hasattr(configs["minilm"], "n_embd")
assert (configs["minilm"].hidden_size, configs["minilm"].num_hidden_layers, configs["minilm"].num_attention_heads,
        configs["minilm"].vocab_size) == (384, 6, 12, 30522)
assert configs["tiny-t5"].d_kv == configs["tiny-t5"].d_model // configs["tiny-t5"].num_heads

# %% [markdown]
# A field that holds `None` means "not set here". For `n_inner` that selects GPT-2's default, four
# times `n_embd`; the shape of the first feed-forward weight in the file confirms it.

# %%
with safe_open(Path(gpt2_dir) / "model.safetensors", framework="pt") as weights:
    c_fc_shape = tuple(weights.get_slice("transformer.h.0.mlp.c_fc.weight").get_shape())
print("n_inner:", configs["tiny-gpt2"].n_inner, "| transformer.h.0.mlp.c_fc.weight:", c_fc_shape,
      "| 4 * n_embd =", 4 * configs["tiny-gpt2"].n_embd)
assert configs["tiny-gpt2"].n_inner is None and c_fc_shape == (configs["tiny-gpt2"].n_embd, 4 * configs["tiny-gpt2"].n_embd)

# %% [markdown]
# For special token ids, `None` means the family does not use that token. The ids themselves belong
# to the tokenizer, and the config repeats the few that the *model* needs: T5's decoder starts from
# `decoder_start_token_id`, and generation stops at `eos_token_id`. The cell below puts the two side
# by side. BERT's config knows only the padding token (id 0, `[PAD]`); `[CLS]` and `[SEP]` (ids 101
# and 102) are known to the tokenizer alone. This GPT-2 uses one token, `<|endoftext|>`, as both
# beginning and end, and neither its config nor its tokenizer names a padding token (only its
# `generation_config.json` does, for `generate()`: id 0, the same token again). T5 pads with id 0 and
# ends with id 1, and its decoder starts from the padding token.

# %%
minilm_tokenizer = AutoTokenizer.from_pretrained(minilm_dir)
gpt2_tokenizer = AutoTokenizer.from_pretrained(gpt2_dir)
t5_tokenizer = AutoTokenizer.from_pretrained(t5_dir)
tokenizers = {"minilm": minilm_tokenizer, "tiny-gpt2": gpt2_tokenizer, "tiny-t5": t5_tokenizer}
for name, tok in tokenizers.items():
    in_tokenizer = dict(sorted(zip(tok.all_special_tokens, tok.all_special_ids), key=lambda pair: pair[1]))
    in_config = {field: getattr(configs[name], field, None)
                 for field in ("pad_token_id", "bos_token_id", "eos_token_id", "decoder_start_token_id")}
    print(f"{name:<10} tokenizer: {in_tokenizer}")
    print(f"{'':<10} config:    { {field: value for field, value in in_config.items() if value is not None} }")

minilm_config, gpt2_config, t5_config = configs["minilm"], configs["tiny-gpt2"], configs["tiny-t5"]
assert minilm_config.pad_token_id == minilm_tokenizer.pad_token_id == 0
assert minilm_tokenizer.convert_ids_to_tokens([0, 101, 102]) == ["[PAD]", "[CLS]", "[SEP]"]
assert minilm_config.bos_token_id is None and minilm_config.eos_token_id is None
assert gpt2_config.bos_token_id == gpt2_config.eos_token_id == gpt2_tokenizer.eos_token_id
assert gpt2_tokenizer.eos_token == "<|endoftext|>" and gpt2_config.pad_token_id is None and gpt2_tokenizer.pad_token is None
assert json.loads((Path(gpt2_dir) / "generation_config.json").read_text())["pad_token_id"] == 0
assert (t5_config.pad_token_id, t5_config.eos_token_id, t5_config.decoder_start_token_id) == (0, 1, 0)
assert t5_tokenizer.convert_ids_to_tokens([0, 1]) == ["<pad>", "</s>"]

# %% [markdown]
# ## How `model_type` picks the class
#
# Loading is a two-step lookup. `AutoConfig` reads `model_type` from `config.json` and uses the
# registry `CONFIG_MAPPING` to choose the config class. Each Auto *model* class then has its own
# registry from config class to model class: `AutoModel` maps a `BertConfig` to `BertModel`,
# `AutoModelForCausalLM` maps a `GPT2Config` to `GPT2LMHeadModel`, and so on. The registries below
# are the name tables that `transformers` consults.

# %%
from transformers.models.auto import modeling_auto
from transformers.models.auto.configuration_auto import CONFIG_MAPPING_NAMES

REGISTRIES = {
    "AutoModel": modeling_auto.MODEL_MAPPING_NAMES,
    "AutoModelForSequenceClassification": modeling_auto.MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES,
    "AutoModelForCausalLM": modeling_auto.MODEL_FOR_CAUSAL_LM_MAPPING_NAMES,
    "AutoModelForSeq2SeqLM": modeling_auto.MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES,
}
for model_type in ("bert", "gpt2", "t5"):
    picks = {auto: registry.get(model_type, "(not supported)") for auto, registry in REGISTRIES.items()}
    print(f"{model_type:<5} -> {CONFIG_MAPPING_NAMES[model_type]:<11}", picks)

# %% [markdown]
# Two consequences follow. First, `architectures` does not decide anything when you name an Auto
# class: `minilm` says `["BertModel"]`, yet `AutoModelForSequenceClassification` happily builds a
# `BertForSequenceClassification` from it. Second, a family that lacks a head for a task cannot be
# loaded for it. BERT is an encoder, so there is no BERT for sequence-to-sequence generation:

# %%
try:
    AutoModelForSeq2SeqLM.from_pretrained(minilm_dir)
except ValueError as error:
    print(type(error).__name__ + ":", str(error).split("\n")[0])

# %% [markdown]
# The config alone is enough to build a model: `from_config` creates the class that `model_type`
# picks, with freshly initialised random weights and no file read at all. `AutoConfig.for_model`
# makes a config from a family name and a few overrides, which is the quickest way to get a small
# model for a test.

# %%
toy_config = AutoConfig.for_model(
    "gpt2", n_layer=2, n_embd=64, n_head=4, n_positions=128, vocab_size=1000, bos_token_id=0, eos_token_id=0
)
toy_model = AutoModelForCausalLM.from_config(toy_config)
print(type(toy_model).__name__, "with", f"{sum(p.numel() for p in toy_model.parameters()):,}", "random parameters")
assert type(toy_model).__name__ == "GPT2LMHeadModel"

# %% [markdown]
# ## Backbone versus backbone plus head
#
# `AutoModel` builds the **backbone**: embeddings and the stack of Transformer blocks, ending in a
# hidden state per token. For BERT it also includes the *pooler*, a small dense layer applied to the
# `[CLS]` token's hidden state. `print(model)` would list every one of its modules, hundreds of
# lines; the small function `module_tree` prints only the top levels, summarising a `ModuleList` of
# identical blocks as one line and giving each layer's size. It shows the three parts.

# %%
def module_tree(module, depth=2, indent="  "):
    """Print the child modules of `module` down to `depth` levels, with sizes of embeddings and linear layers."""
    for name, child in module.named_children():
        if isinstance(child, torch.nn.ModuleList):
            line = f"{len(child)} x {type(child[0]).__name__}"
        elif isinstance(child, torch.nn.Embedding):
            line = f"Embedding({child.num_embeddings}, {child.embedding_dim})"
        elif isinstance(child, torch.nn.Linear):
            line = f"Linear({child.in_features} -> {child.out_features})"
        else:
            line = type(child).__name__
        print(f"{indent}{name}: {line}")
        if depth > 1 and not isinstance(child, torch.nn.ModuleList):
            module_tree(child, depth - 1, indent + "    ")


backbone = AutoModel.from_pretrained(minilm_dir).eval()
backbone_parameters = sum(p.numel() for p in backbone.parameters())
print(type(backbone).__name__)
module_tree(backbone)
print("encoder blocks:", len(backbone.encoder.layer), "| parameters:", f"{backbone_parameters:,}")
assert [name for name, _ in backbone.named_children()] == ["embeddings", "encoder", "pooler"]
assert len(backbone.encoder.layer) == 6
assert backbone_parameters == stored_parameters == 22_713_216

# %% [markdown]
# The count equals the number summed from the safetensors header: every stored tensor found its
# place, and `AutoModel` added nothing. An `AutoModelFor...` class builds a **task model**: the same
# backbone, stored as one attribute (`bert` for BERT, named by `base_model_prefix`), followed by a
# head. For sequence classification the head is dropout and one linear layer from the 384-wide pooled
# vector to `num_labels` scores.

# %%
with transformers_messages() as messages:
    classifier_model = AutoModelForSequenceClassification.from_pretrained(minilm_dir).eval()
print(type(classifier_model).__name__)
module_tree(classifier_model)
print("base_model_prefix:", classifier_model.base_model_prefix,
      "| base_model is .bert:", classifier_model.base_model is classifier_model.bert)
print("head:", classifier_model.classifier)
body_parameters = sum(p.numel() for p in classifier_model.bert.parameters())
head_parameters = sum(p.numel() for p in classifier_model.classifier.parameters())
print(f"body {body_parameters:,} + head {head_parameters:,} = {body_parameters + head_parameters:,}")
assert [name for name, _ in classifier_model.named_children()] == ["bert", "dropout", "classifier"]
assert body_parameters == backbone_parameters
assert head_parameters == 770 == 384 * 2 + 2 == classifier_model.config.hidden_size * classifier_model.config.num_labels + 2

# %% [markdown]
# The head adds 770 parameters (a 2 x 384 weight matrix and 2 biases) to about 22.7 million. But
# where do those 770 numbers come from? `minilm` was saved as a bare `BertModel`, so its file has no
# `classifier.weight`. `from_pretrained` notices and logs a **load report**; the cell above collected
# it, and here it is:

# %%
for message in messages:
    print(tidy(message, minilm_dir, "minilm"))

# %% [markdown]
# `MISSING` means "this model has the parameter, the checkpoint does not, so it was initialised at
# random". The report is the library telling you that this head is untrained: its outputs mean
# nothing until it is fine-tuned (the `sentiment` checkpoint of @sec-pipeline is exactly this model
# after training). The other statuses are `UNEXPECTED` (in the file, not in the model: it is dropped)
# and `MISMATCH` (same name, different shape). The same information comes back as a dictionary with
# `output_loading_info=True`, without any printing:

# %%
with transformers_messages():
    three_label_model, loading_info = AutoModelForSequenceClassification.from_pretrained(
        minilm_dir, num_labels=3, output_loading_info=True
    )
print({key: sorted(value) for key, value in loading_info.items()})
print("head with num_labels=3:", three_label_model.classifier)
assert sorted(loading_info["missing_keys"]) == ["classifier.bias", "classifier.weight"]

# %% [markdown]
# Keyword arguments that `from_pretrained` does not know itself, such as `num_labels=3`, update the
# config before the model is built, so the head grows to three outputs. The backbone's weights, on
# the other hand, are the stored ones, identical to those `AutoModel` loaded:

# %%
same = torch.equal(classifier_model.bert.embeddings.word_embeddings.weight, backbone.embeddings.word_embeddings.weight)
print("classifier_model.bert == backbone (word embeddings):", same)
assert same

# %% [markdown]
# ::: {.callout-warning}
# ## An untrained head still produces confident-looking numbers
# A load report with `MISSING` head weights is not an error, and the model runs. Its logits are
# random, though, and a softmax over random logits still looks like a prediction. Read the report
# every time you load a checkpoint for a task it was not trained on.
# :::

# %% [markdown]
# ## Seven Auto classes, one forward pass each
#
# @tbl-auto-classes loads a catalog checkpoint under each of the common Auto classes and runs one
# forward pass. For each it shows the class that `model_type` picked, the head (the modules that the
# task model has and the backbone does not), how many head parameters it adds, how many weights the
# load report lists as newly initialised, and the fields of the output with their shapes. Load
# reports are collected rather than printed; their content is the "new weights" column.

# %%
seed_everything(0)
encoder_batch = minilm_tokenizer(
    ["The config describes the structure.", "The weights fill it with numbers."], padding=True, return_tensors="pt"
)
gpt2_batch = gpt2_tokenizer(["Return the value of the"], return_tensors="pt")
t5_batch = t5_tokenizer(["I love deep learning."], return_tensors="pt")
t5_batch["decoder_input_ids"] = torch.tensor([[configs["tiny-t5"].decoder_start_token_id]])

CASES = [  # (Auto class, checkpoint name, inputs)
    (AutoModel, "minilm", encoder_batch),
    (AutoModelForSequenceClassification, "minilm", encoder_batch),
    (AutoModelForTokenClassification, "minilm", encoder_batch),
    (AutoModelForQuestionAnswering, "minilm", encoder_batch),
    (AutoModelForMaskedLM, "minilm", encoder_batch),
    (AutoModelForCausalLM, "tiny-gpt2", gpt2_batch),
    (AutoModelForSeq2SeqLM, "tiny-t5", t5_batch),
]
backbone_keys = {}  # parameter names of each checkpoint's AutoModel, the reference for "what is head"
for name in ("minilm", "tiny-gpt2", "tiny-t5"):
    with transformers_messages():
        reference = backbone if name == "minilm" else AutoModel.from_pretrained(folders[name])
    names_here = {n for n, _ in reference.named_parameters(remove_duplicate=False)}
    backbone_keys[name] = names_here | {f"{reference.base_model_prefix}.{n}" for n in names_here}


def describe_output(value):
    """Shape of a tensor, or the class name of anything else (such as a cache)."""
    return str(tuple(value.shape)) if isinstance(value, torch.Tensor) else type(value).__name__


results = {}
for auto_class, name, inputs in CASES:
    with transformers_messages() as messages:
        model, info = auto_class.from_pretrained(folders[name], output_loading_info=True)
    model.eval()
    with torch.no_grad():
        outputs = model(**inputs)
    # Every parameter name, tied ones included, that the backbone does not have belongs to the head;
    # counting uses named_parameters() without duplicates, so a tied matrix adds nothing.
    head_names = [n for n, _ in model.named_parameters(remove_duplicate=False) if n not in backbone_keys[name]]
    results[auto_class.__name__] = {
        "checkpoint": name,
        "class": type(model).__name__,
        "head": sorted({n.split(".")[0] for n in head_names}),
        "head_parameters": sum(p.numel() for n, p in model.named_parameters() if n in head_names),
        "body_parameters": sum(p.numel() for n, p in model.named_parameters() if n not in head_names),
        "missing": sorted(info["missing_keys"]),
        "unexpected": sorted(info["unexpected_keys"]),
        "messages": messages,
        "model": model,
        "outputs": {field: describe_output(value) for field, value in outputs.items()},
    }

# %%
#| label: tbl-auto-classes
#| tbl-cap: "The common Auto classes, each loaded from a catalog checkpoint and run once."
rows = [
    "| Auto class | checkpoint | builds | head | head parameters | new weights | output fields (shape) |",
    "|---|---|---|---|---|---|---|",
]
for auto_name, r in results.items():
    head = ", ".join(f"`{h}`" for h in r["head"]) or "-"
    fields = "<br>".join(f"`{field}` {shape}" for field, shape in r["outputs"].items())
    rows.append(
        f"| `{auto_name}` | {r['checkpoint']} | `{r['class']}` | {head} | {r['head_parameters']:,} "
        f"| {len(r['missing'])} | {fields} |"
    )
display(Markdown("\n".join(rows)))

# %% [markdown]
# The batch for the encoder rows is two sentences padded to 10 tokens, and the shapes read as
# structure:
#
# - `AutoModel` returns one 384-wide vector per token (`last_hidden_state`) plus the pooled `[CLS]`
#   vector (`pooler_output`).
# - Sequence classification returns one row of `num_labels` scores per *sentence*; token
#   classification one per *token*; question answering two scores per token, split into
#   `start_logits` and `end_logits`.
# - The language-model heads return a score for every vocabulary entry at every position, which is
#   why their `logits` end in the vocabulary size: 30,522 for BERT's WordPiece, the GPT-2 and T5
#   rows end in their own, much smaller vocabularies.
# - The generative models also return `past_key_values`, a `Cache` object (in transformers 5 it is
#   no longer a tuple of tensors), and the encoder-decoder returns the encoder's output too.

# %%
print("encoder batch:", tuple(encoder_batch["input_ids"].shape))
assert tuple(encoder_batch["input_ids"].shape) == (2, 10)
assert results["AutoModel"]["outputs"] == {"last_hidden_state": "(2, 10, 384)", "pooler_output": "(2, 384)"}
assert results["AutoModelForSequenceClassification"]["outputs"]["logits"] == "(2, 2)"
assert results["AutoModelForTokenClassification"]["outputs"]["logits"] == "(2, 10, 2)"
assert results["AutoModelForQuestionAnswering"]["outputs"] == {"start_logits": "(2, 10)", "end_logits": "(2, 10)"}
assert results["AutoModelForMaskedLM"]["outputs"]["logits"] == "(2, 10, 30522)"
for auto_name, name in (("AutoModelForCausalLM", "tiny-gpt2"), ("AutoModelForSeq2SeqLM", "tiny-t5")):
    assert results[auto_name]["outputs"]["logits"].endswith(f", {configs[name].vocab_size})")
    assert results[auto_name]["outputs"]["past_key_values"].endswith("Cache")
print("vocabulary sizes:", {name: config.vocab_size for name, config in configs.items()})
assert max(configs["tiny-gpt2"].vocab_size, configs["tiny-t5"].vocab_size) < configs["minilm"].vocab_size == 30522

# %% [markdown]
# Two columns deserve a second look.
#
# **Head parameters of 0.** The language-model heads of GPT-2 and T5 are a linear layer from the
# hidden size to the vocabulary, yet they add no parameters. Their weight matrix *is* the token
# embedding matrix, shared rather than copied (*weight tying*): the same numbers turn a token id
# into a vector at the input and a vector into token scores at the output. BERT's masked-LM head ties
# its output matrix the same way, and its remaining parameters are a dense layer, a layer norm and
# one bias per vocabulary entry.

# %%
gpt2_lm = results["AutoModelForCausalLM"]["model"]  # the models loaded for the table above
bert_mlm = results["AutoModelForMaskedLM"]["model"]
print("GPT-2 lm_head.weight is transformer.wte.weight:", gpt2_lm.lm_head.weight is gpt2_lm.transformer.wte.weight)
print("BERT decoder.weight is word_embeddings.weight: ",
      bert_mlm.cls.predictions.decoder.weight is bert_mlm.bert.embeddings.word_embeddings.weight)
assert gpt2_lm.lm_head.weight is gpt2_lm.transformer.wte.weight
assert results["AutoModelForCausalLM"]["head_parameters"] == results["AutoModelForSeq2SeqLM"]["head_parameters"] == 0
assert results["AutoModelForMaskedLM"]["head_parameters"] == (384 * 384 + 384) + 2 * 384 + 30522

# %% [markdown]
# **New weights.** Every `minilm` head is new, because all-MiniLM-L6-v2 was distributed without the
# heads BERT was pre-trained with. The two generative checkpoints were saved from their
# language-model classes, whose head is the tied embedding matrix: the files store no separate
# `lm_head` tensor, and nothing is missing. The loading info also lists what was *unexpected*, and
# the size of the body that each task model kept:

# %%
for auto_name, r in results.items():
    print(f"{auto_name:<35} body {r['body_parameters']:>10,}  missing {r['missing']}")
    if r["unexpected"]:
        print(f"{'':<35} unexpected {r['unexpected']}")
assert results["AutoModelForCausalLM"]["missing"] == [] and results["AutoModelForSeq2SeqLM"]["missing"] == []
assert all(r["missing"] for r in results.values() if r["checkpoint"] == "minilm" and r["class"] != "BertModel")
assert any("seem corrupted" in message for message in results["AutoModelForMaskedLM"]["messages"])
for name in ("tiny-gpt2", "tiny-t5"):
    with safe_open(Path(folders[name]) / "model.safetensors", framework="pt") as weights:
        print(f"{name}: stored tensors named lm_head.*:", [n for n in weights.keys() if n.startswith("lm_head")])
        assert not any(n.startswith("lm_head") for n in weights.keys())

# %% [markdown]
# ::: {.callout-note}
# ## "This checkpoint seem corrupted"
# Loading `minilm` with `AutoModelForMaskedLM` also logs a message saying the checkpoint "seem[s]
# corrupted", because the tied bias `cls.predictions.bias` is absent. Nothing is broken: the file
# simply never contained a masked-LM head. The table collected that message along with the load
# report.
# :::

# %% [markdown]
# Notice that the token-level heads (token classification, question answering, masked LM) keep a
# *smaller* body than sequence classification: they build `BertModel(config, add_pooling_layer=False)`
# because they score every token and never use the pooled `[CLS]` vector, so the stored pooler
# weights are reported as unexpected and dropped. The next section finds that line in the source.

# %%
pooler_size = sum(p.numel() for p in backbone.pooler.parameters())
print("pooler parameters:", f"{pooler_size:,}")
for auto_name in ("AutoModelForTokenClassification", "AutoModelForQuestionAnswering", "AutoModelForMaskedLM"):
    assert results[auto_name]["body_parameters"] == backbone_parameters - pooler_size
    assert results[auto_name]["unexpected"] == ["pooler.dense.bias", "pooler.dense.weight"]

# %% [markdown]
# ## Reading the source
#
# Every head is a few lines of ordinary PyTorch, and `inspect.getsource` prints them. Here is how
# `BertForQuestionAnswering` builds its head.

# %%
qa_class = modeling_auto.MODEL_FOR_QUESTION_ANSWERING_MAPPING[type(configs["minilm"])]  # the registry, once more
print(qa_class.__module__ + "." + qa_class.__name__)
print(inspect.getsource(qa_class.__init__))
assert "BertModel(config, add_pooling_layer=False)" in inspect.getsource(qa_class.__init__)

# %% [markdown]
# Three lines carry the structure: the backbone without a pooler, one `nn.Linear` from
# `hidden_size` to `num_labels` (2 for question answering), and `post_init()`, which initialises any
# weights the checkpoint does not provide. The `forward` method is longer, mostly because of the
# loss; the lines that turn hidden states into outputs are these:

# %%
forward_lines = inspect.getsource(qa_class.forward).splitlines()
pattern = r"\s*(sequence_output|logits|start_logits|end_logits)[ ,]"  # assignments to these names
key_lines = [line.strip() for line in forward_lines if re.match(pattern, line)]
print("\n".join(key_lines))

# %% [markdown]
# The same computation by hand, on the question-answering model loaded from `minilm` for
# @tbl-auto-classes, gives the same numbers (its head is random, but it is the same random head on
# both paths):

# %%
qa_model = results["AutoModelForQuestionAnswering"]["model"]
with torch.no_grad():
    qa_outputs = qa_model(**encoder_batch)
    hidden = qa_model.bert(**encoder_batch).last_hidden_state  # (batch, tokens, 384)
    start_by_hand, end_by_hand = qa_model.qa_outputs(hidden).split(1, dim=-1)
print("hidden:", tuple(hidden.shape), "-> start:", tuple(start_by_hand.squeeze(-1).shape))
assert qa_model.qa_outputs.out_features == qa_model.config.num_labels == 2
assert torch.allclose(start_by_hand.squeeze(-1), qa_outputs.start_logits)
assert torch.allclose(end_by_hand.squeeze(-1), qa_outputs.end_logits)

# %% [markdown]
# `help()` shows the documentation instead of the code. For an Auto class the most useful part is
# its opening: what it builds and how. `help(AutoModelForQuestionAnswering)` would print the whole
# text, which goes on to list every supported family; `pydoc.render_doc` returns the same text as a
# string, so the cell below can keep just the first lines.

# %%
help_text = pydoc.render_doc(AutoModelForQuestionAnswering, renderer=pydoc.plaintext)
print("\n".join(help_text.splitlines()[:10]))

# %% [markdown]
# The signature of `forward` is worth a look too. In transformers 5 it lists the model's real inputs
# and gathers the switches that older tutorials pass by name (`output_attentions`,
# `output_hidden_states`, `return_dict`) into `**kwargs`:

# %%
forward_parameters = list(inspect.signature(qa_class.forward).parameters)
print(forward_parameters)
assert forward_parameters[-1] == "kwargs" and "output_attentions" not in forward_parameters
assert "return_dict" not in forward_parameters

# %% [markdown]
# ::: {.callout-tip}
# ## Where to look
# `type(model).__module__` names the file that defines a model, for example
# `transformers.models.bert.modeling_bert`; `inspect.getsource(type(model))` prints the whole class,
# and `inspect.signature(type(model).forward)` lists the inputs it takes. What `forward` returns,
# and what the switches in `**kwargs` add to it, is the subject of @sec-model-outputs.
# :::

# %% [markdown]
# ## Saving and reloading
#
# `save_pretrained(folder)` writes a checkpoint that `from_pretrained(folder)` reads back: the config
# as JSON and the weights as safetensors. A tokenizer has its own `save_pretrained`. To make the
# round trip visible, we first give the classification model label names (they live in the config)
# and save both objects into a temporary folder.

# %%
classifier_model.config.id2label = {0: "NEGATIVE", 1: "POSITIVE"}
classifier_model.config.label2id = {"NEGATIVE": 0, "POSITIVE": 1}
with torch.no_grad():
    logits_before = classifier_model(**encoder_batch).logits

saved = tempfile.TemporaryDirectory()
classifier_model.save_pretrained(saved.name)
minilm_tokenizer.save_pretrained(saved.name)
saved_files = sorted(os.listdir(saved.name))
print(saved_files)
assert saved_files == ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]

# %% [markdown]
# Four files. The tokenizer no longer writes `vocab.txt` or `special_tokens_map.json`: in
# transformers 5, `tokenizer.json` and `tokenizer_config.json` say everything. The saved config
# records the class that saved it, the label names, the dtype of the weights and the library version:

# %%
saved_config = json.loads((Path(saved.name) / "config.json").read_text())
for field in ("model_type", "architectures", "id2label", "dtype", "transformers_version"):
    print(f"{field:<22} {saved_config[field]}")
assert saved_config["architectures"] == ["BertForSequenceClassification"]

# %% [markdown]
# Reloading finds every weight, including the classifier that was random when it was first created,
# so the load report stays silent and the logits are bit-for-bit identical:

# %%
with transformers_messages() as reload_messages:
    reloaded, reload_info = AutoModelForSequenceClassification.from_pretrained(saved.name, output_loading_info=True)
reloaded.eval()
with torch.no_grad():
    logits_after = reloaded(**encoder_batch).logits
print("messages:", reload_messages, "| loading info:", {k: sorted(v) for k, v in reload_info.items()})
print("labels:", reloaded.config.id2label)
print("identical logits:", torch.equal(logits_before, logits_after), tuple(logits_after.shape))
assert torch.equal(logits_before, logits_after)
assert not any(reload_info.values()) and reload_messages == []

# %% [markdown]
# Going the other way, loading the saved task checkpoint with plain `AutoModel` keeps the body and
# discards the head, which the loading info lists as unexpected:

# %%
with transformers_messages():
    body_only, body_info = AutoModel.from_pretrained(saved.name, output_loading_info=True)
print(f"{type(body_only).__name__} | unexpected: {sorted(body_info['unexpected_keys'])}")
assert sorted(body_info["unexpected_keys"]) == ["classifier.bias", "classifier.weight"]
saved.cleanup()  # delete the temporary folder

# %% [markdown]
# ## Precision and device: `dtype=` and `.to(device)`
#
# Each weight is stored in some floating-point format. `from_pretrained(..., dtype=...)` chooses
# the format of the loaded model; `torch.bfloat16` uses 2 bytes per number instead of 4, which
# halves the memory the weights take.

# %%
with transformers_messages():
    minilm_bf16 = AutoModel.from_pretrained(minilm_dir, dtype=torch.bfloat16).eval()
footprint_fp32 = backbone.get_memory_footprint() / 2**20
footprint_bf16 = minilm_bf16.get_memory_footprint() / 2**20
print("float32:", backbone.dtype, f"{footprint_fp32:.1f} MiB")
print("bfloat16:", minilm_bf16.dtype, f"{footprint_bf16:.1f} MiB")
assert minilm_bf16.dtype == torch.bfloat16 and round(footprint_bf16 / footprint_fp32, 2) == 0.5

# %% [markdown]
# Two things changed in transformers 5. The argument is called `dtype`; the old name `torch_dtype`
# still works but logs a deprecation message:

# %%
with transformers_messages() as dtype_messages:
    AutoModel.from_pretrained(minilm_dir, torch_dtype=torch.float32)
print(dtype_messages)
assert dtype_messages == ["`torch_dtype` is deprecated! Use `dtype` instead!"]

# %% [markdown]
# And the default is now `dtype="auto"`: without the argument, the model comes back in the dtype it
# was saved in (the `dtype` field of its config, or else the dtype of the stored tensors), where
# transformers 4 always gave `float32`. A checkpoint saved in bfloat16 therefore reloads in bfloat16:

# %%
with tempfile.TemporaryDirectory() as bf16_folder:
    minilm_bf16.save_pretrained(bf16_folder)
    stored_dtype = json.loads((Path(bf16_folder) / "config.json").read_text())["dtype"]
    with transformers_messages():
        default_load = AutoModel.from_pretrained(bf16_folder)
        float_load = AutoModel.from_pretrained(bf16_folder, dtype=torch.float32)
print("config says:", stored_dtype, "| default load:", default_load.dtype, "| dtype=torch.float32:", float_load.dtype)
assert default_load.dtype == torch.bfloat16 and float_load.dtype == torch.float32

# %% [markdown]
# The device is chosen separately. `pick_device()` from the setup returns a GPU when there is one and
# the CPU otherwise; `.to(device)` moves the model's weights there, and the inputs must follow,
# because a matrix product needs both operands on one device. Results come back with `.cpu()`. The
# printed lines are the same whichever device ran them.

# %%
model_on_device = backbone.to(device)
with torch.no_grad():
    on_device = model_on_device(**encoder_batch.to(device)).last_hidden_state.cpu()
    in_bf16 = minilm_bf16.to(device)(**encoder_batch.to(device)).last_hidden_state.float().cpu()
encoder_batch = encoder_batch.to("cpu")
backbone = backbone.to("cpu")
print("model on the chosen device:", model_on_device.device.type == device.type)
print("hidden states:", tuple(on_device.shape), "| first values:", [round(v, 2) for v in on_device[0, 0, :3].tolist()])
bf16_error = (in_bf16 - on_device).abs().max().item()
print("bfloat16 differs from float32 by less than 0.1:", bf16_error < 0.1)
assert bf16_error < 0.1

# %% [markdown]
# bfloat16 keeps only about three significant decimal digits, so its hidden states differ from the
# float32 ones in the second or third digit: fine for inference, and the reason training usually
# keeps a float32 copy of the weights.

# %% [markdown]
# ## Summary
#
# | Structure | API | What you get |
# |---|---|---|
# | Architecture hyperparameters | `AutoConfig.from_pretrained(folder)` reads `config.json` | a `BertConfig`, `GPT2Config`, ...; common names via `attribute_map` |
# | Family | `config.model_type` | the key that picks the config class and, per Auto class, the model class |
# | Weights | `model.safetensors`, read with `safe_open` or by `from_pretrained` | named tensors with shapes and dtypes |
# | Backbone | `AutoModel` | `last_hidden_state` (batch, tokens, hidden) |
# | Backbone + head | `AutoModelFor<Task>` | task outputs; the backbone under `model.base_model` |
# | Weights the file lacks | the load report, `output_loading_info=True` | `missing_keys`, `unexpected_keys`, `mismatched_keys` |
# | A model from scratch | `AutoConfig.for_model`, `AutoModel....from_config` | random weights, no file read |
# | The code of a head | `inspect.getsource`, `help` | `__init__` builds it, `forward` applies it |
# | A checkpoint of your own | `save_pretrained`, `from_pretrained` | identical outputs after the round trip |
# | Number format and place | `dtype=` (default `"auto"`), `.to(device)` | weights in bfloat16 or float32, on CPU or GPU |

# %% [markdown]
# ## Exercises
#
# Replace `None` with your answer and run the cell; `check` says whether it is right. Solutions are
# folded below each exercise.
#
# **Exercise 3.1.** Load `minilm` with `AutoModelForTokenClassification` and `num_labels=5` (say,
# five entity tags). How many parameters does the head add? Answer with an `int`.

# %%
check("03.1", None)

# %%
#| code-fold: true
#| code-summary: "Solution"
with transformers_messages():
    tagger = AutoModelForTokenClassification.from_pretrained(minilm_dir, num_labels=5)
check("03.1", sum(p.numel() for p in tagger.classifier.parameters()))

# %% [markdown]
# **Exercise 3.2.** `tiny-gpt2` was saved as a language model. Which class does
# `AutoModelForSequenceClassification` build from it? Answer with the class name as a `str`.

# %%
check("03.2", None)

# %%
#| code-fold: true
#| code-summary: "Solution"
with transformers_messages():
    gpt2_classifier = AutoModelForSequenceClassification.from_pretrained(gpt2_dir)
check("03.2", type(gpt2_classifier).__name__)

# %% [markdown]
# **Exercise 3.3.** Which weights does the load report list as newly initialised when `minilm` is
# loaded with `AutoModelForQuestionAnswering`? Answer with the sorted `list` of their names.

# %%
check("03.3", None)

# %%
#| code-fold: true
#| code-summary: "Solution"
with transformers_messages():
    _, qa_info = AutoModelForQuestionAnswering.from_pretrained(minilm_dir, output_loading_info=True)
check("03.3", sorted(qa_info["missing_keys"]))

# %% [markdown]
# **Exercise 3.4.** How many parameters does `tiny-t5` have in total when loaded with
# `AutoModelForSeq2SeqLM`, counting each shared tensor once? Answer with an `int`.

# %%
check("03.4", None)

# %%
#| code-fold: true
#| code-summary: "Solution"
with transformers_messages():
    t5_model = AutoModelForSeq2SeqLM.from_pretrained(t5_dir)
check("03.4", sum(p.numel() for p in t5_model.parameters()))
