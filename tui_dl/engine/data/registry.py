"""The registry of data sets: built-in synthetic ones, shipped real ones, and users' files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tui_dl.engine.config import DataConfig
from tui_dl.engine.data.rawdata import RawData
from tui_dl.engine.errors import DataError
from tui_dl.i18n import N_, _
from tui_dl.paths import datasets_dir


@dataclass(frozen=True)
class DatasetSpec:
    """A registered data set: what it is and how to load it."""

    name: str
    task: str
    description: str
    source: str
    knobs: tuple[str, ...]
    load: Callable[[DataConfig], RawData]
    file: str | None = None  # a shipped CSV file in datasets/
    generator: str | None = None  # a synthetic set's function in engine.data.synthetic


PLAYGROUND = N_("synthetic (Playground)")
LECTURE = N_("synthetic (lecture)")


def _synthetic(name: str, task: str, generator: str, description: str, source: str = PLAYGROUND,
               classes: tuple[str, ...] = ("0", "1")) -> DatasetSpec:
    def load(cfg: DataConfig) -> RawData:
        import numpy as np

        from tui_dl.engine.data import synthetic

        x, y = getattr(synthetic, generator)(cfg.samples, cfg.noise, np.random.default_rng(cfg.seed))
        features = ["x1", "x2"] if x.shape[1] == 2 else ["x"]
        return RawData(name, task, x.astype(np.float32), y if task == "classification" else y.astype(np.float32),
                       features, list(classes) if task == "classification" else [], source)

    return DatasetSpec(name, task, description, source, ("samples", "noise"), load, generator=generator)


def _daily_views(cfg: DataConfig) -> RawData:
    import numpy as np

    from tui_dl.engine.data.synthetic import views_windows

    x, y = views_windows(cfg.samples, cfg.window, cfg.noise, np.random.default_rng(cfg.seed))
    names = [f"views t-{cfg.window - i}" for i in range(cfg.window)]
    return RawData("daily-views", "regression", x.astype(np.float32), y.astype(np.float32), names, [], LECTURE,
                   [f"input: views of the last {cfg.window} day(s), thousands"], ordered=True)


def _shipped(name: str, file: str, target: str, task: str, description: str, source: str,
             image_shape: tuple[int, int] | None = None) -> DatasetSpec:
    def load(cfg: DataConfig) -> RawData:
        from tui_dl.engine.data.files import load_csv

        raw = load_csv(datasets_dir() / file, target, task)
        raw.name, raw.source, raw.image_shape = name, source, image_shape
        return raw

    return DatasetSpec(name, task, description, source, (), load, file)


REGISTRY: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        _synthetic("circle", "classification", "circle", N_("a disc inside a ring"), classes=("outside", "inside")),
        _synthetic("xor", "classification", "xor", N_("quadrants: same sign vs different sign"), classes=("different", "same")),
        _synthetic("gauss", "classification", "gauss", N_("two Gaussian clouds")),
        _synthetic("spiral", "classification", "spiral", N_("two interleaved spiral arms"), classes=("arm B", "arm A")),
        _synthetic("plane", "regression", "plane", N_("a tilted plane over 2-D inputs")),
        _synthetic("gauss-bumps", "regression", "gauss_bumps", N_("six Gaussian bumps over 2-D inputs")),
        _synthetic("sine", "regression", "sine", N_("y = sin(x), a 1-D curve"), LECTURE),
        _synthetic("piecewise", "regression", "piecewise", N_("a piecewise-linear 1-D curve (sum of hard sigmoids)"), LECTURE),
        DatasetSpec("daily-views", "regression", N_("tomorrow's views from the last 1 or 7 days (weekly cycle)"),
                    LECTURE, ("samples", "noise", "window"), _daily_views, generator="views_windows"),
        _shipped("digits", "digits.csv", "digit", "classification", N_("handwritten digits, 8x8 pixels"),
                 "UCI Optical Recognition of Handwritten Digits", image_shape=(8, 8)),
        _shipped("iris", "iris.csv", "species", "classification", N_("iris flowers, 3 species"), "Fisher's Iris (UCI)"),
        _shipped("wine", "wine.csv", "cultivar", "classification", N_("wines from 3 cultivars"), "UCI Wine"),
        _shipped("breast-cancer", "breast_cancer.csv", "diagnosis", "classification",
                 N_("breast tumour cells, malignant or benign"), "UCI Breast Cancer Wisconsin (Diagnostic)"),
        _shipped("diabetes", "diabetes.csv", "progression", "regression", N_("disease progression after one year"),
                 "Efron et al. (2004) diabetes data"),
    )
}


def load_raw(cfg: DataConfig) -> RawData:
    """Load the configured data set: a registered name, or a CSV / NPZ / IDX path."""
    spec = REGISTRY.get(cfg.dataset)
    if spec is not None:
        if cfg.target is not None or cfg.exclude or cfg.include:
            raise DataError(_("--target, --exclude and --include apply to CSV files; {name} is a built-in data set").format(
                                name=spec.name))
        raw = spec.load(cfg)
        if cfg.task not in ("auto", raw.task):
            raise DataError(_("{name} is a {task} data set; --task {task2} does not apply").format(
                                name=spec.name, task=_(raw.task), task2=cfg.task))
        return raw
    path = Path(cfg.dataset).expanduser()
    if not path.exists():
        names = ", ".join(REGISTRY)
        raise DataError(_("unknown data set {dataset!r}: not a built-in name ({names}) nor an existing file").format(
                            dataset=cfg.dataset, names=names))
    from tui_dl.engine.data.files import load_file

    return load_file(path, cfg.target, cfg.task, cfg.exclude, cfg.include, cfg.missing)
