"""What stands between the app and a run: the run's events for the screen, and the verbs the keys use.

`AttachedRun` talks to a run in its own process over its control socket (F5 starts runs so; `tui-dl attach`
and the Runs tab attach to them); `LocalRun` trains in this process (`tui-dl ui --in-process`, and tests).
Widgets never touch a trainer: they get events and notes from `drain()`.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from tui_dl.engine.errors import UserError
from tui_dl.engine.events import (
    EpochEnded,
    Event,
    LrChanged,
    RunFinished,
    RunStarted,
    RunStatus,
    StateChanged,
)
from tui_dl.i18n import _


@dataclass
class LinkNote:
    """Something to tell the user that is not a run event (a save's outcome, a lost connection)."""

    message: str
    title: str = ""
    severity: str = "information"


class RunLink:
    """A run as the app sees it; the state below follows the events `drain()` has returned."""

    detached = False
    joined = False  # a run this UI attached to, not one it started

    def __init__(self):
        self.status = RunStatus.STARTING
        self.epoch = 0
        self.lr = 0.0  # the base learning rate (a schedule scales it)
        self.config = None  # the run's RunConfig, once it has started
        self.folder: Path | None = None
        self.session_id = ""  # who this UI is to the run ("" for a run in this process)
        self.record_errors: list[str] = []
        self._notes: deque[LinkNote] = deque()

    @property
    def name(self) -> str:
        return self.folder.name if self.folder else _("the run")

    @property
    def live(self) -> bool:
        return self.status.live

    @property
    def paused(self) -> bool:
        return self.status == RunStatus.PAUSED

    def drain(self) -> list[Event | LinkNote]:
        items: list[Event | LinkNote] = list(self._take_events())
        for event in items:
            self._follow(event)
        while self._notes:
            items.append(self._notes.popleft())
        return items

    def _follow(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.status, self.epoch, self.lr = RunStatus.RUNNING, event.start_epoch, event.config.train.lr
            self.config = event.config
        elif isinstance(event, EpochEnded):
            self.epoch = event.metrics.epoch
        elif isinstance(event, StateChanged):
            self.status = RunStatus(event.state)
        elif isinstance(event, LrChanged):
            self.lr = event.lr
        elif isinstance(event, RunFinished):
            self.status = RunStatus(event.status)
            self.record_errors = list(event.problems)

    def note(self, message: str, title: str = "", severity: str = "information") -> None:
        """Queue a note for the next `drain()` (from any thread)."""
        self._notes.append(LinkNote(message, title, severity))

    # what each kind of link implements -----------------------------------------------------------------

    def _take_events(self) -> list[Event]:
        raise NotImplementedError

    def pause(self) -> None:
        raise NotImplementedError

    def resume(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def step(self) -> None:
        """While paused, train one batch (UserError when the run is not paused)."""
        raise NotImplementedError

    def set_lr(self, lr: float) -> None:
        raise NotImplementedError

    def want_insights(self, kinds: frozenset[str], size: tuple[int, int]) -> None:
        raise NotImplementedError

    def save(self, path: Path) -> None:
        """Write the last finished epoch to `path`; the outcome comes back as a note."""
        raise NotImplementedError

    def leave(self, reason: str, timeout: float) -> str | None:
        """The UI goes away: what to tell the user (None: nothing); a local run is stopped and saved first."""
        raise NotImplementedError


class LocalRun(RunLink):
    """A RunSession training on a thread of this process; it ends with the UI."""

    def __init__(self, config, runs_root: Path, resume: dict | None = None, resumed_from: str = ""):
        from tui_dl.engine.runs.session import RunSession

        super().__init__()
        self.session = RunSession(config, runs_root, resume=resume, resumed_from=resumed_from)
        self.lr = config.train.lr
        self._events: deque[Event] = deque()
        self.session.subscribe(lambda _seq, event: self._events.append(event))
        self.done = threading.Event()
        self._thread = threading.Thread(target=self._train, name="tui-dl training", daemon=True)
        self._thread.start()

    def _train(self) -> None:
        try:
            self.session.run()
        finally:
            self.done.set()

    def _take_events(self) -> list[Event]:
        taken = []
        while self._events:
            taken.append(self._events.popleft())
        if any(isinstance(e, RunStarted) for e in taken):
            self.folder = self.session.recorder.folder
        return taken

    def pause(self) -> None:
        self.session.pause()

    def resume(self) -> None:
        self.session.resume()

    def stop(self) -> None:
        self.session.stop()

    def step(self) -> None:
        self.session.step()

    def set_lr(self, lr: float) -> None:
        self.session.set_lr(lr)

    def want_insights(self, kinds: frozenset[str], size: tuple[int, int]) -> None:
        self.session.want_insights(kinds, size)

    def save(self, path: Path) -> None:
        def write() -> None:
            try:
                written, epoch = self.session.save(path)
            except UserError as exc:
                self.note(str(exc), _("not saved"), "error")
                return
            self.note(_("epoch {epoch} saved to {path}").format(epoch=epoch, path=written), _("checkpoint saved"))

        threading.Thread(target=write, name="tui-dl save", daemon=True).start()

    def leave(self, reason: str, timeout: float) -> str | None:
        if self.done.is_set():
            return None
        self.session.interrupt(reason)
        if not self.done.wait(timeout):
            return _("{reason}: the run did not stop within {seconds}s").format(reason=reason, seconds=f"{timeout:g}")
        from tui_dl.engine.runs.recorder import LAST

        trainer, recorder = self.session.trainer, self.session.recorder
        if trainer.epoch == 0:
            return _("{reason}: the run had no finished epoch to save").format(reason=reason)
        path = recorder.folder / LAST if recorder.folder is not None else None
        if path is not None and path.is_file():
            return _("{reason}: epoch {epoch} of the run saved to {path}").format(reason=reason, epoch=trainer.epoch,
                                                                                   path=path)
        return _("{reason}: could not save the run: {errors}").format(
            reason=reason, errors="; ".join(recorder.errors) or _("unknown"))


class AttachedRun(RunLink):
    """A run in its own process, watched through its control socket; it goes on when the UI goes."""

    detached = True

    def __init__(self, client, process=None):
        """`client`: a RunClient whose events have not been read yet; `process`: the Popen when we launched it."""
        from tui_dl.runner.client import history

        super().__init__()
        self.client, self.process = client, process
        self.folder = client.folder
        self.session_id = client.session
        snapshot = client.snapshot
        self.lr = snapshot.lr
        started = history(client.folder, snapshot)  # the run so far, from its files, up to the snapshot
        self._first: list[Event] = [started] if started is not None else []
        if started is not None and snapshot.status != RunStatus.RUNNING:
            self._first.append(StateChanged(snapshot.status))
        if snapshot.finished is not None:
            self._first.append(snapshot.finished)
        self._saves: dict[int, Path] = {}
        self._finished = snapshot.finished is not None
        client.start_reading()

    @property
    def joined(self) -> bool:
        return self.process is None  # not launched by this UI: attached to

    def _take_events(self) -> list[Event]:
        taken, self._first = self._first, []
        events = self.client.events
        while events:
            taken.append(events.popleft()[1])
        self._finished = self._finished or any(isinstance(e, RunFinished) for e in taken)
        if self.client.closed.is_set() and not events and not self._finished:
            self._finished = True  # the process went away without saying how the run ended
            taken.append(RunFinished(RunStatus.CRASHED, _(
                "{name}'s process ended without finishing the run (killed?); its last checkpoint is in its folder"
            ).format(name=self.name), self.epoch, 0, None, 0.0))
        self._collect_saves()
        if self.process is not None:
            self.process.poll()  # reap it once it has ended
        return taken

    def _collect_saves(self) -> None:
        for request, path in list(self._saves.items()):
            reply = self.client.take_reply(request)
            if reply is None:
                continue
            del self._saves[request]
            if reply.get("ok"):
                self.note(_("epoch {epoch} saved to {path}").format(epoch=reply["epoch"], path=reply["path"]),
                          _("checkpoint saved"))
            else:
                self.note(reply.get("error") or _("{path} not saved").format(path=path), _("not saved"), "error")

    def _send(self, name: str, **args) -> int | None:
        from tui_dl.runner.client import RunGone

        try:
            return self.client.send(name, **args)
        except RunGone as exc:
            self.note(str(exc), _("run not reachable"), "warning")
            return None

    def pause(self) -> None:
        self._send("pause")

    def resume(self) -> None:
        self._send("resume")

    def stop(self) -> None:
        self._send("stop")

    def step(self) -> None:
        self._send("step")  # a run resumed meanwhile refuses it; the key is only offered while paused

    def set_lr(self, lr: float) -> None:
        from tui_dl.engine.config import learning_rate_problem

        if (problem := learning_rate_problem(lr)) is not None:
            raise UserError(problem)
        self._send("set_lr", lr=lr)

    def want_insights(self, kinds: frozenset[str], size: tuple[int, int]) -> None:
        if not self._finished:
            self._send("insights", kinds=sorted(kinds), size=list(size))

    def save(self, path: Path) -> None:
        request = self._send("save", path=str(path))
        if request is not None:
            self._saves[request] = path

    def leave(self, reason: str, timeout: float) -> str | None:
        live = self.live and not self.client.closed.is_set()
        self.client.close()
        if live:
            return _("{name} keeps training in the background: tui-dl attach {name}").format(name=self.name)
        return None
