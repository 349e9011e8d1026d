"""Bad input, table-driven: every CLI flag and UI field, and broken files, give one clear message."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from helpers import SIZE, set_field, small_config, wait_for
from tui_dl.ui.app import make_app
from tui_dl.ui.form import Field


def write_bad_files(folder: Path) -> dict[str, Path]:
    """One broken data file of each kind, by name."""
    files = {
        "empty.csv": b"",
        "garbage.csv": bytes(range(256)) * 8,
        "ragged.csv": ("a,b,y\n" + "".join(f"{i},{i},{i % 2}\n" for i in range(12)) + "1,2\n").encode(),
        "half_missing.csv": ("a,b,y\n" + "".join(f"{i},,{i % 2}\n" if i % 2 else f",{i},{i % 2}\n"
                                                  for i in range(12))).encode(),
        "all_missing.csv": ("a,b,y\n" + "".join(f",NA,{i % 2}\n" for i in range(12))).encode(),
        "one_class.csv": ("a,b,y\n" + "".join(f"{i},{i},yes\n" for i in range(12))).encode(),
        "bad-images-idx3-ubyte": b"\x00\x00\x07\x03" + b"\x00" * 64,
        "short-images-idx3-ubyte": b"\x00\x00\x08\x03" + (100).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2 + b"\0" * 50,
        "garbage.npz": b"PK\x03\x04 not a zip at all",
    }
    paths = {}
    for name, content in files.items():
        paths[name] = folder / name
        paths[name].write_bytes(content)
    (folder / "short-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01" + (100).to_bytes(4, "big") + b"\0" * 100)
    (folder / "bad-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01" + (1).to_bytes(4, "big") + b"\0")
    np.savez(folder / "no_x.npz", features=np.ones((20, 2)), y=np.zeros(20))
    paths["no_x.npz"] = folder / "no_x.npz"
    paths["toml"] = folder / "broken.toml"
    paths["toml"].write_bytes(gzip.compress(b"[model]\nlayers = 3\n"))
    paths["ckpt"] = folder / "random.pt"
    paths["ckpt"].write_bytes(np.random.default_rng(0).bytes(4096))
    return paths


CLI_CASES = [
    (["--lr", "abc"], "expected a number, got 'abc'"),
    (["--lr", "-1"], "learning rate must be > 0 and at most 100, got -1.0"),
    (["--lr", "0"], "learning rate must be > 0"),
    (["--lr", "nan"], "expected a finite number, got 'nan'"),
    (["--lr", "inf"], "expected a finite number, got 'inf'"),
    (["--lr", "1e9"], "learning rate must be > 0 and at most 100"),
    (["--epochs", "0"], "epochs must be a whole number from 1"),
    (["--epochs", "-5"], "epochs must be a whole number from 1"),
    (["--epochs", "2.5"], "expected a whole number, got '2.5'"),
    (["--epochs", ""], "expected a whole number, got ''"),
    (["--batch-size", "0"], "batch size must be a whole number from 1"),
    (["--batch-size", "1e9"], "expected a whole number, got '1e9'"),
    (["--layers", "10000"], "hidden layers must be a whole number from 0 to 64, got 10000"),
    (["--layers", "-1"], "hidden layers must be a whole number from 0 to 64, got -1"),
    (["--neurons", "1000000000"], "neurons per layer must be from 1 to 65,536, got 1000000000"),
    (["--neurons", "0"], "neurons per layer must be from 1 to 65,536, got 0"),
    (["--neurons", "16,abc"], "expected a whole number, got 'abc'"),
    (["--neurons", ""], "expected a number of neurons"),
    (["--neurons", "8,8,8", "--layers", "2"], "3 layer widths given for 2 hidden layers"),
    (["--dropout", "1"], "dropout must be at least 0 and below 1, got 1.0"),
    (["--dropout", "-0.1"], "dropout must be at least 0 and below 1"),
    (["--momentum", "1.5"], "momentum must be at least 0 and below 1, got 1.5"),
    (["--weight-decay", "-1"], "regularization rate must be from 0 to 10, got -1.0"),
    (["--weight-decay", "0.01", "--regularization", "l1"],
     "--weight-decay RATE is --regularization l2 --reg-rate RATE: give one or the other"),
    (["--reg-rate", "11"], "regularization rate must be from 0 to 10, got 11.0"),
    (["--regularization", "l1", "--reg-rate", "0"], "a regularization rate of 0 does nothing: give a rate above 0 "
                                                    "for L1, or choose none"),
    (["--regularization", "l3"], "argument --regularization: invalid choice: 'l3'"),
    (["--features", "x1,x3"], "input features must be among x1, x2, x1^2, x2^2, x1*x2, sin(x1), sin(x2), got 'x3'"),
    (["--features", ","], "expected input features separated by commas"),
    (["--features", "x1,x1^2", "--dataset", "sine"], "input features (x1, x1^2) are for data sets with 2 inputs; "
                                                     "sine has 1"),
    (["--schedule", "exp"], "argument --schedule: invalid choice: 'exp'"),
    (["--warmup", "1"], "warm-up must be shorter than the run's 1 epochs, got 1"),
    (["--decay-factor", "1.5"], "decay factor must be above 0 and below 1, got 1.5"),
    (["--decay-epochs", "0"], "decay epochs must be a whole number from 1"),
    (["--val-split", "0.99"], "validation split must be at least 0 and below 0.95, got 0.99"),
    (["--val-split", "-0.1"], "validation split must be at least 0"),
    (["--test-split", "0.6"], "test split must be at least 0 and below 0.5, got 0.6"),
    (["--samples", "5"], "samples must be a whole number from 10"),
    (["--samples", "1e9"], "expected a whole number, got '1e9'"),
    (["--noise", "2"], "noise must be between 0 and 1, got 2.0"),
    (["--window", "0"], "window must be a whole number of days from 1 to 60, got 0"),
    (["--seed", "-1"], "seed must be a whole number >= 0, got -1"),
    (["--device", "cuda:7"], "device cuda:7 is not available"),
    (["--device", "tpu"], "device must be auto, cpu, mps, cuda or cuda:N, got 'tpu'"),
    (["--activation", "swish"], "argument --activation: invalid choice: 'swish'"),
    (["--optimizer", "lbfgs"], "argument --optimizer: invalid choice: 'lbfgs'"),
    (["--task", "clustering"], "argument --task: invalid choice: 'clustering'"),
    (["--dataset", "nonexistent"], "unknown data set 'nonexistent'"),
    (["--dataset", ""], "data set must be a registered name or a file path, got nothing"),
    (["--early-stop", "-1"], "early-stopping patience must be a whole number >= 0"),
    (["--target", "x1"], "--target, --exclude and --include apply to CSV files; spiral is a built-in data set"),
    (["--exclude", "x1"], "--target, --exclude and --include apply to CSV files; spiral is a built-in data set"),
    (["--config", "{dir}/missing.toml"], "cannot read config file"),
    (["--config", "{toml}"], "is not UTF-8 text"),
    (["--resume", "{dir}/missing.pt"], "does not exist"),
    (["--resume", "{ckpt}"], "random.pt is binary data in no format tui-dl reads"),
    (["--dataset", "{dir}/no/such/file.csv"], "unknown data set"),
    (["--dataset", "{empty.csv}"], "empty.csv is empty"),
    (["--dataset", "{garbage.csv}"], "garbage.csv is a binary file, not CSV text"),
    (["--dataset", "{ragged.csv}"], "ragged.csv: row 14 has 2 fields but the header has 3"),
    (["--dataset", "{all_missing.csv}"], "all_missing.csv has no usable feature columns besides the target 'y' "
                                         "(left out: 'a': mostly missing: 100% of its values are missing;"),
    (["--dataset", "{half_missing.csv}", "--missing", "drop"],
     "half_missing.csv: only 0 rows remain after dropping rows with missing"),
    (["--dataset", "{half_missing.csv}", "--exclude", "c"], "half_missing.csv has no column 'c' to exclude"),
    (["--dataset", "{ragged.csv}", "--target", "nope"], "ragged.csv"),
    (["--dataset", "{one_class.csv}"], "one_class.csv column 'y' has only one class (yes)"),
    (["--dataset", "{bad-images-idx3-ubyte}"], "bad-images-idx3-ubyte is not an IDX file (wrong magic number)"),
    (["--dataset", "{short-images-idx3-ubyte}"], "short-images-idx3-ubyte is truncated"),
    (["--dataset", "{no_x.npz}"], "no_x.npz has no array named 'x'"),
    (["--dataset", "{garbage.npz}"], "garbage.npz is not a valid .npz archive"),
]


@pytest.mark.parametrize(("flags", "expected"), CLI_CASES, ids=[" ".join(f) for f, _ in CLI_CASES])
def test_cli_bad_input_exits_2_with_one_clear_line(cli, tmp_path, flags, expected):
    names = {"dir": tmp_path, **write_bad_files(tmp_path)}
    argv = []
    for flag in flags:
        for name, path in names.items():
            flag = flag.replace(f"{{{name}}}", str(path))
        argv.append(flag)
    code, out, err = cli("train", "--epochs", "1", "--device", "cpu", *argv)  # later flags win
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert expected in lines[0]
    assert "Traceback" not in err


UI_FIELD_CASES = [
    ("train-lr", "-1", "learning rate must be > 0"),
    ("train-lr", "abc", "learning rate must be a number, got 'abc'"),
    ("train-lr", "nan", "learning rate must be a finite number"),
    ("train-lr", "", "learning rate is empty"),
    ("train-batch_size", "0", "batch size must be a whole number from 1"),
    ("train-batch_size", "1e9", "batch size must be a whole number, got '1e9'"),
    ("train-epochs", "-3", "epochs must be a whole number from 1"),
    ("train-momentum", "2", "momentum must be at least 0 and below 1"),
    ("train-reg_rate", "inf", "regularization rate must be a finite number"),
    ("train-warmup", "x", "warm-up must be a whole number, got 'x'"),
    ("train-decay_factor", "2", "decay factor must be above 0 and below 1, got 2.0"),
    ("train-decay_epochs", "0", "decay epochs must be a whole number from 1"),
    ("train-early_stop", "-1", "early-stopping patience must be a whole number >= 0"),
    ("train-seed", "x", "seed must be a whole number, got 'x'"),
    ("model-layers", "10000", "hidden layers must be a whole number from 0 to 64"),
    ("model-neurons", "1000000000", "neurons per layer must be from 1 to 65,536"),
    ("model-neurons", "8,abc", "neurons must be whole numbers separated by commas"),
    ("model-neurons", "8,8,8", "3 layer widths given for 2 hidden layers"),
    ("model-dropout", "1", "dropout must be at least 0 and below 1"),
    ("data-val_split", "0.99", "validation split must be at least 0 and below 0.95"),
    ("data-test_split", "0.7", "test split must be at least 0 and below 0.5"),
    ("data-samples", "5", "samples must be a whole number from 10"),
    ("data-noise", "-1", "noise must be between 0 and 1"),
    ("data-seed", "0.5", "data seed must be a whole number, got '0.5'"),
]


async def test_ui_bad_fields_are_marked_with_the_reason_and_block_the_start(tmp_path: Path):
    app = make_app(small_config(), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None)
        for field_id, value, expected in UI_FIELD_CASES:
            field = app.query_one(f"#{field_id}-field", Field)
            good = field.editor.value
            await set_field(pilot, field_id, value)
            assert field.has_class("-invalid"), field_id
            assert expected in str(field.query_one(".error").render()), (field_id, value)
            await pilot.press("f5")
            await pilot.pause(0.05)
            assert app.shown.link is None, (field_id, value)
            await set_field(pilot, field_id, good)
            assert not field.has_class("-invalid"), field_id
        await pilot.press("f5")
        await wait_for(pilot, lambda: app.shown.run_state == "completed")


UI_FILE_CASES = ["empty.csv", "garbage.csv", "ragged.csv", "all_missing.csv", "one_class.csv",
                 "bad-images-idx3-ubyte", "short-images-idx3-ubyte", "no_x.npz", "garbage.npz"]


async def test_ui_bad_files_show_a_message_and_the_app_keeps_working(tmp_path: Path):
    paths = write_bad_files(tmp_path)
    app = make_app(small_config(), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None)
        panel = app.query_one("#dataset-panel")
        for name in UI_FILE_CASES:
            panel.choose(str(paths[name]))
            await wait_for(pilot, lambda: app.shown.raw is None and name in str(app.query_one("#dataset-info").render()))
            info = str(app.query_one("#dataset-info").render())
            assert "Traceback" not in info
            await pilot.press("f5")
            await wait_for(pilot, lambda: any(name in str(n.message) for n in app._notifications))
            await wait_for(pilot, lambda: app.shown.run_state == "failed")
        panel.choose("spiral")
        await wait_for(pilot, lambda: app.shown.raw is not None and app.shown.raw.name == "spiral")
        await pilot.press("f5")
        await wait_for(pilot, lambda: app.shown.run_state == "completed")
