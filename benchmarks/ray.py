"""Ray Data against the plain CLI on the same machine and photos: images/s and the ratio.

Writes ``--photos`` photos (crops of the app's committed example photos, ``--size`` px on the long
side) into a temporary folder, cuts them with ``bgremover.batch.cut_files`` (the plain CLI, one
process: as it runs, two photos under way at once on a CPU, and one at a time) and then with
``bgremover.cut_with_ray`` on a Ray started here (loopback, no dashboard) at 1 and 2 actors, each into
a fresh folder. Ray's times include starting its actors and loading the model in each; the plain
CLI's include loading the model once. Ratios are to the plain CLI as it runs.

    python -m benchmarks.ray [--photos 200] [--size 640] [--model fast] [--actors 1 2]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image


def make_photos(folder: Path, count: int, size: int) -> None:
    from tests.golden import photo_paths

    rng = np.random.default_rng(0)
    sources = [Image.open(path).convert("RGB") for path in photo_paths()]
    for i in range(count):
        source = sources[i % len(sources)]
        width, height = source.size
        scale = rng.uniform(0.6, 1.0)
        w, h = int(width * scale), int(height * scale)
        left, top = int(rng.integers(0, width - w + 1)), int(rng.integers(0, height - h + 1))
        crop = source.crop((left, top, left + w, top + h))
        crop.thumbnail((size, size))
        crop.save(folder / f"photo{i:04d}.jpg", quality=92)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--size", type=int, default=640, help="long side of each photo (px)")
    parser.add_argument("--model", default="fast")
    parser.add_argument("--actors", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args(argv)
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

    from bgremover.batch import cut_files
    from bgremover.ray_cut import connect, cut_with_ray

    with tempfile.TemporaryDirectory() as tmp:
        photos = Path(tmp) / "photos"
        photos.mkdir()
        make_photos(photos, args.photos, args.size)
        rates = {}
        for name, in_flight in (("plain CLI, one at a time", 1), ("plain CLI", None)):
            start = time.perf_counter()
            failures = cut_files([str(photos)], Path(tmp) / name, args.model, in_flight=in_flight)
            rates[name] = args.photos / (time.perf_counter() - start)
            assert not failures, failures
        plain = rates["plain CLI"]
        ray = connect(None)
        cpus = int(ray.cluster_resources().get("CPU", 1))
        print(f"{args.photos} photos, long side {args.size} px, model {args.model}, {cpus} CPUs, Ray {ray.__version__}")
        print(f"{'engine':<26} {'images/s':>9} {'ratio to plain':>15}")
        for name, rate in rates.items():
            print(f"{name:<26} {rate:>9.1f} {rate / plain:>15.2f}")
        for actors in args.actors:
            start = time.perf_counter()
            report = cut_with_ray([str(photos)], str(Path(tmp) / f"ray{actors}"), args.model, actors=actors)
            rate = report.written / (time.perf_counter() - start)
            assert report.written == args.photos and not report.failures, report
            print(f"{f'ray, {actors} actor(s)':<26} {rate:>9.1f} {rate / plain:>15.2f}")
        ray.shutdown()


if __name__ == "__main__":
    main()
