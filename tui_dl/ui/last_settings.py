"""The settings of the last run started in the UI, and the language chosen in it, kept under the XDG config
folder for the next launch."""

from __future__ import annotations

from pathlib import Path

from tui_dl.engine.config import RunConfig, load_toml, save_toml
from tui_dl.engine.data.registry import REGISTRY
from tui_dl.engine.errors import UserError
from tui_dl.i18n import _, check_language
from tui_dl.paths import user_config_dir

FILE_NAME = "last-settings.toml"
LANGUAGE_FILE = "language"  # the language chosen in the UI: a key of i18n.LANGUAGES


def settings_path() -> Path:
    return user_config_dir() / FILE_NAME


def load_last() -> tuple[RunConfig | None, str | None]:
    """The last settings (None when there are none yet) and a problem to tell the user, if any."""
    path = settings_path()
    if not path.is_file():
        return None, None
    try:
        config = load_toml(path).validate()
    except UserError as exc:
        return None, _("last settings not restored ({path}): {error}").format(path=path, error=exc)
    dataset = config.data.dataset
    if dataset not in REGISTRY and not Path(dataset).expanduser().exists():
        default = RunConfig().data
        config.data.dataset, config.data.target = default.dataset, None
        return config, _("the data file of last time, {file}, is gone: using {dataset}").format(
            file=dataset, dataset=default.dataset)
    return config, None


def save_last(config: RunConfig) -> str | None:
    """Keep `config` for the next launch; a problem writing it is returned, never raised."""
    path = settings_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        save_toml(config, path)
    except OSError as exc:
        return _("settings not kept for next time ({path}): {error}").format(path=path, error=exc.strerror or exc)
    return None


def load_language() -> str | None:
    """The language last chosen in the UI, or None (none chosen, or the file names no language)."""
    try:
        return check_language((user_config_dir() / LANGUAGE_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def save_language(code: str) -> str | None:
    """Keep `code` as the UI's language for the next launch; a problem writing it is returned, never raised."""
    path = user_config_dir() / LANGUAGE_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(code + "\n", encoding="utf-8")
    except OSError as exc:
        return _("language not kept for next time ({path}): {error}").format(path=path, error=exc.strerror or exc)
    return None
