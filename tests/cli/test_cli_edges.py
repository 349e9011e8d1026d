"""Edges of `tui-dl train` and `tui-dl export`: a closed output pipe, a resume with nothing to do, argument order."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest
from helpers import cli_env

from tui_dl.engine.training.checkpoint import load_checkpoint

SIGPIPE_EXIT = 128 + 13


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_a_closed_output_pipe_ends_the_run_like_sigpipe(tmp_path, as_json):
    """`tui-dl train ... | head -2`: the reader closes the pipe after two lines."""
    argv = [sys.executable, "-m", "tui_dl", "train", "--dataset", "spiral", "--epochs", "100000", "--device", "cpu",
            "--save", str(tmp_path / "saved.pt"), *(["--json"] if as_json else [])]
    proc = subprocess.Popen(argv, cwd=tmp_path, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    watchdog = threading.Timer(90, proc.kill)  # never hang the suite on a stuck child
    watchdog.start()
    try:
        lines = [proc.stdout.readline() for _ in range(2)]
        assert all(lines), proc.stderr.read()
        proc.stdout.close()  # as head does after its lines
        err = proc.stderr.read()
        proc.wait(timeout=60)
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == SIGPIPE_EXIT, err
    assert "Traceback" not in err and "error" not in err
    (folder,) = (tmp_path / "runs").iterdir()
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["status"] == "interrupted"
    assert summary["message"] == "interrupted by SIGPIPE (the output was closed)"
    epochs = summary["epochs"]
    assert 1 <= epochs < 100000
    assert load_checkpoint(folder / "last.pt")["epoch"] == epochs == load_checkpoint(tmp_path / "saved.pt")["epoch"]
    assert f"interrupted by SIGPIPE (the output was closed); saved epoch {epochs} to" in err


def test_a_pipe_closed_before_any_output_still_records_the_run(tmp_path):
    argv = [sys.executable, "-m", "tui_dl", "train", "--dataset", "circle", "--samples", "60", "--epochs", "50",
            "--device", "cpu", "--json"]
    proc = subprocess.Popen(argv, cwd=tmp_path, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # nobody reads at all
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert proc.returncode == SIGPIPE_EXIT and "Traceback" not in err, err
    (folder,) = (tmp_path / "runs").iterdir()
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["status"] == "interrupted" and summary["epochs"] < 50
    assert (folder / "last.pt").is_file() == (summary["epochs"] > 0)


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


@pytest.mark.parametrize("epochs", [[], ["--epochs", "2"], ["--epochs", "1"]], ids=["default", "same", "fewer"])
def test_resuming_a_checkpoint_at_or_past_the_epochs_says_so_and_creates_nothing(cli, tmp_path, runs_folder, epochs):
    path = tmp_path / "a.ckpt"
    assert cli("train", "--dataset", "circle", "--samples", "60", "--epochs", "2", "--save", str(path),
               "--run-name", "first")[0] == 0
    before = path.read_bytes()
    code, out, err = cli("train", "--resume", str(path), "--json", *epochs)
    assert code == 2 and out == ""
    target = epochs[1] if epochs else "2"
    assert f"is already at epoch 2 of {target}: nothing to train (give --epochs above 2" in one_error_line(err)
    assert [p.name for p in runs_folder.iterdir()] == ["first"]  # no new, empty run folder
    assert path.read_bytes() == before
    code, out, err = cli("train", "--resume", str(path), "--epochs", "3", "--json")
    assert code == 0, err
    assert json.loads(out.splitlines()[-1])["epochs"] == 3


def test_a_bad_seed_is_said_once(cli):
    code, out, err = cli("train", "--seed", "-1", "--epochs", "1")
    assert code == 2
    assert one_error_line(err).count("seed must be a whole number >= 0, got -1") == 1


def test_export_with_the_flag_before_the_run_name(cli, runs_folder):
    assert cli("train", "--dataset", "circle", "--samples", "60", "--epochs", "2", "--run-name", "bravo")[0] == 0
    code, out, err = cli("export", "--csv", "bravo")
    assert code == 0, err
    assert out.splitlines()[0].startswith("epoch,") and len(out.splitlines()) == 3
    code, _, err = cli("export", "--csv", str(runs_folder / "out.csv"), "bravo")  # FILE then RUN still works
    assert code == 0 and (runs_folder / "out.csv").read_text() == out
    for argv in (["export", "--csv"], ["export", "--tensorboard", "logs"], ["export"]):
        code, _, err = cli(*argv)
        assert code == 2 and "export needs a run" in one_error_line(err)
