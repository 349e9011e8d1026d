"""The UI's start in two steps: the Data tab first, the Model, Insights and Runs tabs right after the first
frame; what is typed meanwhile runs once they are there."""

from __future__ import annotations

import asyncio
from pathlib import Path

from helpers import SIZE, small_config, wait_for
from textual.app import App

from tui_dl.ui.app import make_app
from tui_dl.ui.widgets.charts import Curves
from tui_dl.ui.widgets.insights.panel import InsightsPanel
from tui_dl.ui.widgets.runs_panel import RunsPanel
from tui_dl.ui.widgets.settings_panel import SettingsPanel
from tui_dl.ui.widgets.training_view import TrainingView


def messages(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_the_other_tabs_come_after_the_first_frame_and_an_action_typed_meanwhile_runs_then(tmp_path: Path):
    app = make_app(small_config(), runs_root=tmp_path)
    second_step, release = app.startup._rest, asyncio.Event()

    async def held() -> None:  # the second step waits until the test has typed
        await release.wait()
        await second_step()

    app.startup._rest = held
    async with App.run_test(app, size=SIZE) as pilot:  # Textual's own: the pilot comes before the second step
        await pilot.pause(0.2)
        assert not app.startup.done.is_set() and not app.query(SettingsPanel)
        assert app.query_one("#dataset-list").has_focus  # the first frame's tab works at once
        assert await app.run_action("show_tab('model')")  # F3, typed before the Model tab has its fields
        assert app.query_one("#tabs").active == "data"  # it waits
        release.set()
        await wait_for(pilot, app.startup.done.is_set)
        await pilot.pause()
        assert app.query(SettingsPanel) and app.query(InsightsPanel) and app.query(RunsPanel)
        assert app.query_one("#tabs").active == "model"
        assert app.focused is not None and app.focused.id == "model-layers"  # the tab's first field


async def test_the_pilot_of_tests_comes_once_every_tab_is_filled(tmp_path: Path):
    app = make_app(small_config(), runs_root=tmp_path)
    async with app.run_test(size=SIZE):
        assert app.startup.done.is_set()
        assert app.query_one("#model-layers") and app.query_one("#insight-tabs") and app.query_one("#runs-table")


async def test_f5_while_a_run_is_being_attached_to_says_to_wait(tmp_path: Path):
    app = make_app(small_config(), runs_root=tmp_path, detach=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None)
        app.shown.run_state = "connecting"  # `tui-dl attach` or the Runs tab's a, before the run is on screen
        await pilot.press("f5")
        await pilot.pause(0.2)
        assert app.shown.link is None and app.shown.run_state == "connecting"
        assert any("press F5 again once the run is on screen" in m for m in messages(app))


async def test_curves_loaded_from_a_checkpoint_drop_the_last_run_s_test_metrics(tmp_path: Path):
    app = make_app(small_config(), runs_root=tmp_path)
    async with app.run_test(size=SIZE):
        view = app.query_one(TrainingView)
        view.test = {"test_loss": 0.5}
        view.show_curves(Curves(), "loaded")
        assert view.test == {}
