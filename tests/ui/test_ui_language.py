"""The UI in Chinese: switched from the command palette (kept for the next start, the form and the run kept),
chosen at start, and its layout at 80x24 and 120x40 with double-width characters."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import SIZE, set_field, small_config, start_training, wait_for
from textual.widgets import Input, Label, Static, TabbedContent
from textual.widgets._footer import FooterKey

from tui_dl import i18n
from tui_dl.ui.app import make_app
from tui_dl.ui.cells import center, crop, left, right
from tui_dl.ui.language import start_language
from tui_dl.ui.last_settings import load_language, save_language
from tui_dl.ui.screen_state import DETECTING
from tui_dl.ui.widgets.training_view import TrainingView
from tui_dl.ui.widgets.wide_plot import cell_text

FIXED_RUNS = Path("/nonexistent/tui-dl-runs")  # the Runs tab's folder in the pictures: the same on every machine


def key_labels(app) -> list[str]:
    return [str(key.description) for key in app.query(FooterKey)]


async def choose_in_palette(pilot, query: str) -> None:
    await pilot.press("ctrl+p")
    await pilot.pause(0.2)
    await pilot.press(*query)
    await pilot.pause(0.3)
    await pilot.press("enter")
    await pilot.pause(0.3)


async def test_the_palette_switches_the_language_keeping_the_form_values(tmp_path: Path, config_home: Path):
    app = make_app(small_config(), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None)
        await pilot.press("f3")
        await set_field(pilot, "train-lr", "0.05")
        await set_field(pilot, "train-epochs", "abc")  # an invalid value stays, with its reason
        await choose_in_palette(pilot, "中文")
        assert i18n.language() == "zh" and load_language() == "zh"
        assert (config_home / "language").read_text().strip() == "zh"
        assert "开始" in key_labels(app) and "Start" not in key_labels(app)
        assert str(app.query_one("#tabs", TabbedContent).get_tab("model").label) == "模型（F3）"
        assert str(app.query_one("#train-lr-field Label.name", Label).render()) == "学习率"
        assert app.query_one("#train-lr", Input).value == "0.05"
        assert app.query_one("#train-epochs", Input).value == "abc"
        assert "轮次必须是整数" in str(app.query_one("#train-epochs-field .error", Static).render())
        assert "结构" in str(app.query_one("#architecture", Static).render())
        await choose_in_palette(pilot, "English")
        assert i18n.language() == "en" and load_language() == "en"
        assert "Start" in key_labels(app)
        assert str(app.query_one("#train-lr-field Label.name", Label).render()) == "learning rate"
        assert app.query_one("#train-lr", Input).value == "0.05"


async def test_a_run_on_screen_is_kept_when_the_language_changes(tmp_path: Path):
    app = make_app(small_config(epochs=2), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await start_training(pilot, epochs=2)
        await wait_for(pilot, lambda: app.shown.run_state == "completed")
        epochs = len(app.query_one(TrainingView).curves.epochs)
        await choose_in_palette(pilot, "中文")
        view = app.query_one(TrainingView)
        assert len(view.curves.epochs) == epochs == 2
        assert "第 2 轮" in str(view.metrics_line.render())
        assert str(app.query_one("#tabs", TabbedContent).get_tab("training").label) == "训练（F4）"


def test_the_saved_language_is_used_at_start_unless_one_is_given(monkeypatch):
    monkeypatch.setenv("LANGUAGE", "en")
    i18n.set_language(None)
    assert start_language() == "en"  # nothing saved: the environment's
    monkeypatch.setenv("LANGUAGE", "zh_CN")
    assert start_language() == "zh"
    monkeypatch.setenv("LANGUAGE", "en")
    assert save_language("zh") is None
    assert start_language() == "zh" and i18n._("Start") == "开始"
    assert start_language("en") == "en"  # --lang wins over the saved choice


def test_a_saved_language_that_names_none_is_ignored(config_home: Path):
    config_home.mkdir(parents=True)
    (config_home / "language").write_text("klingon\n")
    assert load_language() is None


def test_a_language_that_cannot_be_kept_is_said_not_raised(config_home: Path):
    config_home.parent.mkdir(parents=True)
    config_home.write_text("a file where the folder should be")
    problem = save_language("zh")
    assert problem is not None and problem.startswith("language not kept for next time")


def test_texts_are_fitted_by_terminal_cells():
    assert crop("损失曲面", 5) == "损失" and crop("loss", 9) == "loss"
    assert left("学习率", 8) == "学习率  " and right("精确率", 8) == "  精确率"
    assert center("中", 5) == "  中 " and center("ab", 5) == "ab".center(5)
    assert cell_text("训练 loss") == "训\u200b练\u200b loss" and cell_text("loss") == "loss"


def _chinese(run_before=None):
    async def before(pilot) -> None:
        await wait_for(pilot, lambda: pilot.app.shown.raw is not None and pilot.app.shown.device_name != DETECTING)
        if run_before is not None:
            await run_before(pilot)
        await pilot.app.workers.wait_for_complete()
        pilot.app.clear_notifications()
        await pilot.pause(0.3)
    return before


async def _trained(pilot) -> None:
    app = pilot.app
    await start_training(pilot, epochs=3)
    view = app.query_one(TrainingView)
    await wait_for(pilot, lambda: view.clock.final is not None)  # the run's end was told (and its toast shown)
    app.system.close()
    app.system.monitor = None  # the machine's load and speed are not part of the picture
    view.samples_per_s, view.clock.final = 0.0, 1.0
    view.show_progress(app.shown.state_label)
    view.show_system("")


async def _tab(pilot, key: str) -> None:
    await pilot.press(key)
    if key == "f3":
        pilot.app.set_focus(None)  # no blinking cursor in the picture


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@pytest.mark.parametrize("shown", ["data", "model", "training", "runs", "help"])
def test_chinese_layout_snapshot(snap_compare, size, shown, tmp_path):
    i18n.set_language("zh")
    steps = {"data": None, "model": lambda p: _tab(p, "f3"), "training": _trained,
             "runs": lambda p: _tab(p, "f10"), "help": lambda p: _tab(p, "f1")}
    app = make_app(small_config(epochs=3), runs_root=FIXED_RUNS if shown == "runs" else tmp_path)
    assert snap_compare(app, terminal_size=size, run_before=_chinese(steps[shown]))


def palette_prompts(app) -> list[str]:
    from textual.command import CommandList

    return [str(option.prompt) for option in app.screen.query_one(CommandList).options]


async def test_textual_s_own_palette_texts_are_in_chinese(tmp_path: Path):
    from textual.command import CommandInput

    from tui_dl.ui.screens.help import HelpScreen

    i18n.set_language("zh")
    app = make_app(small_config(), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None)
        await pilot.press("ctrl+p")
        await pilot.pause(0.3)
        assert app.screen.query_one(CommandInput).placeholder == "搜索命令…"
        shown = "\n".join(palette_prompts(app))
        assert all(title in shown for title in ("主题", "截图", "按键")), shown
        assert "Theme" not in shown and "Screenshot" not in shown
        await pilot.press(*"zzzz")
        await wait_for(pilot, lambda: any("没有匹配项" in p for p in palette_prompts(app)))
        await pilot.press(*["backspace"] * 4, *"按键")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))  # the F1 help, not Textual's keys panel
        await pilot.press("escape")
        await pilot.pause(0.2)
        await pilot.press("ctrl+p")
        await pilot.pause(0.3)
        await pilot.press(*"主题")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert app.screen.query_one(CommandInput).placeholder == "搜索主题…"
        await pilot.press("escape")
        await pilot.pause(0.2)
        await pilot.press("f3")
        app.query_one("#model-activation").focus()
        await pilot.press("enter")  # the menu opens: its key in the key bar is Textual's, translated
        await wait_for(pilot, lambda: "关闭菜单" in key_labels(app))


async def test_textual_s_own_notices_are_in_chinese(tmp_path: Path):
    i18n.set_language("zh")
    app = make_app(small_config(), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None)
        await pilot.press("ctrl+c")  # outside a text field: Textual says which key quits
        await wait_for(pilot, lambda: any("退出程序" in n.message for n in app._notifications))
        app.deliver_screenshot(path=str(tmp_path))
        await wait_for(pilot, lambda: any(n.message.startswith("截图已保存到") for n in app._notifications))
        assert list(tmp_path.glob("*.svg"))


async def test_values_and_an_ended_run_s_test_line_switch_language(tmp_path: Path):
    config = small_config(epochs=2)
    config.data.test_split = 0.25
    app = make_app(config, runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None)
        await pilot.press("f5")
        await wait_for(pilot, lambda: app.shown.run_state == "completed")
        await pilot.pause(0.1)
        assert "test: loss" in str(app.query_one("#metrics-line", Static).render())
        await choose_in_palette(pilot, "中文")
        line = str(app.query_one("#metrics-line", Static).render())
        assert "第 2 轮" in line and "测试" in line and "test: loss" not in line  # kept, in Chinese
        assert "个参数" in str(app.query_one("#architecture", Static).render())
        assert "params" not in str(app.query_one("#status", Static).render())
        device = app.query_one("#train-device")
        shown = str(device.query_one("SelectCurrent #label").render())
        assert device.value == "auto" and "自动" in shown, shown
        assert "合成" in str(app.query_one("#dataset-info", Static).render())  # the built-in set's source


async def test_an_open_help_screen_switches_language_with_the_app(tmp_path: Path):
    from textual.widgets import Markdown

    from tui_dl.ui.screens.help import HelpScreen

    app = make_app(small_config(), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None)
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        await choose_in_palette(pilot, "中文")  # the palette opened over the help
        assert isinstance(app.screen, HelpScreen)
        await pilot.pause(0.2)
        text = app.screen.query_one(Markdown).source
        assert "开始" in text and "Start" not in text, text[:300]
