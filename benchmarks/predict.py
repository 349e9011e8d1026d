"""`tui-dl predict` on a large CSV: rows per second and the memory it takes, which must not grow with the file.

A diamonds-like table (carat, cut, colour, clarity, depth, table, price, x, y, z: numbers with gaps and
three categorical columns) of ROWS rows is written to a temp folder, a small model is trained on its first
5,000 rows, and the whole file is predicted into another CSV, in a fresh process so its peak RSS is its own.

    .venv/bin/python -m benchmarks.predict              # 1,000,000 rows
    .venv/bin/python -m benchmarks.predict --rows 100000
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CUTS = ["Fair", "Good", "Very Good", "Premium", "Ideal"]
COLOURS = list("DEFGHIJ")
CLARITY = ["I1", "SI2", "SI1", "VS2", "VS1", "VVS2", "VVS1", "IF"]
BLOCK = 100_000


def write_table(path: Path, rows: int) -> None:
    """`rows` diamonds-like rows, written a block at a time."""
    rng = np.random.default_rng(0)
    with path.open("w") as out:
        out.write("id,carat,cut,color,clarity,depth,table,price,x,y,z\n")
        for start in range(0, rows, BLOCK):
            n = min(BLOCK, rows - start)
            carat = rng.gamma(2.0, 0.4, n)
            cut, colour, clarity = rng.integers(0, 5, n), rng.integers(0, 7, n), rng.integers(0, 8, n)
            depth, table = rng.normal(61.7, 1.4, n), rng.normal(57.4, 2.2, n)
            price = 3900 * carat ** 1.6 * (1 + 0.05 * cut) * (1 - 0.04 * colour) * (1 + 0.06 * clarity)
            x = 6.5 * carat ** (1 / 3)
            gaps = rng.random(n) < 0.01
            lines = [f"{start + i},{'' if gaps[i] else f'{carat[i]:.2f}'},{CUTS[cut[i]]},{COLOURS[colour[i]]},"
                     f"{CLARITY[clarity[i]]},{depth[i]:.1f},{table[i]:.0f},{price[i]:.0f},{x[i]:.2f},{x[i]:.2f},"
                     f"{0.62 * x[i]:.2f}\n" for i in range(n)]
            out.writelines(lines)


def child(checkpoint: str, source: str, target: str) -> None:
    """Predict in this (fresh) process and print seconds and peak RSS in MiB."""
    from tui_dl.engine.use.predict import predict_file
    from tui_dl.engine.use.predictor import Predictor

    predictor = Predictor.load(Path(checkpoint))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    with open(target, "w", newline="") as out:
        report = predict_file(predictor, Path(source), out)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{report.rows} {seconds:.2f} {before:.0f} {peak:.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    import torch

    from tui_dl.engine.config import DataConfig, ModelConfig, RunConfig, TrainConfig
    from tui_dl.engine.training.checkpoint import save_checkpoint
    from tui_dl.engine.training.trainer import Trainer

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        big, small = folder / "big.csv", folder / "small.csv"
        started = time.perf_counter()
        write_table(big, args.rows)
        write_table(small, 5_000)
        print(f"wrote {args.rows:,} rows ({big.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - started:.1f} s")
        config = RunConfig(DataConfig(dataset=str(small), target="price"), ModelConfig(layers=2, neurons=[32]),
                           TrainConfig(epochs=3, device="cpu"))
        trainer = Trainer(config)
        trainer.run()
        checkpoint = save_checkpoint(trainer.checkpoint_state(), folder / "model.pt")
        result = subprocess.run([sys.executable, "-m", "benchmarks.predict", "--child", str(checkpoint), str(big),
                                 str(folder / "out.csv")], capture_output=True, text=True, check=True)
        rows, seconds, before, peak = result.stdout.split()
        print(f"predicted {int(rows):,} rows in {float(seconds):.1f} s ({int(rows) / float(seconds):,.0f} rows/s); "
              f"peak RSS {peak} MiB ({int(peak) - int(before)} MiB above the {before} MiB after loading the model); "
              f"output {(folder / 'out.csv').stat().st_size / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
