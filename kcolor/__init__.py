"""kcolor: colorize grayscale photos with Keras 3 / TensorFlow models.

Importing `kcolor` is cheap: TensorFlow loads only when a module that needs it is imported
(`kcolor.color.lab_ops`, `kcolor.data.pipeline`, ...), so `kcolor --help` stays fast.
"""

import os
from pathlib import Path

__version__ = "0.1.0"

# TensorFlow prints INFO lines from C++ when it loads (oneDNN, CPU features, absl), past
# Python's logging: noise for someone calling `kcolor.data.build_dataset`. Level 1 hides INFO
# only (warnings and errors still print), and only as a default: a value the user set wins, and
# `kcolor -v` turns them back on. It must be set before TensorFlow loads, so here.
TF_LOG_LEVEL_DEFAULTED = "TF_CPP_MIN_LOG_LEVEL" not in os.environ
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")

# In a clone, the design keeps kcolor.cli, kcolor.savedmodels and kcolor.tflite in the top-level
# folders cli/, savedmodels/ and tflite/ (pyproject.toml maps them into the installed package).
# Python started in the clone's root finds this source folder before the installed package, so
# subpackages are looked up in the clone's root too; the source tree then behaves like the
# install. An installed kcolor has them inside its own folder and never takes this branch.
_CLONE_ROOT = Path(__file__).resolve().parent.parent
if (_CLONE_ROOT / "pyproject.toml").is_file() and (_CLONE_ROOT / "cli" / "main.py").is_file():
    __path__.append(str(_CLONE_ROOT))


def __getattr__(name):
    """`from kcolor import Colorizer` without importing TensorFlow for everything else."""
    if name == "Colorizer":
        from kcolor.inference.colorizer import Colorizer

        return Colorizer
    raise AttributeError(f"module 'kcolor' has no attribute {name!r}")
