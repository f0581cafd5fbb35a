"""The full-resolution join and the PNG encode of a large photo, and one photo end to end.

Usage (from the repo root; a quiet machine):
    python bench/join_bench.py --big BIG.jpg --small examples/kodim05.png [--repeats 5]

1. Join (in process, best of `--repeats`): `kcolor.inference.join.reference_join` (the plain
   lab_math code), the join kcolor ran before (`--previous COMMIT`: its banded lab_math join,
   read from git), `join_full_resolution` on 1 and 2 threads, and OpenCV's float Lab -> RGB
   (for its speed and agreement only: it clips out-of-gamut colors instead of lowering their
   chroma), each with the share of pixels within 1 level of the reference.
2. PNG encode of the colorized photo: Pillow at levels 0, 1 and 6 (one thread, five filters
   tried per row) against `kcolor.png_writer` (the "Up" filter, ISA-L levels 0-3 and zlib
   level 1, on 1 and 2 threads): seconds and megabytes; JPEG quality 95 beside them.
3. Whole process: `kcolor colorize PHOTO -o OUT/` in a fresh process, median of `--repeats`
   after a warm-up run, and its peak memory (the child's maximum resident set); with
   `--previous`, the same for that commit (a temporary git worktree) in the same run.
BIG.jpg in docs/benchmarks.md: kodim05 made gray, upscaled to 4000x3000 (bicubic), JPEG 90.
"""

import argparse
import io
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))


def best_of(repeats, function):
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def within_one_level(ours, reference):
    return float(np.mean(np.abs(ours.astype(int) - reference.astype(int)).max(axis=-1) <= 1))


def previous_join(commit):
    """`_join_full_resolution` of kcolor/inference/colorizer.py at `commit` (before the
    kcolor.inference.join module), as a function of (rgb, ab_small)."""
    source = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "show", f"{commit}:kcolor/inference/colorizer.py"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    namespace = {"__name__": "previous_colorizer"}
    exec(compile(source, f"{commit}:kcolor/inference/colorizer.py", "exec"), namespace)
    return lambda rgb, ab_small: namespace["_join_full_resolution"](rgb, ab_small, *rgb.shape[:2])


def bench_join(rgb, ab_small, repeats, previous=None):
    from kcolor.inference.join import join_full_resolution, reference_join, reference_lab

    seconds, reference = best_of(repeats, lambda: reference_join(rgb, ab_small))
    print("| join | threads | seconds | pixels within 1 level of the reference |")
    print("|---|---|---|---|")
    print(f"| reference (lab_math, whole image) | 1 | {seconds:.3f} | 1.0 |")
    if previous:
        join = previous_join(previous)
        seconds, theirs = best_of(repeats, lambda: join(rgb, ab_small))
        agreement = within_one_level(theirs, reference)
        print(f"| kcolor at {previous} (banded lab_math) | 2 | {seconds:.3f} | {agreement:.5f} |")
    for threads in (1, 2):
        seconds, ours = best_of(
            repeats, lambda threads=threads: join_full_resolution(rgb, ab_small, threads)
        )
        agreement = within_one_level(ours, reference)
        print(f"| kcolor.inference.join | {threads} | {seconds:.3f} | {agreement:.5f} |")
    try:
        import cv2
    except ImportError:
        return reference
    lab = reference_lab(rgb, ab_small)
    seconds, srgb = best_of(repeats, lambda: cv2.cvtColor(lab, cv2.COLOR_Lab2RGB))
    opencv = np.round(np.clip(srgb, 0, 1) * 255).astype(np.uint8)
    agreement = within_one_level(opencv, reference)
    print(
        f"| OpenCV cvtColor (Lab -> RGB only) | {cv2.getNumThreads()} | {seconds:.3f} | "
        f"{agreement:.5f} |"
    )
    return reference


def bench_png(rgb, repeats):
    from PIL import Image

    from kcolor import png_writer

    def pillow(level):
        buffer = io.BytesIO()
        Image.fromarray(rgb).save(buffer, format="PNG", compress_level=level)
        return buffer.tell()

    def jpeg():
        buffer = io.BytesIO()
        Image.fromarray(rgb).save(buffer, format="JPEG", quality=95)
        return buffer.tell()

    print("| encoder | level | threads | seconds | MB |")
    print("|---|---|---|---|---|")
    for level in (0, 1, 6):
        seconds, size = best_of(repeats, lambda level=level: pillow(level))
        print(f"| Pillow PNG | {level} | 1 | {seconds:.3f} | {size / 1e6:.1f} |")
    candidates = [("ISA-L", png_writer._deflate, level) for level in (0, 1, 2, 3)]
    candidates.append(("zlib", zlib, 1))
    for name, deflate, level in candidates:
        png_writer._deflate = deflate
        for threads in (1, 2):
            seconds, data = best_of(
                repeats,
                lambda level=level, threads=threads: png_writer.encode_png(
                    rgb, level=level, threads=threads
                ),
            )
            print(
                f"| kcolor.png_writer, {name} | {level} | {threads} | {seconds:.3f} | "
                f"{len(data) / 1e6:.1f} |"
            )
    seconds, size = best_of(repeats, jpeg)
    print(f"| Pillow JPEG (quality 95) | | 1 | {seconds:.3f} | {size / 1e6:.1f} |")


# The timed process is started by a small parent, so its peak memory is its own (a child forked
# from this process would count this process's pages until it execs).
_MEASURE = (
    "import resource, subprocess, sys, time; start = time.perf_counter(); "
    "code = subprocess.run(sys.argv[1:], capture_output=True).returncode; "
    "print(time.perf_counter() - start, "
    "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, code)"
)


def run_once(photo, out, code_root=REPO_ROOT):
    command = [sys.executable, "-m", "kcolor.cli.main", "colorize", str(photo), "-o", out]
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command, "--overwrite"],
        capture_output=True,
        text=True,
        check=True,
        cwd=code_root,  # `python -m` imports kcolor from the current folder first
    )
    seconds, peak_mib, code = done.stdout.split()
    if code != "0":
        raise SystemExit(f"kcolor colorize {photo} failed ({code})")
    return float(seconds), float(peak_mib)  # ru_maxrss is in KiB on Linux


def bench_process(photos, repeats, previous=None):
    print("| code | photo | median seconds | runs | peak memory (MiB) |")
    print("|---|---|---|---|---|")
    photos = [Path(p).absolute() for p in photos]
    with tempfile.TemporaryDirectory() as work:
        roots = [("this checkout", REPO_ROOT)]
        if previous:
            old = Path(work) / "previous"
            subprocess.run(
                ["git", "-C", str(REPO_ROOT), "worktree", "add", "--detach", str(old), previous],
                check=True,
                capture_output=True,
            )
            roots.append((previous, old))
        try:
            for photo in photos:
                for name, root in roots:
                    out = str(Path(work) / "out")
                    run_once(photo, out, root)  # warm the file cache
                    runs = [run_once(photo, out, root) for _ in range(repeats)]
                    median = statistics.median(t for t, _ in runs)
                    peak = max(m for _, m in runs)
                    times = " ".join(f"{t:.2f}" for t, _ in runs)
                    print(f"| {name} | {photo.name} | {median:.2f} | {times} | {peak:.0f} |")
        finally:
            if previous:
                subprocess.run(
                    ["git", "-C", str(REPO_ROOT), "worktree", "remove", "--force", str(old)],
                    check=False,
                    capture_output=True,
                )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", required=True, help="a large photo (12 MP)")
    parser.add_argument("--small", help="a small photo for the whole-process row")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--previous", help="a commit whose colorizer join to time beside")
    args = parser.parse_args()
    from PIL import Image

    from kcolor import Colorizer

    print(
        f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    rgb = np.asarray(Image.open(args.big).convert("RGB"))
    colorizer = Colorizer.load("default")
    _, ab_small = colorizer.predict_small(rgb)
    print(f"\n{Path(args.big).name}: {rgb.shape[1]}x{rgb.shape[0]}\n")
    colorized = bench_join(rgb, ab_small, args.repeats, args.previous)
    print()
    bench_png(colorized, args.repeats)
    print()
    bench_process([p for p in (args.small, args.big) if p], args.repeats, args.previous)


if __name__ == "__main__":
    main()
