"""Input features, regularization and learning-rate schedules from the command line and in TOML."""

from __future__ import annotations

import json
import tomllib

import pytest

from tui_dl.engine.training.checkpoint import load_checkpoint
from tui_dl.engine.config import TrainConfig
from tui_dl.engine.training.schedule import Plateau, learning_rate


def lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def recorded_config(start: dict) -> dict:
    with open(f"{start['run']}/config.toml", "rb") as handle:
        return tomllib.load(handle)


def test_features_flag_counts_in_the_model_and_is_recorded_and_resumed(cli, tmp_path):
    saved = tmp_path / "run.pt"
    code, out, err = cli("train", "--dataset", "spiral", "--samples", "100", "--epochs", "2", "--layers", "1",
                         "--features", "sin(x1),x1,x2,x1*x2", "--save", str(saved), "--json", "--device", "cpu")
    assert code == 0, err
    start = lines(out)[0]
    assert start["model"] == "4 -> 16 -> 2, relu, 114 params" and start["inputs"] == 2  # the data's own inputs
    assert recorded_config(start)["model"]["features"] == ["x1", "x2", "x1*x2", "sin(x1)"]  # input column order
    assert load_checkpoint(saved)["config"]["model"]["features"] == ["x1", "x2", "x1*x2", "sin(x1)"]
    code, out, err = cli("train", "--resume", str(saved), "--epochs", "3", "--json", "--device", "cpu")
    assert code == 0, err
    assert [e["epoch"] for e in lines(out)[1:-1]] == [3]


def test_regularization_flags_and_the_older_weight_decay(cli):
    code, out, err = cli("train", "--dataset", "gauss", "--samples", "80", "--epochs", "1", "--regularization", "l1",
                         "--reg-rate", "0.002", "--json", "--device", "cpu")
    assert code == 0, err
    train = recorded_config(lines(out)[0])["train"]
    assert (train["regularization"], train["reg_rate"]) == ("l1", 0.002) and "weight_decay" not in train
    code, out, err = cli("train", "--dataset", "gauss", "--samples", "80", "--epochs", "1", "--weight-decay", "0.01",
                         "--json", "--device", "cpu")
    assert code == 0, err
    train = recorded_config(lines(out)[0])["train"]
    assert (train["regularization"], train["reg_rate"]) == ("l2", 0.01)


def test_schedule_flags_set_each_epochs_rate(cli):
    code, out, err = cli("train", "--dataset", "circle", "--samples", "100", "--epochs", "6", "--batch-size", "80",
                         "--lr", "0.05", "--schedule", "cosine", "--warmup", "2", "--json", "--device", "cpu")
    assert code == 0, err
    train = TrainConfig(lr=0.05, epochs=6, schedule="cosine", warmup=2)
    expected = [learning_rate(0.05, e, 0, 1, train, Plateau()) for e in range(6)]
    assert [e["lr"] for e in lines(out)[1:-1]] == pytest.approx(expected)
    assert expected[0] == pytest.approx(0.025) and expected[1] == pytest.approx(0.05)


def test_all_of_it_from_toml_with_flags_on_top(cli, tmp_path):
    (tmp_path / "run.toml").write_text(
        '[data]\ndataset = "xor"\nsamples = 80\n[model]\nlayers = 0\nfeatures = ["x1", "x2", "x1*x2"]\n'
        '[train]\nepochs = 4\nbatch_size = 100\nregularization = "l2"\nreg_rate = 0.01\nschedule = "step"\n'
        'decay_epochs = 2\ndecay_factor = 0.1\n')
    code, out, err = cli("train", "--config", str(tmp_path / "run.toml"), "--lr", "0.1", "--json", "--device", "cpu")
    assert code == 0, err
    events = lines(out)
    assert events[0]["model"] == "3 -> 2, relu, 8 params"
    assert [e["lr"] for e in events[1:-1]] == pytest.approx([0.1, 0.1, 0.01, 0.01])


def test_help_lists_the_new_flags(cli):
    code, out, _ = cli("train", "--help")
    assert code == 0
    for flag in ("--features", "--regularization", "--reg-rate", "--weight-decay", "--schedule", "--warmup",
                 "--decay-epochs", "--decay-factor"):
        assert flag in out
