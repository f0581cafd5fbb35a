"""kcolor: colorize grayscale photos with Keras 3 / TensorFlow models.

Importing `kcolor` is cheap: TensorFlow loads only when a module that needs it is imported
(`kcolor.color`, `kcolor.data`, ...), so `kcolor --help` stays fast.
"""

__version__ = "0.1.0"
