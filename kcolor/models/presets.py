"""The named generators (`--arch cnn | unet | default`), their presets, and the crop sizes
each accepts. Importing this module registers kcolor's architectures for `.keras` loading."""

import inspect

from kcolor.models.cnn_colorizer import CNNColorizer
from kcolor.models.patch_discriminator import PatchDiscriminator  # noqa: F401  (registers it)
from kcolor.models.unet_colorizer import UNetColorizer
from kcolor.names import GENERATOR_ARCHS

# Constructor arguments of each named generator; `kcolor train --set model.filters=[...]` overrides.
GENERATOR_PRESETS = {
    "cnn": (CNNColorizer, {"filters": (32, 64, 128, 256)}),
    "unet": (UNetColorizer, {"filters": (20, 40, 80, 160, 320)}),
    "default": (UNetColorizer, {"filters": (16, 32, 64, 128, 192)}),
}


# A class head reads the decoder at half size: at full size its 262 logits per pixel cost more
# than the rest of the lean U-Net's training step (docs/training.md).
CLASS_HEAD_PRESET = {"head": "classification", "head_stride": 2}


def build_generator(arch, head="regression", **overrides):
    """A fresh generator for `arch` ("cnn", "unet" or "default") with a "regression" or
    "classification" head, preset arguments overridden."""
    if arch not in GENERATOR_PRESETS:
        raise ValueError(f"generator arch must be one of {GENERATOR_ARCHS}, got {arch!r}")
    cls, preset = GENERATOR_PRESETS[arch]
    head_preset = CLASS_HEAD_PRESET if head == "classification" else {"head": head}
    return cls(**{**preset, **head_preset, **overrides})


def generator_keys(arch):
    """The `model.*` keys `kcolor train --set` accepts for `arch`: its class's constructor
    arguments (the head comes from `--loss`)."""
    if arch not in GENERATOR_PRESETS:
        raise ValueError(f"generator arch must be one of {GENERATOR_ARCHS}, got {arch!r}")
    cls, _ = GENERATOR_PRESETS[arch]
    parameters = inspect.signature(cls.__init__).parameters
    return sorted(
        name
        for name, parameter in parameters.items()
        if name not in ("self", "name", "head")
        and parameter.kind is parameter.POSITIONAL_OR_KEYWORD
    )


def generator_size_multiple(arch, **overrides):
    """Crop sides a generator of `arch` accepts are multiples of this (computed without
    building it: the pooling stages of its preset or overridden filters)."""
    if arch not in GENERATOR_PRESETS:
        raise ValueError(f"generator arch must be one of {GENERATOR_ARCHS}, got {arch!r}")
    cls, preset = GENERATOR_PRESETS[arch]
    stages = len(overrides.get("filters", preset["filters"]))
    multiple = 2 ** (stages - 1) if cls is UNetColorizer else 2**stages
    if overrides.get("semantic"):
        multiple = max(multiple, 32)  # the ImageNet encoder's deepest map is at 1/32
    return multiple


def check_image_size(size, arch, **overrides):
    """Raise ValueError naming the nearest valid sizes when `size` does not fit `arch`."""
    multiple = generator_size_multiple(arch, **overrides)
    if size % multiple == 0 and size >= multiple:
        return
    below = max(multiple, size // multiple * multiple)
    above = below + multiple if below <= size else below
    nearest = f"{below} or {above}" if below < size else f"{above}"
    raise ValueError(
        f"image size {size} does not fit the {arch} generator: it needs a multiple of "
        f"{multiple}; nearest: {nearest}"
    )
