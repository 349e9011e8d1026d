"""`tui-dl predict` and `tui-dl export-model` on the command line: output, notices, metrics, bad input (exit 2)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from model_fixtures import HEADER, saved, shop_config, shop_csv, shop_rows, validation_rows, without, write_csv

from helpers import REPO, cli_env
from tui_dl.engine.training.checkpoint import load_checkpoint, save_checkpoint


@pytest.fixture
def shop_run(tmp_path, runs_folder):
    """The shop table and a recorded classification run `shop` of it (under the runs folder)."""
    from tui_dl.engine.runs.recorder import RunRecorder
    from tui_dl.engine.training.trainer import Trainer

    path = shop_csv(tmp_path)
    trainer = Trainer(shop_config(path, "label", epochs=3))
    RunRecorder(trainer, runs_folder, "shop")
    assert trainer.run().status == "completed"
    return path, trainer


def test_predict_a_run_by_name_into_a_file(cli, tmp_path, shop_run):
    _, trainer = shop_run
    header, rows = without(HEADER, validation_rows(trainer, shop_rows()), "label")
    new = write_csv(tmp_path / "new.csv", header, rows)
    code, out, err = cli("predict", "shop", "--input", str(new), "--output", str(tmp_path / "out.csv"))
    assert code == 0 and out == ""
    lines = err.splitlines()
    assert lines[0] == "note: ignored 2 column(s) the model does not use: 'row_id', 'price'"
    assert lines[-1].startswith("24 rows of new.csv predicted by ") and "/shop/best.pt" in lines[-1]
    assert lines[-1].endswith(f"(epoch {trainer.best_epoch}) into {tmp_path / 'out.csv'}")
    written = list(csv.DictReader((tmp_path / "out.csv").open()))
    assert len(written) == 24 and written[0]["prediction"] in ("big", "small")


def test_predict_to_stdout_prints_the_metrics_on_rows_with_a_target(cli, tmp_path, shop_run):
    _, trainer = shop_run
    val = write_csv(tmp_path / "val.csv", HEADER, validation_rows(trainer, shop_rows()))
    code, out, err = cli("predict", "shop", "--input", str(val))
    assert code == 0
    assert len(list(csv.reader(io.StringIO(out)))) == 25  # the header and 24 rows
    best = trainer.history[trainer.best_epoch - 1].val_acc
    assert err.splitlines()[-1] == f"on the 24 rows with a target (label): accuracy {best:.1%}"


def test_predict_json_gives_an_object_per_row(cli, tmp_path, shop_run):
    path, _ = shop_run
    code, out, _ = cli("predict", "shop", "--input", str(path), "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(rows) == 120 and {"p_big", "p_small", "prediction", "size"} <= set(rows[0])


def bad_inputs(folder):
    header, rows = without(HEADER, shop_rows(5), "colour")
    (folder / "empty.csv").write_text("")
    (folder / "notes.txt").write_text("just some text\n")
    return {
        "missing column": (write_csv(folder / "a.csv", header, rows), "a.csv lacks the feature column(s) 'colour'"),
        "text in a number": (write_csv(folder / "b.csv", HEADER, [["1", "big", "red", "2024-03-01", "2", "x", "1"]]),
                             "column 'size', row 1: 'big' is not a number"),
        "empty file": (folder / "empty.csv", "empty.csv is empty"),
        "no such file": (folder / "nothing.csv", f"input file {folder / 'nothing.csv'} does not exist"),
    }


@pytest.mark.parametrize("case", ["missing column", "text in a number", "empty file", "no such file"])
def test_bad_input_is_one_error_line_and_exit_2(cli, tmp_path, shop_run, case):
    source, message = bad_inputs(tmp_path)[case]
    code, out, err = cli("predict", "shop", "--input", str(source), "--output", str(tmp_path / "out.csv"))
    assert code == 2 and err.startswith(f"error: {message}") and len(err.splitlines()) == 1
    assert not (tmp_path / "out.csv").exists()


def test_a_failed_prediction_leaves_the_output_file_as_it_was(cli, tmp_path, shop_run):
    rows = shop_rows(30) + [["1", "heavy", "red", "2024-03-01", "2", "big", "1"]]
    source = write_csv(tmp_path / "late.csv", HEADER, rows)
    (tmp_path / "out.csv").write_text("yesterday's predictions\n")
    code, _, err = cli("predict", "shop", "--input", str(source), "--output", str(tmp_path / "out.csv"))
    assert code == 2 and "row 31: 'heavy' is not a number" in err
    assert (tmp_path / "out.csv").read_text() == "yesterday's predictions\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out")) == []  # no temp file left


def test_predict_refuses_to_overwrite_its_input(cli, tmp_path, shop_run):
    path, _ = shop_run
    code, _, err = cli("predict", "shop", "--input", str(path), "--output", str(path))
    assert code == 2 and err == f"error: --output {path} is the input file: write the predictions elsewhere\n"


def test_predict_with_a_file_that_is_not_a_checkpoint(cli, tmp_path):
    (tmp_path / "model.pt").write_text("hello\n")
    code, _, err = cli("predict", str(tmp_path / "model.pt"), "--input", str(shop_csv(tmp_path)))
    assert code == 2 and err.startswith("error: model.pt is a text file (it starts 'hello'), not a tui-dl checkpoint")
    code, _, err = cli("predict", "shop")
    assert code == 2 and "--input" in err and err.startswith("error: ")


def test_predict_with_an_old_checkpoint_says_what_is_missing(cli, tmp_path, shop_run):
    path, trainer = shop_run
    state = trainer.checkpoint_state()
    del state["column_plan"]
    old = save_checkpoint(state, tmp_path / "old.pt")
    code, _, err = cli("predict", str(old), "--input", str(path))
    assert code == 2 and "it lacks column_plan" in err and f"--resume {old} --epochs 4" in err


def test_export_model_writes_onnx_and_the_script(cli, tmp_path, shop_run):
    pytest.importorskip("onnxruntime")
    code, _, err = cli("export-model", "shop", "--onnx", str(tmp_path / "m.onnx"), "--script", str(tmp_path / "t.py"))
    assert code == 0, err
    first, second = err.splitlines()
    assert first.startswith(f"wrote {tmp_path / 'm.onnx'} (input 'features': 8 raw features")
    assert "onnxruntime and torch differ by at most" in first
    assert second == f"wrote {tmp_path / 't.py'}: python {tmp_path / 't.py'} trains the same model again " \
                     "(--epochs N for fewer)"
    compile((tmp_path / "t.py").read_text(), "t.py", "exec")


def test_export_model_without_onnx_says_how_to_install_it(cli, tmp_path, shop_run, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    code, _, err = cli("export-model", "shop", "--onnx", str(tmp_path / "m.onnx"))
    assert code == 2 and err == ('error: ONNX export needs the onnx package, which is not installed: '
                                 'pip install "tui-dl[onnx]"  (or: pip install onnx onnxruntime)\n')


def test_export_model_needs_a_format(cli, shop_run):
    code, _, err = cli("export-model", "shop")
    assert code == 2 and err == "error: export-model needs --onnx FILE and/or --script FILE.py\n"


def test_predict_into_a_closed_pipe_ends_quietly(tmp_path, shop_run, runs_folder):
    path, _ = shop_run
    big = write_csv(tmp_path / "big.csv", HEADER, shop_rows(120) * 200)
    command = (f"{sys.executable} -m tui_dl predict {runs_folder / 'shop'} --input {big} | head -2")
    result = subprocess.run(command, shell=True, cwd=REPO, env=cli_env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stderr == "" and len(result.stdout.splitlines()) == 2


def test_a_checkpoint_file_is_also_accepted(cli, tmp_path, shop_run):
    path, trainer = shop_run
    checkpoint = saved(trainer, tmp_path / "shop.pt")
    assert load_checkpoint(checkpoint)["epoch"] == 3
    code, out, _ = cli("predict", str(checkpoint), "--input", str(path))
    assert code == 0 and out.startswith(",".join(HEADER) + ",prediction,p_big,p_small\n")
