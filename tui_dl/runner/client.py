"""A client of a run's control socket: its snapshot, its history from the run folder, its events, commands."""

from __future__ import annotations

import itertools
import socket
import threading
from collections import deque
from dataclasses import replace
from pathlib import Path

import numpy as np

from tui_dl.engine.errors import UserError
from tui_dl.engine.events import EpochMetrics, Event, RunSnapshot, RunStarted
from tui_dl.engine.runs.listing import read_metrics
from tui_dl.engine.runs.recorder import STEP_DTYPE, STEPS
from tui_dl.engine.runs.wire import WireError, decode, event_from_record
from tui_dl.i18n import _
from tui_dl.runner.protocol import (
    PROTOCOL,
    RECORDED,
    LineBuffer,
    ProtocolError,
    decode_line,
    encode_line,
    socket_path,
)

CONNECT_TIMEOUT_S = 5.0
REPLY_TIMEOUT_S = 30.0  # a save of a large model may take a while


class RunGone(UserError):
    """The run has no live process to talk to."""


class RunClient:
    """Connected to the run in `folder`. With `watch`, its events follow the snapshot (see `read_events`)."""

    def __init__(self, folder: Path, watch: bool = True):
        self.folder = Path(folder)
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(CONNECT_TIMEOUT_S)
        try:
            self._sock.connect(str(socket_path(self.folder)))
        except (FileNotFoundError, ConnectionRefusedError):
            self._sock.close()
            raise RunGone(_("{name} is not running (it has no live process)").format(name=self.folder.name)) from None
        except (PermissionError, OSError) as exc:
            self._sock.close()
            raise RunGone(_("cannot reach {name}: {reason}").format(
                              name=self.folder.name, reason=exc.strerror or exc)) from None
        self._lines = LineBuffer()
        self._pending: deque[bytes] = deque()
        self._ids = itertools.count(1)
        self._send_lock = threading.Lock()
        self._replies: dict[int, dict] = {}
        self._reply_ready = threading.Condition()
        self.events: deque[tuple[int, Event]] = deque()  # filled by the reader thread
        self.closed = threading.Event()
        self._send({"hello": PROTOCOL, "watch": watch})
        welcome = self._next_message()
        if "welcome" not in welcome:
            self.close()
            raise RunGone(_("{name} did not answer as a tui-dl run: {answer}").format(
                              name=self.folder.name, answer=welcome.get('error', welcome)))
        self.session: str = welcome["session"]
        self.snapshot: RunSnapshot = decode(welcome["snapshot"])
        self._reader: threading.Thread | None = None

    # plain request / reply (the CLI) --------------------------------------------------------------

    def _send(self, message: dict) -> None:
        with self._send_lock:
            try:
                self._sock.sendall(encode_line(message))
            except OSError as exc:
                raise RunGone(_("{name} closed the connection: {reason}").format(
                                  name=self.folder.name, reason=exc.strerror or exc)) from None

    def _next_message(self) -> dict:
        while not self._pending:
            try:
                chunk = self._sock.recv(65536)
            except TimeoutError:
                raise RunGone(_("{name} does not answer").format(name=self.folder.name)) from None
            except OSError as exc:
                raise RunGone(_("{name} closed the connection: {reason}").format(
                                  name=self.folder.name, reason=exc.strerror or exc)) from None
            if not chunk:
                raise RunGone(_("{name} has ended").format(name=self.folder.name))
            self._pending.extend(self._lines.feed(chunk))
        return decode_line(self._pending.popleft())

    def command(self, name: str, **args) -> dict:
        """Send a command and wait for its reply (UserError with the run's message when it is refused)."""
        request = next(self._ids)
        self._send({"cmd": name, "id": request, **args})
        reply = self._wait_reply(request)
        if not reply.get("ok"):
            raise UserError(reply.get("error", f"{name} refused"))
        return reply

    def _wait_reply(self, request: int) -> dict:
        if self._reader is None:  # no reader thread: read here, skipping events
            self._sock.settimeout(REPLY_TIMEOUT_S)
            while True:
                message = self._next_message()
                if message.get("reply") == request:
                    return message
        with self._reply_ready:
            if not self._reply_ready.wait_for(lambda: request in self._replies or self.closed.is_set(),
                                              REPLY_TIMEOUT_S):
                raise RunGone(_("{name} does not answer").format(name=self.folder.name))
            if request not in self._replies:
                raise RunGone(_("{name} has ended").format(name=self.folder.name))
            return self._replies.pop(request)

    def send(self, name: str, **args) -> int:
        """Send a command without waiting; its reply arrives in `replies` (for the UI)."""
        request = next(self._ids)
        self._send({"cmd": name, "id": request, **args})
        return request

    # events (the UI) --------------------------------------------------------------------------------

    def start_reading(self) -> None:
        """Read events into `events` (and replies) on a thread until the run ends or `close()`."""
        self._sock.settimeout(None)
        self._reader = threading.Thread(target=self._read_loop, name="tui-dl run client", daemon=True)
        self._reader.start()

    def _read_loop(self) -> None:
        try:
            while True:
                message = self._next_message()
                if "event" in message:
                    recorded = message.pop(RECORDED, None)
                    seq, event = event_from_record(message)
                    if isinstance(event, RunStarted) and recorded is not None:
                        event = _with_history(self.folder, event, *recorded)
                    self.events.append((seq, event))
                elif "reply" in message:
                    with self._reply_ready:
                        self._replies[message["reply"]] = message
                        self._reply_ready.notify_all()
        except (RunGone, ProtocolError, WireError, OSError):
            pass
        finally:
            self.closed.set()
            with self._reply_ready:
                self._reply_ready.notify_all()

    def take_reply(self, request: int) -> dict | None:
        """The reply to `request` if it has arrived (for the UI's non-blocking sends)."""
        with self._reply_ready:
            return self._replies.pop(request, None)

    def close(self) -> None:
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        self.closed.set()


def history(folder: Path, snapshot: RunSnapshot) -> RunStarted | None:
    """The run's start with its whole history so far, read from its folder up to `snapshot` (no later point)."""
    if snapshot.started is None:
        return None
    return _with_history(folder, snapshot.started, snapshot.epochs_recorded, snapshot.steps_recorded)


def _with_history(folder: Path, started: RunStarted, epochs: int, steps: int) -> RunStarted:
    """`started` with the first `epochs` epochs and `steps` step losses of the run's files."""
    records = [EpochMetrics.from_dict(r) for r in read_metrics(Path(folder))[:int(epochs)]]
    try:
        losses = np.fromfile(Path(folder) / STEPS, dtype=STEP_DTYPE, count=int(steps)).astype(np.float32)
    except (FileNotFoundError, ValueError):
        losses = np.zeros(0, np.float32)
    return replace(started, history=records, step_losses=losses)
