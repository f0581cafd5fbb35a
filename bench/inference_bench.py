"""Benchmark inference: Keras vs TFLite (fp32/fp16/dynamic/int8) latency, end-to-end colorize
time, and peak memory against photo size. Results go to docs/benchmarks.md by hand.

Usage (from the repo root):
    python bench/inference_bench.py --calibration-data ../shared/data/set14

The default generator is freshly initialized: speed and memory do not depend on its weights,
except for the class head's full-int8 softmax, whose speed depends on how spread its logits are
(the shipped T 0.4 int8 file, 1 thread: 21.8 ms per image on uniform noise, 17.6 on a photo).
So `--shipped` times the shipped .tflite files on the lightness of real photos (the first 8
of --calibration-data):
    python bench/inference_bench.py --shipped --calibration-data ../shared/data/coco_val2017
"""

import argparse
import itertools
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

RSS_CHILD = """
import json, resource, sys, time
import numpy as np
from PIL import Image
from kcolor.inference.colorizer import Colorizer, colorize_file
colorizer = Colorizer.load(sys.argv[1])
colorizer.colorize(np.zeros((64, 64, 3), np.uint8))  # warm-up: tracing, thread pools
start = time.perf_counter()
colorize_file(colorizer, sys.argv[2], sys.argv[3])
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _time_calls(call, seconds=5.0):
    call()
    call()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        call()
        count += 1
    return (time.perf_counter() - start) / count


def _latency_table(generator, x, tmp, calibration_data, size, head):
    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter

    from kcolor.inference.export import export_tflite

    forward = tf.function(lambda t: generator(t, training=False))
    seconds = _time_calls(lambda: forward(x).numpy())
    print(f"\n## Default generator ({head} head), {size}x{size}, batch 1\n")
    print("| backend | threads | ms/image | images/s |")
    print("|---|---|---|---|")
    print(f"| Keras (tf.function) | all (2) | {seconds * 1000:.1f} | {1 / seconds:.1f} |")
    lightness = x * 50.0 + 50.0
    for quantize in ("none", "fp16", "dynamic", "int8"):
        path = export_tflite(
            generator,
            tmp / f"{quantize}.tflite",
            quantize=quantize,
            calibration_data=calibration_data,
            size=size,
        )
        for threads in (1, 2):
            interpreter = Interpreter(model_path=str(path), num_threads=threads)
            runner = interpreter.get_signature_runner("colorize")
            seconds = _time_calls(lambda r=runner: r(lightness=lightness))
            print(
                f"| TFLite {quantize} ({path.stat().st_size / 1e6:.1f} MB) | {threads} | "
                f"{seconds * 1000:.1f} | {1 / seconds:.1f} |",
                flush=True,
            )


def _shipped_table(calibration_data, photos=8):
    """The shipped .tflite files at 256 px, timed on real photos' lightness, 1 and 2 threads."""
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter
    from PIL import Image

    from kcolor.color import lab_ops
    from kcolor.image_io import is_image_path
    from kcolor.shipped import shipped_model_path

    names = sorted(n for n in os.listdir(calibration_data) if is_image_path(n))[:photos]
    lightness = []
    for name in names:
        rgb = Image.open(Path(calibration_data) / name).convert("RGB").resize((256, 256))
        lab = np.asarray(lab_ops.rgb_to_lab(np.asarray(rgb, np.float32)[None] / 255.0))
        lightness.append(lab[..., :1].astype(np.float32))
    print(f"\n## Shipped default, .tflite, 256x256, batch 1, {len(names)} photos in turn\n")
    print("| file | threads | ms/image | images/s |")
    print("|---|---|---|---|")
    for variant in ("fp32", "fp16", "int8"):
        path = shipped_model_path("default", backend="tflite", variant=variant)
        for threads in (1, 2):
            runner = Interpreter(model_path=str(path), num_threads=threads).get_signature_runner(
                "colorize"
            )
            turn = itertools.cycle(lightness)
            seconds = _time_calls(lambda r=runner, t=turn: r(lightness=next(t)))
            print(
                f"| {path.name} ({path.stat().st_size / 1e6:.1f} MB) | {threads} | "
                f"{seconds * 1000:.1f} | {1 / seconds:.1f} |",
                flush=True,
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calibration-data", required=True)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument(
        "--photos-only", action="store_true", help="only the end-to-end colorize and memory part"
    )
    parser.add_argument(
        "--latency-only", action="store_true", help="only the Keras / TFLite latency table"
    )
    parser.add_argument(
        "--head",
        choices=["regression", "classification"],
        default="regression",
        help="the default generator's output head",
    )
    parser.add_argument(
        "--shipped",
        action="store_true",
        help="only time the shipped .tflite files on real photos",
    )
    args = parser.parse_args()
    if args.shipped:
        _shipped_table(args.calibration_data)
        return

    import numpy as np
    import tensorflow as tf
    from PIL import Image

    from kcolor.models import build_generator

    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, TensorFlow {tf.__version__}")
    size = args.size
    generator = build_generator("default", head=args.head)
    x = np.random.default_rng(0).uniform(-1, 1, (1, size, size, 1)).astype("float32")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        keras_path = tmp / "default.keras"
        generator.save(keras_path)
        if not args.photos_only:
            _latency_table(generator, x, tmp, args.calibration_data, size, args.head)
        if args.latency_only:
            return

        print("\n## kcolor colorize, one photo, Keras backend (after warm-up)\n")
        print("| photo | pixels | seconds | peak RSS (MB) |")
        print("|---|---|---|---|")
        source = Image.open(
            Path(args.calibration_data) / sorted(os.listdir(args.calibration_data))[1]
        )
        for megapixels in (1, 4, 12, 24):
            width = int((megapixels * 1e6 * 4 / 3) ** 0.5)
            height = int(width * 3 / 4)
            photo = tmp / f"photo{megapixels}.jpg"
            source.convert("RGB").resize((width, height), Image.BILINEAR).save(photo, quality=90)
            out = subprocess.run(
                [sys.executable, "-c", RSS_CHILD, str(keras_path), str(photo), str(tmp / "o.png")],
                capture_output=True,
                text=True,
                check=True,
            )
            stats = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"| {megapixels} MP JPEG | {width}x{height} | {stats['seconds']:.2f} | "
                f"{stats['peak_rss_mb']:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
