"""Where shipped data sets, themes and user files live.

An installed wheel carries `datasets/` and `themes/` inside the package
(`tui_dl/_data/`); a source checkout has them at the repository root.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from tui_dl.i18n import _

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


def runtime_dir() -> Path:
    """A folder only this user can enter ($XDG_RUNTIME_DIR/tui-dl, else a private one in the temp folder), for
    short socket paths and the registry of live runs."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    folder = Path(base) / "tui-dl" if base else Path(tempfile.gettempdir()) / f"tui-dl-{os.getuid()}"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = folder.stat()
    if info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) & 0o077:
        raise PermissionError(_("{folder} must belong to you alone (mode 0700): fix it, or set XDG_RUNTIME_DIR").format(
                                  folder=folder))
    return folder
