"""`tui-dl datasets` (every registered data set as a table) and `tui-dl fetch` (MNIST-style downloads)."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from tui_dl.cli.text import table_console
from tui_dl.i18n import N_, _


def list_datasets() -> int:
    """Print a table of every registered data set."""
    from tui_dl.engine.config import DataConfig
    from tui_dl.engine.data.registry import REGISTRY

    table = Table(title=_("tui-dl data sets"), title_justify="left")
    for column in (N_("name"), N_("task"), N_("samples"), N_("features"), N_("classes"), N_("source")):
        table.add_column(_(column), no_wrap=column in ("name", "task"), justify="right" if column in ("samples", "features", "classes") else "left")
    for spec in REGISTRY.values():
        raw = spec.load(DataConfig(dataset=spec.name))
        classes = str(len(raw.class_names)) if raw.class_names else "-"
        table.add_row(spec.name, _(spec.task), f"{raw.samples:,}", str(raw.features), classes, _(spec.source))
    console = table_console()
    console.print(table)
    console.print(_("Also: any CSV with a header, .npz with x/y arrays, or MNIST-style IDX files (--dataset PATH); "
                    "`tui-dl fetch mnist` downloads MNIST."))
    return 0


def fetch_dataset(name: str, folder: Path | None) -> int:
    """Download MNIST / Fashion-MNIST; exit 1 with a clear message when offline."""
    import sys

    from tui_dl.engine.data.fetch import FetchError, fetch
    from tui_dl.engine.errors import UserError

    target = folder or Path("data") / name
    try:
        fetch(name, target)
    except (FetchError, UserError) as exc:
        print(_("error: {message}").format(message=exc), file=sys.stderr)
        return 1
    print(_("done: train with  tui-dl train --dataset {target}").format(target=target))
    return 0
