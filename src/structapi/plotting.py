"""Attention plots: one head as a heatmap, or every head of a layer as a grid (matplotlib)."""

from __future__ import annotations

from collections.abc import Sequence

import torch

__all__ = ["select_attention", "plot_attention_head", "plot_attention_layer"]


def select_attention(
    attentions: Sequence[torch.Tensor] | torch.Tensor, layer: int, batch_index: int = 0
) -> torch.Tensor:
    """Return one layer's weights for one example, shape (heads, query_len, key_len), from transformers' tuple."""
    if isinstance(attentions, torch.Tensor):
        attentions = (attentions,) if attentions.dim() == 4 else tuple(attentions)
    if not isinstance(attentions, (tuple, list)) or len(attentions) == 0:
        raise ValueError(
            "attentions must be the non-empty tuple that output_attentions=True returns, one (batch, heads, "
            "query_len, key_len) tensor per layer; an empty tuple means the model ran with SDPA attention: "
            'load it with attn_implementation="eager"'
        )
    if not isinstance(layer, int) or not -len(attentions) <= layer < len(attentions):
        raise IndexError(f"layer {layer!r} is out of range: the model has {len(attentions)} layers (0..{len(attentions) - 1})")
    weights = attentions[layer]
    if not isinstance(weights, torch.Tensor) or weights.dim() != 4:
        shape = tuple(weights.shape) if isinstance(weights, torch.Tensor) else type(weights).__name__
        raise ValueError(f"each layer's attention must have shape (batch, heads, query_len, key_len); got {shape}")
    if not isinstance(batch_index, int) or not 0 <= batch_index < weights.shape[0]:
        raise IndexError(f"batch_index {batch_index!r} is out of range: the batch has {weights.shape[0]} examples")
    return weights[batch_index].detach().float().cpu()


def _check_tokens(tokens: Sequence[str], length: int, axis: str) -> list[str]:
    if isinstance(tokens, str) or not all(isinstance(t, str) for t in tokens):
        raise TypeError(f"{axis} tokens must be a list of strings, e.g. tokenizer.convert_ids_to_tokens(ids)")
    if len(tokens) != length:
        raise ValueError(f"{len(tokens)} {axis} tokens given, but the attention has {length} {axis} positions")
    return list(tokens)


def plot_attention_head(
    attentions: Sequence[torch.Tensor] | torch.Tensor,
    tokens: Sequence[str],
    layer: int,
    head: int,
    *,
    query_tokens: Sequence[str] | None = None,
    batch_index: int = 0,
    ax=None,
    title: str | None = None,
):
    """Draw one head's weights as a heatmap, queries down the rows and keys along the columns; return the Axes."""
    import matplotlib.pyplot as plt

    weights = select_attention(attentions, layer, batch_index)
    heads, query_len, key_len = weights.shape
    if not isinstance(head, int) or not -heads <= head < heads:
        raise IndexError(f"head {head!r} is out of range: layer {layer} has {heads} heads (0..{heads - 1})")
    keys = _check_tokens(tokens, key_len, "key")
    queries = _check_tokens(query_tokens if query_tokens is not None else tokens, query_len, "query")
    if ax is None:
        _, ax = plt.subplots(figsize=(0.35 * key_len + 2, 0.35 * query_len + 1.5))
    image = ax.imshow(weights[head].numpy(), cmap="viridis", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(key_len), keys, rotation=90, fontsize=8)
    ax.set_yticks(range(query_len), queries, fontsize=8)
    ax.set_xlabel("key (attended to)")
    ax.set_ylabel("query (attending)")
    ax.set_title(title if title is not None else f"layer {layer}, head {head}", fontsize=9)
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return ax


def plot_attention_layer(
    attentions: Sequence[torch.Tensor] | torch.Tensor,
    tokens: Sequence[str],
    layer: int,
    *,
    query_tokens: Sequence[str] | None = None,
    batch_index: int = 0,
    columns: int = 4,
):
    """Draw every head of one layer as a grid of heatmaps sharing one colour scale; return the Figure."""
    import matplotlib.pyplot as plt

    weights = select_attention(attentions, layer, batch_index)
    heads, query_len, key_len = weights.shape
    keys = _check_tokens(tokens, key_len, "key")
    queries = _check_tokens(query_tokens if query_tokens is not None else tokens, query_len, "query")
    if not isinstance(columns, int) or columns < 1:
        raise ValueError(f"columns must be a positive int, got {columns!r}")
    columns = min(columns, heads)
    rows = -(-heads // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(2.6 * columns, 2.6 * rows), squeeze=False)
    for index, ax in enumerate(axes.flat):
        if index >= heads:
            ax.axis("off")
            continue
        ax.imshow(weights[index].numpy(), cmap="viridis", vmin=0.0, vmax=1.0)
        ax.set_title(f"head {index}", fontsize=8)
        ax.set_xticks(range(key_len), keys if index // columns == rows - 1 else [], rotation=90, fontsize=6)
        ax.set_yticks(range(query_len), queries if index % columns == 0 else [], fontsize=6)
    figure.suptitle(f"layer {layer}: all {heads} heads", fontsize=10)
    figure.tight_layout()
    return figure
