"""Downloading MNIST-style files: mirrors, checksums, skipping verified files (via a local file:// mirror)."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np
import pytest

from tui_dl.engine.data import fetch as fetch_module
from tui_dl.engine.errors import UserError
from tui_dl.engine.data.fetch import FetchError, fetch, md5sum

FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz")


def _idx(array: np.ndarray) -> bytes:
    return bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape) + array.tobytes()


@pytest.fixture
def mirror(tmp_path, monkeypatch) -> Path:
    """A local mirror holding a tiny, valid MNIST-format set, registered as the only `mnist` source."""
    folder = tmp_path / "mirror"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 30), ("t10k", 10)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = (np.arange(n) % 10).astype(np.uint8)
        (folder / f"{prefix}-images-idx3-ubyte.gz").write_bytes(gzip.compress(_idx(images)))
        (folder / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(_idx(labels)))
    checksums = {name: hashlib.md5((folder / name).read_bytes()).hexdigest() for name in FILES}
    monkeypatch.setitem(fetch_module.SOURCES, "mnist", ((folder.as_uri() + "/",), checksums))
    return folder


def test_fetch_downloads_and_verifies(mirror, tmp_path):
    log: list[str] = []
    target = tmp_path / "data" / "mnist"
    assert fetch("mnist", target, log=log.append) == target
    assert sorted(p.name for p in target.iterdir()) == sorted(FILES)  # no temp files left
    for name in FILES:
        assert (target / name).read_bytes() == (mirror / name).read_bytes()
    assert len(log) == 4 and all(line.startswith("fetched") and "checksum verified" in line for line in log)

    from tui_dl.engine.config import DataConfig
    from tui_dl.engine.data.registry import load_raw

    raw = load_raw(DataConfig(dataset=str(target)))
    assert raw.samples == 30 and raw.features == 784 and len(raw.class_names) == 10


def test_fetch_skips_verified_files(mirror, tmp_path):
    target = tmp_path / "mnist"
    fetch("mnist", target, log=lambda _: None)
    for name in FILES:
        (mirror / name).unlink()  # a second fetch must not need the network at all
    log: list[str] = []
    fetch("mnist", target, log=log.append)
    assert all("already here, checksum verified" in line for line in log) and len(log) == 4


def test_fetch_replaces_a_damaged_local_file(mirror, tmp_path):
    target = tmp_path / "mnist"
    target.mkdir()
    (target / FILES[0]).write_bytes(b"half a download")
    log: list[str] = []
    fetch("mnist", target, log=log.append)
    assert log[0].startswith("fetched")
    assert md5sum(target / FILES[0]) == fetch_module.SOURCES["mnist"][1][FILES[0]]


def test_fetch_refuses_a_bad_checksum(mirror, tmp_path):
    (mirror / FILES[1]).write_bytes(b"tampered")
    target = tmp_path / "mnist"
    with pytest.raises(FetchError) as info:
        fetch("mnist", target, log=lambda _: None)
    assert f"{FILES[1]} from {mirror.as_uri()}/{FILES[1]} failed its checksum" in str(info.value)
    assert not (target / FILES[1]).exists()
    assert sorted(p.name for p in target.iterdir()) == [FILES[0]]  # no temp file left behind


def test_fetch_falls_back_to_the_next_mirror(mirror, tmp_path, monkeypatch):
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in FILES:
        (broken / name).write_bytes(b"wrong")
    _, checksums = fetch_module.SOURCES["mnist"]
    missing = (tmp_path / "missing").as_uri() + "/"
    monkeypatch.setitem(fetch_module.SOURCES, "mnist", ((missing, broken.as_uri() + "/", mirror.as_uri() + "/"), checksums))
    target = tmp_path / "mnist"
    fetch("mnist", target, log=lambda _: None)
    assert all(md5sum(target / name) == checksums[name] for name in FILES)


def test_fetch_reports_every_mirror_when_all_fail(tmp_path, monkeypatch):
    mirrors = ((tmp_path / "a").as_uri() + "/", (tmp_path / "b").as_uri() + "/")
    monkeypatch.setitem(fetch_module.SOURCES, "mnist", (mirrors, {FILES[0]: "0" * 32}))
    with pytest.raises(FetchError) as info:
        fetch("mnist", tmp_path / "out", log=lambda _: None)
    message = str(info.value)
    assert message.startswith(f"cannot download {FILES[0]} (is this machine offline?)")
    assert mirrors[0] in message and mirrors[1] in message


def test_fetch_unknown_name(tmp_path):
    with pytest.raises(UserError, match="unknown download 'cifar'; choose one of mnist, fashion-mnist"):
        fetch("cifar", tmp_path)


def test_fetch_folder_cannot_be_created(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match="cannot create"):
        fetch("mnist", tmp_path / "file" / "mnist")


def test_real_sources_have_md5_checksums():
    for name, (mirrors, files) in fetch_module.SOURCES.items():
        assert mirrors and all(m.endswith("/") for m in mirrors), name
        assert set(files) == set(FILES), name
        assert all(len(c) == 32 and int(c, 16) >= 0 for c in files.values()), name
