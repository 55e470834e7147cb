"""Load test: N concurrent gradio_client clients × M requests against a running app.

Starts ``python app.py`` on a free port (or uses ``--url``), fires the requests, and prints failed
calls, the latency distribution and the server's RSS before and after (from ``/stats``).
Not a test: the README quotes its numbers. Only loopback addresses are used.

    python -m benchmarks.load --clients 8 --requests 63 --image photo.jpg
    python -m benchmarks.load --flood 80 --image photo.jpg   # the page while POST /api/remove is flooded

``--flood N``: N concurrent ``POST /api/remove?tta=true&multiscale=true`` calls while ``GET /`` and
``GET /config`` are timed over and over; prints their p50/p95 on a quiet server and during the flood
(and the ratio), and how the flood's calls were answered (200, or 503 with ``Retry-After``).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent


def start_app() -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": str(REPO),
    }
    process = subprocess.Popen(
        [sys.executable, "app.py"], cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}/"
    for _ in range(240):
        try:
            urllib.request.urlopen(url, timeout=2)
            return process, url
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise SystemExit("the app did not start")


def run_load(url: str, image: str, clients: int, requests: int) -> dict:
    """Each client sends ``requests`` /cut calls; returns latencies, failures and server RSS."""
    from gradio_client import Client, handle_file

    stats_client = Client(url, verbose=False)
    with ThreadPoolExecutor(clients) as pool:  # warm-up: one concurrent round, not counted
        list(
            pool.map(lambda _: Client(url, verbose=False).predict(handle_file(image), api_name="/cut"), range(clients))
        )
    rss_before = stats_client.predict(api_name="/stats")["rss_mb"]

    def worker(_: int) -> tuple[list[float], list[str]]:
        client = Client(url, verbose=False)
        latencies, failures = [], []
        for _ in range(requests):
            started = time.perf_counter()
            try:
                client.predict(handle_file(image), api_name="/cut")
                latencies.append((time.perf_counter() - started) * 1000)
            except Exception as err:  # every failure counts, whatever its kind
                failures.append(f"{type(err).__name__}: {err}")
        return latencies, failures

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(worker, range(clients)))
    wall = time.perf_counter() - started
    latencies = [lat for lats, _ in results for lat in lats]
    rss_after = stats_client.predict(api_name="/stats")["rss_mb"]
    return {
        "calls": clients * requests,
        "failed": sum(len(f) for _, f in results),
        "errors": [e for _, failures in results for e in failures][:5],
        "wall_s": wall,
        "throughput_per_s": len(latencies) / wall,
        "rss_before_mb": rss_before,
        "rss_after_mb": rss_after,
        **{f"p{q}_ms": float(np.percentile(latencies, q)) for q in (50, 95, 99)},
    }


def page_latencies(url: str, seconds: float | None = None, count: int = 20, until=None) -> list[float]:
    """Milliseconds of ``GET /`` and ``GET /config`` alternately: ``count`` of them, or until ``until()``."""
    import httpx

    times = []
    while (until is None and len(times) < count) or (until is not None and not until()):
        started = time.perf_counter()
        httpx.get(url + ("config" if len(times) % 2 else ""), timeout=120)
        times.append((time.perf_counter() - started) * 1000)
    return times


def run_flood(url: str, image: str, calls: int) -> dict:
    """The page's latency quiet and during ``calls`` concurrent slow ``/api/remove`` calls."""
    import httpx

    quiet = page_latencies(url)
    data = Path(image).read_bytes()

    def call(_: int) -> int:
        response = httpx.post(
            url + "api/remove",
            files={"file": ("photo.jpg", data)},
            params={"tta": "true", "multiscale": "true"},
            timeout=600,
        )
        return response.status_code

    with ThreadPoolExecutor(calls) as pool:
        futures = [pool.submit(call, i) for i in range(calls)]
        flooded = page_latencies(url, until=lambda: all(f.done() for f in futures))
        codes = [f.result() for f in futures]
    return {"quiet": quiet, "flooded": flooded, "codes": {c: codes.count(c) for c in sorted(set(codes))}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running app on this machine (default: start one)")
    parser.add_argument("--image", required=True, help="the photo every call uploads")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=63, help="calls per client")
    parser.add_argument("--flood", type=int, help="N concurrent POST /api/remove calls; time the page meanwhile")
    args = parser.parse_args()
    process = None
    url = args.url
    if url is None:
        process, url = start_app()
    try:
        if args.flood:
            f = run_flood(url, args.image, args.flood)
        else:
            r = run_load(url, args.image, args.clients, args.requests)
    finally:
        if process is not None:
            process.terminate()
    if args.flood:
        q95, f95 = np.percentile(f["quiet"], 95), np.percentile(f["flooded"], 95)
        print(
            f"GET / and /config, quiet: p50 {np.median(f['quiet']):.0f} ms, p95 {q95:.0f} ms ({len(f['quiet'])} calls)"
        )
        print(
            f"during {args.flood} concurrent POST /api/remove: p50 {np.median(f['flooded']):.0f} ms, "
            f"p95 {f95:.0f} ms ({len(f['flooded'])} calls); p95 ratio {f95 / q95:.1f}x"
        )
        print("flood answers: " + ", ".join(f"{code}: {n}" for code, n in f["codes"].items()))
        return
    growth = (r["rss_after_mb"] / r["rss_before_mb"] - 1) * 100
    print(
        f"{r['calls']} calls from {args.clients} clients: {r['failed']} failed, {r['wall_s']:.0f} s, "
        f"{r['throughput_per_s']:.2f} calls/s"
    )
    print(f"latency p50 {r['p50_ms']:.0f} ms, p95 {r['p95_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms (queue included)")
    for error in r["errors"]:
        print(f"failed call: {error[:300]}")
    print(f"server RSS {r['rss_before_mb']:.0f} MB → {r['rss_after_mb']:.0f} MB ({growth:+.1f} %)")


if __name__ == "__main__":
    main()
