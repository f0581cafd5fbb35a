"""Write the training campaign's image lists: training photos and two validation splits.

Usage (from the repo root, after tools/extra_photos.py for the three sets):
    python tools/campaign_lists.py runs/lists

Writes into the folder (paths relative to each list, so the lists work from anywhere):
- `val-general.txt`: the split every choice is made on, photos like the users' (people,
  objects, indoor and outdoor scenes) from the four general sets. It holds (a) the photos of
  those sets in the pool's 5% split that the December 2026 default was chosen on (it never
  trained on them) and (b) every photo of those sets whose `set/file` name hashes below
  --general-fraction, stable wherever the data lies.
- `val-pool.txt`: the earlier validation split (5% of `runs/pool-full.txt` by path hash, 714
  photos, 82% small scene, sports and pet photos), still reported beside the new one.
- `train.txt`: the whole pool (the shared training sets plus data-extra/) minus both splits.
"""

import argparse
import csv
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # run as a script from a clone: use this clone's kcolor

from kcolor.data.sources import hash_fraction, split_relpaths  # noqa: E402

GENERAL_SETS = ("imagenet_sample_1000", "ade20k_val", "coco_train2017", "bsds500")
SMALL_SETS = ("intel_scenes", "sports100", "pets")
POOL_VAL_FRACTION = 0.05  # what `kcolor train` held out of runs/pool-full.txt


def color_photos(data_root, sets):
    """`(set, file)` of the color photos of `sets` in manifest.csv, in its order."""
    with open(Path(data_root) / "manifest.csv", newline="", encoding="utf-8") as handle:
        return [
            (row["set"], row["file"])
            for row in csv.DictReader(handle)
            if row["set"] in sets and row["gray"] == "color"
        ]


def pool_val_split(data_root, repo_root):
    """The earlier 714-photo split: `runs/pool-full.txt` as tools/make_pool.py writes it (paths
    relative to `repo_root/runs`), hashed as `kcolor train` does."""
    runs = Path(repo_root).resolve() / "runs"
    photos = color_photos(data_root, GENERAL_SETS + SMALL_SETS)
    relpaths = {os.path.relpath(Path(data_root).resolve() / s / f, runs): (s, f) for s, f in photos}
    return {relpaths[p] for p in split_relpaths(list(relpaths), "val", POOL_VAL_FRACTION)}


def build_lists(data_root, extra_root, repo_root, general_fraction):
    """`{"train": [...], "val-general": [...], "val-pool": [...]}` of absolute paths."""
    data_root = Path(data_root).resolve()
    pool_val = pool_val_split(data_root, repo_root)
    general = color_photos(data_root, GENERAL_SETS)
    val_general = [
        (s, f)
        for s, f in general
        if (s, f) in pool_val or hash_fraction(f"{s}/{f}") < general_fraction
    ]
    held_out = pool_val | set(val_general)
    shared = color_photos(data_root, GENERAL_SETS + SMALL_SETS)
    train = [data_root / s / f for s, f in shared if (s, f) not in held_out]
    extra_root = Path(extra_root)
    for name in SMALL_SETS:
        folder = extra_root / name
        if folder.is_dir():
            train += sorted(p.resolve() for p in folder.iterdir() if p.suffix == ".jpg")
    return {
        "train": train,
        "val-general": [data_root / s / f for s, f in val_general],
        "val-pool": sorted(data_root / s / f for s, f in pool_val),
    }


def write_list(paths, out):
    """One path per line, relative to the list file."""
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    lines = [os.path.relpath(p, out.parent) for p in paths]
    out.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="folder for train.txt, val-general.txt and val-pool.txt")
    parser.add_argument("--data-root", default=str(REPO_ROOT.parent / "shared" / "data"))
    parser.add_argument("--extra-root", default=str(REPO_ROOT / "data-extra"))
    parser.add_argument(
        "--general-fraction",
        type=float,
        default=0.1,
        help="share of the general sets' photos, by name hash, in val-general (default 0.1)",
    )
    args = parser.parse_args()
    lists = build_lists(args.data_root, args.extra_root, REPO_ROOT, args.general_fraction)
    for name, paths in lists.items():
        write_list(paths, Path(args.out) / f"{name}.txt")
        print(f"{name}.txt: {len(paths)} photos")
    if len(lists["train"]) < 40000:
        print(
            "note: data-extra/ holds few or no extra photos; see docs/training.md "
            "(tools/extra_photos.py)"
        )


if __name__ == "__main__":
    main()
