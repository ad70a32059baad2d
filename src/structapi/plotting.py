"""Attention plots: one head as a heatmap, or every head of a layer as a grid (matplotlib)."""

from __future__ import annotations

from collections.abc import Sequence

import torch

__all__ = ["select_attention", "plot_attention_head", "plot_attention_layer", "plot_attention_grid"]


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
    colorbar: bool = True,
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
    if colorbar:
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
        _label_panel(ax, keys, queries, bottom=index + columns >= heads, left=index % columns == 0)
    figure.suptitle(f"layer {layer}: all {heads} heads", fontsize=10)
    figure.tight_layout()
    return figure


def _label_panel(ax, keys: list[str], queries: list[str], *, bottom: bool, left: bool) -> None:
    """Token labels on the grid's outer panels only; inner panels get no ticks at all (they cost drawing time)."""
    if bottom:
        ax.set_xticks(range(len(keys)), keys, rotation=90, fontsize=6)
    else:
        ax.set_xticks([])
    if left:
        ax.set_yticks(range(len(queries)), queries, fontsize=6)
    else:
        ax.set_yticks([])


def _check_indices(indices: Sequence[int] | None, count: int, what: str, owner: str) -> list[int]:
    """Return `indices` (all of 0..count-1 when None) after checking each is an int in range."""
    if indices is None:
        return list(range(count))
    if isinstance(indices, (int, str)) or len(indices) == 0:
        raise ValueError(f"{what}s must be a non-empty list of ints, e.g. [0, 1]; got {indices!r}")
    for index in indices:
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < count:
            raise IndexError(f"{what} {index!r} is out of range: {owner} has {count} {what}s (0..{count - 1})")
    return list(indices)


def plot_attention_grid(
    attentions: Sequence[torch.Tensor] | torch.Tensor,
    tokens: Sequence[str],
    *,
    query_tokens: Sequence[str] | None = None,
    batch_index: int = 0,
    layers: Sequence[int] | None = None,
    heads: Sequence[int] | None = None,
    panel_size: float = 1.4,
):
    """Draw the chosen heads of the chosen layers (all by default), one row per layer; return the Figure."""
    import matplotlib.pyplot as plt

    if isinstance(attentions, torch.Tensor):
        attentions = (attentions,) if attentions.dim() == 4 else tuple(attentions)
    first = select_attention(attentions, 0, batch_index)  # checks the tuple, the shape and batch_index
    head_count, query_len, key_len = first.shape
    layers = _check_indices(layers, len(attentions), "layer", "the model")
    heads = _check_indices(heads, head_count, "head", "each layer")
    keys = _check_tokens(tokens, key_len, "key")
    queries = _check_tokens(query_tokens if query_tokens is not None else tokens, query_len, "query")
    figure, axes = plt.subplots(
        len(layers), len(heads), figsize=(panel_size * len(heads) + 1, panel_size * len(layers) + 0.8), squeeze=False
    )
    for row, layer in enumerate(layers):
        weights = select_attention(attentions, layer, batch_index)
        for column, head in enumerate(heads):
            ax = axes[row, column]
            ax.imshow(weights[head].numpy(), cmap="viridis", vmin=0.0, vmax=1.0)
            ax.set_title(f"layer {layer}, head {head}", fontsize=6)
            _label_panel(ax, keys, queries, bottom=row == len(layers) - 1, left=column == 0)
    figure.tight_layout()
    return figure
