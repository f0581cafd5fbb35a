"""Benchmark: training images/s of each architecture by crop size, precision and Keras backend.

Usage (from the repo root):
    python bench/train_throughput.py [--sizes 128 256] [--seconds 20]
    python bench/train_throughput.py --archs default --loss classification \
        --model semantic=mobilenet --sizes 64 128 192 256 --precisions fp32 \
        --backends tensorflow jax      # the shipped default's recipe, both backends

Measures the model's training step alone, on one batch held in memory and served by a
`keras.utils.PyDataset` (the same on every backend; the input pipeline is benchmarked separately
by bench/pipeline_throughput.py). Each case: a few warm-up steps (tracing), then steps are timed
for about --seconds. Each backend runs in its own process (Keras picks it at import).
"""

import argparse
import json
import os
import platform
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def measure(arch, size, precision, batch_size, seconds, model_overrides, loss="l1"):
    import keras
    import numpy as np

    from kcolor.color import ab_bins
    from kcolor.color.prior import ColorPrior
    from kcolor.training.config import config_from_dict
    from kcolor.training.model_build import build_model
    from kcolor.training.throughput import training_rate

    keras.mixed_precision.set_global_policy("mixed_bfloat16" if precision == "bf16" else "float32")
    config = config_from_dict(
        {
            "arch": arch,
            "loss": loss,
            "data": "unused",
            "mixed_precision": "off",
            "model": {
                **model_overrides,
                **({"semantic_weights": None} if "semantic" in model_overrides else {}),
            },
        }
    )
    prior = None
    if loss == "classification":
        centers = ab_bins.in_gamut_bins()
        prior = ColorPrior.from_counts(centers, np.ones(len(centers), np.int64), 1)
    model, _, _ = build_model(config, has_validation=False, color_prior=prior)
    rng = np.random.default_rng(0)
    batch = (
        rng.uniform(-1, 1, (batch_size, size, size, 1)).astype("float32"),
        rng.uniform(-0.5, 0.5, (batch_size, size, size, 2)).astype("float32"),
    )

    rate, steps = training_rate(model, batch, seconds)
    keras.mixed_precision.set_global_policy("float32")
    return rate, steps


def _one_backend(args):
    """Measure every case on the backend this process runs; print one JSON line per case."""
    from kcolor.training.config import parse_set

    overrides = parse_set(args.model)
    for arch in args.archs:
        for size in args.sizes:
            for precision in args.precisions:
                rate, steps = measure(
                    arch, size, precision, args.batch_size, args.seconds, overrides, args.loss
                )
                case = {"arch": arch, "size": size, "precision": precision}
                print(json.dumps({**case, "rate": rate, "steps": steps}), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", nargs="+", default=["default", "unet", "cnn", "gan"])
    parser.add_argument("--loss", default="l1", help="l1, mse, huber or classification")
    parser.add_argument("--sizes", nargs="+", type=int, default=[128, 256])
    parser.add_argument("--precisions", nargs="+", default=["fp32", "bf16"])
    parser.add_argument("--backends", nargs="+", default=["tensorflow"])
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="generator argument override, e.g. conv=separable (repeatable)",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _one_backend(args)
        return

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, python {platform.python_version()}"
    )
    print(f"batch {args.batch_size}, loss {args.loss}; gan = default generator + PatchGAN")
    label = ", ".join(args.model) or "preset"
    print("| backend | arch | generator | size | precision | images/s | timed steps |")
    print("|---|---|---|---|---|---|---|")
    for backend in args.backends:
        env = {**os.environ, "KERAS_BACKEND": backend}
        command = [sys.executable, __file__, "--worker", *sys.argv[1:]]
        with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) as worker:
            for line in worker.stdout:
                row = json.loads(line)
                print(
                    f"| {backend} | {row['arch']} | {label} | {row['size']} | "
                    f"{row['precision']} | {row['rate']:.1f} | {row['steps']} |",
                    flush=True,
                )
        if worker.returncode:
            print(f"| {backend} | failed (exit {worker.returncode}) | | | | | |", flush=True)


if __name__ == "__main__":
    main()
