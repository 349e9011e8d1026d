"""The engine and the headless CLI never pull in Textual (the UI is optional at run time)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import tui_dl.cli
import tui_dl.engine

from helpers import REPO, cli_env

ENGINE_MODULES = sorted(m.name for m in pkgutil.walk_packages(tui_dl.engine.__path__, "tui_dl.engine."))
HEADLESS_MODULES = ["tui_dl", "tui_dl.engine", "tui_dl.paths"] + sorted(
    m.name for m in pkgutil.walk_packages(tui_dl.cli.__path__, "tui_dl.cli."))


def test_engine_and_cli_modules_are_found():
    for name in ("config", "data.registry", "data.files", "data.rawdata", "data.synthetic", "data.prepare", "model",
                 "training.trainer", "events", "training.checkpoint", "data.fetch", "training.device", "errors",
                 "runs.session", "use.predictor", "insights.compute"):
        assert f"tui_dl.engine.{name}" in ENGINE_MODULES
    for name in ("main", "parser", "text", "train", "detached", "runs", "model", "data"):
        assert f"tui_dl.cli.{name}" in HEADLESS_MODULES


def test_engine_and_cli_do_not_import_textual():
    modules = ENGINE_MODULES + HEADLESS_MODULES
    code = (
        f"import importlib, sys\n"
        f"for name in {modules!r}:\n"
        f"    importlib.import_module(name)\n"
        f"from tui_dl.cli.parser import build_parser\n"
        f"build_parser()\n"
        f"bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        f"assert not bad, bad\n"
        f"assert 'tui_dl.ui' not in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=cli_env(), capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr


def test_config_module_does_not_import_torch():
    # config.py promises the UI can validate settings instantly, without torch.
    code = ("import sys, tui_dl.engine.config, tui_dl.engine.errors, tui_dl.engine.events\n"
            "assert 'torch' not in sys.modules, 'torch imported'\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=cli_env(), capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr


def test_the_ui_imports_and_composes_without_torch():
    # torch takes seconds to import: the first frame must not wait for it (device detection imports it after).
    code = (
        "import asyncio, sys\n"
        "from tui_dl.ui.app import make_app\n"
        "app = make_app()\n"
        "app.system.detect = lambda: None\n"
        "async def main():\n"
        "    async with app.run_test(size=(120, 40)) as pilot:\n"
        "        await pilot.pause(0.3)\n"
        "        await app.workers.wait_for_complete()\n"
        "        assert app.shown.raw is not None, 'the data preview did not load'\n"
        "asyncio.run(main())\n"
        "assert 'torch' not in sys.modules, 'torch imported before the first frame'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=cli_env(), capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
