"""Exporting a model: ONNX (checked against torch with onnxruntime) and a standalone PyTorch training script
that reproduces the run's validation metric."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from model_fixtures import HEADER, saved, shop_config, shop_csv, shop_rows, trained, validation_rows, write_csv

from helpers import cli_env, make_config
from tui_dl.engine.use.predictor import Predictor
from tui_dl.engine.use.script_export import build_script, export_script, generator_source

SCRIPT_TOLERANCE = 1e-6  # the script's validation metric vs tui-dl's, per epoch (same seeds, same operations)
STDLIB = {"argparse", "csv", "io", "math", "datetime", "gzip"}


# ONNX ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("target", "activation"), [("label", "gelu"), ("price", "tanh")])
def test_onnx_matches_torch_on_the_validation_rows(tmp_path, target, activation):
    onnxruntime = pytest.importorskip("onnxruntime")
    import onnx

    from tui_dl.engine.use.onnx_export import export_onnx, onnx_difference

    path = shop_csv(tmp_path)
    trainer = trained(shop_config(path, target, epochs=2, activation=activation, dropout=0.1))
    predictor = Predictor(trainer.checkpoint_state())
    written = export_onnx(predictor, tmp_path / "model.onnx")
    rows = validation_rows(trainer, shop_rows())
    x = predictor.encode(dict(zip(HEADER, map(list, zip(*rows))))).x
    session = onnxruntime.InferenceSession(str(written), providers=["CPUExecutionProvider"])
    name = "probabilities" if target == "label" else "prediction"
    assert [o.name for o in session.get_outputs()] == [name] and session.get_inputs()[0].name == "features"
    theirs = session.run(None, {"features": x})[0]
    assert theirs.shape == (len(rows), 2 if target == "label" else 1)
    scale = 1.0 if target == "label" else float(predictor.y_std)  # regression: in the target's deviations
    assert np.abs(theirs - predictor.run(x)).max() / scale <= 1e-5
    assert onnx_difference(predictor, written, x) == pytest.approx(np.abs(theirs - predictor.run(x)).max() / scale)
    meta = {p.key: p.value for p in onnx.load(str(written)).metadata_props}
    assert json.loads(meta["feature_names"]) == predictor.feature_names
    assert json.loads(meta["class_names"]) == (["big", "small"] if target == "label" else [])
    columns = {c["column"]: c for c in json.loads(meta["columns"])}
    assert columns["colour"]["one_hot"] == ["blue", "green", "red"] and columns["bought"]["origin"] == "2024-03-01"
    assert columns["size"]["fill_missing_with"] == trainer.data.fill_values["size"]
    assert meta["task"] == predictor.task and meta["producer"] == "tui-dl"
    graph = onnx.load(str(written)).graph
    assert [n.op_type for n in graph.node[:2]] == ["Sub", "Div"]  # standardization comes first


def test_onnx_without_the_onnx_package_says_how_to_install_it(tmp_path, monkeypatch):
    from tui_dl.engine.use.onnx_export import ExportError, export_onnx

    predictor = Predictor(trained(make_config("circle", samples=60, epochs=1)).checkpoint_state())
    monkeypatch.setitem(sys.modules, "onnx", None)  # as if not installed
    with pytest.raises(ExportError, match=r'not installed: pip install "tui-dl\[onnx\]"'):
        export_onnx(predictor, tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


# the script ------------------------------------------------------------------------------------

def run_script(script: Path, *args: str, cwd: Path) -> list[dict[str, float]]:
    result = subprocess.run([sys.executable, str(script), *args], cwd=cwd, env=cli_env(), capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    epochs = []
    for line in result.stdout.splitlines():
        if line.startswith("epoch "):
            words = line.split()
            epochs.append({k: float(v) for k, v in zip(words[::2], words[1::2])})
    assert (cwd / "model_state.pt").is_file()
    return epochs


def assert_reproduces(trainer, epochs: list[dict[str, float]]) -> None:
    assert [int(e["epoch"]) for e in epochs] == [m.epoch for m in trainer.history]
    for mine, theirs in zip(trainer.history, epochs):
        metric = "val_acc" if mine.val_acc is not None else "val_r2"
        assert theirs[metric] == pytest.approx(getattr(mine, metric), abs=SCRIPT_TOLERANCE)
        assert theirs["val_loss"] == pytest.approx(mine.val_loss, abs=SCRIPT_TOLERANCE)
        assert theirs["train_loss"] == pytest.approx(mine.train_loss, abs=1e-5)  # the data loss, without L1
        assert theirs["lr"] == pytest.approx(mine.lr, rel=1e-5)  # the schedule's rate of the epoch's last batch


def imports_of(text: str) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            modules |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            modules.add(node.module.split(".")[0])
    return modules


def idx_files(folder: Path) -> Path:
    rng = np.random.default_rng(1)
    images = rng.integers(0, 255, (80, 5, 5), dtype=np.uint8)
    labels = (images[:, 2].mean(axis=1) > 127).astype(np.uint8) + 2 * (images[:, :, 1].mean(axis=1) > 127)
    for name, array in (("train-images-idx3-ubyte", images), ("train-labels-idx1-ubyte", labels.astype(np.uint8))):
        header = bytes([0, 0, 8, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
        (folder / name).write_bytes(header + array.tobytes())
    return folder / "train-images-idx3-ubyte"


def npz_file(folder: Path) -> Path:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(90, 3))
    np.savez(folder / "points.npz", X=x, Y=np.stack([x[:, 0] * 2 + x[:, 1], x[:, 2] ** 2], axis=1))
    return folder / "points.npz"


CASES = {
    "csv classification": lambda d: shop_config(shop_csv(d), "label", epochs=3),
    "csv regression, sgd, early stop": lambda d: shop_config(shop_csv(d), "price", epochs=3, optimizer="sgd",
                                                             lr=0.05, early_stop=1),
    "csv drop missing, adamw": lambda d: _drop(shop_config(shop_csv(d), "label", epochs=2, optimizer="adamw",
                                                           regularization="l2", reg_rate=0.01)),
    "spiral, dropout": lambda d: make_config("spiral", samples=200, epochs=3, layers=2, dropout=0.2),
    "daily-views, test split": lambda d: _test_split(make_config("daily-views", samples=150, epochs=2)),
    "npz two targets": lambda d: make_config(str(npz_file(d)), epochs=2, activation="leaky_relu"),
    "idx images": lambda d: make_config(str(idx_files(d)), epochs=2),
    "shipped iris": lambda d: make_config("iris", epochs=3),
    "spiral with input features, L1": lambda d: _features(make_config("spiral", samples=200, epochs=3,
                                                                      regularization="l1", reg_rate=0.01)),
    "spiral, L2 with sgd": lambda d: make_config("spiral", samples=200, epochs=2, optimizer="sgd", lr=0.1,
                                                 regularization="l2", reg_rate=0.01),
    "cosine with warm-up": lambda d: make_config("circle", samples=150, epochs=4, schedule="cosine", warmup=1),
    "step decay": lambda d: make_config("circle", samples=150, epochs=3, schedule="step", decay_epochs=1),
    "plateau, reduced once": lambda d: make_config("spiral", samples=200, epochs=8, lr=0.2, schedule="plateau",
                                                   decay_epochs=1, warmup=1),
    "csv regression, warm-up only": lambda d: shop_config(shop_csv(d), "price", epochs=3, warmup=2),
    "csv of two columns, features, step": lambda d: _features(make_config(str(two_columns(d)), epochs=3,
                                                                          schedule="step", decay_epochs=2),
                                                              ["x1^2", "x1*x2", "sin(x2)"]),
}


def _features(config, names=("x1", "x2", "x1*x2", "sin(x1)")):
    config.model.features = list(names)
    return config


def two_columns(folder: Path) -> Path:
    """A CSV of two numbers and a class: a file's 2-D data set, which can take input features too."""
    rows = [[f"{a:.4f}", f"{b:.4f}", "yes" if a * b > 0 else "no"]
            for a, b in np.random.default_rng(3).uniform(-3, 3, (150, 2))]
    return write_csv(folder / "two.csv", ["width", "height", "same_sign"], rows)


def _drop(config):
    config.data.missing = "drop"
    return config


def _test_split(config):
    config.data.test_split = 0.2
    return config


@pytest.mark.parametrize("case", list(CASES))
def test_the_script_reproduces_the_runs_validation_metric(tmp_path, case):
    trainer = trained(CASES[case](tmp_path))
    script = export_script(trainer.checkpoint_state(), tmp_path / "train.py", "run.pt")
    text = script.read_text()
    assert imports_of(text) <= STDLIB | {"numpy", "torch"}  # standalone: no tui_dl
    assert_reproduces(trainer, run_script(script, "--epochs", str(trainer.epoch), cwd=tmp_path))
    if case == "plateau, reduced once":
        assert trainer.plateau.reductions == 1 and trainer.history[-1].lr == pytest.approx(0.1)


def test_the_script_reads_another_data_file_given_on_the_command_line(tmp_path):
    trainer = trained(shop_config(shop_csv(tmp_path), "label", epochs=1))
    script = export_script(trainer.checkpoint_state(), tmp_path / "train.py")
    other = write_csv(tmp_path / "other.csv", HEADER, shop_rows(80, seed=5))
    epochs = run_script(script, str(other), "--epochs", "2", cwd=tmp_path)
    assert len(epochs) == 2 and epochs[0]["val_acc"] != pytest.approx(trainer.history[0].val_acc, abs=1e-9)


def test_the_script_writes_the_plan_as_fixed_code(tmp_path):
    trainer = trained(shop_config(shop_csv(tmp_path), "label", epochs=1))
    text = build_script(trainer.checkpoint_state(), "shop.pt")
    assert '*with_flag(number(row["size"])),' in text  # imputed: the value and its was-missing column
    assert '*one_hot(row["colour"], ["blue", "green", "red"], missing_column=True),' in text
    assert 'days(row["bought"], "2024-03-01"),' in text and 'number(row["weight"]),' in text
    assert "Left out: row_id (an ID: a different whole number in every row); price (left out by you)." in \
        " ".join(text.split())
    assert 'CLASSES = ["big", "small"]' in text and "nn.Linear(8, 16), nn.ReLU()," in text
    assert "for j in [0, 6, 7]:  # the numbers and dates: size, bought, weight" in text
    assert "def load_data(path):" in text and "torch.optim.Adam(model.parameters(), lr=0.01)" in text
    assert "tui-dl measured val_acc" in text and "python train.py [DATA_FILE] [--epochs N]" in text


def test_a_synthetic_sets_script_contains_its_generator():
    source = generator_source("views_windows")
    assert "def views_windows(" in source and "def daily_views(" in source and "WEEKLY_PATTERN = np.array(" in source
    assert source.index("WEEKLY_PATTERN") < source.index("def daily_views") < source.index("def views_windows")
    assert "RADIUS" not in source and "def spiral" not in source
    assert "RADIUS = 5.0" in generator_source("spiral")


def test_the_script_of_a_run_whose_data_file_is_gone_is_refused(tmp_path):
    from tui_dl.engine.errors import DataError

    path = shop_csv(tmp_path)
    state = trained(shop_config(path, "label", epochs=1)).checkpoint_state()
    path.unlink()
    with pytest.raises(DataError, match="the run's data file .*shop.csv no longer exists"):
        build_script(state)


def test_exported_checkpoint_files_work_after_a_save(tmp_path):
    trainer = trained(shop_config(shop_csv(tmp_path), "label", epochs=1))
    from tui_dl.engine.training.checkpoint import load_checkpoint

    state = load_checkpoint(saved(trainer, tmp_path / "shop.pt"))
    assert build_script(state) == build_script(trainer.checkpoint_state())


def test_the_script_writes_features_l1_and_the_schedule_as_small_functions():
    config = make_config("spiral", samples=100, epochs=4, regularization="l1", reg_rate=0.01, schedule="plateau",
                         warmup=1, decay_epochs=2)
    config.model.features = ["sin(x2)", "x1*x2"]
    text = build_script(trained(config).checkpoint_state(), "f.pt")
    assert "return torch.stack([x1 * x2, torch.sin(x2)], dim=1)" in text  # FEATURES' order, the engine's formulas
    assert "    x = input_features(x)  # the model's inputs" in text and "nn.Linear(2, 16)" in text
    assert "L1_RATE = 0.01" in text and "(loss + l1_penalty(model)).backward()" in text
    assert "def learning_rate(epoch, step, steps, reductions):" in text and "def count_plateau(" in text
    assert 'group["lr"] = learning_rate(epoch - 1, step, steps, plateau["reductions"])' in text
    assert "WARMUP = 1" in text and "DECAY_EPOCHS = 2" in text and "PLATEAU_THRESHOLD = 0.0001" in text
    assert "input features x1*x2, sin(x2)" in " ".join(text.split()) and "(plateau, 1 warm-up epoch), L1 0.01" in text
    assert max(len(line) for line in text.splitlines()) <= 110
    plain = build_script(trained(make_config("circle", samples=60, epochs=1)).checkpoint_state())
    assert "def learning_rate" not in plain and "l1_penalty" not in plain and "input_features" not in plain
    assert "            loss.backward()  # backward: the gradients\n" in plain
