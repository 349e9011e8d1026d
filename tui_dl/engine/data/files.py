"""Users' data files: CSV with a header (columns read by `engine.data.columns`), NPZ with `x`/`y` or `X`/`Y`, and MNIST-format IDX pairs."""

from __future__ import annotations

import csv
import gzip
import io
import re
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tui_dl.engine.data.columns import MIN_ROWS, make_plan
from tui_dl.engine.data.rawdata import RawData, targets_from_values
from tui_dl.engine.errors import DataError
from tui_dl.i18n import _

FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def is_csv(path: Path) -> bool:
    """Whether `path` is read as CSV: anything but a folder, an .npz archive or an IDX file."""
    name = path.name.lower()
    return not (path.is_dir() or name.endswith(".npz") or ("idx" in name and "ubyte" in name))


def load_file(path: Path, target: str | None = None, task: str = "auto", exclude: Sequence[str] = (),
              include: Sequence[str] = (), missing: str = "impute") -> RawData:
    """Load a user's CSV, NPZ or IDX file (or a folder of IDX files); the column options apply to CSV."""
    if not is_csv(path) and (exclude or include):
        raise DataError(_("--exclude and --include apply to CSV columns; {name} is not a CSV file").format(
                            name=path.name))
    try:
        if is_csv(path):
            return load_csv(path, target, task, exclude, include, missing)
        if path.name.lower().endswith(".npz"):
            return load_npz(path, task)
        return load_idx(path, task)
    except OSError as exc:
        raise DataError(_("cannot read {path}: {reason}").format(path=path, reason=exc.strerror or exc)) from None


# CSV -------------------------------------------------------------------------------------------

def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    if not raw.strip():
        raise DataError(_("{name} is empty").format(name=path.name))
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with a BOM: Excel's "Unicode Text"
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise DataError(_("{name} starts like UTF-16 text but does not decode as UTF-16").format(
                                name=path.name)) from None
    if b"\0" in raw[:4096]:
        raise DataError(_("{name} is a binary file, not CSV text").format(name=path.name))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def sniff_delimiter(text: str) -> str:
    try:
        return csv.Sniffer().sniff(text[:65536], delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def column_names(cells: list[str]) -> list[str]:
    """Header cells without surrounding quotes; an empty one (an index column) becomes `column_N`, a repeated
    one `NAME_2`, `NAME_3`, ..."""
    names: list[str] = []
    for j, cell in enumerate(cells):
        name = cell.strip()
        if len(name) >= 2 and name[0] == name[-1] and name[0] in "'\"":
            name = name[1:-1].strip()
        name = base = name or f"column_{j + 1}"
        copy = 1
        while name in names:
            copy += 1
            name = f"{base}_{copy}"
        names.append(name)
    return names


def _read_rows(path: Path) -> tuple[list[list[str]], list[int], str]:
    """The non-blank rows of a CSV file, their line numbers, and the delimiter."""
    text = _read_text(path)
    delimiter = sniff_delimiter(text)
    rows: list[list[str]] = []
    line_numbers: list[int] = []
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        for row in reader:
            if any(c.strip() for c in row):
                rows.append(row)
                line_numbers.append(reader.line_num)
    except csv.Error as exc:
        raise DataError(_("{name} is not valid CSV: {exc}").format(name=path.name, exc=exc)) from None
    if not rows:
        raise DataError(_("{name} holds no values").format(name=path.name))
    if all(not row[-1].strip() for row in rows):  # every line ends with a delimiter
        rows = [row[:-1] for row in rows]
    return rows, line_numbers, delimiter


def csv_header(path: Path) -> list[str] | None:
    """The column names of a CSV file from its first 64 KiB, or None for other files or unreadable ones."""
    if not is_csv(path):
        return None
    try:
        with path.open("rb") as handle:
            head = handle.read(65536)
    except OSError:
        return None
    text = head.decode("utf-16" if head.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig", "replace")
    try:
        lines = csv.reader(io.StringIO(text), delimiter=sniff_delimiter(text))
        first = next((row for row in lines if any(c.strip() for c in row)), None)
    except csv.Error:
        return None
    return column_names(first) if first else None


def load_csv(path: Path, target: str | None = None, task: str = "auto", exclude: Sequence[str] = (),
             include: Sequence[str] = (), missing: str = "impute") -> RawData:
    """A CSV with a header row; the target is `target` or the last column. See `engine.data.columns` for the rules."""
    rows, line_numbers, delimiter = _read_rows(path)
    header = column_names(rows[0])
    if len(header) < 2:
        raise DataError(_("{name} needs a header and at least two columns (features and a target), separated by "
                          "commas, semicolons, tabs or |; found {n_header}").format(
                            name=path.name, n_header=len(header)))
    for number, row in zip(line_numbers[1:], rows[1:]):
        if len(row) != len(header):
            raise DataError(_("{name}: row {number} has {n_row} fields but the header has {n_header}").format(
                                name=path.name, number=number, n_row=len(row), n_header=len(header)))
    if len(rows) - 1 < MIN_ROWS:
        raise DataError(_("{name} has {n_rows} data rows; at least {min_rows} are needed").format(
                            name=path.name, n_rows=len(rows) - 1, min_rows=MIN_ROWS))
    # Python strings per column, not one 2-D numpy array: its width would be the longest cell anywhere.
    cells = [[cell.strip() for cell in column] for column in zip(*rows[1:])]
    plan, keep, notices = make_plan(header, cells, path.name, target, exclude, include, missing,
                                    decimal_comma=delimiter != ",")
    kept = {name: [c for c, k in zip(column, keep) if k] for name, column in zip(header, cells)}
    target_cells = kept[plan.target.name]
    target_values = plan.target.values(target_cells) if plan.target.kind == "numeric" else np.array(target_cells)
    found_task, y, classes = targets_from_values(target_values, task, f"{path.name} column {plan.target.name!r}")
    return RawData(
        name=path.name,
        task=found_task,
        x=plan.encode(kept),
        y=y,
        feature_names=plan.feature_names(),
        class_names=classes,
        source=str(path),
        notices=notices,
        plan=plan,
        dropped_rows=int((~keep).sum()),
    )


# NPZ -------------------------------------------------------------------------------------------

def load_npz(path: Path, task: str = "auto") -> RawData:
    """An `.npz` archive holding arrays `x` (N x ...) and `y` (N or N x O), or sklearn-style `X` and `Y`."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            keys = list(archive.keys())
            names = []
            for key in ("x", "y"):
                name = next((k for k in (key, key.upper()) if k in keys), None)
                if name is None:
                    raise DataError(_("{name} has no array named {key!r} or {key2!r} (it has: {names})").format(
                                        name=path.name, key=key, key2=key.upper(), names=', '.join(keys) or _("nothing")))
                names.append(name)
            x, y = archive[names[0]], archive[names[1]]
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        if isinstance(exc, ValueError) and "pickle" in str(exc):
            raise DataError(_("{name} holds Python objects; only plain numeric arrays are read").format(
                                name=path.name)) from None
        raise DataError(_("{name} is not a valid .npz archive").format(name=path.name)) from None
    if x.ndim < 2 or y.ndim == 0 or x.shape[0] != y.shape[0]:
        raise DataError(_("{name}: x must be N x features and y must have N rows; got x {shape}, y {shape2}").format(
                            name=path.name, shape=x.shape, shape2=y.shape))
    if x.dtype.kind not in "biuf":
        raise DataError(_("{name}: x must be numeric, got {dtype}").format(name=path.name, dtype=x.dtype))
    if len(x) < MIN_ROWS:
        raise DataError(_("{name} has {n_x} samples; at least {min_rows} are needed").format(
                            name=path.name, n_x=len(x), min_rows=MIN_ROWS))
    x = x.reshape(len(x), -1).astype(np.float32)
    if not np.all(np.isfinite(x)):
        raise DataError(_("{name}: x contains NaN or infinite values").format(name=path.name))
    if y.ndim == 2 and y.shape[1] > 1:
        if task == "classification" or y.dtype.kind not in "biuf":
            raise DataError(_("{name}: a 2-D y is read as several regression targets and must be numeric").format(
                                name=path.name))
        found_task, targets, classes = "regression", y.astype(np.float32), []
    else:
        found_task, targets, classes = targets_from_values(y.reshape(-1), task, f"{path.name}'s y")
    return RawData(path.name, found_task, x, targets, [f"x{i}" for i in range(x.shape[1])], classes, str(path))


# IDX -------------------------------------------------------------------------------------------

_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: Path) -> np.ndarray:
    """Read one IDX file (optionally gzipped) into an array, checking its header and length."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error):
            raise DataError(_("{name} is a damaged gzip file").format(name=path.name)) from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES or raw[3] == 0:
        raise DataError(_("{name} is not an IDX file (wrong magic number)").format(name=path.name))
    ndim = raw[3]
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise DataError(_("{name} is truncated inside its header").format(name=path.name))
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header_size < expected:
        raise DataError(_("{name} is truncated: header promises {expected:,} bytes of data, found {n_raw:,}").format(
                            name=path.name, expected=expected, n_raw=len(raw) - header_size))
    return np.frombuffer(raw, dtype=dtype, count=int(np.prod(shape)), offset=header_size).reshape(shape)


_IMAGES = re.compile(r"images([.-])idx3")
_LABELS = re.compile(r"labels([.-])idx1")


def idx_pair(path: Path, labels_needed: bool = True) -> tuple[Path, Path | None]:
    """The images file and its labels file of an IDX pair named by either file or their folder (labels None
    when absent and not `labels_needed`)."""
    if path.is_dir():
        candidates = sorted(p for p in path.iterdir() if _IMAGES.search(p.name))
        train = [p for p in candidates if p.name.startswith("train")]
        if not candidates:
            raise DataError(_("{path} holds no *-images-idx3-ubyte file").format(path=path))
        path = (train or candidates)[0]
    if _LABELS.search(path.name):
        images_name, labels_name = _LABELS.sub(r"images\1idx3", path.name), path.name
    elif _IMAGES.search(path.name):
        images_name, labels_name = path.name, _IMAGES.sub(r"labels\1idx1", path.name)
    else:
        raise DataError(_("{name}: IDX files must be named like train-images-idx3-ubyte and train-labels-idx1-ubyte").format(
                            name=path.name))

    def existing(name: str, needed: bool = True) -> Path | None:
        stem = name[:-3] if name.endswith(".gz") else name
        for candidate in (path.parent / stem, path.parent / f"{stem}.gz"):
            if candidate.exists():
                return candidate
        if not needed:
            return None
        raise DataError(_("cannot find {stem}[.gz] next to {name}; IDX images need their labels file").format(
                            stem=stem, name=path.name))

    return existing(images_name), existing(labels_name, labels_needed)


def load_idx(path: Path, task: str = "auto") -> RawData:
    """An MNIST-style pair: `*-images-idx3-ubyte[.gz]` and the matching labels file."""
    images_path, labels_path = idx_pair(path)
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim < 2 or labels.ndim != 1 or len(images) != len(labels):
        raise DataError(_("{name} and {name2} do not match: {shape} images, {shape2} labels").format(
                            name=images_path.name, name2=labels_path.name, shape=images.shape, shape2=labels.shape))
    x = images.reshape(len(images), -1).astype(np.float32)
    if images.dtype == np.uint8:
        x /= 255.0
    found_task, y, classes = targets_from_values(labels, "classification" if task == "auto" else task,
                                                 labels_path.name)
    if "fashion" in str(images_path).lower() and len(classes) == len(FASHION_CLASSES):
        classes = list(FASHION_CLASSES)
    side = images.shape[1:]
    names = [f"pixel_{i}" for i in range(x.shape[1])]
    return RawData(images_path.name, found_task, x, y, names, classes, str(images_path),
                   notices=[_("{n:,} images of {size} pixels").format(
                                n=len(x), size='x'.join(map(str, side)))],
                   image_shape=(side[0], side[1]) if len(side) == 2 else None)
