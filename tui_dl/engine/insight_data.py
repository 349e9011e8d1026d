"""What the insight views draw, as plain host data, and which views apply to a data set.

Nothing here imports torch: the UI imports these types before its first frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

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
    def per_class_accuracy(self) -> np.ndarray:
        """Fraction of each true class predicted right (NaN for a class with no samples)."""
        totals = self.matrix.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(totals > 0, np.diag(self.matrix) / totals, np.nan)

    @property
    def accuracy(self) -> float:
        total = self.matrix.sum()
        return float(np.trace(self.matrix) / total) if total else float("nan")


def why_not(kind: str, task: str, inputs: int) -> str | None:
    """Why the insight `kind` does not apply to a data set, or None when it does."""
    if kind == "boundary":
        if task != "classification":
            return "the decision boundary is for classification data sets (this one is regression)"
        if inputs != 2:
            return f"the decision boundary needs 2 input features (this data set has {inputs})"
    if kind == "fit" and task != "regression":
        return "the regression fit is for regression data sets (this one is classification)"
    if kind == "confusion" and task != "classification":
        return "the confusion matrix is for classification data sets (this one is regression)"
    return None
