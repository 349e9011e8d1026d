"""Where shipped data sets, themes and user files live.

An installed wheel carries `datasets/` and `themes/` inside the package
(`tui_dl/_data/`); a source checkout has them at the repository root.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _shipped(name: str) -> Path:
    installed = _PACKAGE / "_data" / name
    return installed if installed.is_dir() else _PACKAGE.parent / name


def datasets_dir() -> Path:
    """Folder of the small real data sets shipped with tui-dl."""
    return _shipped("datasets")


def themes_dir() -> Path:
    """Folder of the themes shipped with tui-dl."""
    return _shipped("themes")


def user_config_dir() -> Path:
    """Per-user configuration folder (`$XDG_CONFIG_HOME/tui-dl`)."""
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "tui-dl"


def user_themes_dir() -> Path:
    """Folder where a user's own theme files are looked for."""
    return user_config_dir() / "themes"


def runs_dir() -> Path:
    """Default folder for runs and checkpoints: `$TUI_DL_RUNS_DIR`, else `runs/` in the working directory."""
    chosen = os.environ.get("TUI_DL_RUNS_DIR")
    return Path(chosen).expanduser() if chosen else Path.cwd() / "runs"
