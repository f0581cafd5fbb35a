"""Write a `.txt` image list (a kcolor data source) of the color photos of some shared sets.

Usage (from the repo root):
    python tools/make_pool.py runs/pool.txt imagenet_sample_1000 ade20k_val coco_train2017 bsds500

Reads ../shared/data/manifest.csv (or --data-root), skips photos flagged grayscale, and writes
paths relative to the list file, so `kcolor train --data runs/pool.txt` works from anywhere.
`--extra FOLDER` appends every photo of a folder, such as one tools/extra_photos.py wrote.
"""

import argparse
import csv
import os
from pathlib import Path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="list file to write (.txt)")
    parser.add_argument("sets", nargs="+", help="set names as in manifest.csv")
    parser.add_argument(
        "--data-root", default=str(Path(__file__).resolve().parents[2] / "shared" / "data")
    )
    parser.add_argument(
        "--extra",
        action="append",
        default=[],
        help="a folder of more training photos to append (repeatable), e.g. data-extra/pets",
    )
    args = parser.parse_args()

    root = Path(args.data_root).absolute()  # keep symlinks as given: the list names those paths
    out = Path(args.out).absolute()
    with open(root / "manifest.csv", newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["set"] in args.sets and r["gray"] == "color"]
    missing = sorted(set(args.sets) - {r["set"] for r in rows})
    if missing:
        raise SystemExit(f"no color photos found for: {', '.join(missing)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    lines = [os.path.relpath(root / r["set"] / r["file"], out.parent) for r in rows]
    for folder in args.extra:
        photos = sorted(p for p in Path(folder).absolute().iterdir() if p.suffix == ".jpg")
        if not photos:
            raise SystemExit(f"{folder}: no .jpg photos (run tools/extra_photos.py first)")
        lines += [os.path.relpath(p, out.parent) for p in photos]
        print(f"{folder}: {len(photos)} more photos")
    out.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    print(f"wrote {len(lines)} color photos from {', '.join(args.sets)} to {out}")


if __name__ == "__main__":
    main()
