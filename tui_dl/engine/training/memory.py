"""How much memory a run needs on its device, estimated before anything is allocated.

The estimate counts float32 weights, their gradients, the optimizer's state, the per-epoch snapshot kept for
checkpoints (a copy of weights and optimizer state), the activations of a training batch (kept for the
backward pass) or of an evaluation chunk, whichever is larger, and the data set's tensors. It is a floor:
the framework's own workspace comes on top, hence the margin before a warning.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from tui_dl.engine.config import ModelConfig, RunConfig
from tui_dl.engine.errors import UserError
from tui_dl.engine.insights.views import EVAL_CHUNK
from tui_dl.i18n import _

if TYPE_CHECKING:  # the UI estimates memory before torch is imported
    import torch

    from tui_dl.engine.data.prepare import PreparedData

FLOAT = 4
WARN_SHARE = 0.7  # warn when the estimate passes this share of the device's free memory


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes a run needs, by part."""

    weights: int
    gradients: int
    optimizer: int
    snapshot: int
    activations: int
    data: int

    @property
    def total(self) -> int:
        return self.weights + self.gradients + self.optimizer + self.snapshot + self.activations + self.data

    def describe(self) -> str:
        parts = [(_("weights"), self.weights), (_("gradients"), self.gradients), (_("optimizer state"), self.optimizer),
                 (_("checkpoint snapshot"), self.snapshot), (_("activations"), self.activations), (_("data"), self.data)]
        shown = ", ".join(f"{name} {format_bytes(size)}" for name, size in parts if size)
        return _("about {total} ({parts})").format(total=format_bytes(self.total), parts=shown)


def format_bytes(size: float) -> str:
    """`512 B`, `3.2 MiB`, `17.2 GiB`."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def optimizer_slots(config: RunConfig) -> int:
    """Tensors of the parameters' size the optimizer keeps: Adam's two moments, SGD's momentum buffer."""
    train = config.train
    if train.optimizer in ("adam", "adamw"):
        return 2
    return 1 if train.momentum > 0 else 0


def estimate(config: RunConfig, inputs: int, outputs: int, samples: int, regression: bool) -> MemoryEstimate:
    """The memory a run of `config` on `samples` rows of `inputs` features needs on its device."""
    model: ModelConfig = config.model
    params = model.parameter_count(inputs, outputs)
    slots = optimizer_slots(config)
    widths = [inputs, *model.hidden_sizes(), outputs]
    batch = min(config.train.batch_size, samples)
    per_layer = 2 * FLOAT + (FLOAT + 1 if model.dropout > 0 else 0)  # pre-activation, output (, dropout mask)
    per_sample = sum(model.hidden_sizes()) * per_layer + outputs * 2 * FLOAT + inputs * FLOAT
    training = 2 * batch * per_sample  # the forward activations and their gradients in the backward pass
    rows = min(EVAL_CHUNK, samples)
    evaluation = rows * max(a + b for a, b in zip(widths, widths[1:])) * FLOAT
    target = outputs * FLOAT if regression else 8
    return MemoryEstimate(
        weights=params * FLOAT, gradients=params * FLOAT, optimizer=slots * params * FLOAT,
        snapshot=(1 + slots) * params * FLOAT, activations=max(training, evaluation),
        data=samples * (inputs * FLOAT + target + 8))  # features, targets, the epoch's shuffled order


def check_fits(config: RunConfig, data: PreparedData, device: torch.device) -> str | None:
    """Refuse (UserError) a run that cannot fit `device`'s free memory, before its model is allocated; a warning
    when it is close, else None. The data is already on the device, so it is not counted again."""
    from tui_dl.engine.training.device import describe_device, free_memory

    free = free_memory(device)
    if free is None:
        return None
    needed = replace(estimate(config, data.inputs, data.outputs, len(data.x_train) + len(data.x_val),
                              data.task == "regression"), data=0)
    advice = _("fewer or narrower layers, or a smaller batch size")
    if needed.total > free:
        raise UserError(_("the model will not fit in memory: it needs {needed}, but {device} has {free} "
                          "free; use {advice}").format(
                            needed=needed.describe(), device=describe_device(device), free=format_bytes(free),
                            advice=advice))
    if needed.total > WARN_SHARE * free:
        return (_("memory is tight: the run needs {needed} of the {free} free on {device}; if "
                  "it fails, use {advice}").format(
                    needed=needed.describe(), free=format_bytes(free), device=describe_device(device), advice=advice))
    return None
