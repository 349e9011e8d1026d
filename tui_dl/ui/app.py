"""The tui-dl Textual app: settings tabs, runs in their own processes, live charts, checkpoints, themes.

The app keeps keys, tabs, dialogs, themes and signals; the training controller (`ui.training`) runs and
watches runs, and the inspector (`ui.inspector`) draws the insight views of a model that is not training.
"""

from __future__ import annotations

import asyncio
import sys
from functools import partial
from pathlib import Path

from textual import on, work
from textual.app import App, ComposeResult
from textual.css.query import NoMatches
from textual.notifications import Notify
from textual.widgets import Input, Select, SelectionList, Static, TabbedContent, TabPane
from textual.widgets.select import InvalidSelectValueError

from tui_dl.engine.config import RunConfig
from tui_dl.engine.errors import UserError
from tui_dl.engine.events import RunStarted
from tui_dl.engine.rawdata import RawData
from tui_dl.paths import runs_dir
from tui_dl.ui.commands import ActionCommands
from tui_dl.ui.form import SECTIONS, field_id, format_value, read_config
from tui_dl.ui.keys import bindings
from tui_dl.ui.model_source import current_model
from tui_dl.ui.run_link import AttachedRun, LocalRun
from tui_dl.ui.themes import load_themes
from tui_dl.ui.training import TrainingController
from tui_dl.ui.widgets.charts import Curves
from tui_dl.ui.widgets.dataset_panel import DatasetPanel
from tui_dl.ui.widgets.feature_list import FeatureList
from tui_dl.ui.widgets.insights import InsightsPanel
from tui_dl.ui.widgets.key_bar import KeyBar
from tui_dl.ui.widgets.runs_panel import RunsPanel
from tui_dl.ui.widgets.settings_panel import SettingsPanel
from tui_dl.ui.widgets.training_view import TrainingView

UI_REFRESH_S = 0.5
SYSTEM_SAMPLE_S = 1.0
DEFAULT_THEME = "tui-dl-night"
FIELD_LABELS = {
    "model-layers": "hidden layers", "model-neurons": "neurons", "model-dropout": "dropout",
    "model-features": "input features", "train-lr": "learning rate", "train-momentum": "momentum",
    "train-reg_rate": "regularization rate", "train-warmup": "warm-up", "train-decay_epochs": "decay epochs",
    "train-decay_factor": "decay factor",
    "train-batch_size": "batch size", "train-epochs": "epochs", "train-early_stop": "early stop",
    "train-seed": "seed", "train-threads": "CPU threads", "data-samples": "samples", "data-noise": "noise", "data-window": "window",
    "data-val_split": "validation split", "data-test_split": "test split", "data-seed": "data seed",
}
TOAST_REPAINT_S = 0.3  # after a toast's timeout, when the screen is repainted
QUIT_REASON = "stopped by quitting the UI"
TAB_OF_SECTION = {"data": "data", "model": "model", "train": "model"}
# Where the keyboard goes when a tab is shown (default: its first field).
TAB_FOCUS = {"training": "#training-view", "insights": "#insight-tabs Tabs", "runs": "#runs-table"}


class TuiDLApp(App[None]):
    """Build, train and watch a neural network from the keyboard."""

    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute, so subclasses elsewhere find it
    TITLE = "tui-dl"
    COMMANDS = App.COMMANDS | {ActionCommands}
    BINDINGS = bindings()

    def __init__(self, config: RunConfig | None = None, runs_root: Path | None = None, notices: list[str] = (),
                 detach: bool = False, attach: Path | None = None):
        """`detach`: F5 starts each run in its own process (as `tui-dl` does); else in this one.
        `attach`: a live run's folder to show at once."""
        super().__init__()
        self.initial = config or RunConfig()
        self.runs_root = runs_root or runs_dir()
        self.controller = TrainingController(self, self.runs_root, detach)
        self.attach_at_start = attach
        self.raw: RawData | None = None
        self.loaded: dict | None = None
        self.loaded_path: Path | None = None
        self.device_name = "detecting device..."
        self.exit_report: str | None = None
        self.architecture = ""
        self.system_monitor = None
        self.ui_loop: asyncio.AbstractEventLoop | None = None
        self.startup_notices = list(notices)  # said once the screen is up
        self.inspector = None  # insight views of a model that is not training (ui.inspector)
        # Themes are registered and chosen before the first frame: switching later restyles every widget.
        themes, self.theme_problems = load_themes()
        for theme in themes:
            self.register_theme(theme)
        if DEFAULT_THEME in self.available_themes:
            self.theme = DEFAULT_THEME

    def compose(self) -> ComposeResult:
        with TabbedContent(initial="data", id="tabs"):
            with TabPane("Data (F2)", id="data"):
                yield DatasetPanel(self.initial.data, id="dataset-panel")
            with TabPane("Model (F3)", id="model"):
                yield SettingsPanel(self.initial, id="settings-panel")
            with TabPane("Training (F4)", id="training"):
                yield TrainingView(id="training-view")
            with TabPane("Insights (F9)", id="insights"):
                yield InsightsPanel(id="insights-panel")
            with TabPane("Runs (F10)", id="runs"):
                yield RunsPanel(self.runs_root, id="runs-panel")
        yield Static("", id="status")
        yield KeyBar(show_command_palette=False)

    def on_mount(self) -> None:
        for problem in self.theme_problems:
            self.notify(problem, title="theme not loaded", severity="warning")
        for notice in self.startup_notices:
            self.notify(notice, severity="warning")
        self.set_interval(UI_REFRESH_S, self._drain)
        self.set_interval(SYSTEM_SAMPLE_S, self._sample_system)
        # Importing torch takes seconds: do it after the first frame is on screen.
        self.call_after_refresh(self._detect_devices)
        self._validate()
        self.refresh_status()
        self.query_one("#dataset-list").focus()
        self.query_one("#tabs > Tabs").can_focus = False  # F2-F10 switch tabs; a focused bar would take the arrows
        self.query_one(InsightsPanel).model_source = partial(current_model, self)  # the Predict view's model
        self.ui_loop = asyncio.get_running_loop()
        if self.attach_at_start is not None:
            self.controller.attach(self.attach_at_start)
        else:
            self._tell_live_runs()

    def on_unmount(self) -> None:
        if self.system_monitor is not None:
            self.system_monitor.close()

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

    def _field_values(self) -> dict[str, str]:
        values = self.query_one(DatasetPanel).config_values()
        values.update(self.query_one(SettingsPanel).config_values())
        return values

    def _validate(self) -> tuple[RunConfig, dict[str, str]]:
        """Read every field, mark the invalid ones with their reason, refresh the architecture line."""
        config, errors = read_config(self._field_values(), FIELD_LABELS)
        for field in (*self.query_one(DatasetPanel).fields, *self.query_one(SettingsPanel).fields):
            field.show_error(errors.get(field.editor.id))
        model_ok = not any(key.startswith("model-") for key in errors)
        memory = None
        inputs = config.model.input_size(self.raw.features) if self.raw else None  # the features counted
        if self.raw is not None and model_ok:
            from tui_dl.engine.memory import estimate

            memory = estimate(config, inputs, self.raw.outputs, self.raw.samples,
                              self.raw.task == "regression").total
        self.query_one(SettingsPanel).show_architecture(
            inputs, self.raw.outputs if self.raw else None, config.model if model_ok else None, memory)
        self.architecture = config.model.summary(inputs, self.raw.outputs) if self.raw and model_ok else ""
        return config, errors

    @on(Input.Changed)
    @on(Select.Changed)
    @on(SelectionList.SelectedChanged)
    def _field_changed(self) -> None:
        self._validate()
        self.refresh_status()

    @on(DatasetPanel.Loaded)
    def _data_loaded(self, event: DatasetPanel.Loaded) -> None:
        self.raw = event.raw
        if event.raw is not None:
            self.query_one(InsightsPanel).set_data(event.raw.task, event.raw.features)
            self.query_one(SettingsPanel).set_data_inputs(event.raw.features)
        self._validate()
        self.refresh_status()

    def _apply_config(self, config: RunConfig) -> None:
        """Put `config` into the fields."""
        for section in SECTIONS:
            for name, value in config.to_dict()[section].items():
                widgets = self.query(f"#{field_id(section, name)}")
                if not widgets:
                    continue
                widget = widgets.first()
                if isinstance(widget, Select):
                    try:
                        widget.value = value
                    except InvalidSelectValueError:  # a device of another machine, or one not detected yet
                        widget.value = "auto"
                        self.notify(f"{name} {value} is not available here: using auto", severity="warning")
                elif isinstance(widget, Input):
                    widget.value = format_value(value)
                elif isinstance(widget, FeatureList):
                    widget.show(value)
        if config.data.target is None:
            self.query_one(f"#{field_id('data', 'target')}", Input).value = ""
        self.query_one(DatasetPanel).choose(config.data.dataset, settings_applied=True)

    @work(thread=True, exclusive=True, group="devices", exit_on_error=False)
    def _detect_devices(self) -> None:
        from tui_dl.engine.system import SystemMonitor
        from tui_dl.ui import devices

        found = devices.detect()
        monitor = SystemMonitor()
        monitor.sample()  # the first sample imports NVML: off the UI thread
        self.call_from_thread(self._devices_found, found["devices"], found["auto"], monitor)

    def _devices_found(self, names: list[str], described: str, monitor) -> None:
        if not self.is_running:  # detection ended while the app was closing: its widgets may be gone
            monitor.close()
            return
        self.query_one(SettingsPanel).set_devices(names)
        self.device_name = described
        self.system_monitor = monitor
        self.refresh_status()

    def _sample_system(self) -> None:
        """CPU, RAM and GPU load: a line on the Training tab, history in the System view."""
        if self.system_monitor is None:
            return
        from tui_dl.engine.system import format_compact

        stats = self.system_monitor.sample()
        try:
            self.query_one(TrainingView).show_system(format_compact(stats))
            self.query_one(InsightsPanel).add_system_sample(stats)
        except NoMatches:
            pass

    # training ---------------------------------------------------------------------------------

    @property
    def training(self) -> bool:
        return self.controller.training

    @property
    def link(self):
        """The run on screen (ui.run_link), or None."""
        return self.controller.link

    @property
    def run_state(self) -> str:
        """What the status line says of the run: a RunStatus value, or idle, connecting, loaded."""
        return str(self.controller.state)

    async def action_start(self) -> None:
        """Start training with the current settings (asking first whether to stop a run in progress)."""
        config, errors = self._validate()
        if errors:
            key, message = next(iter(errors.items()))
            self.notify(f"{message}" + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""),
                        title="fix the settings first", severity="error")
            self.action_show_tab(TAB_OF_SECTION[key.split("-")[0]])
            self.query_one(f"#{key}").focus()
            return
        resume = self._resume_state(config)
        if resume is False:
            return
        if self.training:
            from tui_dl.ui.screens.dialogs import ChoiceDialog

            async def answered(choice: str | None) -> None:
                if choice == "restart":
                    if self.training:
                        await self.controller.stop_and_wait()
                    self._start(config, resume)

            self.push_screen(ChoiceDialog(
                f"{self.link.name} is training (epoch {self.link.epoch} done). Stop it and start a new run "
                "with these settings?", [("y", "stop it and start anew", "restart"), ("n", "keep it training", "keep")],
                "keep"), answered)
            return
        self._start(config, resume)

    def _start(self, config: RunConfig, resume: dict | None) -> None:
        from tui_dl.ui.last_settings import save_last

        if (problem := save_last(config)) is not None:
            self.notify(problem, severity="warning")
        self.inspector = None
        self.controller.start(config, resume or None, self.loaded_path)
        self.action_show_tab("training")
        self.refresh_status()

    def _resume_state(self, config: RunConfig) -> dict | None | bool:
        """The loaded checkpoint to continue from, None for a fresh run, False if the user must act first."""
        if self.loaded is None:
            return None
        from tui_dl.engine.checkpoint import checkpoint_config

        saved = checkpoint_config(self.loaded)  # as read today: an older checkpoint's settings get their defaults
        same = saved.model == config.model and saved.data.dataset == config.data.dataset
        if not same:
            self.notify("the model or data set differs from the loaded checkpoint: starting a fresh run")
            self.loaded = None
            return None
        if config.train.epochs <= self.loaded["epoch"]:
            self.notify(f"the checkpoint is at epoch {self.loaded['epoch']}: raise epochs above it to continue",
                        title="nothing to train", severity="warning")
            self.action_show_tab("model")
            self.query_one(f"#{field_id('train', 'epochs')}").focus()
            return False
        return self.loaded

    def action_pause(self) -> None:
        """Pause or resume the run."""
        if not self.training:
            self.notify("nothing is training (F5 starts)")
            return
        self.controller.toggle_pause()

    def action_step(self) -> None:
        """While paused, train one batch; the charts and views show it."""
        if not self.training or not self.link.paused:
            self.notify("n trains one batch of a paused run: " +
                        ("pause it first (F6)" if self.training else "nothing is training (F5 starts)"))
            return
        try:
            self.controller.step()
        except UserError as exc:  # resumed or ended meanwhile
            self.notify(str(exc))

    def action_stop(self) -> None:
        """Stop the run at the next batch."""
        if not self.training:
            self.notify("nothing is training")
            return
        self.controller.stop()
        self.refresh_status()

    def action_change_lr(self) -> None:
        """Ask for a new learning rate; applied from the next batch (or set in the field when idle)."""
        from tui_dl.ui.screens.dialogs import LearningRateDialog

        config, _ = self._validate()
        current = self.link.lr if self.training else config.train.lr

        def apply(value: float | None) -> None:
            if value is None:
                return
            self.query_one(f"#{field_id('train', 'lr')}", Input).value = f"{value:g}"
            if self.training:
                self.controller.set_lr(value)
                train = self.link.config.train if self.link.config is not None else config.train
                scheduled = train.schedule != "constant" or train.warmup
                self.notify(f"base learning rate {value:g} from the next batch; the schedule goes on from it"
                            if scheduled else f"learning rate {value:g} from the next batch")

        self.push_screen(LearningRateDialog(current), apply)

    def _drain(self) -> None:
        """Apply the run's events to the screen (a few times a second)."""
        try:
            self.controller.drain()
        except NoMatches:  # the timer fired while the app tears its widgets down
            pass

    def link_changed(self) -> None:
        """The controller shows another run (started, or attached to)."""
        self.inspector = None
        self._update_probes()
        self.action_show_tab("training")
        self.refresh_status()

    def run_started(self, event: RunStarted, link) -> None:
        """A run on screen began training (or was attached to): its notices, and the Runs tab."""
        self.reload_runs_if_shown()
        self.loaded = None
        for notice in event.notices:
            self.notify(notice, title="data")

    def _tell_live_runs(self) -> None:
        """At start: name the newest run still training in the background, and how to watch it."""
        from tui_dl.detached import live_runs

        live = live_runs(self.runs_root)
        if live:
            others = f" (and {len(live) - 1} more)" if len(live) > 1 else ""
            self.notify(f"{live[0].name} is {live[0].live_status} in the background{others}: F10, then a or enter "
                        f"on it, watches it (or tui-dl attach {live[0].name})", title="live runs", timeout=15)

    def refresh_status(self) -> None:
        data = f"{self.raw.name}" if self.raw else "no data set"
        state = str(self.controller.state).replace("_", " ")
        link = self.link
        where = f"{link.name} (background)" if link is not None and link.detached and link.live else ""
        lr = self._lr_text() if self.training else ""
        self.query_one("#status", Static).update(
            "  |  ".join(p for p in (f"[b]{state}[/b]", where, self.device_name, data, self.architecture, lr) if p),
            layout=False)  # one fixed line: no relayout of the screen

    def _lr_text(self) -> str:
        """`lr 0.01`, or with a schedule the rate of the last epoch and its base (`lr 0.0031 of 0.01`)."""
        epochs = self.query_one(TrainingView).curves.epochs
        base = f"{self.link.lr:.3g}"
        now = f"{epochs[-1].lr:.3g}" if epochs else base
        return f"lr {now}" if now == base else f"lr {now} of {base}"

    # checkpoints ------------------------------------------------------------------------------

    def action_save(self) -> None:
        """Save the last finished epoch to a path chosen in a dialog (the run itself writes it)."""
        from tui_dl.ui.screens.checkpoints import SaveCheckpointDialog

        link = self.link
        if link is None or link.epoch == 0:
            self.notify("nothing to save yet: train first (F5) or load a checkpoint", severity="warning")
            return
        default = (link.folder or self.runs_root) / "checkpoint.pt"

        def save(path: Path | None) -> None:
            if path is not None:
                self._save_to(link, path)

        self.push_screen(SaveCheckpointDialog(default, link.epoch), save)

    def _save_to(self, link, path: Path) -> None:
        if link.live or isinstance(link, LocalRun):
            link.save(path)  # the outcome comes back as a note
            return
        import shutil

        from tui_dl.engine.runs import LAST

        try:  # the run's process has ended: its last.pt is the final epoch
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(link.folder / LAST, path)
        except OSError as exc:
            self.notify(f"cannot write {path}: {exc.strerror or exc}", title="not saved", severity="error")
            return
        self.notify(f"epoch {link.epoch} saved to {path}", title="checkpoint saved")

    def action_load(self) -> None:
        """Pick a checkpoint; restore its settings and curves; F5 then continues from it."""
        from tui_dl.ui.screens.checkpoints import LoadCheckpointDialog

        if self.training:
            self.notify("stop the run first (F7)", severity="warning")
            return
        def loaded(result: tuple[Path, dict] | None) -> None:
            if result is not None:
                self._apply_checkpoint(*result)

        self.push_screen(LoadCheckpointDialog(self.runs_root), loaded)

    def load_checkpoint_file(self, path: Path) -> None:
        """Load `path` into the app (settings, curves); report problems as notifications."""
        from tui_dl.engine.checkpoint import load_checkpoint

        try:
            state = load_checkpoint(path)
        except UserError as exc:
            self.notify(str(exc), title="not loaded", severity="error", timeout=15)
            return
        self._apply_checkpoint(path, state)

    def _apply_checkpoint(self, path: Path, state: dict) -> None:
        """Restore a loaded checkpoint's settings and curves; F5 then continues from it."""
        from tui_dl.engine.checkpoint import checkpoint_config

        config = checkpoint_config(state)  # load_checkpoint validated it
        self.loaded, self.loaded_path = state, path
        self.inspector = None
        self.controller.state = "loaded"
        self._apply_config(config)
        self.query_one(TrainingView).show_curves(
            Curves.from_checkpoint(state), f"loaded {path.name} at epoch {state['epoch']}: F5 continues (raise epochs to train more)")
        self.refresh_status()
        self.action_show_tab("training")
        self.notify(f"{state.get('dataset', '?')}, epoch {state['epoch']}", title="checkpoint loaded")

    # insight views and runs ---------------------------------------------------------------------

    @on(TabbedContent.TabActivated, "#tabs")
    def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        for bar in self.query(KeyBar):  # none yet when a tab is shown while the app composes
            bar.tab = event.pane.id
        if event.pane.id == "runs":
            self.query_one(RunsPanel).reload()
        self.call_after_refresh(self._update_probes)  # after layout: the boundary grid fits the view

    def reload_runs_if_shown(self) -> None:
        """The Runs tab rereads its folder when shown; while it is shown, when a run starts or ends."""
        if self.query_one("#tabs", TabbedContent).active == "runs":
            self.query_one(RunsPanel).reload()

    @on(InsightsPanel.ViewChanged)
    def _view_changed(self) -> None:
        self.call_after_refresh(self._update_probes)

    def _update_probes(self) -> None:
        """Ask for what the visible insight view needs: from the run training, else from an inspector."""
        panel = self.query_one(InsightsPanel)
        visible = self.query_one("#tabs", TabbedContent).active == "insights"
        wanted = panel.probes if visible else frozenset()
        size = panel.probe_size
        if visible and panel.view == "norms":
            panel.draw_norms(self.query_one(TrainingView).curves)
        if self.training:
            self.controller.want_insights(wanted, size)
            return
        if wanted:
            inspector = self.inspector or self._make_inspector()
            if inspector is not None:
                inspector.request(wanted, size)

    def _make_inspector(self):
        """An inspector of the model on screen: a finished run's, or a loaded checkpoint's."""
        from tui_dl.ui.inspector import Inspector

        deliver = partial(self.call_from_thread, self._show_inspected)
        complain = partial(self.call_from_thread, self._inspection_failed)
        link = self.link
        try:
            if self.loaded is not None:
                self.inspector = Inspector.of_checkpoint(self.loaded, deliver, complain)
            elif isinstance(link, LocalRun) and link.session.trainer.model is not None:
                self.inspector = Inspector(link.session.trainer, deliver, complain)
            elif isinstance(link, AttachedRun) and link.epoch > 0:
                from tui_dl.engine.checkpoint import load_checkpoint
                from tui_dl.engine.runs import LAST

                self.inspector = Inspector.of_checkpoint(load_checkpoint(link.folder / LAST), deliver, complain)
        except UserError as exc:
            self._inspection_failed(str(exc))
        return self.inspector

    def _show_inspected(self, epoch: int, insights: dict) -> None:
        self.query_one(InsightsPanel).show_insights(epoch, insights)

    def _inspection_failed(self, message: str) -> None:
        self.notify(message, title="insights unavailable", severity="warning")

    @on(RunsPanel.Fork)
    def _fork(self, event: RunsPanel.Fork) -> None:
        """Put a past run's settings into the builder."""
        from tui_dl.engine.config import load_toml
        from tui_dl.engine.runs import CONFIG

        try:
            config = load_toml(event.folder / CONFIG)
        except UserError as exc:
            self.notify(str(exc), title="not forked", severity="error")
            return
        self.loaded = None
        self._apply_config(config)
        self.action_show_tab("model")
        self.notify(f"settings of {event.folder.name}: change what you like, then F5 trains a new run",
                    title="forked")

    @on(RunsPanel.FolderChanged)
    def _runs_folder_changed(self, event: RunsPanel.FolderChanged) -> None:
        self.runs_root = self.controller.runs_root = event.folder

    @on(RunsPanel.Attach)
    def _attach(self, event: RunsPanel.Attach) -> None:
        if self.link is not None and self.link.folder == event.folder and self.training:
            self.action_show_tab("training")
            return
        if isinstance(self.link, LocalRun) and self.training:
            self.notify("a run of this UI is training: stop it first (F7)", severity="warning")
            return
        self.controller.attach(event.folder)

    @on(RunsPanel.Continue)
    def _continue(self, event: RunsPanel.Continue) -> None:
        if self.training:
            self.notify("stop the run first (F7)", severity="warning")
            return
        self.load_checkpoint_file(event.checkpoint)

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

    def action_export(self) -> None:
        """Export the model (on the Runs tab, the run under the cursor's): ONNX, a PyTorch script, the predict command."""
        from tui_dl.ui.model_source import export_source
        from tui_dl.ui.screens.export import ExportDialog

        if isinstance(self.screen, ExportDialog):
            return
        source = export_source(self, self.query_one("#tabs", TabbedContent).active == "runs")
        if isinstance(source, str):
            self.notify(source, title="nothing to export", severity="warning")
            return
        self.push_screen(ExportDialog(source), lambda done: done and self.notify(done, title="exported"))

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
        link = self.link
        if link is not None and link.detached and link.live:
            from tui_dl.ui.screens.dialogs import ChoiceDialog

            async def answered(choice: str | None) -> None:
                if choice == "stop":
                    await self.controller.stop_and_wait()
                if choice in ("leave", "stop"):
                    await self._quit_now()

            self.push_screen(ChoiceDialog(
                f"{link.name} is training in its own process. Quit and leave it training (come back with "
                f"`tui-dl attach {link.name}`, or F10 then a), or stop it first?",
                [("l", "leave it training", "leave"), ("s", "stop it", "stop"), ("c", "cancel", None)], "leave"),
                answered)
            return
        await self._quit_now()

    async def _quit_now(self) -> None:
        await asyncio.to_thread(self.leave, QUIT_REASON)
        self.exit(return_code=0)

    def leave(self, reason: str) -> None:
        """The UI goes away (from any thread: the quit key, or the exit guard on SIGHUP / SIGTERM / SIGINT).

        A run of this process is stopped with `reason` and returns once its last epoch is saved; a run in its
        own process goes on training.
        """
        report = self.controller.leave(reason)
        self.exit_report = report if report is not None or reason == QUIT_REASON else reason


def make_app(config: RunConfig | None = None, runs_root: Path | None = None, notices: list[str] = (),
             detach: bool = False, attach: Path | None = None) -> TuiDLApp:
    """The app as the CLI and the tests build it (`detach`: runs in their own processes, as `tui-dl` has it)."""
    return TuiDLApp(config, runs_root, notices, detach, attach)


def run_app(runs_root: Path | None = None, config: RunConfig | None = None, attach: Path | None = None,
            detach: bool = True) -> int:
    """The UI, with `config` or else the settings of the last run started in it; attached to `attach`."""
    from tui_dl.ui.exit_guard import ExitGuard
    from tui_dl.ui.last_settings import load_last

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
