"""Reading recorded runs back: their summaries, the runs list (sorted, as table cells), a run by name, its metrics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tui_dl.engine.duration import format_duration
from tui_dl.engine.runs import METRICS, SUMMARY, RunError, RunSummary




def read_summary(folder: Path) -> RunSummary:
    """The summary of the run in `folder` (RunError when it is missing or damaged)."""
    try:
        data = json.loads((folder / SUMMARY).read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not an object")
        return RunSummary.from_dict(data, folder)
    except FileNotFoundError:
        raise RunError(f"{folder} is not a tui-dl run (no {SUMMARY})") from None
    except (OSError, ValueError, TypeError) as exc:
        raise RunError(f"{folder / SUMMARY} is unreadable: {exc}") from None


RUN_COLUMNS = ("run", "data set", "model", "optimizer", "epochs", "best val loss", "best val acc", "time", "status")
SORTS: dict[str, Any] = {  # sort name -> key; missing values sort last
    "started": lambda r: r.started,
    "name": lambda r: r.name,
    "dataset": lambda r: Path(r.dataset).name,
    "val_loss": lambda r: (r.best_val_loss is None, r.best_val_loss or 0.0),
    "val_acc": lambda r: (r.best_val_acc is None, -(r.best_val_acc or 0.0)),
    "epochs": lambda r: -r.epochs,
    "seconds": lambda r: -r.seconds,
    "status": lambda r: r.live_status,
}


def summary_cells(run: RunSummary) -> tuple[str, ...]:
    """The RUN_COLUMNS of one run as text."""
    loss = f"{run.best_val_loss:.4f}" if run.best_val_loss is not None else "-"
    acc = f"{run.best_val_acc:.1%}" if run.best_val_acc is not None else "-"
    epochs = f"{run.epochs}/{run.epochs_total}" if run.epochs_total else str(run.epochs)
    return (run.name, Path(run.dataset).name, f"{run.architecture.replace(' -> ', '-')} {run.activation}".strip(),
            f"{run.optimizer} {run.lr:g}" if run.optimizer else "", epochs, loss, acc,
            format_duration(run.seconds), run.live_status.replace("_", " "))


def sort_runs(runs: list[RunSummary], by: str, reverse: bool = False) -> list[RunSummary]:
    """`runs` ordered by a SORTS key (started: newest first; losses: lowest first; others: largest first)."""
    return sorted(runs, key=SORTS[by], reverse=(by == "started") != reverse)


def list_runs(root: Path) -> list[RunSummary]:
    """The runs under `root`, newest first; folders without a summary are skipped."""
    root = Path(root).expanduser()
    if not root.is_dir():
        return []
    runs = []
    for folder in root.iterdir():
        if folder.is_dir() and (folder / SUMMARY).is_file():
            try:
                runs.append(read_summary(folder))
            except RunError as exc:
                runs.append(RunSummary(folder.name, status="unreadable", message=str(exc), path=folder))
    return sorted(runs, key=lambda r: (r.started, r.name), reverse=True)


def find_run(root: Path, run: str) -> Path:
    """The folder of `run`: a path to a run folder, or a run name (or unique name prefix) under `root`."""
    path = Path(run).expanduser()
    if (path / SUMMARY).is_file():
        return path
    root = Path(root).expanduser()
    if (root / run / SUMMARY).is_file():
        return root / run
    matches = [r.path for r in list_runs(root) if r.name.startswith(run)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise RunError(f"{run!r} matches {len(matches)} runs in {root}: "
                       + ", ".join(m.name for m in matches[:5]) + (" ..." if len(matches) > 5 else ""))
    raise RunError(f"no run {run!r} in {root} (`tui-dl runs` lists them)")


def read_metrics(folder: Path) -> list[dict[str, Any]]:
    """The epoch records of a run; a torn last line (a run killed mid-write) is skipped."""
    try:
        lines = (folder / METRICS).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise RunError(f"cannot read {folder / METRICS}: {exc.strerror or exc}") from None
    records = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and "epoch" in record:
            records.append(record)
    return records
