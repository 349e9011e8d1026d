"""Exporting a recorded run's metrics: CSV, and TensorBoard event files."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from tui_dl.engine.runs.listing import read_metrics
from tui_dl.engine.runs.recorder import RunError
from tui_dl.i18n import _

METRIC_COLUMNS = ("epoch", "step", "train_loss", "val_loss", "train_acc", "val_acc", "val_mae", "val_r2", "lr",
                  "samples_per_s", "seconds")


def export_csv(folder: Path, out: TextIO) -> int:
    """Write a run's metrics as CSV (per-layer norms as numbered columns); returns the rows written."""
    import csv

    records = read_metrics(folder)
    layers = max((len(r.get("grad_norms") or ()) for r in records), default=0)
    columns = [c for c in METRIC_COLUMNS if any(c in r for r in records)]
    norms = [f"{kind}_norm_{i + 1}" for kind in ("weight", "grad") for i in range(layers)]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns + norms)
    for r in records:
        row = [r.get(c, "") for c in columns]
        for kind in ("weight", "grad"):
            values = r.get(f"{kind}_norms") or []
            row += [values[i] if i < len(values) else "" for i in range(layers)]
        writer.writerow(row)
    return len(records)


def export_tensorboard(folder: Path, logdir: Path) -> Path:
    """Write a run's metrics as TensorBoard event files under `logdir/<run name>`; needs `tensorboard`."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise RunError(_("TensorBoard export needs the tensorboard package: pip install tensorboard")) from None
    target = Path(logdir).expanduser() / folder.name
    writer = SummaryWriter(log_dir=str(target))
    elapsed = 0.0
    try:
        for r in read_metrics(folder):
            step = int(r["epoch"])
            elapsed += float(r.get("seconds", 0.0))
            for key in METRIC_COLUMNS[2:]:
                if key in r and isinstance(r[key], (int, float)):
                    group = "loss" if key.endswith("loss") else "metrics"
                    writer.add_scalar(f"{group}/{key}", r[key], step)
            for kind in ("weight", "grad"):
                for i, value in enumerate(r.get(f"{kind}_norms") or []):
                    writer.add_scalar(f"{kind}_norm/layer_{i + 1}", value, step)
            writer.add_scalar("time/seconds", elapsed, step)
    finally:
        writer.close()
    return target
