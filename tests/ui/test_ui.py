"""Pilot tests of the Textual app: data, model, validation, training control, checkpoints, themes, quit."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
import torch
from helpers import SIZE, set_field, small_config, start_training, wait_for
from textual.widgets import Input, OptionList, Static

from tui_dl.engine.training.checkpoint import load_checkpoint
from tui_dl.ui.app import TuiDLApp, make_app
from tui_dl.ui.exit_guard import ExitGuard
from tui_dl.ui.form import Field
from tui_dl.ui.screen_state import DETECTING
from tui_dl.ui.widgets.charts import LossChart
from tui_dl.ui.widgets.training_view import TrainingView


def text_of(app: TuiDLApp, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


async def test_choosing_a_data_set_shows_its_facts(tmp_path: Path):
    app = make_app(small_config(), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None and app.shown.raw.name == "spiral")
        option_list = app.query_one("#dataset-list", OptionList)
        option_list.focus()
        option_list.highlighted = list(option_list._options).index(option_list.get_option("iris"))
        await wait_for(pilot, lambda: app.shown.raw is not None and app.shown.raw.name == "iris")
        info = text_of(app, "#dataset-info")
        assert "150 samples" in info and "4 features" in info and "3 classes" in info
        assert app.query_one("#dataset-rows").display  # a table of rows, not a scatter, for 4-D data
        assert not app.query_one("#data-samples-field").display  # synthetic knobs hidden for real data


async def test_model_builder_updates_the_architecture_line_live(tmp_path: Path):
    app = make_app(small_config(), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None)
        await pilot.press("f3")
        await set_field(pilot, "model-layers", "3")
        await set_field(pilot, "model-neurons", "32")
        line = text_of(app, "#architecture")
        assert "2 -> 32 -> 32 -> 32 -> 2" in line
        assert "2,274 params" in line
        await set_field(pilot, "model-neurons", "64,32,8")
        assert "2 -> 64 -> 32 -> 8 -> 2" in text_of(app, "#architecture")


async def test_invalid_values_are_marked_and_block_the_start(tmp_path: Path):
    app = make_app(small_config(), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None)
        await set_field(pilot, "train-lr", "-1")
        await set_field(pilot, "train-batch_size", "abc")
        lr_field = app.query_one("#train-lr-field", Field)
        assert lr_field.has_class("-invalid")
        assert "learning rate must be > 0" in str(lr_field.query_one(".error", Static).render())
        batch_error = str(app.query_one("#train-batch_size-field .error", Static).render())
        assert "batch size must be a whole number" in batch_error
        await pilot.press("f5")
        await pilot.pause(0.2)
        assert app.shown.link is None
        assert app.focused is not None and app.focused.id in ("train-lr", "train-batch_size")
        await set_field(pilot, "train-lr", "0.01")
        assert not lr_field.has_class("-invalid")


async def test_start_shows_epochs_and_stop_ends_the_run(tmp_path: Path):
    app = make_app(small_config(epochs=100_000), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None)
        await pilot.press("f5")
        view = app.query_one(TrainingView)
        await wait_for(pilot, lambda: len(view.curves.epochs) >= 3)
        assert "epoch" in text_of(app, "#metrics-line")
        assert "running" in text_of(app, "#progress-text")
        await pilot.press("f7")
        await app.workers.wait_for_complete()
        await wait_for(pilot, lambda: app.shown.run_state == "stopped")
        assert "stopped" in text_of(app, "#status")


async def test_pause_holds_the_run_and_resume_continues(tmp_path: Path):
    app = make_app(small_config(epochs=100_000), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        trainer = await start_training(pilot, epochs=2)
        await pilot.press("f6")
        await wait_for(pilot, lambda: app.shown.run_state == "paused")
        held = len(trainer.history)
        await pilot.pause(0.5)
        assert len(trainer.history) == held
        await pilot.press("f6")
        await wait_for(pilot, lambda: len(trainer.history) > held + 1)
        await wait_for(pilot, lambda: app.shown.run_state == "running")  # the UI reads the run's events every 0.5 s
        await pilot.press("f7")
        await app.workers.wait_for_complete()


async def test_learning_rate_changes_mid_run(tmp_path: Path):
    app = make_app(small_config(epochs=100_000), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await start_training(pilot, epochs=1)
        await pilot.press("f8")
        dialog_input = app.screen.query_one("#lr", Input)
        dialog_input.value = "0.002"
        await pilot.press("enter")
        trainer = app.shown.link.session.trainer
        await wait_for(pilot, lambda: trainer.history and trainer.history[-1].lr == pytest.approx(0.002))
        await pilot.press("f7")
        await app.workers.wait_for_complete()


async def test_save_then_load_restores_settings_and_curves_and_continues(tmp_path: Path):
    config = small_config(epochs=4)
    config.model.neurons = [8]
    app = make_app(config, runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None)
        await pilot.press("f5")
        await wait_for(pilot, lambda: app.shown.run_state == "completed")
        await pilot.press("ctrl+s")
        save_input = app.screen.query_one("#save-path", Input)
        target = tmp_path / "saved" / "run.pt"
        save_input.value = str(target)
        await pilot.press("enter")
        await wait_for(pilot, target.exists)

    fresh = make_app(small_config(epochs=4), runs_root=tmp_path)
    async with fresh.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: fresh.shown.raw is not None)
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: bool(getattr(fresh.screen, "paths", [])))
        await pilot.press("down", "enter")  # down: from the path field to the list
        await wait_for(pilot, lambda: fresh.shown.run_state == "loaded")
        assert fresh.query_one("#model-neurons", Input).value == "8"
        view = fresh.query_one(TrainingView)
        assert [m.epoch for m in view.curves.epochs] == [1, 2, 3, 4]
        await set_field(pilot, "train-epochs", "6")
        await pilot.press("f5")
        await wait_for(pilot, lambda: fresh.shown.run_state == "completed")
        assert [m.epoch for m in fresh.shown.link.session.trainer.history] == [1, 2, 3, 4, 5, 6]


async def test_loading_a_bad_checkpoint_says_why_and_keeps_the_app_usable(tmp_path: Path):
    bad = tmp_path / "junk.pt"
    bad.write_bytes(b"not a checkpoint at all")
    app = make_app(small_config(), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None)
        app.checkpoints.load_file(bad)
        await pilot.pause()
        assert any("junk.pt" in str(n.message) for n in app._notifications)
        assert app.shown.loaded is None
        await pilot.press("f5")
        await wait_for(pilot, lambda: app.shown.run_state == "completed")


async def test_theme_switch_keeps_charts_readable(tmp_path: Path):
    app = make_app(small_config(), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        assert "tui-dl-night" in app.available_themes and "tui-dl-paper" in app.available_themes
        assert app.theme == "tui-dl-night"
        chart = app.query_one(LossChart)
        app.theme = "ansi-dark"
        await pilot.pause()
        assert chart.theme == "clear"
        app.theme = "tui-dl-paper"
        await pilot.pause()
        assert chart.theme == "auto"


async def test_quitting_mid_training_stops_the_worker_cleanly(tmp_path: Path):
    app = make_app(small_config(epochs=100_000), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        trainer = await start_training(pilot, epochs=1)
        await pilot.press("ctrl+q")
    assert trainer.state == "interrupted"  # a run of this process ends with the UI, recorded as such
    summary = json.loads(next(tmp_path.rglob("summary.json")).read_text())
    assert (summary["status"], summary["message"]) == ("interrupted", "stopped by quitting the UI")
    assert app.return_code in (0, None)
    saved = load_checkpoint(next(tmp_path.rglob("last.pt")))
    assert saved["epoch"] == trainer.epoch >= 1
    assert "saved to" in app.exit_report


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
async def test_a_signal_during_a_ui_run_saves_the_last_epoch_and_exits(tmp_path: Path, sig):
    app = make_app(small_config(epochs=100_000), runs_root=tmp_path)
    guard = ExitGuard(app, hard_exit=False).install()
    try:
        async with app.run_test(size=SIZE) as pilot:
            await start_training(pilot, epochs=2)
            os.kill(os.getpid(), sig)
            await wait_for(pilot, lambda: app.return_code is not None)
    finally:
        guard.close()
    assert app.return_code == 128 + sig
    saved = load_checkpoint(next(tmp_path.rglob("last.pt")))
    assert saved["epoch"] == len(saved["history"]) >= 2
    assert f"interrupted by {sig.name}" in app.exit_report


async def test_global_keys_work_while_a_text_field_has_focus(tmp_path: Path):
    app = make_app(small_config(), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None)
        await pilot.press("f3")
        app.query_one("#train-lr", Input).focus()
        await pilot.press("f1")
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        app.query_one("#train-lr", Input).focus()
        await pilot.press("f5")
        await wait_for(pilot, lambda: app.shown.run_state == "completed")


def _settled(app_size: tuple[int, int]):
    async def run_before(pilot) -> None:
        await wait_for(pilot, lambda: pilot.app.shown.raw is not None and pilot.app.shown.device_name != DETECTING)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.3)
    return run_before


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_main_screen_snapshot(snap_compare, size, tmp_path, monkeypatch):
    assert snap_compare(make_app(small_config(), runs_root=tmp_path), terminal_size=size, run_before=_settled(size))


async def test_a_diverged_run_is_reported_and_the_app_stays_usable(tmp_path: Path):
    config = small_config(epochs=20)
    config.data.dataset = "plane"
    config.train.optimizer, config.train.lr = "sgd", 100.0
    app = make_app(config, runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None)
        await pilot.press("f5")
        await wait_for(pilot, lambda: app.shown.run_state == "diverged")
        assert any("diverged" in str(n.message) and "lower learning rate" in str(n.message)
                   for n in app._notifications)
        await set_field(pilot, "train-lr", "0.01")
        await pilot.press("f5")
        await wait_for(pilot, lambda: app.shown.run_state == "completed")


@pytest.mark.parametrize(("error", "expected"), [
    (torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"), "try a smaller batch size"),
    (RuntimeError("boom inside the model"), "training failed: RuntimeError: boom inside the model"),
])
async def test_a_fault_in_the_worker_is_shown_and_the_app_stays_usable(tmp_path: Path, monkeypatch, error, expected):
    from tui_dl.engine.training import trainer as trainer_module

    real_build = trainer_module.build_model

    def build_failing(*args):
        model = real_build(*args)
        calls = {"n": 0}
        forward = model.forward

        def failing(x):
            calls["n"] += 1
            if calls["n"] == 3:
                raise error
            return forward(x)

        model.forward = failing
        return model

    app = make_app(small_config(epochs=50), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None)
        monkeypatch.setattr(trainer_module, "build_model", build_failing)
        await pilot.press("f5")
        await wait_for(pilot, lambda: any(expected in str(n.message) for n in app._notifications))
        assert app.shown.run_state == "failed"
        monkeypatch.setattr(trainer_module, "build_model", real_build)
        await pilot.press("f5")
        await wait_for(pilot, lambda: app.shown.run_state == "completed")


async def test_resizing_to_40x12_and_back_during_training(tmp_path: Path):
    app = make_app(small_config(epochs=100_000), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await start_training(pilot, epochs=2)
        for size in ((40, 12), (80, 24), (20, 6), (120, 40)):
            await pilot.resize_terminal(*size)
            await pilot.pause(0.4)
            assert app.shown.run_state == "running"
        held = len(app.shown.link.session.trainer.history)
        await wait_for(pilot, lambda: len(app.shown.link.session.trainer.history) > held)
        await pilot.press("f7")
        await app.workers.wait_for_complete()


async def test_preview_of_a_class_sorted_set_shows_every_class(tmp_path: Path):
    app = make_app(small_config(samples=5_000), runs_root=tmp_path)  # spiral: first half one class
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None)
        await pilot.pause(0.3)
        preview = app.query_one("#dataset-preview")
        legend = str(preview.render())
        assert "arm A" in legend and "arm B" in legend


async def test_a_run_shows_one_duration_in_progress_notification_and_summary(tmp_path: Path):
    import json

    from tui_dl.engine.runs.duration import format_duration

    app = make_app(small_config(epochs=3), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None)
        await pilot.press("f5")
        await wait_for(pilot, lambda: app.shown.run_state == "completed")
        await pilot.pause(0.1)
        summary = json.loads(next(tmp_path.rglob("summary.json")).read_text())
        shown = format_duration(summary["seconds"])
        assert f"  {shown}  " in text_of(app, "#progress-text")
        assert any(f"3 epochs in {shown};" in str(n.message) for n in app._notifications)


async def test_a_run_that_fails_to_start_says_why_instead_of_a_clock(tmp_path: Path, monkeypatch):
    monkeypatch.setattr("tui_dl.ui.devices.detect", lambda: {"devices": ["auto", "cpu", "cuda:0"], "auto": "cpu"})
    config = small_config()
    app = make_app(config, runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None and app.shown.device_name != DETECTING)
        app.query_one("#train-device").value = "cuda:0"  # offered, but this machine has no CUDA
        await pilot.press("f5")
        await wait_for(pilot, lambda: app.shown.run_state == "failed")
        await pilot.pause(0.1)
        progress = text_of(app, "#progress-text")
        assert progress.startswith("failed before the first epoch: device cuda:0 is not available"), progress
        assert "epoch 1/" not in progress and "elapsed" not in progress


async def test_the_architecture_line_estimates_memory_and_a_model_too_large_is_refused(tmp_path: Path):
    app = make_app(small_config(), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None)
        assert "354 params, needs ~" in text_of(app, "#architecture")
        await set_field(pilot, "model-neurons", "65536")
        assert "4,295,360,514 params, needs ~112.1 GiB" in text_of(app, "#architecture")
        await pilot.press("f5")
        await wait_for(pilot, lambda: app.shown.run_state == "failed")
        assert any("will not fit in memory" in str(n.message) for n in app._notifications)
        assert not list(tmp_path.rglob("last.pt"))


async def test_f5_during_a_run_asks_before_stopping_it(tmp_path: Path):
    from tui_dl.ui.screens.dialogs import ChoiceDialog

    app = make_app(small_config(epochs=100_000), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        first = await start_training(pilot)
        await pilot.press("f5")
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.press("n")
        assert not isinstance(app.screen, ChoiceDialog)
        assert app.shown.training and app.shown.link.session.trainer is first and first.state == "running"
        await pilot.press("f5")
        await pilot.press("escape")
        assert app.shown.link.session.trainer is first and first.state == "running"
        await pilot.press("f5")
        await pilot.press("y")
        await wait_for(pilot, lambda: app.shown.link.session.trainer is not first and app.shown.training)
        assert first.state == "stopped"
        await pilot.press("f7")
        await wait_for(pilot, lambda: not app.shown.training)


async def test_the_load_dialog_explains_a_bad_file_and_stays_open(tmp_path: Path, monkeypatch):
    from tui_dl.ui.screens.checkpoints import LoadCheckpointDialog

    monkeypatch.chdir(tmp_path)  # a short path to type: each key is a round trip of the app
    bad = Path("notes.pt")
    bad.write_text("garbage")
    app = make_app(small_config(epochs=2), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None)
        await pilot.press("f5")  # a run, so that the dialog lists a checkpoint
        await wait_for(pilot, lambda: app.shown.run_state == "completed")
        await pilot.press("ctrl+o")
        dialog = app.screen
        assert isinstance(dialog, LoadCheckpointDialog)
        await wait_for(pilot, lambda: bool(dialog.paths))  # the list has loaded: typing still goes to the path
        await pilot.press("down")  # to the list, and typing brings the keys back to the path
        await pilot.press(*str(bad))
        assert dialog.query_one("#load-path", Input).value == str(bad)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dialog  # still open: the next keys go to the dialog, not to the charts
        assert "not loaded: " in text_of(dialog, "#load-error") and "notes.pt" in text_of(dialog, "#load-error")
        assert app.shown.loaded is None
        await pilot.press("escape")
        assert not isinstance(app.screen, LoadCheckpointDialog)


async def test_the_settings_of_the_last_run_are_kept_for_the_next_launch(tmp_path: Path, config_home):
    from tui_dl.ui.last_settings import load_last

    assert load_last() == (None, None)  # a first launch: the defaults
    app = make_app(small_config(), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None)
        await set_field(pilot, "model-neurons", "64,8")
        app.query_one("#model-activation").value = "tanh"
        await pilot.press("f5")
        await wait_for(pilot, lambda: app.shown.run_state == "completed")
    assert (config_home / "last-settings.toml").is_file()
    kept, problem = load_last()
    assert problem is None and kept.model.neurons == [64, 8] and kept.model.activation == "tanh"
    again = make_app(kept, runs_root=tmp_path)
    async with again.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: again.shown.raw is not None)
        assert again.query_one("#model-neurons", Input).value == "64,8"
        assert "2 -> 64 -> 8 -> 2, tanh" in text_of(again, "#architecture")


def test_kept_settings_that_no_longer_apply_are_explained(config_home):
    from tui_dl.ui.last_settings import load_last, save_last

    config_home.mkdir(parents=True)
    (config_home / "last-settings.toml").write_text("[model]\nlayers = -3\n")
    config, problem = load_last()
    assert config is None and "last settings not restored" in problem and "hidden layers" in problem
    gone = small_config()
    gone.data.dataset = str(config_home / "deleted.csv")
    assert save_last(gone) is None
    config, problem = load_last()
    assert config.data.dataset == "spiral" and "deleted.csv, is gone: using spiral" in problem


async def test_the_screen_is_repainted_after_a_toast_times_out(tmp_path: Path):
    # Textual can leave an expired toast drawn over a still view until the next key; a repaint clears it.
    app = make_app(small_config(), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None)
        repaints = []
        app.screen.refresh = lambda *a, **k: repaints.append(a)
        app.notify("run completed", timeout=1.5)  # a wide margin: a loaded machine can stall the pause below
        await pilot.pause(0.1)
        assert not repaints
        await wait_for(pilot, lambda: bool(repaints), timeout=6)


def _visible_keys(app, width: int) -> list[str]:
    from textual.widgets._footer import FooterKey

    return [k.key for k in app.query(FooterKey) if k.region.width and k.region.right <= width]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_key_bar_shows_the_current_tabs_keys_first_and_f1_always(tmp_path: Path, size):
    app = make_app(small_config(epochs=100_000), runs_root=tmp_path)
    async with app.run_test(size=size) as pilot:
        await start_training(pilot)
        await pilot.pause(0.2)
        keys = _visible_keys(app, size[0])
        assert keys[0] == "f1" and {"f5", "f6", "f7", "f8"} <= set(keys), keys
        for tab in ("f2", "f3", "f9", "f10"):
            await pilot.press(tab)
            await pilot.pause(0.2)
            assert _visible_keys(app, size[0])[0] == "f1"
        assert {"space", "m"} <= set(_visible_keys(app, size[0]))  # the Runs table's own keys
        await pilot.press("f4")
        await pilot.pause(0.6)
        progress = app.query_one("#progress-text")
        text = str(progress.render())
        assert len(text) <= progress.size.width and "ETA" in text, text
        await pilot.press("f7")


async def test_the_focused_field_is_marked(tmp_path: Path):
    app = make_app(small_config(), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None)
        await pilot.press("f3", "tab")
        focused = app.query_one("#model-neurons-field", Field)
        other = app.query_one("#model-layers-field", Field)
        assert app.focused is focused.editor and focused.has_class("-focused") and not other.has_class("-focused")
        label = lambda f: f.query_one("Label.name").styles.background  # noqa: E731
        assert label(focused) != label(other)


async def test_tab_never_lands_on_the_tab_bar(tmp_path: Path):
    from textual.widgets import Tabs

    app = make_app(small_config(), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None)
        main_tabs = app.query_one("#tabs > Tabs", Tabs)
        for tab in ("f10", "f2", "f3"):
            await pilot.press(tab)
            for _ in range(len(app.screen.focus_chain) + 1):  # every stop of the tab's focus chain, and round again
                await pilot.press("tab")
                assert app.focused is not main_tabs
        await pilot.press("f10", "tab", "right")
        assert app.query_one("#tabs").active == "runs"


async def test_the_test_splits_metrics_are_shown_when_the_run_ends(tmp_path: Path):
    config = small_config(epochs=3)
    config.data.test_split = 0.25
    app = make_app(config, runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None)
        await pilot.press("f5")
        await wait_for(pilot, lambda: app.shown.run_state == "completed")
        await pilot.pause(0.1)
        test = app.shown.link.session.trainer.test_metrics()
        line = text_of(app, "#metrics-line")
        assert f"test: loss {test['test_loss']:.4f}  acc {test['test_acc']:.1%}" in line
        assert any("test: loss" in str(n.message) for n in app._notifications)


async def test_a_failed_start_clears_the_last_runs_figures(tmp_path: Path, monkeypatch):
    monkeypatch.setattr("tui_dl.ui.devices.detect", lambda: {"devices": ["auto", "cpu", "cuda:0"], "auto": "cpu"})
    app = make_app(small_config(epochs=3), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None and app.shown.device_name != DETECTING)
        await pilot.press("f5")
        await wait_for(pilot, lambda: app.shown.run_state == "completed")
        view = app.query_one(TrainingView)
        assert view.curves.epochs and "ETA -" in text_of(app, "#progress-text")
        app.query_one("#train-device").value = "cuda:0"  # fails at setup on this machine
        await pilot.press("f5")
        await wait_for(pilot, lambda: app.shown.run_state == "failed")
        await pilot.pause(0.1)
        assert view.curves.epochs == [] and text_of(app, "#metrics-line") == ""
        assert text_of(app, "#progress-text").startswith("failed before the first epoch")
