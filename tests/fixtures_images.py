"""Builders for the test images: every format, mode and failure kcolor must handle."""

import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

EXIF_ORIENTATION_TAG = 0x0112

# file name -> what the pipeline must do with it
EXPECTED = {
    "good/photo_a.jpg": "used",
    "good/photo_b.png": "used",
    "good/nested/photo_c.jpg": "used",
    "cmyk.jpg": "used",
    "rgba.png": "used",
    "rgb16.png": "used",
    "exif_rotated.jpg": "used",
    "palette.gif": "used",
    "photo.webp": "used",
    "photo.tif": "used",
    "photo.bmp": "used",
    "gray.jpg": "gray",
    "gray16.png": "gray",
    "truncated.jpg": "bad",
    "empty.jpg": "bad",
    "text.jpg": "bad",
}


def colorful_pattern(height, width, seed=0):
    """A smooth, saturated uint8 RGB image (so JPEG keeps its colors)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width] / max(height, width)
    phases = rng.uniform(0, 2 * np.pi, size=3)
    channels = [127.5 + 127.5 * np.sin(6 * x + 4 * y + p) for p in phases]
    return np.stack(channels, axis=-1).round().astype(np.uint8)


def write_png16(path, array):
    """Write a 16-bit PNG (gray `(H, W)` or RGB `(H, W, 3)` uint16) without any imaging library."""
    array = np.asarray(array, dtype=">u2")
    height, width = array.shape[:2]
    color_type = 0 if array.ndim == 2 else 2
    raw = b"".join(b"\x00" + array[row].tobytes() for row in range(height))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 16, color_type, 0, 0, 0)
    Path(path).write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def exif_rotated_jpeg(path, array, orientation=6):
    """Save `array` as a JPEG whose EXIF says 'rotate 90 degrees clockwise to view' (6)."""
    exif = Image.Exif()
    exif[EXIF_ORIENTATION_TAG] = orientation
    Image.fromarray(array).save(path, quality=95, exif=exif)


def make_awkward_folder(root, shared_data):
    root = Path(root)
    (root / "good" / "nested").mkdir(parents=True)
    kodak = sorted((shared_data / "kodak24").glob("*.png"))[:3]
    names = ["good/photo_a.jpg", "good/photo_b.png", "good/nested/photo_c.jpg"]
    for source, name in zip(kodak, names, strict=True):
        img = Image.open(source).convert("RGB")
        img.thumbnail((160, 160))
        img.save(root / name, quality=92)
    pattern = colorful_pattern(48, 64)
    Image.fromarray(pattern).convert("CMYK").save(root / "cmyk.jpg", quality=95)
    rgba = np.concatenate([pattern, np.full((48, 64, 1), 128, np.uint8)], axis=-1)
    Image.fromarray(rgba, "RGBA").save(root / "rgba.png")
    write_png16(root / "rgb16.png", pattern.astype(np.uint16) * 257)
    exif_rotated_jpeg(root / "exif_rotated.jpg", pattern)
    Image.fromarray(pattern).convert("P", palette=Image.Palette.ADAPTIVE).save(root / "palette.gif")
    for name in ("photo.webp", "photo.tif", "photo.bmp"):
        Image.fromarray(pattern).save(root / name, lossless=True)  # lossless applies to webp
    Image.fromarray(pattern).convert("L").save(root / "gray.jpg")
    write_png16(root / "gray16.png", np.linspace(0, 65535, 48 * 64).reshape(48, 64))
    full = (root / "good/photo_a.jpg").read_bytes()
    (root / "truncated.jpg").write_bytes(full[: len(full) // 2])
    (root / "empty.jpg").write_bytes(b"")
    (root / "text.jpg").write_text("this is not an image\n")
    (root / "notes.txt").write_text("not listed: wrong suffix\n")
    (root / ".hidden.jpg").write_bytes(b"")
    return root
