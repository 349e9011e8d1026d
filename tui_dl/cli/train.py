"""`tui-dl train`: a trainer with a Rich progress display or JSON lines, and safe interruption."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from tui_dl.cli.parser import config_from_args, fail
from tui_dl.engine.config import RunConfig, load_toml
from tui_dl.engine.errors import UserError
from tui_dl.engine.events import EpochEnded, EpochMetrics, Event, RunFinished, RunStarted, StepMetrics, status_label
from tui_dl.engine.runs.duration import format_duration
from tui_dl.engine.runs.metric_text import format_test
from tui_dl.engine.runs.session import RunSession
from tui_dl.i18n import _

EXIT_FAILED = 1


def format_epoch(m: EpochMetrics, total: int, best: bool) -> str:
    """One human line for a finished epoch."""
    parts = [_("epoch {epoch}/{total}").format(epoch=f"{m.epoch:>{len(str(total))}}", total=total),
             _("train {loss:.4f}").format(loss=m.train_loss)]
    if m.val_loss is not None:
        parts.append(_("val {loss:.4f}").format(loss=m.val_loss))
    if m.val_acc is not None:
        parts.append(_("acc {train:.1%} / {val:.1%}").format(train=m.train_acc, val=m.val_acc))
    elif m.train_acc is not None:
        parts.append(_("acc {acc:.1%}").format(acc=m.train_acc))
    if m.val_mae is not None:
        parts.append(f"mae {m.val_mae:.4g}  r2 {m.val_r2:.3f}")
    parts += [_("lr {lr:g}").format(lr=m.lr), _("{rate:,.0f} samples/s").format(rate=m.samples_per_s),
              f"{m.seconds:.2f}s"]
    return "  ".join(parts) + (_("  * best") if best else "")


class _Console(Console):
    """A Rich console that tells its owner when the reader of its output goes away (`| head`)."""

    def __init__(self, on_closed, **kwargs):
        super().__init__(**kwargs)
        self._on_closed = on_closed

    def on_broken_pipe(self) -> None:  # Rich's default raises SystemExit(1) from inside the training loop
        self.quiet = True
        self._on_closed(self.file)


class HeadlessRun:
    """One headless training run: output, signals and the final checkpoint.

    A closed output pipe (`tui-dl train | head`) ends the run as SIGPIPE would: recorded as interrupted,
    its last finished epoch saved, exit status 128+13.
    """

    def __init__(self, config: RunConfig, resume: dict | None, save: Path | None, as_json: bool,
                 runs_root: Path, run_name: str | None = None, resumed_from: str = ""):
        self.session = RunSession(config, runs_root, resume=resume, resumed_from=resumed_from, name=run_name)
        self.trainer, self.recorder = self.session.trainer, self.session.recorder  # read for the output only
        self.save = save
        self.as_json = as_json
        self.signal: signal.Signals | None = None
        self.output_closed = False
        self.finished: RunFinished | None = None
        self.console = _Console(self._closed, stderr=as_json, soft_wrap=True)  # one line per epoch, also in logs
        self.progress: Progress | None = None
        self._task = None
        self.trainer.subscribe(self._on_event)

    def interrupt(self, signum: int, _frame) -> None:
        """Signal handler: stop within one batch; the last finished epoch is saved."""
        self.signal = signal.Signals(signum)
        self.session.interrupt(self._interruption())

    def _closed(self, stream) -> None:
        """The reader of `stream` (stdout or stderr) went away: stop the run as SIGPIPE would, quietly."""
        os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())  # later writes, and the flush at exit, vanish
        self.output_closed = True
        if self.finished is None and self.signal is None:
            self.signal = signal.SIGPIPE
            self.session.interrupt(self._interruption())

    def _interruption(self) -> str:
        """`interrupted by SIGTERM`, and for SIGPIPE what it means here."""
        closed = _(" (the output was closed)") if self.signal == signal.SIGPIPE else ""
        return _("interrupted by {name}{closed}").format(name=self.signal.name, closed=closed)

    def _print(self, text: str, stream=None) -> None:
        """One line to stdout (or `stream`); a closed pipe is `_closed`, never an error."""
        stream = stream or sys.stdout
        try:
            print(text, file=stream, flush=True)
        except BrokenPipeError:
            self._closed(stream)

    def execute(self) -> int:
        total = self.trainer.config.train.epochs
        if not self.as_json and self.console.is_terminal:
            self.progress = Progress(
                TextColumn(_("epoch {epoch}/{total}").format(epoch="{task.fields[epoch]}", total=total)), BarColumn(),
                MofNCompleteColumn(), TextColumn(_("steps")), TimeElapsedColumn(), TimeRemainingColumn(),
                console=self.console, transient=True)
            self._task = self.progress.add_task("train", total=self.trainer.steps_per_epoch, epoch=1)
            with self.progress:
                finished = self.session.run()
        else:
            finished = self.session.run()
        return self._finish(finished)

    def _on_event(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            if self.as_json:
                self._print(json.dumps(self._start_line(event)))
            else:
                self.console.print(_("[bold]{dataset}[/]  {summary}  on {device}  ({train:,} train / {val:,} val "
                                     "samples)").format(
                    dataset=event.config.data.dataset, device=event.device,
                    summary=event.config.model.described(event.summary.split(",")[0], event.parameters, shown=True),
                    train=event.train_samples, val=event.val_samples))
                folder = self.recorder.folder
                self.console.print(_("run folder: {folder}").format(folder=folder) if folder else
                                   _("[yellow]run not recorded:[/] {errors}").format(
                                       errors='; '.join(self.recorder.errors)), highlight=False)
            for notice in self.trainer.notices:
                self.console.print(_("[yellow]note:[/] {notice}").format(notice=notice))
        elif isinstance(event, StepMetrics) and self.progress is not None:
            self.progress.update(self._task, completed=event.step_in_epoch, epoch=event.epoch)
        elif isinstance(event, EpochEnded):
            m = event.metrics
            if self.as_json:
                self._print(json.dumps({"event": "epoch", **m.to_dict()}))
            else:
                total = self.trainer.config.train.epochs
                self.console.print(format_epoch(m, total, event.best_epoch == m.epoch), highlight=False)
                if self.progress is not None:
                    self.progress.update(self._task, completed=0, epoch=min(m.epoch + 1, total))

    def _start_line(self, event: RunStarted) -> dict:
        """The first `--json` line: what the run uses (columns, rows) and how it is set up."""
        data = self.trainer.data
        return {"event": "start", "dataset": event.config.data.dataset, **data.raw.facts(),
                "model": event.summary, "parameters": event.parameters, "device": event.device,
                "train_samples": event.train_samples, "val_samples": event.val_samples,
                "test_samples": len(data.x_test), "start_epoch": event.start_epoch,
                "run": str(self.recorder.folder) if self.recorder.folder else None,
                "notices": list(self.trainer.notices)}

    def _last_checkpoint(self) -> Path | None:
        from tui_dl.engine.runs.recorder import LAST

        folder = self.recorder.folder
        return folder / LAST if folder is not None and (folder / LAST).is_file() else None

    def _finish(self, finished: RunFinished) -> int:
        self.finished = finished
        checkpoint = None
        if self.save is not None and self.trainer.epoch > 0:
            try:
                from tui_dl.engine.training.checkpoint import save_checkpoint

                checkpoint = str(save_checkpoint(self.trainer.checkpoint_state(), self.save))
            except UserError as exc:
                self._print(_("error: {message}").format(message=exc), sys.stderr)
                return EXIT_FAILED
        status = finished.status
        for problem in self.recorder.errors:
            self._print(_("warning: {problem}").format(problem=problem), sys.stderr)
        folder = str(self.recorder.folder) if self.recorder.folder else None
        test = finished.test
        if self.as_json:
            self._print(json.dumps({
                "event": "done", "status": status, "epochs": finished.epochs_done,
                "best_epoch": finished.best_epoch, "best_val_loss": finished.best_val_loss,
                "checkpoint": checkpoint, "run": folder, "seconds": round(finished.seconds, 3), **test,
            }))
        else:
            best = f"{finished.best_val_loss:.4f}" if finished.best_val_loss is not None else "-"
            self.console.print(_("{status}: {epochs} epochs in {time}, best loss {best} at epoch {best_epoch}").format(
                status=status_label(status), epochs=finished.epochs_done, time=format_duration(finished.seconds),
                best=best, best_epoch=finished.best_epoch)
                + (_("; checkpoint {checkpoint}").format(checkpoint=checkpoint) if checkpoint else ""), highlight=False)
            if test:
                self.console.print(format_test(test), highlight=False)
        if self.signal:
            kept = [str(p) for p in (checkpoint, self._last_checkpoint()) if p]
            unsaved = _("nothing to save yet") if not finished.epochs_done else _("the run could not be saved")
            self._print(f"{self._interruption()}; "
                        + (_("saved epoch {epoch} to {files}").format(
                               epoch=finished.epochs_done, files=_(" and ").join(kept)) if kept else unsaved),
                        sys.stderr)
            return 128 + self.signal
        if finished.status in ("diverged", "failed"):
            self._print(_("error: {message}").format(message=finished.message), sys.stderr)
            return EXIT_FAILED
        return 128 + signal.SIGPIPE if self.output_closed else 0


def train(args: argparse.Namespace, runs_root: Path) -> int:
    """Headless training; see `tui-dl train --help`."""
    from tui_dl.engine.errors import UserError
    from tui_dl.engine.training.checkpoint import checkpoint_config, load_checkpoint

    try:
        resume = load_checkpoint(args.resume) if args.resume else None
        if resume is not None:
            base = checkpoint_config(resume)
        elif args.config:
            base = load_toml(args.config)
        else:
            base = RunConfig()
        config = config_from_args(args, base).validate()
    except UserError as exc:
        fail(str(exc))
    if resume is not None and resume["epoch"] >= config.train.epochs:  # checked before a run folder is made
        fail(_("{file} is already at epoch {epoch} of {epochs}: nothing to train (give --epochs above {epoch} to "
               "continue it)").format(file=args.resume, epoch=resume["epoch"], epochs=config.train.epochs))

    if args.detach:
        if args.save or args.json:
            fail(_("--detach runs in the background: --save and --json do not apply (its run folder keeps "
                   "last.pt and best.pt, `tui-dl runs --json` lists it)"))
        from tui_dl.cli.detached import train_detached

        try:
            return train_detached(config, runs_root, args.run_name, args.resume)
        except UserError as exc:
            fail(str(exc))

    run = HeadlessRun(config, resume, args.save, as_json=args.json, runs_root=runs_root, run_name=args.run_name,
                      resumed_from=str(args.resume) if args.resume else "")
    previous = {sig: signal.signal(sig, run.interrupt) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        try:
            run.trainer.setup()
        except UserError as exc:
            fail(str(exc))
        return run.execute()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
