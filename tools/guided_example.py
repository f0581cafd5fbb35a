"""The README's guided example: a gray photo colorized automatically, with a few color points,
and the original, side by side, the points marked.

Usage (from the repo root):
    python tools/guided_example.py ../shared/data/kodak24/kodim23.png \
        docs/images/kodim23.hints.json -o docs/images/guided-kodim23.jpg [--model default]

The photo is made gray first; the hints file is the one `kcolor colorize --hints` reads.
"""

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # this clone's kcolor


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photo", help="a color photo (its gray copy is colorized)")
    parser.add_argument("hints", help="its hints file")
    parser.add_argument("-o", "--out", required=True)
    parser.add_argument("--model", default="default")
    parser.add_argument("--width", type=int, default=1200)
    args = parser.parse_args(argv)
    from PIL import Image, ImageDraw

    from kcolor import Colorizer
    from kcolor.fileio import atomic_path
    from kcolor.inference.hints_file import read_hints_file

    truth = Image.open(args.photo).convert("RGB")
    gray = truth.convert("L").convert("RGB")
    colorizer = Colorizer.load(args.model)
    automatic = colorizer.colorize(gray).convert("RGB")
    guided = colorizer.colorize(gray, hints=args.hints).convert("RGB")
    radius = max(4, truth.width // 100)
    draw = ImageDraw.Draw(guided)
    for point in read_hints_file(args.hints, truth.width, truth.height):
        box = (point.x - radius, point.y - radius, point.x + radius, point.y + radius)
        draw.ellipse(box, fill=point.color, outline="white", width=max(2, radius // 3))
    panels = (automatic, guided, truth)
    strip = Image.new("RGB", (truth.width * 3, truth.height), "white")
    for index, panel in enumerate(panels):
        strip.paste(panel, (index * truth.width, 0))
    height = round(strip.height * args.width / strip.width)
    strip = strip.resize((args.width, height), Image.LANCZOS)
    with atomic_path(Path(args.out)) as tmp:
        strip.save(tmp, format="JPEG", quality=90)
    print(f"wrote {args.out}: automatic | {args.hints} | original")


if __name__ == "__main__":
    main()
