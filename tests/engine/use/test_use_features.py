"""Using a model trained with input features (x1*x2, sin(x1), ...): predict, ONNX and older checkpoints take
the data's raw x1 and x2 and compute the features exactly as training did."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
import torch
from model_fixtures import saved, trained, write_csv

from helpers import make_config
from tui_dl.engine.training.checkpoint import load_checkpoint
from tui_dl.engine.use.predictor import Predictor

FEATURES = ["x1", "x2", "x1*x2", "sin(x1)"]


def spiral_with_features(features=FEATURES, **train):
    config = make_config("spiral", samples=200, epochs=2, **train)
    config.model.features = list(features)
    return trained(config)


def model_outputs(trainer) -> np.ndarray:
    """What the trained model gives for the validation split as training prepared it."""
    with torch.no_grad():
        trainer.model.eval()
        return torch.softmax(trainer.model(trainer.data.x_val), dim=1).numpy()


def validation_x(trainer) -> np.ndarray:
    from tui_dl.engine.data.prepare import split_indices

    _, val, _ = split_indices(trainer.data.raw.samples, trainer.config.data)
    return trainer.data.raw.x[val]


def test_the_predictor_takes_x1_and_x2_and_computes_the_features_as_training(tmp_path):
    trainer = spiral_with_features()
    predictor = Predictor.load(saved(trainer, tmp_path / "f.pt"))
    assert predictor.inputs == 2 and predictor.model_inputs == 4 and predictor.features == FEATURES
    assert np.abs(predictor.run(validation_x(trainer)) - model_outputs(trainer)).max() <= 1e-6
    assert torch.equal(predictor.input_mean, trainer.data.input_mean) and predictor.input_mean.shape == (2,)


def test_predict_a_csv_of_x1_and_x2_with_a_features_model(tmp_path):
    from tui_dl.engine.use.predict import predict_file

    trainer = spiral_with_features()
    predictor = Predictor.load(saved(trainer, tmp_path / "f.pt"))
    x = validation_x(trainer)
    source = write_csv(tmp_path / "new.csv", ["x1", "x2"], [[f"{a!r}", f"{b!r}"] for a, b in x.tolist()])
    out = io.StringIO()
    report = predict_file(predictor, source, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert report.rows == len(x) and list(rows[0]) == ["x1", "x2", "prediction", "p_arm B", "p_arm A"]
    expected = model_outputs(trainer)
    assert [r["prediction"] for r in rows] == [predictor.class_names[i] for i in expected.argmax(1)]
    assert np.array([float(r["p_arm A"]) for r in rows]) == pytest.approx(expected[:, 1], abs=1e-5)


def test_onnx_computes_the_features_inside_and_matches_torch(tmp_path):
    onnxruntime = pytest.importorskip("onnxruntime")
    import onnx

    from tui_dl.engine.use.onnx_export import export_onnx, onnx_difference, sample_features

    trainer = spiral_with_features(["x1^2", "x2^2", "x1*x2", "sin(x2)"])
    predictor = Predictor(trainer.checkpoint_state())
    written = export_onnx(predictor, tmp_path / "f.onnx")
    session = onnxruntime.InferenceSession(str(written), providers=["CPUExecutionProvider"])
    assert session.get_inputs()[0].shape == ["rows", 2]  # the raw x1 and x2
    x = validation_x(trainer)
    theirs = session.run(None, {"features": x})[0]
    assert np.abs(theirs - model_outputs(trainer)).max() <= 1e-5
    rows = sample_features(predictor)
    assert rows.shape == (256, 2) and onnx_difference(predictor, written, rows) <= 1e-5
    # the sample rows spread like the data's x1 and x2, not like the features' columns
    assert np.abs(rows.mean(0) - trainer.data.input_mean.numpy()).max() < trainer.data.input_std.numpy().max()
    meta = {p.key: p.value for p in onnx.load(str(written)).metadata_props}
    assert json.loads(meta["input_features"]) == ["x1^2", "x2^2", "x1*x2", "sin(x2)"]
    assert json.loads(meta["feature_names"]) == ["x1", "x2"]
    assert "computes the input features x1^2, x2^2, x1*x2, sin(x2) from them" in meta["input"]


def test_a_model_without_features_has_an_empty_list_in_its_onnx_metadata(tmp_path):
    pytest.importorskip("onnx")
    import onnx

    from tui_dl.engine.use.onnx_export import export_onnx

    predictor = Predictor(trained(make_config("circle", samples=80, epochs=1)).checkpoint_state())
    meta = {p.key: p.value for p in onnx.load(str(export_onnx(predictor, tmp_path / "m.onnx"))).metadata_props}
    assert json.loads(meta["input_features"]) == [] and "standardization is the graph's first op" in meta["input"]


def test_an_older_checkpoint_without_features_or_input_statistics_still_predicts(tmp_path):
    trainer = trained(make_config("circle", samples=120, epochs=2))
    state = load_checkpoint(saved(trainer, tmp_path / "old.pt"))
    del state["config"]["model"]["features"], state["input_mean"], state["input_std"]  # as tui-dl wrote them
    predictor = Predictor(state)
    assert predictor.features == [] and predictor.model_inputs == predictor.inputs == 2
    assert torch.equal(predictor.input_mean, trainer.data.x_mean)
    with torch.no_grad():
        trainer.model.eval()
        expected = torch.softmax(trainer.model(trainer.data.x_val), dim=1).numpy()
    assert np.abs(predictor.run(validation_x(trainer)) - expected).max() <= 1e-6


def test_a_features_checkpoint_without_input_statistics_takes_them_from_x1_and_x2(tmp_path):
    trainer = spiral_with_features(["x1", "x1*x2"])
    state = trainer.checkpoint_state()
    del state["input_mean"], state["input_std"]  # written before they were kept
    predictor = Predictor(state)
    assert predictor.input_mean.tolist() == pytest.approx([float(trainer.data.x_mean[0]), 0.0])
    assert predictor.input_std.tolist() == pytest.approx([float(trainer.data.x_std[0]), 1.0])
    assert np.abs(predictor.run(validation_x(trainer)) - model_outputs(trainer)).max() <= 1e-6


def test_the_checkpoint_keeps_the_raw_inputs_statistics():
    from tui_dl.engine.data.prepare import split_indices

    trainer = spiral_with_features(["x1^2", "sin(x1)"])
    train, _, _ = split_indices(200, trainer.config.data)
    raw = trainer.data.raw.x[train].astype(np.float64)
    state = trainer.checkpoint_state()
    assert state["input_mean"].numpy() == pytest.approx(raw.mean(0), abs=1e-4)
    assert state["input_std"].numpy() == pytest.approx(raw.std(0), rel=1e-4)
    assert state["x_mean"].shape == (2,) and not torch.equal(state["x_mean"], state["input_mean"])
