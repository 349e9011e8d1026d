"""Pilot tests of the Insights tab's views on harder data: many classes, 2-D regression, light themes, layer sizes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import make_config, start_training, wait_for
from textual.app import App

from tui_dl.engine.config import RunConfig
from tui_dl.engine.events import EpochMetrics
from tui_dl.engine.insights.views import Boundary, Confusion, Surface
from tui_dl.ui.app import make_app
from tui_dl.ui.themes import load_themes
from tui_dl.ui.widgets.charts import Curves
from tui_dl.ui.widgets.insights.panel import InsightsPanel
from tui_dl.ui.widgets.insights.confusion import ConfusionView
from tui_dl.ui.widgets.insights.norms import gradient_note
from tui_dl.ui.widgets.insights.plane import CLASS_RGB, PlaneView, class_shade

MODELS = [f"model {k:02d} {'wagon 4wd' if k % 3 else 'pickup'}" for k in range(38)]


def many_classes_csv(folder: Path) -> Path:
    """A table like mpg with `model` as the target: 38 text classes of very different frequency."""
    rng = np.random.default_rng(0)
    weights = 1 / np.arange(1, 39)
    labels = rng.choice(38, size=900, p=weights / weights.sum())
    path = folder / "cars.csv"
    with path.open("w") as out:
        out.write("displ,hwy,model\n")
        for k in labels:
            out.write(f"{k + rng.normal(0, 0.3):.3f},{rng.normal(k % 5, 1):.3f},{MODELS[k]}\n")
    return path


def shown_lines(view) -> list[str]:
    return view.render().plain.splitlines()


@pytest.fixture(scope="module")
def many_classes_confusion(tmp_path_factory) -> Confusion:
    """The validation confusion matrix of a short run on a table of 38 classes (trained headless)."""
    from tui_dl.engine.insights import compute as insights
    from tui_dl.engine.training.trainer import Trainer

    config = make_config(str(many_classes_csv(tmp_path_factory.mktemp("cars"))), epochs=3)
    config.data.target = "model"
    trainer = Trainer(config)
    assert trainer.run().status == "completed"
    return insights.confusion(trainer.model, trainer.data)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_confusion_of_many_classes_fits_with_labels_and_other(tmp_path: Path, size, many_classes_confusion):
    c = many_classes_confusion
    assert len(c.matrix) == 38
    app = make_app(RunConfig(), runs_root=tmp_path)
    async with app.run_test(size=size) as pilot:
        await pilot.press("f9", "3")
        panel = app.query_one(InsightsPanel)
        panel.show_insights(3, {"confusion": c})
        await pilot.pause()
        view = panel.confusion_view
        lines = shown_lines(view)
        assert len(lines) <= view.size.height and max(map(len, lines)) <= view.size.width  # it fits
        assert lines[-1].startswith("macro avg (")  # the last line is on screen too
        other = next(line for line in lines if line.startswith("other "))
        shown = len(lines) - 5  # two title lines, the header, other and macro
        assert shown >= (15 if size == (120, 40) else 5)
        assert other.startswith(f"other {38 - shown} classes")
        assert f"the {shown} of 38 classes with most samples" in lines[1]
        header = lines[2].split()
        assert header[-4:] == ["prec", "rec", "F1", "support"] and header[-5] == "│" and "other" in header
        for rank, k in enumerate(c.most_frequent(shown)):  # labelled rows, the most frequent first
            assert lines[3 + rank].startswith(f"{rank + 1:>{len(str(shown))}} {MODELS[k]}"[:15])
            assert lines[3 + rank].split()[-1] == str(int(c.support[k]))


class ConfusionApp(App):
    """38 classes of skewed support with some mistakes, for a snapshot at 80x24."""

    def compose(self):
        yield ConfusionView("")

    def on_mount(self) -> None:
        rng = np.random.default_rng(1)
        weights = 1 / np.arange(1, 39)
        truth = rng.choice(38, size=400, p=weights / weights.sum())
        predicted = np.where(rng.random(400) < 0.7, truth, rng.choice(38, size=400))
        matrix = np.zeros((38, 38), dtype=np.int64)
        np.add.at(matrix, (truth, predicted), 1)
        self.query_one(ConfusionView).show(Confusion(matrix, MODELS, "validation", 400))


def test_confusion_of_many_classes_snapshot(snap_compare):
    assert snap_compare(ConfusionApp(), terminal_size=(80, 24))


async def test_regression_plane_shows_the_predicted_value_with_its_scale(tmp_path: Path):
    config = RunConfig()
    config.data.dataset, config.data.samples, config.train.epochs = "gauss-bumps", 300, 2000
    app = make_app(config, runs_root=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await start_training(pilot, epochs=1)
        await pilot.press("f9")
        view = app.query_one(InsightsPanel).boundary_view
        # the epoch under way may have probed at the hidden tab's size: the next one probes at the view's
        await wait_for(pilot, lambda: isinstance(view.plane, Surface)
                       and view.plane.values.shape[::-1] == view.grid_size)
        await pilot.press("f7")
        surface = view.plane
        rows, cols = surface.values.shape
        assert (cols, rows) == view.grid_size
        legend = view.render_line(view.size.height - 1).text
        low, high = min(surface.values.min(), surface.targets.min()), max(surface.values.max(), surface.targets.max())
        assert f"predicted target {low:.3g} " in legend and f" {high:.3g}" in legend  # the range, in data units
        assert "● true value" in legend and "classification" not in legend
        text = "".join(view.render_line(y).text for y in range(view.size.height - 1))
        assert "●" in text and "▀" in text
        colours = {segment.style.bgcolor for y in range(view.size.height - 1) for segment in view.render_line(y)}
        assert len(colours) >= 8  # a value scale, not one or two class colours


class SurfaceApp(App):
    """A predicted surface (a tilted wave) with points whose true values partly disagree, for a snapshot."""

    def compose(self):
        yield PlaneView()

    def on_mount(self) -> None:
        gx, gy = np.meshgrid(np.linspace(-6, 6, 60), np.linspace(6, -6, 36))
        points = np.random.default_rng(0).uniform(-6, 6, (30, 2))
        targets = np.sin(points[:, 0] / 2) + points[:, 1] / 6 + np.where(np.arange(30) % 5 == 0, 1.0, 0.0)
        self.query_one(PlaneView).show(Surface((-6.0, 6.0), (-6.0, 6.0), np.sin(gx / 2) + gy / 6, points, targets,
                                               ["x1", "x2"]), "epoch 9: x1 across, x2 up")


def test_regression_surface_snapshot(snap_compare):
    assert snap_compare(SurfaceApp(), terminal_size=(80, 19))


class PlaneApp(App):
    """One boundary, to compare its shades under different themes."""

    def compose(self):
        yield PlaneView()

    def on_mount(self) -> None:
        for theme in load_themes()[0]:
            self.register_theme(theme)
        classes = np.zeros((20, 40), dtype=np.int64)
        confidence = np.full((20, 40), 0.5)  # the palest shade: mostly background
        self.query_one(PlaneView).show(Boundary((0.0, 1.0), (0.0, 1.0), classes, confidence, np.zeros((0, 2)),
                                                np.zeros(0, np.int64), ["a", "b"], ["x1", "x2"]), "")


def first_cell(view: PlaneView):
    return view.render_line(0)._segments[0].style.bgcolor.triplet


@pytest.mark.parametrize(("theme", "background"), [("textual-light", None), ("tui-dl-paper", (0xFA, 0xF8, 0xF2))])
async def test_plane_shades_blend_towards_the_light_theme_background(theme, background):
    app = PlaneApp()
    async with app.run_test(size=(40, 11)) as pilot:
        view = app.query_one(PlaneView)
        app.theme = "textual-dark"
        await pilot.pause()
        dark = first_cell(view)
        app.theme = theme
        await pilot.pause()
        light = first_cell(view)
        assert light != dark and sum(light) > sum(dark) + 300  # pale orange on a light background, not near-black
        if background is not None:  # exactly 15% of the way from the theme's background to the class colour
            assert tuple(light) == class_shade(0, 0, background).triplet
            assert tuple(light) == tuple(round(b + (c - b) * 0.15) for c, b in zip(CLASS_RGB[0], background))


# layer norms: RMS per element ------------------------------------------------------------------------


def norms_curves(grads: list[float], counts: list[int] | None) -> Curves:
    return Curves(epochs=[EpochMetrics(epoch=1, step=10, train_loss=0.5, val_loss=0.5, lr=0.01, samples_per_s=1.0,
                                       seconds=1.0, weight_norms=[5.0, 1.0], grad_norms=grads, weight_counts=counts)])


def test_vanishing_verdict_compares_rms_per_element():
    # 784x256 first layer, 256x10 output layer: Frobenius norms 0.2 apart are RMS values 0.023 apart.
    counts = [784 * 256, 256 * 10]
    note = gradient_note(norms_curves([0.2, 1.0], counts))
    assert "0.0226x the output layer's" in note and "shrinking" in note and "RMS" in note
    assert "vanishing" in gradient_note(norms_curves([0.05, 1.0], counts))
    old = gradient_note(norms_curves([0.2, 1.0], None))  # a record without layer sizes: Frobenius, and it says so
    assert "0.2x the output layer's" in old and "healthy" in old and "Frobenius norms" in old


async def test_norm_charts_say_what_they_show(tmp_path: Path, monkeypatch):
    app = make_app(RunConfig(), runs_root=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f9", "4")
        panel = app.query_one(InsightsPanel)
        titles: dict[object, str] = {}
        figure = type(panel.grad_chart.plt)
        original = figure.title

        def title(plot, label=None):
            titles[plot] = label
            return original(plot, label)

        monkeypatch.setattr(figure, "title", title)
        panel.draw_norms(norms_curves([0.2, 1.0], [200704, 2560]))
        assert titles[panel.grad_chart.plt] == "gradient RMS per layer (log)"
        assert titles[panel.weight_chart.plt] == "weight RMS per layer (log)"
        panel.draw_norms(norms_curves([0.2, 1.0], None))
        assert titles[panel.grad_chart.plt] == "gradient norm per layer (log)"


def test_curves_of_an_older_checkpoint_get_layer_sizes_from_its_model():
    history = [{"epoch": 1, "step": 4, "train_loss": 0.6, "val_loss": 0.6, "lr": 0.01, "samples_per_s": 1.0,
                "seconds": 0.1, "weight_norms": [1.0, 1.0, 1.0], "grad_norms": [0.1, 0.1, 0.1]}]
    config = RunConfig()
    config.model.neurons = [32]
    state = {"task": "classification", "step": 4, "epoch": 1, "history": history, "step_losses": np.zeros(4),
             "best_epoch": 1, "config": config.to_dict(), "inputs": 784, "outputs": 10}
    curves = Curves.from_checkpoint(state)
    assert curves.epochs[0].weight_counts == [784 * 32, 32 * 32, 32 * 10]
    assert "RMS = Frobenius norm / sqrt(weights)" in gradient_note(curves)
