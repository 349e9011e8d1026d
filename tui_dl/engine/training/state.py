"""A trainer's state for checkpoints: the snapshot at each epoch's end, the checkpoint made from it, and a
checkpoint loaded back into a trainer to continue."""

from __future__ import annotations

import copy
from array import array
from typing import Any

import torch

from tui_dl.engine.errors import CheckpointError
from tui_dl.engine.events import EpochMetrics
from tui_dl.engine.training.optim import weight_decay
from tui_dl.engine.training.schedule import Plateau
from tui_dl.i18n import _


def take_snapshot(trainer) -> dict[str, Any]:
    """The trainer's state at an epoch's end, copied off the training tensors."""
    rng: dict[str, torch.Tensor] = {"cpu": torch.get_rng_state(), "generator": trainer.batch_order.get_state()}
    if trainer.device.type == "cuda":
        rng["cuda"] = torch.cuda.get_rng_state(trainer.device)
    return {
        "model": {k: v.detach().clone() for k, v in trainer.model.state_dict().items()},
        "optimizer": copy.deepcopy(trainer.optimizer.state_dict()),
        "epoch": trainer.epoch,
        "step": trainer.step,
        "rng": rng,
        "generator_device": trainer.batch_order.device.type,  # its state's format: CPU and CUDA ones differ
        "history_len": len(trainer.history),
        "steps_len": len(trainer.step_losses),
        "best_epoch": trainer.best_epoch,
        "best_val_loss": trainer.best_val_loss,
        "plateau": trainer.plateau.to_dict(),
    }


def checkpoint_state(trainer, snap: dict[str, Any] | None) -> dict:
    """Everything a checkpoint holds, as of `snap` (a `take_snapshot`); safe while training runs."""
    data = trainer.data
    if snap is None:
        raise CheckpointError(_("nothing to save yet: the run has not been set up"))
    return {
        "model": {k: v.cpu() for k, v in snap["model"].items()},
        "optimizer": _to_cpu(snap["optimizer"]),
        "config": trainer.config.to_dict(),
        "task": data.task,
        "inputs": data.inputs,
        "outputs": data.outputs,
        "class_names": list(data.raw.class_names),
        "feature_names": list(data.raw.feature_names),
        "dataset": data.raw.name,
        "x_mean": data.x_mean.cpu(), "x_std": data.x_std.cpu(),
        "input_mean": data.input_mean, "input_std": data.input_std,  # the data's inputs, before any features
        "y_mean": data.y_mean.cpu(), "y_std": data.y_std.cpu(),
        "column_plan": data.raw.plan.to_dict() if data.raw.plan is not None else None,
        "fill_values": dict(data.fill_values),
        "image_shape": list(data.raw.image_shape) if data.raw.image_shape else None,
        "epoch": snap["epoch"],
        "step": snap["step"],
        "history": [m.to_dict() for m in trainer.history[:snap["history_len"]]],
        "step_losses": torch.tensor(trainer.step_losses[:snap["steps_len"]], dtype=torch.float32),
        "best_epoch": snap["best_epoch"],
        "best_val_loss": snap["best_val_loss"],
        "plateau": snap["plateau"],
        "rng": {k: v.cpu() for k, v in snap["rng"].items()},
        "generator_device": snap["generator_device"],
    }


def apply_resume(trainer, state: dict) -> None:
    """Load checkpoint `state` into a set-up trainer: weights, optimizer (unless it changed), history, RNGs."""
    from tui_dl.engine.training.checkpoint import check_compatible

    check_compatible(state, trainer.config, trainer.data.inputs, trainer.data.outputs)
    try:
        trainer.model.load_state_dict(state["model"])
    except RuntimeError as exc:
        raise CheckpointError(_("checkpoint weights do not fit this model: {reason}").format(
            reason=str(exc).splitlines()[0])) from None
    if state["config"]["train"].get("optimizer") == trainer.config.train.optimizer:
        trainer.optimizer.load_state_dict(state["optimizer"])
        for group in trainer.optimizer.param_groups:
            group["lr"] = trainer.config.train.lr
            group["weight_decay"] = weight_decay(trainer.config.train)
            if "momentum" in group:
                group["momentum"] = trainer.config.train.momentum
    else:
        trainer.notices.append(_("optimizer changed: its state starts fresh"))
    trainer.epoch, trainer.step = int(state["epoch"]), int(state["step"])
    trainer.history = [EpochMetrics.from_dict(m) for m in state["history"]]
    trainer.seconds = sum(m.seconds for m in trainer.history)
    trainer.step_losses = array("f", state["step_losses"].tolist())
    trainer.best_epoch = int(state["best_epoch"])
    trainer.best_val_loss = state["best_val_loss"]
    trainer.plateau = Plateau.from_dict(state.get("plateau", {}))
    _restore_rng(trainer, state)


def _restore_rng(trainer, state: dict) -> None:
    """The random number generators' states, each where its device type is the one that saved it; the batch
    order's is seeded afresh (and said once) when the run moved between a GPU and the CPU."""
    rng, device = state.get("rng", {}), trainer.device.type
    if "cpu" in rng:
        torch.set_rng_state(rng["cpu"])
    if "cuda" in rng and device == "cuda":
        torch.cuda.set_rng_state(rng["cuda"], trainer.device)
    if "generator" not in rng:
        return
    saved = state.get("generator_device") or _generator_device(rng["generator"])
    if saved == trainer.batch_order.device.type:
        trainer.batch_order.set_state(rng["generator"])
        return
    trainer.batch_order.manual_seed(trainer.config.train.seed + trainer.epoch)
    trainer.notices.append(_("the batch order is seeded afresh: the checkpoint's comes from a {saved} device, this "
                             "run trains on {device}").format(saved=saved, device=device))


def _generator_device(generator_state: torch.Tensor) -> str:
    """The device type of a generator's state in a checkpoint that did not record it: a CPU generator's state is
    the Mersenne Twister's (thousands of bytes), a CUDA one's its seed and offset (16 bytes)."""
    return "cpu" if generator_state.numel() == torch.Generator().get_state().numel() else "cuda"


def _to_cpu(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.cpu()
    if isinstance(value, dict):
        return {k: _to_cpu(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_cpu(v) for v in value]
    return value
