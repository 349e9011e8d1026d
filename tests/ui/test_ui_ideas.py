"""Pilot and snapshot tests of the ideas' views: the loss landscape (7), neurons as pieces (8), neuron maps (9)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import SIZE, STILL_TRAINING, small_config, start_training, wait_for
from test_ui_views import PlotSpy
from textual.app import App

from tui_dl.engine.insights.views import Boundary, Landscape, NeuronMaps, Pieces
from tui_dl.ui.app import make_app
from tui_dl.ui.keys import help_rows
from tui_dl.ui.widgets.insights.panel import InsightsPanel
from tui_dl.ui.widgets.insights.landscape import LandscapeView, axes, describe
from tui_dl.ui.widgets.insights.neurons import NeuronMapsView, layout
from tui_dl.ui.widgets.insights.pieces import PiecesView


def config(dataset: str, layers: int, neurons: int = 16, activation: str = "relu", epochs: int = STILL_TRAINING,
           **train):
    cfg = small_config(epochs=epochs, samples=300)
    cfg.data.dataset, cfg.data.window = dataset, 1
    cfg.model.layers, cfg.model.neurons, cfg.model.activation = layers, [neurons], activation
    for key, value in train.items():
        setattr(cfg.train, key, value)
    return cfg


def screen_text(view) -> list[str]:
    return [view.render_line(y).text for y in range(view.size.height)]


# the loss landscape --------------------------------------------------------------------------------


async def test_landscape_of_y_equals_b_plus_w_x_while_it_trains(tmp_path: Path):
    app = make_app(config("daily-views", 0, optimizer="sgd", lr=0.05, momentum=0.0), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        trainer = await start_training(pilot, epochs=1)
        await pilot.press("f9", "7")
        panel = app.query_one(InsightsPanel)
        view = panel.landscape_view
        await wait_for(pilot, lambda: trainer.probes == frozenset({"landscape"}))
        assert trainer.probe_size == view.grid_size
        await wait_for(pilot, lambda: view.landscape is not None and len(view.landscape.path) > 2 * trainer.steps_per_epoch)
        land = view.landscape
        rows, cols = land.loss.shape
        assert (cols, rows) == view.grid_size and land.kind == "line"
        lines = screen_text(view)
        title = " ".join(lines[:2])
        assert title.startswith("epoch ") and "loss L(w, b) of y = b + w·x (MSE on all 240 training samples" in title
        assert "MSE" in lines[-2] and "● now" in lines[-2] and "○ start" in lines[-2] and "✕ minimum" in lines[-2]
        assert lines[-1].startswith("w ") and " across, b " in lines[-1] and "steps" in lines[-1]
        drawn = "".join(lines[2:-2])
        assert drawn.count("●") == 1 and drawn.count("○") == 1 and "•" in drawn and "▀" in drawn
        colours = {s.style.bgcolor for y in range(2, view.size.height - 2) for s in view.render_line(y)}
        assert len(colours) >= 8  # contour bands, not a flat map
        await pilot.press("f7")


async def test_landscape_of_a_network_is_a_pca_slice_and_says_so(tmp_path: Path):
    app = make_app(config("circle", 1, epochs=30), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await start_training(pilot, epochs=1)
        await pilot.press("f9", "7")
        view = app.query_one(InsightsPanel).landscape_view
        await wait_for(pilot, lambda: app.shown.run_state == "completed" and view.landscape is not None
                       and view.landscape.recorded == 30)
        lines = screen_text(view)
        title = " ".join(lines[:2]).split()
        assert "along the path's 2 main directions (PCA:" in " ".join(title)
        assert "cross-entropy on all 240 training samples" in " ".join(title)
        assert lines[-1].startswith("1st direction ") and "path of 30 epochs, 31 points" in lines[-1]


async def test_a_view_asked_for_as_the_run_ends_is_drawn_from_the_finished_model(tmp_path: Path):
    app = make_app(config("circle", 1), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await start_training(pilot, epochs=1)
        app.shown.link.want_insights = lambda kinds, size: None  # the request reaches the run after its end
        await pilot.press("f9", "7")
        await pilot.pause(0.5)
        view = app.query_one(InsightsPanel).landscape_view
        assert view.landscape is None and app.shown.training
        await pilot.press("f7")
        await wait_for(pilot, lambda: app.shown.run_state == "stopped" and view.landscape is not None)
        assert view.landscape.recorded == app.shown.link.epoch


def landscape_of(kind: str) -> Landscape:
    return Landscape(kind, (-1.0, 1.0), (-1.0, 1.0), np.ones((4, 4)), np.zeros((1, 2)), 1.0, None, (0.9, 0.05), 500,
                     800, 354, "cross-entropy", 3, (4, 4))


def test_the_axes_line_says_how_much_of_a_diverging_path_left_the_map():
    land = landscape_of("line")
    land.path = np.array([[0.0, 0.0], [0.5, -0.5], [-3.0, 2.0], [40.0, -30.0]])
    assert axes(land).endswith("path of 3 steps, 4 points, 2 off the map")
    land.path = land.path[:2]
    assert axes(land).endswith("path of 3 steps, 2 points")


def test_the_landscape_title_says_which_slice_it_is():
    assert describe(landscape_of("pca")) == (
        "loss on a 2-D slice through all 354 parameters along the path's 2 main directions (PCA: 90% and 5% of "
        "its variance), cross-entropy on 500 of the 800 training samples (a fixed subset)")
    assert "2 filter-normalized random directions (Li et al. 2018; the path is too short for PCA yet)" in (
        describe(landscape_of("random")))


# neurons as pieces ---------------------------------------------------------------------------------


async def test_sigmoid_pieces_add_up_to_the_red_curve(tmp_path: Path, monkeypatch):
    app = make_app(config("sine", 1, 30, "sigmoid"), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await start_training(pilot, epochs=1)
        chart = app.query_one(InsightsPanel).pieces_view
        spy = PlotSpy(chart.chart, monkeypatch)
        await pilot.press("f9", "8")
        await wait_for(pilot, lambda: chart.pieces is not None)
        await pilot.press("f7")
        await wait_for(pilot, lambda: app.shown.run_state == "stopped")
        await pilot.pause(0.3)
        p = chart.pieces
        assert chart.note.endswith("over its hidden layer's 30 neurons: the 8 that swing most drawn, "
                                   "the other 22 summed in grey")
        assert "y = b + Σ c_i·sigmoid(w_i·x + b_i)" in chart.note
        labels = [label for _, _, label in spy.lines]
        assert len(spy.lines) == 8 + 3 and labels[0].startswith("neuron pieces c·sigmoid(...): ")
        assert labels[-3:] == ["the other 22, summed", f"constant b = {p.constant:.3g}", "sum = the model's output"]
        pieces = np.array([ys for _, ys, _ in spy.lines[:8]])
        _, total = spy.labelled("sum = the model's output")
        _, rest = spy.labelled("the other 22, summed")
        np.testing.assert_allclose(p.constant + pieces.sum(axis=0) + np.array(rest), total, rtol=1e-5, atol=1e-5)


async def test_neuron_views_of_a_model_without_hidden_layers_say_why(tmp_path: Path):
    app = make_app(config("sine", 0, epochs=3), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await start_training(pilot, epochs=1)
        await pilot.press("f9", "8")
        chart = app.query_one(InsightsPanel).pieces_view
        await wait_for(pilot, lambda: "no hidden layer" in chart.note)
        assert chart.pieces is None


# neuron maps ---------------------------------------------------------------------------------------


async def test_neuron_maps_of_the_spiral_name_each_layer_and_neuron(tmp_path: Path):
    app = make_app(config("spiral", 2, 8, "tanh"), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        trainer = await start_training(pilot, epochs=1)
        await pilot.press("f9", "9")
        view = app.query_one(InsightsPanel).neurons_view
        await wait_for(pilot, lambda: view.maps is not None)
        assert trainer.probe_size == view.grid_size
        await pilot.press("f7")
        lines = screen_text(view)
        assert "what each hidden neuron responds to over the plane (x1 across, x2 up)" in lines[0]
        assert lines[1].startswith("output")
        layer_lines = [line for line in lines if "layer " in line]
        assert len(layer_lines) == 2 and "layer 1: 8 tanh neurons" in layer_lines[0]
        names = {word for line in lines for word in line.split() if word[:1] == "n" and word[1:].isdigit()}
        assert names == {f"n{i}" for i in range(1, 9)}  # every neuron, named
        assert "orange < 0 < blue" in lines[-1] or any("orange < 0 < blue" in line for line in lines)


def test_layout_shrinks_tiles_then_shares_rows_among_layers():
    assert layout([8, 8], 118, 30).tile == 6 and layout([4], 118, 30).tile == 8  # big tiles when all fit
    small = layout([64, 64, 64], 78, 20)
    assert small.tile == 3 and len(small.rows) == 3 and sum(1 + r * 4 for r in small.rows) <= 20
    assert layout([8] * 10, 78, 12).rows == [1, 1]  # 5 lines a layer: the layers beyond 2 do not fit


# keys, sizes and snapshots -------------------------------------------------------------------------


def test_views_have_their_keys_in_the_help():
    assert "7 landscape, 8 pieces, 9 neurons" in help_rows()


def zigzag(rows: int, cols: int) -> Landscape:
    """A round bowl with a path that overshoots the minimum in w at every step, and a current point."""
    x_range, y_range = (-1.5, 2.5), (-1.0, 1.0)
    gx, gy = np.meshgrid(np.linspace(*x_range, cols), np.linspace(y_range[1], y_range[0], rows))
    loss = 0.4 + (gx - 0.6) ** 2 + gy ** 2
    k = np.arange(25)
    path = np.stack([0.6 - 1.8 * (-0.8) ** k, 0.8 * 0.8 ** k], axis=1)  # w overshoots, b creeps down
    return Landscape("line", x_range, y_range, loss, path, 0.41, (0.6, 0.0), (0.0, 0.0), 240, 240, 2, "MSE", 24,
                     (cols // 2, rows // 2))


def pieces_of_sigmoids() -> Pieces:
    x = np.linspace(-6, 6, 200)
    pieces = np.array([c / (1 + np.exp(-(w * x + b))) for c, w, b in ((1.2, 2.0, 3.0), (-1.5, 1.5, -1.0), (0.8, 3.0, -7.0))])
    rest = np.zeros_like(x)
    points = np.linspace(-6, 6, 40)
    return Pieces(x, -0.3, pieces, [2, 1, 3], rest, -0.3 + pieces.sum(axis=0), 3, 1, "sigmoid", points,
                  np.sin(points / 2), "x")


def maps_of(grid: int) -> NeuronMaps:
    gx, gy = np.meshgrid(np.linspace(-1, 1, grid), np.linspace(1, -1, grid))
    first = np.stack([np.tanh(3 * (np.cos(a) * gx + np.sin(a) * gy)) for a in np.linspace(0, np.pi, 8)])
    second = np.stack([np.tanh(2 * (gx * gy * (i + 1))) for i in range(5)])
    classes = (np.hypot(gx, gy) < 0.6).astype(np.int64)
    points = np.random.default_rng(0).uniform(-1, 1, (40, 2))
    output = Boundary((-1.0, 1.0), (-1.0, 1.0), classes, np.full((grid, grid), 0.9), points,
                      (np.hypot(points[:, 0], points[:, 1]) < 0.6).astype(np.int64), ["out", "in"], ["x1", "x2"])
    return NeuronMaps((-1.0, 1.0), (-1.0, 1.0), [first, second], [list(range(1, 9)), [3, 1, 2, 5, 4]], [8, 5],
                      "tanh", output)


class IdeasApp(App):
    """One of the views with fixed data, for a snapshot."""

    def __init__(self, view: str):
        super().__init__()
        self.view = view

    def compose(self):
        yield {"landscape": LandscapeView, "pieces": PiecesView, "neurons": NeuronMapsView}[self.view]()

    def on_mount(self) -> None:
        self.call_after_refresh(self._show)

    def _show(self) -> None:
        widget = self.query_one("*")
        if self.view == "landscape":
            cols, rows = widget.grid_size
            widget.show(zigzag(rows, cols), "epoch 1: " + describe(zigzag(rows, cols)))
        elif self.view == "pieces":
            widget.show(pieces_of_sigmoids(), "epoch 9: y = b + Σ c_i·sigmoid(w_i·x + b_i): every neuron drawn")
        else:
            widget.show(maps_of(widget.grid_size[0]), "epoch 9: what each hidden neuron responds to")


@pytest.mark.parametrize("view", ["landscape", "pieces", "neurons"])
def test_ideas_view_snapshot(snap_compare, view):
    assert snap_compare(IdeasApp(view), terminal_size=(120, 40))


@pytest.mark.parametrize("view", ["landscape", "neurons"])
async def test_ideas_views_fit_80x24(view):
    app = IdeasApp(view)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.2)
        widget = app.query_one("*")
        lines = screen_text(widget)
        assert all(len(line) == 80 for line in lines)
        if view == "landscape":
            assert "● now" in lines[-2] and lines[-1].startswith("w ") and "○" in "".join(lines[2:-2])
            assert "loss L(w, b) of y = b + w·x" in lines[0] and "training samples" in " ".join(lines[:2])
        else:
            assert lines[1].startswith("output") and "layer 2:" in "".join(lines)
            assert any("orange < 0 < blue" in line for line in lines)
