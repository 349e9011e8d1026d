"""Command palette entries for every tui-dl action."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

ACTIONS = (
    ("Start training", "F5: start, or restart with the current settings", "start"),
    ("Pause / resume training", "F6", "pause"),
    ("Stop training", "F7: stop at the next batch", "stop"),
    ("Change learning rate", "F8: takes effect at the next batch", "change_lr"),
    ("Save checkpoint", "ctrl+s", "save"),
    ("Load checkpoint", "ctrl+o", "load"),
    ("Open data file", "ctrl+f: CSV, NPZ or IDX", "open_file"),
    ("Show Data tab", "F2", "show_tab('data')"),
    ("Show Model tab", "F3", "show_tab('model')"),
    ("Show Training tab", "F4", "show_tab('training')"),
    ("Show Insights tab", "F9: decision boundary, fit, confusion matrix, layer norms, system", "show_tab('insights')"),
    ("Show Runs tab", "F10: past runs, compare, fork, continue", "show_tab('runs')"),
    ("Help", "F1: keys and what the charts show", "help"),
)


class ActionCommands(Provider):
    """Start, pause, stop, change the learning rate, checkpoints, tabs, help."""

    async def discover(self) -> Hits:
        for name, help_text, action in ACTIONS:
            yield DiscoveryHit(name, partial(self.app.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, action in ACTIONS:
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), partial(self.app.run_action, action), help=help_text)
