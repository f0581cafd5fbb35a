"""A fixed grid of photos to judge colors by eye: gray | each model | truth, one row per photo.

Usage (from the repo root):
    python tools/photo_grid.py docs/images/grid12.jpg default runs/x --labels shipped x

The photos are `GRID_PHOTOS` (6 from coco_val2017, 6 from kodak24), chosen by content before any
model was run on them: skin, vegetation, sky, water, food and a zebra's stripes. Each model
colorizes the full-resolution photo through `kcolor.Colorizer` (what `kcolor colorize` does);
the cells are then scaled to `--height` px.
"""

import argparse
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

GRID_PHOTOS = (
    "coco_val2017/000000020992.jpg",  # a face close up: skin
    "coco_val2017/000000034417.jpg",  # a bakery counter: food, white surfaces
    "coco_val2017/000000058636.jpg",  # a parking sign against the sky
    "coco_val2017/000000104455.jpg",  # zebra: fine stripes (rainbow bands show here)
    "coco_val2017/000000208901.jpg",  # an airplane in the sky
    "coco_val2017/000000443303.jpg",  # a cat on a suitcase: fur, indoor whites
    "kodak24/kodim03.png",  # colored hats
    "kodak24/kodim04.png",  # portrait: skin
    "kodak24/kodim07.png",  # flowers and leaves at a window
    "kodak24/kodim13.png",  # mountain stream: vegetation, sky
    "kodak24/kodim19.png",  # lighthouse and fence: sky, grass
    "kodak24/kodim23.png",  # parrots: saturated colors
)


def build_grid(models, labels, data_root, height):
    """uint8 grid: a header row of labels, then one row per photo."""
    import numpy as np
    from PIL import Image, ImageDraw

    from kcolor import Colorizer

    colorizers = [Colorizer.load(model) for model in models]
    cell_width = height * 3 // 2  # landscape photos fill a cell, portraits are centered
    rows = []
    for name in GRID_PHOTOS:
        truth = Image.open(Path(data_root) / name).convert("RGB")
        width = round(truth.width * height / truth.height)
        cells = [truth.convert("L").convert("RGB")]
        cells += [colorizer.colorize(truth) for colorizer in colorizers]
        cells.append(truth)
        rows.append(np.concatenate([np.asarray(c.resize((width, height))) for c in cells], 1))
    widest = max(r.shape[1] for r in rows)
    rows = [
        np.pad(r, ((0, 0), (0, widest - r.shape[1]), (0, 0)), constant_values=255) for r in rows
    ]
    header = Image.new("RGB", (widest, 24), "white")
    draw = ImageDraw.Draw(header)
    cell_width = rows[0].shape[1] // (len(models) + 2)
    for i, label in enumerate(["gray input", *labels, "truth"]):
        draw.text((i * cell_width + 6, 6), label, fill="black")
    return np.concatenate([np.asarray(header), *rows], 0)


def _boxed(image, width, height):
    """`image` scaled to fit a white `width` x `height` cell, centered, as an array."""
    import numpy as np
    from PIL import Image

    scale = min(width / image.width, height / image.height)
    fitted = image.resize((round(image.width * scale), round(image.height * scale)))
    cell = Image.new("RGB", (width, height), "white")
    cell.paste(fitted, ((width - fitted.width) // 2, (height - fitted.height) // 2))
    return np.asarray(cell)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="image to write (.jpg or .png)")
    parser.add_argument("models", nargs="+", help="model specs, as for kcolor colorize --model")
    parser.add_argument("--labels", nargs="+", help="column titles (default: the specs)")
    parser.add_argument("--height", type=int, default=160, help="row height in pixels")
    parser.add_argument(
        "--data-root", default=str(Path(__file__).resolve().parents[2] / "shared" / "data")
    )
    args = parser.parse_args()
    labels = args.labels or args.models
    if len(labels) != len(args.models):
        raise SystemExit("give one --labels entry per model")
    from PIL import Image

    grid = build_grid(args.models, labels, args.data_root, args.height)
    Image.fromarray(grid).save(args.out, quality=85)
    print(f"wrote {args.out}: {len(GRID_PHOTOS)} photos x {len(args.models)} models")


if __name__ == "__main__":
    main()
