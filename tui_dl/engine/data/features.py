"""Input features of a 2-D data set, as TensorFlow Playground offers them: x1, x2, their squares, product, sines.

Computed from the data's two inputs in data units (before standardization), once when the data is prepared and
for every grid point an insight view evaluates, so the model always sees the same columns.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from tui_dl.engine.config import FEATURES, ordered_features
from tui_dl.engine.errors import DataError
from tui_dl.i18n import _

Column = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
# Each feature as a torch expression of the columns x1 and x2: the one source of the training code, the ONNX
# graph and the exported script's data preparation (which writes these texts out).
EXPRESSIONS: dict[str, str] = {
    "x1": "x1",
    "x2": "x2",
    "x1^2": "x1 * x1",
    "x2^2": "x2 * x2",
    "x1*x2": "x1 * x2",
    "sin(x1)": "torch.sin(x1)",
    "sin(x2)": "torch.sin(x2)",
}
assert tuple(EXPRESSIONS) == FEATURES, "one expression per name of config.FEATURES, in its order"
COLUMNS: dict[str, Column] = {name: eval(f"lambda x1, x2: {text}", {"torch": torch})  # the fixed texts above
                              for name, text in EXPRESSIONS.items()}


def check_inputs(names: list[str], inputs: int, dataset: str) -> None:
    """Raise DataError unless features `names` can be computed for a data set with `inputs` inputs."""
    if names and inputs != 2:
        raise DataError(_("input features ({names}) are for data sets with 2 inputs; {dataset} has {inputs}").format(
                            names=', '.join(names), dataset=dataset, inputs=inputs))


def expand(x: torch.Tensor, names: list[str]) -> torch.Tensor:
    """The model's input columns from rows (x1, x2) in data units: one per feature, in FEATURES' order.

    `x` itself when `names` is empty (the data set's inputs as they are).
    """
    if not names:
        return x
    x1, x2 = x[:, 0], x[:, 1]
    return torch.stack([COLUMNS[name](x1, x2) for name in ordered_features(names)], dim=1)
