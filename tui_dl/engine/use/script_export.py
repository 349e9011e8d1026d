"""`tui-dl export-model --script`: a run as one standalone PyTorch file that trains the same model again.

The file rebuilds the run's data preparation (a CSV's column plan written out as fixed code: which columns,
their one-hot values, date origins, the median fill-in and standardization from the training split, the same
seeded split; a synthetic set's generator copied from `engine.data.synthetic`), the same `nn.Sequential`, loss,
optimizer and loop, in the classic order: model, loss, optimizer; per epoch forward, loss, backward, step;
then evaluate; the input features of a 2-D data set, L1 or L2 and the learning-rate schedule as tui-dl applies
them (`script_loop`). The text comes from the templates in `script_templates/`, filled in from the checkpoint.
"""

from __future__ import annotations

import ast
import json
import textwrap
from pathlib import Path
from string import Template

from tui_dl.engine.data import synthetic
from tui_dl.engine.data.columns import MISSING_MARKERS, Column
from tui_dl.engine.data.csv_stream import CsvStream
from tui_dl.engine.data.files import idx_pair, is_csv
from tui_dl.engine.data.registry import REGISTRY
from tui_dl.engine.model import ACTIVATION_MODULES
from tui_dl.engine.training.optim import weight_decay
from tui_dl.engine.use.predictor import Predictor
from tui_dl.engine.use.script_loop import TEMPLATE as LOOP_TEMPLATE
from tui_dl.engine.use.script_loop import features_code, loop_code
from tui_dl.i18n import _
from tui_dl.paths import datasets_dir

TEMPLATES = Path(__file__).with_name("script_templates")
WIDTH = 110  # the generated file's longest lines


def _template(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


def _sections(name: str) -> dict[str, str]:
    """A template file's `#% NAME` sections by name."""
    out: dict[str, str] = {}
    for part in _template(name).split("#% ")[1:]:
        title, _sep, body = part.partition("\n")
        out[title.strip()] = body
    return out


def _literal(value) -> str:
    """A Python literal for a str, a list of str, a number or a bool (strings in double quotes)."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (str, list)) else repr(value)


def _wrapped(items: list[str], indent: int) -> str:
    """A list literal of strings, on one line if it fits, else packed over several lines."""
    flat = _literal(items)
    if indent + len(flat) <= WIDTH - 30:
        return flat
    pad = " " * (indent + 4)
    lines = textwrap.wrap(", ".join(_literal(i) for i in items), WIDTH - len(pad), break_long_words=False,
                          break_on_hyphens=False)
    return "[\n" + "\n".join(pad + line.rstrip() for line in lines) + ",\n" + " " * indent + "]"


def _comment_block(text: str, indent: str = "    ") -> str:
    return "\n".join(textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent))


# the data, by source ---------------------------------------------------------------------------

def _feature_line(c: Column) -> str:
    cell = f"row[{_literal(c.name)}]"
    if c.kind == "numeric":
        value = f"number({cell}{', decimal_comma=True' if c.decimal_comma else ''})"
    elif c.kind == "date":
        value = f"days({cell}, {_literal(c.origin)})"
    else:
        extra = ", missing_column=True" if c.indicator else ""
        return f"*one_hot({cell}, {_wrapped(c.categories, 8)}{extra}),"
    return f"*with_flag({value})," if c.indicator else f"{value},"


def _csv_code(p: Predictor, path: str) -> dict[str, str]:
    plan, features = p.plan, p.plan.features
    kinds = {c.kind for c in features}
    indicator = any(c.indicator and c.value_kind for c in features)
    sections = _sections("csv.tmpl")
    wanted = ["is_missing", "number"] + (["days"] if "date" in kinds else []) \
        + (["one_hot"] if "categorical" in kinds else []) + (["with_flag"] if indicator else []) + ["read_rows"]
    left_out = "; ".join(f"{name} ({why})" for name, why in plan.excluded().items())
    doc = (f"The model's {p.inputs} inputs from one row (cells by column name), by tui-dl's column plan: "
           f"{len(features)} of the file's {len(plan.columns)} columns, in order."
           + (f" Left out: {left_out}." if left_out else ""))
    lines = "\n".join("        " + _feature_line(c) for c in features)
    features_code = (f'def features(row):\n    """{textwrap.fill(doc, WIDTH - 4, subsequent_indent="    ")}\n    """\n'
                     f"    return [\n{lines}\n    ]\n")
    target = plan.target
    comma = ", decimal_comma=True" if target.decimal_comma else ""
    if p.classification and target.kind == "numeric":
        body = (f"    value = number(cell{comma})\n"
                '    return None if math.isnan(value) else CLASSES.index(f"{value:g}")\n')
    elif p.classification:
        body = "    return None if is_missing(cell) else CLASSES.index(cell)\n"
    else:
        body = f"    value = number(cell{comma})\n    return None if math.isnan(value) else value\n"
    what = "The class of a target cell (its index in CLASSES)" if p.classification else "A target cell's value"
    target_code = f'def target(cell):\n    """{what}; None when it is missing."""\n{body}'
    drop = ""
    if plan.missing == "drop":
        onehot = [c.name for c in features if not c.value_kind]
        check = f" or any(is_missing(row[name]) for name in {_literal(onehot)})" if onehot else ""
        drop = (f"        if any(math.isnan(v) for v in values){check}:\n"
                "            continue  # --missing drop: a row missing a feature value is left out\n")
    load = Template(sections["load_data"]).substitute(
        INPUTS=p.inputs, DROP=drop,
        Y_ARRAY="np.array(y, dtype=np.int64)" if p.classification else "np.array(y, dtype=np.float32).reshape(-1, 1)")
    constants = "\n".join([
        f"DATA_FILE = {_literal(path)}  # the file the run trained on; give another on the command line",
        f"DELIMITER = {_literal(_delimiter(path))}",
        f"TARGET = {_literal(target.name)}",
        *([f"CLASSES = {_wrapped(p.class_names, 0)}  # the target's classes, in the order of the model's outputs"]
          if p.classification else []),
        f"MISSING = {{{', '.join(_literal(m) for m in sorted(MISSING_MARKERS))}}}  # cells meaning no value (any case)",
    ])
    code = "\n\n" + "".join(sections[name] for name in wanted) + features_code + "\n\n" + target_code + "\n\n" + load
    value_columns = [j for j, _name in plan.value_features()]
    fill = ""
    if value_columns:
        names = ", ".join(name for _j, name in plan.value_features())
        fill = ("    for j in " + _literal(value_columns) + f":  # the numbers and dates: {names}\n"
                "        known = x[train, j][~np.isnan(x[train, j])]  # a missing one gets the training median\n"
                "        x[np.isnan(x[:, j]), j] = float(np.median(known)) if len(known) else 0.0\n")
    imports = ["import csv", "import io", "import math"] + (
        ["from datetime import datetime, timezone"] if "date" in kinds else [])
    return {"DATA_CONSTANTS": constants, "DATA_CODE": code, "FILL": fill,
            "FILL_DOC": "fill in missing numbers with the training samples' median; " if fill else "",
            "IMPORTS": imports, "FILE": path}


def _delimiter(path: str) -> str:
    stream = CsvStream(Path(path))
    stream.close()
    return stream.delimiter


def _module_parts() -> tuple[str, dict[str, ast.stmt]]:
    source = Path(synthetic.__file__).read_text(encoding="utf-8")
    parts: dict[str, ast.stmt] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef):
            parts[node.name] = node
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            parts[node.targets[0].id] = node
    return source, parts


def generator_source(name: str) -> str:
    """The source of `engine.data.synthetic`'s function `name` and of the functions and constants it uses, in the
    module's order."""
    source, parts = _module_parts()
    needed, todo = set(), [name]
    while todo:
        node = parts[todo.pop()]
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and sub.id in parts and sub.id not in needed and sub.id != name:
                needed.add(sub.id)
                todo.append(sub.id)
    needed.add(name)
    order = [n for n in parts if n in needed]
    return "\n\n\n".join(ast.get_source_segment(source, parts[n]) for n in order) + "\n"


def _synthetic_code(p: Predictor) -> dict[str, str]:
    cfg = p.config.data
    spec = REGISTRY[cfg.dataset]
    args = "SAMPLES, WINDOW, NOISE" if "window" in spec.knobs else "SAMPLES, NOISE"
    y = "y" if p.classification else "y.astype(np.float32)"
    code = (generator_source(spec.generator) + "\n\n"
            f'def load_data():\n    """x (samples x {p.inputs}, float32) and y of the synthetic data set {spec.name}, '
            f'as tui-dl makes it."""\n'
            f"    x, y = {spec.generator}({args}, np.random.default_rng(DATA_SEED))\n"
            f"    return x.astype(np.float32), {y}\n")
    constants = [f"SAMPLES = {cfg.samples}", f"NOISE = {cfg.noise!r}  # 0 (clean) to 1 (very noisy)"]
    if "window" in spec.knobs:
        constants.append(f"WINDOW = {cfg.window}  # days of history per sample")
    return {"DATA_CONSTANTS": "\n".join(constants), "DATA_CODE": "\n\n" + code, "IMPORTS": [], "FILE": ""}


def _array_code(p: Predictor, path: str) -> dict[str, str]:
    sections = _sections("arrays.tmpl")
    if p.classification:
        y = "np.searchsorted(np.unique(y.reshape(-1)), y.reshape(-1)).astype(np.int64)  # class indices"
    else:
        y = "y.reshape(len(y), -1).astype(np.float32)"
    if path.lower().endswith(".npz"):
        return {"DATA_CONSTANTS": f"DATA_FILE = {_literal(path)}  # the file the run trained on",
                "DATA_CODE": "\n\n" + Template(sections["npz"]).substitute(INPUTS=p.inputs, Y_ARRAY=y),
                "IMPORTS": [], "FILE": path}
    images, labels = idx_pair(Path(path))
    return {"DATA_CONSTANTS": f"DATA_FILE = {_literal(str(images))}  # the images the run trained on\n"
                              f"LABELS_FILE = {_literal(str(labels))}",
            "DATA_CODE": "\n\n" + Template(sections["idx"]).substitute(INPUTS=p.inputs, Y_ARRAY=y),
            "IMPORTS": ["import gzip"], "FILE": str(images), "LABELS": str(labels)}


def _data(p: Predictor) -> dict[str, str]:
    dataset = p.config.data.dataset
    spec = REGISTRY.get(dataset)
    if spec is not None and spec.file is None:
        return _synthetic_code(p)
    path = str(datasets_dir() / spec.file) if spec is not None else str(Path(dataset).expanduser().resolve())
    if not Path(path).exists():
        from tui_dl.engine.errors import DataError

        raise DataError(_("the run's data file {path} no longer exists: the script reads it to train").format(
                            path=path))
    return _csv_code(p, path) if is_csv(Path(path)) else _array_code(p, path)


# the model and the loop ------------------------------------------------------------------------

def _layers(p: Predictor) -> str:
    model = p.config.model
    sizes = [p.model_inputs, *model.hidden_sizes()]
    activation = f"nn.{ACTIVATION_MODULES[model.activation].__name__}()"
    dropout = f", nn.Dropout({model.dropout!r})" if model.dropout > 0 else ""
    lines = [f"        nn.Linear({a}, {b}), {activation}{dropout}," for a, b in zip(sizes, sizes[1:])]
    return "\n".join([*lines, f"        nn.Linear({sizes[-1]}, {p.outputs}),"])


def _optimizer(p: Predictor) -> str:
    t = p.config.train
    decay = weight_decay(t)
    if t.optimizer == "sgd":
        extra = f", momentum={t.momentum!r}" + (f", weight_decay={decay!r}" if decay else "")
        return f"torch.optim.SGD(model.parameters(), lr={t.lr!r}{extra})"
    if t.optimizer == "adam":
        extra = f", weight_decay={decay!r}" if decay else ""
        return f"torch.optim.Adam(model.parameters(), lr={t.lr!r}{extra})"
    return f"torch.optim.AdamW(model.parameters(), lr={t.lr!r}, weight_decay={decay!r})"


def _early_stop(patience: int) -> tuple[str, str]:
    if not patience:
        return "", ""
    init = "    best_loss, best_epoch = float(\"inf\"), 0  # early stopping: the best validation loss so far\n"
    check = ("        watched = val_loss if len(x_val) else train_loss\n"
             "        if watched < best_loss:\n"
             "            best_loss, best_epoch = watched, epoch\n"
             f"        if epoch - best_epoch >= {patience}:\n"
             f'            print(f"early stop: no better validation loss for {patience} epochs; best was epoch '
             '{best_epoch}")\n'
             "            break\n")
    return init, check


def _measured(state: dict, metric: str) -> str:
    """What the run measured for the exported epoch, in words."""
    epoch = int(state["epoch"])
    record = next((m for m in state.get("history", []) if m.get("epoch") == epoch), None)
    if record is None or record.get(metric) is None:
        return ""
    return f" tui-dl measured {metric} {record[metric]:.4f} at epoch {epoch}, the exported checkpoint."


def build_script(state: dict, name: str = "the checkpoint", script: str = "train.py") -> str:
    """The standalone training script of the run in checkpoint `state` (raises a UserError when its data
    cannot be rebuilt: a data file that is gone, an old checkpoint without a column plan)."""
    p = Predictor(state, name)
    data = _data(p)
    cfg, train = p.config, p.config.train
    metric, metric_name = ("val_acc", "accuracy") if p.classification else ("val_r2", "R^2")
    if p.classification:
        metric_code = "    metric = (out.argmax(dim=1) == y).double().mean().item()  # accuracy"
    else:
        metric_code = ("    centred = ((y - y.mean(0)) ** 2).sum().item()\n"
                       "    metric = 1 - ((out - y) ** 2).sum().item() / max(centred, 1e-12)  # R^2")
    best_init, early = _early_stop(train.early_stop)
    loop = loop_code(train, _sections(LOOP_TEMPLATE))
    if "LABELS" in data:
        usage, argument, load = " [IMAGES LABELS] [--epochs N]", (
            '    parser.add_argument("data", nargs="?", default=DATA_FILE, help="the images file")\n'
            '    parser.add_argument("labels", nargs="?", default=LABELS_FILE, help="the labels file")\n'), \
            "args.data, args.labels"
    elif data["FILE"]:
        usage, argument, load = " [DATA_FILE] [--epochs N]", (
            '    parser.add_argument("data", nargs="?", default=DATA_FILE, help="the data file (default: the run\'s)")\n'
        ), "args.data"
    else:
        usage, argument, load = " [--epochs N]", "", ""
    source = Path(cfg.data.dataset).name
    summary = (f"Exported by tui-dl from {name}: {source}, {p.task}"
               + (f" of {p.target.name}" if p.has_plan else "")
               + (f"; input features {', '.join(p.features)}" if p.features else "")
               + f"; {cfg.model.summary(p.model_inputs, p.outputs)}; {_training_words(train)}, batch "
               f"{train.batch_size}, {train.epochs} epochs." + _measured(state, metric))
    regression_scale = ("    y_mean, y_std = y[train].mean(0), y[train].std(0, unbiased=False)\n"
                        "    y = (y - y_mean) / torch.where(y_std > 1e-8, y_std, torch.ones_like(y_std))"
                        "  # the loss is in deviations\n")
    wanted = {"import argparse", *data["IMPORTS"], *(["import math"] if loop.uses_math else [])}
    imports = "\n".join(sorted(wanted, key=lambda s: (s.startswith("from"), s)))
    return Template(_template("train.tmpl")).substitute(
        TITLE=f"Train the tui-dl model of {source} again, in plain PyTorch.",
        SUMMARY=textwrap.fill(summary, WIDTH), SCRIPT=script, USAGE=usage, METRIC=metric, METRIC_NAME=metric_name,
        TEST_METRIC=metric.replace("val_", "test_"), IMPORTS=imports, DATA_CONSTANTS=data["DATA_CONSTANTS"],
        VAL_SPLIT=repr(cfg.data.val_split), TEST_SPLIT=repr(cfg.data.test_split), DATA_SEED=cfg.data.seed,
        DATA_SEED_NOTE="" if data["FILE"] else " (and the sampling of the data)",
        EPOCHS=train.epochs, BATCH_SIZE=train.batch_size, SEED=train.seed, DATA_CODE=data["DATA_CODE"],
        FILL_DOC=data.get("FILL_DOC", ""), FILL=data.get("FILL", ""),
        Y_SCALE="" if p.classification else regression_scale,
        ARCHITECTURE=f"The network of the tui-dl run: {cfg.model.summary(p.model_inputs, p.outputs)}.",
        LAYERS=_layers(p), DROPOUT_NOTE=" (dropout off)" if cfg.model.dropout else "",
        METRIC_CODE=metric_code, DATA_ARGUMENT=argument, LOAD_ARGS=load,
        LOSS="nn.CrossEntropyLoss()" if p.classification else "nn.MSELoss()", OPTIMIZER=_optimizer(p),
        BEST_INIT=best_init, EARLY_STOP=early, FEATURES_CODE=features_code(p.features),
        FEATURES_DOC="compute the model's input features; " if p.features else "",
        FEATURES="    x = input_features(x)  # the model's inputs, from x1 and x2 in data units\n" if p.features else "",
        LOOP_CONSTANTS="".join(line + "\n" for line in loop.constants), LOOP_CODE=loop.code, LOOP_SETUP=loop.setup,
        BATCHES=loop.batches, SET_LR=loop.set_lr, BACKWARD=loop.backward, AFTER_EPOCH=loop.after_epoch)


def _training_words(train) -> str:
    """The optimizer, its rate and schedule and the regularization, in words: `adam lr 0.01 (cosine, 2 warm-up
    epochs), L1 0.001`."""
    schedule = [train.schedule] if train.schedule != "constant" else []
    schedule += [f"{train.warmup} warm-up epoch" + ("s" if train.warmup > 1 else "")] if train.warmup else []
    words = f"{train.optimizer} lr {train.lr:g}" + (f" ({', '.join(schedule)})" if schedule else "")
    if train.regularization != "none":
        words += f", {train.regularization.upper()} {train.reg_rate:g}"
    return words


def export_script(state: dict, path: Path, name: str = "the checkpoint") -> Path:
    """Write `build_script`'s text to `path`; returns the path."""
    from tui_dl.engine.errors import UserError

    path = Path(path).expanduser()
    text = build_script(state, name, path.name)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UserError(_("cannot write {path}: {reason}").format(path=path, reason=exc.strerror or exc)) from None
    return path
