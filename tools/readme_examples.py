"""The README's before/after images: each photo in examples/ beside its colorized version.

Usage (from the repo root):
    python tools/readme_examples.py [--model default] [--out docs/images]

Writes `example-NAME.jpg` per photo: the grayscale input (left) and what `kcolor colorize`
makes of it with the model (right), scaled to 1024 px wide, JPEG quality 90.
"""

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # this clone's kcolor


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--out", default=str(REPO / "docs" / "images"))
    parser.add_argument("--width", type=int, default=1024)
    args = parser.parse_args()
    from PIL import Image

    from kcolor import Colorizer
    from kcolor.fileio import atomic_path

    colorizer = Colorizer.load(args.model)
    for photo in sorted((REPO / "examples").glob("*.png")):
        gray = Image.open(photo).convert("RGB")
        color = colorizer.colorize(photo).convert("RGB")
        pair = Image.new("RGB", (gray.width * 2, gray.height))
        pair.paste(gray, (0, 0))
        pair.paste(color, (gray.width, 0))
        height = round(pair.height * args.width / pair.width)
        pair = pair.resize((args.width, height), Image.LANCZOS)
        out = Path(args.out) / f"example-{photo.stem}.jpg"
        with atomic_path(out) as tmp:
            pair.save(tmp, format="JPEG", quality=90)
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
