"""A bounded record of a model's parameters along a run, for the loss landscape's path.

A line y = b + w x (one Linear(1, 1)) is recorded after every step, any other model after every epoch. Each
record is one device-side copy (a cat of views of the parameters into a row view of a preallocated
buffer, both made once): no host sync and little Python per step. The first half of the
buffer keeps the earliest records one by one (where a too-large learning rate zig-zags); when the second
half fills, every other record in it is dropped and it keeps every 2nd, 4th, ... record from then on.
"""

from __future__ import annotations

import torch
from torch import nn

LINE_RECORDS = 4_096  # most (w, b) points kept of a line's path
EPOCH_RECORDS = 64  # most parameter snapshots kept of any other model's path,
TRAJECTORY_BYTES = 64 << 20  # and fewer when they would take more than this (but at least MIN_RECORDS)
MIN_RECORDS = 4


def is_line(model: nn.Module) -> bool:
    """Whether the model is y = b + w x: one Linear layer from one input to one output."""
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    return len(linears) == 1 and linears[0].in_features == 1 and linears[0].out_features == 1


class Trajectory:
    """The parameters at the start and, thinned as described above, after each step (a line) or each epoch."""

    def __init__(self, model: nn.Module):
        params = [p for p in model.parameters() if p.requires_grad]
        self.size = sum(p.numel() for p in params)
        self.per_step = is_line(model)
        capacity = LINE_RECORDS if self.per_step else EPOCH_RECORDS
        self.capacity = max(MIN_RECORDS, min(capacity, TRAJECTORY_BYTES // (4 * max(self.size, 1))))
        first = params[0] if params else torch.zeros(0)
        self.buffer = torch.empty(self.capacity, self.size, dtype=torch.float32, device=first.device)
        self._views = [p.detach().view(-1) for p in params]  # share the parameters' storage: updated in place
        self._rows = self.buffer.unbind(0)
        self.head = self.capacity // 2  # records kept one by one
        self.count = 0  # rows of `buffer` in use
        self.seen = 0  # records offered so far (steps or epochs since the start)
        self.stride = 1  # the tail keeps every stride-th record
        self.seconds_per_point = 0.0  # what one grid point of the landscape took to evaluate, last time
        self._record()

    def after_step(self) -> None:
        """Call after each optimizer step."""
        if self.per_step:
            self._offer()

    def after_epoch(self) -> None:
        """Call after each epoch."""
        if not self.per_step:
            self._offer()

    def _offer(self) -> None:
        self.seen += 1
        if self.seen < self.head or (self.seen - self.head) % self.stride == 0:
            if self.count == self.capacity:
                self._thin()
                if (self.seen - self.head) % self.stride:
                    return
            self._record()

    def _thin(self) -> None:
        """Drop every other record of the tail; the tail keeps every (2 x stride)-th record from now on."""
        kept = self.buffer[self.head::2].clone()
        self.buffer[self.head:self.head + len(kept)] = kept
        self.count = self.head + len(kept)
        self.stride *= 2

    def _record(self) -> None:
        torch.cat(self._views, out=self._rows[self.count])
        self.count += 1

    def points(self) -> torch.Tensor:
        """The records so far (count x parameters, on the device), the current parameters last."""
        now = torch.cat(self._views).to(torch.float32)
        recorded = self.buffer[:self.count]
        if self.count and torch.equal(recorded[-1], now):
            return recorded.clone()
        return torch.cat([recorded, now[None]])
