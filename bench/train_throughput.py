"""Benchmark: training images/s of each architecture at 128 and 256 px, fp32 and bf16.

Usage (from the repo root): python bench/train_throughput.py [--sizes 128 256] [--seconds 20]

Measures the model's training step alone, on a batch held in memory (the input pipeline is
benchmarked separately by bench/pipeline_throughput.py). Each case: a few warm-up steps (tracing),
then steps are timed for about --seconds.
"""

import argparse
import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def measure(arch, size, precision, batch_size, seconds, model_overrides):
    import keras
    import numpy as np
    import tensorflow as tf

    from kcolor.config import config_from_dict
    from kcolor.training import build_model

    keras.mixed_precision.set_global_policy("mixed_bfloat16" if precision == "bf16" else "float32")
    config = config_from_dict(
        {"arch": arch, "data": "unused", "mixed_precision": "off", "model": model_overrides}
    )
    model, _, _ = build_model(config, has_validation=False)
    rng = np.random.default_rng(0)
    batch = (
        rng.uniform(-1, 1, (batch_size, size, size, 1)).astype("float32"),
        rng.uniform(-0.5, 0.5, (batch_size, size, size, 2)).astype("float32"),
    )
    data = tf.data.Dataset.from_tensors(batch).repeat()
    model.fit(data, steps_per_epoch=3, epochs=1, verbose=0)  # trace and warm up
    start_step = time.perf_counter()
    model.fit(data, steps_per_epoch=2, epochs=1, verbose=0)
    per_step = (time.perf_counter() - start_step) / 2
    steps = max(2, int(seconds / per_step))
    start = time.perf_counter()
    model.fit(data, steps_per_epoch=steps, epochs=1, verbose=0)
    elapsed = time.perf_counter() - start
    keras.mixed_precision.set_global_policy("float32")
    return steps * batch_size / elapsed, steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", nargs="+", default=["default", "unet", "cnn", "gan"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[128, 256])
    parser.add_argument("--precisions", nargs="+", default=["fp32", "bf16"])
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="generator argument override, e.g. conv=separable (repeatable)",
    )
    args = parser.parse_args()

    import tensorflow as tf

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, TensorFlow {tf.__version__}, "
        f"GPUs: {len(tf.config.list_physical_devices('GPU'))}"
    )
    print(f"batch {args.batch_size}; gan = default generator + PatchGAN discriminator")
    from kcolor.config import parse_set

    overrides = parse_set(args.model)
    label = ", ".join(args.model) or "preset"
    print("| arch | generator | size | precision | images/s | timed steps |")
    print("|---|---|---|---|---|---|")
    for arch in args.archs:
        for size in args.sizes:
            for precision in args.precisions:
                rate, steps = measure(
                    arch, size, precision, args.batch_size, args.seconds, overrides
                )
                print(
                    f"| {arch} | {label} | {size} | {precision} | {rate:.1f} | {steps} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
