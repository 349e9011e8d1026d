"""The UI's language: at start `--lang`, else the one last chosen in the command palette, else the environment's;
switched from the palette, every text on screen is set again in place (the form's values, the run on screen and
the views are kept, nothing is composed again)."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Static

from tui_dl.i18n import _, set_language
from tui_dl.ui.last_settings import load_language, save_language


class Relabels:
    """A widget whose texts were set when it was composed: `relabel` sets them again in the language in use."""

    def relabel(self) -> None:
        raise NotImplementedError


class Words(Static, Relabels):
    """A fixed text (English markup, marked with N_) shown in the language in use."""

    def __init__(self, text: str, **kwargs):
        super().__init__(_(text), **kwargs)
        self.source = text

    def relabel(self) -> None:
        self.update(_(self.source))


def start_language(chosen: str | None = None) -> str:
    """Use `chosen` (`--lang`), else the language saved from the palette, else the environment's."""
    return set_language(chosen or load_language())


def switch_language(code: str, screens: list[Screen]) -> str | None:
    """Use language `code` from now on (and at the next start) and set again the texts of every widget and screen
    in `screens` (the app's stack) that can; returns a problem keeping the choice, else None."""
    set_language(code)
    problem = save_language(code)
    for widget in screens[0].walk_children():
        if isinstance(widget, Relabels):
            widget.relabel()
    for screen in screens[1:]:  # the help, if the palette was opened over it
        if isinstance(screen, Relabels):
            screen.relabel()
    return problem
