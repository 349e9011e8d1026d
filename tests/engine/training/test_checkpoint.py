"""Checkpoints: exact resume, atomic writes, safe loading, compatibility checks."""

from __future__ import annotations

import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from tui_dl.engine.training.checkpoint import (
    FORMAT_VERSION,
    KIND,
    check_compatible,
    checkpoint_config,
    describe_checkpoint,
    load_checkpoint,
    save_checkpoint,
)
from tui_dl.engine.errors import CheckpointError, UserError
from tui_dl.engine.events import RunStarted
from tui_dl.engine.training.trainer import Trainer

TIMING = ("seconds", "samples_per_s")


def comparable(history) -> list[dict]:
    """History without wall-clock timings (which differ between any two runs)."""
    return [{k: v for k, v in m.to_dict().items() if k not in TIMING} for m in history]


def trained(config) -> Trainer:
    trainer = Trainer(config)
    finished = trainer.run()
    assert finished.status == "completed", finished.message
    return trainer


@pytest.fixture
def small_checkpoint(tmp_path, config_factory) -> tuple[Path, Trainer]:
    trainer = trained(config_factory("circle", samples=80, epochs=2))
    return save_checkpoint(trainer.checkpoint_state(), tmp_path / "run.ckpt"), trainer


@pytest.mark.parametrize(("optimizer", "dropout"), [("adam", 0.0), ("sgd", 0.25), ("adamw", 0.1)])
def test_save_load_resume_equals_uninterrupted_run(tmp_path, config_factory, optimizer, dropout):
    def config(epochs):
        return config_factory("spiral", samples=120, epochs=epochs, layers=2, neurons=[12], optimizer=optimizer,
                              lr=0.02, dropout=dropout, batch_size=16, seed=3)

    straight = trained(config(4))

    first = trained(config(2))
    path = save_checkpoint(first.checkpoint_state(), tmp_path / "half.ckpt")
    state = load_checkpoint(path)
    assert state["epoch"] == 2 and state["kind"] == KIND and state["format_version"] == FORMAT_VERSION
    resumed_config = checkpoint_config(state)
    assert resumed_config == config(2)
    resumed_config.train.epochs = 4
    second = Trainer(resumed_config, resume=state)
    started = []
    second.subscribe(lambda e: started.append(e) if isinstance(e, RunStarted) else None)
    assert second.run().status == "completed"

    assert started[0].start_epoch == 2
    assert second.epoch == straight.epoch == 4 and second.step == straight.step
    a, b = straight.model.state_dict(), second.model.state_dict()
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    assert comparable(second.history) == comparable(straight.history)
    assert list(second.step_losses) == list(straight.step_losses)
    assert (second.best_epoch, second.best_val_loss) == (straight.best_epoch, straight.best_val_loss)


def test_stop_mid_epoch_then_resume_equals_uninterrupted_run(tmp_path, config_factory):
    import threading

    from tui_dl.engine.events import StepMetrics

    def config(epochs):
        return config_factory("xor", samples=200, epochs=epochs, batch_size=16, dropout=0.1, seed=1)

    straight = trained(config(4))

    first = Trainer(config(4), report_interval=0.0)

    def stop_in_epoch_3(event):
        if isinstance(event, StepMetrics) and event.epoch == 3 and event.step_in_epoch == 4:
            first.stop()

    first.subscribe(stop_in_epoch_3)
    thread = threading.Thread(target=first.run)
    thread.start()
    thread.join(30)
    assert first.state == "stopped" and first.epoch == 2
    state = load_checkpoint(save_checkpoint(first.checkpoint_state(), tmp_path / "stopped.ckpt"))
    assert state["epoch"] == 2 and len(state["history"]) == 2 and len(state["step_losses"]) == 2 * 10

    second = Trainer(checkpoint_config(state), resume=state)
    assert second.run().status == "completed"
    for key, value in straight.model.state_dict().items():
        assert torch.equal(value, second.model.state_dict()[key]), key
    assert comparable(second.history) == comparable(straight.history)


def test_checkpoint_contents(small_checkpoint):
    path, trainer = small_checkpoint
    state = load_checkpoint(path)
    assert state["task"] == "classification" and state["inputs"] == 2 and state["outputs"] == 2
    assert state["class_names"] == ["outside", "inside"] and state["dataset"] == "circle"
    assert len(state["history"]) == 2 and state["history"][-1]["epoch"] == 2
    assert state["x_mean"].shape == (2,) and state["x_std"].shape == (2,)
    assert all(not v.is_cuda for v in state["model"].values())
    assert state["best_epoch"] == trainer.best_epoch


def test_checkpoint_of_a_csv_with_text_classes_loads(tmp_path, config_factory):
    # class names read from text must be plain str, or the safe loader refuses the file
    rows = ["size,legs,kind"] + [f"{i * 0.5},{i % 4},{['cat', 'dog'][i % 2]}" for i in range(30)]
    (tmp_path / "pets.csv").write_text("\n".join(rows) + "\n")
    trainer = trained(config_factory(str(tmp_path / "pets.csv"), epochs=1))
    state = load_checkpoint(save_checkpoint(trainer.checkpoint_state(), tmp_path / "pets.ckpt"))
    assert state["class_names"] == ["cat", "dog"]


def test_describe_checkpoint(small_checkpoint):
    path, trainer = small_checkpoint
    info = describe_checkpoint(path)
    assert info.dataset == "circle" and info.epoch == 2
    assert info.summary == "2 -> 16 -> 2, relu, 82 params"
    assert info.best_val_loss == trainer.best_val_loss


def test_checkpoint_state_is_as_of_last_finished_epoch(config_factory):
    trainer = Trainer(config_factory("circle", samples=80, epochs=3))
    with pytest.raises(CheckpointError, match="nothing to save yet"):
        trainer.checkpoint_state()
    trainer.setup()
    assert trainer.checkpoint_state()["epoch"] == 0
    trainer.run()
    state = trainer.checkpoint_state()
    assert state["epoch"] == 3 and len(state["history"]) == 3 and state["step"] == trainer.step


def test_atomic_write_leaves_no_temp_files(small_checkpoint):
    path, trainer = small_checkpoint
    assert sorted(p.name for p in path.parent.iterdir()) == ["run.ckpt"]
    before = path.read_bytes()
    # overwriting replaces the file in one step and again leaves nothing behind
    state = trainer.checkpoint_state()
    state["epoch"] = 99
    save_checkpoint(state, path)
    assert sorted(p.name for p in path.parent.iterdir()) == ["run.ckpt"]
    assert path.read_bytes() != before and load_checkpoint(path)["epoch"] == 99


def test_failed_write_leaves_old_file_and_no_temp(small_checkpoint):
    path, trainer = small_checkpoint
    before = path.read_bytes()
    state = trainer.checkpoint_state()
    state["unpicklable"] = lambda: None
    with pytest.raises(Exception):  # noqa: B017 - whatever pickling raises
        save_checkpoint(state, path)
    assert sorted(p.name for p in path.parent.iterdir()) == ["run.ckpt"]
    assert path.read_bytes() == before


def test_save_into_a_file_as_folder(small_checkpoint):
    path, trainer = small_checkpoint
    with pytest.raises(CheckpointError, match="cannot write checkpoint"):
        save_checkpoint(trainer.checkpoint_state(), path / "inside.ckpt")


def test_save_creates_folders(tmp_path, small_checkpoint):
    _, trainer = small_checkpoint
    path = save_checkpoint(trainer.checkpoint_state(), tmp_path / "a" / "b" / "c.ckpt")
    assert path.is_file()


class _Marker:
    """Unpickling this creates a file: code execution."""

    def __init__(self, path: Path):
        self.path = path

    def __reduce__(self):
        return (open, (str(self.path), "w"))


class _Shell:
    def __init__(self, path: Path):
        self.path = path

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
@pytest.mark.parametrize("how", ["torch.save", "pickle", "pickle-protocol-2-shell"])
def test_malicious_pickle_is_refused(tmp_path, small_checkpoint, how):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.ckpt"
    good = load_checkpoint(small_checkpoint[0])
    payload = {**good, "extra": _Marker(marker)}
    if how == "torch.save":
        torch.save(payload, path)
    elif how == "pickle":
        with path.open("wb") as handle:
            pickle.dump(payload, handle)
    else:
        with path.open("wb") as handle:
            pickle.dump(_Shell(marker), handle, protocol=2)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    assert "refused evil.ckpt" in str(info.value)
    assert not marker.exists()
    # the file really is dangerous: an unsafe load runs its code
    if how == "torch.save":
        torch.load(path, weights_only=False)
    else:
        with path.open("rb") as handle:
            pickle.load(handle)  # noqa: S301 - on purpose
    assert marker.exists()


def test_malicious_pickle_message_is_clean_and_names_the_global(tmp_path):
    path = tmp_path / "evil.ckpt"
    torch.save({"kind": KIND, "extra": _Marker(tmp_path / "pwned")}, path)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    message = str(info.value)
    assert "\x1b" not in message
    assert "open" in message.split("(", 1)[1]


def _write_odd_file(kind: str, path: Path, good: Path) -> None:
    """Write one of the ODD_FILES cases to `path` (`good` is a real checkpoint)."""
    data = good.read_bytes()
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("garbage\n")
    elif kind == "csv":
        path.write_text("a,b,c\n1,2,3\n")
    elif kind == "truncated zip":
        path.write_bytes(data[:len(data) // 2])
    elif kind == "first 100 bytes":
        path.write_bytes(data[:100])
    elif kind == "plain pickle":
        with path.open("wb") as handle:
            pickle.dump({"weights": [1, 2, 3]}, handle, protocol=4)
    elif kind == "protocol 2 pickle":
        with path.open("wb") as handle:
            pickle.dump({"weights": [1, 2, 3]}, handle, protocol=2)
    elif kind == "pickle with a code global":
        with path.open("wb") as handle:
            pickle.dump(_Shell(path.with_name("pwned")), handle, protocol=2)
    elif kind == "tensor file":
        torch.save({"weights": torch.zeros(3)}, path)
    elif kind == "bare tensor":
        torch.save(torch.zeros(2, 3), path)
    elif kind == "legacy tensor file":
        torch.save({"weights": torch.zeros(3)}, path, _use_new_zipfile_serialization=False)
    elif kind == "whole model":
        torch.save(torch.nn.Linear(2, 2), path)
    elif kind == "newer format":
        state = load_checkpoint(good)
        state["format_version"] = FORMAT_VERSION + 1
        save_checkpoint(state, path)
    elif kind == "other zip":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("readme.txt", "hello")
    elif kind == "npz":
        with path.open("wb") as handle:
            np.savez(handle, x=np.zeros(3))
    elif kind == "random bytes":
        path.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    else:
        raise AssertionError(kind)


# What each odd file is said to be, and why it is refused.
ODD_FILES = {
    "empty": ("is empty (0 bytes)", "not a checkpoint"),
    "text": ("is a text file (it starts 'garbage')", "not a tui-dl checkpoint"),
    "csv": ("is a text file (it starts 'a,b,c')", "not a tui-dl checkpoint"),
    "truncated zip": ("is a damaged or truncated zip archive", "cannot be read"),
    "first 100 bytes": ("is a damaged or truncated zip archive", "cannot be read"),
    "plain pickle": ("is a plain Python pickle", "not a tui-dl checkpoint"),
    "protocol 2 pickle": ("is a plain Python pickle", "not a tui-dl checkpoint"),
    "pickle with a code global": ("refused", "is a Python pickle that calls posix.system", "can run any code"),
    "tensor file": ("is a PyTorch file but not a tui-dl checkpoint", "it holds a dict of weights"),
    "bare tensor": ("is a PyTorch file but not a tui-dl checkpoint", "one tensor of shape (2, 3)"),
    "legacy tensor file": ("is a PyTorch file but not a tui-dl checkpoint", "it holds a dict of weights"),
    "whole model": ("refused", "PyTorch file holding Python objects (torch.nn.modules.linear.Linear)", "run code"),
    "newer format": ("has checkpoint format 2, newer than this tui-dl reads (1)", "upgrade tui-dl"),
    "other zip": ("is a zip archive (readme.txt) but not a PyTorch file", "not a tui-dl checkpoint"),
    "npz": ("is a zip archive (x.npy) but not a PyTorch file", "not a tui-dl checkpoint"),
    "random bytes": ("is binary data in no format tui-dl reads", "not a tui-dl checkpoint"),
}
INTERNAL = ("index", "enforce", "inline_container", "errno", "pop from", "magic number", "pytorchstreamreader",
            "eoferror", "weights only", "traceback", "\x1b")


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
@pytest.mark.parametrize("kind", ODD_FILES)
def test_an_odd_file_is_refused_saying_what_it_is_and_why(small_checkpoint, tmp_path, kind):
    path = tmp_path / "odd.ckpt"
    _write_odd_file(kind, path, small_checkpoint[0])
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    message = str(info.value)
    assert "odd.ckpt" in message and "\n" not in message
    for phrase in ODD_FILES[kind]:
        assert phrase in message, message
    for internal in INTERNAL:
        assert internal not in message.lower(), message
    if "code" not in kind and kind != "whole model":
        assert "code" not in message, message  # only files that would run code are said to
    assert not (tmp_path / "pwned").exists()


def test_a_long_pickle_names_the_call_it_would_make(tmp_path):
    path = tmp_path / "big.pkl"
    with path.open("wb") as handle:
        pickle.dump([list(range(50_000)), _Shell(tmp_path / "pwned")], handle, protocol=4)
    assert path.stat().st_size > 64 * 1024  # past the start that tells the format
    with pytest.raises(CheckpointError, match=r"calls posix\.system when loaded"):
        load_checkpoint(path)


@pytest.mark.parametrize(("payload", "message"), [
    ([1, 2, 3], "is a PyTorch file but not a tui-dl checkpoint (it holds a list)"),
    ({"kind": KIND, "format_version": "1"}, "invalid checkpoint format version '1'"),
    ({"kind": KIND, "format_version": FORMAT_VERSION, "model": {}}, "is incomplete: it lacks config, inputs, outputs"),
])
def test_other_torch_files_are_refused(tmp_path, payload, message):
    path = tmp_path / "other.pt"
    torch.save(payload, path)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    assert message in str(info.value)


def test_newer_format_version_via_save(small_checkpoint, tmp_path):
    state = load_checkpoint(small_checkpoint[0])
    state["format_version"] = FORMAT_VERSION + 1
    path = save_checkpoint(state, tmp_path / "future.ckpt")
    with pytest.raises(CheckpointError, match=r"future.ckpt has checkpoint format 2, newer than this tui-dl reads \(1\); upgrade"):
        load_checkpoint(path)


def test_invalid_stored_config(small_checkpoint, tmp_path):
    state = load_checkpoint(small_checkpoint[0])
    state["config"]["train"]["lr"] = -5.0
    path = save_checkpoint(state, tmp_path / "bad.ckpt")
    with pytest.raises(CheckpointError, match="holds an invalid configuration: learning rate"):
        load_checkpoint(path)


def test_missing_and_folder(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "nope.ckpt")
    with pytest.raises(CheckpointError, match="is not a file"):
        load_checkpoint(tmp_path)


def test_different_architecture_is_refused(tmp_path, config_factory):
    trainer = trained(config_factory("circle", samples=80, epochs=1, layers=2, neurons=[32]))
    state = load_checkpoint(save_checkpoint(trainer.checkpoint_state(), tmp_path / "wide.ckpt"))
    config = checkpoint_config(state)
    config.model.neurons = [16]
    with pytest.raises(CheckpointError) as info:
        Trainer(config, resume=state).setup()
    assert str(info.value) == ("checkpoint architecture is 2 -> 32 -> 32 -> 2 but the model here is "
                               "2 -> 16 -> 16 -> 2 (hidden layer 1 has 32 neurons in the checkpoint, 16 here)")
    # run() reports the same problem as a failed run instead of raising
    finished = Trainer(config, resume=state).run()
    assert finished.status == "failed" and "hidden layer 1 has 32 neurons in the checkpoint, 16 here" in finished.message


@pytest.mark.parametrize(("change", "message"), [
    ({"neurons": [32, 8]}, "hidden layer 2 has 32 neurons in the checkpoint, 8 here"),
    ({"layers": 3}, "2 hidden layers in the checkpoint, 3 here"),
    ({"activation": "tanh"}, "checkpoint uses relu activations but the model here uses tanh"),
    ({"dropout": 0.5}, "checkpoint has dropout 0 but the model here has 0.5"),
])
def test_model_mismatch_messages(tmp_path, config_factory, change, message):
    trainer = trained(config_factory("circle", samples=80, epochs=1, layers=2, neurons=[32]))
    state = trainer.checkpoint_state()
    config = checkpoint_config({"config": state["config"]})
    for key, value in change.items():
        setattr(config.model, key, value)
    with pytest.raises(CheckpointError, match=message.replace("(", r"\(")):
        check_compatible(state, config, 2, 2)


def test_different_data_set_is_refused(small_checkpoint):
    state = load_checkpoint(small_checkpoint[0])
    config = checkpoint_config(state)
    config.data.dataset = "iris"
    with pytest.raises(CheckpointError, match=r"trained on 2 inputs -> 2 outputs \(circle\), but this data set has 4 inputs -> 3 outputs"):
        Trainer(config, resume=state).setup()


def test_changed_optimizer_starts_fresh_with_notice(small_checkpoint):
    state = load_checkpoint(small_checkpoint[0])
    config = checkpoint_config(state)
    config.train.optimizer = "sgd"
    config.train.epochs = 3
    trainer = Trainer(config, resume=state)
    assert trainer.run().status == "completed"
    assert "optimizer changed: its state starts fresh" in trainer.notices
    assert trainer.epoch == 3 and len(trainer.history) == 3


def test_resume_applies_new_learning_rate(small_checkpoint):
    state = load_checkpoint(small_checkpoint[0])
    config = checkpoint_config(state)
    config.train.lr = 0.001
    config.train.epochs = 3
    trainer = Trainer(config, resume=state)
    trainer.run()
    assert [m.lr for m in trainer.history] == [0.01, 0.01, 0.001]


def test_checkpoint_error_is_a_user_error():
    assert issubclass(CheckpointError, UserError)


def csv_with_gaps(folder: Path) -> Path:
    rows = ["id,size,colour,kind"] + [f"{i},{'' if i % 5 == 0 else i * 0.5},{['red', 'blue', 'NA'][i % 3]},"
                                      f"{['cat', 'dog'][i % 2]}" for i in range(40)]
    (folder / "gaps.csv").write_text("\n".join(rows) + "\n")
    return folder / "gaps.csv"


def test_checkpoint_carries_the_column_plan_and_fill_values(tmp_path, config_factory):
    from tui_dl.engine.data.columns import ColumnPlan

    trainer = trained(config_factory(str(csv_with_gaps(tmp_path)), epochs=1))
    state = load_checkpoint(save_checkpoint(trainer.checkpoint_state(), tmp_path / "gaps.ckpt"))  # weights_only
    plan = ColumnPlan.from_dict(state["column_plan"])
    assert plan == trainer.data.raw.plan and plan.excluded() == {"id": "an ID: a different whole number in every row"}
    assert state["fill_values"] == trainer.data.fill_values and set(state["fill_values"]) == {"size"}
    assert state["feature_names"] == plan.feature_names()


def test_checkpoint_of_built_in_data_has_no_plan(small_checkpoint):
    state = load_checkpoint(small_checkpoint[0])
    assert state["column_plan"] is None and state["fill_values"] == {}


def test_an_old_checkpoint_without_plan_or_fill_values_still_resumes(tmp_path, config_factory):
    config = config_factory(str(csv_with_gaps(tmp_path)), epochs=1)
    state = trained(config).checkpoint_state()
    for key in ("column_plan", "fill_values"):
        del state[key]
    for key in ("exclude", "include", "missing"):  # nor these settings in its config
        del state["config"]["data"][key]
    old = load_checkpoint(save_checkpoint(state, tmp_path / "old.ckpt"))
    config = checkpoint_config(old)
    config.train.epochs = 2
    resumed = Trainer(config, resume=old)
    assert resumed.run().status == "completed" and resumed.epoch == 2
