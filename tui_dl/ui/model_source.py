"""Which model the UI uses outside training: the one ctrl+e exports and the one the Predict view runs.

Both are read from the app's state here, in one place: the session's trainer (its last finished epoch, or the
run folder's best.pt), a loaded checkpoint, or the run under the cursor on the Runs tab.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tui_dl.engine.rawdata import RawData

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


def current_model(app) -> ModelSource | None:
    """The session's model as of its last finished epoch, else a loaded checkpoint's, else None."""
    session = app.session
    trainer = session.trainer if session is not None else None
    if trainer is not None and trainer.snapshot is not None and trainer.data is not None:
        snapshot = trainer.snapshot  # replaced, never changed, after each epoch
        return ModelSource(snapshot, lambda: trainer.checkpoint_state(snapshot), trainer.data.raw)
    loaded = app.loaded
    if loaded is not None:
        raw = app.raw if app.raw is not None and app.raw.feature_names == loaded.get("feature_names") else None
        return ModelSource(loaded, lambda: loaded, raw)
    return None


def _data_file(dataset: str) -> str:
    return dataset if dataset and Path(dataset).expanduser().is_file() else NEW_ROWS


def _from_file(path: Path, what: str, dataset: str) -> ExportSource:
    from tui_dl.engine.runs import BEST

    def state() -> dict:
        from tui_dl.engine.checkpoint import load_checkpoint  # torch: imported on the worker thread

        return load_checkpoint(path)

    checkpoint = path.parent if path.name == BEST else path  # `predict RUN_FOLDER` takes its best.pt
    return ExportSource(what, state, path.parent, str(checkpoint), _data_file(dataset))


def export_source(app, runs_tab: bool) -> ExportSource | str:
    """The model ctrl+e exports (the run under the cursor on the Runs tab, else the session's or the loaded one),
    or why there is none."""
    from tui_dl.engine.runs import BEST, LAST

    if runs_tab:
        from tui_dl.ui.widgets.runs_panel import RunsPanel

        summary = app.query_one(RunsPanel).cursor_summary()
        if summary is None:
            return "no run under the cursor to export"
        for name in (BEST, LAST):
            if (summary.path / name).is_file():
                return _from_file(summary.path / name, f"run {summary.name} ({name})", summary.dataset)
        return f"run {summary.name} has no checkpoint yet (best.pt is written once an epoch has finished)"
    session = app.session
    if session is not None and session.trainer.epoch > 0:
        folder, trainer = session.recorder.folder, session.trainer
        dataset = trainer.config.data.dataset
        if folder is not None and (folder / BEST).is_file():
            return _from_file(folder / BEST, f"run {folder.name} (best.pt)", dataset)
        return ExportSource(f"this run (epoch {trainer.epoch})", trainer.checkpoint_state, folder or app.runs_root,
                            str(folder or "CKPT"), _data_file(dataset))
    if app.loaded_path is not None and app.loaded is not None:
        return _from_file(app.loaded_path, f"{app.loaded_path.name} (epoch {app.loaded['epoch']})",
                          app.loaded["config"]["data"]["dataset"])
    return "nothing to export yet: train a run (F5), load a checkpoint (ctrl+o), or pick a run on the Runs tab (F10)"
