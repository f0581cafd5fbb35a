"""Bring the rest of intel_scenes, sports100 or pets from its public repository, as training photos.

../shared/data holds 12,000 photos of these three sets; about 32,000 more lie at the commits
their SOURCE.md files name. This takes them from a local clone at that commit and prepares them
the way the shared ones were: color photos only, no byte-identical or near-duplicate photos (of
each other, of any shared photo, above all of the evaluation sets), shorter side at most 144 px,
JPEG quality 82. They go to an ignored folder (default `data-extra/SET/`), never into the repo.

Usage (from the repo root; a clone is a few hundred MB; all three sets: docs/training.md):
    git clone https://github.com/yadavaditya13/Image_Classification_Using_Deep_Learning ~/src/intel
    git -C ~/src/intel checkout 029bdafbcdc4b2ab866fd3706487c982be58b54d
    python tools/extra_photos.py intel_scenes ~/src/intel
    python tools/make_pool.py runs/pool-xl.txt SETS... --extra data-extra/intel_scenes

Run it again after a stop: photos already written are kept, the rest are added.
"""

import argparse
import csv
import hashlib
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # run as a script from a clone: use this clone's kcolor

from kcolor.color.photo_filters import is_grayscale  # noqa: E402
from kcolor.fileio import atomic_path  # noqa: E402
from kcolor.image_io import ImageDecodeError, is_image_path, read_rgb  # noqa: E402


@dataclass(frozen=True)
class Source:
    repo: str
    commit: str
    paths: tuple


# Copied from each set's SOURCE.md in ../shared/data.
SOURCES = {
    "intel_scenes": Source(
        "yadavaditya13/Image_Classification_Using_Deep_Learning",
        "029bdafbcdc4b2ab866fd3706487c982be58b54d",
        ("dataset/seg_train", "dataset/seg_test", "dataset/seg_pred"),
    ),
    "sports100": Source(
        "Vigneshraj15/SportsActivityDetection",
        "624cd21d707c906353a17f90bd79d94c6bab907f",
        ("train", "test"),
    ),
    "pets": Source(
        "chanakya2734/Image-classification-using-CNN",
        "bf746c6e53f1edacd97b383de350f7a495cef0e1",
        ("dataset/training_set", "dataset/test_set", "dataset/breed_dataset"),
    ),
}

MAX_SHORT_SIDE = 144
JPEG_QUALITY = 82
# Two photos whose 64-bit difference hashes differ in at most this many bits count as the same
# photo (a resized, recompressed or lightly edited copy), as when the shared sets were made.
NEAR_DUPLICATE_BITS = 4


def difference_hash(rgb):
    """64-bit dHash: is each pixel of a 9x8 grayscale thumbnail brighter than its neighbour."""
    thumb = Image.fromarray(rgb).convert("L").resize((9, 8), Image.Resampling.BILINEAR)
    pixels = np.asarray(thumb, dtype=np.int16)
    bits = np.packbits(pixels[:, 1:] > pixels[:, :-1])
    return bits.view(">u8")[0].astype(np.uint64)


class HashIndex:
    """Hashes seen so far, searched for one within NEAR_DUPLICATE_BITS bits."""

    def __init__(self):
        self._values = np.empty(4096, dtype=np.uint64)
        self._count = 0

    def add(self, value):
        if self._count == self._values.size:
            self._values = np.concatenate([self._values, np.empty_like(self._values)])
        self._values[self._count] = value
        self._count += 1

    def has_near(self, value):
        seen = self._values[: self._count]
        return bool(seen.size) and int(np.bitwise_count(seen ^ value).min()) <= NEAR_DUPLICATE_BITS


def downscale(rgb):
    """Shorter side to at most MAX_SHORT_SIDE (Lanczos; never upscaled)."""
    img = Image.fromarray(rgb)
    scale = MAX_SHORT_SIDE / min(img.size)
    if scale < 1:
        size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
        img = img.resize(size, Image.Resampling.LANCZOS)
    return img


def shared_photos(data_root):
    """(set name, path) of every photo listed in the shared manifest, evaluation sets included."""
    with open(data_root / "manifest.csv", newline="", encoding="utf-8") as handle:
        return [(r["set"], data_root / r["set"] / r["file"]) for r in csv.DictReader(handle)]


def candidates(clone, source):
    """Image files under the source's paths, named as in the shared set, in sha1(name) order.

    The shared sets name a photo by its path in the repository, `/` and spaces made `_`, as .jpg.
    """
    found = []
    for sub in source.paths:
        for path in (clone / sub).rglob("*"):
            if path.is_file() and is_image_path(path):
                relative = path.relative_to(clone).with_suffix(".jpg").as_posix()
                name = relative.replace("/", "_").replace(" ", "_")
                found.append((name, path))
    return sorted(found, key=lambda item: hashlib.sha1(item[0].encode()).hexdigest())


def check_commit(clone, source):
    """Warn (not fail) when the clone is not at the commit the shared set was taken from."""
    try:
        head = subprocess.run(
            ["git", "-C", str(clone), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        head = None
    if head != source.commit:
        print(
            f"warning: {clone} is at {head or 'no git commit'}, not {source.commit}; "
            "the photos may differ from the ones the shared set was taken from",
            file=sys.stderr,
        )


def bring(set_name, clone, out, data_root, progress=True):
    """Prepare the set's photos that ../shared/data lacks; return a Counter of what happened."""
    source = SOURCES[set_name]
    check_commit(clone, source)
    shared = shared_photos(data_root)
    taken = {path.name for name, path in shared if name == set_name}
    known = HashIndex()
    for _name, path in _progress(shared, progress, "hashing shared photos"):
        try:
            known.add(difference_hash(read_rgb(path)))
        except ImageDecodeError:
            continue
    out.mkdir(parents=True, exist_ok=True)
    counts, seen_bytes = Counter(), set()
    for name, path in _progress(candidates(clone, source), progress, f"preparing {set_name}"):
        data = path.read_bytes()
        digest = hashlib.sha1(data).hexdigest()
        if name in taken:
            counts["already in ../shared/data"] += 1
            seen_bytes.add(digest)
            continue
        if digest in seen_bytes:
            counts["byte-identical duplicate"] += 1
            continue
        seen_bytes.add(digest)
        try:
            rgb = read_rgb(path)
        except ImageDecodeError:
            counts["unreadable"] += 1
            continue
        if bool(is_grayscale(rgb)):
            counts["grayscale"] += 1
            continue
        dhash = difference_hash(rgb)
        if known.has_near(dhash):
            counts["near-duplicate"] += 1
            continue
        known.add(dhash)
        target = out / name
        if target.exists():
            counts["kept from an earlier run"] += 1
            continue
        with atomic_path(target, suffix="") as tmp:
            downscale(rgb).save(tmp, format="JPEG", quality=JPEG_QUALITY)
        counts["written"] += 1
    return counts


def _progress(items, enabled, desc):
    from tqdm.auto import tqdm

    return tqdm(items, desc=desc, unit="photo", disable=None if enabled else True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("set", choices=sorted(SOURCES), help="which shared set to extend")
    parser.add_argument("clone", help="a git clone of the set's repository (see SOURCE.md)")
    parser.add_argument("--out", help="folder to write (default data-extra/SET, ignored by git)")
    parser.add_argument(
        "--data-root", default=str(REPO_ROOT.parent / "shared" / "data"), help="../shared/data"
    )
    args = parser.parse_args()
    clone = Path(args.clone)
    if not all((clone / sub).is_dir() for sub in SOURCES[args.set].paths):
        raise SystemExit(f"{clone}: not a clone of {SOURCES[args.set].repo} (folders missing)")
    out = Path(args.out) if args.out else REPO_ROOT / "data-extra" / args.set
    counts = bring(args.set, clone, out, Path(args.data_root).resolve())
    total = sum(1 for p in out.iterdir() if p.suffix == ".jpg")
    print(", ".join(f"{what}: {n}" for what, n in counts.most_common()))
    print(f"{out} holds {total} photos of {args.set}")


if __name__ == "__main__":
    main()
