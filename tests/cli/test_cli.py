"""The headless CLI: `train --json`, save / resume, error messages, signals, `datasets`, `fetch`."""

from __future__ import annotations

import json
import re
import pickle
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import REPO, cli_env

from tui_dl.engine.training.checkpoint import load_checkpoint
from tui_dl.engine.data.registry import REGISTRY

EPOCH_KEYS = {"event", "epoch", "step", "train_loss", "val_loss", "lr", "samples_per_s", "seconds",
              "weight_norms", "grad_norms", "weight_counts"}
DONE_KEYS = {"event", "status", "epochs", "best_epoch", "best_val_loss", "checkpoint", "run", "seconds"}


def json_lines(out: str) -> list[dict]:
    lines = out.splitlines()
    assert lines, "no output"
    return [json.loads(line) for line in lines]  # every stdout line is JSON


def assert_one_error_line(err: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in err


def test_train_json_classification(cli):
    code, out, err = cli("train", "--dataset", "circle", "--samples", "100", "--epochs", "3", "--json",
                         "--device", "cpu")
    assert code == 0, err
    events = json_lines(out)
    start, epochs, done = events[0], events[1:-1], events[-1]
    assert start["event"] == "start" and start["features"] == ["x1", "x2"] and start["rows"] == 100
    assert [e["epoch"] for e in epochs] == [1, 2, 3]
    for e in epochs:
        assert e["event"] == "epoch"
        assert set(e) == EPOCH_KEYS | {"train_acc", "val_acc"}
        assert 0 <= e["train_acc"] <= 1 and 0 <= e["val_acc"] <= 1
        assert e["lr"] == 0.01 and e["samples_per_s"] > 0 and e["seconds"] > 0
        assert e["train_loss"] > 0 and e["val_loss"] > 0
    assert set(done) == DONE_KEYS
    assert done["event"] == "done" and done["status"] == "completed" and done["epochs"] == 3
    assert done["checkpoint"] is None
    assert done["best_val_loss"] == min(e["val_loss"] for e in epochs)
    assert epochs[done["best_epoch"] - 1]["val_loss"] == done["best_val_loss"]


def test_train_json_regression(cli):
    code, out, err = cli("train", "--dataset", "plane", "--samples", "100", "--epochs", "2", "--json",
                         "--device", "cpu")
    assert code == 0, err
    epochs = json_lines(out)[1:-1]
    for e in epochs:
        assert set(e) == EPOCH_KEYS | {"val_mae", "val_r2"}
        assert e["val_r2"] <= 1 and e["val_mae"] > 0


def test_train_human_output(cli):
    code, out, err = cli("train", "--dataset", "circle", "--samples", "100", "--epochs", "2", "--device", "cpu")
    assert code == 0, err
    assert "2 -> 16 -> 16 -> 2, relu, 354 params" in out
    assert "epoch 1/2" in out and "epoch 2/2" in out and "acc " in out
    assert "completed: 2 epochs" in out


def test_diverged_run_exits_1_and_writes_no_untrained_checkpoint(cli, tmp_path):
    code, out, err = cli("train", "--dataset", "plane", "--samples", "100", "--optimizer", "sgd", "--lr", "100",
                         "--epochs", "5", "--json", "--device", "cpu", "--save", str(tmp_path / "d.ckpt"))
    assert code == 1
    done = json_lines(out)[-1]
    assert done["status"] == "diverged" and done["epochs"] == 0 and done["checkpoint"] is None
    assert_one_error_line(err)
    assert "training diverged in epoch 1" in err
    assert not (tmp_path / "d.ckpt").exists()


def test_diverging_resume_keeps_the_last_good_checkpoint(cli, tmp_path):
    ckpt = str(tmp_path / "good.ckpt")
    base = ("train", "--dataset", "plane", "--samples", "100", "--optimizer", "sgd", "--json", "--device", "cpu")
    assert cli(*base, "--lr", "0.01", "--epochs", "2", "--save", ckpt)[0] == 0
    code, out, err = cli(*base, "--lr", "100", "--epochs", "6", "--resume", ckpt, "--save", ckpt)
    assert code == 1 and "diverged" in err
    state = load_checkpoint(ckpt)
    assert state["epoch"] == 2
    assert all(torch.isfinite(t).all() for t in state["model"].values())


def test_early_stop_flag(cli):
    code, out, err = cli("train", "--dataset", "circle", "--samples", "100", "--noise", "1", "--layers", "3",
                         "--neurons", "64", "--lr", "0.05", "--epochs", "300", "--early-stop", "3", "--json",
                         "--device", "cpu")
    assert code == 0, err
    events = json_lines(out)
    done = events[-1]
    assert done["status"] == "early_stopped" and done["epochs"] == len(events) - 2 < 300
    assert done["epochs"] - done["best_epoch"] == 3


def test_save_then_resume_continues_the_epoch_count(cli, tmp_path):
    first = tmp_path / "first.ckpt"
    code, out, err = cli("train", "--dataset", "spiral", "--samples", "100", "--epochs", "2", "--json",
                         "--device", "cpu", "--neurons", "8", "--lr", "0.02", "--save", str(first))
    assert code == 0, err
    done = json_lines(out)[-1]
    assert done["checkpoint"] == str(first) and done["epochs"] == 2
    assert load_checkpoint(first)["epoch"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first.ckpt", "runs"]

    second = tmp_path / "second.ckpt"
    code, out, err = cli("train", "--resume", str(first), "--epochs", "4", "--json", "--save", str(second))
    assert code == 0, err
    events = json_lines(out)
    assert [e["epoch"] for e in events[1:-1]] == [3, 4]
    assert events[1]["lr"] == 0.02  # settings come from the checkpoint
    assert events[-1]["epochs"] == 4 and events[-1]["checkpoint"] == str(second)
    state = load_checkpoint(second)
    assert state["epoch"] == 4 and [m["epoch"] for m in state["history"]] == [1, 2, 3, 4]
    assert state["config"]["model"]["neurons"] == [8]


def test_config_file_with_flag_overrides(cli, tmp_path):
    (tmp_path / "run.toml").write_text('[data]\ndataset = "xor"\nsamples = 80\n[model]\nlayers = 1\nneurons = 4\n'
                                      '[train]\nepochs = 1\nlr = 0.05\n')
    code, out, err = cli("train", "--config", str(tmp_path / "run.toml"), "--epochs", "2", "--device", "cpu")
    assert code == 0, err
    assert out.startswith("xor") and "2 -> 4 -> 2, relu, 22 params" in out
    assert "lr 0.05" in out and "epoch 2/2" in out


def test_per_layer_neurons_set_the_layer_count(cli):
    code, out, err = cli("train", "--dataset", "circle", "--samples", "60", "--epochs", "1", "--neurons", "8,4")
    assert code == 0, err
    assert "2 -> 8 -> 4 -> 2" in out


def test_csv_notices_are_shown(cli, tmp_path):
    rows = ["a,b,y"] + [f"{i},{i % 3},{i % 2}" for i in range(20)]
    rows[4] = "3,,1"
    (tmp_path / "d.csv").write_text("\n".join(rows) + "\n")
    code, out, err = cli("train", "--dataset", str(tmp_path / "d.csv"), "--epochs", "1")
    assert code == 0, err
    assert "note: filled in missing values of 'b' 1 (of 20 rows)" in out


@pytest.fixture
def not_a_checkpoint(tmp_path):
    path = tmp_path / "noise.ckpt"
    path.write_bytes(np.random.default_rng(1).integers(0, 256, 2048, dtype=np.uint8).tobytes())
    return path


@pytest.mark.parametrize(("args", "message"), [
    (["--lr", "fast"], "argument --lr: expected a number, got 'fast'"),
    (["--lr", "-1"], "learning rate must be > 0 and at most 100, got -1"),
    (["--lr", "nan"], "argument --lr: expected a finite number, got 'nan'"),
    (["--lr", "inf"], "expected a finite number"),
    (["--dataset", "bogus"], "unknown data set 'bogus'"),
    (["--dataset", "{tmp}/missing.csv"], "missing.csv"),
    (["--activation", "bogus"], "argument --activation: invalid choice: 'bogus'"),
    (["--neurons", "0"], "neurons per layer must be from 1"),
    (["--neurons", "8,x"], "expected a whole number, got 'x'"),
    (["--epochs", "2.5"], "argument --epochs: expected a whole number, got '2.5'"),
    (["--samples", "3"], "samples must be a whole number from 10"),
    (["--task", "regression", "--dataset", "iris"], "iris is a classification data set"),
    (["--optimizer", "lbfgs"], "invalid choice: 'lbfgs'"),
    (["--config", "{tmp}/none.toml"], "cannot read config file"),
    (["--resume", "{tmp}/none.ckpt"], "does not exist"),
    (["--resume", "{noise}"], "noise.ckpt"),
    (["--no-such-flag"], "unrecognized arguments: --no-such-flag"),
])
def test_train_errors_are_one_line_with_status_2(cli, tmp_path, not_a_checkpoint, args, message):
    argv = [a.format(tmp=tmp_path, noise=not_a_checkpoint) for a in args]
    code, out, err = cli("train", "--epochs", "1", *argv)
    assert code == 2
    assert_one_error_line(err)
    assert message in err
    assert out == ""


def test_resume_of_a_different_data_set_is_a_clear_error(cli, tmp_path):
    path = tmp_path / "c.ckpt"
    assert cli("train", "--dataset", "circle", "--samples", "60", "--epochs", "1", "--save", str(path))[0] == 0
    code, _, err = cli("train", "--resume", str(path), "--dataset", "iris", "--epochs", "2")
    assert code == 2
    assert_one_error_line(err)
    assert "trained on 2 inputs -> 2 outputs" in err


def test_resume_of_a_csv_file_is_a_clear_error(cli):
    code, _, err = cli("train", "--resume", str(REPO / "datasets" / "iris.csv"))
    assert code == 2
    assert_one_error_line(err)


def test_config_with_a_non_table_section_is_a_clear_error(cli, tmp_path):
    (tmp_path / "bad.toml").write_text('train = "fast"\n')
    code, _, err = cli("train", "--config", str(tmp_path / "bad.toml"))
    assert code == 2
    assert_one_error_line(err)


def test_error_paths_in_a_subprocess(subprocess_cli, tmp_path, not_a_checkpoint):
    for args in (["--lr", "fast"], ["--resume", str(not_a_checkpoint)], ["--dataset", str(tmp_path / "x.csv")]):
        result = subprocess_cli("train", "--json", *args)
        assert result.returncode == 2, result.stderr
        assert_one_error_line(result.stderr)
        assert result.stdout == ""


def test_resume_of_a_plain_pickle_prints_only_the_error(subprocess_cli, tmp_path):
    path = tmp_path / "data.pkl"
    with path.open("wb") as handle:
        pickle.dump({"weights": [1, 2, 3]}, handle, protocol=4)
    result = subprocess_cli("train", "--resume", str(path))
    assert result.returncode == 2
    assert_one_error_line(result.stderr)


def test_train_json_in_a_subprocess(subprocess_cli, tmp_path):
    result = subprocess_cli("train", "--dataset", "gauss", "--samples", "60", "--epochs", "2", "--json",
                            "--device", "cpu", "--save", "out/g.ckpt")
    assert result.returncode == 0, result.stderr
    events = json_lines(result.stdout)  # stdout holds JSON only
    assert [e["event"] for e in events] == ["start", "epoch", "epoch", "done"]
    assert events[-1]["checkpoint"] == "out/g.ckpt"
    assert load_checkpoint(tmp_path / "out" / "g.ckpt")["epoch"] == 2
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_a_signal_saves_a_loadable_checkpoint_and_exits_cleanly(tmp_path, sig):
    ckpt = tmp_path / "interrupted.ckpt"
    argv = [sys.executable, "-m", "tui_dl", "train", "--dataset", "spiral", "--samples", "5000", "--epochs", "1000",
            "--batch-size", "32", "--json", "--device", "cpu", "--save", str(ckpt)]
    proc = subprocess.Popen(argv, cwd=tmp_path, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    watchdog = threading.Timer(60, proc.kill)  # never hang the suite on a stuck child
    watchdog.start()
    try:
        assert json.loads(proc.stdout.readline() or "{}").get("event") == "start", proc.stderr.read()
        first = proc.stdout.readline()
        assert first, proc.stderr.read()
        assert json.loads(first)["event"] == "epoch"
        proc.send_signal(sig)
        rest, err = proc.communicate(timeout=30)
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 128 + sig, err
    assert "Traceback" not in err
    done = json.loads(rest.splitlines()[-1])
    assert done["event"] == "done" and done["status"] == "interrupted"
    assert done["checkpoint"] == str(ckpt) and done["epochs"] >= 1
    last = Path(done["run"]) / "last.pt"
    assert f"interrupted by {sig.name}; saved epoch {done['epochs']} to {ckpt} and {last}" in err
    state = load_checkpoint(ckpt)
    assert state["epoch"] == done["epochs"] < 1000
    assert len(state["history"]) == state["epoch"]
    assert load_checkpoint(last)["epoch"] == done["epochs"]
    summary = json.loads((last.parent / "summary.json").read_text())
    assert summary["status"] == "interrupted" and summary["message"] == f"interrupted by {sig.name}"
    assert summary["epochs"] == done["epochs"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["interrupted.ckpt", "runs"]


def test_datasets_lists_every_registered_name(cli):
    code, out, err = cli("datasets")
    assert code == 0, err
    for name in REGISTRY:
        assert name in out, name
    assert "classification" in out and "regression" in out
    assert "1,797" in out  # digits' sample count


def test_fetch_offline_exits_1(tmp_path):
    env = cli_env()
    # no network here; the proxies make sure of it even on a machine that has one
    for key in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        env[key] = "http://127.0.0.1:9"
    for key in ("no_proxy", "NO_PROXY"):
        env.pop(key, None)
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "tui_dl", "fetch", "mnist", str(tmp_path / "mnist")], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=120)
    if result.returncode == 0:
        pytest.skip("the download succeeded: this machine is online")
    assert result.returncode == 1, result.stderr
    assert_one_error_line(result.stderr)
    assert "cannot download train-images-idx3-ubyte.gz" in result.stderr
    assert time.monotonic() - started < 60
    assert not any((tmp_path / "mnist").glob(".*"))  # no partial temp files


def test_fetch_command_with_a_local_mirror(cli, tmp_path, monkeypatch):
    import gzip
    import hashlib

    from tui_dl.engine.data import fetch as fetch_module

    mirror = tmp_path / "mirror"
    mirror.mkdir()
    sums = {}
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        data = gzip.compress(b"\x00\x00\x08\x01" + (12).to_bytes(4, "big") + bytes(range(12)))
        (mirror / name).write_bytes(data)
        sums[name] = hashlib.md5(data).hexdigest()
    monkeypatch.setitem(fetch_module.SOURCES, "mnist", ((mirror.as_uri() + "/",), sums))
    code, out, err = cli("fetch", "mnist", str(tmp_path / "got"))
    assert code == 0, err
    assert f"done: train with  tui-dl train --dataset {tmp_path / 'got'}" in out
    sums["train-labels-idx1-ubyte.gz"] = "0" * 32
    code, out, err = cli("fetch", "mnist", str(tmp_path / "again"))
    assert code == 1
    assert_one_error_line(err)
    assert "failed its checksum" in err


def test_fetch_unknown_name_is_a_usage_error(cli):
    code, _, err = cli("fetch", "cifar10")
    assert code == 2
    assert_one_error_line(err)
    assert "invalid choice: 'cifar10'" in err


def test_version(cli):
    code, out, _ = cli("--version")
    assert code == 0 and out.startswith("tui-dl ")


def test_help_lists_train_options(cli):
    code, out, _ = cli("train", "--help")
    assert code == 0
    for flag in ("--dataset", "--lr", "--epochs", "--save", "--resume", "--json", "--early-stop"):
        assert flag in out


def test_test_split_is_reported_in_the_done_event(cli):
    code, out, err = cli("train", "--dataset", "iris", "--epochs", "3", "--test-split", "0.2", "--json",
                         "--device", "cpu")
    assert code == 0, err
    done = json_lines(out)[-1]
    assert done["event"] == "done" and 0 <= done["test_acc"] <= 1 and done["test_loss"] > 0
    code, out, err = cli("train", "--dataset", "iris", "--epochs", "3", "--json", "--device", "cpu")
    assert "test_loss" not in json_lines(out)[-1]


def test_the_test_line_reads_like_the_epoch_lines(cli):
    code, out, err = cli("train", "--dataset", "iris", "--epochs", "3", "--test-split", "0.2", "--device", "cpu")
    assert code == 0, err
    assert re.search(r"^test: loss \d\.\d{4}  acc \d+\.\d%$", out, re.MULTILINE), out
    code, out, err = cli("train", "--dataset", "plane", "--samples", "80", "--epochs", "2", "--test-split", "0.2",
                         "--device", "cpu")
    assert re.search(r"^test: loss \d\.\d{4}  mae \S+  r2 -?\d\.\d{3}$", out, re.MULTILINE), out
