"""Checkpoint files: atomic writes, safe loads (no code execution), compatibility checks."""

from __future__ import annotations

import os
import pickle
import re
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch

from tui_dl.engine.config import ModelConfig, RunConfig
from tui_dl.engine.errors import CheckpointError, ConfigError

FORMAT_VERSION = 1
KIND = "tui-dl checkpoint"
_BLOCKED_GLOBAL = re.compile(r"unsupported (?:global: )?GLOBAL ([\w.]+)", re.IGNORECASE)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def save_checkpoint(state: dict, path: str | Path) -> Path:
    """Write `state` to `path` atomically: a temp file in the same folder, fsync, then rename."""
    path = Path(path).expanduser()
    payload = {"kind": KIND, "format_version": FORMAT_VERSION, **state}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise CheckpointError(f"cannot write checkpoint {path}: {exc.strerror or exc}") from None
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes the file private; a checkpoint is an ordinary file
        with os.fdopen(fd, "wb") as handle:
            torch.save(payload, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise CheckpointError(f"cannot write checkpoint {path}: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_checkpoint(path: str | Path) -> dict:
    """Read a checkpoint safely (`weights_only=True`: a file that would run code is refused)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist" if not path.exists() else f"{path} is not a file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        message = str(exc)
        blocked = _BLOCKED_GLOBAL.search(message)
        if blocked:
            raise CheckpointError(f"refused {path.name}: loading it would run code ({blocked.group(1)}); "
                                  "only plain tui-dl checkpoints are loaded") from None
        if "Weights only load failed" in message:
            raise CheckpointError(f"refused {path.name}: not a tui-dl checkpoint (it holds content the safe "
                                  "loader does not accept, which could run code)") from None
        raise CheckpointError(f"{path.name} is not a tui-dl checkpoint (unreadable contents)") from None
    except Exception as exc:  # noqa: BLE001 - torch raises many kinds for foreign or damaged files
        detail = _ANSI.sub("", str(exc)).strip().splitlines()
        raise CheckpointError(f"{path.name} is not a readable checkpoint (damaged, truncated or another "
                              f"format: {detail[0][:100] if detail else type(exc).__name__})") from None
    if not isinstance(state, dict) or state.get("kind") != KIND:
        raise CheckpointError(f"{path.name} is not a tui-dl checkpoint")
    version = state.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise CheckpointError(f"{path.name} has an invalid checkpoint format version {version!r}")
    if version > FORMAT_VERSION:
        raise CheckpointError(f"{path.name} has checkpoint format {version}, newer than this tui-dl reads "
                              f"({FORMAT_VERSION}); upgrade tui-dl")
    missing = [key for key in ("model", "config", "inputs", "outputs", "epoch", "history") if key not in state]
    if missing:
        raise CheckpointError(f"{path.name} is incomplete: it lacks {', '.join(missing)}")
    try:
        RunConfig.from_dict(state["config"]).validate()
    except (ConfigError, TypeError, ValueError, AttributeError) as exc:
        raise CheckpointError(f"{path.name} holds an invalid configuration: {exc}") from None
    return state


def checkpoint_config(state: dict) -> RunConfig:
    """The run configuration stored in a checkpoint."""
    return RunConfig.from_dict(state["config"])


def check_compatible(state: dict, config: RunConfig, inputs: int, outputs: int) -> None:
    """Raise CheckpointError naming the difference if `state` cannot continue as `config`."""
    saved = ModelConfig(**state["config"]["model"])
    if state["inputs"] != inputs or state["outputs"] != outputs:
        raise CheckpointError(
            f"checkpoint was trained on {state['inputs']} inputs -> {state['outputs']} outputs "
            f"({state.get('dataset', '?')}), but this data set has {inputs} inputs -> {outputs} outputs")
    mine = config.model
    if saved.hidden_sizes() != mine.hidden_sizes():
        raise CheckpointError(
            f"checkpoint architecture is {saved.summary(inputs, outputs).split(',')[0]} but the model here is "
            f"{mine.summary(inputs, outputs).split(',')[0]} ({_first_difference(saved, mine)})")
    if saved.activation != mine.activation:
        raise CheckpointError(f"checkpoint uses {saved.activation} activations but the model here uses {mine.activation}")
    if (saved.dropout > 0) != (mine.dropout > 0):
        raise CheckpointError(f"checkpoint has dropout {saved.dropout:g} but the model here has {mine.dropout:g}; "
                              "dropout layers must match")


def _first_difference(saved: ModelConfig, mine: ModelConfig) -> str:
    a, b = saved.hidden_sizes(), mine.hidden_sizes()
    if len(a) != len(b):
        return f"{len(a)} hidden layers in the checkpoint, {len(b)} here"
    index = next(i for i, (p, q) in enumerate(zip(a, b)) if p != q)
    return f"hidden layer {index + 1} has {a[index]} neurons in the checkpoint, {b[index]} here"


@dataclass
class CheckpointInfo:
    """What a checkpoint list shows without loading weights into a model."""

    path: Path
    dataset: str
    summary: str
    epoch: int
    best_val_loss: float | None


def describe_checkpoint(path: Path) -> CheckpointInfo:
    """Summarize a checkpoint file (raises CheckpointError when it cannot be read)."""
    state = load_checkpoint(path)
    model = ModelConfig(**state["config"]["model"])
    return CheckpointInfo(path, str(state.get("dataset", "?")), model.summary(state["inputs"], state["outputs"]),
                          int(state["epoch"]), state.get("best_val_loss"))
