"""Thread-safe control of a training loop: pause, resume, stop, and one batch at a time while paused."""

from __future__ import annotations

import threading


class Control:
    """Set from any thread; the training thread calls `wait()` before each batch while `paused`."""

    def __init__(self):
        self._running = threading.Event()
        self._running.set()
        self._stopped = threading.Event()
        self._wake = threading.Event()  # set by every call that may end a wait
        self._lock = threading.Lock()
        self._steps = 0  # batches allowed while paused, not yet taken

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        with self._lock:
            self._steps = 0
        self._running.set()
        self._wake.set()

    def stop(self) -> None:
        self._stopped.set()
        self._running.set()
        self._wake.set()

    def step(self) -> bool:
        """While paused, allow exactly one more batch (the run stays paused after it); False when not paused."""
        with self._lock:
            if not self.paused or self.stopped:
                return False
            self._steps += 1
        self._wake.set()
        return True

    def wait(self) -> None:
        """Block while paused: until resumed or stopped, or until a step is allowed (taken here)."""
        while self.paused:
            with self._lock:
                if self._steps:
                    self._steps -= 1
                    return
            self._wake.wait()
            self._wake.clear()
