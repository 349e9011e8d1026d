"""A run's control server: watchers get its events, and commands reach its session, over a Unix socket.

One I/O thread serves every client with non-blocking sockets. The training thread only appends each event to
a queue and wakes the I/O thread, so training never waits for a client: a client that falls MAX_BACKLOG
behind, sends a line over MAX_LINE bytes, keeps sending garbage, or is another user, is dropped.
"""

from __future__ import annotations

import itertools
import os
import selectors
import socket
import threading
import time
from collections import deque
from dataclasses import replace
from pathlib import Path

import numpy as np

from tui_dl.engine.errors import UserError
from tui_dl.engine.events import Event, RunStarted
from tui_dl.engine.runs.wire import encode, event_record
from tui_dl.runner.protocol import (
    COMMANDS,
    PROTOCOL,
    RECORDED,
    LineBuffer,
    ProtocolError,
    decode_line,
    encode_line,
    peer_uid,
)

MAX_BACKLOG = 32 << 20  # bytes a client may fall behind before it is dropped
MAX_BAD_LINES = 20  # garbage lines a client may send before it is dropped
FLUSH_S = 2.0  # how long closing waits for clients to take the last events


class _Client:
    def __init__(self, sock: socket.socket, name: str):
        self.sock, self.name = sock, name
        self.lines = LineBuffer()
        self.out = bytearray()
        self.welcomed = False
        self.watch = False
        self.from_seq = 0  # events before this one are in the files the client read
        self.insights: frozenset[str] = frozenset()
        self.bad = 0


class ControlServer:
    """Serves `session` on `path` (0600, only this user's processes may connect)."""

    def __init__(self, session, path: Path):
        self.session, self.path = session, Path(path)
        self._events: deque[tuple[int, Event]] = deque()
        self._clients: dict[int, _Client] = {}
        self._names = (f"s{n}" for n in itertools.count(1))
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._closing = threading.Event()
        self._greeted = threading.Event()  # a client has said hello
        self._listening = self._listen()
        self._selector.register(self._listening, selectors.EVENT_READ, "accept")
        self._selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        self._thread = threading.Thread(target=self._serve, name="tui-dl control server", daemon=True)
        self.size = (80, 40)

    def _listen(self) -> socket.socket:
        if self.path.exists() or self.path.is_symlink():
            self.path.unlink()  # a stale socket of a dead process: only the lock holder gets here
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)
        try:
            sock.bind(str(self.path))
        finally:
            os.umask(old)
        os.chmod(self.path, 0o600)
        sock.listen(16)
        sock.setblocking(False)
        return sock

    def start(self) -> ControlServer:
        self.session.subscribe(self._on_event)
        self._thread.start()
        return self

    def wait_for_client(self, timeout: float) -> bool:
        """Wait until a client has said hello (the launcher, so it sees the run start or fail)."""
        return self._greeted.wait(timeout)

    def close(self) -> None:
        """Send what is queued (waiting at most FLUSH_S for slow clients), then close and remove the socket."""
        self._closing.set()
        self._wake()
        self._thread.join()
        self.session.unsubscribe(self._on_event)
        for client in list(self._clients.values()):
            client.sock.close()
        self._listening.close()
        self._selector.close()
        os.close(self._wake_r)
        os.close(self._wake_w)
        self.path.unlink(missing_ok=True)

    # the training thread ----------------------------------------------------------------------------

    def _on_event(self, seq: int, event: Event) -> None:
        self._events.append((seq, event))
        self._wake()

    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"x")
        except BlockingIOError:  # the pipe is full: the I/O thread is awake anyway
            pass

    # the I/O thread --------------------------------------------------------------------------------

    def _serve(self) -> None:
        deadline = None
        while True:
            for key, mask in self._selector.select(timeout=0.5):
                if key.data == "accept":
                    self._accept()
                elif key.data == "wake":
                    self._drain_wakeups()
                else:
                    client = self._clients.get(key.fd)
                    if client is not None and mask & selectors.EVENT_READ:
                        self._read(client)
                    if client is not None and key.fd in self._clients and mask & selectors.EVENT_WRITE:
                        self._write(client)
            self._broadcast()
            if self._closing.is_set():
                deadline = deadline or time.monotonic() + FLUSH_S
                if not any(c.out for c in self._clients.values()) or time.monotonic() > deadline:
                    return

    def _drain_wakeups(self) -> None:
        try:
            while os.read(self._wake_r, 4096):
                pass
        except BlockingIOError:
            pass

    def _accept(self) -> None:
        try:
            sock, _ = self._listening.accept()
        except (BlockingIOError, OSError):
            return
        if peer_uid(sock) != os.getuid():  # another user on this machine: neither watch nor control
            sock.close()
            return
        sock.setblocking(False)
        client = _Client(sock, next(self._names))
        self._clients[sock.fileno()] = client
        self._selector.register(sock, selectors.EVENT_READ, "client")

    def _drop(self, client: _Client) -> None:
        fd = client.sock.fileno()
        if self._clients.pop(fd, None) is not None:
            self._selector.unregister(client.sock)
            client.sock.close()
            self._update_insights()

    def _read(self, client: _Client) -> None:
        try:
            chunk = client.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._drop(client)
            return
        try:
            lines = client.lines.feed(chunk)
        except ProtocolError:
            self._drop(client)
            return
        for line in lines:
            if client.sock.fileno() not in self._clients:
                return
            self._handle(client, line)

    def _handle(self, client: _Client, line: bytes) -> None:
        try:
            message = decode_line(line)
            if "hello" in message:
                self._hello(client, message)
            elif not client.welcomed:
                raise ProtocolError("say hello first")
            elif message.get("cmd") in COMMANDS:
                self._command(client, message)
            else:
                raise ProtocolError(f"unknown message: {sorted(message)[:3]}")
        except ProtocolError as exc:
            client.bad += 1
            if client.bad > MAX_BAD_LINES:
                self._drop(client)
                return
            self._send(client, {"error": str(exc)})

    def _hello(self, client: _Client, message: dict) -> None:
        client.watch = bool(message.get("watch", True))
        snapshot = self.session.snapshot()
        client.from_seq = snapshot.seq + 1  # the events up to the snapshot are in the files already
        client.welcomed = True
        self._greeted.set()
        self._send(client, {"welcome": PROTOCOL, "session": client.name, "snapshot": encode(snapshot)})

    def _command(self, client: _Client, message: dict) -> None:
        name, request = message["cmd"], message.get("id")
        reply = {"reply": request, "ok": True}
        try:
            if name == "set_lr":
                self.session.set_lr(_number(message.get("lr")), client.name)
            elif name == "insights":
                kinds = message.get("kinds") or []
                if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
                    raise ProtocolError("insights takes a list of view names")
                client.insights = frozenset(kinds)
                size = message.get("size")
                if isinstance(size, list) and len(size) == 2 and all(isinstance(v, int) and 0 < v < 10_000 for v in size):
                    self.size = (size[0], size[1])
                self._update_insights()
            elif name == "save":
                path = message.get("path")
                if not isinstance(path, str) or not path:
                    raise ProtocolError("save takes a path")
                threading.Thread(target=self._save, args=(client, request, Path(path)), daemon=True).start()
                return
            else:
                getattr(self.session, name)(client.name)
        except (UserError, ProtocolError) as exc:
            reply = {"reply": request, "ok": False, "error": str(exc)}
        self._send(client, reply)

    def _save(self, client: _Client, request, path: Path) -> None:
        """Write a checkpoint off the I/O thread; the reply is queued for the I/O thread to send."""
        try:
            written, epoch = self.session.save(path)
            reply = {"reply": request, "ok": True, "path": str(written), "epoch": epoch}
        except UserError as exc:
            reply = {"reply": request, "ok": False, "error": str(exc)}
        self._events.append((-1, (client, reply)))
        self._wake()

    def _update_insights(self) -> None:
        wanted = frozenset().union(*(c.insights for c in self._clients.values() if c.watch))
        self.session.want_insights(wanted, self.size)

    def _broadcast(self) -> None:
        while self._events:
            seq, event = self._events.popleft()
            if seq < 0:  # a reply made on another thread
                client, reply = event
                if client.sock.fileno() in self._clients:
                    self._send(client, reply)
                continue
            line = None
            for client in list(self._clients.values()):
                if client.watch and client.welcomed and seq >= client.from_seq:
                    line = line or encode_line(_on_the_wire(event, seq))
                    self._send(client, line)

    def _send(self, client: _Client, message: dict | bytes) -> None:
        client.out += message if isinstance(message, bytes) else encode_line(message)
        if len(client.out) > MAX_BACKLOG:
            self._drop(client)
            return
        self._write(client)

    def _write(self, client: _Client) -> None:
        try:
            sent = client.sock.send(client.out)
        except BlockingIOError:
            sent = 0
        except OSError:
            self._drop(client)
            return
        del client.out[:sent]
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if client.out else 0)
        self._selector.modify(client.sock, events, "client")


def _on_the_wire(event: Event, seq: int) -> dict:
    """An event as its message. A start goes without the history it continues (a long resumed run's would make
    a line of megabytes): the files hold exactly that history when it is sent, and `RECORDED` gives its length."""
    if not isinstance(event, RunStarted):
        return event_record(event, seq)
    bare = replace(event, history=[], step_losses=np.zeros(0, np.float32))
    return {**event_record(bare, seq), RECORDED: [len(event.history), len(event.step_losses)]}


def _number(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ProtocolError(f"expected a number, got {value!r}")
    return float(value)
