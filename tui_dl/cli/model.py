"""Using a trained model from the command line: `tui-dl predict` and `tui-dl export-model`."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from tui_dl.i18n import _

EXIT_USAGE = 2


def _error(message: str) -> int:
    print(_("error: {message}").format(message=message), file=sys.stderr)
    return EXIT_USAGE


@contextmanager
def atomic_text(path: Path) -> Iterator[TextIO]:
    """A text file written beside `path` and renamed onto it at the end: a failure leaves `path` as it was."""
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def predict(runs_root: Path, checkpoint: str, source: Path, output: Path | None, as_json: bool) -> int:
    """Predict every row of `source`; CSV (or JSON lines) to `output` or stdout; notices and metrics on stderr."""
    from tui_dl.engine.errors import UserError
    from tui_dl.engine.use.predict import predict_file
    from tui_dl.engine.use.predictor import Predictor, find_checkpoint

    try:
        path = find_checkpoint(checkpoint, runs_root)
        predictor = Predictor.load(path)
        if not source.exists():
            return _error(_("input file {source} does not exist").format(source=source))
        if output is not None and output.exists() and output.resolve() == source.resolve():
            return _error(_("--output {output} is the input file: write the predictions elsewhere").format(
                              output=output))
        if output is None:
            report = predict_file(predictor, source, sys.stdout, as_json)
        else:
            with atomic_text(output) as out:
                report = predict_file(predictor, source, out, as_json)
    except UserError as exc:
        return _error(str(exc))
    except BrokenPipeError:
        raise  # the reader closed the pipe (`| head`): handled by the CLI
    except OSError as exc:
        return _error(_("cannot write {file}: {reason}").format(file=output, reason=exc.strerror or exc))
    for notice in report.notices(predictor):
        print(_("note: {notice}").format(notice=notice), file=sys.stderr)
    if output is not None:
        print(_("{rows:,} rows of {name} predicted by {path} (epoch {epoch}) into {output}").format(
                  rows=report.rows, name=source.name, path=path, epoch=predictor.epoch, output=output),
              file=sys.stderr)
    metrics = report.metrics_text(predictor)
    if metrics:
        print(metrics, file=sys.stderr)
    return 0


def export_model(runs_root: Path, checkpoint: str, onnx: Path | None, script: Path | None) -> int:
    """Write the checkpoint's model as ONNX and/or as a standalone PyTorch training script."""
    from tui_dl.engine.errors import UserError
    from tui_dl.engine.training.checkpoint import load_checkpoint
    from tui_dl.engine.use.predictor import Predictor, find_checkpoint

    try:
        path = find_checkpoint(checkpoint, runs_root)
        state = load_checkpoint(path)
        if onnx is not None:
            from tui_dl.engine.use.onnx_export import INPUT, export_onnx, onnx_difference, sample_features

            predictor = Predictor(state, str(path))
            written = export_onnx(predictor, onnx)
            difference = onnx_difference(predictor, written, sample_features(predictor))
            unit = "" if predictor.classification else _(" target deviations")
            check = "" if difference is None else \
                _("; onnxruntime and torch differ by at most {difference:.1e}{unit} on 256 sample rows").format(
                    difference=difference, unit=unit)
            print(_("wrote {written} (input {input!r}: {inputs} raw features; how to make them from a row is in "
                    "its metadata){check}").format(
                      written=written, input=INPUT, inputs=predictor.inputs, check=check), file=sys.stderr)
        if script is not None:
            from tui_dl.engine.use.script_export import export_script

            written = export_script(state, script, str(path))
            print(_("wrote {written}: python {written} trains the same model again (--epochs N for fewer)").format(
                      written=written),
                  file=sys.stderr)
    except UserError as exc:
        return _error(str(exc))
    return 0
