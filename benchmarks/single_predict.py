"""Warm single predict with the bundled model: where the time goes, and what LiteRT's options change.

Everything runs in one process, in interleaved rounds (so background load hits
every variant alike), timing each call by wall clock and by process CPU time
(which counts LiteRT's worker threads, and not other processes' work):

1. ``Classifier(...).predict(x)``, ``x`` one 28×28 uint8 MNIST test image
   (preprocessing on): the default (the quantized model; two threads where two
   CPUs are usable), ``threads=1`` and the float32 model (``quantized=False``)
   side by side, then ``threads=T`` for 3 up to the number of usable CPUs:
   p50/p90 wall, p50 CPU, and p50 as a ratio to the 0.3 ms target of issue
   #13, and the float32 model's p50 and one thread's as ratios to the
   default's;
2. the default's parts: the LiteRT ``invoke`` alone (the default's threads, input set once), the
   preprocessing (``handdigits.inputs.prepare``: checks and the MNIST fast
   path) alone and timed in place inside ``predict`` (where it runs after an
   ``invoke`` has emptied the caches), and the rest (argument checks, the
   runtime call, probabilities, the decision: p50 of 1. less the invoke and
   the preprocessing in place);
3. the arithmetic: multiply-accumulates per image (from the model's ops), the
   rate the one-thread ``invoke`` of each model achieves (against a large float32
   matrix product in numpy, per second of CPU time) and the rate 0.3 ms would need;
4. LiteRT interpreter options on the ``invoke`` alone of the quantized model: the default (XNNPACK),
   ``experimental_default_delegate_latest_features``,
   ``experimental_preserve_all_tensors`` and the built-in kernels without
   XNNPACK, with the largest output difference to the default.

Usage::

    python benchmarks/single_predict.py [--rounds 5] [--calls 400] [--data-dir DIR] [--busy N]

``--busy N`` keeps N other processes spinning on the CPU while it measures:
what the thread counts do on a machine whose cores are taken.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
import warnings

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # numpy's BLAS on one thread,
    os.environ.setdefault(_var, "1")  # so its matrix product is one core's rate (set before numpy loads it)

import numpy as np  # noqa: E402

TARGET_MS = 0.3  # issue #13: warm single predict, p50


def timed(fn, inputs, calls: int) -> tuple[list[float], list[float]]:
    """Wall and process-CPU milliseconds of ``calls`` calls of ``fn`` on ``inputs`` in turn."""
    wall, cpu = [], []
    for i in range(calls):
        x = inputs[i % len(inputs)]
        w, c = time.perf_counter(), time.process_time()
        fn(x)
        cpu.append((time.process_time() - c) * 1e3)
        wall.append((time.perf_counter() - w) * 1e3)
    return wall, cpu


def interleaved(variants: dict, inputs, rounds: int, calls: int) -> dict:
    """``{name: (wall ms, cpu ms)}`` of every variant, ``rounds`` interleaved rounds of ``calls`` calls each."""
    out = {name: ([], []) for name in variants}
    for _ in range(rounds):
        for name, fn in variants.items():
            wall, cpu = timed(fn, inputs, calls)
            out[name][0].extend(wall)
            out[name][1].extend(cpu)
    return out


def p(values, q: float) -> float:
    return float(np.percentile(values, q))


def prepare_inside(clf, images, calls: int) -> tuple[list[float], list[float]]:
    """Wall and CPU ms of the preprocessing step inside ``clf.predict`` (``handdigits.classifier.prepare``, timed in place).

    Inside ``predict`` it runs after an ``invoke`` has streamed the model's
    weights through the caches, so it is slower than the same call in a loop.
    """
    import handdigits.classifier as module

    inner, wall, cpu = module.prepare, [], []

    def timed_prepare(*args):
        w, c = time.perf_counter(), time.process_time()
        try:
            return inner(*args)
        finally:
            cpu.append((time.process_time() - c) * 1e3)
            wall.append((time.perf_counter() - w) * 1e3)

    module.prepare = timed_prepare
    try:
        timed(clf.predict, images, calls)
    finally:
        module.prepare = inner
    return wall, cpu


def print_parts(times: dict, inside: tuple[list[float], list[float]]) -> None:
    """The default predict's parts (p50 wall and CPU): invoke, preprocessing (alone and in place), the rest."""
    total = [p(v, 50) for v in times[""]]
    rows = {
        "LiteRT invoke (default), alone": [p(v, 50) for v in times["invoke alone"]],
        "preprocessing, alone": [p(v, 50) for v in times["preprocessing"]],
        "preprocessing, inside predict": [p(v, 50) for v in inside],
    }
    invoke, pre = rows["LiteRT invoke (default), alone"], rows["preprocessing, inside predict"]
    rows["the rest (predict - both)"] = [t - i - q for t, i, q in zip(total, invoke, pre)]
    print("\nparts of the default predict (p50, ms)      wall            CPU")
    for label, (wall, cpu) in rows.items():
        print(f"  {label:34s} {wall:7.3f} ({wall / total[0]:4.0%})  {cpu:7.3f} ({cpu / total[1]:4.0%})")


def multiply_accumulates(interpreter) -> int | None:
    """Multiply-accumulates per image of the convolutions and dense layers (None where LiteRT cannot list ops)."""
    try:
        ops = interpreter._get_ops_details()  # noqa: SLF001 - LiteRT has no public op listing
    except AttributeError:
        return None
    shapes = {t["index"]: [int(d) for d in t["shape"]] for t in interpreter.get_tensor_details()}
    total = 0
    for op in ops:
        if op["op_name"] == "CONV_2D":
            total += int(np.prod(shapes[op["outputs"][0]])) * int(np.prod(shapes[op["inputs"][1]][1:]))
        elif op["op_name"] == "FULLY_CONNECTED":
            total += int(np.prod(shapes[op["inputs"][1]]))
    return total


def matmul_rate(repeats: int = 7) -> float:
    """Multiply-accumulates per second of CPU time of a 1024³ float32 matrix product in numpy (BLAS, one thread)."""
    rng = np.random.default_rng(0)
    a, b = rng.random((1024, 1024), np.float32), rng.random((1024, 1024), np.float32)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        c = time.process_time()
        a @ b
        best = min(best, time.process_time() - c)
    return 1024**3 / best


def print_arithmetic(macs: int | None, invoke_cpu_ms: dict) -> None:
    """How fast each model's invoke does its arithmetic, against numpy's matrix product and the 0.3 ms target."""
    if not macs:
        return
    blas, needed = matmul_rate() / 1e9, macs / (TARGET_MS * 1e-3) / 1e9
    print(f"\narithmetic: {macs / 1e6:.1f} M multiply-accumulates per image; a 1024³ float32 matrix product in "
          f"numpy runs {blas:.0f} G/s; {TARGET_MS} ms in all would need {needed:.0f} G/s for the invoke alone")
    for name, ms in invoke_cpu_ms.items():
        rate = macs / (ms * 1e-3) / 1e9
        print(f"  1-thread invoke, {name:9s}: {rate:4.0f} G/s of CPU time ({rate / blas:.0%} of numpy's rate; "
              f"the target needs {needed / rate:.1f}× this)")


def interpreters(data: bytes) -> dict:
    """LiteRT interpreters of the model (one thread) with the options compared, input allocated for one image."""
    from ai_edge_litert.interpreter import OpResolverType

    options = {
        "default (XNNPACK), 1 thread": {},
        "latest XNNPACK features": {"experimental_default_delegate_latest_features": True},
        "preserve all tensors": {"experimental_preserve_all_tensors": True},
        "built-in kernels, no XNNPACK": {"experimental_op_resolver_type": OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES},
    }
    return {name: interpreter(data, **kwargs) for name, kwargs in options.items()}


def interpreter(data: bytes, threads: int = 1, **options):
    """One LiteRT interpreter of the model with ``threads`` threads and ``options``, input allocated for one image."""
    from ai_edge_litert.interpreter import Interpreter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # preserve_all_tensors: "intended for debugging purposes only"
        it = Interpreter(model_content=data, num_threads=threads, **options)
    it.allocate_tensors()
    return it


def print_options(made: dict, x: np.ndarray, rounds: int, calls: int) -> None:
    outputs = {}
    for name, it in made.items():
        it.set_tensor(it.get_input_details()[0]["index"], x)
        it.invoke()
        outputs[name] = it.get_tensor(it.get_output_details()[0]["index"]).copy()
    reference = outputs[next(iter(outputs))]
    times = interleaved({name: (lambda _, it=it: it.invoke()) for name, it in made.items()}, [None], rounds, calls)
    base = p(times[next(iter(times))][0], 50)
    print("\nLiteRT options, invoke alone (ms)         p50 wall  p50 CPU  ratio to default  max |output diff|")
    for name, (wall, cpu) in times.items():
        diff = float(np.abs(outputs[name] - reference).max())
        print(f"  {name:38s} {p(wall, 50):8.3f} {p(cpu, 50):8.3f} {p(wall, 50) / base:13.2f}×       {diff:.1e}")


def print_predict(times: dict, classifiers: dict, args) -> None:
    """p50/p90 wall, p50 CPU of each classifier's predict; ratios to the target and of float32 to the default."""
    print(f"\nwarm single predict, 28x28 uint8, preprocessing on ({args.rounds} x {args.calls} calls, ms)")
    print("                                         p50 wall  p90 wall  p50 CPU  p50 / 0.3 ms target")
    for name in classifiers:
        wall, cpu = times[name]
        p50, p90, cpu50 = p(wall, 50), p(wall, 90), p(cpu, 50)
        label = f"Classifier({name}).predict" + (" (default)" if not name else "")
        print(f"  {label:38s} {p50:8.3f}  {p90:8.3f} {cpu50:8.3f}  {p50 / TARGET_MS:8.2f}×")
    (qw, qc), (fw, fc), (ow, oc) = ([p(v, 50) for v in times[k]] for k in ("", "quantized=False", "threads=1"))
    print(f"  float32 / default: {fw / qw:.2f}× wall, {fc / qc:.2f}× CPU; threads=1 / default: {ow / qw:.2f}× wall, "
          f"{oc / qc:.2f}× CPU")
    print(f"  default p50 {qw:.3f} ms wall, "
          f"{qc:.3f} ms CPU: {'meets' if qw <= TARGET_MS else 'misses'} the {TARGET_MS} ms target by wall clock, "
          f"{'meets' if qc <= TARGET_MS else 'misses'} it by CPU time")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default: 5)")
    parser.add_argument("--calls", type=int, default=400, help="calls per variant and round (default: 400)")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--no-options", action="store_true", help="skip the LiteRT options table")
    parser.add_argument("--busy", type=int, default=0, metavar="N",
                        help="keep N processes spinning on the CPU while measuring (default: 0)")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.calls < 1 or args.busy < 0:
        parser.error("--rounds and --calls must be >= 1, --busy >= 0")
    spinners = [multiprocessing.Process(target=spin, daemon=True) for _ in range(args.busy)]
    for proc in spinners:
        proc.start()
    try:
        return measure(args)
    finally:
        for proc in spinners:
            proc.terminate()


def spin() -> None:
    """Keep one CPU busy until terminated (``--busy``)."""
    while True:
        pass


def measure(args) -> int:

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from predict import load_images  # the MNIST test set, else the bundled samples

    from handdigits import Classifier
    from handdigits.inputs import prepare
    from handdigits.runtime import SINGLE_THREADS, litert_available, usable_cpus
    from handdigits.weights import bundled

    if not litert_available():
        print("LiteRT (pip install ai-edge-litert) is not installed: nothing to measure")
        return 0

    images, source = load_images(args.data_dir)
    images = list(images[:200])
    cpus = usable_cpus()
    default_threads = min(SINGLE_THREADS, cpus)
    print(f"images: {source}; usable cpus: {cpus}; {args.busy} spinning processes beside; "
          f"load average {os.getloadavg()[0]:.1f} at the start")

    options = {"": {}, "threads=1": {"threads": 1}, "quantized=False": {"quantized": False}}
    options.update({f"threads={t}": {"threads": t} for t in range(3, cpus + 1)[:2]})
    classifiers = {name: Classifier(**kwargs) for name, kwargs in options.items()}
    for clf in classifiers.values():  # warm up (first-call allocations)
        timed(clf.predict, images, 50)
    quantized = (bundled() / "model-quantized.tflite").read_bytes()
    made = interpreters(quantized)
    single = made["default (XNNPACK), 1 thread"]
    exact = interpreter((bundled() / "model.tflite").read_bytes())
    default_invoke = interpreter(quantized, threads=default_threads)
    x = images[0][None, :, :, None].astype(np.float32)
    for it in (single, exact, default_invoke):
        it.set_tensor(it.get_input_details()[0]["index"], x)

    variants = {name: clf.predict for name, clf in classifiers.items()}
    variants["invoke alone"] = lambda _: default_invoke.invoke()
    variants["invoke alone, 1 thread"] = lambda _: single.invoke()
    variants["invoke alone, float32"] = lambda _: exact.invoke()
    variants["preprocessing"] = lambda image: prepare(image, True, "raise")
    times = interleaved(variants, images, args.rounds, args.calls)
    print_predict(times, classifiers, args)
    print_parts(times, prepare_inside(classifiers[""], images, args.rounds * args.calls))

    invokes = {"quantized": p(times["invoke alone, 1 thread"][1], 50), "float32": p(times["invoke alone, float32"][1], 50)}
    print_arithmetic(multiply_accumulates(exact), invokes)
    if not args.no_options:
        print_options(made, x, args.rounds, max(50, args.calls // 4))
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
