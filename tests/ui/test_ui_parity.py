"""Pilot tests of Playground parity in the UI: the input-feature checklist, the step key, the learning-rate chart."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import SIZE, small_config, start_training, wait_for
from test_ui_views import PlotSpy
from textual.widgets import OptionList, Static

from tui_dl.engine.training.schedule import Plateau, learning_rate
from tui_dl.ui.app import make_app
from tui_dl.ui.form import read_config
from tui_dl.ui.settings_form import FIELD_LABELS
from tui_dl.ui.widgets.charts import LossChart, MetricChart
from tui_dl.ui.widgets.feature_list import FeatureList
from tui_dl.ui.widgets.key_bar import KeyBar


def text_of(app, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


def features_of(app) -> list[str]:
    config, errors = read_config(app.form.values(), FIELD_LABELS)
    assert not errors, errors
    return config.model.features


async def test_the_feature_checklist_works_from_the_keyboard_and_counts_in_the_architecture(tmp_path: Path):
    app = make_app(small_config(), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None)
        await pilot.press("f3")
        checklist = app.query_one(FeatureList)
        while app.focused is not checklist:
            await pilot.press("tab")
        assert checklist.selected == ["x1", "x2"] and features_of(app) == []  # x1, x2: the data as it is
        assert "2 -> 16 -> 16 -> 2" in text_of(app, "#architecture")
        await pilot.press("down", "down", "down", "down", "space", "down", "space")  # x1*x2, sin(x1)
        assert features_of(app) == ["x1", "x2", "x1*x2", "sin(x1)"]
        assert "4 -> 16 -> 16 -> 2, relu, 386 params" in text_of(app, "#architecture")
        await pilot.press("home", "space", "down", "space")  # x1 and x2 off
        assert features_of(app) == ["x1*x2", "sin(x1)"]
        await pilot.press("down", "down", "down", "space", "down", "space")  # and the last two: one must stay
        assert features_of(app) == ["sin(x1)"]
        assert any("at least one input feature" in n.message for n in app._notifications)
        await pilot.press("f5")
        await wait_for(pilot, lambda: app.shown.link is not None and app.shown.link.session.trainer.model is not None)
        trainer = app.shown.link.session.trainer
        assert trainer.config.model.features == ["sin(x1)"] and trainer.model[0].in_features == 1
        await pilot.press("f7")
        await app.workers.wait_for_complete()


async def test_the_checklist_is_disabled_for_data_sets_without_two_inputs(tmp_path: Path):
    config = small_config()
    config.model.features = ["x1", "x1*x2"]
    app = make_app(config, runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None and app.shown.raw.name == "spiral")
        assert features_of(app) == ["x1", "x1*x2"]
        option_list = app.query_one("#dataset-list", OptionList)
        option_list.focus()
        option_list.highlighted = list(option_list._options).index(option_list.get_option("iris"))
        await wait_for(pilot, lambda: app.shown.raw is not None and app.shown.raw.name == "iris")
        checklist = app.query_one(FeatureList)
        assert checklist.disabled and features_of(app) == []
        assert "4 -> 16 -> 16 -> 3" in text_of(app, "#architecture")
        option_list.highlighted = list(option_list._options).index(option_list.get_option("circle"))
        await wait_for(pilot, lambda: app.shown.raw is not None and app.shown.raw.name == "circle")
        assert not checklist.disabled and features_of(app) == ["x1", "x1*x2"]  # kept for a 2-D set


async def test_n_trains_one_batch_while_paused_and_the_charts_show_it(tmp_path: Path):
    app = make_app(small_config(epochs=100_000), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        trainer = await start_training(pilot, epochs=1)
        bar = app.query_one(KeyBar)
        assert not bar.paused
        await pilot.press("n")  # not paused: says what to do
        assert any("pause it first (F6)" in n.message for n in app._notifications)
        await pilot.press("f4", "f6")
        await wait_for(pilot, lambda: app.shown.run_state == "paused")
        await pilot.pause(0.6)  # what was trained before the pause is drawn
        assert bar.paused and "n" in [k.key for k in app.query("FooterKey")]
        view = app.query_one("TrainingView")
        held = len(trainer.step_losses)
        assert len(view.curves.steps) == held
        await pilot.press("n")
        await wait_for(pilot, lambda: len(view.curves.steps) == held + 1)
        assert len(trainer.step_losses) == held + 1 and app.shown.run_state == "paused"
        spe = trainer.steps_per_epoch
        done = held + 1 - (held // spe) * spe
        assert f"step {done}/{spe}" in str(view.progress_text.render())
        await pilot.press("n", "n")
        await wait_for(pilot, lambda: len(view.curves.steps) == held + 3)
        await pilot.press("f6")
        await wait_for(pilot, lambda: app.shown.run_state == "running")
        await pilot.pause(0.1)
        assert not bar.paused and "n" not in [k.key for k in app.query("FooterKey")]
        await pilot.press("f7")
        await app.workers.wait_for_complete()


async def test_the_learning_rate_is_charted_on_the_right_of_the_metric_chart(tmp_path: Path, monkeypatch):
    config = small_config(epochs=6)
    config.train.schedule, config.train.decay_epochs, config.train.warmup = "step", 2, 1
    app = make_app(config, runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await start_training(pilot, epochs=6)
        await wait_for(pilot, lambda: app.shown.run_state == "completed")
        spy = PlotSpy(app.query_one(MetricChart), monkeypatch)
        app.query_one("TrainingView").redraw()
        xs, ys = spy.labelled("lr (right)")
        spe = app.shown.link.session.trainer.steps_per_epoch
        expected = [learning_rate(0.01, e, spe - 1, spe, config.train, Plateau()) for e in range(6)]
        assert xs == [1, 2, 3, 4, 5, 6] and ys == pytest.approx(expected)
        assert spy.sides["lr (right)"] == "right" and spy.sides["train"] is None
        assert ys[0] == pytest.approx(0.01) and ys[-1] == pytest.approx(0.0025)


@pytest.mark.parametrize("size", [(80, 24), SIZE])
async def test_the_loss_chart_says_the_penalty_is_not_in_it(tmp_path: Path, size):
    config = small_config(epochs=2)
    config.train.regularization, config.train.reg_rate = "l1", 0.001
    app = make_app(config, runs_root=tmp_path)
    async with app.run_test(size=size) as pilot:
        await start_training(pilot, epochs=2)
        await wait_for(pilot, lambda: app.shown.run_state == "completed")
        await pilot.press("f4")
        await pilot.pause(0.2)
        chart = app.query_one(LossChart)
        drawn = str(chart.render())
        assert "loss excl. L1 penalty" in drawn.splitlines()[0]  # the title, fitted to the chart's width


async def test_a_long_loss_title_drops_its_last_parts_instead_of_vanishing(tmp_path: Path):
    from tui_dl.engine.events import EpochMetrics
    from tui_dl.ui.widgets.charts import Curves

    history = [EpochMetrics(epoch=e, step=e * 10, train_loss=1 / e, val_loss=abs(e - 10) / 10 + 0.5 + e * 1e-3,
                            lr=0.01, samples_per_s=1e4, seconds=0.1) for e in range(1, 41)]
    curves = Curves(task="regression", steps_per_epoch=10, epochs=history, regularization="l2")
    curves.best_epoch = 10
    assert curves.overfit_since() is not None
    app = make_app(small_config(), runs_root=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None)
        await pilot.press("f4")
        app.query_one("TrainingView").show_curves(curves, "loaded")
        await pilot.pause(0.2)
        title = str(app.query_one(LossChart).render()).splitlines()[0]
        assert "loss excl. L2 penalty" in title and "best epoch" not in title  # what fits of it
        await pilot.resize_terminal(160, 40)
        await pilot.pause(0.2)
        app.query_one("TrainingView").redraw()
        await pilot.pause(0.1)
        title = str(app.query_one(LossChart).render()).splitlines()[0]
        assert "loss excl. L2 penalty | best epoch 10 | overfitting since" in title
