"""Reading a CSV file a chunk of rows at a time, so a file larger than memory can be predicted.

The text is read as `engine.data.files` reads a whole file for training (UTF-16 with a BOM, UTF-8, else Latin-1;
commas, semicolons, tabs or | sniffed from the start; blank lines skipped; the header's names cleaned up), but
the encoding is told from the first 64 KiB only, and a byte that does not decode later becomes U+FFFD.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from pathlib import Path

from tui_dl.engine.data.files import column_names, sniff_delimiter
from tui_dl.engine.errors import DataError
from tui_dl.i18n import _

HEAD_BYTES = 65_536


def _encoding(head: bytes, name: str) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if b"\0" in head[:4096]:
        raise DataError(_("{name} is a binary file, not CSV text").format(name=name))
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)  # a character cut at the end is fine
    except UnicodeDecodeError:
        return "latin-1"
    return "utf-8-sig"


class CsvStream:
    """A CSV file's header, and its data rows in chunks (`chunks`); opened on creation, closed at the end."""

    def __init__(self, path: Path):
        self.path = path
        try:
            with path.open("rb") as handle:
                head = handle.read(HEAD_BYTES)
        except OSError as exc:
            raise DataError(_("cannot read {path}: {reason}").format(path=path, reason=exc.strerror or exc)) from None
        if not head.strip():
            raise DataError(_("{name} is empty").format(name=path.name))
        encoding = _encoding(head, path.name)
        self.delimiter = sniff_delimiter(head.decode(encoding, "replace"))
        self._handle = path.open(encoding=encoding, errors="replace", newline="")
        self._reader = csv.reader(self._handle, delimiter=self.delimiter)
        first = next(self._rows(), None)
        if first is None:
            self.close()
            raise DataError(_("{name} holds no values").format(name=path.name))
        self.header = column_names(first)

    def _rows(self) -> Iterator[list[str]]:
        try:
            for row in self._reader:
                if "".join(row).strip():  # a line of empty cells is blank too
                    yield row
        except csv.Error as exc:
            raise DataError(_("{name} is not valid CSV: {exc}").format(name=self.path.name, exc=exc)) from None

    def chunks(self, rows: int) -> Iterator[tuple[int, list[list[str]]]]:
        """(number of the chunk's first row, its rows as stripped cells), `rows` at a time; row 1 is the first
        after the header. Raises DataError for a row whose field count differs from the header's."""
        width, number, chunk = len(self.header), 1, []
        try:
            for row in self._rows():
                if len(row) != width:
                    raise DataError(_("{name}: row {number} has {n_row} fields but the header has {width}").format(
                                        name=self.path.name, number=number + len(chunk), n_row=len(row), width=width))
                chunk.append([cell.strip() for cell in row])
                if len(chunk) == rows:
                    yield number, chunk
                    number, chunk = number + rows, []
            if chunk:
                yield number, chunk
        finally:
            self.close()

    def close(self) -> None:
        self._handle.close()
