"""Errors the engine raises for problems a user can fix."""

from tui_dl.i18n import _


class UserError(Exception):
    """A problem with the user's input (a value, a file, a checkpoint), with a message for them."""


class ConfigError(UserError):
    """One or more configuration values are invalid."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__(_("; ").join(dict.fromkeys(message for _field, message in problems)))  # each message once


class DataError(UserError):
    """A data set could not be loaded or used."""


class CheckpointError(UserError):
    """A checkpoint could not be saved, read or applied."""
