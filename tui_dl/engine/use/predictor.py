"""A trained model with its preprocessing, rebuilt from a checkpoint: rows of text cells in, predictions out.

The checkpoint keeps everything the training preprocessing used: the CSV column plan (which columns, their
kinds, one-hot vocabularies, date origins, "was missing" indicators), the training split's medians that fill
in missing numbers, the model's input features of a 2-D data set (x1*x2, sin(x1), ...), the standardization
means and deviations, and the class names. `Predictor.encode` turns cells into the raw features exactly as
training did; `Predictor.run` computes the input features from them, standardizes and runs the model. Data
sets without a plan (synthetic, NPZ, IDX) read one number per feature, by feature name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from tui_dl.engine.config import ordered_features
from tui_dl.engine.data.columns import Column, ColumnPlan, is_missing
from tui_dl.engine.data.features import expand
from tui_dl.engine.errors import CheckpointError
from tui_dl.engine.insights.views import EVAL_CHUNK
from tui_dl.engine.model import build_model
from tui_dl.engine.training.checkpoint import checkpoint_config, load_checkpoint
from tui_dl.i18n import _

NEEDED = ("task", "class_names", "feature_names", "x_mean", "x_std", "y_mean", "y_std")
NEEDED_FOR_CSV = ("column_plan", "fill_values")  # kept in checkpoints since tui-dl read CSV columns by plan
PLAIN_TARGET = "y"  # the target's name for data without a column plan (synthetic, NPZ, IDX)


@dataclass
class Encoded:
    """A chunk of rows as the model's raw features, with what happened to its cells."""

    x: np.ndarray  # N x F float32: missing numbers filled in where training imputed them
    empty: np.ndarray  # N bool: rows with a missing value training never filled in (no prediction)
    imputed: dict[str, int] = field(default_factory=dict)  # filled-in cells per column
    not_filled: dict[str, int] = field(default_factory=dict)  # missing cells per column that training never filled
    unseen: dict[str, list[str]] = field(default_factory=dict)  # per categorical column, its unseen values (a row each)


def uses_csv_plan(dataset: str) -> bool:
    """Whether data set `dataset` (a config's name or path) was read by a column plan: a CSV file or a shipped one."""
    from tui_dl.engine.data.files import is_csv
    from tui_dl.engine.data.registry import REGISTRY

    spec = REGISTRY.get(dataset)
    return spec.file is not None if spec is not None else is_csv(Path(dataset))


class Predictor:
    """The model of a checkpoint on the CPU, in eval mode, with the preprocessing it was trained with."""

    def __init__(self, state: dict, name: str | None = None):
        name = _("the checkpoint") if name is None else name
        config = checkpoint_config(state)
        dataset = config.data.dataset
        needed = NEEDED + (NEEDED_FOR_CSV if uses_csv_plan(dataset) else ())
        missing = [key for key in needed if state.get(key) is None]
        if missing:
            raise CheckpointError(
                _("{name} was saved by an older tui-dl: it lacks {missing} (what predicting needs to read new rows "
                  "as training did); write a new checkpoint by training it one more epoch: tui-dl train --resume "
                  "{name} --epochs {epoch} --save NEW.pt").format(
                    name=name, missing=', '.join(missing), epoch=int(state['epoch']) + 1))
        self.config = config
        self.task: str = state["task"]
        self.class_names: list[str] = list(state["class_names"])
        self.feature_names: list[str] = list(state["feature_names"])
        self.dataset = str(state.get("dataset", dataset))
        self.epoch = int(state["epoch"])
        shape = state.get("image_shape")
        self.image_shape: tuple[int, int] | None = tuple(shape) if shape else None
        self.has_plan = state.get("column_plan") is not None
        self.plan = ColumnPlan.from_dict(state["column_plan"]) if self.has_plan else plain_plan(self.feature_names)
        fills = state.get("fill_values") or {}
        self.fills = {c.name: float(fills.get(c.name, 0.0)) for c in self.plan.features if c.value_kind and c.indicator}
        self.features = ordered_features(config.model.features)  # the model's input features; [] = the raw ones
        self.x_mean, self.x_std = state["x_mean"].float(), state["x_std"].float()
        self.y_mean, self.y_std = state["y_mean"].float(), state["y_std"].float()
        self.model_inputs, self.outputs = int(state["inputs"]), int(state["outputs"])
        self.inputs = len(self.plan.feature_names())  # the raw features a row gives
        if config.model.input_size(self.inputs) != self.model_inputs:
            given = (_("{inputs} ({count} input features)").format(inputs=self.inputs, count=len(self.features))
                     if self.features else self.inputs)
            raise CheckpointError(_("{name} is inconsistent: its column plan gives {features} features but "
                                    "the model has {inputs} inputs").format(
                                      name=name, features=given, inputs=self.model_inputs))
        self.input_mean, self.input_std = _input_statistics(state, self.features)
        self.model = build_model(config.model, self.model_inputs, self.outputs)
        try:
            self.model.load_state_dict(state["model"])
        except RuntimeError as exc:
            raise CheckpointError(_("{name}: its weights do not fit its model: {reason}").format(
                                      name=name, reason=str(exc).splitlines()[0])) from None
        self.model.eval()
        self._value_index = dict((name, j) for j, name in self.plan.value_features())

    @classmethod
    def load(cls, path: Path) -> Predictor:
        """Read a checkpoint file (refusing anything else, see `engine.training.checkpoint`)."""
        return cls(load_checkpoint(path), str(path))

    @property
    def classification(self) -> bool:
        return self.task == "classification"

    @property
    def target(self) -> Column:
        return self.plan.target

    def trained_on(self, raw) -> bool:
        """Whether loaded data `raw` (a RawData) is the data set the model was trained on: its name and raw
        features (so its rows are the model's inputs and its split the training one)."""
        return raw.name == self.dataset and list(raw.feature_names) == self.feature_names

    def output_names(self) -> list[str]:
        """The columns predictions add: `prediction` (several for several targets), then `p_CLASS` per class."""
        if self.classification:
            return ["prediction", *(f"p_{c}" for c in self.class_names)]
        return ["prediction"] if self.outputs == 1 else [f"prediction_{i + 1}" for i in range(self.outputs)]

    def encode(self, cells: Mapping[str, Sequence[str]], first_row: int = 1) -> Encoded:
        """The raw features of rows given as stripped text cells by column name (see `ColumnPlan.encode`).

        Missing numbers are filled with the training split's median where training did so (a column trained
        with a "was missing" indicator); a row missing a value training never filled in is `empty`. Raises
        DataError for an absent feature column or a cell that is not a number or a date.
        """
        x = self.plan.encode(cells, first_row)
        onehot_blank = np.zeros(len(x), dtype=bool)
        out = Encoded(x, onehot_blank)
        for column in self.plan.features:
            if column.value_kind:
                j = self._value_index[column.name]
                gaps = np.isnan(x[:, j])
                if gaps.any():
                    if column.indicator:
                        x[gaps, j] = self.fills[column.name]
                        out.imputed[column.name] = int(gaps.sum())
                    else:
                        out.not_filled[column.name] = int(gaps.sum())
                continue
            column_cells = cells[column.name]
            blank = np.fromiter((is_missing(c) for c in column_cells), dtype=bool, count=len(column_cells))
            if blank.any():
                if column.indicator:
                    out.imputed[column.name] = int(blank.sum())
                else:
                    out.not_filled[column.name] = int(blank.sum())
                    onehot_blank |= blank
            known = set(column.categories)
            strange = [c for c, gone in zip(column_cells, blank) if not gone and c not in known]
            if strange:
                out.unseen[column.name] = strange
        out.empty = np.isnan(x).any(axis=1) | onehot_blank
        x[out.empty] = 0.0
        return out

    @torch.no_grad()
    def run(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities (N x classes), or predicted values in the target's units (N x targets), of raw
        features `x` (N x F, as `encode` makes them), float32: through the input features, as training."""
        inputs = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
        parts = []
        for start in range(0, max(len(inputs), 1), EVAL_CHUNK):
            out = self.model((expand(inputs[start:start + EVAL_CHUNK], self.features) - self.x_mean) / self.x_std)
            parts.append(torch.softmax(out, dim=1) if self.classification else out * self.y_std + self.y_mean)
        return torch.cat(parts).numpy()

    def predict_cells(self, cells: Mapping[str, Sequence[str]], first_row: int = 1) -> tuple[np.ndarray, Encoded]:
        """`run` of `encode`d cells: (outputs, what `encode` found); the outputs of `empty` rows mean nothing."""
        encoded = self.encode(cells, first_row)
        return self.run(encoded.x), encoded

    def class_index(self, cells: Sequence[str]) -> np.ndarray:
        """The class index of each target cell: -1 for a missing cell or a class the model never saw."""
        names = {name: i for i, name in enumerate(self.class_names)}
        out = np.full(len(cells), -1, dtype=np.int64)
        numeric = self.target.kind == "numeric"
        for row, cell in enumerate(cells):
            if is_missing(cell):
                continue
            if numeric:
                try:
                    cell = f"{float(cell.replace(',', '.') if self.target.decimal_comma else cell):g}"
                except ValueError:
                    pass
            out[row] = names.get(cell, -1)
        return out


def _input_statistics(state: dict, features: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """The raw features' training-split mean and deviation: `x_mean` and `x_std` of a model without input
    features; saved beside them since input features came (a checkpoint of before: x1's and x2's where the
    model takes them, else 0 and 1)."""
    if not features:
        return state["x_mean"].float(), state["x_std"].float()
    if state.get("input_mean") is not None:
        return state["input_mean"].float(), state["input_std"].float()
    mean, std = torch.zeros(2), torch.ones(2)
    for j, name in enumerate(("x1", "x2")):
        if name in features:
            mean[j], std[j] = state["x_mean"][features.index(name)], state["x_std"][features.index(name)]
    return mean, std


def row_cells(plan: ColumnPlan, x: np.ndarray) -> dict[str, str]:
    """One row of raw features (as `ColumnPlan.encode` makes them, NaN where missing) as the text cells it came
    from, by feature column: numbers to 7 digits, dates as ISO dates, one-hot as its value, missing as ''."""
    from datetime import UTC, datetime, timedelta

    cells, offset = {}, 0
    for c in plan.features:
        width = len(c.feature_names())
        value = float(x[offset])
        if c.value_kind and np.isnan(value):
            cells[c.name] = ""
        elif c.kind == "numeric":
            cells[c.name] = f"{value:.7g}"
        elif c.kind == "date":
            origin = datetime.fromisoformat(c.origin)
            moment = (origin if origin.tzinfo else origin.replace(tzinfo=UTC)) + timedelta(days=value)
            whole = moment.hour == moment.minute == moment.second == 0 and len(c.origin) == 10
            cells[c.name] = moment.date().isoformat() if whole else moment.isoformat(timespec="seconds")
        else:
            hot = np.flatnonzero(x[offset:offset + len(c.categories)] > 0.5)
            cells[c.name] = c.categories[hot[0]] if len(hot) else ""
        offset += width
    return cells


def plain_plan(feature_names: Sequence[str]) -> ColumnPlan:
    """The plan of data without one: each feature a number in a column of its name; the target `y`."""
    return ColumnPlan([*(Column(name, "numeric") for name in feature_names),
                       Column(PLAIN_TARGET, "numeric", "target")])


def find_checkpoint(spec: str, runs_root: Path) -> Path:
    """The checkpoint `spec` names: a file, a run folder (its best.pt), or a run name / unique prefix under
    `runs_root` (its best.pt). Raises a UserError when there is none."""
    from tui_dl.engine.runs.listing import find_run
    from tui_dl.engine.runs.recorder import BEST, LAST, SUMMARY, RunError

    path = Path(spec).expanduser()
    if path.is_file():
        return path
    if path.is_dir() and ((path / SUMMARY).is_file() or (path / BEST).is_file()):
        folder = path
    else:
        try:
            folder = find_run(runs_root, spec)
        except RunError:
            if path.is_dir():  # a folder of that name here, and no run of that name
                raise CheckpointError(_("{path} is a folder but not a tui-dl run (no {summary} or {best})").format(
                                          path=path, summary=SUMMARY, best=BEST)) from None
            raise
    if (folder / BEST).is_file():
        return folder / BEST
    hint = _("; give {folder} to use its last epoch").format(
               folder=folder / LAST) if (folder / LAST).is_file() else ""
    raise CheckpointError(_("run {name} has no {best} yet (it is written once an epoch has finished){hint}").format(
                              name=folder.name, best=BEST, hint=hint))
