"""Edges of `tui-dl train` and `tui-dl export`: a closed output pipe, a resume with nothing to do, argument order."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import cli_env

from tui_dl.engine.checkpoint import load_checkpoint

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
