"""Predicting new rows with a checkpoint's model: training's preprocessing, metrics, missing and unseen values,
bad input, chunks and bounded memory."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import torch
from model_fixtures import (
    HEADER,
    saved,
    shop_config,
    shop_csv,
    shop_rows,
    trained,
    validation_rows,
    without,
    write_csv,
)

from helpers import make_config
from tui_dl.engine.training.checkpoint import load_checkpoint, save_checkpoint
from tui_dl.engine.errors import CheckpointError, DataError
from tui_dl.engine.use.predict import predict_file
from tui_dl.engine.use.predictor import Predictor, find_checkpoint


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """A classification and a regression model of the shop table, with their trainers and checkpoints."""
    folder = tmp_path_factory.mktemp("shop")
    path = shop_csv(folder)
    out = {"folder": folder, "csv": path, "rows": shop_rows()}
    for target in ("label", "price"):
        trainer = trained(shop_config(path, target, epochs=4))
        out[target] = (trainer, saved(trainer, folder / f"{target}.pt"))
    return out


def predicted(predictor: Predictor, path: Path, **kwargs) -> tuple[list[dict], object]:
    out = io.StringIO()
    report = predict_file(predictor, path, out, **kwargs)
    return list(csv.DictReader(io.StringIO(out.getvalue()))), report


def test_rows_without_the_target_reproduce_the_validation_accuracy(shop, tmp_path):
    trainer, checkpoint = shop["label"]
    val = validation_rows(trainer, shop["rows"])
    header, rows = without(HEADER, val, "label")
    out, report = predicted(Predictor.load(checkpoint), write_csv(tmp_path / "new.csv", header, rows))
    truth = [row[HEADER.index("label")] for row in val]
    accuracy = np.mean([r["prediction"] == t for r, t in zip(out, truth)])
    assert accuracy == pytest.approx(trainer.history[-1].val_acc, abs=1e-12)
    assert report.scores is None and len(out) == len(val)
    assert list(out[0]) == header + ["prediction", "p_big", "p_small"]
    probabilities = np.array([[float(r["p_big"]), float(r["p_small"])] for r in out])
    assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)


def test_rows_with_the_target_report_the_metrics_training_measured(shop, tmp_path):
    for target, keys in (("label", ("val_acc",)), ("price", ("val_mae", "val_r2"))):
        trainer, checkpoint = shop[target]
        predictor = Predictor.load(checkpoint)
        _, report = predicted(predictor, write_csv(tmp_path / "val.csv", HEADER, validation_rows(trainer, shop["rows"])))
        metrics = report.scores.metrics()
        for key in keys:
            assert metrics[key.removeprefix("val_")] == pytest.approx(getattr(trainer.history[-1], key), rel=1e-5)
        assert report.metrics_text(predictor).startswith(f"on the 24 rows with a target ({target}): ")


def test_regression_predictions_are_in_the_targets_units(shop, tmp_path):
    trainer, checkpoint = shop["price"]
    out, _ = predicted(Predictor.load(checkpoint), shop["csv"])
    prices = np.array([float(r["price"]) for r in out])
    guesses = np.array([float(r["prediction"]) for r in out])
    assert abs(guesses.mean() - prices.mean()) < 0.3 * prices.std()  # not in standardized units around 0
    assert list(out[0])[-1] == "prediction"


def test_missing_values_are_filled_in_as_training_did(shop, tmp_path):
    predictor = Predictor.load(shop["label"][1])
    assert set(predictor.fills) == {"size"} and predictor.fills["size"] == shop["label"][0].data.fill_values["size"]
    rows = [["1", "", "", "2024-03-02", "4.0", "big", "1"], ["2", "5.0", "red", "2024-03-02", "4.0", "big", "1"]]
    encoded = predictor.encode(dict(zip(HEADER, map(list, zip(*rows)))))
    j = predictor.feature_names.index("size")
    assert encoded.x[0, j] == predictor.fills["size"] and encoded.x[0, j + 1] == 1.0  # the value and its indicator
    assert encoded.x[0, predictor.feature_names.index("colour=(missing)")] == 1.0
    assert encoded.imputed == {"size": 1, "colour": 1} and not encoded.empty.any()
    _, report = predicted(predictor, write_csv(tmp_path / "gaps.csv", HEADER, rows))
    assert any("filled in 1 missing value(s) of 'size' with the training split's median" in n
               for n in report.notices(predictor))


def test_a_missing_value_training_never_filled_in_gives_an_empty_prediction(shop, tmp_path):
    predictor = Predictor.load(shop["label"][1])
    rows = [["1", "5", "red", "", "4.0", "big", "1"], ["2", "5", "red", "2024-03-02", "NA", "big", "1"],
            ["3", "5", "red", "2024-03-02", "4.0", "big", "1"]]
    out, report = predicted(predictor, write_csv(tmp_path / "gaps.csv", HEADER, rows))
    assert [r["prediction"] for r in out] == ["", "", out[2]["prediction"]] and out[2]["prediction"]
    assert out[0]["p_big"] == "" and report.empty == 2
    assert report.not_filled == {"bought": 1, "weight": 1}
    notice = next(n for n in report.notices(predictor) if "empty prediction" in n)
    assert notice.startswith("2 row(s) have an empty prediction") and "'bought' 1, 'weight' 1" in notice
    assert report.scores.rows == 1  # the empty rows do not count in the metrics


def test_an_unseen_category_is_all_zeros_with_a_notice(shop, tmp_path):
    predictor = Predictor.load(shop["label"][1])
    rows = [[str(i), "5", colour, "2024-03-02", "4.0", "big", "1"] for i, colour in
            enumerate(["purple", "red", "purple", "teal"])]
    encoded = predictor.encode(dict(zip(HEADER, map(list, zip(*rows)))))
    onehot = [predictor.feature_names.index(f"colour={c}") for c in ("blue", "green", "red", "(missing)")]
    assert not encoded.x[0, onehot].any() and encoded.x[1, onehot].tolist() == [0, 0, 1, 0]
    _, report = predicted(predictor, write_csv(tmp_path / "new.csv", HEADER, rows))
    assert "3 row(s) have a value of 'colour' not seen in training ('purple', 'teal'): one-hot as all zeros" \
        in report.notices(predictor)


def test_extra_columns_are_ignored_with_a_notice_and_old_predictions_replaced(shop, tmp_path):
    predictor = Predictor.load(shop["label"][1])
    header = ["note", *HEADER, "prediction"]
    rows = [["hello", *row, "old"] for row in shop["rows"][:5]]
    out, report = predicted(predictor, write_csv(tmp_path / "more.csv", header, rows))
    assert list(out[0]) == ["note", *HEADER, "prediction", "p_big", "p_small"] and out[0]["prediction"] != "old"
    assert report.ignored == ["note", "row_id", "price", "prediction"]
    assert "ignored 4 column(s) the model does not use: 'note', 'row_id', 'price', 'prediction'" in \
        report.notices(predictor)


@pytest.mark.parametrize(("header", "rows", "message"), [
    (without(HEADER, [], "size")[0], [], "new.csv lacks the feature column(s) 'size' the model was trained on"),
    (HEADER, [["1", "5", "red", "2024-03-02", "heavy", "big", "1"]], "column 'weight', row 1: 'heavy' is not a number"),
    (HEADER, [["1", "5", "red", "2024-03-02", "4", "big", "1"]] * 3 + [["2", "5", "red", "March", "4", "big", "1"]],
     "column 'bought', row 4: 'March' is not an ISO date"),
    (HEADER, [["1", "5", "red"]], "new.csv: row 1 has 3 fields but the header has 7"),
    (HEADER, [], "new.csv has a header but no rows to predict"),
])
def test_bad_rows_are_refused_naming_the_column_and_row(shop, tmp_path, header, rows, message):
    predictor = Predictor.load(shop["label"][1])
    with pytest.raises(DataError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        predict_file(predictor, write_csv(tmp_path / "new.csv", header, rows), io.StringIO())


def test_an_empty_or_binary_file_is_refused(shop, tmp_path):
    predictor = Predictor.load(shop["label"][1])
    (tmp_path / "empty.csv").write_text("  \n")
    with pytest.raises(DataError, match="^empty.csv is empty$"):
        predict_file(predictor, tmp_path / "empty.csv", io.StringIO())
    (tmp_path / "data.bin").write_bytes(b"\x00\x01\x02" * 10)
    with pytest.raises(DataError, match="binary file"):
        predict_file(predictor, tmp_path / "data.bin", io.StringIO())


def test_chunks_give_the_same_output_as_one_pass(shop):
    predictor = Predictor.load(shop["price"][1])
    whole, small = io.StringIO(), io.StringIO()
    predict_file(predictor, shop["csv"], whole)
    report = predict_file(predictor, shop["csv"], small, chunk=7)
    assert small.getvalue() == whole.getvalue() and report.rows == 120


def test_memory_stays_bounded_by_the_chunk_not_the_file(shop, tmp_path):
    predictor = Predictor.load(shop["label"][1])
    rows = shop_rows(600)

    def peak(copies: int) -> int:
        path = write_csv(tmp_path / f"big{copies}.csv", HEADER, rows * copies)

        class Sink(io.TextIOBase):  # output is thrown away: only what predicting holds counts
            def write(self, text):
                return len(text)

        tracemalloc.start()
        predict_file(predictor, path, Sink(), chunk=500)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak

    small, large = peak(1), peak(20)  # 600 rows, 12,000 rows
    assert large < 1.5 * small


def test_json_lines_hold_the_row_and_its_prediction(shop, tmp_path):
    predictor = Predictor.load(shop["label"][1])
    rows = shop["rows"][:3] + [["9", "5", "red", "", "4", "big", "1"]]
    out = io.StringIO()
    predict_file(predictor, write_csv(tmp_path / "new.csv", HEADER, rows), out, as_json=True)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == 4 and lines[0]["row_id"] == "1000" and lines[0]["prediction"] in ("big", "small")
    assert isinstance(lines[0]["p_big"], float) and lines[3]["prediction"] is None and lines[3]["p_big"] is None


def test_a_semicolon_file_with_decimal_commas_reads_as_training_read_it(tmp_path):
    rows = [[r[1].replace(".", ","), r[2], r[4].replace(".", ","), r[5]] for r in shop_rows(80)]
    header = ["size", "colour", "weight", "label"]
    path = write_csv(tmp_path / "semi.csv", header, rows, delimiter=";")
    trainer = trained(make_config(str(path), epochs=2))
    predictor = Predictor(trainer.checkpoint_state())
    _, report = predicted(predictor, path)
    full = trainer.measure(torch.cat([trainer.data.x_train, trainer.data.x_val]),
                           torch.cat([trainer.data.y_train, trainer.data.y_val]))
    assert report.scores.metrics()["acc"] == pytest.approx(full["acc"])


def test_an_old_checkpoint_without_the_column_plan_says_what_is_missing(shop, tmp_path):
    state = load_checkpoint(shop["label"][1])
    del state["column_plan"], state["fill_values"]
    old = save_checkpoint(state, tmp_path / "old.pt")
    with pytest.raises(CheckpointError) as caught:
        Predictor.load(old)
    message = str(caught.value)
    assert message.startswith(f"{old} was saved by an older tui-dl: it lacks column_plan, fill_values")
    assert f"tui-dl train --resume {old} --epochs 5 --save NEW.pt" in message


def test_data_without_a_plan_reads_its_features_by_name(tmp_path):
    trainer = trained(make_config("spiral", samples=200, epochs=2))
    predictor = Predictor(trainer.checkpoint_state())
    raw = trainer.data.raw
    rows = [[f"{a:.9g}", f"{b:.9g}", str(int(y))] for (a, b), y in zip(raw.x[:50], raw.y[:50])]
    out, report = predicted(predictor, write_csv(tmp_path / "points.csv", ["x1", "x2", "y"], rows))
    expected = predictor.run(raw.x[:50]).argmax(axis=1)
    assert [r["prediction"] for r in out] == [raw.class_names[k] for k in expected]
    assert report.scores.rows == 50 and report.scores.unknown == 50  # y holds class indices, not the arm names


def test_npz_and_idx_samples_are_predicted_with_their_labels_scored(tmp_path):
    from tui_dl.engine.data.files import load_idx

    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (60, 4, 4), dtype=np.uint8)
    labels = (images.reshape(60, -1).mean(axis=1) > 127).astype(np.uint8)
    for name, array in (("train-images-idx3-ubyte", images), ("train-labels-idx1-ubyte", labels)):
        header = bytes([0, 0, 8, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
        (tmp_path / name).write_bytes(header + array.tobytes())
    trainer = trained(make_config(str(tmp_path / "train-images-idx3-ubyte"), epochs=2))
    predictor = Predictor(trainer.checkpoint_state())
    assert predictor.image_shape == (4, 4)
    raw = load_idx(tmp_path / "train-images-idx3-ubyte")
    out, report = predicted(predictor, tmp_path / "train-images-idx3-ubyte")
    expected = predictor.run(raw.x).argmax(axis=1)
    assert [r["prediction"] for r in out] == [raw.class_names[k] for k in expected]
    assert list(out[0])[:2] == ["row", "target"] and out[0]["row"] == "1"
    assert report.scores.metrics()["acc"] == pytest.approx(np.mean(expected == raw.y))
    np.savez(tmp_path / "new.npz", x=raw.x[:10])  # no y: no target column, no metrics
    out, report = predicted(predictor, tmp_path / "new.npz")
    assert [r["prediction"] for r in out] == [raw.class_names[k] for k in expected[:10]] and report.scores is None
    np.savez(tmp_path / "wide.npz", x=np.zeros((3, 5)))
    with pytest.raises(DataError, match="wide.npz has 5 values per sample, but the model takes 16"):
        predict_file(predictor, tmp_path / "wide.npz", io.StringIO())


def test_a_checkpoint_is_found_by_file_run_folder_name_or_prefix(tmp_path, monkeypatch):
    from tui_dl.engine.runs.recorder import RunError, RunRecorder
    from tui_dl.engine.training.trainer import Trainer

    root = tmp_path / "runs"
    trainer = Trainer(make_config("circle", samples=60, epochs=1))
    RunRecorder(trainer, root, "circle-run")
    assert trainer.run().status == "completed"  # the record, best.pt included, is written when the run ends
    best = root / "circle-run" / "best.pt"
    assert find_checkpoint(str(best), root) == best
    assert find_checkpoint(str(root / "circle-run"), root) == best
    assert find_checkpoint("circle", root) == best
    monkeypatch.chdir(tmp_path)
    (tmp_path / "circle-run").mkdir()  # a folder named like the run, here: the run still wins
    assert find_checkpoint("circle-run", root) == best
    (tmp_path / "plain").mkdir()
    with pytest.raises(CheckpointError, match="plain is a folder but not a tui-dl run"):
        find_checkpoint("plain", root)
    with pytest.raises(RunError, match="no run 'nothing'"):
        find_checkpoint("nothing", root)
