"""Which model the UI uses outside training: the one ctrl+e exports and the one the Predict view runs.

Both are read from what the screen shows (`ui.screen_state`), in one place: the run on screen (a run of this
process: its trainer's last finished epoch; a run in its own process: its folder's best.pt), a loaded
checkpoint, or the run under the cursor on the Runs tab.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tui_dl.engine.data.rawdata import RawData
from tui_dl.engine.runs.recorder import BEST, LAST, RunSummary
from tui_dl.i18n import _
from tui_dl.ui.screen_state import ScreenState

NEW_ROWS = "NEW_ROWS.csv"  # the predict command's --input when the run's data is not a file


@dataclass(frozen=True)
class ModelSource:
    """A model to run: `key` changes when the model does (another epoch, another checkpoint)."""

    key: object
    state: Callable[[], dict]  # the checkpoint state (may be called on a worker thread)
    raw: RawData | None  # the data it was trained on, for validation rows; None when unknown


@dataclass(frozen=True)
class ExportSource:
    """A model to export: what it is in words, its checkpoint state, where files go, the predict command."""

    name: str
    state: Callable[[], dict]
    folder: Path
    checkpoint: str  # CKPT of `tui-dl predict`: a run folder or a checkpoint file
    data_file: str

    def predict_command(self) -> str:
        return (f"tui-dl predict {shlex.quote(self.checkpoint)} --input {shlex.quote(self.data_file)} "
                "--output predictions.csv")


def current_model(shown: ScreenState) -> ModelSource | None:
    """The run's model as of its last finished epoch (a run in its own process: its best.pt, rewritten every
    few seconds), else a loaded checkpoint's, else None."""
    from tui_dl.ui.run_link import AttachedRun, LocalRun

    link = shown.link
    trainer = link.session.trainer if isinstance(link, LocalRun) else None
    if trainer is not None and trainer.snapshot is not None and trainer.data is not None:
        snapshot = trainer.snapshot  # replaced, never changed, after each epoch
        return ModelSource(snapshot, lambda: trainer.checkpoint_state(snapshot), trainer.data.raw)
    if isinstance(link, AttachedRun) and link.folder is not None:
        for name in (BEST, LAST):
            path = link.folder / name
            if path.is_file():
                stamp = (path, path.stat().st_mtime_ns)  # a new model each time the run rewrites it
                return ModelSource(stamp, lambda path=path: _load(path), _matching(shown, None))
    loaded = shown.loaded
    if loaded is not None:
        return ModelSource(loaded, lambda: loaded, _matching(shown, loaded.get("feature_names")))
    return None


def _matching(shown: ScreenState, feature_names: list[str] | None) -> RawData | None:
    """The data set on the Data tab, when it is the one the model knows (all of it when the names are unknown)."""
    raw = shown.raw
    if raw is None or (feature_names is not None and raw.feature_names != feature_names):
        return None
    return raw


def _load(path: Path) -> dict:
    from tui_dl.engine.training.checkpoint import (
        load_checkpoint,  # torch: imported on the worker thread
    )

    return load_checkpoint(path)


def _data_file(dataset: str) -> str:
    return dataset if dataset and Path(dataset).expanduser().is_file() else NEW_ROWS


def _from_file(path: Path, what: str, dataset: str) -> ExportSource:
    def state() -> dict:
        return _load(path)

    checkpoint = path.parent if path.name == BEST else path  # `predict RUN_FOLDER` takes its best.pt
    return ExportSource(what, state, path.parent, str(checkpoint), _data_file(dataset))


def run_export_source(summary: RunSummary | None) -> ExportSource | str:
    """The model ctrl+e exports on the Runs tab: the run under the cursor's (`summary`), or why there is none."""

    if summary is None:
        return _("no run under the cursor to export")
    for name in (BEST, LAST):
        if (summary.path / name).is_file():
            return _from_file(summary.path / name, _("run {name} ({file})").format(name=summary.name, file=name),
                              summary.dataset)
    return _("run {name} has no checkpoint yet (best.pt is written once an epoch has finished)").format(
        name=summary.name)


def export_source(shown: ScreenState, dataset: str) -> ExportSource | str:
    """The model ctrl+e exports outside the Runs tab (the run on screen's, else the loaded one), or why there is
    none; `dataset`: the Data tab's, for the predict command's input."""
    from tui_dl.ui.run_link import LocalRun

    link = shown.link
    if link is not None and link.epoch > 0:
        folder = link.folder
        for name in (BEST, LAST):
            if folder is not None and (folder / name).is_file():
                return _from_file(folder / name, _("run {name} ({file})").format(name=folder.name, file=name), dataset)
        if isinstance(link, LocalRun):
            trainer = link.session.trainer
            return ExportSource(_("this run (epoch {epoch})").format(epoch=trainer.epoch), trainer.checkpoint_state,
                                folder or shown.runs_root, str(folder or "CKPT"),
                                _data_file(trainer.config.data.dataset))
    loaded, path = shown.loaded, shown.loaded_path
    if path is not None and loaded is not None:
        return _from_file(path, _("{file} (epoch {epoch})").format(file=path.name, epoch=loaded["epoch"]),
                          loaded["config"]["data"]["dataset"])
    return _("nothing to export yet: train a run (F5), load a checkpoint (ctrl+o), or pick a run on the Runs tab (F10)")
