"""Wall time of one `kcolor colorize` CLI run per backend: Python start, imports, model load,
one photo, write. Results go to docs/benchmarks.md by hand.

Usage (from the repo root; a quiet machine, nothing else running):
    python bench/cli_startup.py examples/kodim05.png [--big PHOTO] [--repeats 5]

Each run is a fresh process (what a user waits for); the median of `--repeats` is reported,
after one unmeasured run that warms the OS file cache. `--big` also times a large photo.
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

BACKENDS = ("auto", "tflite", "keras")


def _time_run(photo, backend, out):
    command = [sys.executable, "-m", "kcolor.cli.main", "colorize", photo, "-o", out]
    command += ["--backend", backend, "--overwrite"]
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photo")
    parser.add_argument("--big", help="a large photo (e.g. 12 MP) to time as well")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    photos = [args.photo] + ([args.big] if args.big else [])
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print("| photo | backend | median wall time (s) | runs |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as out:
        for photo in photos:
            for backend in BACKENDS:
                _time_run(photo, backend, out)  # warm the file cache
                times = [_time_run(photo, backend, out) for _ in range(args.repeats)]
                runs = " ".join(f"{t:.2f}" for t in times)
                median = statistics.median(times)
                print(f"| {os.path.basename(photo)} | {backend} | {median:.2f} | {runs} |")


if __name__ == "__main__":
    main()
