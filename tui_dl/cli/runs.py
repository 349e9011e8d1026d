"""`tui-dl runs` (the recorded runs as a table or JSON lines) and `tui-dl export` (a run's metrics as CSV or
TensorBoard event files)."""

from __future__ import annotations

from pathlib import Path

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table

from tui_dl.i18n import _


def list_runs(root: Path, sort: str, as_json: bool) -> int:
    """Print the recorded runs under `root` as a table (or JSON lines)."""
    import json

    from tui_dl.engine.runs import listing

    found = listing.sort_runs(listing.list_runs(root), sort)
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
    columns = listing.columns_for(found)
    rows = [listing.cells(run, columns) for run in found]
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

    from tui_dl.engine.runs.export import export_csv, export_tensorboard
    from tui_dl.engine.runs.listing import find_run
    from tui_dl.engine.runs.recorder import RunError

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
