"""Load test of ``handdigits serve`` on 127.0.0.1: latency percentiles and requests/s of POST /api/predict.

Starts the app with uvicorn in a separate process (bundled model), then sends
``--requests`` requests from ``--concurrency`` client threads (keep-alive
connections, standard library only) and prints p50/p90/p99 latency,
requests/s and errors for two inputs: a 28x28 MNIST-format digit and a
280x280 canvas drawing (PNG, as the page sends).  Target (issue 14): zero
errors and p99 <= 50 ms for single-digit predictions on 2 cores; the printed
ratio p99/50 ms is <= 1 when met.

    python benchmarks/serve_load.py [--requests 2000] [--concurrency 16] [--inputs mnist canvas]
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time

import numpy as np
from PIL import Image, ImageDraw

TARGET_P99_MS = 50.0


def inputs() -> dict[str, bytes]:
    """PNG bodies: an MNIST-format digit (from a bundled sample) and a 280x280 canvas drawing of a 7."""
    from handdigits.preprocess import to_mnist
    from handdigits.samples import list_samples

    def png(img: Image.Image) -> bytes:
        buffer = io.BytesIO()
        img.save(buffer, format="PNG")
        return buffer.getvalue()

    canvas = Image.new("L", (280, 280), 255)
    ImageDraw.Draw(canvas).line([(60, 50), (220, 50), (120, 250)], fill=0, width=20, joint="curve")
    return {"mnist": png(Image.fromarray(to_mnist(list_samples()[7]))), "canvas": png(canvas)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "handdigits.serve:create_app",
           "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    proc = subprocess.Popen(cmd, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with status {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("server did not start within 180 s")


def load(port: int, body: bytes, n: int, concurrency: int):
    """Latencies (s), server timings (ms) and error count of ``n`` POSTs from ``concurrency`` threads."""
    latencies, server_ms, errors = [], [], []
    counter = iter(range(n))
    lock = threading.Lock()

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                if next(counter, None) is None:
                    return
            start = time.perf_counter()
            try:
                conn.request("POST", "/api/predict", body=body, headers={"Content-Type": "image/png"})
                response = conn.getresponse()
                data = response.read()
                elapsed = time.perf_counter() - start
                if response.status != 200:
                    raise RuntimeError(f"HTTP {response.status}: {data[:200]!r}")
                timing = json.loads(data)["timing"]
                with lock:
                    latencies.append(elapsed)
                    server_ms.append([timing[k] for k in ("total_ms", "decode_ms", "preprocess_ms", "predict_ms")])
            except Exception as exc:  # noqa: BLE001 - counted and reported
                with lock:
                    errors.append(repr(exc))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return np.array(latencies), np.array(server_ms), errors, time.perf_counter() - started


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--inputs", nargs="+", default=["mnist", "canvas"], choices=["mnist", "canvas"])
    args = parser.parse_args(argv)

    bodies = inputs()
    port = free_port()
    server = start_server(port)
    try:
        print(f"handdigits serve on 127.0.0.1:{port}; {args.requests} requests, {args.concurrency} concurrent; "
              f"{os.cpu_count()} CPUs")
        for name in args.inputs:
            load(port, bodies[name], 50, args.concurrency)  # warm-up
            lat, server_ms, errors, wall = load(port, bodies[name], args.requests, args.concurrency)
            p50, p90, p99 = (np.percentile(lat, q) * 1000 for q in (50, 90, 99))
            print(f"{name:>6} ({len(bodies[name])} B PNG): p50 {p50:6.1f} ms  p90 {p90:6.1f} ms  p99 {p99:6.1f} ms  "
                  f"{len(lat) / wall:6.1f} req/s  errors {len(errors)}  "
                  f"p99/{TARGET_P99_MS:.0f}ms = {p99 / TARGET_P99_MS:.2f}")
            total, decode, prep, model = np.median(server_ms, axis=0)
            print(f"{'':>6}  server medians: total {total:.1f} ms (queue included), decode {decode:.2f} ms, "
                  f"preprocess {prep:.2f} ms, model {model:.2f} ms")
            for e in errors[:3]:
                print("   error:", e)
    finally:
        server.terminate()
        server.wait(30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
