"""Choose the Keras backend of a process before Keras is first imported.

Keras reads `KERAS_BACKEND` once, at its first import, so `kcolor train --backend` sets it
before anything imports Keras, and refuses when Keras already runs on another backend (a Python
session that imported it earlier: start a new one).
"""

import importlib.util
import os
import sys

from kcolor.names import BACKENDS

BACKEND_ENV = "KERAS_BACKEND"
DEFAULT_BACKEND = "tensorflow"

# The module each backend needs, and how a user gets it.
_REQUIREMENTS = {
    "tensorflow": ("tensorflow", "pip install kcolor (tensorflow-cpu or tensorflow)"),
    "jax": ("jax", "pip install 'kcolor[jax]' (or jax[cuda12] for NVIDIA GPUs)"),
    "torch": ("torch", "pip install torch"),
}


def requested_backend():
    """The backend named by `KERAS_BACKEND`, else tensorflow."""
    return os.environ.get(BACKEND_ENV) or DEFAULT_BACKEND


def require_backend(name):
    """Raise ValueError naming the install command when backend `name` cannot run here."""
    if name not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {name!r}")
    module, install = _REQUIREMENTS[name]
    if importlib.util.find_spec(module) is None:
        raise ValueError(f"backend {name} needs the {module} package: {install}")


def use_backend(name):
    """Make this process's Keras run on `name`; returns the keras module.

    Raises:
        ValueError: unknown name, the backend's package is missing, or Keras already runs
            on another backend in this process.
    """
    require_backend(name)
    if "keras" in sys.modules:
        import keras

        current = keras.backend.backend()
        if current != name:
            raise ValueError(
                f"Keras already runs on {current} in this process; start a new one with "
                f"{BACKEND_ENV}={name}"
            )
        return keras
    os.environ[BACKEND_ENV] = name
    if name == "tensorflow":
        from kcolor.quiet import import_tensorflow

        import_tensorflow()  # quietly: TensorFlow prints C++ lines when it loads
    import keras

    return keras


class _TensorFlowBlocker:
    """A `sys.meta_path` finder that makes `import tensorflow` fail in this process."""

    def find_spec(self, name, path=None, target=None):
        if name == "tensorflow" or name.startswith("tensorflow."):
            raise ImportError(f"{name} is not used by this kcolor process (Keras backend)")
        return None


def keep_tensorflow_out():
    """Make sure a JAX or PyTorch training process never loads TensorFlow.

    Keras 3 imports TensorFlow, when it is installed, to check one type while it saves a model
    (`keras.src.saving.serialization_lib`); blocked, it takes TensorFlow as absent, as on a
    machine without it. Call before Keras or anything else imports TensorFlow.
    """
    if "tensorflow" in sys.modules:
        raise ValueError("TensorFlow is already loaded in this process")
    if not any(isinstance(finder, _TensorFlowBlocker) for finder in sys.meta_path):
        sys.meta_path.insert(0, _TensorFlowBlocker())
