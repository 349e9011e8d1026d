"""A run's duration: one definition and one way to write it, for the CLI, the summary and the UI.

A run's time is the time spent in its epochs (training and evaluation, a last unfinished epoch included),
pauses left out, summed over every epoch of the run, a resumed run's earlier epochs included. Setting up
(loading data, building the model) and insight views are not counted.
"""

from __future__ import annotations


def format_duration(seconds: float) -> str:
    """`4.2s` under a minute, else `12:05` or `1:02:05`."""
    seconds = max(float(seconds), 0.0)
    if seconds < 59.95:
        return f"{seconds:.1f}s"
    whole = int(round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
