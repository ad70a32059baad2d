"""Attention plotting helpers: right pictures for right input, clear errors for wrong input."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest
import torch

from structapi.plotting import plot_attention_grid, plot_attention_head, plot_attention_layer, select_attention

LAYERS, BATCH, HEADS, SEQ = 3, 2, 4, 5
TOKENS = ["[CLS]", "i", "love", "it", "[SEP]"]


@pytest.fixture
def attentions() -> tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(0)
    return tuple(torch.rand(BATCH, HEADS, SEQ, SEQ, generator=generator).softmax(-1) for _ in range(LAYERS))


def test_select_attention_takes_the_tuple_transformers_returns(attentions) -> None:
    picked = select_attention(attentions, layer=2, batch_index=1)
    assert picked.shape == (HEADS, SEQ, SEQ)
    assert torch.equal(picked, attentions[2][1])


def test_heatmap_shows_the_weights_with_token_labels(attentions) -> None:
    ax = plot_attention_head(attentions, TOKENS, layer=1, head=3)
    assert torch.allclose(torch.tensor(ax.images[0].get_array()), attentions[1][0, 3])
    assert [t.get_text() for t in ax.get_xticklabels()] == TOKENS
    plt.close("all")


def test_layer_grid_has_one_panel_per_head(attentions) -> None:
    figure = plot_attention_layer(attentions, TOKENS, layer=0, columns=3)
    assert sum(1 for ax in figure.axes if ax.images) == HEADS
    plt.close("all")


def test_cross_attention_uses_separate_query_tokens(attentions) -> None:
    cross = (torch.rand(1, HEADS, 3, SEQ).softmax(-1),)
    ax = plot_attention_head(cross, TOKENS, layer=0, head=0, query_tokens=["a", "b", "c"])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c"]
    plt.close("all")


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"layer": 3, "head": 0}, IndexError, r"layer 3 is out of range: the model has 3 layers \(0..2\)"),
    ({"layer": 0, "head": 4}, IndexError, r"head 4 is out of range: layer 0 has 4 heads \(0..3\)"),
    ({"layer": 0, "head": 0, "batch_index": 2}, IndexError, "batch_index 2 is out of range: the batch has 2"),
    ({"layer": 0, "head": 0, "tokens": TOKENS[:-1]}, ValueError, "4 key tokens given, but the attention has 5 key"),
    ({"layer": 0, "head": 0, "tokens": "[CLS] i love it [SEP]"}, TypeError, "list of strings"),
    ({"layer": 0, "head": 0, "query_tokens": ["x"]}, ValueError, "1 query tokens given, but the attention has 5"),
])
def test_bad_input_is_explained(attentions, kwargs, error, message) -> None:
    arguments = {"tokens": TOKENS, **kwargs}
    with pytest.raises(error, match=message):
        plot_attention_head(attentions, **arguments)


def test_empty_tuple_points_to_eager_attention() -> None:
    with pytest.raises(ValueError, match='attn_implementation="eager"'):
        plot_attention_head((), TOKENS, layer=0, head=0)


def test_wrong_shape_is_explained() -> None:
    with pytest.raises(ValueError, match=r"\(batch, heads, query_len, key_len\); got \(4, 5, 5\)"):
        plot_attention_layer((torch.rand(HEADS, SEQ, SEQ),), TOKENS, layer=0)


def test_bad_columns_are_explained(attentions) -> None:
    with pytest.raises(ValueError, match="columns must be a positive int"):
        plot_attention_layer(attentions, TOKENS, layer=0, columns=0)


def test_heatmap_without_colour_bar_adds_no_axes(attentions) -> None:
    ax = plot_attention_head(attentions, TOKENS, layer=0, head=0, colorbar=False)
    assert ax.figure.axes == [ax]
    plt.close("all")


def test_grid_has_one_panel_per_layer_and_head(attentions) -> None:
    figure = plot_attention_grid(attentions, TOKENS)
    panels = [ax for ax in figure.axes if ax.images]
    assert len(panels) == LAYERS * HEADS
    assert panels[HEADS + 2].get_title() == "layer 1, head 2"
    assert torch.allclose(torch.tensor(panels[HEADS + 2].images[0].get_array()), attentions[1][0, 2])
    plt.close("all")


def test_grid_draws_a_choice_of_layers_and_heads_for_cross_attention() -> None:
    cross = tuple(torch.rand(1, HEADS, 3, SEQ).softmax(-1) for _ in range(LAYERS))
    figure = plot_attention_grid(cross, TOKENS, query_tokens=["a", "b", "c"], layers=[2], heads=[0, 3])
    titles = [ax.get_title() for ax in figure.axes]
    assert titles == ["layer 2, head 0", "layer 2, head 3"]
    assert [t.get_text() for t in figure.axes[0].get_yticklabels()] == ["a", "b", "c"]
    plt.close("all")


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"layers": [3]}, IndexError, r"layer 3 is out of range: the model has 3 layers \(0..2\)"),
    ({"heads": [0, 4]}, IndexError, r"head 4 is out of range: each layer has 4 heads \(0..3\)"),
    ({"layers": 1}, ValueError, r"layers must be a non-empty list of ints, e.g. \[0, 1\]; got 1"),
    ({"heads": []}, ValueError, r"heads must be a non-empty list of ints"),
    ({"batch_index": 5}, IndexError, "batch_index 5 is out of range: the batch has 2"),
    ({"tokens": TOKENS[:2]}, ValueError, "2 key tokens given, but the attention has 5 key"),
    ({"query_tokens": ["x"]}, ValueError, "1 query tokens given, but the attention has 5 query"),
])
def test_grid_bad_input_is_explained(attentions, kwargs, error, message) -> None:
    arguments = {"tokens": TOKENS, **kwargs}
    with pytest.raises(error, match=message):
        plot_attention_grid(attentions, **arguments)
    plt.close("all")


def test_grid_of_an_sdpa_model_points_to_eager_attention() -> None:
    with pytest.raises(ValueError, match='attn_implementation="eager"'):
        plot_attention_grid((), TOKENS)


def test_only_the_outer_panels_carry_token_labels(attentions) -> None:
    figure = plot_attention_grid(attentions, TOKENS)
    panels = [ax for ax in figure.axes if ax.images]
    for index, ax in enumerate(panels):
        row, column = divmod(index, HEADS)
        assert [t.get_text() for t in ax.get_xticklabels()] == (TOKENS if row == LAYERS - 1 else [])
        assert [t.get_text() for t in ax.get_yticklabels()] == (TOKENS if column == 0 else [])
    plt.close("all")


def test_a_layer_grid_labels_the_lowest_panel_of_every_column(attentions) -> None:
    figure = plot_attention_layer(attentions, TOKENS, layer=0, columns=3)  # 4 heads: 3 + 1, two empty slots
    panels = [ax for ax in figure.axes if ax.images]
    labelled = [index for index, ax in enumerate(panels) if ax.get_xticklabels()]
    assert labelled == [1, 2, 3]  # heads 1 and 2 sit above empty slots, head 3 in the last row
    plt.close("all")
