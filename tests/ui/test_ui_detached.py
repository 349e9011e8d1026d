"""The UI as a client of runs in their own processes: start, control, leave, re-attach, two UIs, crashes."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from textual.widgets import Input

from helpers import SIZE, kill_live_runs, small_config, wait_for
from tui_dl.engine.runs.listing import read_metrics, read_summary
from tui_dl.runner.launch import launch, wait_started
from tui_dl.ui.app import make_app
from tui_dl.ui.run_link import AttachedRun
from tui_dl.ui.screens.dialogs import ChoiceDialog, LearningRateDialog
from tui_dl.ui.widgets.dataset_panel import DatasetPanel
from tui_dl.ui.widgets.training_view import TrainingView

LONG = 100_000
SLOW = 60.0  # a run process imports torch first: seconds on a busy machine


def messages(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def start_detached(pilot, epochs: int = 1) -> AttachedRun:
    app = pilot.app
    await wait_for(pilot, lambda: app.shown.raw is not None)
    await pilot.press("f5")
    await wait_for(pilot, lambda: isinstance(app.shown.link, AttachedRun) and app.shown.link.epoch >= epochs, timeout=SLOW)
    return app.shown.link


async def test_f5_trains_in_its_own_process_with_the_same_keys(tmp_path: Path):
    app = make_app(small_config(epochs=LONG, samples=2000), runs_root=tmp_path, detach=True)
    try:
        async with app.run_test(size=SIZE) as pilot:
            link = await start_detached(pilot)
            summary = read_summary(link.folder)
            assert summary.pid == link.process.pid != os.getpid() and summary.live_status == "running"
            assert "(background)" in str(app.query_one("#status").render())
            await pilot.press("f6")
            await wait_for(pilot, lambda: app.shown.run_state == "paused", timeout=SLOW)
            assert read_summary(link.folder).live_status == "paused"
            held = len(app.query_one(TrainingView).curves.steps)  # the batches before the pause are drawn by now
            await pilot.press("n")  # one batch, through the run's control socket
            await wait_for(pilot, lambda: len(app.query_one(TrainingView).curves.steps) == held + 1, timeout=SLOW)
            assert app.shown.run_state == "paused"
            await pilot.press("f8")
            dialog = app.screen
            assert isinstance(dialog, LearningRateDialog)
            dialog.query_one("#lr", Input).value = "0.004"
            await pilot.press("enter")
            await pilot.press("f6")
            await wait_for(pilot, lambda: app.shown.link.lr == 0.004 and app.shown.run_state == "running", timeout=SLOW)
            view = app.query_one(TrainingView)
            await wait_for(pilot, lambda: len(view.curves.epochs) > link.epoch - 1 >= 1, timeout=SLOW)
            await pilot.press("f7")
            await wait_for(pilot, lambda: app.shown.run_state == "stopped", timeout=SLOW)
            assert link.process.wait(SLOW) == 0
            assert [m.epoch for m in view.curves.epochs] == [r["epoch"] for r in read_metrics(link.folder)]
            assert read_metrics(link.folder)[-1]["lr"] == 0.004
    finally:
        kill_live_runs(tmp_path)


async def test_quitting_leaves_the_run_training_and_a_new_ui_attaches_with_its_history(tmp_path: Path):
    app = make_app(small_config(epochs=LONG, samples=2000), runs_root=tmp_path, detach=True)
    try:
        async with app.run_test(size=SIZE) as pilot:
            link = await start_detached(pilot, epochs=2)
            await pilot.press("ctrl+q")
            assert isinstance(app.screen, ChoiceDialog)
            await pilot.press("enter")  # the default: leave it training
        folder = link.folder
        assert f"tui-dl attach {folder.name}" in app.exit_report
        assert link.process.poll() is None and read_summary(folder).live_status == "running"

        again = make_app(small_config(), runs_root=tmp_path, detach=True, attach=folder)
        async with again.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: isinstance(again.shown.link, AttachedRun) and again.shown.link.epoch >= 3, timeout=SLOW)
            view = again.query_one(TrainingView)
            recorded = [r["epoch"] for r in read_metrics(folder)]
            shown = [m.epoch for m in view.curves.epochs]
            assert shown == list(range(1, len(shown) + 1)) and shown == recorded[:len(shown)]  # no gap, no duplicate
            assert len(view.curves.steps) >= 2 * 50  # the step losses of the epochs before the attach, too
            await pilot.press("f7")
            await wait_for(pilot, lambda: again.shown.run_state == "stopped", timeout=SLOW)
    finally:
        kill_live_runs(tmp_path)


async def test_two_uis_on_one_run_see_each_others_commands(tmp_path: Path, runs_folder):
    launched = launch(small_config(epochs=LONG, samples=2000), tmp_path)
    wait_started(launched)
    launched.client.close()
    try:
        first = make_app(small_config(), runs_root=tmp_path, detach=True, attach=launched.folder)
        second = make_app(small_config(), runs_root=tmp_path, detach=True, attach=launched.folder)
        async with first.run_test(size=SIZE) as one, second.run_test(size=SIZE) as two:
            await wait_for(one, lambda: first.shown.training, timeout=SLOW)
            await wait_for(two, lambda: second.shown.training, timeout=SLOW)
            first.shown.link.set_lr(0.002)
            await wait_for(two, lambda: "learning rate 0.002 set from another session" in messages(second), timeout=SLOW)
            assert not any("from another session" in m for m in messages(first))
            first.shown.link.pause()
            await wait_for(two, lambda: second.shown.run_state == "paused", timeout=SLOW)
            assert any("paused from another session" in m for m in messages(second))
            second.shown.link.stop()
            await wait_for(one, lambda: first.shown.run_state == "stopped", timeout=SLOW)
    finally:
        kill_live_runs(tmp_path)


async def test_the_runs_tab_lists_live_runs_first_and_attaches_with_a(tmp_path: Path):
    launched = launch(small_config(epochs=LONG, samples=2000), tmp_path)
    wait_started(launched)
    launched.client.close()
    try:
        app = make_app(small_config(), runs_root=tmp_path, detach=True)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.shown.raw is not None)
            assert any(launched.folder.name in m and "in the background" in m for m in messages(app))
            await pilot.press("f10")
            await pilot.pause(0.3)
            table = app.query_one("#runs-table")
            assert str(table.get_row_at(0)[1]) == launched.folder.name
            assert "running" in [str(c) for c in table.get_row_at(0)]
            await pilot.press("a")
            await wait_for(pilot, lambda: isinstance(app.shown.link, AttachedRun) and app.shown.training, timeout=SLOW)
            assert app.query_one("#tabs").active == "training"
            await pilot.press("ctrl+s")
            save = app.screen
            target = tmp_path / "copy.pt"
            save.query_one("#save-path", Input).value = str(target)
            await pilot.press("enter")
            await wait_for(pilot, target.is_file, timeout=SLOW)  # written by the run's own process
            await wait_for(pilot, lambda: any("saved to" in m for m in messages(app)), timeout=SLOW)
    finally:
        kill_live_runs(tmp_path)


async def test_a_killed_run_process_is_shown_as_crashed(tmp_path: Path):
    app = make_app(small_config(epochs=LONG, samples=2000), runs_root=tmp_path, detach=True)
    try:
        async with app.run_test(size=SIZE) as pilot:
            link = await start_detached(pilot)
            os.kill(link.process.pid, signal.SIGKILL)
            await wait_for(pilot, lambda: app.shown.run_state == "crashed", timeout=SLOW)
            assert any("ended without finishing the run" in m for m in messages(app))
            assert read_summary(link.folder).live_status == "crashed"
    finally:
        kill_live_runs(tmp_path)


async def test_the_insight_views_of_a_detached_run_come_over_its_socket(tmp_path: Path):
    app = make_app(small_config(epochs=LONG, samples=2000), runs_root=tmp_path, detach=True)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await start_detached(pilot)
            await pilot.press("f9")
            panel = app.query_one("#insights-panel")
            view = panel.boundary_view
            await wait_for(pilot, lambda: view.plane is not None, timeout=SLOW)
            # the view's size reaches the run too: the next grids fill the view
            await wait_for(pilot, lambda: view.plane.classes.shape[::-1] == view.grid_size, timeout=SLOW)
            await pilot.press("f7")
            await wait_for(pilot, lambda: app.shown.run_state == "stopped", timeout=SLOW)
    finally:
        kill_live_runs(tmp_path)


def test_a_ui_attached_to_a_run_needs_no_torch(tmp_path: Path):
    import subprocess
    import sys

    from helpers import REPO, cli_env

    launched = launch(small_config(epochs=LONG, samples=2000), tmp_path)
    wait_started(launched)
    launched.client.close()
    code = (
        "import asyncio, sys\n"
        "from pathlib import Path\n"
        "from tui_dl.ui.app import make_app\n"
        f"app = make_app(runs_root=Path({str(tmp_path)!r}), detach=True, attach=Path({str(launched.folder)!r}))\n"
        "app.system.detect = lambda: None\n"
        "async def main():\n"
        "    async with app.run_test(size=(120, 40)) as pilot:\n"
        "        for _ in range(400):\n"
        "            await pilot.pause(0.05)\n"
        "            if app.shown.link is not None and app.shown.link.epoch >= 2 and app.query_one('#training-view').curves.epochs:\n"
        "                break\n"
        "        assert app.shown.link.epoch >= 2, 'no epochs shown'\n"
        "        app.shown.link.stop()\n"
        "asyncio.run(main())\n"
        "assert 'torch' not in sys.modules, 'torch imported by an attached UI'\n"
    )
    try:
        done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=cli_env(), capture_output=True, text=True,
                              timeout=SLOW * 2)
        assert done.returncode == 0, done.stderr[-2000:]
    finally:
        kill_live_runs(tmp_path)


async def test_the_predict_view_of_an_attached_run_leaves_out_another_data_set_on_the_data_tab(tmp_path: Path):
    config = small_config(epochs=LONG, samples=2000)
    config.data.dataset, config.model.features = "circle", ["x1^2", "x2^2"]
    launched = launch(config, tmp_path)
    wait_started(launched)
    launched.client.close()
    app = make_app(small_config(), runs_root=tmp_path, detach=True, attach=launched.folder)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: isinstance(app.shown.link, AttachedRun) and app.shown.link.epoch >= 1
                           and app.shown.raw is not None and app.shown.raw.name == "circle", timeout=SLOW)  # the run's set
            app.query_one(DatasetPanel).choose("spiral")  # then another one on the Data tab
            await wait_for(pilot, lambda: app.shown.raw.name == "spiral", timeout=SLOW)
            await pilot.press("f9", "6")
            plane = app.query_one("#predict-plane")
            await wait_for(pilot, lambda: plane.predictor is not None and plane.plane is not None, timeout=SLOW)
            assert app.shown.raw.name == "spiral" and plane.predictor.dataset == "circle"
            assert plane.raw is None and len(plane.points) == 0  # no spiral points under the circle model
            app.shown.link.stop()
    finally:
        kill_live_runs(tmp_path)


async def test_a_run_attached_to_brings_its_settings_to_the_data_and_model_tabs(tmp_path: Path):
    config = small_config(epochs=LONG, samples=2000)
    config.model.neurons, config.train.lr, config.data.dataset = [8], 0.05, "xor"
    launched = launch(config, tmp_path)
    wait_started(launched)
    launched.client.close()
    try:
        app = make_app(small_config(), runs_root=tmp_path, detach=True, attach=launched.folder)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: isinstance(app.shown.link, AttachedRun) and app.shown.training, timeout=SLOW)
            await wait_for(pilot, lambda: app.shown.raw is not None and app.shown.raw.name == "xor", timeout=SLOW)
            assert app.query_one("#model-neurons", Input).value == "8"
            assert app.query_one("#train-lr", Input).value == "0.05"
            assert app.query_one("#train-epochs", Input).value == str(LONG)
    finally:
        kill_live_runs(tmp_path)
