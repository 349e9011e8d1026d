"""Command palette entries for every tui-dl action, and the UI's language."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tui_dl.i18n import LANGUAGES, _, language
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


def language_entries() -> list[tuple[str, str, str]]:
    """(title, help, code) of each language the UI is not in now."""
    return [(_("Language: {name}").format(name=f"{name} ({code})"),
             _("show every text in {name}; kept for the next start").format(name=name), code)
            for code, name in LANGUAGES.items() if code != language()]


class LanguageCommands(Provider):
    """Switch the UI to another language (saved for the next start)."""

    def _switch(self, code: str) -> None:
        self.app.switch_language(code)

    async def discover(self) -> Hits:
        for title, help_text, code in language_entries():
            yield DiscoveryHit(title, partial(self._switch, code), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, code in language_entries():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self._switch, code), help=help_text)
