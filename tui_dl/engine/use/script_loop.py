"""The exported script's regularization and learning-rate schedule: L1 as a penalty in the backpropagated loss
(L2 is the optimizer's weight decay, see `script_export`), the schedule as one small function with the rule of
`engine.training.schedule` (reduce-on-plateau with its state), and the input features of a 2-D data set."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from string import Template

from tui_dl.engine.config import TrainConfig
from tui_dl.engine.data.features import EXPRESSIONS
from tui_dl.engine.training.schedule import PLATEAU_THRESHOLD

TEMPLATE = "loop.tmpl"
WIDTH = 110  # the generated file's longest lines


@dataclass
class LoopCode:
    """Pieces of the script for the run's training settings (all empty for plain constant-rate training)."""

    constants: list[str] = field(default_factory=list)
    code: str = ""  # functions, placed after build_model
    setup: str = ""  # in main, before the epochs
    batches: str = "for start in range(0, len(x_train), BATCH_SIZE):"
    set_lr: str = ""  # first in each batch
    backward: str = "loss.backward()  # backward: the gradients"
    after_epoch: str = ""
    uses_math: bool = False


def _rule(train: TrainConfig) -> tuple[str, str, str]:
    """The schedule function's extra arguments, its docstring's rule and its body (engine.training.schedule's formulas)."""
    since = "(epoch - WARMUP)" if train.warmup else "epoch"
    warm = ("    if epoch < WARMUP:  # warm-up: rising linearly, batch by batch, to LR at its end\n"
            "        return LR * (epoch * steps + step + 1) / (WARMUP * steps)\n") if train.warmup else ""
    warm_doc = "a linear warm-up over WARMUP epochs, then " if train.warmup else ""
    if train.schedule == "step":
        return "", warm_doc + "LR times DECAY_FACTOR every DECAY_EPOCHS epochs", \
            warm + f"    return LR * DECAY_FACTOR ** ({since} // DECAY_EPOCHS)\n"
    if train.schedule == "cosine":
        span = "max(epochs - WARMUP, 1)" if train.warmup else "max(epochs, 1)"
        return ", epochs", warm_doc + "from LR down towards 0 along half a cosine, batch by batch, reaching it after `epochs` epochs", \
            warm + f"    span = {span}\n" \
            f"    return LR * 0.5 * (1 + math.cos(math.pi * min(({since} + step / steps) / span, 1.0)))\n"
    if train.schedule == "plateau":
        return ", reductions", warm_doc + "LR times DECAY_FACTOR for each reduction on a plateau", \
            warm + "    return LR * DECAY_FACTOR ** reductions\n"
    return "", warm_doc + "LR", warm + "    return LR\n"


def loop_code(train: TrainConfig, sections: dict[str, str]) -> LoopCode:
    """The script's pieces for `train`'s regularization and schedule; `sections` are loop.tmpl's."""
    out = LoopCode()
    if train.regularization == "l1":
        out.constants.append(f"L1_RATE = {train.reg_rate!r}  # L1 regularization: the weights' penalty rate")
        out.code += sections["l1_penalty"]
        out.backward = "(loss + l1_penalty(model)).backward()  # backward: the gradients of the loss and the penalty"
    if train.schedule == "constant" and not train.warmup:
        return out
    out.uses_math = True
    out.constants += [f"LR = {train.lr!r}  # the base learning rate, which the schedule scales",
                      f"WARMUP = {train.warmup}  # epochs of linear warm-up"]
    if train.schedule in ("step", "plateau"):
        out.constants += [f"DECAY_EPOCHS = {train.decay_epochs}  # " + (
                              "decay every this many epochs" if train.schedule == "step"
                              else "reduce after this many epochs without improvement"),
                          f"DECAY_FACTOR = {train.decay_factor!r}  # multiply the rate by this"]
    args, doc, body = _rule(train)
    doc = textwrap.fill(f"The learning rate of batch `step` (from 0) of `steps` in epoch `epoch` (from 0): {doc}.",
                        WIDTH, initial_indent='    """', subsequent_indent="    ") + '"""'
    out.code += Template(sections["learning_rate"]).substitute(ARGS=args, DOC=doc, BODY=body)
    call = {"": "", ", epochs": ", args.epochs", ", reductions": ', plateau["reductions"]'}[args]
    out.setup = "    steps = max(1, math.ceil(len(x_train) / BATCH_SIZE))  # batches per epoch\n"
    if train.schedule == "plateau":
        out.constants.append(f"PLATEAU_THRESHOLD = {PLATEAU_THRESHOLD!r}  # an epoch improves on the best loss "
                             "when it is lower by more than this share")
        out.code += sections["plateau"]
        out.setup += '    plateau = {"best": None, "bad_epochs": 0, "reductions": 0}  # reduce-on-plateau\'s state\n'
        out.after_epoch = "        count_plateau(plateau, epoch, val_loss if len(x_val) else train_loss)\n"
    out.batches = "for step, start in enumerate(range(0, len(x_train), BATCH_SIZE)):"
    out.set_lr = ("            for group in optimizer.param_groups:  # this batch's learning rate\n"
                  f"                group[\"lr\"] = learning_rate(epoch - 1, step, steps{call})\n")
    return out


def features_code(names: list[str]) -> str:
    """The script's `input_features`: the model's input columns from x1 and x2 (empty without features)."""
    if not names:
        return ""
    columns = ", ".join(EXPRESSIONS[name] for name in names)
    return ("\n\ndef input_features(x):\n"
            f'    """The model\'s inputs {", ".join(names)} from the data\'s x1 and x2 (in data units, before\n'
            '    standardization), as tui-dl computes them."""\n'
            "    x1, x2 = x[:, 0], x[:, 1]\n"
            f"    return torch.stack([{columns}], dim=1)\n")
