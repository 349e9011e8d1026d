"""The CLI's language and help layout: `--lang` read from argv before the parser is built, argparse's own texts
marked for the catalog, and help wrapped by terminal cells (a Chinese character takes two)."""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence

from rich.cells import cell_len
from rich.console import Console

from tui_dl.i18n import LANGUAGES, N_, _

# argparse's own texts that tui-dl's help and errors show; argparse looks them up in our domain (i18n.set_language)
ARGPARSE_TEXTS = (
    N_("usage: "), N_("positional arguments"), N_("options"), N_("show this help message and exit"),
    N_("argument %(argument_name)s: %(message)s"), N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("invalid %(type)s value: %(value)r"), N_("the following arguments are required: %s"),
    N_("unrecognized arguments: %s"), N_("expected one argument"), N_("expected at most one argument"),
    N_("expected at least one argument"), N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("not allowed with argument %s"), N_("ignored explicit argument %r"),
    N_("unknown parser %(parser_name)r (choices: %(choices)s)"),
)

_TOKENS = re.compile(r"[\u2e80-\uffef]|[^\s\u2e80-\uffef]+|\s+")  # one wide character, a word, or spaces
_CLOSING = set("，。：；、）！？")  # never at the start of a line


def language_in(argv: Sequence[str]) -> str | None:
    """The language `--lang CODE` / `--lang=CODE` asks for in `argv`, if it names one (else None: the environment's;
    the parser then reports a wrong code)."""
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        value = arg[len("--lang="):] if arg.startswith("--lang=") else (
            argv[i + 1] if arg == "--lang" and i + 1 < len(argv) else None)
        if value is not None and value.strip().lower() in LANGUAGES:
            return value.strip().lower()
    return None


def wrap_cells(text: str, width: int) -> list[str]:
    """`text` (whitespace collapsed) in lines of at most `width` terminal cells: words stay whole, wide characters
    break anywhere but before closing punctuation."""
    lines: list[str] = []
    line = ""
    for token in _TOKENS.findall(" ".join(text.split())):
        if token.isspace():
            token = " "
        if line and cell_len(line + token) > width and token != " " and token not in _CLOSING:
            lines.append(line.rstrip())
            line = ""
        if line or token != " ":
            line += token
    if line.strip():
        lines.append(line.rstrip())
    return lines


class HelpFormatter(argparse.HelpFormatter):
    """argparse's layout, with lines measured in terminal cells (and a full-width colon after a Chinese heading)."""

    class _Section(argparse.HelpFormatter._Section):
        def format_help(self) -> str:
            text = super().format_help()
            if self.heading and cell_len(self.heading) != len(self.heading):
                text = text.replace(f"{self.heading}:\n", f"{self.heading}：\n", 1)
            return text

    def _split_lines(self, text: str, width: int) -> list[str]:
        return super()._split_lines(text, width) if cell_len(text) == len(text) else wrap_cells(text, width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if cell_len(text) == len(text):
            return super()._fill_text(text, width, indent)
        return "\n".join(indent + line for line in wrap_cells(text, width - len(indent)))

    def _format_usage(self, usage, actions, groups, prefix) -> str:
        shown = _("usage: ") if prefix is None else prefix
        extra = cell_len(shown) - len(shown)
        self._width -= extra
        try:
            text = super()._format_usage(usage, actions, groups, prefix)
        finally:
            self._width += extra
        lines = text.split("\n")
        return "\n".join(lines[:1] + [" " * extra + line if line.startswith(" ") else line for line in lines[1:]])


PIPE_WIDTH = 160  # a table written to a file or pipe is not cut to 80 columns


def table_console() -> Console:
    """A console for tables: the terminal's width, or PIPE_WIDTH when output is not a terminal."""
    console = Console()
    return console if console.is_terminal else Console(width=PIPE_WIDTH)
