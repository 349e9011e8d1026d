"""Small headless commands: `tui-dl datasets` and `tui-dl fetch`."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table


def list_datasets() -> int:
    """Print a table of every registered data set."""
    from tui_dl.engine.config import DataConfig
    from tui_dl.engine.datasets import REGISTRY

    table = Table(title="tui-dl data sets", title_justify="left")
    for column in ("name", "task", "samples", "features", "classes", "source"):
        table.add_column(column, no_wrap=column in ("name", "task"), justify="right" if column in ("samples", "features", "classes") else "left")
    for spec in REGISTRY.values():
        raw = spec.load(DataConfig(dataset=spec.name))
        classes = str(len(raw.class_names)) if raw.class_names else "-"
        table.add_row(spec.name, spec.task, f"{raw.samples:,}", str(raw.features), classes, spec.source)
    Console().print(table)
    Console().print("Also: any CSV with a header, .npz with x/y arrays, or MNIST-style IDX files "
                    "(--dataset PATH); `tui-dl fetch mnist` downloads MNIST.")
    return 0


def fetch_dataset(name: str, folder: Path | None) -> int:
    """Download MNIST / Fashion-MNIST; exit 1 with a clear message when offline."""
    import sys

    from tui_dl.engine.errors import UserError
    from tui_dl.engine.fetch import FetchError, fetch

    target = folder or Path("data") / name
    try:
        fetch(name, target)
    except (FetchError, UserError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"done: train with  tui-dl train --dataset {target}")
    return 0
