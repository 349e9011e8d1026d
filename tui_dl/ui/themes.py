"""Themes from TOML files: the ones shipped in `themes/` and the user's own folder."""

from __future__ import annotations

import tomllib
from pathlib import Path

from textual.theme import Theme

from tui_dl.i18n import _
from tui_dl.paths import themes_dir, user_themes_dir


def load_theme_file(path: Path) -> Theme:
    """Read one theme file (keys of textual.theme.Theme; `name` required). Raises ValueError."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return Theme(**data)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, TypeError) as exc:
        raise ValueError(_("theme {file}: {error}").format(file=path.name, error=exc)) from None


def load_themes(folders: list[Path] | None = None) -> tuple[list[Theme], list[str]]:
    """Every theme in the shipped and user folders, and a message for each file that failed."""
    themes, problems = [], []
    for folder in folders if folders is not None else [themes_dir(), user_themes_dir()]:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                themes.append(load_theme_file(path))
            except ValueError as exc:
                problems.append(str(exc))
    return themes, problems
