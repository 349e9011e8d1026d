"""UI figures: time to first frame, key-press latency while training, chart render cost by history size."""

from __future__ import annotations

import asyncio
import fcntl
import os
import pty
import select
import signal
import statistics
import struct
import sys
import termios
import time
import tracemalloc
from array import array

BARE_APP = """
from textual.app import App
from textual.widgets import Footer, Static


class Bare(App):
    def compose(self):
        yield Static("Data (F2)")
        yield Footer()


Bare().run()
"""


def first_frame_seconds(which: str, marker: bytes = b"Data (F2)", timeout: float = 30.0) -> float:
    """Seconds from spawning the program in a 120x40 pseudo-terminal until `marker` is drawn on it."""
    argv = [sys.executable, "-m", "tui_dl"] if which == "tui-dl" else [sys.executable, "-c", BARE_APP]
    started = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child: become the program
        os.environ["TERM"] = "xterm-256color"
        os.execv(argv[0], argv)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    seen = b""
    try:
        while marker not in seen:
            if time.perf_counter() - started > timeout:
                raise TimeoutError(f"{which} drew nothing in {timeout} s")
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                seen = seen[-4096:] + os.read(fd, 65536)
        return time.perf_counter() - started
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)


def key_latency_ms(presses: int = 100) -> tuple[float, float]:
    """p50 and p95 of key-press-to-frame time in a text field while spiral trains at full speed.

    A key event is handed to the driver as the terminal would; the time stops at the first frame
    the app sends to the terminal after the field's value has changed.
    """
    from textual import events

    from tui_dl.engine.config import RunConfig
    from tui_dl.ui.app import make_app

    config = RunConfig()
    config.data.samples, config.train.epochs = 5_000, 1_000_000
    samples: list[float] = []

    async def drive() -> None:
        app = make_app(config)
        frames = {"last": 0.0}
        display = app._display

        def timed_display(screen, renderable) -> None:
            display(screen, renderable)
            frames["last"] = time.perf_counter()

        app._display = timed_display
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(0.5)
            await pilot.press("f5")
            while not (app.shown.link and app.shown.link.session.trainer.history):
                await pilot.pause(0.05)
            await pilot.press("f3")
            field = app.query_one("#model-neurons")
            field.focus()
            await pilot.pause(0.2)
            await pilot.press("end")  # type after "16" (focus selects the text): 161, 16, 161, ...
            for i in range(presses):
                key, char = ("backspace", None) if i % 2 else ("1", "1")
                before = field.value
                started = time.perf_counter()
                app._driver.send_message(events.Key(key, char))
                while field.value == before:
                    await asyncio.sleep(0.0005)
                changed = time.perf_counter()
                while frames["last"] < changed:
                    await asyncio.sleep(0.0005)
                samples.append((frames["last"] - started) * 1000)
                await asyncio.sleep(0.02)
            app.shown.link.session.trainer.stop()
            await app.workers.wait_for_complete()

    asyncio.run(drive())
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)]


def chart_render(steps_counts: tuple[int, ...] = (1_000, 100_000, 1_000_000)) -> list[dict]:
    """Time and peak memory to redraw both charts at 120x40 with a history of N recorded steps."""
    from tui_dl.engine.events import EpochMetrics
    from tui_dl.ui.app import make_app
    from tui_dl.ui.widgets.charts import Curves
    from tui_dl.ui.widgets.training_view import TrainingView

    rows: list[dict] = []

    async def drive() -> None:
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("f4")
            await pilot.pause(0.5)
            view = app.query_one(TrainingView)
            for steps in steps_counts:
                per_epoch = 100
                epochs = [EpochMetrics(e, e * per_epoch, 1 / e, 1.1 / e, 0.01, 1.0, 1.0, 0.5, 0.5)
                          for e in range(1, steps // per_epoch + 1)]
                view.curves = Curves(steps_per_epoch=per_epoch, epochs=epochs,
                                     steps=array("f", (1 / (1 + i / per_epoch) for i in range(steps))))
                view.redraw()
                view.loss_chart.render()
                times = []
                tracemalloc.start()
                for _ in range(5):
                    started = time.perf_counter()
                    view.redraw()
                    view.loss_chart.render()
                    view.metric_chart.render()
                    times.append((time.perf_counter() - started) * 1000)
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                history_mb = (len(view.curves.steps) * 4 + len(epochs) * 8 * 6) / 2**20
                rows.append({"steps": steps, "render_ms": statistics.median(times),
                             "peak_alloc_mb": peak / 2**20, "history_mb": history_mb})

    asyncio.run(drive())
    return rows
