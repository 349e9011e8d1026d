"""What the insight views draw, as plain host data, and which views apply to a data set (and model).

Nothing here imports torch: the UI imports these types before its first frame (`engine.insights.compute` computes them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from tui_dl.i18n import N_, _, ngettext

MSE, CROSS_ENTROPY = N_("MSE"), N_("cross-entropy")  # the losses, by name
EVAL_CHUNK = 65_536  # rows per forward pass when evaluating (bounds the activations' memory)


@dataclass
class Boundary:
    """The predicted class and its probability on a grid over the data's plane (row 0 is the top)."""

    x_range: tuple[float, float]
    y_range: tuple[float, float]
    classes: np.ndarray  # rows x cols, int
    confidence: np.ndarray  # rows x cols, probability of the predicted class
    points: np.ndarray  # n x 2, data units
    labels: np.ndarray  # n
    class_names: list[str] = field(default_factory=list)
    feature_names: list[str] = field(default_factory=list)


@dataclass
class Surface:
    """A 2-D regression model's predicted (first) target on a grid over the data's plane (row 0 is the top)."""

    x_range: tuple[float, float]
    y_range: tuple[float, float]
    values: np.ndarray  # rows x cols, predicted target in data units
    points: np.ndarray  # n x 2, data units
    targets: np.ndarray  # n, the points' true target
    feature_names: list[str] = field(default_factory=list)
    outputs: int = 1  # targets the model predicts; the surface shows the first


@dataclass
class Fit:
    """True and predicted targets: over x (`curve`), over time (`series`) or against each other (`scatter`)."""

    kind: str
    x: np.ndarray
    true: np.ndarray
    predicted: np.ndarray
    x_label: str
    y_label: str


@dataclass
class Confusion:
    """Counts of (true class, predicted class) on the validation split (the training split without one)."""

    matrix: np.ndarray  # classes x classes: rows true, columns predicted
    class_names: list[str]
    split: str
    split_size: int  # samples in the split (the matrix counts up to CONFUSION_SAMPLES of them)

    @property
    def support(self) -> np.ndarray:
        """Samples of each true class."""
        return self.matrix.sum(axis=1)

    @property
    def recall(self) -> np.ndarray:
        """Fraction of each true class predicted right (NaN for a class with no samples)."""
        return _ratio(np.diag(self.matrix), self.support)

    @property
    def precision(self) -> np.ndarray:
        """Fraction of each class's predictions that are right (NaN for a class never predicted)."""
        return _ratio(np.diag(self.matrix), self.matrix.sum(axis=0))

    @property
    def f1(self) -> np.ndarray:
        """Harmonic mean of precision and recall, an undefined one counting 0 (NaN for a class neither
        present nor predicted)."""
        p, r = np.nan_to_num(self.precision), np.nan_to_num(self.recall)
        with np.errstate(invalid="ignore", divide="ignore"):
            f1 = np.where(p + r > 0, 2 * p * r / np.maximum(p + r, 1e-300), 0.0)
        return np.where(np.isnan(self.precision) & np.isnan(self.recall), np.nan, f1)

    def macro(self) -> tuple[float, float, float, int]:
        """Precision, recall and F1 averaged over the classes present in the split (a class never predicted
        counts precision 0), and how many classes that is."""
        present = self.support > 0
        if not present.any():
            return math.nan, math.nan, math.nan, 0
        p, r, f = (np.nan_to_num(v[present]).mean() for v in (self.precision, self.recall, self.f1))
        return float(p), float(r), float(f), int(present.sum())

    @property
    def accuracy(self) -> float:
        total = self.matrix.sum()
        return float(np.trace(self.matrix) / total) if total else math.nan

    def most_frequent(self, count: int) -> list[int]:
        """The `count` classes with the most samples (then the most predictions), most first."""
        order = np.lexsort((np.arange(len(self.matrix)), -self.matrix.sum(axis=0), -self.support))
        return [int(i) for i in order[:count]]

    def folded(self, shown: list[int]) -> np.ndarray:
        """The matrix over the `shown` classes, in that order, plus a last row and column "other" summing the
        rest (omitted when every class is shown)."""
        n = len(self.matrix)
        if len(shown) == n:
            return self.matrix[np.ix_(shown, shown)]
        position = np.full(n, len(shown))
        position[shown] = np.arange(len(shown))
        out = np.zeros((len(shown) + 1, len(shown) + 1), dtype=self.matrix.dtype)
        np.add.at(out, (position[:, None], position[None, :]), self.matrix)
        return out


@dataclass
class Landscape:
    """The training loss over a 2-D slice of parameter space, with the optimizer's path on it (row 0 is the top).

    `kind` is "line" (the axes are w and b of the model y = b + w x), "pca" (the two main directions of the
    recorded path, through the current weights) or "random" (two filter-normalized random directions, Li et
    al. 2018, while the path is too short for PCA). Coordinates are along those axes; the current weights
    are `path[-1]`.
    """

    kind: str
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    loss: np.ndarray  # rows x cols
    path: np.ndarray  # n x 2, the recorded parameters projected on the slice, the first at the start
    now_loss: float  # the loss at the current weights (path[-1])
    minimum: tuple[float, float] | None  # "line": the least-squares (w, b) on the same samples
    explained: tuple[float, float]  # "pca": share of the path's variance along each axis
    samples: int  # training samples the loss is computed on (the first of the shuffled training split)
    train_samples: int
    parameters: int
    loss_name: str  # MSE or CROSS_ENTROPY (English; shown translated)
    recorded: int  # steps ("line") or epochs since the start that the path covers
    grid: tuple[int, int]  # (cols, rows) the loss was computed at, before interpolation to `loss`'s size


@dataclass
class Pieces:
    """A one-input regression model as a constant plus one piece per neuron of its last hidden layer.

    Everything in data units over `x`: output = constant + pieces.sum(0) + rest. `pieces` are the neurons
    whose curves swing the most (`neurons` numbers them from 1); `rest` sums the others (zeros when all are drawn).
    """

    x: np.ndarray  # n, the input, ascending
    constant: float  # the output layer's bias
    pieces: np.ndarray  # k x n: c_i * a(w_i . h + b_i)
    neurons: list[int]
    rest: np.ndarray  # n
    output: np.ndarray  # n, the model's prediction
    total: int  # neurons in the layer
    layer: int  # which hidden layer (from 1): the last
    activation: str
    points_x: np.ndarray  # data points drawn behind the curves
    points_y: np.ndarray
    x_label: str


@dataclass
class NeuronMaps:
    """What each hidden neuron responds to over the plane of a 2-D data set (row 0 is the top), and the output.

    Per hidden layer, the activations of its neurons with the largest outgoing weights (most first).
    """

    x_range: tuple[float, float]
    y_range: tuple[float, float]
    layers: list[np.ndarray]  # per hidden layer: k x rows x cols
    neurons: list[list[int]]  # the neurons' numbers (from 1), in the order of `layers`
    widths: list[int]  # neurons in each hidden layer
    activation: str
    output: Boundary | Surface


@dataclass
class Unavailable:
    """A view that does not apply to this model, and why."""

    reason: str


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / np.maximum(denominator, 1), np.nan)


def why_not(kind: str, task: str, inputs: int) -> str | None:
    """Why the insight `kind` does not apply to a data set, or None when it does."""
    if kind == "boundary" and inputs != 2:
        what = _("decision boundary") if task == "classification" else _("predicted value over the plane")
        return _("the {what} needs 2 input features (this data set has {inputs})").format(what=what, inputs=inputs)
    if kind == "fit" and task != "regression":
        return _("the regression fit is for regression data sets (this one is classification)")
    if kind == "confusion" and task != "classification":
        return _("the confusion matrix is for classification data sets (this one is regression)")
    if kind == "pieces" and (task != "regression" or inputs != 1):
        return ngettext("neurons as pieces are for regression on one input (this data set is {task} with {inputs} "
                        "input)", "neurons as pieces are for regression on one input (this data set is {task} with "
                        "{inputs} inputs)", inputs).format(task=_(task), inputs=inputs)
    if kind == "neurons" and inputs != 2:
        return _("neuron maps need 2 input features (this data set has {inputs})").format(inputs=inputs)
    return None


def model_why_not(kind: str, hidden_layers: int) -> str | None:
    """Why the insight `kind` does not apply to a model with `hidden_layers`, or None when it does."""
    if kind in ("pieces", "neurons") and hidden_layers == 0:
        return _("the model has no hidden layer: it has no neurons to show (add one on the Model tab)")
    return None
