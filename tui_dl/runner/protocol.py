"""The control socket's protocol: where the socket lives, who may use it, and how messages are framed.

Messages are JSON objects, one per line (UTF-8, at most MAX_LINE bytes). A client says hello, gets a welcome
with its session id and the run's snapshot, then (when it watches) the run's events; commands carry an `id`
and get a reply with the same id. Nothing read from a socket is ever unpickled or executed.

    -> {"hello": 1, "watch": true}
    <- {"welcome": 1, "session": "s2", "snapshot": {...}}
    <- {"event": "EpochEnded", "seq": 41, ...}
    -> {"cmd": "set_lr", "id": 1, "lr": 0.001}
    <- {"reply": 1, "ok": true}
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import struct
from pathlib import Path

from tui_dl.i18n import _
from tui_dl.paths import runtime_dir

PROTOCOL = 1
SOCKET = "control.sock"
MAX_LINE = 1 << 20  # a longer line from a client drops it
UNIX_PATH_MAX = 107  # bytes of a socket path the kernel takes (108 with its final NUL)
COMMANDS = ("pause", "resume", "step", "stop", "set_lr", "insights", "save")
RECORDED = "recorded"  # a RunStarted message's [epochs, step losses] of history, which the run's files hold


class ProtocolError(Exception):
    """A socket that cannot be used, or a message that breaks the protocol."""


def socket_path(folder: Path) -> Path:
    """The control socket of the run in `folder`: in the folder, or (for a path too long for the kernel) a
    short path derived from the folder in the private runtime_dir()."""
    folder = Path(folder).resolve()
    inside = folder / SOCKET
    if len(os.fsencode(inside)) <= UNIX_PATH_MAX:
        return inside
    digest = hashlib.sha256(os.fsencode(folder)).hexdigest()[:24]
    short = runtime_dir() / f"{digest}.sock"
    if len(os.fsencode(short)) > UNIX_PATH_MAX:
        raise ProtocolError(_("no socket path short enough for {folder}: set XDG_RUNTIME_DIR to a short folder").format(
                                folder=folder))
    return short


def peer_uid(sock: socket.socket) -> int:
    """The user id of the process at the other end of a Unix socket (SO_PEERCRED)."""
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return uid


def encode_line(message: dict) -> bytes:
    return (json.dumps(message, separators=(",", ":"), allow_nan=True) + "\n").encode()


def decode_line(line: bytes) -> dict:
    """One message (ProtocolError when it is not a JSON object)."""
    try:
        message = json.loads(line)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProtocolError(f"not JSON: {exc}") from None
    if not isinstance(message, dict):
        raise ProtocolError("a message must be a JSON object")
    return message


class LineBuffer:
    """Bytes in, whole lines out; a line longer than `limit` is a ProtocolError."""

    def __init__(self, limit: int = MAX_LINE):
        self.limit = limit
        self._data = bytearray()

    def feed(self, chunk: bytes) -> list[bytes]:
        self._data += chunk
        lines = []
        while (end := self._data.find(b"\n")) >= 0:
            if end > self.limit:
                raise ProtocolError(f"a line longer than {self.limit:,} bytes")
            lines.append(bytes(self._data[:end]))
            del self._data[:end + 1]
        if len(self._data) > self.limit:
            raise ProtocolError(f"a line longer than {self.limit:,} bytes")
        return lines
