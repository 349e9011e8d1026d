"""Small tables and trained checkpoints for the tests of predict and export (no textual, no real data sets)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from helpers import make_config
from tui_dl.engine.training.checkpoint import save_checkpoint
from tui_dl.engine.config import RunConfig
from tui_dl.engine.data.prepare import split_indices
from tui_dl.engine.training.trainer import Trainer

HEADER = ["row_id", "size", "colour", "bought", "weight", "label", "price"]


def shop_rows(n: int = 120, seed: int = 0) -> list[list[str]]:
    """Rows like a real table: an ID, a number with gaps (`size`), a category with gaps (`colour`), a date,
    a number without gaps, a class target (`label`) and a value target (`price`)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        size = rng.uniform(1, 10)
        colour = ("red", "green", "blue")[i % 3]
        weight = rng.normal(5, 2)
        day = 1 + int(rng.integers(0, 28))
        label = "big" if size + (colour == "red") * 2 + rng.normal(0, 1) > 6 else "small"
        price = 3 * size + weight + (colour == "blue") * 4 + rng.normal(0, 0.5)
        rows.append([str(1000 + i), "" if i % 7 == 0 else f"{size:.3f}", "NA" if i % 11 == 5 else colour,
                     f"2024-03-{day:02d}", f"{weight:.3f}", label, f"{price:.2f}"])
    return rows


def write_csv(path: Path, header: list[str], rows: list[list[str]], delimiter: str = ",") -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def shop_csv(folder: Path, n: int = 120) -> Path:
    return write_csv(folder / "shop.csv", HEADER, shop_rows(n))


def shop_config(path: Path, target: str = "label", epochs: int = 3, **train) -> RunConfig:
    config = make_config(str(path), epochs=epochs, **train)
    config.data.target = target
    config.data.exclude = ["price" if target == "label" else "label"]
    return config


def trained(config: RunConfig) -> Trainer:
    trainer = Trainer(config)
    finished = trainer.run()
    assert finished.status == "completed", finished.message
    return trainer


def saved(trainer: Trainer, path: Path) -> Path:
    return save_checkpoint(trainer.checkpoint_state(), path)


def validation_rows(trainer: Trainer, rows: list[list[str]]) -> list[list[str]]:
    """The rows of the validation split, as the table held them (every row of `rows` has a target)."""
    _, val, _ = split_indices(len(rows), trainer.config.data)
    return [rows[i] for i in val]


def without(header: list[str], rows: list[list[str]], name: str) -> tuple[list[str], list[list[str]]]:
    """The table without column `name`."""
    j = header.index(name)
    return header[:j] + header[j + 1:], [row[:j] + row[j + 1:] for row in rows]
