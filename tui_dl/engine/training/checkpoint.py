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
from tui_dl.engine.training.process import process_alive
from tui_dl.i18n import _

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
        raise CheckpointError(_("cannot write checkpoint {path}: {reason}").format(
                                  path=path, reason=exc.strerror or exc)) from None
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes the file private; a checkpoint is an ordinary file
        with os.fdopen(fd, "wb") as handle:
            torch.save(payload, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise CheckpointError(_("cannot write checkpoint {path}: {reason}").format(
                                  path=path, reason=exc.strerror or exc)) from None
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
        problem = _("checkpoint {path} does not exist") if not path.exists() else _("{path} is not a file")
        raise CheckpointError(problem.format(path=path))
    _refuse_other_formats(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        blocked = _BLOCKED_GLOBAL.search(str(exc))
        if blocked:
            raise CheckpointError(_("refused {name}: it is a PyTorch file holding Python objects ({group}) that "
                                    "only an unsafe load would build, which can run code; only tui-dl checkpoints "
                                    "are loaded").format(name=path.name, group=blocked.group(1))) from None
        raise CheckpointError(_("refused {name}: it is a PyTorch file whose contents the safe loader does not "
                                "accept; only tui-dl checkpoints are loaded").format(name=path.name)) from None
    except Exception:  # noqa: BLE001 - torch raises many kinds for a damaged archive; its text means nothing here
        raise CheckpointError(_("{name} is a damaged PyTorch file: its contents cannot be read").format(
                                  name=path.name)) from None
    if not isinstance(state, dict) or state.get("kind") != KIND:
        raise CheckpointError(_("{name} is a PyTorch file but not a tui-dl checkpoint ({holding})").format(
                                  name=path.name, holding=_holding(state)))
    version = state.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise CheckpointError(_("{name} has an invalid checkpoint format version {version!r}").format(
                                  name=path.name, version=version))
    if version > FORMAT_VERSION:
        raise CheckpointError(_("{name} has checkpoint format {version}, newer than this tui-dl reads "
                                "({format_version}); upgrade tui-dl").format(
                                  name=path.name, version=version, format_version=FORMAT_VERSION))
    missing = [key for key in ("model", "config", "inputs", "outputs", "epoch", "history") if key not in state]
    if missing:
        raise CheckpointError(_("{name} is incomplete: it lacks {missing}").format(
                                  name=path.name, missing=', '.join(missing)))
    try:
        RunConfig.from_dict(state["config"]).validate()
    except (ConfigError, TypeError, ValueError, AttributeError) as exc:
        raise CheckpointError(_("{name} holds an invalid configuration: {exc}").format(
                                  name=path.name, exc=exc)) from None
    return state


def _refuse_other_formats(path: Path) -> None:
    """Raise CheckpointError saying what `path` is, unless it may be a PyTorch file (zip or legacy format).

    Only the file's start (and a zip's directory) is read; nothing in it is run.
    """
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    name = path.name
    if not head:
        raise CheckpointError(_("{name} is empty (0 bytes), not a checkpoint").format(name=name))
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as archive:
                members = archive.namelist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            raise CheckpointError(_("{name} is a damaged or truncated zip archive (a checkpoint cut short?): its "
                                    "contents cannot be read").format(name=name)) from None
        if not any(m.count("/") == 1 and m.endswith("/data.pkl") for m in members):
            shown = ", ".join(members[:3]) + (", ..." if len(members) > 3 else "")
            raise CheckpointError(_("{name} is a zip archive ({contents}) but not a PyTorch file, so not a tui-dl "
                                    "checkpoint").format(name=name, contents=shown or _("empty")))
        return
    if head.startswith(_LEGACY_MAGIC):  # a PyTorch file from before torch 1.6
        return
    if head[0] == _PICKLE_PROTO:
        called = _pickle_calls(head if len(head) < _SNIFF_BYTES else path.read_bytes()[:_PICKLE_SCAN_BYTES])
        if called:
            raise CheckpointError(_("refused {name}: it is a Python pickle that calls {called} when loaded, which "
                                    "can run any code; only tui-dl checkpoints are loaded").format(
                                      name=name, called=', '.join(called[:2])))
        raise CheckpointError(_("{name} is a plain Python pickle, not a tui-dl checkpoint (a PyTorch zip archive)").format(
                                  name=name))
    if not any(byte < 0x20 and byte not in b"\t\n\r\f\x1b" for byte in head):
        raise CheckpointError(_("{name} is a text file (it starts {start!r}), not a tui-dl checkpoint").format(
                                  name=name, start=_first_line(head)))
    raise CheckpointError(_("{name} is binary data in no format tui-dl reads, not a tui-dl checkpoint (a PyTorch "
                            "zip archive)").format(name=name))


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
        for opcode, arg, _pos in pickletools.genops(data):
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
        return _("it holds a dict of {keys}").format(keys=keys) if state else _("it holds an empty dict")
    if isinstance(state, torch.Tensor):
        return _("it holds one tensor of shape {shape}").format(shape=tuple(state.shape))
    return _("it holds a {kind}").format(kind=type(state).__name__)


def checkpoint_config(state: dict) -> RunConfig:
    """The run configuration stored in a checkpoint."""
    return RunConfig.from_dict(state["config"])


def check_compatible(state: dict, config: RunConfig, inputs: int, outputs: int) -> None:
    """Raise CheckpointError naming the difference if `state` cannot continue as `config`."""
    saved = ModelConfig(**state["config"]["model"])
    if state["inputs"] != inputs or state["outputs"] != outputs:
        raise CheckpointError(
            _("checkpoint was trained on {inputs} inputs -> {outputs} outputs ({dataset}), but this data set has "
              "{data_inputs} inputs -> {data_outputs} outputs").format(
                inputs=state['inputs'], outputs=state['outputs'], dataset=state.get('dataset', '?'),
                data_inputs=inputs, data_outputs=outputs))
    mine = config.model
    if ordered_features(saved.features) != ordered_features(mine.features):
        raise CheckpointError(_("checkpoint's model takes {saved} but the model here takes {mine}").format(
                                  saved=_features_text(saved), mine=_features_text(mine)))
    if saved.hidden_sizes() != mine.hidden_sizes():
        raise CheckpointError(
            _("checkpoint architecture is {saved} but the model here is {mine} ({difference})").format(
                saved=saved.summary(inputs, outputs).split(',')[0], mine=mine.summary(inputs, outputs).split(',')[0],
                difference=_first_difference(saved, mine)))
    if saved.activation != mine.activation:
        raise CheckpointError(_("checkpoint uses {saved} activations but the model here uses {mine}").format(
                                  saved=saved.activation, mine=mine.activation))
    if (saved.dropout > 0) != (mine.dropout > 0):
        raise CheckpointError(_("checkpoint has dropout {saved:g} but the model here has {mine:g}; dropout "
                                "layers must match").format(saved=saved.dropout, mine=mine.dropout))


def _features_text(model: ModelConfig) -> str:
    names = ordered_features(model.features)
    return _("the input features {names}").format(
               names=', '.join(names)) if names else _("the data set's inputs as they are")


def _first_difference(saved: ModelConfig, mine: ModelConfig) -> str:
    a, b = saved.hidden_sizes(), mine.hidden_sizes()
    if len(a) != len(b):
        return _("{saved} hidden layers in the checkpoint, {mine} here").format(saved=len(a), mine=len(b))
    index = next(i for i, (p, q) in enumerate(zip(a, b)) if p != q)
    return _("hidden layer {index} has {a} neurons in the checkpoint, {b} here").format(
               index=index + 1, a=a[index], b=b[index])


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
    summary = model.summary(state["inputs"], state["outputs"], shown=True)  # for the checkpoint picker
    return CheckpointInfo(path, str(state.get("dataset", "?")), summary, int(state["epoch"]), state.get("best_val_loss"))
