"""Atomic file writes: a kill at any moment leaves the old file or the new one, never half."""

import os
from pathlib import Path


def atomic_write_png(path, array):
    """Encode a uint8 image array as PNG and write it atomically."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    atomic_write_bytes(path, buffer.getvalue())


def atomic_write_bytes(path, data):
    """Write bytes to `path` through a temporary file in the same folder and an atomic rename."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
