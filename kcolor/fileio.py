"""Atomic file writes: a kill at any moment leaves the old file or the new one, never half."""

import contextlib
import errno
import os
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path, prefix=".", suffix=".tmp"):
    """Yield a temporary path beside `path`; rename it into place when the block succeeds.

    When the block fails (disk full, Ctrl-C, a bug), the temporary file is removed and the
    error goes on: neither a half-written file nor a stray temporary one is left. Writers that
    care about the file name's ending (Keras wants `.keras`, `.weights.h5`) pass `suffix=""`.
    Missing parent folders are created here, at write time: every command checks the location
    first (`check_output_file`), so `-o new/folder/file` works for every writer alike and a
    command that fails before writing leaves no empty folder behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
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


class UnwritableError(OSError):
    """An output location that cannot be written; `str()` is the one line to show the user."""

    def __str__(self):
        return self.strerror


def write_error(path, err):
    """One line for a failed write: "cannot write to PATH: reason" (no traceback)."""
    reason = (err.strerror if isinstance(err, OSError) else None) or str(err)
    return f"cannot write to {path}: {reason}"


def check_writable(folder, create=True, target=None):
    """Prove a file can be written in `folder`; raises UnwritableError naming it.

    Commands call it (or `check_output_file`) before their work starts, so a read-only or
    blocked location fails in a second, not after an hour of scoring or training. With
    `create=False` a missing folder is not made: its nearest existing parent must be a
    writable folder (nothing is left behind when the command then fails for another reason).
    The message names `target` (the file to be written) when given, else the folder.
    """
    folder = Path(folder)
    try:
        if folder.exists() and not folder.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, f"{folder} is a file, not a folder")
        if create:
            folder.mkdir(parents=True, exist_ok=True)
        elif not folder.exists():
            parent = next(p for p in folder.absolute().parents if p.exists())
            if not parent.is_dir():
                raise NotADirectoryError(errno.ENOTDIR, f"{parent} is a file, not a folder")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise PermissionError(errno.EACCES, f"{parent} is not writable")
            return
        probe = folder / ".kcolor-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise UnwritableError(err.errno, write_error(target or folder, err)) from None


def check_output_file(path):
    """`path` can be written as a file: not a folder, and its folder is writable."""
    path = Path(path)
    if path.is_dir():
        raise UnwritableError(errno.EISDIR, f"cannot write to {path}: it is a folder, not a file")
    check_writable(path.parent, create=False, target=path)


@contextlib.contextmanager
def atomic_folder(path):
    """Yield a temporary folder beside `path`; rename it to `path` when the block succeeds.

    For writers of whole folders (a SavedModel): `path` must not exist or be empty. On any
    failure the temporary folder is removed, so no half-written folder is ever left.
    """
    import shutil
    import tempfile

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        yield tmp
        if path.is_dir():
            path.rmdir()  # empty (the caller checked); a non-empty one raises OSError
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
