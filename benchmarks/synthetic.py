"""How long ``load_synthetic`` takes to generate, and to read back from its cache.

Generates ``--digits`` digits and ``--nondigits`` non-digits (default 3,000 + 1,000, a tenth
of a training set) without the cache, measuring CPU time (so other processes on the machine
do not count), extrapolates to 30,000 + 10,000 and prints the ratio to the target (180 s on
one core; ratio <= 1 meets it).  Then writes the same arrays to a temporary cache and times a
second call, which only reads the ``.npz`` file (target: under 1 s for the full set).

    python benchmarks/synthetic.py [--digits 3000] [--nondigits 1000] [--target 180]
"""

from __future__ import annotations

import argparse
import tempfile
import time

FULL = {"digits": 30000, "nondigits": 10000}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digits", type=int, default=3000)
    parser.add_argument("--nondigits", type=int, default=1000)
    parser.add_argument("--target", type=float, default=180.0, help="seconds for 30,000 + 10,000 on one core")
    args = parser.parse_args(argv)

    from handdigits.datasets import load_synthetic

    load_synthetic(10, cache=False)  # warm-up: imports, font loading
    per_image = {}
    for kind, n in (("digits", args.digits), ("nondigits", args.nondigits)):
        cpu, wall = time.process_time(), time.perf_counter()
        load_synthetic(n, kind=kind, cache=False)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        per_image[kind] = cpu / n
        print(f"{kind:9s} n={n:6d}  cpu {cpu:6.1f} s  wall {wall:6.1f} s  {cpu / n * 1e3:.2f} ms/image (cpu)")
    full = sum(per_image[k] * FULL[k] for k in FULL)
    print(f"extrapolated 30,000 digits + 10,000 non-digits: {full:.0f} s cpu; ratio to the {args.target:.0f} s target: "
          f"{full / args.target:.2f}")

    with tempfile.TemporaryDirectory() as tmp:
        load_synthetic(args.digits, data_dir=tmp)
        wall = time.perf_counter()
        load_synthetic(args.digits, data_dir=tmp)
        wall = time.perf_counter() - wall
        print(f"cached read of {args.digits} digits: {wall * 1e3:.0f} ms "
              f"(extrapolated to 30,000: {wall * 30000 / args.digits:.2f} s)")


if __name__ == "__main__":
    main()
