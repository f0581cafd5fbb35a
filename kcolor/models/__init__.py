"""Architectures. `build_generator(arch)` gives the generator each `kcolor train --arch` trains.

| arch      | model                                   | notes                                      |
|-----------|-----------------------------------------|--------------------------------------------|
| `cnn`     | CNNColorizer((32, 64, 128, 256))        | no skips; the study's CNN without its FC   |
| `unet`    | UNetColorizer((20, 40, 80, 160, 320))   | the study's U-Net: 4 down, 4 up, ~2.8 M    |
| `default` | UNetColorizer((16, 32, 64, 128, 192))   | lean generator for CPUs and phones         |
| `gan`     | ColorGAN(generator, PatchDiscriminator) | kcolor.training.color_gan; lean generator  |

Measured parameters and FLOPs: docs/models.md (`costs`). Beside the architectures: the
predictors that run a saved generator (.keras, SavedModel, .tflite) and the rebuild of the
shipped generator for fine-tuning (`shipped_generator`). The GAN wrapper is training-only and
lives in kcolor.training.color_gan.

Importing the package is cheap (no Keras): its names load on first use, so the TensorFlow-free
.tflite path can use `kcolor.models.predictors`. `import kcolor.models.presets` registers the
architectures for `.keras` loading.

May import kcolor.color, kcolor.data and the shared top-level modules; nothing from training,
evaluation or inference.
"""

import importlib

_LAZY = {
    "ARCHS": "kcolor.names",
    "GENERATOR_ARCHS": "kcolor.names",
    "CNNColorizer": "kcolor.models.cnn_colorizer",
    "PatchDiscriminator": "kcolor.models.patch_discriminator",
    "UNetColorizer": "kcolor.models.unet_colorizer",
    "GENERATOR_PRESETS": "kcolor.models.presets",
    "build_generator": "kcolor.models.presets",
    "check_image_size": "kcolor.models.presets",
    "generator_keys": "kcolor.models.presets",
    "generator_size_multiple": "kcolor.models.presets",
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    """`from kcolor.models import build_generator` imports Keras only then."""
    if name not in _LAZY:
        raise AttributeError(f"module 'kcolor.models' has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)
