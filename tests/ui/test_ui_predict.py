"""Pilot tests of the Predict view (a table's fields, drawing an image, the cursor plane) and the export dialog."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import lasting_toasts, start_training, stop_blinking, wait_for
from model_fixtures import shop_config, shop_csv
from textual.widgets import Input

from tui_dl.engine.config import RunConfig
from tui_dl.engine.use.predictor import Predictor, row_cells
from tui_dl.engine.data.prepare import split_indices
from tui_dl.ui.app import make_app
from tui_dl.ui.screen_state import DETECTING
from tui_dl.ui.widgets.insights.panel import InsightsPanel


def predict_view(app):
    return app.query_one(InsightsPanel).predict_view


RESULT = {"form": "#form-prediction", "image": "#image-result"}  # where a mode shows its first prediction


def ready(widget, mode: str) -> bool:
    """`mode` runs the model, holds the keyboard and shows what the model makes of its first row (or plane)."""
    app = widget.app
    if widget.predictor is None or not widget.display or app.focused is None:
        return False
    if widget not in app.focused.ancestors_with_self:
        return False
    return widget.plane is not None if mode == "plane" else bool(shown(widget, RESULT[mode]).strip())


async def open_predict(pilot, mode: str):
    """Show the Predict view (F9, 6) and wait until `mode` is ready (see `ready`)."""
    await pilot.press("f9", "6")
    widget = predict_view(pilot.app).query_one(f"#predict-{mode}")
    await wait_for(pilot, lambda: ready(widget, mode))
    return widget


def shown(widget, selector: str) -> str:
    return str(widget.query_one(selector).render())


async def test_a_tables_fields_start_with_a_validation_row_and_predict_as_you_type(tmp_path: Path):
    app = make_app(shop_config(shop_csv(tmp_path), "label", epochs=3), runs_root=tmp_path / "runs")
    async with app.run_test(size=(120, 40)) as pilot:
        trainer = await start_training(pilot, epochs=3)
        await wait_for(pilot, lambda: app.shown.run_state == "completed")
        form = await open_predict(pilot, "form")
        raw = trainer.data.raw
        _, val, _ = split_indices(raw.samples, trainer.config.data)
        names = [c.name for c in form.columns]
        assert names == ["size", "colour", "bought", "weight"] and app.focused is form.fields[0]
        first = row_cells(form.predictor.plan, raw.x[val[0]])
        assert [f.value for f in form.fields] == [first[n] for n in names]
        expected = Predictor(trainer.checkpoint_state()).predict_cells({n: [first[n]] for n in names})[0][0]
        text = shown(form, "#form-prediction")
        best = int(expected.argmax())
        assert f"prediction  {raw.class_names[best]}  {expected[best]:.1%}" in text
        assert f"true        {raw.class_names[int(raw.y[val[0]])]}" in text
        assert "validation row 1 of 24" in shown(form, "#form-row")

        await pilot.press("down")
        second = row_cells(form.predictor.plan, raw.x[val[1]])
        assert [f.value for f in form.fields] == [second[n] for n in names]
        assert "validation row 2 of 24" in shown(form, "#form-row")

        form.fields[1].focus()
        form.fields[1].value = "purple"
        await pilot.pause(0.2)
        assert "colour: 'purple' was not seen in training (all zeros)" in shown(form, "#form-notes")
        assert "edited" in shown(form, "#form-row") and "true" not in shown(form, "#form-prediction")
        form.fields[3].value = "heavy"
        await pilot.pause(0.2)
        assert "column 'weight', row 1: 'heavy' is not a number" in shown(form, "#form-prediction")
        form.fields[3].value = ""  # weight was never missing in training: no prediction, never a guess
        await pilot.pause(0.2)
        assert "no prediction: weight is missing, and training never filled it in" in shown(form, "#form-prediction")
        form.fields[3].value, form.fields[0].value = "5", ""  # size was: filled in with its median
        await pilot.pause(0.2)
        assert "size: missing, filled in as in training" in shown(form, "#form-notes")
        await pilot.press("escape", "3")  # out of the fields: the digit keys switch views again
        assert app.query_one(InsightsPanel).view == "confusion"


async def test_drawing_an_image_changes_the_class_probabilities(tmp_path: Path):
    config = RunConfig()
    config.data.dataset, config.train.epochs, config.model.neurons = "digits", 2, [32]
    app = make_app(config, runs_root=tmp_path / "runs")
    async with app.run_test(size=(80, 24)) as pilot:
        await start_training(pilot, epochs=2)
        await wait_for(pilot, lambda: app.shown.run_state == "completed")
        pad = await open_predict(pilot, "image")
        grid = pad.query_one("#draw-grid")
        assert app.focused is grid and grid.pixels.shape == (8, 8)
        assert "validation image 1 of" in shown(pad, "#image-result") and "true" in shown(pad, "#image-result")
        await pilot.press("c")
        assert not grid.pixels.any() and "your drawing" in shown(pad, "#image-result")
        start = list(grid.cursor)
        await pilot.press("space", "down", "down", "space", "right")
        assert grid.pixels[start[0], start[1]] == 1 and grid.pixels[start[0] + 2, start[1]] == 1
        assert grid.pixels.sum() == 3 and not grid.pen  # the pen lifted before moving right
        drawn = pad.predictor.run(grid.pixels.reshape(1, -1) * pad.ink)[0]
        assert f"{drawn.max():.1%}" in shown(pad, "#image-result")
        await pilot.press("x")
        assert grid.pixels[start[0] + 2, start[1] + 1] == 0
        await pilot.click(grid, offset=(1, 1))  # the mouse draws too: the top left pixel
        assert grid.pixels[0, 0] == 1
        await pilot.press("v", "v")  # after the first: the second, the third
        assert "validation image 3 of" in shown(pad, "#image-result")


async def test_the_cursor_plane_says_what_the_model_predicts_under_it(tmp_path: Path):
    config = RunConfig()
    config.data.samples, config.train.epochs = 200, 3
    app = make_app(config, runs_root=tmp_path / "runs")
    async with app.run_test(size=(120, 40)) as pilot:
        await start_training(pilot, epochs=3)
        await wait_for(pilot, lambda: app.shown.run_state == "completed")
        plane = await open_predict(pilot, "plane")
        assert app.focused is plane and plane.plane is not None
        middle = list(plane.cursor)
        assert middle == [plane.size.width // 2, (plane.size.height - 1) // 2]
        await pilot.press("left", "shift+up")
        assert plane.cursor == [middle[0] - 1, middle[1] - 5]
        line = plane.render_line(plane.size.height - 1).text
        gx, gy = plane._axes()
        point = np.array([[gx[plane.cursor[0]], (gy[2 * plane.cursor[1]] + gy[2 * plane.cursor[1] + 1]) / 2]])
        out = plane.predictor.run(point.astype(np.float32))[0]
        best = int(out.argmax())
        assert f"at x1 {point[0, 0]:.3g}, x2 {point[0, 1]:.3g}: {plane.predictor.class_names[best]} {out[best]:.0%}" \
            in line
        assert "╋" in plane.render_line(plane.cursor[1]).text


async def test_the_cursor_plane_of_a_model_with_input_features_takes_x1_and_x2(tmp_path: Path):
    import torch

    config = RunConfig()
    config.data.samples, config.train.epochs = 200, 2
    config.model.features = ["x1", "x2", "x1*x2", "sin(x1)"]
    app = make_app(config, runs_root=tmp_path / "runs")
    async with app.run_test(size=(120, 40)) as pilot:
        trainer = await start_training(pilot, epochs=2)
        await wait_for(pilot, lambda: app.shown.run_state == "completed")
        plane = await open_predict(pilot, "plane")
        assert plane.plane is not None and plane.predictor.model_inputs == 4
        gx, gy = plane._axes()
        point = np.array([[gx[plane.cursor[0]], gy[2 * plane.cursor[1]]]], dtype=np.float32)
        with torch.no_grad():
            trainer.model.eval()
            expected = torch.softmax(trainer.model(trainer.data.encode(point)), dim=1).numpy()
        assert np.abs(plane.predictor.run(point) - expected).max() <= 1e-6  # the features, as training did
        raw = trainer.data.raw.x
        assert plane.low[0] < raw[:, 0].min() < raw[:, 0].max() < plane.high[0]  # the plane spans x1 and x2
        plane.use(plane.predictor, None, None)  # without the data: the raw inputs' mean +- 3 deviations
        mean, std = trainer.data.input_mean.double().numpy(), trainer.data.input_std.double().numpy()
        assert plane.low.shape == (2,) and np.all(plane.low < mean - 3 * std) and np.all(mean + 3 * std < plane.high)
        assert np.all(plane.low > mean - 3.5 * std)


async def test_a_loaded_checkpoint_can_be_tried_and_a_new_epoch_replaces_the_model(tmp_path: Path):
    from model_fixtures import saved, trained

    path = shop_csv(tmp_path)
    checkpoint = saved(trained(shop_config(path, "label", epochs=2)), tmp_path / "shop.pt")
    app = make_app(RunConfig(), runs_root=tmp_path / "runs")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None)
        app.checkpoints.load_file(checkpoint)
        await wait_for(pilot, lambda: app.shown.raw is not None and app.shown.raw.name == "shop.csv")
        form = await open_predict(pilot, "form")
        assert form.predictor.epoch == 2 and form.rows is not None and form.fields[0].value


async def test_export_dialog_writes_the_script_and_onnx_and_copies_the_command(tmp_path: Path, monkeypatch):
    app = make_app(shop_config(shop_csv(tmp_path), "label", epochs=2), runs_root=tmp_path / "runs")
    copied = []
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None)
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert app.screen is app.screen_stack[0]  # nothing trained yet: a notification, no dialog
        await start_training(pilot, epochs=2)
        await wait_for(pilot, lambda: app.shown.run_state == "completed")
        await pilot.press("ctrl+e")
        dialog = app.screen
        folder = app.shown.link.folder
        path = dialog.query_one("#export-path", Input)
        assert type(dialog).__name__ == "ExportDialog" and path.value == str(folder / "model.onnx")
        await pilot.press("down")
        assert path.value == str(folder / "train.py")
        path.value = str(tmp_path)  # a folder
        await pilot.press("enter")
        assert "is a folder: give a file name" in str(dialog.query_one("#export-error").render())
        path.value = "/proc/no/such/train.py"
        await pilot.press("enter")
        await wait_for(pilot, lambda: "cannot write" in str(dialog.query_one("#export-error").render()))
        path.value = str(tmp_path / "train.py")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is not dialog)
        compile((tmp_path / "train.py").read_text(), "train.py", "exec")
        await pilot.press("ctrl+e", "down", "down", "enter")
        assert copied == [f"tui-dl predict {folder} --input {tmp_path / 'shop.csv'} --output predictions.csv"]
        pytest.importorskip("onnx")
        await pilot.press("ctrl+e", "enter")
        await wait_for(pilot, lambda: (folder / "model.onnx").is_file() and app.screen is app.screen_stack[0])


async def test_ctrl_e_on_the_runs_tab_exports_the_run_under_the_cursor(tmp_path: Path, monkeypatch):
    app = make_app(shop_config(shop_csv(tmp_path), "label", epochs=1), runs_root=tmp_path / "runs")
    copied = []
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    async with app.run_test(size=(120, 40)) as pilot:
        await start_training(pilot, epochs=1)
        await wait_for(pilot, lambda: app.shown.run_state == "completed")
        folder = app.shown.link.folder
        await pilot.press("f10")
        await pilot.pause(0.3)
        await pilot.press("ctrl+e")
        assert f"run {folder.name} (best.pt)" in str(app.screen.query_one("#export-title").render())
        await pilot.press("down", "down", "enter")
        assert copied and copied[0].startswith(f"tui-dl predict {folder} --input ")


def untrained_checkpoint(config: RunConfig, path: Path) -> Path:
    """The seeded initial weights of `config`'s model: the same on every machine, so a snapshot is stable."""
    from tui_dl.engine.training.checkpoint import save_checkpoint
    from tui_dl.engine.training.trainer import Trainer

    trainer = Trainer(config)
    trainer.setup()
    return save_checkpoint(trainer.checkpoint_state(), path)


def _predict_view_of(checkpoint: Path, mode: str):
    """Load `checkpoint`, open its Predict view in `mode` and wait for the picture: the Data tab holds the
    checkpoint's data set (the validation rows), the mode is ready, the "checkpoint loaded" toast is up."""
    async def run_before(pilot) -> None:
        app = pilot.app
        await wait_for(pilot, lambda: app.shown.raw is not None and app.shown.device_name != DETECTING)
        app.checkpoints.load_file(checkpoint)
        await wait_for(pilot, lambda: app.shown.raw.name == app.shown.loaded["dataset"])
        await open_predict(pilot, mode)
        await wait_for(pilot, lambda: len(app.screen.query("Toast")) == 1)
        await app.workers.wait_for_complete()
        stop_blinking(app)
    return run_before


@pytest.mark.parametrize(("name", "size"), [("shop", (80, 24)), ("digits", (120, 40))])
def test_predict_view_snapshot(snap_compare, tmp_path, monkeypatch, name, size):
    monkeypatch.setattr("tui_dl.engine.training.device.available_devices", lambda: ["auto", "cpu"])
    monkeypatch.setattr("tui_dl.engine.training.device.describe_device", lambda device: "cpu")
    if name == "shop":
        config = shop_config(shop_csv(tmp_path), "label")
    else:
        config = RunConfig()
        config.data.dataset = "digits"
    config.train.device = "cpu"
    checkpoint = untrained_checkpoint(config, tmp_path / f"{name}.pt")
    app = lasting_toasts(make_app(RunConfig(), runs_root=tmp_path / "runs"))
    assert snap_compare(app, terminal_size=size, run_before=_predict_view_of(checkpoint, "form" if name == "shop"
                                                                            else "image"))
