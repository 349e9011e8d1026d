"""Reading recorded runs back: their summaries, the runs list (sorted, as table cells), a run by name, its metrics."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.cells import cell_len, set_cell_size

from tui_dl.engine.events import status_label
from tui_dl.engine.runs.duration import format_duration
from tui_dl.engine.runs.recorder import METRICS, SUMMARY, RunError, RunSummary
from tui_dl.i18n import N_, _


def read_summary(folder: Path) -> RunSummary:
    """The summary of the run in `folder` (RunError when it is missing or damaged)."""
    try:
        data = json.loads((folder / SUMMARY).read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError(_("not an object"))
        return RunSummary.from_dict(data, folder)
    except FileNotFoundError:
        raise RunError(_("{folder} is not a tui-dl run (no {summary})").format(
                           folder=folder, summary=SUMMARY)) from None
    except (OSError, ValueError, TypeError) as exc:
        raise RunError(_("{folder} is unreadable: {exc}").format(folder=folder / SUMMARY, exc=exc)) from None


def _lowest(value: float | None) -> tuple[bool, float]:
    return value is None, value or 0.0


def _highest(value: float | None) -> tuple[bool, float]:
    return value is None, -(value or 0.0)


SORTS: dict[str, Any] = {  # sort name -> key; missing values sort last
    "started": lambda r: r.started,
    "name": lambda r: r.name,
    "dataset": lambda r: Path(r.dataset).name,
    "val_loss": lambda r: _lowest(r.best_val_loss),
    "val_acc": lambda r: _highest(r.best_val_acc),
    "val_r2": lambda r: _highest(r.best_val_r2),
    "val_mae": lambda r: _lowest(r.best_val_mae),
    "epochs": lambda r: -r.epochs,
    "seconds": lambda r: -r.seconds,
    "status": lambda r: r.live_status,
}
MISSING = "-"


def _number(value: float | None, spec: str) -> str:
    return MISSING if value is None else format(value, spec)


def _model(run: RunSummary) -> str:
    return f"{run.architecture.replace(' -> ', '-')} {run.activation}".strip()


def _optimizer(run: RunSummary) -> str:
    """`adam 0.01`, or `adam 0.01→0.001` when the learning rate was changed mid-run (F8): configured → last."""
    if not run.optimizer:
        return ""
    changed = run.last_lr is not None and run.last_lr != run.lr
    return f"{run.optimizer} {run.lr:g}" + (f"→{run.last_lr:g}" if changed else "")


def _test(run: RunSummary) -> str:
    """The final model's headline metric on the test split: accuracy, else R², else the loss."""
    if run.test_acc is not None:
        return _("acc {acc:.1%}").format(acc=run.test_acc)
    if run.test_r2 is not None:
        return f"R² {run.test_r2:.3f}"
    return MISSING if run.test_loss is None else _("loss {loss:.4f}").format(loss=run.test_loss)


def _epochs(run: RunSummary) -> str:
    return f"{run.epochs}/{run.epochs_total}" if run.epochs_total else str(run.epochs)


@dataclass(frozen=True)
class Column:
    """A column of the runs table: its title (English, an identifier: `_(title)` shows it) and its text for a run
    (cut to `width` cells)."""

    title: str
    text: Callable[[RunSummary], str]
    width: int = 14
    numeric: bool = False  # right-aligned
    optional: bool = False  # shown only when a listed run has a value in it


# Most important first: at 80 or 120 terminal columns the left ones are visible without scrolling.
COLUMNS = (
    Column(N_("run"), lambda r: r.name, width=24),  # a default name: 20261201-091755-diamonds
    Column(N_("state"), lambda r: status_label(r.live_status), width=13),  # running / paused / crashed first
    Column(N_("data set"), lambda r: Path(r.dataset).name, width=16),
    Column(N_("model"), _model, width=22),
    Column(N_("val loss"), lambda r: _number(r.best_val_loss, ".4f"), numeric=True),
    Column(N_("val acc"), lambda r: _number(r.best_val_acc, ".1%"), numeric=True, optional=True),
    Column(N_("val R²"), lambda r: _number(r.best_val_r2, ".3f"), numeric=True, optional=True),
    Column(N_("val MAE"), lambda r: _number(r.best_val_mae, ".4g"), numeric=True, optional=True),
    Column(N_("test"), _test, optional=True),
    Column(N_("epochs"), _epochs, numeric=True),
    Column(N_("optimizer"), _optimizer, width=24),
    Column(N_("time"), lambda r: format_duration(r.seconds), numeric=True),
)


def columns_for(runs: list[RunSummary]) -> tuple[Column, ...]:
    """COLUMNS without the optional ones no run in `runs` has a value for (accuracy for regression runs...)."""
    return tuple(c for c in COLUMNS if not c.optional or any(c.text(r) != MISSING for r in runs))


def cells(run: RunSummary, columns: tuple[Column, ...] = COLUMNS) -> tuple[str, ...]:
    """`run` as the text of `columns`, each cut to its width with an ellipsis."""
    return tuple(_fit(c.text(run), c.width) for c in columns)


def _fit(text: str, width: int) -> str:
    return text if cell_len(text) <= width else set_cell_size(text, width - 1) + "…"


def sort_runs(runs: list[RunSummary], by: str, reverse: bool = False) -> list[RunSummary]:
    """Live runs first, each group ordered by a SORTS key (started: newest first; losses: lowest first; others:
    largest first)."""
    ordered = sorted(runs, key=SORTS[by], reverse=(by == "started") != reverse)
    return sorted(ordered, key=lambda r: not r.live)  # a stable sort keeps each group's order


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


def live_runs(root: Path) -> list[RunSummary]:
    """The runs under `root` whose process is alive, newest first."""
    return [run for run in list_runs(root) if run.live]


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
        raise RunError(_("{run!r} matches {n} runs in {root}: {names}").format(
                           run=run, n=len(matches), root=root,
                           names=", ".join(m.name for m in matches[:5]) + (" ..." if len(matches) > 5 else "")))
    raise RunError(_("no run {run!r} in {root} (`tui-dl runs` lists them)").format(run=run, root=root))


def read_metrics(folder: Path) -> list[dict[str, Any]]:
    """The epoch records of a run; a torn last line (a run killed mid-write) is skipped."""
    try:
        lines = (folder / METRICS).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise RunError(_("cannot read {file}: {reason}").format(
                           file=folder / METRICS, reason=exc.strerror or exc)) from None
    records = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and "epoch" in record:
            records.append(record)
    return records
