"""Downloading the original MNIST / Fashion-MNIST IDX files, with checksum verification."""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from tui_dl.engine.errors import UserError
from tui_dl.i18n import _

SOURCES: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "mnist": (
        ("https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/"),
        {
            "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
            "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
            "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
        },
    ),
    "fashion-mnist": (
        ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        {
            "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
            "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
            "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
        },
    ),
}


class FetchError(Exception):
    """A download could not be completed (offline, server error, bad checksum)."""


def md5sum(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download(url: str, target: Path, expected_md5: str, timeout: float) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            for block in iter(lambda: response.read(1 << 20), b""):
                out.write(block)
        if md5sum(Path(tmp)) != expected_md5:
            raise FetchError(_("{name} from {url} failed its checksum").format(name=target.name, url=url))
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)


def fetch(name: str, folder: Path, timeout: float = 30.0, log: Callable[[str], None] = print) -> Path:
    """Download `name` into `folder` (skipping files already present and verified); return the folder."""
    if name not in SOURCES:
        raise UserError(_("unknown download {name!r}; choose one of {sources}").format(
                            name=name, sources=', '.join(SOURCES)))
    mirrors, files = SOURCES[name]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(_("cannot create {folder}: {reason}").format(
                            folder=folder, reason=exc.strerror or exc)) from None
    for file, checksum in files.items():
        target = folder / file
        if target.exists() and md5sum(target) == checksum:
            log(_("ok        {target} (already here, checksum verified)").format(target=target))
            continue
        reasons = []
        for mirror in mirrors:
            try:
                _download(mirror + file, target, checksum, timeout)
                log(_("fetched   {target} (checksum verified)").format(target=target))
                break
            except (urllib.error.URLError, OSError, FetchError) as exc:
                reasons.append(f"{mirror}: {getattr(exc, 'reason', exc)}")
        else:
            raise FetchError(_("cannot download {file} (is this machine offline?) - {reasons}").format(
                                 file=file, reasons="; ".join(reasons)))
    return folder
