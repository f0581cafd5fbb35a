"""Architectures. `build_generator(arch)` gives the generator each `kcolor train --arch` trains.

| arch      | model                                   | notes                                      |
|-----------|-----------------------------------------|--------------------------------------------|
| `cnn`     | CNNColorizer((32, 64, 128, 256))        | no skips; the study's CNN without its FC   |
| `unet`    | UNetColorizer((20, 40, 80, 160, 320))   | the study's U-Net: 4 down, 4 up, ~2.8 M    |
| `default` | UNetColorizer((16, 32, 64, 128, 192))   | lean generator for CPUs and phones         |
| `gan`     | ColorGAN(generator, PatchDiscriminator) | generator: `gan_generator` (default lean)  |

Measured parameters and FLOPs: docs/models.md.
"""

from kcolor.models.cnn_colorizer import CNNColorizer
from kcolor.models.color_gan import ColorGAN
from kcolor.models.patch_discriminator import PatchDiscriminator
from kcolor.models.unet_colorizer import UNetColorizer
from kcolor.names import ARCHS, GENERATOR_ARCHS

# Constructor arguments of each named generator; `kcolor train --set model.filters=[...]` overrides.
GENERATOR_PRESETS = {
    "cnn": (CNNColorizer, {"filters": (32, 64, 128, 256)}),
    "unet": (UNetColorizer, {"filters": (20, 40, 80, 160, 320)}),
    "default": (UNetColorizer, {"filters": (16, 32, 64, 128, 192)}),
}


def build_generator(arch, **overrides):
    """A fresh generator for `arch` ("cnn", "unet" or "default"), preset arguments overridden."""
    if arch not in GENERATOR_PRESETS:
        raise ValueError(f"generator arch must be one of {GENERATOR_ARCHS}, got {arch!r}")
    cls, preset = GENERATOR_PRESETS[arch]
    return cls(**{**preset, **overrides})


__all__ = [
    "ARCHS",
    "GENERATOR_ARCHS",
    "CNNColorizer",
    "ColorGAN",
    "PatchDiscriminator",
    "UNetColorizer",
    "build_generator",
]
