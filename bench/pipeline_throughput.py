"""Benchmark: images/s of the training input pipeline (decode + resize + crop + flip + Lab + batch).

Usage (from the repo root):
    python bench/pipeline_throughput.py --data ../shared/data/coco_val2017 --data OTHER_FOLDER

Several --data folders are joined through a temporary list file. The first --warmup batches are
not timed (thread pools and autotuning start up); then --batches batches are timed. The pipeline
repeats, so a small folder still gives a long measurement.
"""

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _list_file(folders, directory):
    from kcolor.data.sources import parse_source

    lines = []
    for folder in folders:
        source = parse_source(folder)
        lines.extend(source.paths)
    path = Path(directory) / "images.txt"
    path.write_text("\n".join(lines) + "\n")
    return str(path), len(lines)


def measure(source, image_size, batch_size, batches, warmup, training, cache):
    from kcolor.data.pipeline import PipelineStats, build_dataset

    stats = PipelineStats()
    ds = build_dataset(
        source,
        image_size=image_size,
        batch_size=batch_size,
        training=training,
        repeat=True,
        seed=0,
        cache=cache,
        stats=stats,
    )
    iterator = iter(ds)
    for _ in range(warmup):
        next(iterator)
    start = time.perf_counter()
    for _ in range(batches):
        next(iterator)
    elapsed = time.perf_counter() - start
    return batches * batch_size / elapsed, stats


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", action="append", required=True, help="folder; repeatable")
    parser.add_argument("--image-size", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--batches", type=int, default=150)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()

    import tensorflow as tf

    with tempfile.TemporaryDirectory() as tmp:
        source, n_files = _list_file(args.data, tmp)
        print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, TensorFlow {tf.__version__}")
        print(f"data: {n_files} files from {', '.join(args.data)}")
        print(
            f"image size {args.image_size}, batch {args.batch_size}, {args.batches} timed batches"
        )
        print("| mode | images/s |")
        print("|---|---|")
        for label, training, cache in [
            ("train (random crop + flip)", True, False),
            ("eval (center crop)", False, False),
            ("train, cached in memory", True, True),
        ]:
            # A cache only pays off from the second pass: warm it with one full pass first.
            warmup = args.warmup + (n_files // args.batch_size + 1 if cache else 0)
            rate, stats = measure(
                source, args.image_size, args.batch_size, args.batches, warmup, training, cache
            )
            print(f"| {label} | {rate:.0f} |")
        print(stats.summary())


if __name__ == "__main__":
    main()
