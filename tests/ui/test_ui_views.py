"""Pilot tests of the chart controls and the Insights tab's views."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from helpers import SIZE, STILL_TRAINING, small_config, start_training, wait_for
from textual.app import App

from tui_dl.engine.config import RunConfig
from tui_dl.engine.insights.views import Boundary
from tui_dl.ui.app import make_app
from tui_dl.ui.widgets.charts import LossChart
from tui_dl.ui.widgets.insights.panel import InsightsPanel
from tui_dl.ui.widgets.insights.confusion import confusion_text
from tui_dl.ui.widgets.insights.plane import PlaneView
from tui_dl.ui.widgets.training_view import TrainingView


class PlotSpy:
    """Records the lines a chart plots: (xs, ys, label) per `plt.plot` call of its latest draw.

    Patched on the class: plotext's clear_figure re-initialises the figure object and would drop instance patches.
    """

    def __init__(self, chart, monkeypatch):
        self.lines: list[tuple[list[float], list[float], str | None]] = []
        self.sides: dict[str | None, str | None] = {}  # the y axis of each labelled line ("right", or None)
        figure = type(chart.plt)
        original_clear, original_plot = figure.clear_data, figure.plot

        def clear(plot_self):
            if plot_self is chart.plt:
                self.lines = []
            original_clear(plot_self)

        def plot(plot_self, xs, ys, **kwargs):
            if plot_self is chart.plt:
                self.lines.append((list(xs), list(ys), kwargs.get("label")))
                self.sides[kwargs.get("label")] = kwargs.get("yside")
            original_plot(plot_self, xs, ys, **kwargs)

        monkeypatch.setattr(figure, "clear_data", clear)
        monkeypatch.setattr(figure, "plot", plot)

    def labelled(self, label: str) -> tuple[list[float], list[float]]:
        found = [(xs, ys) for xs, ys, name in self.lines if name == label]
        assert found, f"no line labelled {label!r} in {[name for _, _, name in self.lines]}"
        return found[0]



def config(dataset: str, epochs: int = 4, samples: int = 300) -> RunConfig:
    cfg = small_config(epochs=epochs, samples=samples)
    cfg.data.dataset = dataset
    return cfg


async def test_chart_keys_smooth_log_scale_switch_axis_and_zoom(tmp_path: Path, monkeypatch):
    app = make_app(config("spiral", epochs=30), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await start_training(pilot, epochs=30)
        await wait_for(pilot, lambda: app.shown.run_state == "completed")
        view = app.query_one(TrainingView)
        spy = PlotSpy(app.query_one(LossChart), monkeypatch)
        await pilot.press("f4")
        assert app.focused is view
        options = view.chart_options
        assert options.smoothing == 0.6
        view.redraw()
        raw_train = spy.lines[2]  # step raw, step smoothed, train raw, train smoothed, ...
        smooth_x, smooth_y = spy.labelled("train")
        assert raw_train[2] is None and raw_train[0] == smooth_x and raw_train[1] != smooth_y

        await pilot.press("right_square_bracket")
        assert options.smoothing == 0.7
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert options.smoothing == 0.5
        assert "smoothing 0.50" in str(view.options_line.render())

        await pilot.press("l")
        assert options.log_y
        losses = [m.train_loss for m in view.curves.epochs]
        _, ys = spy.labelled("train")
        assert min(ys) < 0 < max(losses)  # losses below 1 are drawn as negative log10 values
        assert "log y" in str(view.options_line.render())
        await pilot.press("l")

        await pilot.press("x")
        assert options.x_axis == "step"
        xs, _ = spy.labelled("train")
        assert max(xs) == view.curves.epochs[-1].step
        await pilot.press("x")
        xs, _ = spy.labelled("train")
        seconds = sum(m.seconds for m in view.curves.epochs)
        assert options.x_axis == "time" and math.isclose(max(xs), seconds, rel_tol=1e-6)
        await pilot.press("x")

        await pilot.press("z")
        assert options.last_epochs == 10
        xs, _ = spy.labelled("val")
        assert min(xs) > 20 and max(xs) == 30
        assert "last 10 epochs" in str(view.options_line.render())


async def test_insight_views_are_computed_only_while_visible(tmp_path: Path):
    app = make_app(config("circle", epochs=STILL_TRAINING), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        trainer = await start_training(pilot, epochs=1)
        assert trainer.probes == frozenset()
        await pilot.press("f9")
        await wait_for(pilot, lambda: trainer.probes == frozenset({"boundary"}))
        panel = app.query_one(InsightsPanel)
        await pilot.press("3")
        await wait_for(pilot, lambda: trainer.probes == frozenset({"confusion"}))
        await pilot.press("4")
        await wait_for(pilot, lambda: trainer.probes == frozenset())
        await pilot.press("1", "f4")
        await wait_for(pilot, lambda: trainer.probes == frozenset())
        assert panel.view == "boundary"
        await pilot.press("f7")


async def test_decision_boundary_is_drawn_during_training(tmp_path: Path):
    app = make_app(config("circle", epochs=STILL_TRAINING), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await start_training(pilot, epochs=1)
        await pilot.press("f9")
        view = app.query_one(InsightsPanel).boundary_view
        # the epoch under way may have probed at the hidden tab's size: the next one probes at the view's
        await wait_for(pilot, lambda: view.plane is not None and view.plane.classes.shape[::-1] == view.grid_size)
        first = view.plane
        assert first.classes.shape[1] == view.size.width
        await wait_for(pilot, lambda: view.plane is not first)  # refreshed as training goes on
        text = "".join(view.render_line(y).text for y in range(view.size.height))
        assert "●" in text and "▀" in text  # data points over the half-block heatmap
        assert view.note.startswith("epoch ") and "across" in view.note
        await pilot.press("f7")


async def test_boundary_of_a_finished_run_and_of_a_loaded_checkpoint(tmp_path: Path):
    app = make_app(config("xor", epochs=3), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await start_training(pilot, epochs=3)
        await wait_for(pilot, lambda: app.shown.run_state == "completed")
        view = app.query_one(InsightsPanel).boundary_view
        await pilot.press("f9")
        await wait_for(pilot, lambda: view.plane is not None)
        assert view.note.startswith("epoch 3")
        checkpoint = app.shown.link.session.recorder.folder / "last.pt"
    app = make_app(config("xor", epochs=3), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None)
        app.checkpoints.load_file(checkpoint)
        view = app.query_one(InsightsPanel).boundary_view
        await pilot.press("f9")
        await wait_for(pilot, lambda: view.plane is not None)
        assert view.note.startswith("epoch 3") and app.insight_feed.inspector is not None


async def test_regression_fit_shows_real_and_predicted_in_time_order(tmp_path: Path, monkeypatch):
    app = make_app(config("daily-views", epochs=STILL_TRAINING), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        chart = app.query_one(InsightsPanel).fit_chart
        spy = PlotSpy(chart, monkeypatch)
        await start_training(pilot, epochs=1)
        await pilot.press("f9", "2")
        await wait_for(pilot, lambda: any(label == "predicted" for _, _, label in spy.lines))
        real_x, real_y = spy.labelled("real")
        predicted_x, _ = spy.labelled("predicted")
        assert real_x == predicted_x == sorted(real_x)  # days in order
        assert min(real_y) > 0  # thousands of views: data units, not standardized values
        boundary_note = app.query_one(InsightsPanel).boundary_view.note
        assert "needs 2 input features" in boundary_note  # the plane view says why it does not apply
        await pilot.press("f7")


async def test_confusion_matrix_and_per_class_accuracy(tmp_path: Path):
    app = make_app(config("iris", epochs=3), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await start_training(pilot, epochs=3)
        await wait_for(pilot, lambda: app.shown.run_state == "completed")
        await pilot.press("f9", "3")
        panel = app.query_one(InsightsPanel)
        await wait_for(pilot, lambda: panel.confusion is not None)
        matrix = panel.confusion.matrix
        assert matrix.shape == (3, 3) and matrix.sum() == len(app.shown.link.session.trainer.data.x_val)
        assert panel.confusion.accuracy == app.shown.link.session.trainer.history[-1].val_acc
        text = confusion_text(panel.confusion, 200, 40).plain
        assert "confusion matrix on the validation split" in text
        assert "rec" in text and "setosa" in text and "virginica" in text


async def test_layer_norms_view_compares_the_gradient_of_the_first_layer(tmp_path: Path, monkeypatch):
    cfg = config("spiral", epochs=3)
    cfg.model.layers, cfg.model.activation = 4, "sigmoid"
    app = make_app(cfg, runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await start_training(pilot, epochs=3)
        await wait_for(pilot, lambda: app.shown.run_state == "completed")
        await pilot.press("f9", "4")
        panel = app.query_one(InsightsPanel)
        spy = PlotSpy(panel.grad_chart, monkeypatch)
        panel.draw_norms(app.query_one(TrainingView).curves)
        labels = [label for _, _, label in spy.lines]
        assert labels == ["layer 1", "layer 2", "layer 3", "layer 4", "output"]
        note = str(panel.norms_note.render())
        assert "gradient at layer 1" in note and "output layer" in note


async def test_system_view_and_line_show_cpu_and_memory(tmp_path: Path):
    app = make_app(small_config(), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.system.monitor is not None)
        view = app.query_one(TrainingView)
        await wait_for(pilot, lambda: "CPU" in str(view.system_line.render()))
        assert "RAM" in str(view.system_line.render())
        await pilot.press("f9", "5")
        panel = app.query_one(InsightsPanel)
        await wait_for(pilot, lambda: "cores" in str(panel.system_view.render()))
        text = str(panel.system_view.render())
        assert "RAM" in text and "GPU" in text  # GPU stats, or why there are none
        assert len(panel.cpu_history) >= 1


class BoundaryApp(App):
    """A decision boundary of two classes split by a circle, with a few points, for a snapshot."""

    def compose(self):
        yield PlaneView()

    def on_mount(self) -> None:
        view = self.query_one(PlaneView)
        cols, rows = 60, 36
        gx, gy = np.meshgrid(np.linspace(-1, 1, cols), np.linspace(1, -1, rows))
        radius = np.hypot(gx, gy)
        classes = (radius > 0.6).astype(np.int64)
        confidence = 0.5 + 0.5 * np.clip(np.abs(radius - 0.6) * 3, 0, 1)
        points = np.array([[0.0, 0.0], [0.2, -0.1], [0.9, 0.8], [-0.8, -0.9], [0.5, 0.1]])
        view.show(Boundary((-1.0, 1.0), (-1.0, 1.0), classes, confidence, points, np.array([0, 0, 1, 1, 1]),
                           ["inside", "outside"], ["x1", "x2"]), "epoch 7: x1 across, x2 up")


def test_decision_boundary_snapshot(snap_compare):
    assert snap_compare(BoundaryApp(), terminal_size=(60, 19))
