"""The `tui-dl` command: the UI by default, and headless `datasets`, `train`, `fetch`, `runs`, `export`, `predict`
and `export-model`; each subcommand's family lives in its own module and is imported only when used."""

from __future__ import annotations

import argparse
import os
import sys

from tui_dl.cli.parser import build_parser, fail
from tui_dl.cli.text import language_in
from tui_dl.engine.config import load_toml
from tui_dl.i18n import _, set_language


def main(argv: list[str] | None = None) -> int:
    set_language(language_in(sys.argv[1:] if argv is None else argv))  # before the parser: its help is translated
    args = build_parser().parse_args(argv)
    if getattr(args, "json", False):
        set_language("en")  # machine-readable output is English, notices and column reasons in it too
    try:
        return run_command(args)
    except BrokenPipeError:  # the reader of our output (head, less) stopped reading: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 0


def run_command(args: argparse.Namespace) -> int:
    """Run the subcommand `args` asks for."""
    from tui_dl.paths import runs_dir

    runs_root = args.runs_dir or runs_dir()
    from tui_dl.engine.errors import UserError

    if args.command in (None, "ui", "attach"):
        from tui_dl.ui.app import run_app

        try:
            config = load_toml(args.config).validate() if args.config else None
            if args.command == "attach":
                from tui_dl.cli.detached import resolve_live

                return run_app(runs_root, attach=resolve_live(runs_root, args.run), language=args.lang)
        except UserError as exc:
            fail(str(exc))
        return run_app(runs_root, config, detach=not getattr(args, "in_process", False), language=args.lang)
    if args.command in ("pause", "resume", "step", "stop", "set-lr"):
        from tui_dl.cli.detached import control

        try:
            return control(runs_root, args.run, args.command, getattr(args, "value", None))
        except UserError as exc:
            fail(str(exc))
    if args.command == "datasets":
        from tui_dl.cli.data import list_datasets

        return list_datasets()
    if args.command == "fetch":
        from tui_dl.cli.data import fetch_dataset

        return fetch_dataset(args.name, args.folder)
    if args.command == "runs":
        from tui_dl.cli.runs import list_runs

        return list_runs(runs_root, args.sort, args.json)
    if args.command == "export":
        from tui_dl.cli.runs import export_run

        if args.run is None and args.csv not in (None, "-"):  # `export --csv RUN`: --csv's FILE took the name
            args.run, args.csv = args.csv, "-"
        if args.run is None:
            fail(_("export needs a run: tui-dl export RUN --csv [FILE] (`tui-dl runs` lists them)"))
        if args.csv is None and args.tensorboard is None:
            fail(_("export needs --csv [FILE] or --tensorboard LOGDIR"))
        return export_run(runs_root, args.run, args.csv, args.tensorboard)
    if args.command == "predict":
        from tui_dl.cli.model import predict

        return predict(runs_root, args.checkpoint, args.input, args.output, args.json)
    if args.command == "export-model":
        from tui_dl.cli.model import export_model

        if args.onnx is None and args.script is None:
            fail(_("export-model needs --onnx FILE and/or --script FILE.py"))
        return export_model(runs_root, args.checkpoint, args.onnx, args.script)
    from tui_dl.cli.train import train

    return train(args, runs_root)
