"""Textual's own texts that tui-dl shows, in the language in use: the command palette (its prompt, "no matches",
the system commands), the key description of an open Select in the key bar, and the notices Textual gives.

Textual writes them in English; `TextualTexts` (a base of the app) shows them through the catalog instead.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.align import Align
from rich.text import Text
from textual import events
from textual.app import SystemCommand
from textual.command import CommandList, CommandPalette
from textual.screen import Screen
from textual.widgets.option_list import Option

from tui_dl.i18n import N_, _

SEARCH_COMMANDS = N_("Search for commands…")
SEARCH_THEMES = N_("Search for themes…")
NO_MATCHES = N_("No matches found")
KEYS_HELP = N_("Show every key and a short guide to the charts (F1)")
# Textual's system commands (title, help), shown translated; its "Keys" panel gives way to the F1 help.
SYSTEM_COMMANDS = (
    N_("Theme"), N_("Change the current theme"),
    N_("Quit"), N_("Quit the application as soon as possible"),
    N_("Keys"),
    N_("Minimize"), N_("Minimize the widget and restore to normal size"),
    N_("Maximize"), N_("Maximize the focused widget"),
    N_("Screenshot"), N_("Save an SVG 'screenshot' of the current screen"),
)
# Key descriptions of Textual's widgets that the key bar shows (it translates every description): an open Select's.
WIDGET_KEYS = (N_("Dismiss menu"),)


class Palette(CommandPalette):
    """Textual's command palette, its prompt and "no matches" in the language in use."""

    def __init__(self, placeholder: str = SEARCH_COMMANDS, **kwargs):
        super().__init__(placeholder=_(placeholder), **kwargs)

    def _start_no_matches_countdown(self, search_value: str) -> None:
        """As CommandPalette's, saying "no matches" in the language in use."""
        self._stop_no_matches_countdown()

        def show_no_matches() -> None:
            if search_value:
                self.query_one(CommandList).add_option(Option(
                    Align.center(Text(_(NO_MATCHES), style="not bold")), disabled=True, id=self._NO_MATCHES))
            self._list_visible = bool(search_value)

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show_no_matches)


class TextualTexts:
    """App overrides that show Textual's texts translated (a base of the app, before `App`; handlers go by name:
    `@on` needs Textual's metaclass)."""

    def action_command_palette(self) -> None:
        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(Palette(id="--command-palette"))

    def search_themes(self) -> None:
        from textual.theme import ThemeProvider

        self.push_screen(Palette(SEARCH_THEMES, providers=[ThemeProvider]))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            if command.title == "Keys":  # Textual's keys panel, in English: the F1 help says it all, translated
                yield SystemCommand(_("Keys"), _(KEYS_HELP), self.action_help)
            else:
                yield command._replace(title=_(command.title), help=_(command.help))

    def action_help_quit(self) -> None:
        """ctrl+c outside a text field: say which key quits."""
        for key, active in self.active_bindings.items():
            if active.binding.action in ("quit", "app.quit"):
                self.notify(_("Press [b]{key}[/b] to quit the app").format(key=key), title=_("Do you want to quit?"))
                return

    def on_delivery_complete(self, event: events.DeliveryComplete) -> None:
        if event.name == "screenshot":
            event.prevent_default()
            where = _("Saved screenshot to [$text-success]{path}").format(path=repr(str(event.path)))
            self.notify(where if event.path is not None else _("Saved screenshot"), title=_("Screenshot"))

    def on_delivery_failed(self, event: events.DeliveryFailed) -> None:
        if event.name == "screenshot":
            event.prevent_default()
            self.notify(_("Failed to save screenshot"), title=_("Screenshot"), severity="error")
