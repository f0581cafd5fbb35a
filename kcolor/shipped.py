"""The models shipped with kcolor (`savedmodels/`, `tflite/`), found and verified by sha256.

The expected digests live in `kcolor/shipped.json`, written by `tools/ship_default.py` when a
model is released. A file whose digest does not match is refused: a corrupt or swapped model
must never colorize silently.
"""

import hashlib
import json
from importlib import resources
from pathlib import Path

SHIPPED_NAMES = ("default",)
TFLITE_VARIANTS = ("fp32", "fp16", "int8")


class ShippedModelError(FileNotFoundError):
    """A shipped model that is missing or fails its sha256 check; the message says which."""


def file_sha256(path):
    """Hex sha256 of a file, read in 1 MB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def tree_sha256(folder):
    """Hex sha256 over a folder: each file's relative path and sha256, in sorted order."""
    folder = Path(folder)
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(file_sha256(path).encode() + b"\n")
    return digest.hexdigest()


def _manifest():
    text = resources.files("kcolor").joinpath("shipped.json").read_text(encoding="utf-8")
    return json.loads(text)


def _installed_folder(kind):
    """The shipped `savedmodels/` or `tflite/` folder: installed as kcolor.savedmodels and
    kcolor.tflite (pyproject.toml maps them)."""
    return Path(str(resources.files(f"kcolor.{kind}")))


def shipped_model_path(name="default", backend="keras", variant="fp32"):
    """Path of a verified shipped model: a SavedModel folder (keras backend) or a `.tflite`.

    Raises:
        ShippedModelError: not shipped, missing, or a sha256 mismatch.
    """
    entries = _manifest().get(name)
    if not entries:
        raise ShippedModelError(
            f"no {name!r} model ships with this version of kcolor: pass a trained model "
            "(a run folder, .keras or .tflite file)"
        )
    if backend == "tflite":
        if variant not in entries.get("tflite", {}):
            raise ShippedModelError(f"the {name!r} model ships no {variant} TFLite file")
        entry = entries["tflite"][variant]
        path = _installed_folder("tflite") / entry["file"]
        actual = file_sha256(path) if path.is_file() else None
    else:
        entry = entries["savedmodel"]
        path = _installed_folder("savedmodels") / entry["folder"]
        actual = tree_sha256(path) if path.is_dir() else None
    if actual is None:
        raise ShippedModelError(f"shipped model file missing: {path} (reinstall kcolor)")
    if actual != entry["sha256"]:
        raise ShippedModelError(
            f"{path} does not match its sha256 (expected {entry['sha256'][:12]}..., got "
            f"{actual[:12]}...): refusing a corrupt or modified model; reinstall kcolor"
        )
    return path
