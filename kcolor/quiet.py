"""Keep TensorFlow's and LiteRT's native log lines off the terminal unless asked for.

TensorFlow prints oneDNN, CPU-feature and absl lines from C++ when it loads, the TFLite converter
prints its settings, and LiteRT announces its XNNPACK delegate, all straight to file descriptor 2,
past Python's logging. `kcolor` (without `-v`) sets KCOLOR_QUIET=1; these helpers then point
descriptor 2 at /dev/null for the few calls that print. The library used from Python is left
alone, except for LiteRT's delegate notice, which is silenced always.
"""

import contextlib
import os
import sys

QUIET_ENV = "KCOLOR_QUIET"


def quiet_requested():
    return os.environ.get(QUIET_ENV) == "1"


@contextlib.contextmanager
def native_stderr_silenced(always=False):
    """Redirect descriptor 2 to /dev/null inside the block when KCOLOR_QUIET=1 (or `always`).

    `always` is for calls whose only output is noise and whose failures raise Python errors
    (LiteRT's "Created TensorFlow Lite XNNPACK delegate" on allocation), so the Python API
    stays quiet too. Python exceptions are unaffected (they print after the block, with
    descriptor 2 restored).
    """
    if not (always or quiet_requested()):
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_tensorflow():
    """Import TensorFlow and Keras, quietly when KCOLOR_QUIET=1 (TensorFlow's C++ start-up).

    Keras is put on the TensorFlow backend (when it is not imported yet), whatever
    KERAS_BACKEND says: the commands that call this (evaluate, export, ...) run tf.data,
    SavedModels and the TFLite converter.
    """
    if "keras" not in sys.modules:
        os.environ["KERAS_BACKEND"] = "tensorflow"
    with native_stderr_silenced():
        import keras  # noqa: F401
        import tensorflow as tf

    if quiet_requested():
        tf.get_logger().setLevel("ERROR")
