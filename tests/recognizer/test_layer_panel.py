"""recognizer.layer_panel: the canvas' look inside the network, each convolution layer's maps tiled under its
caption, following the drawing."""
import numpy as np

from numcnn.activations import GAP_VALUE, scale_per_map
from recognizer import canvas, layer_panel
from recognizer.canvas import DrawingPad
from recognizer.normalize import normalize_digit
from recognizer.overlay import YELLOW
from tests.recognizer.test_canvas import draw_one, draw_seven


def test_the_layer_panel_tiles_each_conv_layers_maps_under_its_caption(two_conv_model):
    width = 320 + canvas.CHART_WIDTH
    pad = DrawingPad()
    draw_seven(pad)
    first, second = layer_panel.make_layer_viewer(two_conv_model)(normalize_digit(pad.ink))
    panel = layer_panel.layer_panel([first, second], width)
    grid_width = width - 2 * layer_panel.PANEL_MARGIN
    assert layer_panel.grid_layout(16, 26, 26, grid_width) == (8, 2), "16 maps of 26x26: 8 columns, twice as big"
    assert layer_panel.grid_layout(32, 11, 11, grid_width) == (16, 3), "32 maps of 11x11: 16 columns, 3 times"
    first_grid, second_grid = (2 * 53 - 1, 8 * 53 - 1), (2 * 34 - 1, 16 * 34 - 1)     # 1 px between maps
    caption, margin = layer_panel.CAPTION_HEIGHT, layer_panel.PANEL_MARGIN
    assert panel.shape == (3 * caption + first_grid[0] + second_grid[0] + 2 * margin, width, 3)
    np.testing.assert_array_equal(panel[caption : 2 * caption], layer_panel.caption_strip(first.label, width, YELLOW))
    second_caption = 2 * caption + first_grid[0] + margin
    np.testing.assert_array_equal(panel[second_caption : second_caption + caption],
                                  layer_panel.caption_strip(second.label, width, YELLOW))
    for layer, top, (_, grid_width), zoom in ((first, 2 * caption, first_grid, 2),
                                              (second, second_caption + caption, second_grid, 3)):
        left, side = (width - grid_width) // 2, layer.maps.shape[-1] * zoom      # each grid is centred
        shown = panel[top : top + side, left : left + side, 1]
        expected = (scale_per_map(layer.maps[0, 0]) * 255).round().astype(np.uint8).repeat(zoom, 0).repeat(zoom, 1)
        np.testing.assert_array_equal(shown, expected, err_msg=f"the first map of {layer.label}, top left")
        gap = round(GAP_VALUE * 255)
        assert (panel[top, left + side] == gap).all() and not panel[top, left - 1].any(), "a 1 px gap; outside: black"


def test_the_layer_panel_follows_the_drawing(two_conv_model):
    look_inside = layer_panel.make_layer_viewer(two_conv_model)
    pad = DrawingPad()

    def panel_of() -> np.ndarray:
        return layer_panel.layer_panel(look_inside(normalize_digit(pad.ink)), 640)

    draw_seven(pad)
    seven = panel_of()
    np.testing.assert_array_equal(panel_of(), seven)
    pad.clear()
    draw_one(pad)
    one = panel_of()
    assert one.shape == seven.shape and not np.array_equal(one, seven)
