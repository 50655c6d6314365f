"""The look inside the network that the drawing canvas shows under its pad (key v), as in ConvNetJS's demos: every
convolution layer's feature maps for the current drawing, each layer's maps (one per filter, after the layer's ReLU)
tiled in a grid, each map scaled on its own (black is 0, white the map's strongest response).

    look_inside = make_layer_viewer(model)                    # model input (28, 28) -> [FeatureMaps, ...]
    panel = layer_panel(look_inside(model_input), width=640)  # (P, 640, 3) uint8, ready to go under the pad

Plain functions of NumPy images: tested without a window.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import cv2
import numpy as np

from numcnn.activations import FeatureMaps, conv_feature_maps, scale_per_map, tile_maps
from recognizer.overlay import FONT, GREY, WHITE, YELLOW

PANEL_MARGIN = 2          # around the layer panel's grids, in pixels: thin, so 12 enlarged maps fit a row
MAP_GAP = 1               # between two maps of a grid: 1 px keeps 12 twice-enlarged 26x26 maps in the 640 px window
MAX_GRID_HEIGHT = 130     # the most height one layer's grid takes before its maps are drawn smaller
MAX_ZOOM = 4              # maps are enlarged by a whole factor, at most this: every map pixel stays a crisp square
CAPTION_HEIGHT = 20
EMPTY_CELL = 30           # the grey of a map's place while there is no drawing
PANEL_HEADING = "inside the network: one map per filter, white = strongest response"


def grid_layout(count: int, map_height: int, map_width: int, width: int) -> tuple[int, int]:
    """(columns, zoom): how to draw ``count`` maps of map_height x map_width as big as they fit in a grid
    ``width`` pixels wide and at most MAX_GRID_HEIGHT high, each enlarged by the whole factor ``zoom``.

    24 maps of 26x26 in 636 px: 12 columns, zoom 2 (two rows); 48 of 11x11: 16 columns, zoom 3 (three rows).
    When even zoom 1 is too high, as many columns as fit at zoom 1 (the grid is then higher).
    """
    for zoom in range(MAX_ZOOM, 0, -1):
        columns = min(count, (width + MAP_GAP) // (map_width * zoom + MAP_GAP))
        if columns < 1:
            continue
        rows = -(-count // columns)
        if rows * (map_height * zoom + MAP_GAP) - MAP_GAP <= MAX_GRID_HEIGHT:
            return -(-count // rows), zoom      # as few columns as give those rows: a fuller last row
    return max(1, min(count, (width + MAP_GAP) // (map_width + MAP_GAP))), 1


def layer_grid(maps: np.ndarray, width: int, blank: bool = False) -> np.ndarray:
    """One layer's maps (C, h, w) as a (H, W, 3) uint8 grid no wider than ``width`` (see `grid_layout`), each
    map scaled on its own (black = 0, white = its highest value); ``blank``: every map's place in dark grey."""
    count, map_height, map_width = maps.shape
    columns, zoom = grid_layout(count, map_height, map_width, width)
    cells = np.full(maps.shape, EMPTY_CELL / 255, np.float32) if blank else scale_per_map(maps)
    cells = cells.repeat(zoom, axis=1).repeat(zoom, axis=2)
    grid = (tile_maps(cells, columns, gap=MAP_GAP) * 255).round().astype(np.uint8)
    return cv2.cvtColor(grid, cv2.COLOR_GRAY2BGR)


def layer_panel(feature_maps: Sequence[FeatureMaps], width: int, blank: bool = False) -> np.ndarray:
    """The look inside the network, (H, width, 3) uint8: a heading, then for each convolution layer its caption
    (e.g. "layers 1-2: Conv2D + ReLU, 24 maps of 26x26") and its maps for the first image of the batch in a
    grid (`layer_grid`), centred.

    feature_maps: from `conv_feature_maps` (maps (1, C, h, w) each). ``blank``: there is no drawing yet; the
    grids are drawn empty, so the panel keeps its size and does not jump when the first stroke comes.
    """
    if width <= 2 * PANEL_MARGIN:
        raise ValueError(f"the layer panel needs to be wider than {2 * PANEL_MARGIN} px, got {width}")
    heading = "draw a digit to see what each layer detects" if blank else PANEL_HEADING
    if not feature_maps:
        heading = "this model has no convolution layer to look inside"
    parts = [caption_strip(heading, width, WHITE)]
    for layer in feature_maps:
        parts.append(caption_strip(layer.label, width, YELLOW))
        grid = layer_grid(layer.maps[0], width - 2 * PANEL_MARGIN, blank)
        strip = np.zeros((grid.shape[0] + PANEL_MARGIN, width, 3), dtype=np.uint8)
        left = (width - grid.shape[1]) // 2
        strip[: grid.shape[0], left : left + grid.shape[1]] = grid
        parts.append(strip)
    panel = np.concatenate(parts)
    panel[0] = GREY     # a line between the pad above and the panel
    return panel


def caption_strip(text: str, width: int, color: tuple[int, int, int]) -> np.ndarray:
    """(CAPTION_HEIGHT, width, 3) uint8: black, with ``text`` in small letters on its left."""
    strip = np.zeros((CAPTION_HEIGHT, width, 3), dtype=np.uint8)
    cv2.putText(strip, text, (PANEL_MARGIN + 6, CAPTION_HEIGHT - 6), FONT, 0.45, color, 1, cv2.LINE_AA)
    return strip


def make_layer_viewer(model: Any) -> Callable[[np.ndarray], list[FeatureMaps]]:
    """A function from a model input (28, 28) float32 in [0, 1] (a `Prediction`'s model_input) to the feature
    maps of each convolution layer of ``model`` for it (`numcnn.activations.conv_feature_maps`, batch of one)."""

    def look_inside(model_input: np.ndarray) -> list[FeatureMaps]:
        return conv_feature_maps(model, np.asarray(model_input, dtype=np.float32)[None, None])

    return look_inside
