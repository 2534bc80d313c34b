"""How long ``import handdigits`` takes in a fresh interpreter (target: at most 0.3 s).

Runs ``python -c "import handdigits"`` and the baseline ``python -c pass`` in
alternation, several times each, and prints the medians:

- the import itself, timed inside the child with ``time.perf_counter``;
- the whole child process, and its ratio to the baseline process.

Also checks that the import left TensorFlow and Keras unloaded.

Usage: ``python benchmarks/import_time.py [--runs N] [--target SECONDS] [--check]``
(``--check`` exits with status 1 when the target is missed).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

CHILD = (
    "import json, sys, time\n"
    "t = time.perf_counter()\n"
    "import handdigits\n"
    "t = time.perf_counter() - t\n"
    "heavy = sorted(m for m in ('tensorflow', 'keras') if m in sys.modules)\n"
    "print(json.dumps({'import_s': t, 'heavy': heavy}))\n"
)


def _timed(code: str) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return time.perf_counter() - start, proc.stdout


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=9, help="fresh interpreters per measurement (default: 9)")
    parser.add_argument("--target", type=float, default=0.3, help="target import time in seconds (default: 0.3)")
    parser.add_argument("--check", action="store_true", help="exit with status 1 when the target is missed")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error(f"--runs must be >= 1, got {args.runs}")

    _timed("import handdigits")  # warm the file-system cache and the bytecode
    imports, processes, baselines, heavy = [], [], [], set()
    for _ in range(args.runs):
        wall, out = _timed(CHILD)
        record = json.loads(out.strip().splitlines()[-1])
        imports.append(record["import_s"])
        heavy.update(record["heavy"])
        processes.append(wall)
        baselines.append(_timed("pass")[0])

    imp = statistics.median(imports)
    proc = statistics.median(processes)
    base = statistics.median(baselines)
    met = imp <= args.target and not heavy
    print(f"python {sys.version.split()[0]} ({sys.executable}), {args.runs} fresh interpreters each")
    print(f"import handdigits (in-process, median):  {imp * 1000:7.1f} ms   target <= {args.target * 1000:.0f} ms")
    print(f"python -c 'import handdigits' (median):  {proc * 1000:7.1f} ms")
    print(f"python -c pass baseline (median):        {base * 1000:7.1f} ms")
    print(f"ratio process / baseline:                {proc / base:7.2f}x")
    print(f"TensorFlow/Keras loaded by the import:   {', '.join(sorted(heavy)) or 'no'}")
    print(f"target met: {'yes' if met else 'NO'}")
    return 1 if args.check and not met else 0


if __name__ == "__main__":
    sys.exit(main())
