"""Parse a data source string and list the image files it names (pure Python, no TensorFlow).

A source is one of:
- `tfds:NAME[:SPLIT]`: a TensorFlow Datasets image dataset, e.g. `tfds:coco/2017` or
  `tfds:coco/2017:validation` (SPLIT defaults to `train` and may use TFDS slicing, `train[:10%]`);
- a folder, searched recursively for image files (hidden files and folders are ignored);
- a text file (`.txt` or `.lst`) with one image path per line (relative paths are relative to the
  text file; blank lines and lines starting with `#` are ignored);
- a single image file.
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path

from kcolor.image_io import is_image_path

TFDS_PREFIX = "tfds:"
LIST_SUFFIXES = frozenset({".txt", ".lst"})
SUBSETS = ("all", "train", "val")


@dataclass(frozen=True)
class TFDSSource:
    """A TensorFlow Datasets dataset and split."""

    name: str
    split: str = "train"


@dataclass(frozen=True)
class FileSource:
    """Image files given as paths relative to `root` (POSIX separators, sorted)."""

    root: Path
    relpaths: tuple

    @property
    def paths(self):
        """Absolute paths as strings, in the order of `relpaths`."""
        return [str(self.root / rel) for rel in self.relpaths]


def parse_source(source):
    """Turn a source string into a `TFDSSource` or a `FileSource`.

    Raises:
        FileNotFoundError: the path does not exist (or a listed file is missing).
        ValueError: an empty folder or list, or a malformed `tfds:` string.
    """
    source = str(source)
    if source.startswith(TFDS_PREFIX):
        name, _, split = source[len(TFDS_PREFIX) :].partition(":")
        if not name:
            raise ValueError(f"{source!r}: expected tfds:NAME[:SPLIT], e.g. tfds:coco/2017")
        return TFDSSource(name=name, split=split or "train")
    path = Path(source).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"{source}: no such file or folder")
    if path.is_dir():
        return _folder_source(path)
    if path.suffix.lower() in LIST_SUFFIXES:
        return _list_source(path)
    if is_image_path(path):
        return FileSource(root=path.parent.resolve(), relpaths=(path.name,))
    raise ValueError(f"{source}: not a folder, an image, or a .txt/.lst list of image paths")


def _folder_source(folder):
    root = folder.resolve()
    relpaths = sorted(
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if is_image_path(path)
        and path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(root).parts)
    )
    if not relpaths:
        raise ValueError(
            f"{folder}: no image files (jpg, jpeg, png, bmp, gif, webp, tif, tiff) found"
        )
    return FileSource(root=root, relpaths=tuple(relpaths))


def _list_source(list_file):
    root = list_file.resolve().parent
    entries = []
    for line in list_file.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            entries.append(line)
    if not entries:
        raise ValueError(f"{list_file}: the list names no image files")
    missing = [entry for entry in entries if not (root / entry).is_file()]
    if missing:
        raise FileNotFoundError(
            f"{list_file}: {len(missing)} listed file(s) do not exist, first: {missing[0]}"
        )
    relpaths = [Path(entry).as_posix() for entry in entries]
    return FileSource(root=root, relpaths=tuple(relpaths))


def hash_fraction(relpath):
    """Map a relative path to a number in [0, 1), the same on every machine and every run."""
    digest = hashlib.sha256(relpath.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def split_relpaths(relpaths, subset, val_fraction):
    """Keep the paths of one subset of a deterministic train/val split.

    A file goes to `val` when `hash_fraction(relpath) < val_fraction`, so adding or removing
    other files never moves it between subsets.

    Args:
        relpaths: relative POSIX paths.
        subset: `"all"`, `"train"` or `"val"`.
        val_fraction: expected share of files in `val`, in [0, 1].
    """
    if subset not in SUBSETS:
        raise ValueError(f"subset must be one of {SUBSETS}, got {subset!r}")
    if not 0.0 <= val_fraction <= 1.0:
        raise ValueError(f"val_fraction must be in [0, 1], got {val_fraction}")
    if subset == "all":
        return tuple(relpaths)
    want_val = subset == "val"
    return tuple(rel for rel in relpaths if (hash_fraction(rel) < val_fraction) == want_val)
