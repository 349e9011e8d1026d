"""The tui-dl Textual app: settings tabs, runs in their own processes, live charts, checkpoints, themes.

The app keeps keys, tabs, dialogs, themes and signals, and wires its parts. What the screen shows is one
ScreenState (`ui.screen_state`); each part gets it and the app as a narrow Shell (`ui.shell`), never the app
itself: the training controller (`ui.training`) runs and watches runs, driven by the run keys (`ui.run_keys`);
`ui.runs_flow` carries out the Runs tab's requests; the settings form (`ui.settings_form`) reads and fills the
fields; the checkpoint flow (`ui.checkpoint_flow`) saves and loads; the insight feed (`ui.insight_feed`) feeds
the Insights tab; the system feed (`ui.system_feed`) finds the devices and samples the machine's load. No
module below this one imports it.
"""

from __future__ import annotations

import asyncio
import sys
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

from textual import on
from textual.app import App, ComposeResult
from textual.css.query import NoMatches
from textual.notifications import Notify
from textual.widgets import Input, Select, SelectionList, Static, TabbedContent, TabPane

from tui_dl.engine.config import RunConfig
from tui_dl.i18n import LANGUAGES, N_, _
from tui_dl.paths import runs_dir
from tui_dl.ui.checkpoint_flow import CheckpointFlow
from tui_dl.ui.commands import ActionCommands, LanguageCommands
from tui_dl.ui.insight_feed import InsightFeed
from tui_dl.ui.keys import bindings
from tui_dl.ui.language import switch_language
from tui_dl.ui.run_keys import RunKeys
from tui_dl.ui.runs_flow import RunsFlow
from tui_dl.ui.screen_state import ScreenState
from tui_dl.ui.settings_form import SettingsForm
from tui_dl.ui.startup import Startup
from tui_dl.ui.status_line import status_text
from tui_dl.ui.system_feed import SystemFeed
from tui_dl.ui.textual_texts import TextualTexts
from tui_dl.ui.themes import load_themes
from tui_dl.ui.training import TrainingController
from tui_dl.ui.widgets.dataset_panel import DatasetPanel
from tui_dl.ui.widgets.insights.panel import InsightsPanel
from tui_dl.ui.widgets.key_bar import KeyBar
from tui_dl.ui.widgets.runs_panel import RunsPanel
from tui_dl.ui.widgets.settings_panel import SettingsPanel
from tui_dl.ui.widgets.training_view import TrainingView

UI_REFRESH_S = 0.5
DEFAULT_THEME = "tui-dl-night"
TOAST_REPAINT_S = 0.3  # after a toast's timeout, when the screen is repainted
QUIT_REASON = N_("stopped by quitting the UI")  # the reason given, translated
TABS = {"data": N_("Data (F2)"), "model": N_("Model (F3)"), "training": N_("Training (F4)"),
        "insights": N_("Insights (F9)"), "runs": N_("Runs (F10)")}  # each tab's title, shown translated
# Where the keyboard goes when a tab is shown (default: its first field).
TAB_FOCUS = {"training": "#training-view", "insights": "#insight-tabs Tabs", "runs": "#runs-table"}


class TuiDLApp(TextualTexts, App[None]):
    """Build, train and watch a neural network from the keyboard."""

    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute, so subclasses elsewhere find it
    TITLE = "tui-dl"
    COMMANDS = App.COMMANDS | {ActionCommands, LanguageCommands}
    BINDINGS = bindings()

    def __init__(self, config: RunConfig | None = None, runs_root: Path | None = None, notices: list[str] = (),
                 detach: bool = False, attach: Path | None = None):
        """`detach`: F5 starts each run in its own process (as `tui-dl` does); else in this one.
        `attach`: a live run's folder to show at once."""
        super().__init__()
        self.initial = config or RunConfig()
        self.shown = ScreenState(runs_root or runs_dir())
        self.attach_at_start = attach
        self.exit_report: str | None = None
        self.ui_loop: asyncio.AbstractEventLoop | None = None
        self.startup_notices = list(notices)  # said once the screen is up
        shown = self.shown
        self.form = SettingsForm(self, shown)
        self.insight_feed = InsightFeed(self, shown)
        self.controller = TrainingController(self, shown, self.form, self.insight_feed, detach)
        self.checkpoints = CheckpointFlow(self, shown, self.form, self.insight_feed)
        self.system = SystemFeed(self, shown)
        self.runs_flow = RunsFlow(self, shown, self.form, self.controller, self.checkpoints)
        self.run_keys = RunKeys(self, shown, self.form, self.controller, self.checkpoints, self.insight_feed)
        self.startup = Startup(self, shown, self.initial, self._started)
        # Themes are registered and chosen before the first frame: switching later restyles every widget.
        themes, self.theme_problems = load_themes()
        for theme in themes:
            self.register_theme(theme)
        if DEFAULT_THEME in self.available_themes:
            self.theme = DEFAULT_THEME

    def compose(self) -> ComposeResult:
        with TabbedContent(initial="data", id="tabs"):
            with TabPane(_(TABS["data"]), id="data"):
                yield DatasetPanel(self.initial.data, id="dataset-panel")
            yield TabPane(_(TABS["model"]), id="model")  # the Model, Insights and Runs tabs are filled after
            with TabPane(_(TABS["training"]), id="training"):  # the first frame (ui.startup)
                yield TrainingView(id="training-view")
            yield TabPane(_(TABS["insights"]), id="insights")
            yield TabPane(_(TABS["runs"]), id="runs")
        yield Static("", id="status")
        yield KeyBar(show_command_palette=False)

    def on_mount(self) -> None:
        for problem in self.theme_problems:
            self.notify(problem, title=_("theme not loaded"), severity="warning")
        for notice in self.startup_notices:
            self.notify(notice, severity="warning")
        self.set_interval(UI_REFRESH_S, self._drain)
        self.ui_loop = asyncio.get_running_loop()
        self.startup.first_frame()

    def _started(self) -> None:
        """Every tab is filled: check the settings, find the devices, show the run to attach to (or say which
        runs train in the background)."""
        self.data_changed()  # the data set may have loaded meanwhile; this checks the settings either way
        self.system.start()  # devices are found now: importing torch takes seconds
        if self.attach_at_start is not None:
            self.controller.attach(self.attach_at_start)
        else:
            self.runs_flow.tell_live_runs()

    async def run_action(self, action, default_namespace=None, namespaces=None) -> bool:
        """As App.run_action; the app's own actions wait until the start is done (ui.startup)."""
        run = partial(super().run_action, action, default_namespace, namespaces)
        if default_namespace in (None, self) and self.startup.later(run):
            return True
        return await run()

    @asynccontextmanager
    async def run_test(self, *args, **kwargs):
        """As App.run_test; the pilot comes once the start is done (every tab filled)."""
        async with super().run_test(*args, **kwargs) as pilot:
            while not self.startup.done.is_set() and self.is_running:
                await asyncio.sleep(0.01)
            yield pilot

    def on_unmount(self) -> None:
        self.system.close()

    def on_notify(self, event: Notify) -> None:
        """Repaint the screen once a toast has timed out: Textual sometimes leaves an expired toast drawn over
        a view that does not change (the Insights tab after a run), until the next key."""
        self.set_timer(event.notification.timeout + TOAST_REPAINT_S, self._repaint)

    def _repaint(self) -> None:
        if self.is_running and self.screen_stack:
            self.screen.refresh()

    def exit_from_thread(self, return_code: int) -> None:
        """Ask the app to exit from another thread (the exit guard's); never blocks."""
        loop = self.ui_loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(partial(self.exit, return_code=return_code))
            except RuntimeError:  # the loop closed meanwhile: the app has exited
                pass

    # settings ---------------------------------------------------------------------------------

    @on(Input.Changed)
    @on(Select.Changed)
    @on(SelectionList.SelectedChanged)
    def _field_changed(self) -> None:
        if not self.startup.done.is_set():
            return  # the start checks them once every field is there
        try:
            self.form.validate()
            self.refresh_status()
        except NoMatches:  # a field filled as the app tears its widgets down
            pass

    @on(DatasetPanel.Loaded)
    def _data_loaded(self, event: DatasetPanel.Loaded) -> None:
        self.shown.raw = event.raw
        if self.startup.done.is_set():  # else the start shows it
            try:
                self.data_changed()
            except NoMatches:  # loaded as the app tears its widgets down
                pass

    def data_changed(self) -> None:
        """Say which views and input features apply to the data set, and check the settings against it."""
        raw = self.shown.raw
        if raw is not None:
            self.query_one(InsightsPanel).set_data(raw.task, raw.features)
            self.query_one(SettingsPanel).set_data_inputs(raw.features)
        self.form.validate()
        self.refresh_status()

    # training ---------------------------------------------------------------------------------

    async def action_start(self) -> None:
        """Start training with the current settings (asking first whether to stop a run in progress)."""
        await self.run_keys.start()

    def action_pause(self) -> None:
        """Pause or resume the run."""
        self.run_keys.pause()

    def action_step(self) -> None:
        """While paused, train one batch; the charts and views show it."""
        self.run_keys.step()

    def action_stop(self) -> None:
        """Stop the run at the next batch."""
        self.run_keys.stop()

    def action_change_lr(self) -> None:
        """Ask for a new learning rate; applied from the next batch (or set in the field when idle)."""
        self.run_keys.change_lr()

    def _drain(self) -> None:
        """Apply the run's events to the screen (a few times a second)."""
        try:
            self.controller.drain()
        except NoMatches:  # the timer fired while the app tears its widgets down
            pass

    def refresh_status(self) -> None:
        status = status_text(self.shown, self.query_one(TrainingView).curves.epochs)
        self.query_one("#status", Static).update(status, layout=False)  # one line: no relayout

    # checkpoints ------------------------------------------------------------------------------

    def action_save(self) -> None:
        """Save the last finished epoch to a path chosen in a dialog."""
        self.checkpoints.save()

    def action_load(self) -> None:
        """Pick a checkpoint; restore its settings and curves; F5 then continues from it."""
        self.checkpoints.choose()

    # insight views and runs ---------------------------------------------------------------------

    @on(TabbedContent.TabActivated, "#tabs")
    def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        for bar in self.query(KeyBar):  # none yet when a tab is shown while the app composes
            bar.tab = event.pane.id
        if event.pane.id == "runs":
            for panel in self.query(RunsPanel):  # none yet when a tab is shown while the app starts
                panel.reload()
        self.call_after_refresh(self._update_probes)  # after layout: the boundary grid fits the view

    @on(InsightsPanel.ViewChanged)
    def _view_changed(self) -> None:
        self.call_after_refresh(self._update_probes)

    def _update_probes(self) -> None:
        if self.startup.done.is_set():
            self.insight_feed.update()

    @on(RunsPanel.Fork)
    def _fork(self, event: RunsPanel.Fork) -> None:
        self.runs_flow.fork(event.folder)

    @on(RunsPanel.FolderChanged)
    def _runs_folder_changed(self, event: RunsPanel.FolderChanged) -> None:
        self.shown.runs_root = event.folder

    @on(RunsPanel.Attach)
    def _attach(self, event: RunsPanel.Attach) -> None:
        self.runs_flow.attach(event.folder)

    @on(RunsPanel.Continue)
    def _continue(self, event: RunsPanel.Continue) -> None:
        self.runs_flow.continue_from(event.checkpoint)

    # navigation and dialogs ---------------------------------------------------------------------

    def action_show_tab(self, tab: str) -> None:
        """Show a tab and put the keyboard focus on its first field."""
        self.query_one("#tabs", TabbedContent).active = tab
        if tab in TAB_FOCUS:
            self.query_one(TAB_FOCUS[tab]).focus()
            return
        editors = [w for w in self.query_one(f"TabPane#{tab}").query("OptionList, Input, Select") if w.focusable]
        if not editors:
            self.set_focus(None)  # focus left in a hidden tab would pull that tab back into view
        elif self.focused is None or self.focused not in editors:
            editors[0].focus()

    show_tab = action_show_tab  # the Shell's name for it

    def active_tab(self) -> str:
        return self.query_one("#tabs", TabbedContent).active

    def switch_language(self, code: str) -> None:
        """Show the app in language `code` from now on (and at the next start); say so in that language."""
        problem = switch_language(code, self.screen_stack)
        main = self.screen_stack[0]  # the command palette is over it
        tabs = main.query_one("#tabs", TabbedContent)
        for pane, title in TABS.items():
            tabs.get_tab(pane).label = _(title)
        main.query_one(TrainingView).show_progress(self.shown.state_label)
        for bar in main.query(KeyBar):
            bar.refresh(recompose=True)
        self.form.validate()  # the architecture line and the fields' reasons
        self.refresh_status()
        self.insight_feed.update()  # the visible view's title and legend
        self.notify(_("the UI speaks {language} now (kept for the next start)").format(language=LANGUAGES[code]))
        if problem is not None:
            self.notify(problem, severity="warning")

    def action_export(self) -> None:
        """Export the model (on the Runs tab, the run under the cursor's): ONNX, a PyTorch script, the predict command."""
        from tui_dl.ui.model_source import export_source, run_export_source
        from tui_dl.ui.screens.export import ExportDialog

        if isinstance(self.screen, ExportDialog):
            return
        if self.active_tab() == "runs":
            source = run_export_source(self.query_one(RunsPanel).cursor_summary())
        else:
            source = export_source(self.shown, self.query_one(DatasetPanel).dataset)
        if isinstance(source, str):
            self.notify(source, title=_("nothing to export"), severity="warning")
            return
        self.push_screen(ExportDialog(source), lambda done: done and self.notify(done, title=_("exported")))

    def action_help(self) -> None:
        from tui_dl.ui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_open_file(self) -> None:
        """Browse to a CSV / NPZ / IDX file and use it as the data set."""
        from tui_dl.ui.screens.dialogs import OpenFileDialog

        def chosen(path: str | None) -> None:
            if path:
                self.query_one(DatasetPanel).choose(path)
                self.action_show_tab("data")

        self.push_screen(OpenFileDialog(Path.cwd()), chosen)

    async def action_quit(self) -> None:
        """Quit. A run in its own process may go on training (asked); a run of this process is stopped and saved."""
        link = self.shown.link
        if link is not None and link.detached and link.live:
            from tui_dl.ui.screens.dialogs import ChoiceDialog

            async def answered(choice: str | None) -> None:
                if choice == "stop":
                    await self.controller.stop_and_wait()
                if choice in ("leave", "stop"):
                    await self._quit_now()

            self.push_screen(ChoiceDialog(
                _("{name} is training in its own process. Quit and leave it training (come back with "
                  "`tui-dl attach {name}`, or F10 then a), or stop it first?").format(name=link.name),
                [("l", _("leave it training"), "leave"), ("s", _("stop it"), "stop"), ("c", _("cancel"), None)],
                "leave"), answered)
            return
        await self._quit_now()

    async def _quit_now(self) -> None:
        await asyncio.to_thread(self.leave, _(QUIT_REASON))
        self.exit(return_code=0)

    def leave(self, reason: str) -> None:
        """The UI goes away (from any thread: the quit key, or the exit guard on SIGHUP / SIGTERM / SIGINT).

        A run of this process is stopped with `reason` and returns once its last epoch is saved; a run in its
        own process goes on training.
        """
        report = self.controller.leave(reason)
        self.exit_report = report if report is not None or reason == _(QUIT_REASON) else reason


def make_app(config: RunConfig | None = None, runs_root: Path | None = None, notices: list[str] = (),
             detach: bool = False, attach: Path | None = None) -> TuiDLApp:
    """The app as the CLI and the tests build it (`detach`: runs in their own processes, as `tui-dl` has it)."""
    return TuiDLApp(config, runs_root, notices, detach, attach)


def run_app(runs_root: Path | None = None, config: RunConfig | None = None, attach: Path | None = None,
            detach: bool = True, language: str | None = None) -> int:
    """The UI, with `config` or else the settings of the last run started in it; attached to `attach`; in
    `language` (`--lang`), else the one last chosen in the UI, else the environment's."""
    from tui_dl.ui.exit_guard import ExitGuard
    from tui_dl.ui.language import start_language
    from tui_dl.ui.last_settings import load_last

    start_language(language)
    problem = None
    if config is None:
        config, problem = load_last()
    app = make_app(config, runs_root, notices=[problem] if problem else [], detach=detach, attach=attach)
    guard = ExitGuard(app).install()
    try:
        app.run()
    finally:
        guard.close()
    if app.exit_report:
        print(app.exit_report, file=sys.stderr)
    return app.return_code or 0
