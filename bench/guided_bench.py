"""Benchmark the guided export against the automatic one: LiteRT latency per 256-px image of the
shipped default's int8 file, and of a guided model's int8 file through its "colorize" signature
(no points) and its "colorize_guided" signature (points and a palette). Results go to
docs/benchmarks.md by hand; the ratios are measured in one run, the three models interleaved.

Usage (from the repo root):
    python bench/guided_bench.py --calibration-data ../shared/data/set14 \
        --photos ../shared/data/coco_val2017 [--guided runs/guided/generator.keras]

Without --guided, the guided model is the shipped default with the guidance inputs added at
zero (kcolor.models.guidance.guided_copy): the same graph and sizes a trained one has.
"""

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _photo_inputs(photos, count, size):
    """Lightness (L in [0, 100]) and sweep hints of the first photos, at the export size."""
    from kcolor.color import ab_bins, hints
    from kcolor.data.pipeline import build_dataset

    centers = ab_bins.in_gamut_bins()
    dataset = build_dataset(photos, image_size=size, batch_size=1, training=False)
    inputs = []
    for index, (l_norm, ab_norm) in enumerate(dataset.take(count)):
        ab = ab_norm.numpy()[0] * 110.0
        hint_ab, mask = hints.sweep_hints(ab, 10, hints.sweep_rng(0, index, 10))
        inputs.append(
            {
                "lightness": l_norm.numpy() * 50.0 + 50.0,
                "hint_ab": hint_ab[np.newaxis],
                "hint_mask": mask[np.newaxis],
                "palette": hints.palette_histogram(ab, centers)[np.newaxis],
            }
        )
    return inputs


def _runner(path, signature, threads):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path), num_threads=threads)
    return interpreter.get_signature_runner(signature)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calibration-data", required=True)
    parser.add_argument("--photos", required=True, help="photos whose lightness is timed")
    parser.add_argument("--guided", help="a guided .keras (default: guided copy of 'default')")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()

    from kcolor.inference.export import export_tflite, load_generator
    from kcolor.models.guidance import guided_copy
    from kcolor.shipped import shipped_model_path

    if args.guided:
        guided = load_generator(args.guided)
    else:
        guided = guided_copy(load_generator("default"))
    inputs = _photo_inputs(args.photos, 8, 256)
    automatic_keys = ["lightness"]
    with tempfile.TemporaryDirectory() as tmp:
        guided_path = export_tflite(
            guided, Path(tmp) / "guided-int8.tflite", "int8", args.calibration_data
        )
        shipped = shipped_model_path("default", backend="tflite", variant="int8")
        cases = {
            "shipped int8, colorize": (_runner(shipped, "colorize", args.threads), automatic_keys),
            "guided int8, colorize (no points)": (
                _runner(guided_path, "colorize", args.threads),
                automatic_keys,
            ),
            "guided int8, colorize_guided (10 points + palette)": (
                _runner(guided_path, "colorize_guided", args.threads),
                ["lightness", "hint_ab", "hint_mask", "palette"],
            ),
        }
        for runner, keys in cases.values():  # warm-up
            runner(**{k: inputs[0][k] for k in keys})
        times = {name: [] for name in cases}
        for _ in range(args.rounds):
            for name, (runner, keys) in cases.items():
                start = time.perf_counter()
                for example in inputs:
                    runner(**{k: example[k] for k in keys})
                times[name].append((time.perf_counter() - start) / len(inputs))
        sizes = {"shipped int8": shipped.stat().st_size, "guided int8": guided_path.stat().st_size}
    medians = {name: float(np.median(values)) * 1000 for name, values in times.items()}
    base = medians["shipped int8, colorize"]
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "threads": args.threads,
        "ms_per_image_median": medians,
        "ratio_to_shipped_int8": {name: ms / base for name, ms in medians.items()},
        "bytes": sizes,
    }
    print(json.dumps(result, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
