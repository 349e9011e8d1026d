"""Command palette entries for every tui-dl action."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tui_dl.ui.keys import palette_entries


class ActionCommands(Provider):
    """Start, pause, stop, change the learning rate, checkpoints, tabs, help."""

    async def discover(self) -> Hits:
        for name, help_text, action in palette_entries():
            yield DiscoveryHit(name, partial(self.app.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, action in palette_entries():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), partial(self.app.run_action, action), help=help_text)
