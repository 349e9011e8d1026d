"""Acceptance checks from the issue: the headless CLI learns the spiral and the digits."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.slow

SPIRAL = ["train", "--dataset", "spiral", "--layers", "3", "--neurons", "32", "--epochs", "60", "--json"]


def epochs_of(cli, *argv: str) -> list[dict]:
    code, out, err = cli(*argv)
    assert code == 0, err
    events = [json.loads(line) for line in out.splitlines()]
    assert events[0]["event"] == "start"
    assert events[-1]["event"] == "done" and events[-1]["status"] == "completed"
    return events[1:-1]


@pytest.fixture(scope="module")
def spiral_runs():
    return {}


def test_spiral_relu_reaches_95_percent(cli, spiral_runs):
    epochs = epochs_of(cli, *SPIRAL, "--activation", "relu")
    spiral_runs["relu"] = epochs
    assert len(epochs) == 60
    assert epochs[-1]["val_acc"] >= 0.95, epochs[-1]


def test_spiral_sigmoid_converges_visibly_slower(cli, spiral_runs):
    sigmoid = epochs_of(cli, *SPIRAL, "--activation", "sigmoid")
    relu = spiral_runs.get("relu") or epochs_of(cli, *SPIRAL, "--activation", "relu")
    assert len(sigmoid) == 60
    at10_sigmoid, at10_relu = sigmoid[9], relu[9]
    assert at10_sigmoid["epoch"] == at10_relu["epoch"] == 10
    assert at10_sigmoid["val_loss"] > 2 * at10_relu["val_loss"], (at10_sigmoid, at10_relu)
    assert at10_sigmoid["val_acc"] <= at10_relu["val_acc"] - 0.1, (at10_sigmoid, at10_relu)
    # and it is still behind at the end
    assert sigmoid[-1]["val_loss"] > relu[-1]["val_loss"]


def test_digits_reaches_90_percent(cli):
    epochs = epochs_of(cli, "train", "--dataset", "digits", "--neurons", "64", "--epochs", "15", "--json")
    assert epochs[-1]["val_acc"] >= 0.9, epochs[-1]
