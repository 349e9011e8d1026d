"""Legend labels of runs compared side by side: a short name and only the settings that differ."""

from __future__ import annotations

from pathlib import Path

from helpers import make_config

from tui_dl.engine.config import dump_toml
from tui_dl.engine.runs.labels import run_labels, run_settings, short_names
from tui_dl.engine.runs.recorder import CONFIG, RunSummary


def recorded(root: Path, name: str, architecture: str = "27 -> 32 -> 32 -> 1", **train) -> RunSummary:
    """A run folder holding only the config.toml of a diamonds-like run, and its summary."""
    config = make_config("/data/diamonds.csv", **train)
    config.data.target = "price"
    folder = root / name
    folder.mkdir(parents=True)
    (folder / CONFIG).write_text(dump_toml(config), encoding="utf-8")
    return RunSummary(name, architecture=architecture, path=folder)


def labels(*runs: RunSummary) -> list[str]:
    return run_labels(list(runs), [run_settings(r) for r in runs])


def test_two_runs_of_one_model_are_told_apart_by_the_learning_rate(tmp_path):
    a = recorded(tmp_path, "20261201-092106-diamonds", lr=0.01)
    b = recorded(tmp_path, "20261201-092157-diamonds", lr=0.003)
    assert labels(a, b) == ["092106-diamonds lr 0.01", "092157-diamonds lr 0.003"]


def test_every_setting_that_differs_is_named_and_no_other(tmp_path):
    a = recorded(tmp_path, "a", lr=0.01, batch_size=32, activation="relu")
    b = recorded(tmp_path, "b", lr=0.01, batch_size=128, activation="tanh", architecture="27 -> 64 -> 1",
                 layers=1, neurons=[64])
    assert labels(a, b) == ["a 27-32-32-1 relu batch 32", "b 27-64-1 tanh batch 128"]


def test_runs_with_the_same_settings_are_named_only(tmp_path):
    assert labels(recorded(tmp_path, "first"), recorded(tmp_path, "second")) == ["first", "second"]


def test_a_run_alone_is_named_with_its_model_and_learning_rate(tmp_path):
    assert labels(recorded(tmp_path, "20261201-092106-diamonds", lr=0.01)) == ["092106-diamonds relu 27-32-32-1 lr 0.01"]


def test_a_setting_only_some_runs_have_counts_as_different(tmp_path):
    a, b = recorded(tmp_path, "a"), recorded(tmp_path, "b")
    text = (b.path / CONFIG).read_text().replace('target = "price"\n', "")
    (b.path / CONFIG).write_text(text)
    assert labels(a, b) == ["a target price", "b"]


def test_an_unreadable_config_still_gives_a_label(tmp_path):
    a = recorded(tmp_path, "a")
    (a.path / CONFIG).write_text("this is [not toml")
    missing = RunSummary("gone", architecture="2 -> 8 -> 2", path=tmp_path / "nowhere")
    assert run_settings(a) == {"model.architecture": "27-32-32-1"}
    assert labels(a, missing) == ["a 27-32-32-1", "gone 2-8-2"]


def test_short_names():
    assert short_names(["20261201-091755-spiral", "20261201-101010-circle"]) == ["091755-spiral", "101010-circle"]
    assert short_names(["20261201-091755-spiral", "20261130-101010-circle"]) == [  # different days: kept
        "20261201-091755-spiral", "20261130-101010-circle"]
    assert short_names(["my-run", "20261201-091755-spiral"]) == ["my-run", "20261201-091755-spiral"]
    long = short_names(["an-experiment-with-a-really-long-name"])[0]
    assert long.endswith("…") and len(long) == 24
