"""kcolor: colorize grayscale photos with Keras 3 / TensorFlow models.

Importing `kcolor` is cheap: TensorFlow loads only when a module that needs it is imported
(`kcolor.color`, `kcolor.data`, ...), so `kcolor --help` stays fast.
"""

__version__ = "0.1.0"


def __getattr__(name):
    """`from kcolor import Colorizer` without importing TensorFlow for everything else."""
    if name == "Colorizer":
        from kcolor.colorizer import Colorizer

        return Colorizer
    raise AttributeError(f"module 'kcolor' has no attribute {name!r}")
