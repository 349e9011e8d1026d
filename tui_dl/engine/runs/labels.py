"""Names for runs compared side by side: a short run name plus only the settings that differ among them."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from tui_dl.engine.config import RunConfig
from tui_dl.engine.errors import UserError
from tui_dl.engine.runs.recorder import CONFIG, RunSummary

NAME_WIDTH = 24
_DATE = re.compile(r"\d{8}-")  # the date that starts a default run name (YYYYMMDD-HHMMSS-dataset)
# Settings shown as their bare value ("relu", "adam"); the others as "label value" ("lr 0.01").
BARE = {"data.dataset", "model.architecture", "model.activation", "train.optimizer", "data.task", "train.device"}
LABELS = {"train.batch_size": "batch", "train.early_stop": "patience", "train.regularization": "reg",
          "data.val_split": "val", "data.test_split": "test", "data.seed": "data seed"}
# In the summary's architecture (which has the data's input and output sizes): not shown again.
IN_ARCHITECTURE = {"model.layers", "model.neurons"}


def run_settings(run: RunSummary) -> dict[str, str]:
    """A run's settings as display texts keyed `section.name`, from its config.toml (empty when unreadable).

    Read as a RunConfig where it is one, so settings an older run's file lacks count as their defaults.
    """
    try:
        data = tomllib.loads((run.path / CONFIG).read_text(encoding="utf-8")) if run.path else {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        data = {}
    try:
        data = RunConfig.from_dict(data).to_dict() if data else data
    except (UserError, TypeError, ValueError):
        pass  # shown as written
    settings: dict[str, str] = {}
    for section, values in data.items():
        for name, value in values.items() if isinstance(values, dict) else ():
            key = f"{section}.{name}"
            if key in IN_ARCHITECTURE:
                key, value = "model.architecture", run.architecture.replace(" -> ", "-")
            elif key == "data.dataset":
                value = Path(str(value)).name
            elif key == "model.features" and not value:
                value = "default"
            text = _text(value)
            settings[key] = text if key in BARE else f"{LABELS.get(key, name.replace('_', ' '))} {text}"
    if run.architecture:
        settings.setdefault("model.architecture", run.architecture.replace(" -> ", "-"))
    return settings


def _text(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return ",".join(_text(v) for v in value)
    return str(value)


def short_names(names: list[str]) -> list[str]:
    """Run names without the date they all share (`20261201-091755-spiral` -> `091755-spiral`), cut to fit."""
    dates = {m.group() if (m := _DATE.match(n)) else None for n in names}
    common = next(iter(dates)) if len(dates) == 1 else None
    out = [n[len(common):] if common and len(n) > len(common) else n for n in names]
    return [n if len(n) <= NAME_WIDTH else n[:NAME_WIDTH - 1] + "…" for n in out]


def run_labels(runs: list[RunSummary], settings: list[dict[str, str]]) -> list[str]:
    """A legend label for each run: its short name and the settings that differ among `runs`.

    A run shown alone gets its model and learning rate instead: there is nothing to tell apart.
    """
    names = short_names([r.name for r in runs])
    if len(runs) == 1:
        shown = [k for k in ("model.activation", "model.architecture", "train.lr") if k in settings[0]]
    else:
        keys = list(dict.fromkeys(k for s in settings for k in s))
        shown = [k for k in keys if len({s.get(k) for s in settings}) > 1]
    return [" ".join([name, *(s[k] for k in shown if k in s)]) for name, s in zip(names, settings)]
