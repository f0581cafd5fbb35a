"""A fast PNG encoder for 8-bit photos: the "Up" filter in NumPy, deflate on every core.

Pillow's encoder tries five filters per row and compresses on one thread: a colorized 12 MP
photo took 0.71 s at level 1 (10.3 MB). Here every row is filtered by "Up" (the row minus the
one above: one NumPy subtraction), the filtered bytes are split into one part per core and
deflated in parallel (zlib and ISA-L release the GIL), and the parts are joined into one zlib
stream (each part but the last ends on a byte-aligned sync flush; one Adler-32 over all).
ISA-L (`isal`, a dependency) deflates several times faster than zlib at a similar size; zlib is
the fallback where `isal` cannot be installed. Measured in docs/benchmarks.md ("PNG encoding").
Any PNG decoder reads the result (tests/test_png_writer.py checks Pillow's pixels and the
EXIF and ICC chunks).
"""

import os
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np

try:  # ISA-L's deflate: levels 0-3, much faster than zlib's
    from isal import isal_zlib as _deflate
except ImportError:  # pragma: no cover - a platform without isal wheels
    _deflate = zlib

DEFAULT_LEVEL = 1  # the fastest level of both; ISA-L's 1 is also smaller than its 0 and 3

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOR_TYPES = {1: 0, 2: 4, 3: 2, 4: 6}  # channels -> PNG color type (gray, gray+alpha, RGB, RGBA)
_UP_FILTER = 2
_MIN_PART_BYTES = 1 << 20  # smaller images are deflated in one part


def _chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def _up_filtered(image):
    """The scanlines, each led by its filter byte: row minus the row above ("Up"; the first
    row is unchanged, as if the row above were zeros)."""
    height = image.shape[0]
    rows = image.reshape(height, -1)
    out = np.empty((height, rows.shape[1] + 1), np.uint8)
    out[:, 0] = _UP_FILTER
    out[0, 1:] = rows[0]
    np.subtract(rows[1:], rows[:-1], out=out[1:, 1:])  # uint8 arithmetic wraps, as PNG's does
    return out


def _deflate_parts(data, level, parts):
    """One zlib stream of `data` (a flat uint8 array), deflated in `parts` pieces at once."""
    bounds = np.linspace(0, data.size, parts + 1).astype(int)
    pieces = [memoryview(data[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]

    def deflate(index):
        compressor = _deflate.compressobj(level, zlib.DEFLATED, -15)  # raw deflate
        last = index == len(pieces) - 1
        flush = _deflate.Z_FINISH if last else _deflate.Z_SYNC_FLUSH
        return compressor.compress(pieces[index]) + compressor.flush(flush)

    if parts == 1:
        body = [deflate(0)]
    else:
        with ThreadPoolExecutor(parts) as pool:
            body = list(pool.map(deflate, range(parts)))
    adler = 1
    for piece in pieces:
        adler = _deflate.adler32(piece, adler)
    header = b"\x78\x01"  # deflate, 32 KB window, fastest-level hint; 0x7801 % 31 == 0
    return header + b"".join(body) + struct.pack(">I", adler & 0xFFFFFFFF)


def encode_png(image, level=None, icc_profile=None, exif=None, threads=None):
    """PNG bytes of an 8-bit image.

    Args:
        image: uint8 array `(H, W)`, `(H, W, 1)`, `(H, W, 2)`, `(H, W, 3)` or `(H, W, 4)`.
        level: deflate level (ISA-L: 0-3; zlib: 0-9); default `DEFAULT_LEVEL`.
        icc_profile: ICC profile bytes to embed (iCCP), or None.
        exif: EXIF bytes to embed (eXIf; a leading "Exif\\0\\0" is removed), or None.
        threads: parts deflated at once (default: one per core, fewer for small images).

    Raises:
        ValueError: not a uint8 image with 1 to 4 channels.
    """
    image = np.asarray(image)
    if image.ndim == 2:
        image = image[..., np.newaxis]
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[-1] not in _COLOR_TYPES:
        raise ValueError(
            f"encode_png needs uint8 (H, W[, 1-4]) pixels, got {image.dtype} {image.shape}"
        )
    height, width, channels = image.shape
    level = DEFAULT_LEVEL if level is None else level
    filtered = _up_filtered(np.ascontiguousarray(image)).reshape(-1)
    parts = max(1, min(threads or os.cpu_count() or 1, filtered.size // _MIN_PART_BYTES))
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOR_TYPES[channels], 0, 0, 0)
    chunks = [_SIGNATURE, _chunk(b"IHDR", header)]
    if icc_profile:
        chunks.append(_chunk(b"iCCP", b"ICC Profile\0\0" + zlib.compress(icc_profile)))
    if exif:
        exif = exif[6:] if exif.startswith(b"Exif\0\0") else exif
        chunks.append(_chunk(b"eXIf", exif))
    chunks.append(_chunk(b"IDAT", _deflate_parts(filtered, level, parts)))
    chunks.append(_chunk(b"IEND", b""))
    return b"".join(chunks)
