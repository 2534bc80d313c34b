"""Cold start, memory and latency of prediction with the bundled model: LiteRT against TensorFlow.

Each measurement runs in fresh Python processes (median of ``--runs``), for the
default classifier (LiteRT on the shipped ``.tflite``, no TensorFlow) and for
``Classifier(fast_path=False)`` (the Keras model in TensorFlow, which every
prediction used before LiteRT):

1. ``handdigits predict SAMPLE`` (the CLI as installed; LiteRT only): wall
   time, CPU time and peak RSS of the process (``os.wait4``);
2. the same prediction from a script: wall, CPU and peak RSS;
3. ``import handdigits; Classifier()``;
4. the first prediction in a fresh process with an empty cache directory;
5. warm single-image latency, one 28×28 uint8 array with preprocessing, p50/p90.

CPU time is printed next to wall time because wall time on a shared machine
counts other processes' work too.  ``--write-docs`` puts the table into
``docs/classifier.md`` between ``<!-- cold-start:begin -->`` and
``<!-- cold-start:end -->``.

    python benchmarks/cold_start.py [--runs 5] [--write-docs]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs" / "classifier.md"
sys.path.insert(0, str(REPO / "scripts"))

from docs_block import write_between  # noqa: E402

BEGIN, END = "<!-- cold-start:begin -->", "<!-- cold-start:end -->"

CHILD = """
import json, sys, time
t0, c0 = time.perf_counter(), time.process_time()
import numpy as np
from handdigits import Classifier
from handdigits.samples import list_samples
clf = Classifier(fast_path={fast})
t1, c1 = time.perf_counter(), time.process_time()
clf.predict(list_samples()[3])
t2, c2 = time.perf_counter(), time.process_time()
x = np.zeros((28, 28), np.uint8); x[5:23, 12:16] = 255
lat, cpu = [], []
for _ in range({n}):
    a, b = time.perf_counter(), time.process_time()
    clf.predict(x)
    lat.append(time.perf_counter() - a); cpu.append(time.process_time() - b)
print(json.dumps({{"construct": t1 - t0, "construct_cpu": c1 - c0, "first": t2 - t1, "first_cpu": c2 - c1,
                  "lat": lat, "lat_cpu": cpu, "tf": "tensorflow" in sys.modules}}))
"""


def run(cmd: list[str], env: dict) -> dict:
    """Run ``cmd``; its wall time, CPU time, peak RSS (MB) and stdout."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}")
    scale = 1024 if sys.platform != "darwin" else 1024 * 1024  # ru_maxrss: KiB on Linux, bytes on macOS
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss": usage.ru_maxrss / scale, "out": out}


def median(rows: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def measure(runs: int, n_latency: int) -> dict:
    from handdigits.samples import list_samples

    sample = str(list_samples()[3])
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ)
        cli = [sys.executable, "-m", "handdigits", "predict", sample]
        run(cli, env)  # warm the file-system cache
        results["cli"] = [run(cli, env) for _ in range(runs)]
        for name, fast in (("litert", True), ("tensorflow", False)):
            rows = []
            for i in range(runs):
                env["XDG_CACHE_HOME"] = os.path.join(tmp, f"{name}-{i}")  # empty cache every time
                row = run([sys.executable, "-c", CHILD.format(fast=fast, n=n_latency)], env)
                row.update(json.loads(row.pop("out").strip().splitlines()[-1]))
                rows.append(row)
            results[name] = rows
    return results


def table(results: dict) -> str:
    lite, tf, cli = results["litert"], results["tensorflow"], results["cli"]

    def p(rows, q, key="lat"):
        lat = sorted(x for r in rows for x in r[key])
        return lat[int(q * (len(lat) - 1))] * 1e3

    lines = [
        "| measurement | LiteRT (default) | TensorFlow (`fast_path=False`) | ratio |",
        "|---|---|---|---|",
        f"| `handdigits predict FILE`, cold process: wall / CPU | {median(cli, 'wall'):.2f} s / {median(cli, 'cpu'):.2f} s | | |",
        f"| `handdigits predict FILE`: peak RSS | {median(cli, 'rss'):.0f} MB | | |",
    ]
    for label, key, fmt, unit in (
        ("script: import + `Classifier()` + one prediction, wall", "wall", "{:.2f}", "s"),
        ("script: CPU time", "cpu", "{:.2f}", "s"),
        ("script: peak RSS", "rss", "{:.0f}", "MB"),
        ("`import handdigits; Classifier()`, wall", "construct", "{:.2f}", "s"),
        ("`import handdigits; Classifier()`, CPU", "construct_cpu", "{:.2f}", "s"),
        ("first prediction, empty cache, wall", "first", "{:.3f}", "s"),
        ("first prediction, empty cache, CPU", "first_cpu", "{:.3f}", "s"),
    ):
        a, b = median(lite, key), median(tf, key)
        lines.append(f"| {label} | {fmt.format(a)} {unit} | {fmt.format(b)} {unit} | {b / a:.1f}× |")
    a50, b50, a90, b90 = p(lite, 0.5), p(tf, 0.5), p(lite, 0.9), p(tf, 0.9)
    lines.append(f"| warm single predict (28×28, preprocessing on), p50 | {a50:.2f} ms | {b50:.2f} ms | {b50 / a50:.1f}× |")
    lines.append(f"| warm single predict, p90 | {a90:.2f} ms | {b90:.2f} ms | {b90 / a90:.1f}× |")
    a50, b50 = p(lite, 0.5, "lat_cpu"), p(tf, 0.5, "lat_cpu")
    lines.append(f"| warm single predict, CPU time, p50 | {a50:.2f} ms | {b50:.2f} ms | {b50 / a50:.1f}× |")
    tf_loaded = "yes" if any(r["tf"] for r in lite) else "no"
    lines.append(f"| TensorFlow imported | {tf_loaded} | yes | |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per measurement (default: 5)")
    parser.add_argument("--latency-calls", type=int, default=300, help="warm single predictions per process")
    parser.add_argument("--write-docs", action="store_true", help=f"update the table in {DOCS.relative_to(REPO)}")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error(f"--runs must be >= 1, got {args.runs}")

    results = measure(args.runs, args.latency_calls)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    header = (
        f"_Generated by `python benchmarks/cold_start.py --runs {args.runs} --write-docs` on "
        f"{time.strftime('%Y-%m-%d', time.gmtime())}: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, load average {load:.1f} at the end (wall times include other processes' "
        f"work; CPU times do not); medians of {args.runs} fresh processes._"
    )
    text = f"{header}\n\n{table(results)}"
    print(text)
    if args.write_docs:
        write_between(DOCS, BEGIN, END, text)
        print(f"wrote {DOCS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
