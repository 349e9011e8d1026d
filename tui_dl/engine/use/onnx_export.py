"""ONNX export of a trained model: raw features in, class probabilities (or values in target units) out.

The graph computes the model's input features of a 2-D data set from the raw x1 and x2 (x1*x2, sin(x1), ...,
as training did), then standardizes with the training split's means and deviations (its first ops without
input features); the model's metadata (`metadata_props`) says how to make the raw features from a row: each
column's kind, its one-hot values, date origin and fill-in value, plus the feature, input feature and class
names. Exported with torch's TorchScript-based
exporter (`dynamo=False`): torch 2.13's default exporter needs the extra package onnxscript, this one only
`onnx`. Needs the optional extra `tui-dl[onnx]`.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from tui_dl.engine.data.features import expand
from tui_dl.engine.errors import UserError
from tui_dl.engine.use.predictor import Predictor
from tui_dl.i18n import _

INSTALL = 'pip install "tui-dl[onnx]"  (or: pip install onnx onnxruntime)'
OPSET = 17
INPUT = "features"


class ExportError(UserError):
    """The model could not be exported."""


class _WithPreprocessing(nn.Module):
    """The input features, standardization, the MLP, then softmax (classification) or the target's scale and
    mean (regression)."""

    def __init__(self, p: Predictor):
        super().__init__()
        self.model, self.classification, self.features = p.model, p.classification, p.features
        for name in ("x_mean", "x_std", "y_mean", "y_std"):
            self.register_buffer(name, getattr(p, name).clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.model((expand(x, self.features) - self.x_mean) / self.x_std)
        return torch.softmax(out, dim=1) if self.classification else out * self.y_std + self.y_mean


def output_name(p: Predictor) -> str:
    return "probabilities" if p.classification else "prediction"


def recipe(p: Predictor) -> list[dict]:
    """How each column becomes raw features, in the input's order (plain data for the metadata)."""
    out = []
    for c in p.plan.features:
        entry = {"column": c.name, "kind": c.kind, "features": c.feature_names()}
        if c.kind == "categorical":
            entry["one_hot"] = list(c.categories)
        if c.kind == "date":
            entry["origin"] = c.origin
        if c.name in p.fills:
            entry["fill_missing_with"] = p.fills[c.name]
        out.append(entry)
    return out


def metadata(p: Predictor) -> dict[str, str]:
    """The model's `metadata_props`: every value a string (JSON for lists)."""
    what = (f"probabilities of the classes {json.dumps(p.class_names)}" if p.classification
            else f"the predicted {p.target.name if p.has_plan else 'target'} in its own units")
    return {
        "producer": "tui-dl",
        "dataset": p.dataset,
        "epoch": str(p.epoch),
        "task": p.task,
        "input": (f"{INPUT}: N x {p.inputs} float32 raw features in the order of feature_names; numbers as they "
                  "are, dates in days since their origin, one 0/1 column per one-hot value, a missing number "
                  "given its fill_missing_with value and its NAME=(missing) column set to 1 (see columns); "
                  + (f"the graph computes the input features {', '.join(p.features)} from them, then standardizes"
                     if p.features else "standardization is the graph's first op")),
        "output": f"{output_name(p)}: {what}",
        "feature_names": json.dumps(p.feature_names, ensure_ascii=False),
        "input_features": json.dumps(p.features),  # computed inside the graph; [] = the raw features as they are
        "class_names": json.dumps(p.class_names, ensure_ascii=False),
        "target": p.target.name if p.has_plan else "",
        "columns": json.dumps(recipe(p), ensure_ascii=False),
    }


def _onnx():
    try:
        import onnx
    except ImportError:
        raise ExportError(_("ONNX export needs the onnx package, which is not installed: {install}").format(
                              install=INSTALL)) from None
    return onnx


def export_onnx(p: Predictor, path: Path) -> Path:
    """Write the model as an ONNX file at `path` with a dynamic batch size; returns the path."""
    onnx = _onnx()
    path = Path(path).expanduser()
    wrapped = _WithPreprocessing(p).eval()
    example = p.input_mean.reshape(1, -1).clone()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the TorchScript exporter announces its deprecation
            torch.onnx.export(wrapped, (example,), str(path), dynamo=False, opset_version=OPSET,
                              input_names=[INPUT], output_names=[output_name(p)],
                              dynamic_axes={INPUT: {0: "rows"}, output_name(p): {0: "rows"}})
        graph = onnx.load(str(path))
        graph.doc_string = (f"tui-dl model of {p.dataset}, epoch {p.epoch}: "
                            f"{p.config.model.summary(p.model_inputs, p.outputs)}")
        onnx.helper.set_model_props(graph, metadata(p))
        onnx.save(graph, str(path))
    except OSError as exc:
        raise ExportError(_("cannot write {path}: {reason}").format(path=path, reason=exc.strerror or exc)) from None
    return path


def onnx_difference(p: Predictor, path: Path, x: np.ndarray) -> float | None:
    """The largest absolute difference between onnxruntime's outputs for raw features `x` and torch's
    (`Predictor.run`): in probability for classification, in the target's standard deviations for regression
    (a float32 price of 18,000 is only exact to 0.002); None when onnxruntime is not installed."""
    try:
        import onnxruntime
    except ImportError:
        return None
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    theirs = session.run(None, {INPUT: np.ascontiguousarray(x, dtype=np.float32)})[0]
    scale = 1.0 if p.classification else p.y_std.numpy()
    return float((np.abs(theirs - p.run(x)) / scale).max()) if len(x) else 0.0


def sample_features(p: Predictor, rows: int = 256, seed: int = 0) -> np.ndarray:
    """Rows of raw features spread like the training split's (mean +- 2 deviations), to compare runtimes on."""
    rng = np.random.default_rng(seed)
    mean, std = p.input_mean.numpy(), p.input_std.numpy()
    return (mean + rng.uniform(-2, 2, (rows, p.inputs)) * std).astype(np.float32)
