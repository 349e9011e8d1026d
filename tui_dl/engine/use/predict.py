"""`tui-dl predict`: apply a trained model to a file of new rows, a chunk at a time, writing rows as it goes.

A CSV's rows are read in chunks of PREDICT_CHUNK (memory stays bounded whatever the file's size) and written
back with `prediction` (and `p_CLASS` per class) added; NPZ and IDX samples get a row each. Where the file has
the target column, the report carries the metrics on those rows: accuracy, or MAE and R^2 as training
computes them on its validation split.
"""

from __future__ import annotations

import csv
import json
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import numpy as np

from tui_dl.engine.data.columns import is_missing
from tui_dl.engine.data.csv_stream import CsvStream
from tui_dl.engine.data.files import idx_pair, is_csv, read_idx
from tui_dl.engine.errors import DataError
from tui_dl.engine.use.predictor import Predictor
from tui_dl.i18n import _

PREDICT_CHUNK = 10_000  # rows read, predicted and written at a time
EXAMPLES = 3  # unseen categories named in a notice


@dataclass
class Scores:
    """Running sums for the metrics on rows with a target: accuracy, or MAE and R^2 (as `Trainer.measure`)."""

    rows: int = 0
    correct: int = 0
    unknown: int = 0  # targets of a class the model never saw (counted as wrong)
    abs_error: float = 0.0  # in target units, summed over rows and targets
    squared: float = 0.0  # squared error in standardized units
    sums: np.ndarray | None = None  # per target: sum and sum of squares of the standardized target

    def add_classes(self, probabilities: np.ndarray, truth: np.ndarray) -> None:
        self.rows += len(truth)
        self.correct += int((probabilities.argmax(axis=1) == truth).sum())
        self.unknown += int((truth < 0).sum())

    def add_values(self, predicted: np.ndarray, truth: np.ndarray, mean: np.ndarray, std: np.ndarray) -> None:
        self.rows += len(truth)
        self.abs_error += float(np.abs(predicted - truth).sum())
        z_true, z_pred = (truth - mean) / std, (predicted - mean) / std
        self.squared += float(((z_pred - z_true) ** 2).sum())
        sums = np.stack([z_true.sum(axis=0), (z_true ** 2).sum(axis=0)]).astype(np.float64)
        self.sums = sums if self.sums is None else self.sums + sums

    def metrics(self) -> dict[str, float]:
        """`acc`, or `mae` (target units) and `r2`; empty without rows."""
        if not self.rows:
            return {}
        if self.sums is None:
            return {"acc": self.correct / self.rows}
        centred = float((self.sums[1] - self.sums[0] ** 2 / self.rows).sum())
        return {"mae": self.abs_error / (self.rows * self.sums.shape[1]), "r2": 1 - self.squared / max(centred, 1e-12)}


@dataclass
class PredictReport:
    """What a prediction did: rows, empty predictions, filled-in and unseen values, ignored columns, metrics."""

    rows: int = 0
    empty: int = 0
    imputed: Counter = field(default_factory=Counter)
    not_filled: Counter = field(default_factory=Counter)
    unseen: Counter = field(default_factory=Counter)
    unseen_examples: dict[str, list[str]] = field(default_factory=dict)  # the first EXAMPLES distinct values
    more_unseen: set[str] = field(default_factory=set)  # columns with more distinct unseen values than examples
    ignored: list[str] = field(default_factory=list)
    scores: Scores | None = None

    def notices(self, predictor: Predictor) -> list[str]:
        out = []
        if self.ignored:
            names = ", ".join(map(repr, self.ignored[:8])) + (", ..." if len(self.ignored) > 8 else "")
            out.append(_("ignored {n} column(s) the model does not use: {names}").format(n=len(self.ignored), names=names))
        for name, count in self.imputed.items():
            fill = _("the training split's median {median:g}").format(
                       median=predictor.fills[name]) if name in predictor.fills \
                else _("the '(missing)' category")
            out.append(_("filled in {count:,} missing value(s) of {name!r} with {fill}, as training did").format(
                           count=count, name=name, fill=fill))
        if self.not_filled:
            counts = ", ".join(f"{name!r} {count:,}" for name, count in self.not_filled.items())
            out.append(_("{empty:,} row(s) have an empty prediction: a missing value in a column training never "
                         "filled in ({counts}; it had no missing values, or was trained with --missing drop)").format(
                           empty=self.empty, counts=counts))
        for name, count in self.unseen.items():
            shown = ", ".join(map(repr, self.unseen_examples[name]))
            out.append(_("{count:,} row(s) have a value of {name!r} not seen in training ({shown}): one-hot "
                         "as all zeros").format(
                           count=count, name=name, shown=shown + (', ...' if name in self.more_unseen else '')))
        if self.scores is not None and self.scores.unknown:
            out.append(_("{unknown:,} row(s) have a target class the model never saw (counted as wrong)").format(
                           unknown=self.scores.unknown))
        return out

    def metrics_text(self, predictor: Predictor) -> str:
        """`on the 263 rows with a target (Survived): accuracy 81.4%`, or '' without such rows."""
        metrics = self.scores.metrics() if self.scores is not None else {}
        if not metrics:
            return ""
        what = (_("accuracy {acc:.1%}").format(acc=metrics["acc"]) if "acc" in metrics
                else f"MAE {metrics['mae']:.4g}  R² {metrics['r2']:.4f}")
        return _("on the {rows:,} rows with a target ({name}): {what}").format(
                   rows=self.scores.rows, name=predictor.target.name, what=what)


class RowWriter:
    """Writes rows (input cells plus outputs) as CSV with a header, or as one JSON object per line."""

    def __init__(self, out: TextIO, header: list[str], predictor: Predictor, as_json: bool):
        self.out, self.predictor, self.as_json = out, predictor, as_json
        self.outputs = predictor.output_names()
        self.keep = [j for j, name in enumerate(header) if name not in self.outputs]  # an older prediction is replaced
        self.names = [header[j] for j in self.keep]
        self.csv = None if as_json else csv.writer(out, lineterminator="\n")
        if self.csv is not None:
            self.csv.writerow(self.names + self.outputs)

    def write(self, rows: list[list[str]], outputs: np.ndarray, empty: np.ndarray) -> None:
        p = self.predictor
        classes = outputs.argmax(axis=1) if p.classification else None
        blank = [""] * len(self.outputs)
        for i, row in enumerate(rows):
            cells = [row[j] for j in self.keep]
            if empty[i]:
                values = blank
            elif classes is not None:
                values = [p.class_names[classes[i]], *(f"{v:.6g}" for v in outputs[i])]
            else:
                values = [f"{v:.7g}" for v in outputs[i]]
            if self.csv is not None:
                self.csv.writerow(cells + values)
            else:
                numbers = [None if v == "" else (v if j == 0 and classes is not None else float(v))
                           for j, v in enumerate(values)]
                self.out.write(json.dumps({**dict(zip(self.names, cells)), **dict(zip(self.outputs, numbers))},
                                          ensure_ascii=False) + "\n")


def predict_file(predictor: Predictor, path: Path, out: TextIO, as_json: bool = False,
                 chunk: int = PREDICT_CHUNK) -> PredictReport:
    """Predict every row of the CSV, NPZ or IDX file `path`, writing them to `out`; raises DataError for a file
    that cannot be read as the model's input (naming the missing column, the bad cell's row and column)."""
    if is_csv(path):
        return _predict_csv(predictor, path, out, as_json, chunk)
    return _predict_arrays(predictor, path, out, as_json, chunk)


def _predict_csv(predictor: Predictor, path: Path, out: TextIO, as_json: bool, chunk: int) -> PredictReport:
    stream = CsvStream(path)
    header, plan = stream.header, predictor.plan
    absent = [c.name for c in plan.features if c.name not in header]
    if absent:
        stream.close()
        shown = ", ".join(n if len(n) <= 24 else n[:23] + "…" for n in header[:12]) + (", ..." if len(header) > 12 else "")
        raise DataError(_("{name} lacks the feature column(s) {columns} the model was trained on (it has: {shown})").format(
                            name=path.name, columns=', '.join(map(repr, absent)), shown=shown))
    used = {c.name for c in plan.features} | {plan.target.name}
    report = PredictReport(ignored=[n for n in header if n not in used])
    has_target = plan.target.name in header
    if has_target:
        report.scores = Scores()
    writer = RowWriter(out, header, predictor, as_json)
    for first, rows in stream.chunks(chunk):
        cells = dict(zip(header, map(list, zip(*rows))))
        outputs, encoded = predictor.predict_cells(cells, first)
        report.rows += len(rows)
        report.empty += int(encoded.empty.sum())
        report.imputed.update(encoded.imputed)
        report.not_filled.update(encoded.not_filled)
        for name, values in encoded.unseen.items():
            report.unseen[name] += len(values)
            examples = report.unseen_examples.setdefault(name, [])
            new = [v for v in dict.fromkeys(values) if v not in examples]
            room = EXAMPLES - len(examples)
            examples += new[:room]
            if len(new) > room:
                report.more_unseen.add(name)
        if has_target:
            _score(predictor, report.scores, outputs, encoded.empty, cells[plan.target.name], first)
        writer.write(rows, outputs, encoded.empty)
    if not report.rows:
        raise DataError(_("{name} has a header but no rows to predict").format(name=path.name))
    return report


def _score(predictor: Predictor, scores: Scores, outputs: np.ndarray, empty: np.ndarray, target: list[str],
           first: int) -> None:
    if predictor.classification:
        truth = predictor.class_index(target)
        given = ~empty & np.array([not is_missing(c) for c in target], dtype=bool)
        scores.add_classes(outputs[given], truth[given])
        return
    values = predictor.target.values(target, first).reshape(-1, 1)
    given = ~empty & ~np.isnan(values[:, 0])
    scores.add_values(outputs[given].astype(np.float64), values[given], predictor.y_mean.double().numpy(),
                      predictor.y_std.double().numpy())


def _predict_arrays(predictor: Predictor, path: Path, out: TextIO, as_json: bool, chunk: int) -> PredictReport:
    x, y = _read_arrays(path)
    if x.shape[1] != predictor.inputs:
        raise DataError(_("{name} has {values} values per sample, but the model takes {inputs}").format(
                            name=path.name, values=x.shape[1], inputs=predictor.inputs))
    if not np.all(np.isfinite(x)):
        raise DataError(_("{name}: x contains NaN or infinite values").format(name=path.name))
    report = PredictReport(rows=len(x))
    header = ["row"] + ([] if y is None else ["target"])
    if y is not None:
        report.scores = Scores()
    writer = RowWriter(out, header, predictor, as_json)
    for start, xs, ys in _batches(x, y, chunk):
        outputs = predictor.run(xs)
        rows = [[str(start + i + 1)] for i in range(len(xs))]
        if ys is not None:
            if predictor.classification:
                truth = _array_classes(predictor, ys)
                report.scores.add_classes(outputs, truth)
                names = [predictor.class_names[t] if t >= 0 else f"{v:g}" for t, v in zip(truth, ys.reshape(-1))]
            else:
                values = ys.reshape(len(ys), -1).astype(np.float64)
                report.scores.add_values(outputs.astype(np.float64), values, predictor.y_mean.double().numpy(),
                                         predictor.y_std.double().numpy())
                names = [" ".join(f"{v:g}" for v in row) for row in values]
            rows = [row + [name] for row, name in zip(rows, names)]
        writer.write(rows, outputs, np.zeros(len(xs), dtype=bool))
    return report


def _batches(x: np.ndarray, y: np.ndarray | None, chunk: int) -> Iterator[tuple[int, np.ndarray, np.ndarray | None]]:
    for start in range(0, len(x), chunk):
        yield start, x[start:start + chunk], None if y is None else y[start:start + chunk]


def _array_classes(predictor: Predictor, y: np.ndarray) -> np.ndarray:
    """Class indices of numeric labels: by class name (`3` is class "3"); classes renamed at loading
    (Fashion-MNIST's) are indexed by the label itself."""
    values = y.reshape(-1)
    if all(_is_number(name) for name in predictor.class_names):
        return predictor.class_index([f"{v:g}" for v in values])
    whole = values.astype(np.int64)
    return np.where((whole == values) & (whole >= 0) & (whole < len(predictor.class_names)), whole, -1)


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _read_arrays(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    """The samples (N x F float32) of an NPZ archive (`x`/`X`, with `y`/`Y` if present) or an IDX images file
    (pixels scaled as training scales them; the labels file beside it if present)."""
    if path.name.lower().endswith(".npz"):
        try:
            with np.load(path, allow_pickle=False) as archive:
                arrays = {k: archive[k] for k in archive.keys() if k in ("x", "X", "y", "Y")}
        except (OSError, ValueError, EOFError) as exc:
            raise DataError(_("{name} is not a readable .npz archive of numeric arrays ({exc})").format(
                                name=path.name, exc=exc)) from None
        x = arrays.get("x", arrays.get("X"))
        y = arrays.get("y", arrays.get("Y"))
        if x is None or x.ndim < 2 or x.dtype.kind not in "biuf":
            raise DataError(_("{name} needs a numeric array 'x' (or 'X') of N samples x features").format(
                                name=path.name))
        if y is not None and (len(y) != len(x) or y.dtype.kind not in "biuf"):
            raise DataError(_("{name}: y must be numeric with one row per sample of x").format(name=path.name))
        return x.reshape(len(x), -1).astype(np.float32), y
    images_path, labels_path = idx_pair(path, labels_needed=False)
    images = read_idx(images_path)
    x = images.reshape(len(images), -1).astype(np.float32)
    if images.dtype == np.uint8:
        x /= 255.0
    labels = read_idx(labels_path) if labels_path is not None else None
    if labels is not None and len(labels) != len(x):
        raise DataError(_("{name} and {name2} do not match: {n_x} images, {n_labels} labels").format(
                            name=images_path.name, name2=labels_path.name, n_x=len(x), n_labels=len(labels)))
    return x, labels
