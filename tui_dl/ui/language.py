"""The UI's language: at start `--lang`, else the one last chosen in the command palette, else the environment's;
switched from the palette, every text on screen is set again in place (the form's values, the run on screen and
the views are kept, nothing is composed again)."""

from __future__ import annotations

from textual.widgets import Static, TabbedContent

from tui_dl.i18n import LANGUAGES, _, set_language
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


def switch_language(app, code: str) -> None:
    """Show the app in language `code` from now on (and at the next start); say so in that language."""
    from tui_dl.ui.app import TABS
    from tui_dl.ui.widgets.key_bar import KeyBar
    from tui_dl.ui.widgets.training_view import TrainingView

    set_language(code)
    problem = save_language(code)
    main = app.screen_stack[0]
    for widget in main.walk_children():
        if isinstance(widget, Relabels):
            widget.relabel()
    for screen in app.screen_stack[1:]:  # the help, if the palette was opened over it
        if isinstance(screen, Relabels):
            screen.relabel()
    tabs = main.query_one("#tabs", TabbedContent)
    for pane, title in TABS.items():
        tabs.get_tab(pane).label = _(title)
    main.query_one(TrainingView).show_progress(app.controller.state_label)
    for bar in main.query(KeyBar):
        bar.refresh(recompose=True)
    app.form.validate()  # the architecture line and the fields' reasons
    app.refresh_status()
    app.insight_feed.update()  # the visible view's title and legend
    app.notify(_("the UI speaks {language} now (kept for the next start)").format(language=LANGUAGES[code]))
    if problem is not None:
        app.notify(problem, severity="warning")
