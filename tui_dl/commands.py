"""Small headless commands: `tui-dl datasets`, `fetch`, `runs` and `export`."""

from __future__ import annotations

from pathlib import Path

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from tui_dl.i18n import N_, _

PIPE_WIDTH = 160  # a table written to a file or pipe is not cut to 80 columns


def table_console() -> Console:
    """A console for tables: the terminal's width, or PIPE_WIDTH when output is not a terminal."""
    console = Console()
    return console if console.is_terminal else Console(width=PIPE_WIDTH)


def list_datasets() -> int:
    """Print a table of every registered data set."""
    from tui_dl.engine.config import DataConfig
    from tui_dl.engine.datasets import REGISTRY

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

    from tui_dl.engine.errors import UserError
    from tui_dl.engine.fetch import FetchError, fetch

    target = folder or Path("data") / name
    try:
        fetch(name, target)
    except (FetchError, UserError) as exc:
        print(_("error: {message}").format(message=exc), file=sys.stderr)
        return 1
    print(_("done: train with  tui-dl train --dataset {target}").format(target=target))
    return 0


def list_runs(root: Path, sort: str, as_json: bool) -> int:
    """Print the recorded runs under `root` as a table (or JSON lines)."""
    import json

    from tui_dl.engine import run_list

    found = run_list.sort_runs(run_list.list_runs(root), sort)
    if as_json:
        for run in found:
            print(json.dumps({**run.to_dict(), "status": run.live_status, "state": run.live_status,
                              "path": str(run.path)}))
        return 0
    console = Console()
    if not found:
        console.print(_("no runs in {root} yet: `tui-dl train` or the UI (F5) records one there").format(
                          root=root), highlight=False)
        return 0
    columns = run_list.columns_for(found)
    rows = [run_list.cells(run, columns) for run in found]
    titles = [_(c.title) for c in columns]
    widths = [max(cell_len(title), *(cell_len(row[i]) for row in rows)) for i, title in enumerate(titles)]
    shown = len(columns)
    if console.is_terminal:  # the columns that fit, most important first; a pipe gets them all
        room, shown = console.width - 1, 0
        while shown < len(columns) and room >= widths[shown] + 3:
            room -= widths[shown] + 3
            shown += 1
        shown = max(shown, 1)
    else:
        console = Console(width=sum(w + 3 for w in widths) + 1)
    table = Table(title=_("runs in {root}").format(root=root), title_justify="left")
    for column, title, width in zip(columns[:shown], titles, widths):
        table.add_column(title, no_wrap=True, min_width=width, justify="right" if column.numeric else "left")
    for row in rows:
        table.add_row(*row[:shown])
    console.print(table)
    if shown < len(columns):
        hidden = ", ".join(titles[shown:])
        console.print(_("[dim]not shown at this width: {hidden} (a wider terminal, or --json)[/]").format(
                          hidden=hidden), highlight=False)
    return 0


def export_run(root: Path, name: str, csv: str | None, tensorboard: Path | None) -> int:
    """Write a run's metrics as CSV (to a file or stdout) and/or TensorBoard event files."""
    import sys

    from tui_dl.engine.run_export import export_csv, export_tensorboard
    from tui_dl.engine.run_list import find_run
    from tui_dl.engine.runs import RunError

    writing = csv
    try:
        folder = find_run(root, name)
        if csv == "-":
            export_csv(folder, sys.stdout)
        elif csv is not None:
            with open(csv, "w", encoding="utf-8", newline="") as out:
                rows = export_csv(folder, out)
            print(_("{rows} epochs of {name} written to {csv}").format(
                      rows=rows, name=folder.name, csv=csv), file=sys.stderr)
        if tensorboard is not None:
            writing = tensorboard
            target = export_tensorboard(folder, tensorboard)
            print(_("TensorBoard events of {name} written to {target}: tensorboard --logdir {tensorboard}").format(
                      name=folder.name, target=target, tensorboard=tensorboard),
                  file=sys.stderr)
    except RunError as exc:
        print(_("error: {message}").format(message=exc), file=sys.stderr)
        return 2
    except BrokenPipeError:
        raise  # the reader closed the pipe (`| head`): handled by the CLI, not a write error
    except OSError as exc:
        print(_("error: {message}").format(message=_("cannot write {file}: {reason}").format(
                  file=writing, reason=exc.strerror or exc)), file=sys.stderr)
        return 2
    return 0
