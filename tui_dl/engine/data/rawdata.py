"""A loaded data set before splitting: host arrays plus what they mean."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tui_dl.engine.data.columns import ColumnPlan
from tui_dl.engine.errors import DataError
from tui_dl.i18n import _

MAX_CLASSES_FOR_AUTO = 20
MAX_CLASSES = 1000  # more text classes than this (or than half the rows) is not a target one means


@dataclass
class RawData:
    """Features `x` (N x F float32) and targets `y` (N int64 classes, or N x O float32 values).

    A CSV file's `x` holds NaN where a number was missing (filled in by `engine.data.prepare`); `plan` says how
    each of its columns was used. Other data sets have no plan and no NaN.
    """

    name: str
    task: str
    x: np.ndarray
    y: np.ndarray
    feature_names: list[str]
    class_names: list[str] = field(default_factory=list)
    source: str = ""
    notices: list[str] = field(default_factory=list)
    ordered: bool = False  # samples are consecutive in time (daily-views): plots keep their order
    plan: ColumnPlan | None = None  # CSV files: every column's kind and role (engine.data.columns)
    dropped_rows: int = 0  # rows of the file left out: no target value, or a missing value with --missing drop
    image_shape: tuple[int, int] | None = None  # each sample is an image of (height, width) pixels

    @property
    def samples(self) -> int:
        return int(self.x.shape[0])

    @property
    def features(self) -> int:
        return int(self.x.shape[1])

    @property
    def rows(self) -> int:
        """Data rows in the source, kept or dropped."""
        return self.samples + self.dropped_rows

    def facts(self) -> dict:
        """What was used, as plain data (the `--json` start line): columns, rows, dropped and imputed counts."""
        plan = self.plan
        return {
            "target": plan.target.name if plan else None,
            "features": [c.name for c in plan.features] if plan else list(self.feature_names),
            "excluded": plan.excluded() if plan else {},
            "rows": self.rows,
            "dropped_rows": self.dropped_rows,
            "imputed": plan.imputed() if plan else {},
            "inputs": self.features,
            "task": self.task,
            "classes": list(self.class_names),
        }

    @property
    def outputs(self) -> int:
        """Size of the model's output layer."""
        return len(self.class_names) if self.task == "classification" else int(self.y.shape[1])


def targets_from_values(values: np.ndarray, task: str, what: str) -> tuple[str, np.ndarray, list[str]]:
    """Turn a 1-D target column into (task, y, class_names).

    `task` "auto" means classification for text or for whole numbers with at most
    20 distinct values, regression otherwise.
    """
    if values.dtype.kind in "biuf":
        numeric = values.astype(np.float64)
        if not np.all(np.isfinite(numeric)):
            raise DataError(_("{what} has non-finite target values (NaN or infinity)").format(what=what))
        whole = bool(np.all(numeric == np.round(numeric)))
        distinct = np.unique(numeric)
        if task == "auto":
            task = "classification" if whole and len(distinct) <= MAX_CLASSES_FOR_AUTO else "regression"
        if task == "regression":
            return task, numeric.astype(np.float32).reshape(-1, 1), []
        names = [f"{v:g}" for v in distinct]
        return task, np.searchsorted(distinct, numeric).astype(np.int64), _check_classes(names, what)
    text = values.astype(str)
    if task == "regression":
        raise DataError(_("{what} has text targets, so it cannot be a regression task").format(what=what))
    distinct = np.unique(text)
    names = [str(name) for name in distinct]  # plain str: checkpoints must not pickle numpy scalars
    if task == "auto" and len(names) > min(MAX_CLASSES, max(MAX_CLASSES_FOR_AUTO, len(text) // 2)):
        raise DataError(_("{what} has {n_names:,} distinct values in {n_text:,} rows: too many to be classes (is "
                          "it an ID, a name or a time?); choose another target (--target, or t on the Data tab's "
                          "column list), or --task classification to insist").format(
                            what=what, n_names=len(names), n_text=len(text)))
    return "classification", np.searchsorted(distinct, text).astype(np.int64), _check_classes(names, what)


def _check_classes(names: list[str], what: str) -> list[str]:
    if len(names) < 2:
        only = names[0] if names else "nothing"
        raise DataError(_("{what} has only one class ({only}); classification needs at least two").format(
                            what=what, only=only))
    return names
