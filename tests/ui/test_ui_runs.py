"""Pilot tests of the Runs tab: listing, sorting, filtering, overlaying, forking, continuing, its folder."""

from __future__ import annotations

import json
import math
from pathlib import Path

from helpers import SIZE, make_config, set_field, small_config, start_training, wait_for
from test_ui_views import PlotSpy
from textual.widgets import DataTable, Input, Select

from tui_dl.engine.events import EpochEnded

from tui_dl.engine.runs.listing import read_metrics
from tui_dl.engine.runs.recorder import RunRecorder
from tui_dl.ui.inspector import Inspector
from tui_dl.engine.training.trainer import Trainer
from tui_dl.ui.app import make_app
from tui_dl.ui.widgets.runs_panel import RunsPanel


def record(root: Path, name: str, activation: str, epochs: int = 8) -> Path:
    """Train and record a deep network (4 x 16) on circle headless; return its run folder.

    After 8 epochs the ReLU net is near 0 validation loss and the sigmoid net still at chance (0.69), with a
    first-layer gradient norm of about 1e-4 against ReLU's 3e-2 (measured with these seeds).
    """
    config = make_config("circle", samples=300, epochs=epochs, layers=4, neurons=[16], activation=activation,
                         lr=0.01)
    return record_config(root, name, config)


def record_config(root: Path, name: str, config, listener=None) -> Path:
    """Train and record `config` headless (with `listener(trainer)` subscribed); return its run folder."""
    trainer = Trainer(config)
    recorder = RunRecorder(trainer, root, name)
    if listener is not None:
        trainer.subscribe(listener(trainer))
    trainer.run()
    return recorder.folder


async def open_runs(pilot) -> RunsPanel:
    await pilot.press("f10")
    panel = pilot.app.query_one(RunsPanel)
    await wait_for(pilot, lambda: pilot.app.focused is panel.query_one(DataTable))
    return panel


def table_names(panel: RunsPanel) -> list[str]:
    table = panel.query_one(DataTable)
    return [str(table.get_row_at(i)[1]) for i in range(table.row_count)]


async def test_overlay_compares_a_sigmoid_and_a_relu_run_of_the_same_network(tmp_path: Path, monkeypatch):
    sigmoid = record(tmp_path, "deep-sigmoid", "sigmoid")
    relu = record(tmp_path, "deep-relu", "relu")
    app = make_app(small_config(), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        panel = await open_runs(pilot)
        spy = PlotSpy(panel.chart, monkeypatch)
        assert sorted(table_names(panel)) == ["deep-relu", "deep-sigmoid"]
        for name in ("deep-sigmoid", "deep-relu"):
            panel.query_one(DataTable).move_cursor(row=table_names(panel).index(name))
            await pilot.press("space")
        assert panel.selected == ["deep-sigmoid", "deep-relu"]
        labels = [label for _, _, label in spy.lines if label]
        assert labels == ["1 deep-sigmoid sigmoid", "2 deep-relu relu"]  # only the setting that differs
        for label, folder in zip(labels, (sigmoid, relu)):
            xs, ys = spy.labelled(label)
            records = read_metrics(folder)
            assert xs == [r["epoch"] for r in records]
            assert ys == [r["val_loss"] for r in records]
        _, sigmoid_loss = spy.labelled(labels[0])
        _, relu_loss = spy.labelled(labels[1])
        assert relu_loss[-1] < sigmoid_loss[-1]  # the deep sigmoid net learns slower: the point of the overlay

        await pilot.press("m", "m", "m", "m")  # validation loss -> ... -> gradient norm at layer 1
        assert panel.shown_metric == "grad_norm_1"
        _, sigmoid_grad = spy.labelled(labels[0])
        _, relu_grad = spy.labelled(labels[1])
        assert sigmoid_grad[-1] < relu_grad[-1]  # vanishing gradient in the first sigmoid layer

        await pilot.press("space")  # unselect the run under the cursor
        assert panel.selected == ["deep-sigmoid"]


async def test_runs_sort_and_filter_by_keyboard(tmp_path: Path):
    record(tmp_path, "a-sigmoid", "sigmoid", epochs=3)
    record(tmp_path, "b-relu", "relu", epochs=3)
    app = make_app(small_config(), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        panel = await open_runs(pilot)
        assert table_names(panel) == ["b-relu", "a-sigmoid"]  # newest first
        await pilot.press("o")
        assert panel.sort_by == "name" and table_names(panel) == ["a-sigmoid", "b-relu"]
        await pilot.press("r")
        assert table_names(panel) == ["b-relu", "a-sigmoid"]
        await pilot.press("o", "o")
        assert panel.sort_by == "val_loss"
        losses = [json.loads((tmp_path / n / "summary.json").read_text())["best_val_loss"] for n in table_names(panel)]
        assert losses == sorted(losses, reverse=True)  # still reversed
        await pilot.press("slash")
        assert app.focused.id == "runs-filter"
        await pilot.press(*"sigm")
        assert table_names(panel) == ["a-sigmoid"]
        await pilot.press("enter")
        assert app.focused is panel.query_one(DataTable)
        assert "1 of 2 runs" in str(panel.query_one("#runs-note").render())


async def test_fork_loads_a_runs_settings_and_continue_loads_its_checkpoint(tmp_path: Path):
    record(tmp_path, "sigmoid-run", "sigmoid", epochs=3)
    app = make_app(small_config(), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None)
        await open_runs(pilot)
        await pilot.press("f")
        await wait_for(pilot, lambda: app.query_one("#model-activation", Select).value == "sigmoid")
        assert app.query_one("#model-layers", Input).value == "4"
        assert app.query_one("#tabs").active == "model"
        await open_runs(pilot)
        await pilot.press("c")
        await wait_for(pilot, lambda: app.shown.run_state == "loaded")
        assert app.shown.loaded["epoch"] == 3 and app.shown.loaded_path == tmp_path / "sigmoid-run" / "last.pt"


async def test_a_ui_run_is_recorded_and_listed_and_the_runs_folder_can_change(tmp_path: Path):
    app = make_app(small_config(epochs=3), runs_root=tmp_path / "first")
    async with app.run_test(size=SIZE) as pilot:
        await start_training(pilot, epochs=3)
        await wait_for(pilot, lambda: app.shown.run_state == "completed")
        folder = app.shown.link.session.recorder.folder
        assert folder.parent == tmp_path / "first"
        assert len(read_metrics(folder)) == 3
        summary = json.loads((folder / "summary.json").read_text())
        assert summary["status"] == "completed" and summary["epochs"] == 3
        panel = await open_runs(pilot)
        assert table_names(panel) == [folder.name]

        runs_dir = panel.query_one("#runs-dir", Input)
        runs_dir.focus()
        runs_dir.value = str(tmp_path / "second")
        await pilot.press("enter")
        assert app.shown.runs_root == tmp_path / "second" and table_names(panel) == []
        await pilot.press("f5")
        await wait_for(pilot, lambda: app.shown.run_state == "completed" and app.shown.link.session.recorder.folder is not None)
        assert app.shown.link.session.recorder.folder.parent == tmp_path / "second"


async def test_quitting_a_run_whose_folder_could_not_be_made_says_so(tmp_path: Path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    app = make_app(small_config(epochs=100_000), runs_root=blocker / "runs")
    async with app.run_test(size=SIZE) as pilot:
        trainer = await start_training(pilot, epochs=1)
        await wait_for(pilot, lambda: app.shown.run_state == "running")
        assert app.shown.link.session.recorder.folder is None and app.shown.link.session.recorder.errors
        await pilot.press("ctrl+q")
    assert trainer.state == "interrupted" and app.return_code in (0, None)
    assert app.exit_report.startswith("stopped by quitting the UI: could not save the run: run folder")


async def test_starting_with_the_insights_tab_open_sets_up_one_trainer(tmp_path: Path, monkeypatch):
    """F5 on the Insights tab must not inspect the run's model (or a checkpoint) beside the training thread."""
    checkpoint = record(tmp_path, "earlier", "relu", epochs=2) / "last.pt"
    app = make_app(small_config(epochs=3), runs_root=tmp_path)
    inspected = []
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None)
        app.checkpoints.load_file(checkpoint)  # F5 continues it
        await wait_for(pilot, lambda: app.shown.raw is not None and app.shown.raw.name == "circle")
        await set_field(pilot, "train-epochs", "4")
        monkeypatch.setattr(Inspector, "request", lambda self, kinds, size: inspected.append(self))
        await pilot.press("f9")
        await wait_for(pilot, lambda: inspected)  # idle: the loaded checkpoint is inspected
        assert all(i is app.insight_feed.inspector and i.trainer.config.to_dict() == app.shown.loaded["config"] for i in inspected)
        inspected.clear()
        await pilot.press("f5")
        await wait_for(pilot, lambda: app.shown.run_state == "completed")
        assert inspected == [] and app.insight_feed.inspector is None
        await pilot.press("f9")  # idle now: the finished run's model is inspected
        await wait_for(pilot, lambda: inspected)
        assert all(i.trainer is app.shown.link.session.trainer for i in inspected)


async def test_forking_a_run_from_a_gpu_machine_falls_back_to_auto(tmp_path: Path):
    folder = record(tmp_path, "gpu-run", "relu", epochs=1)
    config = (folder / "config.toml").read_text()
    (folder / "config.toml").write_text(config.replace('device = "cpu"', 'device = "cuda:3"'))
    app = make_app(small_config(), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_runs(pilot)
        await pilot.press("f")
        await wait_for(pilot, lambda: app.query_one("#tabs").active == "model")
        assert app.query_one("#train-device", Select).value == "auto"
        assert app.query_one("#model-activation", Select).value == "relu"


def regression_config(lr: float = 0.01, epochs: int = 3):
    config = make_config("plane", samples=120, epochs=epochs, lr=lr)
    config.data.test_split = 0.2
    return config


async def select_all(pilot, panel: RunsPanel) -> None:
    for row in range(len(panel.shown)):
        panel.query_one(DataTable).move_cursor(row=row)
        await pilot.press("space")


def header(panel: RunsPanel) -> str:
    """The table's header as it is on screen (scrolled to the left)."""
    return panel.query_one(DataTable).render_line(0).text


async def test_the_important_columns_are_visible_at_120_and_80_columns(tmp_path: Path):
    config = make_config("circle", samples=120, epochs=2)
    config.data.test_split = 0.2
    record_config(tmp_path, "a-long-experiment-name-for-the-circle-data-set", config)
    record_config(tmp_path, "20240101-100000-plane", regression_config())
    app = make_app(small_config(), runs_root=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        panel = await open_runs(pilot)
        wide = header(panel)
        for title in ("run", "data set", "model", "val loss", "val acc", "val R²", "val MAE", "state"):
            assert title in wide, wide
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        narrow = header(panel)
        for title in ("run", "state", "data set", "model"):
            assert title in narrow, narrow
        table = panel.query_one(DataTable)
        await pilot.press("right")
        await wait_for(pilot, lambda: table.scroll_x > 0)  # the keyboard scrolls the table right
        table.scroll_to(x=table.max_scroll_x, animate=False)
        await pilot.pause()
        assert "run" in header(panel) and "time" in header(panel)  # the run's name stays while scrolling right
        panel.reload()  # as every few seconds while a run trains
        await pilot.pause()
        assert table.scroll_x == table.max_scroll_x and "time" in header(panel)


async def test_m_offers_the_metrics_the_overlaid_runs_have(tmp_path: Path, monkeypatch):
    record(tmp_path, "classifier", "relu", epochs=2)
    record_config(tmp_path, "regressor", regression_config())
    app = make_app(small_config(), runs_root=tmp_path)

    async def cycle(pilot, panel) -> list[str]:
        seen = [panel.shown_metric]
        for _ in range(8):
            await pilot.press("m")
            seen.append(panel.shown_metric)
        return list(dict.fromkeys(seen))

    async with app.run_test(size=SIZE) as pilot:
        panel = await open_runs(pilot)
        spy = PlotSpy(panel.chart, monkeypatch)
        table = panel.query_one(DataTable)
        table.move_cursor(row=table_names(panel).index("classifier"))
        await pilot.pause()
        assert await cycle(pilot, panel) == ["val_loss", "train_loss", "val_acc", "train_acc", "grad_norm_1", "lr"]
        table.move_cursor(row=table_names(panel).index("regressor"))
        await pilot.pause()
        assert panel.shown_metric == "val_loss"  # accuracy, last chosen, is not offered for a regression run
        seen = await cycle(pilot, panel)
        assert seen == ["val_loss", "train_loss", "val_mae", "val_r2", "grad_norm_1", "lr"]
        while panel.shown_metric != "val_r2":
            await pilot.press("m")
        assert spy.lines and all(ys and not any(math.isnan(y) for y in ys) for _, ys, _ in spy.lines)
        await select_all(pilot, panel)
        assert await cycle(pilot, panel) == ["val_r2", "grad_norm_1", "lr", "val_loss", "train_loss", "val_acc",
                                             "train_acc", "val_mae"]


async def test_the_legend_names_each_run_and_the_settings_that_differ(tmp_path: Path, monkeypatch):
    record_config(tmp_path, "20240101-100000-plane", regression_config(lr=0.01))
    record_config(tmp_path, "20240101-110000-plane", regression_config(lr=0.003))
    app = make_app(small_config(), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        panel = await open_runs(pilot)
        spy = PlotSpy(panel.chart, monkeypatch)
        await select_all(pilot, panel)
        labels = [label for _, _, label in spy.lines if label]
        assert labels == ["1 110000-plane lr 0.003", "2 100000-plane lr 0.01"]


async def test_the_optimizer_column_shows_the_configured_and_the_last_learning_rate(tmp_path: Path):
    def lower_after_one(trainer):
        return lambda e: trainer.set_lr(0.001) if isinstance(e, EpochEnded) and e.metrics.epoch == 1 else None

    record_config(tmp_path, "changed", make_config("circle", samples=60, epochs=2, lr=0.02), lower_after_one)
    app = make_app(small_config(), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        panel = await open_runs(pilot)
        table = panel.query_one(DataTable)
        assert str(table.get_cell("changed", "optimizer")) == "adam 0.02→0.001"
