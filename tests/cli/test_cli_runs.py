"""The CLI's run records: where `train` records a run, `tui-dl runs`, and `tui-dl export`."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO

from tui_dl.engine.runs.lock import LOCK
from tui_dl.engine.runs.recorder import BEST, CONFIG, LAST, METRICS, STEPS, SUMMARY, RunSummary

TRAIN = ("train", "--dataset", "circle", "--samples", "60", "--device", "cpu")


def json_lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def train(cli, *args: str, epochs: int = 2) -> tuple[dict, list[dict]]:
    """`tui-dl train ... --json`: the done event and the epoch events."""
    code, out, err = cli(*TRAIN, "--epochs", str(epochs), "--json", *args)
    assert code == 0, err
    events = json_lines(out)
    assert events[0]["event"] == "start"
    return events[-1], events[1:-1]


def assert_usage_error(code: int, err: str, *phrases: str) -> None:
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for phrase in phrases:
        assert phrase in lines[0]


# train records a run ---------------------------------------------------------------------------


def test_train_json_names_the_run_folder(cli, runs_folder):
    done, epochs = train(cli, epochs=3)
    folder = Path(done["run"])
    assert folder.parent == runs_folder and re.fullmatch(r"\d{8}-\d{6}-circle", folder.name)
    assert {p.name for p in folder.iterdir()} == {CONFIG, METRICS, STEPS, BEST, LAST, SUMMARY, LOCK}
    records = [json.loads(line) for line in (folder / METRICS).read_text().splitlines()]
    assert records == [{k: v for k, v in e.items() if k != "event"} for e in epochs]
    summary = json.loads((folder / SUMMARY).read_text())
    assert summary["status"] == "completed" and summary["epochs"] == 3
    assert summary["best_val_loss"] == done["best_val_loss"] and summary["best_epoch"] == done["best_epoch"]


def test_runs_dir_and_run_name(cli, tmp_path, runs_folder):
    target = tmp_path / "elsewhere"
    done, _ = train(cli, "--runs-dir", str(target), "--run-name", "mine")
    assert done["run"] == str(target / "mine") and (target / "mine" / SUMMARY).is_file()
    done, _ = train(cli, "--runs-dir", str(target), "--run-name", "mine")
    assert done["run"] == str(target / "mine-2")
    assert not runs_folder.exists()  # $TUI_DL_RUNS_DIR was not used


def test_global_runs_dir_before_the_subcommand(cli, tmp_path, runs_folder):
    target = tmp_path / "global"
    code, out, err = cli("--runs-dir", str(target), *TRAIN, "--epochs", "1", "--json", "--run-name", "g")
    assert code == 0, err
    assert json_lines(out)[-1]["run"] == str(target / "g")
    code, out, err = cli("--runs-dir", str(target), "runs")
    assert code == 0, err
    assert "g " in out and str(target) in out
    assert cli("runs")[1].startswith("no runs in")  # the default folder is still empty
    assert not runs_folder.exists()


def test_human_output_names_the_run_folder(cli, runs_folder):
    code, out, err = cli(*TRAIN, "--epochs", "1", "--run-name", "shown")
    assert code == 0, err
    assert f"run folder: {runs_folder / 'shown'}" in out


def test_unwritable_runs_dir_warns_and_training_completes(cli, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, out, err = cli(*TRAIN, "--epochs", "2", "--json", "--runs-dir", str(blocker / "runs"))
    assert code == 0, err
    done = json_lines(out)[-1]
    assert done["status"] == "completed" and done["epochs"] == 2 and done["run"] is None
    assert err.startswith("warning: ") and str(blocker / "runs") in err


def test_a_resumed_run_records_its_checkpoint(cli, tmp_path, runs_folder):
    ckpt = tmp_path / "a.ckpt"
    train(cli, "--save", str(ckpt), "--run-name", "first")
    code, out, err = cli("train", "--resume", str(ckpt), "--epochs", "3", "--json", "--run-name", "second")
    assert code == 0, err
    folder = Path(json_lines(out)[-1]["run"])
    assert folder == runs_folder / "second"
    summary = json.loads((folder / SUMMARY).read_text())
    assert summary["resumed_from"] == str(ckpt) and summary["epochs"] == 3
    assert [json.loads(line)["epoch"] for line in (folder / METRICS).read_text().splitlines()] == [1, 2, 3]


def test_a_run_that_fails_in_setup_records_nothing(cli, tmp_path, runs_folder):
    code, _, err = cli("train", "--dataset", str(tmp_path / "missing.csv"), "--json")
    assert_usage_error(code, err, "nor an existing file")
    assert not runs_folder.exists()


# tui-dl runs -----------------------------------------------------------------------------------


@pytest.fixture
def three_runs(cli, runs_folder) -> dict[str, dict]:
    """Three recorded runs, trained for 1, 4 and 2 epochs: their done events by name."""
    return {name: train(cli, "--run-name", name, epochs=epochs)[0] for name, epochs in
            (("alpha", 1), ("bravo", 4), ("charlie", 2))}


def test_runs_with_none_recorded(cli, runs_folder, monkeypatch):
    monkeypatch.setenv("COLUMNS", "1000")  # the folder on the first line, however long the test's tmp path is
    code, out, err = cli("runs")
    assert code == 0, err
    assert out.startswith(f"no runs in {runs_folder}")
    assert cli("runs", "--json")[1] == ""


def test_runs_table(cli, three_runs, runs_folder):
    code, out, err = cli("runs")
    assert code == 0 and err == ""
    assert f"runs in {runs_folder}" in out
    for header in ("run", "data set", "val loss", "val acc", "state"):
        assert header in out
    header = next(line for line in out.splitlines() if "val loss" in line)
    assert "val R²" not in header and "test" not in header  # no regression run, no test split
    rows = {line.replace("│", " ").split()[0]: line for line in out.splitlines() if "circle" in line}
    assert set(rows) == {"alpha", "bravo", "charlie"}
    assert "1/1" in rows["alpha"] and "4/4" in rows["bravo"] and "2/2" in rows["charlie"]
    assert all("completed" in row and "2-16-16-2 relu" in row and "adam 0.01" in row for row in rows.values())
    assert f"{three_runs['bravo']['best_val_loss']:.4f}" in rows["bravo"]


def test_runs_json(cli, three_runs, runs_folder):
    code, out, err = cli("runs", "--json")
    assert code == 0, err
    listed = {r["name"]: r for r in json_lines(out)}
    assert set(listed) == {"alpha", "bravo", "charlie"}
    for name, done in three_runs.items():
        assert listed[name]["path"] == done["run"] == str(runs_folder / name)
        assert listed[name]["best_val_loss"] == done["best_val_loss"]
        assert listed[name]["epochs"] == done["epochs"] and listed[name]["status"] == "completed"


def test_runs_sorted(cli, three_runs):
    by_loss = [r["name"] for r in json_lines(cli("runs", "--json", "--sort", "val_loss")[1])]
    assert by_loss == sorted(three_runs, key=lambda name: three_runs[name]["best_val_loss"])
    assert [r["name"] for r in json_lines(cli("runs", "--json", "--sort", "name")[1])] == ["alpha", "bravo", "charlie"]
    assert [r["name"] for r in json_lines(cli("runs", "--json", "--sort", "epochs")[1])] == ["bravo", "charlie", "alpha"]
    code, _, err = cli("runs", "--sort", "loudness")
    assert_usage_error(code, err, "--sort", "loudness")


def test_runs_show_and_list_the_test_split_and_regression_metrics(cli, runs_folder):
    done, _ = train(cli, "--run-name", "tested", "--test-split", "0.25")
    code, out, _ = cli("train", "--dataset", "plane", "--samples", "80", "--epochs", "2", "--device", "cpu",
                       "--run-name", "fitted", "--json")
    assert code == 0
    listed = {r["name"]: r for r in json_lines(cli("runs", "--json")[1])}
    assert listed["tested"]["test_acc"] == done["test_acc"] and listed["tested"]["test_loss"] == done["test_loss"]
    assert listed["fitted"]["test_loss"] is None and listed["fitted"]["best_val_r2"] is not None
    assert listed["fitted"]["best_val_mae"] is not None and listed["tested"]["best_val_r2"] is None
    code, out, _ = cli("runs")
    header = next(line for line in out.splitlines() if "val loss" in line)
    for title in ("val acc", "val R²", "val MAE", "test"):
        assert title in header
    rows = {line.replace("│", " ").split()[0]: line for line in out.splitlines() if "completed" in line}
    assert f"acc {done['test_acc']:.1%}" in rows["tested"]
    assert f"{listed['fitted']['best_val_r2']:.3f}" in rows["fitted"]


def test_runs_newest_first_by_default(cli, runs_folder):
    for name, started in (("old", "2024-01-01 10:00:00"), ("new", "2024-06-01 10:00:00"),
                          ("mid", "2024-03-01 10:00:00")):
        (runs_folder / name).mkdir(parents=True)
        summary = RunSummary(name, status="completed", started=started)
        (runs_folder / name / SUMMARY).write_text(json.dumps(summary.to_dict()))
    assert [r["name"] for r in json_lines(cli("runs", "--json")[1])] == ["new", "mid", "old"]


def test_runs_shows_a_dead_run_as_interrupted_and_a_damaged_one_as_unreadable(cli, runs_folder):
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    for name, pid in (("dead", process.pid), ("alive", os.getpid())):
        (runs_folder / name).mkdir(parents=True)
        summary = RunSummary(name, status="running", pid=pid, host=socket.gethostname())
        (runs_folder / name / SUMMARY).write_text(json.dumps(summary.to_dict()))
    (runs_folder / "broken").mkdir()
    (runs_folder / "broken" / SUMMARY).write_text("{")
    listed = {r["name"]: r["status"] for r in json_lines(cli("runs", "--json")[1])}
    assert listed == {"dead": "interrupted", "alive": "running", "broken": "unreadable"}
    code, out, err = cli("runs")
    assert code == 0, err
    rows = {line.replace("│", " ").split()[0]: line for line in out.splitlines() if line.startswith("│")}
    assert "interrupted" in rows["dead"] and "running" in rows["alive"] and "unreadable" in rows["broken"]


# tui-dl export ---------------------------------------------------------------------------------


def test_export_csv_to_stdout(cli, three_runs):
    code, out, err = cli("export", "bravo", "--csv")
    assert code == 0 and err == ""
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 4 and [int(r["epoch"]) for r in rows] == [1, 2, 3, 4]
    assert {"train_loss", "val_loss", "val_acc", "weight_norm_1", "weight_norm_3", "grad_norm_3"} <= set(rows[0])
    assert "weight_norm_4" not in rows[0]
    assert min(float(r["val_loss"]) for r in rows) == three_runs["bravo"]["best_val_loss"]


def test_export_csv_to_a_file(cli, three_runs, tmp_path):
    target = tmp_path / "out.csv"
    code, out, err = cli("export", "charl", "--csv", str(target))  # a unique prefix is enough
    assert code == 0 and out == ""
    assert f"2 epochs of charlie written to {target}" in err
    rows = list(csv.DictReader(target.open(newline="")))
    assert [int(r["epoch"]) for r in rows] == [1, 2]


def test_export_by_folder_path(cli, three_runs, tmp_path):
    code, out, err = cli("--runs-dir", str(tmp_path / "empty"), "export", three_runs["alpha"]["run"], "--csv")
    assert code == 0, err
    assert len(list(csv.DictReader(io.StringIO(out)))) == 1


def test_export_tensorboard(cli, three_runs, tmp_path):
    logdir = tmp_path / "tb"
    code, _, err = cli("export", "alpha", "--tensorboard", str(logdir))
    assert code == 0, err
    assert f"written to {logdir / 'alpha'}" in err and f"tensorboard --logdir {logdir}" in err
    assert any(p.name.startswith("events.out.tfevents") for p in (logdir / "alpha").iterdir())


def test_export_needs_a_format(cli, three_runs):
    code, out, err = cli("export", "alpha")
    assert_usage_error(code, err, "--csv", "--tensorboard")
    assert out == ""


def test_export_of_an_unknown_run(cli, three_runs, runs_folder):
    code, out, err = cli("export", "zulu", "--csv")
    assert_usage_error(code, err, "no run 'zulu'", str(runs_folder), "`tui-dl runs`")
    assert out == ""


def test_export_of_an_ambiguous_prefix(cli, runs_folder):
    for name in ("exp-1", "exp-2"):
        train(cli, "--run-name", name, epochs=1)
    code, _, err = cli("export", "exp", "--csv")
    assert_usage_error(code, err, "matches 2 runs", "exp-1", "exp-2")


def test_export_to_an_unwritable_place(cli, three_runs, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, _, err = cli("export", "alpha", "--csv", str(blocker / "out.csv"))
    assert_usage_error(code, err, f"cannot write {blocker / 'out.csv'}")
    code, _, err = cli("export", "alpha", "--tensorboard", str(blocker / "tb"))
    assert_usage_error(code, err, f"cannot write {blocker / 'tb'}")


def test_export_piped_into_head_ends_quietly(runs_folder, tmp_path):
    """A reader that stops early (`| head -1`) is not an error: nothing on stderr."""
    folder = runs_folder / "long"
    folder.mkdir(parents=True)
    record = {"epoch": 1, "step": 10, "train_loss": 0.5, "val_loss": 0.6, "lr": 0.01, "samples_per_s": 1e5,
              "seconds": 0.1, "weight_norms": [1.0] * 20, "grad_norms": [0.1] * 20}
    (folder / METRICS).write_text("".join(json.dumps({**record, "epoch": e}) + "\n" for e in range(1, 5001)))
    (folder / SUMMARY).write_text(json.dumps({"name": "long", "status": "completed"}))
    tui_dl = f"{sys.executable} -m tui_dl --runs-dir {runs_folder} export long --csv"
    done = subprocess.run(f"{tui_dl} | head -1", shell=True, capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(REPO)},
                          executable="/bin/bash", timeout=60)
    assert done.stdout.count("\n") == 1
    assert done.stderr == ""


def test_runs_shows_the_columns_that_fit_a_terminal_and_all_of_them_in_a_pipe(tmp_path, runs_folder):
    import fcntl
    import os
    import re
    import select
    import struct
    import subprocess
    import sys
    import termios

    from helpers import cli_env

    env = {**cli_env(), "TUI_DL_RUNS_DIR": str(runs_folder), "TERM": "xterm"}
    train_run = [sys.executable, "-m", "tui_dl", "train", "--dataset", "circle", "--samples", "60", "--epochs", "1",
                 "--device", "cpu", "--test-split", "0.2"]
    assert subprocess.run(train_run, cwd=tmp_path, env=env, capture_output=True).returncode == 0
    runs = [sys.executable, "-m", "tui_dl", "runs"]
    piped = subprocess.run(runs, cwd=tmp_path, env=env, capture_output=True, text=True).stdout
    assert all(title in piped for title in ("state", "val acc", "test", "optimizer", "time")) and "…" not in piped

    master, slave = os.openpty()  # an 80-column terminal
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    assert subprocess.run(runs, cwd=tmp_path, env=env, stdout=slave, stderr=slave, timeout=60).returncode == 0
    os.close(slave)
    out = b""
    while select.select([master], [], [], 0.5)[0]:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    lines = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.decode(errors="replace")).splitlines()
    assert any("state" in line for line in lines) and any("completed" in line for line in lines)
    assert any(line.startswith("not shown at this width: ") for line in lines)
    assert max(len(line.rstrip()) for line in lines) <= 80
