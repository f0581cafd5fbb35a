"""Benchmark: `kcolor evaluate` images/s with and without FID.

Usage (from the repo root):
    python bench/eval_throughput.py --data ../shared/data/coco_val2017 [--model RUN_OR_KERAS]

Without --model, a freshly initialized default generator is scored (speed does not depend on
its weights). FID runs InceptionV3 at 299x299 on the truth and on every model's output; offline
there are no ImageNet weights, so a randomly initialized InceptionV3 weights file is used: the
same computation, meaningless FID values.
"""

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--model")
    parser.add_argument("--limit", type=int, default=96)
    parser.add_argument("--image-size", type=int, default=256)
    args = parser.parse_args()

    import keras
    import tensorflow as tf

    from kcolor.evaluation.protocols import evaluate
    from kcolor.models import build_generator

    with tempfile.TemporaryDirectory() as tmp:
        model = args.model
        if model is None:
            model = str(Path(tmp) / "default.keras")
            build_generator("default").save(model)
        weights = Path(tmp) / "inception.weights.h5"
        keras.applications.InceptionV3(weights=None, classifier_activation=None).save_weights(
            weights
        )
        print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, TensorFlow {tf.__version__}")
        print(f"data: {args.data}, {args.limit} images at {args.image_size} px; models: gray + 1")
        print("| metrics | images/s |")
        print("|---|---|")
        for label, names in [
            ("mse, psnr, ssim, colorfulness", ["mse", "psnr", "ssim", "colorfulness"]),
            ("all, with FID", ["mse", "psnr", "ssim", "colorfulness", "fid"]),
        ]:
            evaluate(
                ["gray", model],
                args.data,
                image_size=args.image_size,
                limit=16,
                metric_names=names,
                inception_weights=str(weights),
                progress=False,
            )  # warm-up
            start = time.perf_counter()
            result = evaluate(
                ["gray", model],
                args.data,
                image_size=args.image_size,
                limit=args.limit,
                metric_names=names,
                inception_weights=str(weights),
                progress=False,
            )
            rate = result["n_images"] / (time.perf_counter() - start)
            print(f"| {label} | {rate:.1f} |", flush=True)


if __name__ == "__main__":
    main()
