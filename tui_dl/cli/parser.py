"""The command line's parser: every subcommand and flag, value checks that fail with one clear line, and the
flags applied on top of a config."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import NoReturn

from tui_dl import __version__
from tui_dl.cli.text import HelpFormatter
from tui_dl.engine.config import (
    ACTIVATIONS,
    FEATURES,
    MISSING_MODES,
    OPTIMIZERS,
    REGULARIZATIONS,
    SCHEDULES,
    TASKS,
    RunConfig,
)
from tui_dl.engine.runs.listing import SORTS
from tui_dl.i18n import LANGUAGES, _

EXIT_USAGE = 2


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line: `error: ...`, exit status 2; help is laid out in cells."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, formatter_class=HelpFormatter, **kwargs)

    def error(self, message: str) -> NoReturn:
        fail(message)


def fail(message: str, status: int = EXIT_USAGE) -> NoReturn:
    print(_("error: {message}").format(message=message), file=sys.stderr)
    raise SystemExit(status)


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("expected a whole number, got {text!r}").format(text=text)) from None


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("expected a number, got {text!r}").format(text=text)) from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(_("expected a finite number, got {text!r}").format(text=text))
    return value


def _widths(text: str) -> list[int]:
    parts = [p for p in text.replace(" ", ",").split(",") if p]
    if not parts:
        raise argparse.ArgumentTypeError(_("expected a number of neurons, or a comma-separated list (64,32)"))
    return [_whole(p) for p in parts]


def _columns(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError(_("expected column names separated by commas (rownames,Name)"))
    return names


def _features(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError(_("expected input features separated by commas, from {features}").format(
            features=",".join(FEATURES)))
    return sorted(names, key=lambda n: FEATURES.index(n) if n in FEATURES else len(FEATURES))  # input column order


def build_parser() -> Parser:
    parser = Parser(prog="tui-dl", description=_("Train neural networks with PyTorch from the terminal."))
    parser.add_argument("--version", action="version", version=f"tui-dl {__version__}",
                        help=_("show program's version number and exit"))
    parser.add_argument("--lang", choices=tuple(LANGUAGES), help=_("the language of the texts (default: from LANG)"))
    commands = parser.add_subparsers(dest="command", parser_class=Parser)

    parser.add_argument("--runs-dir", type=Path, metavar="DIR",
                        help=_("folder of run records (default: $TUI_DL_RUNS_DIR or ./runs)"))
    parser.add_argument("--config", type=Path, metavar="FILE.toml",
                        help=_("open the UI with the settings of a TOML file (as `train --config` reads)"))
    ui = commands.add_parser("ui", help=_("open the terminal UI (the default)"))
    ui.add_argument("--runs-dir", type=Path, metavar="DIR", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    ui.add_argument("--config", type=Path, metavar="FILE.toml", default=argparse.SUPPRESS,
                    help=_("start with the settings of a TOML file (as `train --config` reads)"))
    ui.add_argument("--in-process", action="store_true",
                    help=_("train in the UI's own process: a run then ends when the UI does (default: each run "
                           "in its own process, which outlives the UI)"))
    commands.add_parser("datasets", help=_("list the built-in and shipped data sets"))

    runs = commands.add_parser("runs", help=_("list recorded runs"))
    runs.add_argument("--runs-dir", type=Path, metavar="DIR", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    runs.add_argument("--sort", choices=tuple(SORTS), default="started", help=_("order of the list (default: newest first)"))
    runs.add_argument("--json", action="store_true", help=_("one JSON object per run"))

    export = commands.add_parser("export", help=_("write a run's metrics as CSV or TensorBoard event files"))
    export.add_argument("run", nargs="?", help=_("a run name (or unique prefix) under the runs folder, or a run folder"))
    export.add_argument("--runs-dir", type=Path, metavar="DIR", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    export.add_argument("--csv", nargs="?", const="-", metavar="FILE", help=_("write CSV to FILE (default: stdout)"))
    export.add_argument("--tensorboard", type=Path, metavar="LOGDIR",
                        help=_("write TensorBoard event files to LOGDIR/RUN (needs the tensorboard package)"))

    attach = commands.add_parser("attach", help=_("open the UI attached to a live run (default: the newest)"))
    attach.add_argument("run", nargs="?", help=_("a run name (or unique prefix) or a run folder"))
    attach.add_argument("--runs-dir", type=Path, metavar="DIR", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    for verb, what in (("pause", _("pause a live run")), ("resume", _("resume a paused run")),
                       ("step", _("train one batch of a paused run (it stays paused)")),
                       ("stop", _("stop a live run (its last epoch is saved)"))):
        command = commands.add_parser(verb, help=what)
        command.add_argument("run", help=_("a run name (or unique prefix) or a run folder"))
        command.add_argument("--runs-dir", type=Path, metavar="DIR", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    set_lr = commands.add_parser("set-lr", help=_("change a live run's learning rate (from its next batch)"))
    set_lr.add_argument("run", help=_("a run name (or unique prefix) or a run folder"))
    set_lr.add_argument("value", type=_number, help=_("the new learning rate"))
    set_lr.add_argument("--runs-dir", type=Path, metavar="DIR", default=argparse.SUPPRESS, help=argparse.SUPPRESS)

    checkpoint_help = _("a checkpoint file, or a run (name, unique prefix or folder): its best.pt")
    predict = commands.add_parser("predict", help=_("apply a trained model to new rows (CSV, NPZ or IDX)"))
    predict.add_argument("checkpoint", metavar="CKPT", help=checkpoint_help)
    predict.add_argument("--input", type=Path, metavar="FILE", required=True,
                         help=_("the rows to predict; a CSV needs the feature columns, the target is optional"))
    predict.add_argument("--output", type=Path, metavar="FILE", help=_("write here (default: stdout)"))
    predict.add_argument("--json", action="store_true", help=_("one JSON object per row instead of CSV"))
    predict.add_argument("--runs-dir", type=Path, metavar="DIR", default=argparse.SUPPRESS, help=argparse.SUPPRESS)

    export_model = commands.add_parser("export-model", help=_("write a model as ONNX or as a standalone PyTorch script"))
    export_model.add_argument("checkpoint", metavar="CKPT", help=checkpoint_help)
    export_model.add_argument("--onnx", type=Path, metavar="FILE", help=_("an ONNX graph (needs tui-dl[onnx])"))
    export_model.add_argument("--script", type=Path, metavar="FILE.py",
                              help=_("a plain PyTorch script that trains the same model again"))
    export_model.add_argument("--runs-dir", type=Path, metavar="DIR", default=argparse.SUPPRESS, help=argparse.SUPPRESS)

    fetch = commands.add_parser("fetch", help=_("download MNIST or Fashion-MNIST (IDX files)"))
    fetch.add_argument("name", choices=["mnist", "fashion-mnist"])
    fetch.add_argument("folder", nargs="?", type=Path, help=_("where to save (default: data/NAME)"))

    train = commands.add_parser("train", help=_("train headless"))
    data = train.add_argument_group(_("data"))
    data.add_argument("--dataset", help=_("a built-in name (see `tui-dl datasets`) or a CSV / NPZ / IDX path"))
    data.add_argument("--target", help=_("CSV target column (default: the last column)"))
    data.add_argument("--exclude", type=_columns, metavar="COL,...", help=_("CSV columns to leave out"))
    data.add_argument("--include", type=_columns, metavar="COL,...",
                      help=_("CSV columns to use although the rules leave them out (IDs, many categories)"))
    data.add_argument("--missing", choices=MISSING_MODES,
                      help=_("missing CSV feature values: impute (default: median + a was-missing column) or drop rows"))
    data.add_argument("--task", choices=TASKS, help=_("force classification or regression"))
    data.add_argument("--samples", type=_whole, help=_("samples for synthetic data sets"))
    data.add_argument("--noise", type=_number, help=_("noise for synthetic data sets, 0..1"))
    data.add_argument("--window", type=_whole, help=_("days of history for daily-views (1 or 7)"))
    data.add_argument("--val-split", type=_number, help=_("validation fraction (default 0.2)"))
    data.add_argument("--test-split", type=_number, help=_("test fraction (default 0)"))
    model = train.add_argument_group(_("model"))
    model.add_argument("--layers", type=_whole, help=_("hidden layers (default 2)"))
    model.add_argument("--neurons", type=_widths, help=_("neurons per hidden layer: 32, or one per layer: 64,32"))
    model.add_argument("--activation", choices=ACTIVATIONS)
    model.add_argument("--dropout", type=_number)
    model.add_argument("--features", type=_features, metavar="F,...",
                       help=_("input features of a 2-D data set, from {features} (default: x1,x2)").format(
                           features=",".join(FEATURES)))
    loop = train.add_argument_group(_("training"))
    loop.add_argument("--optimizer", choices=OPTIMIZERS)
    loop.add_argument("--lr", type=_number, help=_("learning rate"))
    loop.add_argument("--momentum", type=_number, help=_("SGD momentum"))
    loop.add_argument("--regularization", choices=REGULARIZATIONS,
                      help=_("l1: rate * sum |w| added to the loss; l2: weight decay (default none)"))
    loop.add_argument("--reg-rate", type=_number, metavar="RATE", help=_("regularization rate (default 0.001)"))
    loop.add_argument("--weight-decay", type=_number, metavar="RATE",
                      help=_("the older spelling of --regularization l2 --reg-rate RATE (not with those two)"))
    loop.add_argument("--schedule", choices=SCHEDULES, help=_("learning-rate schedule (default constant)"))
    loop.add_argument("--warmup", type=_whole, metavar="EPOCHS", help=_("epochs of linear learning-rate warm-up"))
    loop.add_argument("--decay-epochs", type=_whole, metavar="EPOCHS",
                      help=_("step: decay every EPOCHS; plateau: after EPOCHS without improvement (default 10)"))
    loop.add_argument("--decay-factor", type=_number, help=_("step / plateau: multiply the rate by this (default 0.5)"))
    loop.add_argument("--batch-size", type=_whole)
    loop.add_argument("--epochs", type=_whole, help=_("total epochs (a resumed run continues up to this)"))
    loop.add_argument("--seed", type=_whole, help=_("seed for data, split and initial weights"))
    loop.add_argument("--device", help=_("auto (default), cpu, cuda, cuda:N or mps"))
    loop.add_argument("--threads", type=_whole, metavar="N",
                      help=_("CPU threads (default 0: share the cores with the other live runs)"))
    loop.add_argument("--early-stop", type=_whole, metavar="PATIENCE",
                      help=_("stop when validation loss has not improved for PATIENCE epochs"))
    files = train.add_argument_group(_("files"))
    files.add_argument("--config", type=Path, metavar="FILE.toml", help=_("read settings from a TOML file"))
    files.add_argument("--save", type=Path, metavar="CKPT", help=_("save a checkpoint here at the end (and on Ctrl+C)"))
    files.add_argument("--resume", type=Path, metavar="CKPT", help=_("continue from a checkpoint"))
    files.add_argument("--runs-dir", type=Path, metavar="DIR", default=argparse.SUPPRESS,
                       help=_("record the run under DIR (default: $TUI_DL_RUNS_DIR or ./runs)"))
    files.add_argument("--run-name", metavar="NAME", help=_("the run folder's name (default: date-time-dataset)"))
    train.add_argument("--json", action="store_true", help=_("print one JSON object per epoch and one at the end"))
    train.add_argument("--detach", action="store_true",
                       help=_("train in a background process that outlives this shell (see `tui-dl attach`)"))
    for command in commands.choices.values():  # `tui-dl train --lang zh` as well (read before parsing, see main)
        command.add_argument("--lang", choices=tuple(LANGUAGES), default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parser


_OVERRIDES = {
    "data": ("dataset", "target", "exclude", "include", "missing", "task", "samples", "noise", "window", "val_split", "test_split", "seed"),
    "model": ("layers", "neurons", "activation", "dropout", "features"),
    "train": ("optimizer", "lr", "momentum", "regularization", "reg_rate", "batch_size", "epochs", "seed", "device",
              "early_stop", "threads", "schedule", "warmup", "decay_epochs", "decay_factor"),
}


def config_from_args(args: argparse.Namespace, base: RunConfig) -> RunConfig:
    """`base` with every flag the user gave applied on top (ConfigError for --weight-decay with --regularization
    or --reg-rate)."""
    from tui_dl.engine.errors import ConfigError

    config = base.copy()
    if args.weight_decay is not None:
        if args.regularization is not None or args.reg_rate is not None:
            raise ConfigError([("train.weight_decay", _("--weight-decay RATE is --regularization l2 --reg-rate RATE: "
                                                        "give one or the other"))])
        args.regularization, args.reg_rate = ("l2" if args.weight_decay else "none"), args.weight_decay
    for section, names in _OVERRIDES.items():
        for name in names:
            value = getattr(args, name)
            if value is not None:
                setattr(getattr(config, section), name, value)
    if args.neurons is not None and len(args.neurons) > 1 and args.layers is None:
        config.model.layers = len(args.neurons)
    return config
