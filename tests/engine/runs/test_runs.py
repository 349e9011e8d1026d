"""Run folders: what a recorded run writes, how failures are kept out of training, and reading runs back."""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import make_config

from tui_dl.engine.runs import listing
from tui_dl.engine.runs import recorder as recorder_module
from tui_dl.engine.training.checkpoint import load_checkpoint
from tui_dl.engine.config import load_toml
from tui_dl.engine.errors import CheckpointError, UserError
from tui_dl.engine.events import EpochEnded
from tui_dl.engine.runs.export import export_csv, export_tensorboard
from tui_dl.engine.runs.listing import cells, find_run, list_runs, read_metrics, read_summary, sort_runs
from tui_dl.engine.runs.lock import LOCK, lock_state
from tui_dl.engine.runs.recorder import (
    BEST,
    CONFIG,
    LAST,
    METRICS,
    STEPS,
    SUMMARY,
    RunError,
    RunRecorder,
    RunSummary,
    unique_folder,
)
from tui_dl.engine.training.trainer import Trainer

RUN_FILES = {CONFIG, METRICS, STEPS, BEST, LAST, SUMMARY, LOCK}


def record(config, root: Path, name: str | None = None, resume: dict | None = None, resumed_from: str = "",
           listener=None) -> tuple[Trainer, RunRecorder]:
    """Train `config` with a recorder writing under `root` (and `listener` subscribed after it)."""
    trainer = Trainer(config, resume=resume)
    recorder = RunRecorder(trainer, root, name, resumed_from)
    if listener is not None:
        trainer.subscribe(listener(trainer))
    trainer.run()
    return trainer, recorder


def summary_json(folder: Path) -> dict:
    return json.loads((folder / SUMMARY).read_text(encoding="utf-8"))


def metrics_lines(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / METRICS).read_text(encoding="utf-8").splitlines()]


def same_weights(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k].cpu(), b[k].cpu()) for k in a)


def stop_after(epoch: int):
    def make(trainer):
        return lambda e: trainer.stop() if isinstance(e, EpochEnded) and e.metrics.epoch == epoch else None
    return make


# a recorded run ------------------------------------------------------------------------------


# Validation loss on this small, noisy circle goes up and down: the best epoch (6) is not the last (8).
def bouncing_config(config_factory):
    return config_factory("circle", samples=80, epochs=8, noise=1.0, neurons=[32], lr=0.2)


def test_completed_run_folder_holds_config_metrics_checkpoints_and_summary(config_factory, runs_folder):
    config = bouncing_config(config_factory)
    trainer, recorder = record(config, runs_folder, "first")
    assert trainer.state == "completed" and recorder.errors == []
    assert 0 < trainer.best_epoch < trainer.epoch == 8  # the test needs a best epoch before the last
    folder = recorder.folder
    assert folder == runs_folder / "first"
    assert {p.name for p in folder.iterdir()} == RUN_FILES  # and no temp files left behind

    assert load_toml(folder / CONFIG) == config

    assert metrics_lines(folder) == [m.to_dict() for m in trainer.history]
    assert [r["epoch"] for r in metrics_lines(folder)] == list(range(1, 9))
    steps = np.fromfile(folder / STEPS, dtype="<f4")
    assert len(steps) == trainer.step == len(trainer.step_losses) and steps.tolist() == list(trainer.step_losses)
    assert lock_state(folder) is False  # the run has ended: nobody holds its lock

    best, last = load_checkpoint(folder / BEST), load_checkpoint(folder / LAST)
    assert best["epoch"] == trainer.best_epoch and best["best_val_loss"] == trainer.best_val_loss
    assert len(best["history"]) == trainer.best_epoch
    assert last["epoch"] == 8 and len(last["history"]) == 8
    assert same_weights(last["model"], trainer.model.state_dict())
    assert not same_weights(best["model"], last["model"])

    summary = summary_json(folder)
    assert summary["name"] == "first" and summary["status"] == "completed" and summary["message"] == ""
    assert summary["epochs"] == summary["epochs_total"] == 8
    assert summary["best_epoch"] == trainer.best_epoch
    assert summary["best_val_loss"] == trainer.best_val_loss == min(m.val_loss for m in trainer.history)
    assert summary["best_val_acc"] == max(m.val_acc for m in trainer.history)
    assert summary["seconds"] == pytest.approx(sum(m.seconds for m in trainer.history))
    assert (summary["dataset"], summary["task"], summary["architecture"], summary["activation"]) == (
        "circle", "classification", "2 -> 32 -> 2", "relu")
    assert (summary["optimizer"], summary["lr"], summary["device"]) == ("adam", 0.2, "cpu")
    assert summary["parameters"] == sum(p.numel() for p in trainer.model.parameters())
    assert summary["pid"] == os.getpid() and summary["host"] == socket.gethostname()
    assert summary["resumed_from"] == ""
    assert read_summary(folder) == recorder.summary
    assert read_summary(folder).live_status == "completed"


def test_regression_run_has_no_accuracy(config_factory, runs_folder):
    _, recorder = record(config_factory("plane", samples=80, epochs=2), runs_folder)
    summary = summary_json(recorder.folder)
    assert summary["task"] == "regression" and summary["best_val_acc"] is None
    assert all("val_r2" in r and "val_acc" not in r for r in metrics_lines(recorder.folder))


def test_the_test_split_and_regression_metrics_are_recorded(config_factory, runs_folder):
    config = config_factory("plane", samples=200, epochs=3)
    config.data.test_split = 0.25
    trainer, recorder = record(config, runs_folder)
    summary = summary_json(recorder.folder)
    measured = trainer.test_metrics()
    assert set(measured) == {"test_loss", "test_mae", "test_r2"}
    assert {k: summary[k] for k in measured} == measured
    assert summary["test_acc"] is None
    assert summary["best_val_mae"] == min(m.val_mae for m in trainer.history)
    assert summary["best_val_r2"] == max(m.val_r2 for m in trainer.history)


def test_a_classification_run_records_its_test_accuracy(config_factory, runs_folder):
    config = config_factory("circle", samples=200, epochs=2)
    config.data.test_split = 0.2
    trainer, recorder = record(config, runs_folder)
    summary = summary_json(recorder.folder)
    assert summary["test_acc"] == trainer.test_metrics()["test_acc"] and summary["test_loss"] is not None
    assert summary["test_mae"] is None and summary["best_val_r2"] is None


def test_a_stopped_run_records_no_test_metrics(config_factory, runs_folder):
    config = config_factory("circle", samples=200, epochs=50)
    config.data.test_split = 0.2

    def stop_after_one(trainer):
        return lambda event: trainer.stop() if isinstance(event, EpochEnded) else None

    trainer, recorder = record(config, runs_folder, listener=stop_after_one)
    assert trainer.state == "stopped"
    assert summary_json(recorder.folder)["test_loss"] is None


def test_the_configured_and_the_last_learning_rate_are_kept_apart(config_factory, runs_folder):
    def lower_after_one(trainer):
        def listener(event):
            if isinstance(event, EpochEnded) and event.metrics.epoch == 1:
                trainer.set_lr(0.001)
        return listener

    trainer, recorder = record(config_factory("circle", samples=60, epochs=3, lr=0.02), runs_folder,
                               listener=lower_after_one)
    assert [m.lr for m in trainer.history] == [0.02, 0.001, 0.001]
    summary = summary_json(recorder.folder)
    assert (summary["lr"], summary["last_lr"]) == (0.02, 0.001)
    assert load_toml(recorder.folder / CONFIG).train.lr == 0.02


def test_a_summary_without_the_newer_keys_still_reads(runs_folder):
    folder = runs_folder / "old"
    folder.mkdir(parents=True)
    old = {"name": "old", "dataset": "circle", "task": "classification", "optimizer": "adam", "lr": 0.01,
           "epochs": 3, "best_val_loss": 0.2, "best_val_acc": 0.9, "status": "completed"}
    (folder / SUMMARY).write_text(json.dumps(old), encoding="utf-8")
    run = read_summary(folder)
    assert (run.last_lr, run.best_val_r2, run.test_loss) == (None, None, None)
    assert [r.name for r in list_runs(runs_folder)] == ["old"]


def test_recording_does_not_change_training(config_factory, runs_folder):
    config = config_factory("spiral", samples=120, epochs=3, neurons=[12], dropout=0.1, seed=2)
    plain = Trainer(config)
    plain.run()
    recorded, recorder = record(config, runs_folder)
    assert recorder.folder is not None and recorder.errors == []
    assert [m.train_loss for m in recorded.history] == [m.train_loss for m in plain.history]
    assert [m.val_loss for m in recorded.history] == [m.val_loss for m in plain.history]
    assert list(recorded.step_losses) == list(plain.step_losses)
    assert same_weights(recorded.model.state_dict(), plain.model.state_dict())


def test_runs_with_one_name_get_distinct_folders(config_factory, runs_folder):
    config = config_factory("circle", samples=60, epochs=1)
    folders = [record(config, runs_folder, "same")[1].folder for _ in range(3)]
    assert [f.name for f in folders] == ["same", "same-2", "same-3"]
    assert all(summary_json(f)["name"] == f.name for f in folders)


def test_default_names_are_date_time_dataset(config_factory, runs_folder):
    config = config_factory("xor", samples=60, epochs=1)
    a, b = (record(config, runs_folder)[1].folder for _ in range(2))
    assert re.fullmatch(r"\d{8}-\d{6}-xor", a.name)
    assert b != a and re.fullmatch(r"\d{8}-\d{6}-xor(-2)?", b.name)
    assert recorder_module.default_run_name("/some/where/my data.csv").endswith("-my data")


def test_unique_folder_creates_root_and_numbers_taken_names(tmp_path):
    root = tmp_path / "a" / "b"
    made = [unique_folder(root, "x") for _ in range(3)]
    assert [p.name for p in made] == ["x", "x-2", "x-3"] and all(p.is_dir() for p in made)
    (root / "y").write_text("a file")
    assert unique_folder(root, "y").name == "y-2"


def test_resumed_run_gets_a_new_folder_that_starts_with_the_earlier_epochs(config_factory, runs_folder):
    _, first_recorder = record(config_factory("spiral", samples=100, epochs=2, neurons=[8]), runs_folder, "base")
    last = first_recorder.folder / LAST
    state = load_checkpoint(last)
    assert state["epoch"] == 2

    trainer, recorder = record(config_factory("spiral", samples=100, epochs=4, neurons=[8]), runs_folder, "base",
                               resume=state, resumed_from=str(last))
    assert recorder.folder == runs_folder / "base-2" and recorder.errors == []
    lines = metrics_lines(recorder.folder)
    assert [r["epoch"] for r in lines] == [1, 2, 3, 4]
    assert lines[:2] == metrics_lines(first_recorder.folder)
    assert lines == [m.to_dict() for m in trainer.history]
    summary = summary_json(recorder.folder)
    assert summary["resumed_from"] == str(last)
    assert summary["status"] == "completed" and summary["epochs"] == 4 and summary["epochs_total"] == 4
    assert summary["best_val_acc"] == max(r["val_acc"] for r in lines)
    assert summary["seconds"] == pytest.approx(sum(r["seconds"] for r in lines))
    assert load_checkpoint(recorder.folder / LAST)["epoch"] == 4
    assert summary_json(first_recorder.folder)["epochs"] == 2  # the earlier run is left as it was


def test_stopped_run_keeps_the_last_finished_epoch(config_factory, runs_folder):
    trainer, recorder = record(config_factory("circle", samples=100, epochs=6), runs_folder, listener=stop_after(2))
    assert trainer.state == "stopped"
    summary = summary_json(recorder.folder)
    assert summary["status"] == "stopped" and "stopped by the user during epoch 3" in summary["message"]
    assert summary["epochs"] == 2 and summary["epochs_total"] == 6
    last = load_checkpoint(recorder.folder / LAST)
    assert last["epoch"] == 2 and same_weights(last["model"], trainer.model.state_dict())
    assert [r["epoch"] for r in metrics_lines(recorder.folder)] == [1, 2]


def test_run_diverging_in_its_first_epoch_has_no_checkpoints(config_factory, runs_folder):
    trainer, recorder = record(config_factory("plane", samples=100, epochs=5, optimizer="sgd", lr=100), runs_folder)
    assert trainer.state == "diverged"
    assert {p.name for p in recorder.folder.iterdir()} == {CONFIG, METRICS, STEPS, SUMMARY, LOCK}
    summary = summary_json(recorder.folder)
    assert summary["status"] == "diverged" and "diverged in epoch 1" in summary["message"]
    assert summary["epochs"] == 0 and summary["best_val_loss"] is None
    assert metrics_lines(recorder.folder) == []


def test_run_diverging_later_keeps_the_last_good_epoch(config_factory, runs_folder):
    def raise_lr(trainer):
        return lambda e: trainer.set_lr(100) if isinstance(e, EpochEnded) and e.metrics.epoch == 2 else None

    trainer, recorder = record(config_factory("plane", samples=100, epochs=6, optimizer="sgd", lr=0.01),
                               runs_folder, listener=raise_lr)
    assert trainer.state == "diverged"
    summary = summary_json(recorder.folder)
    assert summary["status"] == "diverged" and "diverged in epoch 3" in summary["message"]
    assert summary["epochs"] == 2 and (summary["lr"], summary["last_lr"]) == (0.01, 100)  # the change is recorded
    last = load_checkpoint(recorder.folder / LAST)
    assert last["epoch"] == 2 and all(bool(t.isfinite().all()) for t in last["model"].values())
    assert load_checkpoint(recorder.folder / BEST)["epoch"] == 2


def test_run_failing_in_setup_creates_no_folder(config_factory, runs_folder, tmp_path):
    trainer, recorder = record(config_factory(str(tmp_path / "missing.csv")), runs_folder)
    assert trainer.state == "failed"
    assert recorder.folder is None and recorder.errors == []
    assert not runs_folder.exists()


def test_an_interrupted_session_records_why(config_factory, runs_folder):
    from tui_dl.engine.runs.session import RunSession

    session = RunSession(config_factory("circle", samples=60, epochs=100_000), runs_folder)
    session.subscribe(lambda _seq, e: session.interrupt("interrupted by SIGTERM")
                      if isinstance(e, EpochEnded) and e.metrics.epoch == 1 else None)
    finished = session.run()
    assert (finished.status, finished.message) == ("interrupted", "interrupted by SIGTERM")
    summary = summary_json(session.recorder.folder)
    assert (summary["status"], summary["message"], summary["epochs"]) == ("interrupted", "interrupted by SIGTERM", 1)
    assert load_checkpoint(session.recorder.folder / LAST)["epoch"] == 1


# write failures never reach training ----------------------------------------------------------


def test_root_under_a_regular_file_does_not_stop_training(config_factory, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    trainer, recorder = record(config_factory("circle", samples=60, epochs=2), blocker / "runs")
    assert trainer.state == "completed" and trainer.epoch == 2
    assert recorder.folder is None
    assert len(recorder.errors) == 1 and str(blocker / "runs") in recorder.errors[0]
    assert blocker.read_text() == "not a folder"


def test_root_that_is_a_file_does_not_stop_training(config_factory, tmp_path):
    blocker = tmp_path / "runs"
    blocker.write_text("")
    trainer, recorder = record(config_factory("circle", samples=60, epochs=2), blocker)
    assert trainer.state == "completed" and recorder.folder is None and recorder.errors


def test_full_disk_while_setting_up_the_folder_does_not_stop_training(config_factory, runs_folder, monkeypatch):
    def full(path, text):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(recorder_module, "_write_atomic", full)
    trainer, recorder = record(config_factory("circle", samples=60, epochs=3), runs_folder, "full")
    assert trainer.state == "completed" and trainer.epoch == 3
    assert recorder.errors and "No space left on device" in recorder.errors[0]
    assert not (recorder.folder / SUMMARY).exists()
    assert list_runs(runs_folder) == []  # a folder without a summary is not listed


def test_checkpoint_write_failures_are_kept_not_raised(config_factory, runs_folder, monkeypatch):
    import tui_dl.engine.training.checkpoint

    def refuse(state, path):
        raise CheckpointError(f"cannot write checkpoint {path}: disk full")

    monkeypatch.setattr(tui_dl.engine.training.checkpoint, "save_checkpoint", refuse)
    trainer, recorder = record(config_factory("circle", samples=60, epochs=2), runs_folder)
    assert trainer.state == "completed"
    assert any(BEST in e for e in recorder.errors) and any(LAST in e for e in recorder.errors)
    assert summary_json(recorder.folder)["status"] == "completed"  # the rest is still written
    assert not (recorder.folder / LAST).exists()


def test_folder_moved_away_mid_run_does_not_stop_training(config_factory, runs_folder, tmp_path):
    trainer = Trainer(config_factory("circle", samples=60, epochs=3))
    recorder = RunRecorder(trainer, runs_folder)

    def move_away(event):
        if isinstance(event, EpochEnded) and event.metrics.epoch == 1:
            recorder.folder.rename(tmp_path / "moved")  # atomic, unlike rmtree racing the checkpoint writer

    trainer.subscribe(move_away)
    assert trainer.run().status == "completed" and trainer.epoch == 3, trainer.error_traceback
    assert [r["epoch"] for r in metrics_lines(tmp_path / "moved")] == [1, 2, 3]  # the open file moved along


# live status -----------------------------------------------------------------------------------


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_live_status():
    host = socket.gethostname()
    assert RunSummary("a", status="running", pid=os.getpid(), host=host).live_status == "running"
    assert RunSummary("a", status="running", pid=dead_pid(), host=host).live_status == "interrupted"
    # another machine's process cannot be checked; a finished run is what it says
    assert RunSummary("a", status="running", pid=dead_pid(), host=host + "-elsewhere").live_status == "running"
    assert RunSummary("a", status="completed", pid=dead_pid(), host=host).live_status == "completed"
    assert RunSummary("a", status="running", pid=0, host=host).live_status == "running"


# listing, sorting and finding runs -------------------------------------------------------------


def fake_run(root: Path, name: str, **values) -> Path:
    """A run folder with just a summary.json."""
    folder = root / name
    folder.mkdir(parents=True)
    summary = RunSummary(name, status="completed", **values)
    (folder / SUMMARY).write_text(json.dumps(summary.to_dict()), encoding="utf-8")
    return folder


def test_list_runs_newest_first_skipping_folders_without_a_summary(runs_folder):
    fake_run(runs_folder, "old", started="2024-01-01 10:00:00")
    fake_run(runs_folder, "new", started="2024-03-01 09:00:00")
    fake_run(runs_folder, "middle", started="2024-02-01 23:59:59")
    (runs_folder / "not-a-run").mkdir()
    (runs_folder / "stray.txt").write_text("x")
    found = list_runs(runs_folder)
    assert [r.name for r in found] == ["new", "middle", "old"]
    assert found[0].path == runs_folder / "new" and found[0].status == "completed"


def test_list_runs_of_a_missing_folder_is_empty(tmp_path):
    assert list_runs(tmp_path / "nowhere") == []


@pytest.mark.parametrize("damage", ["{not json", "[1, 2]", '{"name": "x", "epochs": "one", "bogus": {'])
def test_damaged_summary_is_listed_as_unreadable(runs_folder, damage):
    fake_run(runs_folder, "good", started="2024-01-01 10:00:00")
    (runs_folder / "bad").mkdir()
    (runs_folder / "bad" / SUMMARY).write_text(damage, encoding="utf-8")
    found = {r.name: r for r in list_runs(runs_folder)}
    assert set(found) == {"good", "bad"}
    assert found["bad"].status == "unreadable" and found["bad"].live_status == "unreadable"
    assert SUMMARY in found["bad"].message and found["bad"].path == runs_folder / "bad"
    with pytest.raises(RunError, match="unreadable"):
        read_summary(runs_folder / "bad")


def test_summary_ignores_unknown_keys(runs_folder):
    folder = fake_run(runs_folder, "a", epochs=3)
    data = summary_json(folder) | {"from_the_future": 1}
    (folder / SUMMARY).write_text(json.dumps(data), encoding="utf-8")
    assert read_summary(folder).epochs == 3


def test_read_summary_of_a_folder_that_is_no_run(tmp_path):
    with pytest.raises(RunError, match="is not a tui-dl run"):
        read_summary(tmp_path)


SORTABLE = [
    RunSummary("b", best_val_loss=0.5, best_val_acc=0.7, best_val_r2=0.5, best_val_mae=2.0, started="2024-01-02"),
    RunSummary("a", best_val_loss=None, best_val_acc=None, started="2024-01-03"),
    RunSummary("d", best_val_loss=0.1, best_val_acc=0.6, best_val_r2=0.9, best_val_mae=1.0, started="2024-01-01"),
    RunSummary("c", best_val_loss=0.3, best_val_acc=0.9, best_val_r2=0.1, best_val_mae=3.0, started="2024-01-04"),
]


@pytest.mark.parametrize(("by", "order"), [
    ("val_loss", "dcba"),  # lowest first, missing last
    ("val_acc", "cbda"),  # highest first, missing last
    ("val_r2", "dbca"),
    ("val_mae", "dbca"),
    ("name", "abcd"),
    ("started", "cabd"),  # newest first
])
def test_sort_runs(by, order):
    assert "".join(r.name for r in sort_runs(SORTABLE, by)) == order
    assert "".join(r.name for r in sort_runs(SORTABLE, by, reverse=True)) == order[::-1]


def test_cells_of_a_classification_run():
    run = RunSummary("r", dataset="/data/my.csv", architecture="2 -> 16 -> 2", activation="tanh", optimizer="sgd",
                     lr=0.05, epochs=3, epochs_total=10, best_val_loss=0.123456, best_val_acc=0.875, seconds=125.7,
                     status="early_stopped", test_loss=0.2, test_acc=0.8125)
    titles = [c.title for c in listing.COLUMNS]
    assert dict(zip(titles, cells(run))) == {
        "run": "r", "data set": "my.csv", "model": "2-16-2 tanh", "val loss": "0.1235", "val acc": "87.5%",
        "val R²": "-", "val MAE": "-", "state": "early stopped", "test": "acc 81.2%", "epochs": "3/10",
        "optimizer": "sgd 0.05", "time": "2:06"}
    empty = dict(zip(titles, cells(RunSummary("e", status="unreadable"))))
    assert set(empty.values()) == {"e", "", "-", "unreadable", "0", "0.0s"}


def test_cells_of_a_regression_run_with_a_changed_learning_rate():
    run = RunSummary("r", task="regression", optimizer="adam", lr=0.01, last_lr=0.001, best_val_loss=0.05,
                     best_val_r2=0.9912, best_val_mae=206.93, test_loss=0.06, test_mae=210.0, test_r2=0.98765)
    shown = dict(zip([c.title for c in listing.COLUMNS], cells(run)))
    assert (shown["val R²"], shown["val MAE"], shown["test"]) == ("0.991", "206.9", "R² 0.988")
    assert shown["optimizer"] == "adam 0.01→0.001"  # configured -> last used
    same = RunSummary("s", optimizer="adam", lr=0.01, last_lr=0.01)
    assert dict(zip([c.title for c in listing.COLUMNS], cells(same)))["optimizer"] == "adam 0.01"


def test_optional_columns_appear_only_for_runs_that_have_them():
    classification = RunSummary("c", best_val_loss=0.1, best_val_acc=0.9)
    regression = RunSummary("g", best_val_loss=0.1, best_val_r2=0.8, best_val_mae=3.0, test_loss=0.2, test_r2=0.7)
    titles = lambda found: [c.title for c in listing.columns_for(found)]  # noqa: E731
    assert titles([classification]) == ["run", "state", "data set", "model", "val loss", "val acc", "epochs",
                                        "optimizer", "time"]
    assert titles([regression]) == ["run", "state", "data set", "model", "val loss", "val R²", "val MAE", "test",
                                    "epochs", "optimizer", "time"]
    assert titles([classification, regression]) == [c.title for c in listing.COLUMNS]


def test_long_cells_are_cut_with_an_ellipsis():
    run = RunSummary("a-very-long-run-name-that-goes-on-and-on", dataset="/d/an-extremely-long-file-name.csv")
    text = dict(zip((c.title for c in listing.COLUMNS), cells(run)))
    widths = {c.title: c.width for c in listing.COLUMNS}
    assert text["run"] == "a-very-long-run-name-th…" and len(text["run"]) == widths["run"]
    assert text["data set"].endswith("…") and len(text["data set"]) == widths["data set"]


def test_find_run(runs_folder, tmp_path, monkeypatch):
    fake_run(runs_folder, "20240101-100000-circle", started="1")
    fake_run(runs_folder, "20240101-100000-circle-2", started="2")
    fake_run(runs_folder, "20240202-110000-spiral", started="3")
    assert find_run(runs_folder, "20240101-100000-circle") == runs_folder / "20240101-100000-circle"
    assert find_run(runs_folder, "20240202") == runs_folder / "20240202-110000-spiral"  # a unique prefix
    assert find_run(runs_folder, "20240101-100000-circle-") == runs_folder / "20240101-100000-circle-2"
    elsewhere = fake_run(tmp_path / "other", "kept")
    assert find_run(runs_folder, str(elsewhere)) == elsewhere  # a path to a run folder
    monkeypatch.chdir(tmp_path)
    assert find_run(runs_folder, "other/kept") == Path("other/kept")

    with pytest.raises(RunError) as ambiguous:
        find_run(runs_folder, "20240101")
    assert "matches 2 runs" in str(ambiguous.value)
    assert "20240101-100000-circle" in str(ambiguous.value) and "20240101-100000-circle-2" in str(ambiguous.value)
    with pytest.raises(RunError) as unknown:
        find_run(runs_folder, "nope")
    assert "no run 'nope'" in str(unknown.value) and "`tui-dl runs`" in str(unknown.value)
    assert isinstance(unknown.value, UserError)


# reading metrics and exporting --------------------------------------------------------------------


def test_read_metrics_skips_a_torn_last_line(tmp_path):
    lines = [json.dumps({"epoch": 1, "train_loss": 0.5}), json.dumps({"epoch": 2, "train_loss": 0.4})]
    (tmp_path / METRICS).write_text("\n".join(lines) + '\n{"epoch": 3, "train_lo', encoding="utf-8")
    assert read_metrics(tmp_path) == [{"epoch": 1, "train_loss": 0.5}, {"epoch": 2, "train_loss": 0.4}]
    assert read_metrics(tmp_path / "missing") == []


@pytest.fixture(scope="module")
def recorded_run(tmp_path_factory) -> Path:
    """A recorded 3-epoch run with 2 hidden layers (3 Linear layers), shared by the export tests."""
    root = tmp_path_factory.mktemp("export")
    trainer = Trainer(make_config("circle", samples=80, epochs=3, layers=2, neurons=[8]))
    recorder = RunRecorder(trainer, root, "exported")
    assert trainer.run().status == "completed" and recorder.errors == []
    return recorder.folder


def test_export_csv(recorded_run):
    out = io.StringIO()
    assert export_csv(recorded_run, out) == 3
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    header, body = rows[0], rows[1:]
    norms = [f"{kind}_norm_{i}" for kind in ("weight", "grad") for i in (1, 2, 3)]
    assert header == ["epoch", "step", "train_loss", "val_loss", "train_acc", "val_acc", "lr", "samples_per_s",
                      "seconds", *norms]
    assert len(body) == 3 and all(len(row) == len(header) for row in body)
    for row, record_ in zip(body, read_metrics(recorded_run)):
        values = dict(zip(header, row))
        assert int(values["epoch"]) == record_["epoch"]
        assert float(values["val_loss"]) == record_["val_loss"]
        assert [float(values[f"weight_norm_{i}"]) for i in (1, 2, 3)] == record_["weight_norms"]
        assert [float(values[f"grad_norm_{i}"]) for i in (1, 2, 3)] == record_["grad_norms"]


def test_export_csv_of_a_regression_run_without_norms(tmp_path):
    records = [{"epoch": 1, "step": 2, "train_loss": 1.0, "val_loss": 2.0, "val_mae": 3.0, "val_r2": 0.5},
               {"epoch": 2, "step": 4, "train_loss": 0.5, "val_loss": 1.0, "val_mae": 2.0, "val_r2": 0.7}]
    (tmp_path / METRICS).write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    out = io.StringIO()
    assert export_csv(tmp_path, out) == 2
    assert out.getvalue().splitlines() == ["epoch,step,train_loss,val_loss,val_mae,val_r2",
                                           "1,2,1.0,2.0,3.0,0.5", "2,4,0.5,1.0,2.0,0.7"]


def test_export_tensorboard(recorded_run, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    target = export_tensorboard(recorded_run, tmp_path / "logs")
    assert target == tmp_path / "logs" / "exported"
    events = EventAccumulator(str(target))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    assert {"loss/train_loss", "loss/val_loss", "metrics/train_acc", "metrics/val_acc", "metrics/lr",
            "weight_norm/layer_1", "weight_norm/layer_3", "grad_norm/layer_1", "grad_norm/layer_3",
            "time/seconds"} <= tags
    assert "grad_norm/layer_4" not in tags and "metrics/val_r2" not in tags
    records = read_metrics(recorded_run)

    def series(tag):
        return [(e.step, e.value) for e in events.Scalars(tag)]

    assert series("loss/val_loss") == [(r["epoch"], pytest.approx(r["val_loss"], rel=1e-6)) for r in records]
    assert series("loss/train_loss") == [(r["epoch"], pytest.approx(r["train_loss"], rel=1e-6)) for r in records]
    assert series("grad_norm/layer_1") == [(r["epoch"], pytest.approx(r["grad_norms"][0], rel=1e-6))
                                           for r in records]
    elapsed = [sum(r["seconds"] for r in records[:i + 1]) for i in range(len(records))]
    assert [v for _, v in series("time/seconds")] == pytest.approx(elapsed, rel=1e-5)


def test_export_tensorboard_without_the_package(recorded_run, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)
    with pytest.raises(RunError, match="pip install tensorboard"):
        export_tensorboard(recorded_run, tmp_path / "logs")
    assert not (tmp_path / "logs").exists()
