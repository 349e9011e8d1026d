"""When the insight probes may run during training: at most every PROBE_INTERVAL_S, and all of them together
(the final one included) within PROBE_SHARE of the training time so far.

The first probe runs at once (its cost is not known yet, and nothing is drawn yet); each later one waits until
the time spent so far, plus its own cost and the final probe's (taken as the last one's), fits the share. So a
run longer than a few probes' worth keeps its views within the share; a run shorter than that gets the first
and the final views only. Time without probes (the views hidden) saves at most CREDIT_PROBES probes' worth, so
showing them again brings no burst; probes forced by the user (a step while paused) are not charged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

PROBE_INTERVAL_S = 0.5
PROBE_SHARE = 0.03
CREDIT_PROBES = 3  # unused share kept, in probes of the last one's cost
FAILED_RETRY_S = 1.0  # a failing view is retried after this, then less and less often


@dataclass
class ProbeBudget:
    """The probes' account of one run: what they cost so far and when the last one ran."""

    spent: float = 0.0  # seconds of probes so far
    cost: float = 0.0  # the last probe's seconds: the estimate of the next and of the final one
    last: float = -math.inf  # when the last one ran (perf_counter)
    gap: float = PROBE_INTERVAL_S  # the least time between two
    origin: float = 0.0  # the run's training seconds when this account began (a resumed run's earlier ones)

    def due(self, now: float, trained_s: float) -> bool:
        """Whether a probe may run now, the run's training seconds being `trained_s`."""
        share = PROBE_SHARE * (trained_s - self.origin)
        self.spent = max(self.spent, share - CREDIT_PROBES * self.cost)  # credit beyond that is forfeited
        return now - self.last >= self.gap and self.spent + 2 * self.cost <= share

    def took(self, started: float, seconds: float, forced: bool = False) -> None:
        """A probe begun at `started` took `seconds` (`forced`: asked for, not charged)."""
        self.last, self.cost = started, seconds
        self.spent += 0.0 if forced else seconds
        self.gap = PROBE_INTERVAL_S

    def failed(self, started: float) -> None:
        """A probe begun at `started` raised: wait longer each time before the next."""
        self.last = started
        self.gap = max(self.gap * 2, FAILED_RETRY_S)
