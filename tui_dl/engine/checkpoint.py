"""Checkpoint files: atomic writes, safe loads (no code execution), compatibility checks."""

from __future__ import annotations

import os
import pickle
import pickletools
import re
import tempfile
import time
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import torch

from tui_dl.engine.config import ModelConfig, RunConfig, ordered_features
from tui_dl.engine.errors import CheckpointError, ConfigError
from tui_dl.engine.process import process_alive

FORMAT_VERSION = 1
KIND = "tui-dl checkpoint"
_BLOCKED_GLOBAL = re.compile(r"unsupported (?:global: )?GLOBAL ([\w.]+)", re.IGNORECASE)
STALE_TEMP_S = 600.0  # a temp file without its writer's pid in the name is deleted after this long untouched
_TEMP_TAIL = re.compile(r"(?:(\d+)\.)?[a-z0-9_]{8}\.tmp")  # after ".NAME.": [PID.]XXXXXXXX.tmp (mkstemp)
_SNIFF_BYTES = 64 * 1024  # how much of a file's start tells what it is
_PICKLE_SCAN_BYTES = 1 << 20  # how much of a plain pickle is scanned for the functions it calls
_PICKLE_PROTO = 0x80  # a pickle of protocol 2 or later starts with this byte
_LEGACY_MAGIC = pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2)  # torch's magic number, legacy format


def save_checkpoint(state: dict, path: str | Path) -> Path:
    """Write `state` to `path` atomically: a temp file in the same folder, fsync, then rename."""
    path = Path(path).expanduser()
    payload = {"kind": KIND, "format_version": FORMAT_VERSION, **state}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_temps(path)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
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


def _remove_stale_temps(path: Path) -> None:
    """Delete the temp files earlier saves to `path` left behind (a writer killed mid-save).

    A temp file is named `.NAME.PID.XXXXXXXX.tmp`; it is stale when process PID no longer runs on this
    machine. One without a PID (written by an older tui-dl) is stale once untouched for STALE_TEMP_S.
    A temp file being written by a live process is never touched.
    """
    prefix = f".{path.name}."
    try:
        candidates = [p for p in path.parent.iterdir() if p.name.startswith(prefix)]
    except OSError:
        return
    for temp in candidates:
        match = _TEMP_TAIL.fullmatch(temp.name[len(prefix):])
        if match is None:
            continue
        pid = match.group(1)
        try:
            stale = not process_alive(int(pid)) if pid else time.time() - temp.stat().st_mtime > STALE_TEMP_S
            if stale:
                temp.unlink()
        except OSError:
            continue  # gone already, or not ours to delete: the save goes on


def load_checkpoint(path: str | Path) -> dict:
    """Read a checkpoint safely (`weights_only=True`: a file that would run code is refused).

    A file that is not one is refused with a message saying what it is (empty, text, a plain pickle, another
    zip archive, another PyTorch file, damaged) and why, never with the loader's internal error.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist" if not path.exists() else f"{path} is not a file")
    _refuse_other_formats(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        blocked = _BLOCKED_GLOBAL.search(str(exc))
        if blocked:
            raise CheckpointError(f"refused {path.name}: it is a PyTorch file holding Python objects ({blocked.group(1)}) "
                                  "that only an unsafe load would build, which can run code; only tui-dl "
                                  "checkpoints are loaded") from None
        raise CheckpointError(f"refused {path.name}: it is a PyTorch file whose contents the safe loader does not "
                              "accept; only tui-dl checkpoints are loaded") from None
    except Exception:  # noqa: BLE001 - torch raises many kinds for a damaged archive; its text means nothing here
        raise CheckpointError(f"{path.name} is a damaged PyTorch file: its contents cannot be read") from None
    if not isinstance(state, dict) or state.get("kind") != KIND:
        raise CheckpointError(f"{path.name} is a PyTorch file but not a tui-dl checkpoint ({_holding(state)})")
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


def _refuse_other_formats(path: Path) -> None:
    """Raise CheckpointError saying what `path` is, unless it may be a PyTorch file (zip or legacy format).

    Only the file's start (and a zip's directory) is read; nothing in it is run.
    """
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    name = path.name
    if not head:
        raise CheckpointError(f"{name} is empty (0 bytes), not a checkpoint")
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as archive:
                members = archive.namelist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            raise CheckpointError(f"{name} is a damaged or truncated zip archive (a checkpoint cut short?): "
                                  "its contents cannot be read") from None
        if not any(m.count("/") == 1 and m.endswith("/data.pkl") for m in members):
            shown = ", ".join(members[:3]) + (", ..." if len(members) > 3 else "")
            raise CheckpointError(f"{name} is a zip archive ({shown or 'empty'}) but not a PyTorch file, "
                                  "so not a tui-dl checkpoint")
        return
    if head.startswith(_LEGACY_MAGIC):  # a PyTorch file from before torch 1.6
        return
    if head[0] == _PICKLE_PROTO:
        called = _pickle_calls(head if len(head) < _SNIFF_BYTES else path.read_bytes()[:_PICKLE_SCAN_BYTES])
        if called:
            raise CheckpointError(f"refused {name}: it is a Python pickle that calls {', '.join(called[:2])} when "
                                  "loaded, which can run any code; only tui-dl checkpoints are loaded")
        raise CheckpointError(f"{name} is a plain Python pickle, not a tui-dl checkpoint (a PyTorch zip archive)")
    if not any(byte < 0x20 and byte not in b"\t\n\r\f\x1b" for byte in head):
        raise CheckpointError(f"{name} is a text file (it starts {_first_line(head)!r}), not a tui-dl checkpoint")
    raise CheckpointError(f"{name} is binary data in no format tui-dl reads, not a tui-dl checkpoint "
                          "(a PyTorch zip archive)")


def _first_line(head: bytes) -> str:
    line = next((line.strip() for line in head.splitlines() if line.strip()), b"")[:40]
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("latin-1")


def _pickle_calls(data: bytes) -> list[str]:
    """The functions and classes a pickle names (what loading it would call), others before torch's own."""
    names: list[str] = []
    strings: list[str] = []
    try:
        for opcode, arg, _ in pickletools.genops(data):
            if opcode.name in ("GLOBAL", "INST"):
                names.append(str(arg).replace(" ", "."))
            elif opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
                names.append(".".join(strings[-2:]))
            elif isinstance(arg, str):
                strings.append(arg)
    except Exception:  # noqa: BLE001 - a damaged or cut pickle: what was read is enough to tell
        pass
    unique = list(dict.fromkeys(names))
    return sorted(unique, key=lambda n: n.startswith(("torch.", "collections.")))


def _holding(state) -> str:
    """What a PyTorch file that is not a checkpoint holds, in a few words."""
    if isinstance(state, dict):
        keys = ", ".join(str(k) for k in list(state)[:4]) + (", ..." if len(state) > 4 else "")
        return f"it holds a dict of {keys}" if state else "it holds an empty dict"
    if isinstance(state, torch.Tensor):
        return f"it holds one tensor of shape {tuple(state.shape)}"
    return f"it holds a {type(state).__name__}"


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
    if ordered_features(saved.features) != ordered_features(mine.features):
        raise CheckpointError(f"checkpoint's model takes {_features_text(saved)} but the model here takes "
                              f"{_features_text(mine)}")
    if saved.hidden_sizes() != mine.hidden_sizes():
        raise CheckpointError(
            f"checkpoint architecture is {saved.summary(inputs, outputs).split(',')[0]} but the model here is "
            f"{mine.summary(inputs, outputs).split(',')[0]} ({_first_difference(saved, mine)})")
    if saved.activation != mine.activation:
        raise CheckpointError(f"checkpoint uses {saved.activation} activations but the model here uses {mine.activation}")
    if (saved.dropout > 0) != (mine.dropout > 0):
        raise CheckpointError(f"checkpoint has dropout {saved.dropout:g} but the model here has {mine.dropout:g}; "
                              "dropout layers must match")


def _features_text(model: ModelConfig) -> str:
    names = ordered_features(model.features)
    return f"the input features {', '.join(names)}" if names else "the data set's inputs as they are"


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
