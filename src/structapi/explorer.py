"""An attention explorer that keeps working without a kernel.

Every heatmap is drawn in advance and stored as PNG bytes in an `ipywidgets.Image`. Stacks show one image
at a time, and the sliders (and the sentence menu) are tied to the stacks with `jslink`, a link that lives in
the browser. Once a notebook is saved with its widget state, the page that shows it (JupyterLab, an HTML export,
the book's website) can switch images with no Python running behind it.

The saved state must stay small, because it travels inside the notebook. The axes and token labels (most of a
picture's bytes) are the same for every head of a sentence, so they are stored once per sentence as a frame; each
head is stored as just the coloured square, laid over the frame's empty axes in the same grid cell.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from functools import cache

import ipywidgets as widgets
import torch

from structapi.plotting import _check_indices, _check_tokens, select_attention

__all__ = ["attention_png", "attention_explorer", "AttentionExplorer"]


class _Frame:
    """A heatmap's frame (axes and token labels) drawn once by matplotlib; heads are pasted into it.

    Drawing text is what makes a matplotlib figure slow. The labels are the same for every head of a sentence,
    so the frame is rendered once and each head only fills the axes' pixels with its colours (nearest-neighbour,
    as `imshow` draws them), which takes milliseconds instead of a fraction of a second.
    """

    def __init__(self, keys: list[str], queries: list[str], size: float, dpi: int) -> None:
        import matplotlib
        import numpy as np
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.shape = (len(queries), len(keys))
        self.colormap = matplotlib.colormaps["viridis"].resampled(LEVELS)
        # A bare Figure, not pyplot: nothing is registered with the notebook's backend, so nothing else is shown.
        figure = Figure(figsize=(size, size), dpi=dpi)
        canvas = FigureCanvasAgg(figure)
        ax = figure.add_subplot()
        ax.imshow(np.zeros(self.shape), cmap=self.colormap, vmin=0.0, vmax=1.0)  # sets the limits and the aspect
        ax.set_xticks(range(len(keys)), keys, rotation=90, fontsize=8)
        ax.set_yticks(range(len(queries)), queries, fontsize=8)
        ax.set_xlabel("key (attended to)", fontsize=8)
        ax.set_ylabel("query (attending)", fontsize=8)
        for spine in ax.spines.values():
            spine.set_visible(False)
        figure.tight_layout()
        canvas.draw()
        # The frame is black text on white: keep it as GREYS levels of grey, palette entries 0..GREYS-1.
        grey = np.asarray(canvas.buffer_rgba())[..., :3].astype(float).mean(axis=-1)
        self.pixels = np.rint(grey / 255 * (GREYS - 1)).astype(np.uint8)
        height = self.pixels.shape[0]
        x0, y0, x1, y1 = (round(v) for v in ax.get_window_extent().extents)
        self.rows, self.columns = slice(height - y1, height - y0), slice(x0, x1)
        self.size = (self.pixels.shape[1], height)  # (width, height) of the whole picture in pixels
        self.pixels[self.rows, self.columns] = GREYS  # the empty axes show the colour of weight 0
        # Which weight each pixel shows: pixel centres mapped onto the (query, key) grid.
        self.row_index = ((np.arange(y1 - y0) + 0.5) * self.shape[0] / (y1 - y0)).astype(int)
        self.column_index = ((np.arange(x1 - x0) + 0.5) * self.shape[1] / (x1 - x0)).astype(int)

    def _cells(self, weights: torch.Tensor):
        """The axes' pixels for these weights: colour levels 0..LEVELS-1, one flat block per (query, key) cell."""
        if tuple(weights.shape) != self.shape:
            raise ValueError(f"weights of shape {tuple(weights.shape)} do not fit a frame for {self.shape}")
        return _levels(weights)[self.row_index][:, self.column_index]

    def png(self, weights: torch.Tensor) -> bytes:
        """The whole picture: frame and heatmap in one PNG."""
        pixels = self.pixels.copy()
        pixels[self.rows, self.columns] = GREYS + self._cells(weights)
        return _png(pixels, _palette())

    def frame_png(self) -> bytes:
        """The frame alone (labels, and the axes in the colour of weight 0): stored once per sentence."""
        return _png(self.pixels, _palette()[: 3 * (GREYS + 1)])

    def heatmap_png(self, weights: torch.Tensor) -> bytes:
        """Only the axes' square, to lay over the frame at `offset`: the few hundred bytes each head costs."""
        return _png(self._cells(weights), _palette()[3 * GREYS :])

    @property
    def offset(self) -> tuple[int, int]:
        """(left, top) of the axes inside the frame, in pixels."""
        return self.columns.start, self.rows.start

    @property
    def heatmap_size(self) -> tuple[int, int]:
        """(width, height) of the axes in pixels."""
        return self.columns.stop - self.columns.start, self.rows.stop - self.rows.start


def _png(pixels, palette: list[int]) -> bytes:
    from PIL import Image

    image = Image.fromarray(pixels)  # mode "L"; the palette turns it into "P"
    image.putpalette(palette)
    buffer = io.BytesIO()
    image.save(buffer, format="png", optimize=True)  # PIL writes no timestamp and no version: same bytes
    return buffer.getvalue()


def _levels(weights: torch.Tensor):
    """Map weights in [0, 1] to LEVELS colour levels, as a `LEVELS`-entry colormap would (1.0 is the top level)."""
    import numpy as np

    return np.minimum((weights.numpy().clip(0.0, 1.0) * LEVELS).astype(np.uint8), LEVELS - 1)


def heatmap_colours():
    """Return the LEVELS RGB colours (uint8) the explorer's heatmaps use, darkest (weight 0) first."""
    import matplotlib
    import numpy as np

    return matplotlib.colormaps["viridis"].resampled(LEVELS)(np.arange(LEVELS), bytes=True)[:, :3]


@cache
def _palette() -> list[int]:
    import numpy as np

    greys = np.rint(np.linspace(0, 255, GREYS)).astype(np.uint8)
    return np.stack([greys] * 3, axis=1).ravel().tolist() + heatmap_colours().ravel().tolist()


# A PNG palette holds 256 colours: GREYS for the frame's text and LEVELS for the weights. Small palettes keep
# the pictures small enough that a notebook can carry a hundred of them.
GREYS, LEVELS = 32, 96


def attention_png(
    attentions: Sequence[torch.Tensor] | torch.Tensor,
    tokens: Sequence[str],
    layer: int,
    head: int,
    *,
    query_tokens: Sequence[str] | None = None,
    batch_index: int = 0,
    size: float = 3.0,
    dpi: int = 60,
) -> bytes:
    """Return one head's heatmap as PNG bytes (queries down, keys across); the same weights give the same bytes."""
    weights = select_attention(attentions, layer, batch_index)
    heads, query_len, key_len = weights.shape
    if not isinstance(head, int) or not -heads <= head < heads:
        raise IndexError(f"head {head!r} is out of range: layer {layer} has {heads} heads (0..{heads - 1})")
    keys = _check_tokens(tokens, key_len, "key")
    queries = _check_tokens(query_tokens if query_tokens is not None else tokens, query_len, "query")
    return _Frame(keys, queries, size, dpi).png(weights[head])


class AttentionExplorer(widgets.VBox):
    """The explorer's box; its parts are attributes so that tests and readers can reach them."""

    def __init__(self, *, controls, stack, layer_slider, head_slider, sentence_menu, links, images):
        super().__init__([widgets.HBox(controls), stack])
        self.add_class("attention-explorer")  # CSS classes: how a page (and the browser test) finds the parts
        self.stack = stack  # the sentences' Stack, or the one sentence's picture (frame and heads) when alone
        self.layer_slider = layer_slider
        self.head_slider = head_slider
        self.sentence_menu = sentence_menu
        self.links = links  # jslink objects: kept here so that they live as long as the explorer
        self.images = images  # {(sentence, layer, head): PNG bytes of the heatmap square}


def attention_explorer(
    examples: Mapping[str, tuple[Sequence[torch.Tensor], Sequence[str]]],
    *,
    layers: Sequence[int] | None = None,
    heads: Sequence[int] | None = None,
    size: float = 3.0,
    dpi: int = 60,
) -> AttentionExplorer:
    """Build sliders for layer and head (and a menu for the sentence) over pre-rendered attention heatmaps.

    `examples` maps a label (the sentence) to `(outputs.attentions, tokens)` from running that sentence alone
    (a batch of one) with `output_attentions=True`. `layers` and `heads` choose which are drawn (all by default).
    """
    if not isinstance(examples, Mapping) or len(examples) == 0:
        raise ValueError("examples must be a non-empty dict {label: (attentions, tokens)}, one entry per sentence")
    checked = {}
    for label, pair in examples.items():
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ValueError(f"examples[{label!r}] must be a pair (attentions, tokens)")
        attentions, tokens = pair
        if isinstance(attentions, torch.Tensor):
            attentions = (attentions,) if attentions.dim() == 4 else tuple(attentions)
        first = select_attention(attentions, 0)  # explains an empty tuple or a wrong shape
        if first.shape[1] != first.shape[2]:
            raise ValueError(f"examples[{label!r}]: the explorer shows self-attention, but query_len != key_len")
        _check_tokens(tokens, first.shape[-1], "key")
        checked[label] = (attentions, list(tokens), len(attentions), first.shape[0])
    shapes = {(layer_count, head_count) for _, _, layer_count, head_count in checked.values()}
    if len(shapes) != 1:
        raise ValueError(f"every example must come from the same model; got (layers, heads) {sorted(shapes)}")
    ((layer_count, head_count),) = shapes
    layers = _check_indices(layers, layer_count, "layer", "the model")
    heads = _check_indices(heads, head_count, "head", "each layer")

    images, layer_stacks, head_stacks, pictures_by_sentence = {}, [], [], []
    for label, (attentions, tokens, _, _) in checked.items():
        frame, per_layer = _Frame(tokens, tokens, size, dpi), []
        (width, height), (left, top) = frame.heatmap_size, frame.offset
        # One Layout per sentence, shared by all its heads: a Layout is a widget model too, saved with the state.
        square = widgets.Layout(width=f"{width}px", height=f"{height}px", margin="0")
        for layer in layers:
            weights, pictures = select_attention(attentions, layer), []
            for head in heads:
                png = frame.heatmap_png(weights[head])
                images[label, layer, head] = png
                picture = widgets.Image(value=png, format="png", layout=square)
                picture.add_class("explorer-heatmap")
                pictures.append(picture)
            per_layer.append(widgets.Stack(pictures, selected_index=0, layout=square))
        head_stacks.extend(per_layer)
        layer_stack = widgets.Stack(per_layer, selected_index=0, layout=widgets.Layout(
            grid_area="picture", width=f"{width}px", height=f"{height}px", margin=f"{top}px 0 0 {left}px"))
        layer_stacks.append(layer_stack)
        whole_width, whole_height = frame.size
        background = widgets.Image(value=frame.frame_png(), format="png", layout=widgets.Layout(
            grid_area="picture", width=f"{whole_width}px", height=f"{whole_height}px", margin="0"))
        background.add_class("explorer-frame")
        # A grid with one cell that both children occupy: the heads' stack lies over the frame's empty axes.
        pictures_by_sentence.append(widgets.GridBox([background, layer_stack], layout=widgets.Layout(
            grid_template_areas='"picture"', grid_template_columns=f"{whole_width}px",
            grid_template_rows=f"{whole_height}px", overflow="hidden")))

    def slider(description, values):
        return widgets.SelectionSlider(
            options=[(str(value), value) for value in values], value=values[0], description=description
        )

    layer_slider, head_slider = slider("layer", layers), slider("head", heads)
    layer_slider.add_class("explorer-layer")
    head_slider.add_class("explorer-head")
    links = [widgets.jslink((layer_slider, "index"), (stack, "selected_index")) for stack in layer_stacks]
    links += [widgets.jslink((head_slider, "index"), (stack, "selected_index")) for stack in head_stacks]
    controls = [layer_slider, head_slider]
    sentence_menu = None
    if len(pictures_by_sentence) == 1:
        stack = pictures_by_sentence[0]
    else:
        stack = widgets.Stack(pictures_by_sentence, selected_index=0)
        sentence_menu = widgets.Dropdown(options=list(checked), index=0, description="sentence")
        sentence_menu.add_class("explorer-sentence")
        links.append(widgets.jslink((sentence_menu, "index"), (stack, "selected_index")))
        controls.insert(0, sentence_menu)
    return AttentionExplorer(
        controls=controls, stack=stack, layer_slider=layer_slider, head_slider=head_slider,
        sentence_menu=sentence_menu, links=links, images=images,
    )
