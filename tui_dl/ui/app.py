"""The tui-dl Textual app: settings tabs, a background trainer, live charts, checkpoints, themes."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections import deque
from functools import partial
from pathlib import Path

from textual import on, work
from textual.app import App, ComposeResult
from textual.css.query import NoMatches
from textual.notifications import Notify
from textual.widgets import Input, Select, Static, TabbedContent, TabPane
from textual.widgets.select import InvalidSelectValueError
from textual.worker import Worker, WorkerState

from tui_dl.engine.config import RunConfig
from tui_dl.engine.duration import format_duration
from tui_dl.engine.metric_text import format_test
from tui_dl.engine.errors import UserError
from tui_dl.engine.events import (
    EpochEnded,
    Event,
    InsightsReady,
    LrChanged,
    RunFinished,
    RunStarted,
    StateChanged,
    StepMetrics,
)
from tui_dl.engine.rawdata import RawData
from tui_dl.paths import runs_dir
from tui_dl.ui.commands import ActionCommands
from tui_dl.ui.form import SECTIONS, field_id, format_value, read_config
from tui_dl.ui.keys import bindings
from tui_dl.ui.themes import load_themes
from tui_dl.ui.widgets.charts import Curves
from tui_dl.ui.widgets.dataset_panel import DatasetPanel
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
    "train-lr": "learning rate", "train-momentum": "momentum", "train-weight_decay": "weight decay",
    "train-batch_size": "batch size", "train-epochs": "epochs", "train-early_stop": "early stop",
    "train-seed": "seed", "data-samples": "samples", "data-noise": "noise", "data-window": "window",
    "data-val_split": "validation split", "data-test_split": "test split", "data-seed": "data seed",
}
TOAST_REPAINT_S = 0.3  # after a toast's timeout, when the screen is repainted
QUIT_REASON = "stopped by quitting the UI"
SAVE_WAIT_S = 120.0  # how long leaving waits for a run to stop and write its last checkpoint
TAB_OF_SECTION = {"data": "data", "model": "model", "train": "model"}
# Where the keyboard goes when a tab is shown (default: its first field).
TAB_FOCUS = {"training": "#training-view", "insights": "#insight-tabs Tabs", "runs": "#runs-table"}


class TrainingSession:
    """A trainer, the recorder of its run folder, and the events the UI has not drawn yet (thread-safe deque)."""

    def __init__(self, config: RunConfig, resume: dict | None, runs_root: Path, resumed_from: str = ""):
        from tui_dl.engine.runs import RunRecorder
        from tui_dl.engine.trainer import Trainer

        self.trainer = Trainer(config, resume=resume)
        self.recorder = RunRecorder(self.trainer, runs_root, resumed_from=resumed_from)
        self.events: deque[Event] = deque()
        self.trainer.subscribe(self.events.append)
        self.started, self.done = threading.Event(), threading.Event()

    def run(self):
        """Train on the calling (worker) thread; `done` is set once the run has ended and its record is written."""
        self.started.set()
        try:
            return self.trainer.run()
        finally:
            self.done.set()

    def stop_and_wait(self, timeout: float) -> bool:
        """Stop the run and wait until it has ended (True), or `timeout` passed (False); from any thread."""
        self.trainer.stop()
        return not self.started.is_set() or self.done.wait(timeout)

    def drain(self) -> list[Event]:
        drained = []
        while self.events:
            drained.append(self.events.popleft())
        return drained


class TuiDLApp(App[None]):
    """Build, train and watch a neural network from the keyboard."""

    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute, so subclasses elsewhere find it
    TITLE = "tui-dl"
    COMMANDS = App.COMMANDS | {ActionCommands}
    BINDINGS = bindings()

    def __init__(self, config: RunConfig | None = None, runs_root: Path | None = None, notices: list[str] = ()):
        super().__init__()
        self.initial = config or RunConfig()
        self.runs_root = runs_root or runs_dir()
        self.session: TrainingSession | None = None
        self.worker: Worker | None = None
        self.raw: RawData | None = None
        self.loaded: dict | None = None
        self.loaded_path: Path | None = None
        self.run_state = "idle"
        self.device_name = "detecting device..."
        self.exit_report: str | None = None
        self.architecture = ""
        self.system_monitor = None
        self.ui_loop: asyncio.AbstractEventLoop | None = None
        self.startup_notices = list(notices)  # said once the screen is up
        self.inspector = None  # a trainer built from a loaded checkpoint, for the insight views
        self.inspect_lock = threading.Lock()
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
        self._show_status()
        self.query_one("#dataset-list").focus()
        self.query_one("#tabs > Tabs").can_focus = False  # F2-F10 switch tabs; a focused bar would take the arrows
        self.ui_loop = asyncio.get_running_loop()

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
        if self.raw is not None and model_ok:
            from tui_dl.engine.memory import estimate

            memory = estimate(config, self.raw.features, self.raw.outputs, self.raw.samples,
                              self.raw.task == "regression").total
        self.query_one(SettingsPanel).show_architecture(
            self.raw.features if self.raw else None, self.raw.outputs if self.raw else None,
            config.model if model_ok else None, memory)
        self.architecture = config.model.summary(self.raw.features, self.raw.outputs) \
            if self.raw and model_ok else ""
        return config, errors

    @on(Input.Changed)
    @on(Select.Changed)
    def _field_changed(self) -> None:
        self._validate()
        self._show_status()

    @on(DatasetPanel.Loaded)
    def _data_loaded(self, event: DatasetPanel.Loaded) -> None:
        self.raw = event.raw
        if event.raw is not None:
            self.query_one(InsightsPanel).set_data(event.raw.task, event.raw.features)
        self._validate()
        self._show_status()

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
        if config.data.target is None:
            self.query_one(f"#{field_id('data', 'target')}", Input).value = ""
        self.query_one(DatasetPanel).choose(config.data.dataset)

    @work(thread=True, exclusive=True, group="devices")
    def _detect_devices(self) -> None:
        from tui_dl.engine.device import available_devices, describe_device, resolve_device
        from tui_dl.engine.system import SystemMonitor

        names = available_devices()
        described = describe_device(resolve_device("auto"))
        monitor = SystemMonitor()
        monitor.sample()  # the first sample imports NVML: off the UI thread
        self.call_from_thread(self._devices_found, names, described, monitor)

    def _devices_found(self, names: list[str], described: str, monitor) -> None:
        self.query_one(SettingsPanel).set_devices(names)
        self.device_name = described
        self.system_monitor = monitor
        self._show_status()

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
        return self.worker is not None and self.worker.state in (WorkerState.PENDING, WorkerState.RUNNING)

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
                        await self._stop_and_wait()
                    self._start(config, resume)

            epoch = self.session.trainer.epoch
            self.push_screen(ChoiceDialog(
                f"A run is training (epoch {epoch} done). Stop it and start a new one with these settings?",
                [("y", "stop it and start anew", "restart"), ("n", "keep it training", "keep")], "keep"), answered)
            return
        self._start(config, resume)

    def _start(self, config: RunConfig, resume: dict | None) -> None:
        from tui_dl.ui.last_settings import save_last

        if (problem := save_last(config)) is not None:
            self.notify(problem, severity="warning")
        self.session = TrainingSession(config, resume or None, self.runs_root,
                                       str(self.loaded_path) if resume else "")
        self.inspector = None
        self.run_state = "starting"
        self.worker = self.run_worker(self.session.run, name="train", group="train", thread=True,
                                      exclusive=True, exit_on_error=False)
        self._update_probes()
        self.action_show_tab("training")
        self._show_status()

    def _resume_state(self, config: RunConfig) -> dict | None | bool:
        """The loaded checkpoint to continue from, None for a fresh run, False if the user must act first."""
        if self.loaded is None:
            return None
        saved = self.loaded["config"]
        same = saved["model"] == config.to_dict()["model"] and saved["data"]["dataset"] == config.data.dataset
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

    async def _stop_and_wait(self) -> None:
        if self.session is not None:
            self.session.trainer.stop()
        if self.worker is not None:
            await self.worker.wait()
        self._drain()

    def action_pause(self) -> None:
        """Pause or resume the run."""
        if not self.training:
            self.notify("nothing is training (F5 starts)")
            return
        trainer = self.session.trainer
        trainer.resume() if trainer.paused else trainer.pause()

    def action_stop(self) -> None:
        """Stop the run at the next batch."""
        if not self.training:
            self.notify("nothing is training")
            return
        self.session.trainer.stop()
        self.run_state = "stopping"
        self._show_status()

    def action_change_lr(self) -> None:
        """Ask for a new learning rate; applied from the next batch (or set in the field when idle)."""
        from tui_dl.ui.screens.dialogs import LearningRateDialog

        config, _ = self._validate()
        current = self.session.trainer.config.train.lr if self.training else config.train.lr

        def apply(value: float | None) -> None:
            if value is None:
                return
            self.query_one(f"#{field_id('train', 'lr')}", Input).value = f"{value:g}"
            if self.training:
                self.session.trainer.set_lr(value)
                self.notify(f"learning rate {value:g} from the next batch")

        self.push_screen(LearningRateDialog(current), apply)

    def _drain(self) -> None:
        """Apply the trainer's events to the screen (a few times a second)."""
        if self.session is None:
            return
        try:
            self._apply_events(self.session.drain())
        except NoMatches:  # the timer fired while the app tears its widgets down
            pass

    def _apply_events(self, events: list[Event]) -> None:
        view = self.query_one(TrainingView)
        finished = False
        if not events:
            if self.training and self.run_state == "running":
                view.show_progress(self.run_state)
                view.redraw_if_due()
            return
        for event in events:
            if isinstance(event, RunStarted):
                curves = Curves.from_checkpoint(self.session.trainer.checkpoint_state()) if event.start_epoch else None
                view.begin(event.task, event.steps_per_epoch, event.start_epoch, event.config.train.epochs, curves)
                self.run_state = "running"
                self._reload_runs_if_shown()
                self.loaded = None
                for notice in self.session.trainer.notices:
                    self.notify(notice, title="data")
            elif isinstance(event, StepMetrics):
                view.add_steps(event.first_step, event.losses)
            elif isinstance(event, EpochEnded):
                view.add_epoch(event.metrics, event.best_epoch)
            elif isinstance(event, StateChanged):
                self.run_state = event.state
                view.paused(event.state == "paused")
            elif isinstance(event, LrChanged):
                self.query_one(f"#{field_id('train', 'lr')}", Input).value = f"{event.lr:g}"
            elif isinstance(event, InsightsReady):
                self.query_one(InsightsPanel).show_insights(event.epoch, event.insights, event.error)
            elif isinstance(event, RunFinished):
                self._finished(event)
                view.finish(self.run_state.replace("_", " "), event.seconds, event.message, event.test)
                finished = True
        if not finished:
            view.show_progress(self.run_state)
        if finished:
            view.redraw()  # the final curves, at once
        else:
            view.redraw_if_due()
        active = self.query_one("#tabs", TabbedContent).active
        if active in ("insights", "runs") and any(isinstance(e, EpochEnded) for e in events):
            if active == "insights":
                self.query_one(InsightsPanel).draw_norms(view.curves)
            else:
                self.query_one(RunsPanel).reload_if_due()  # the running run's curve grows in the overlay
        self._show_status()

    def _finished(self, event: RunFinished) -> None:
        self.run_state = event.status
        self._reload_runs_if_shown()
        for problem in self.session.recorder.errors:
            self.notify(problem, title="run record incomplete", severity="warning", timeout=15)
        if event.status in ("failed", "diverged"):
            self.notify(event.message, title=f"run {event.status}", severity="error", timeout=15)
        else:
            best = f"{event.best_val_loss:.4f}" if event.best_val_loss is not None else "-"
            test = f" {format_test(event.test)}." if event.test else ""
            self.notify(f"{event.epochs_done} epochs in {format_duration(event.seconds)}; best loss {best} at epoch "
                        f"{event.best_epoch}.{test} ctrl+s saves.", title=f"run {event.status.replace('_', ' ')}")

    def _show_status(self) -> None:
        data = f"{self.raw.name}" if self.raw else "no data set"
        state = self.run_state.replace("_", " ")
        lr = f"lr {self.session.trainer.config.train.lr:g}" if self.training else ""
        self.query_one("#status", Static).update(
            "  |  ".join(p for p in (f"[b]{state}[/b]", self.device_name, data, self.architecture, lr) if p),
            layout=False)  # one fixed line: no relayout of the screen

    # checkpoints ------------------------------------------------------------------------------

    def action_save(self) -> None:
        """Save the last finished epoch to a path chosen in a dialog."""
        from tui_dl.ui.screens.checkpoints import SaveCheckpointDialog

        if self.session is None or self.session.trainer.model is None:
            self.notify("nothing to save yet: train first (F5) or load a checkpoint", severity="warning")
            return
        state = self.session.trainer.checkpoint_state()
        default = (self.session.recorder.folder or self.runs_root) / "checkpoint.pt"

        def save(path: Path | None) -> None:
            if path is None:
                return
            from tui_dl.engine.checkpoint import save_checkpoint

            try:
                written = save_checkpoint(state, path)
            except UserError as exc:
                self.notify(str(exc), title="not saved", severity="error")
                return
            self.notify(f"epoch {state['epoch']} saved to {written}", title="checkpoint saved")

        self.push_screen(SaveCheckpointDialog(default, state["epoch"]), save)

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
        self.session, self.inspector = None, None
        self._apply_config(config)
        self.query_one(TrainingView).show_curves(
            Curves.from_checkpoint(state), f"loaded {path.name} at epoch {state['epoch']}: F5 continues (raise epochs to train more)")
        self.run_state = "loaded"
        self._show_status()
        self.action_show_tab("training")
        self.notify(f"{state.get('dataset', '?')}, epoch {state['epoch']}", title="checkpoint loaded")

    # insight views and runs ---------------------------------------------------------------------

    @on(TabbedContent.TabActivated, "#tabs")
    def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        self.query_one(KeyBar).tab = event.pane.id
        if event.pane.id == "runs":
            self.query_one(RunsPanel).reload()
        self.call_after_refresh(self._update_probes)  # after layout: the boundary grid fits the view

    def _reload_runs_if_shown(self) -> None:
        """The Runs tab rereads its folder when shown; while it is shown, when a run starts or ends."""
        if self.query_one("#tabs", TabbedContent).active == "runs":
            self.query_one(RunsPanel).reload()

    @on(InsightsPanel.ViewChanged)
    def _view_changed(self) -> None:
        self.call_after_refresh(self._update_probes)

    def _update_probes(self) -> None:
        """Ask the trainer for what the visible insight view needs (nothing when it is hidden)."""
        panel = self.query_one(InsightsPanel)
        visible = self.query_one("#tabs", TabbedContent).active == "insights"
        wanted = panel.probes if visible else frozenset()
        if visible and panel.view == "norms":
            panel.draw_norms(self.query_one(TrainingView).curves)
        if self.session is not None:
            self.session.trainer.probe_size = panel.probe_size
            self.session.trainer.probes = wanted
        if wanted and not self.training:
            trainer = self.session.trainer if self.session is not None and self.session.trainer.model else None
            if trainer is None and self.inspector is None and self.loaded is not None:
                from tui_dl.engine.checkpoint import checkpoint_config
                from tui_dl.engine.trainer import Trainer

                self.inspector = Trainer(checkpoint_config(self.loaded), resume=self.loaded)  # set up by _inspect
            if trainer or self.inspector:
                self._inspect(trainer or self.inspector, wanted, panel.probe_size)

    @work(thread=True, exclusive=True, group="inspect", exit_on_error=False)
    def _inspect(self, trainer, kinds: frozenset[str], size: tuple[int, int]) -> None:
        """Insights of an idle trainer's model; a loaded checkpoint's trainer is set up here on first use.

        Runs on a worker thread and hands results to the UI thread. Showing the tab and the boundary view's
        resize can ask twice at once: the lock makes the second wait for the first's setup, not repeat it.
        """
        try:
            with self.inspect_lock:
                if trainer.model is None:
                    trainer.setup()
                trainer.probe_size = size
                insights = trainer.insights(kinds)
        except Exception as exc:  # noqa: BLE001 - a view that cannot be drawn is reported, not raised
            message = str(exc) if isinstance(exc, UserError) else f"{type(exc).__name__}: {exc}"
            self.call_from_thread(self.notify, message, title="insights unavailable", severity="warning")
            return
        self.call_from_thread(self._show_inspected, trainer.epoch, insights)

    def _show_inspected(self, epoch: int, insights: dict) -> None:
        self.query_one(InsightsPanel).show_insights(epoch, insights)

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
        """Quit, stopping a run cleanly first and keeping its last finished epoch."""
        await asyncio.to_thread(self.leave, QUIT_REASON)
        self.exit(return_code=0)

    def leave(self, reason: str) -> None:
        """Stop the run in progress and record `reason` in it; returns once its last epoch is saved.

        Called from any thread: on the quit key, and by the exit guard on SIGHUP / SIGTERM / SIGINT.
        """
        session = self.session
        if session is None or session.done.is_set() or not session.stop_and_wait(SAVE_WAIT_S):
            self.exit_report = None if reason == QUIT_REASON else reason
            return
        from tui_dl.engine.runs import LAST

        recorder = session.recorder  # it wrote last.pt when the run stopped
        recorder.mark_interrupted(reason)
        if session.trainer.epoch == 0:
            self.exit_report = f"{reason}: the run had no finished epoch to save"
            return
        path = recorder.folder / LAST if recorder.folder is not None else None
        if path is not None and path.is_file():
            self.exit_report = f"{reason}: epoch {session.trainer.epoch} of the run saved to {path}"
        else:
            self.exit_report = f"{reason}: could not save the run: {'; '.join(recorder.errors) or 'unknown'}"


def make_app(config: RunConfig | None = None, runs_root: Path | None = None, notices: list[str] = ()) -> TuiDLApp:
    """The app as the CLI and the tests build it."""
    return TuiDLApp(config, runs_root, notices)


def run_app(runs_root: Path | None = None, config: RunConfig | None = None) -> int:
    """The UI, with `config` or else the settings of the last run started in it."""
    from tui_dl.ui.exit_guard import ExitGuard
    from tui_dl.ui.last_settings import load_last

    problem = None
    if config is None:
        config, problem = load_last()
    app = make_app(config, runs_root, notices=[problem] if problem else [])
    guard = ExitGuard(app).install()
    try:
        app.run()
    finally:
        guard.close()
    if app.exit_report:
        print(app.exit_report, file=sys.stderr)
    return app.return_code or 0
