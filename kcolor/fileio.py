"""Atomic file writes: a kill at any moment leaves the old file or the new one, never half."""

import contextlib
import os
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path, prefix=".", suffix=".tmp"):
    """Yield a temporary path beside `path`; rename it into place when the block succeeds.

    When the block fails (disk full, Ctrl-C, a bug), the temporary file is removed and the
    error goes on: neither a half-written file nor a stray temporary one is left. Writers that
    care about the file name's ending (Keras wants `.keras`, `.weights.h5`) pass `suffix=""`.
    """
    path = Path(path)
    tmp = path.with_name(f"{prefix}{path.name}{suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def atomic_write_png(path, array):
    """Encode a uint8 image array as PNG and write it atomically."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    atomic_write_bytes(path, buffer.getvalue())


def atomic_write_bytes(path, data):
    """Write bytes to `path` through a temporary file in the same folder and an atomic rename."""
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
