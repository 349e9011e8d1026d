"""Run every benchmark, print the tables and write them as JSON.

    python -m benchmarks.run            # the full set (about 5 minutes on a 2-core CPU)
    python -m benchmarks.run --quick    # a smaller data set and one repeat: a smoke run
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

import torch
from rich.console import Console
from rich.table import Table

from benchmarks import loops, ui_bench
from benchmarks.workload import make_data, mnist_like, spiral_like

VARIANTS = {
    "seed loop": loops.measure_seed_loop,
    "tight loop": loops.measure_tight_loop,
    "engine": loops.measure_engine,
    "engine + record": loops.measure_engine_recorded,
    "engine + UI": loops.measure_engine_in_ui,
    "UI + insights": loops.measure_engine_in_ui_insights,
    "Lightning": loops.measure_lightning,
}


def machine(device: torch.device) -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() \
        else platform.processor()
    info = {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "torch": torch.__version__,
            "device": str(device), "date": datetime.date.today().isoformat()}
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info


def measure_in_fresh_process(variant: str, workload: str, batch: int, samples: int, device: torch.device) -> float | None:
    """One measurement in a new Python process: torch's OpenMP thread pools from one variant (the main
    thread's, a finished run's) must not slow the next, and each variant starts as a user's process would."""
    out = subprocess.run([sys.executable, "-m", "benchmarks.run", "--measure", variant, workload, str(batch),
                          str(samples), str(device)], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parent.parent)
    value = out.stdout.strip().splitlines()[-1]
    return None if value == "None" else float(value)


WORKLOADS = {"mnist": mnist_like, "spiral": spiral_like}


def throughput(device: torch.device, samples: int, repeats: int) -> list[dict]:
    """Training samples/s of every variant on every workload, variants alternated in each repeat."""
    rows = []
    for kind, batch, count in (("mnist", 32, samples), ("mnist", 256, samples), ("spiral", 32, samples // 3)):
        workload = WORKLOADS[kind](batch, count)
        figures: dict[str, list[float]] = {name: [] for name in VARIANTS}
        for _ in range(repeats):
            for name in VARIANTS:
                value = measure_in_fresh_process(name, kind, batch, count, device)
                if value is not None:
                    figures[name].append(value)
        row = {"workload": workload.name, "samples": count}
        row.update({name: statistics.median(values) if values else None for name, values in figures.items()})
        rows.append(row)
    return rows


def first_frame(repeats: int) -> dict:
    times: dict[str, list[float]] = {"bare Textual app": [], "tui-dl": []}
    for _ in range(repeats):
        times["bare Textual app"].append(ui_bench.first_frame_seconds("bare"))
        times["tui-dl"].append(ui_bench.first_frame_seconds("tui-dl"))
    return {name: statistics.median(values) for name, values in times.items()}


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a and b else "-"


def print_tables(console: Console, result: dict) -> None:
    console.print(f"[b]machine[/b] {result['machine']}")
    table = Table(title="training throughput, samples/s (median)", title_justify="left")
    for column in ("workload", *VARIANTS, "engine / tight", "record / engine", "UI / engine", "insights / UI",
                   "engine / seed"):
        table.add_column(column, justify="left" if column == "workload" else "right")
    for row in result["throughput"]:
        cells = [f"{row[name]:,.0f}" if row[name] else "not installed" for name in VARIANTS]
        table.add_row(row["workload"], *cells, ratio(row["engine"], row["tight loop"]),
                      ratio(row["engine + record"], row["engine"]), ratio(row["engine + UI"], row["engine"]),
                      ratio(row["UI + insights"], row["engine + UI"]), ratio(row["engine"], row["seed loop"]))
    console.print(table)
    frame = result["first_frame_s"]
    console.print(f"first frame: tui-dl {frame['tui-dl']:.2f} s, bare Textual app {frame['bare Textual app']:.2f} s")
    latency = result["key_latency_ms"]
    console.print(f"key press to screen while training: p50 {latency['p50']:.1f} ms, p95 {latency['p95']:.1f} ms")
    charts = Table(title="chart redraw (both charts, 120x40)", title_justify="left")
    for column in ("recorded steps", "render ms", "peak alloc MiB", "history MiB"):
        charts.add_column(column, justify="right")
    for row in result["charts"]:
        charts.add_row(f"{row['steps']:,}", f"{row['render_ms']:.1f}", f"{row['peak_alloc_mb']:.1f}",
                       f"{row['history_mb']:.1f}")
    console.print(charts)
    first, last = result["charts"][0], result["charts"][-1]
    console.print(f"render at {last['steps']:,} steps / at {first['steps']:,}: "
                  f"{last['render_ms'] / first['render_ms']:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="6,000 samples and one repeat")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None, help="JSON file (default: benchmarks/results/...)")
    parser.add_argument("--measure", nargs=5, metavar=("VARIANT", "WORKLOAD", "BATCH", "SAMPLES", "DEVICE"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        variant, kind, batch, count, device = args.measure
        workload = WORKLOADS[kind](int(batch), int(count))
        print(VARIANTS[variant](workload, *make_data(workload), torch.device(device)))
        return
    device = torch.device(args.device)
    repeats = args.repeats or (1 if args.quick else 5)
    samples = 6_000 if args.quick else 60_000
    result = {
        "machine": machine(device),
        "throughput": throughput(device, samples, repeats),
        "first_frame_s": first_frame(repeats),
        "key_latency_ms": dict(zip(("p50", "p95"), ui_bench.key_latency_ms(40 if args.quick else 200))),
        "charts": ui_bench.chart_render(),
    }
    print_tables(Console(width=160), result)
    out = args.out or Path(__file__).parent / "results" / f"{result['machine']['date']}-{device.type}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    Console().print(f"written to {out}")


if __name__ == "__main__":
    main()
