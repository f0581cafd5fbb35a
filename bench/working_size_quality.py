"""Quality of full-resolution colorization against the network's working size.

Usage (from the repo root):
    python bench/working_size_quality.py --model runs/default-l1 --data ../shared/data/kodak24

Each photo is colorized at its full resolution with the network seeing a copy whose long side is
each --sizes value (aspect kept, padded to the size multiple), and scored against the original:
PSNR on 8-bit sRGB (data_range 255), ab MSE in Lab units and colorfulness, all at full size.
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--sizes", nargs="+", type=int, default=[128, 256, 384, 512])
    args = parser.parse_args()

    import numpy as np

    from kcolor.color import lab_ops
    from kcolor.data.sources import parse_source
    from kcolor.evaluation import metrics
    from kcolor.image_io import read_rgb
    from kcolor.inference.colorizer import Colorizer

    photos = [read_rgb(p) for p in parse_source(args.data).paths]
    print(f"model {args.model}; {len(photos)} photos from {args.data} at full resolution")
    print("| long side seen by the network | PSNR (dB) | ab MSE | colorfulness |")
    print("|---|---|---|---|")
    for size in args.sizes:
        colorizer = Colorizer.load(args.model, size=size)
        psnr, ab_mse, colorful = [], [], []
        for rgb in photos:
            out = colorizer.colorize_array(rgb)
            psnr.append(float(metrics.psnr_rgb(out, rgb)))
            lab_out = lab_ops.rgb_to_lab(out.astype(np.float32) / 255.0)
            lab_in = lab_ops.rgb_to_lab(rgb.astype(np.float32) / 255.0)
            ab_mse.append(float(metrics.ab_mse(lab_out[..., 1:], lab_in[..., 1:])))
            colorful.append(float(metrics.colorfulness(out.astype(np.float32) / 255.0)))
        print(
            f"| {size} | {np.mean(psnr):.2f} | {np.mean(ab_mse):.1f} | {np.mean(colorful):.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
