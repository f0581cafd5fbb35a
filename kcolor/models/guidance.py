"""The guided generator's extra inputs and where they enter (Zhang et al. 2017's local and global
hints; the arrays are made by kcolor.color.hints).

Inputs beside the lightness: `hint_ab` (normalized ab, zero away from the points), `hint_mask`
(1 on the points) and `palette` (a histogram over the ab bins, then an on/off flag).

The local hints are average-pooled to every encoder level and enter each through a 3x3
convolution added to that level's features, so a point reaches a region as wide as the deepest
level's receptive field, not only the pixels the first convolution sees (colorization-pytorch
issue #74: a hint colored a tiny area). The palette enters as a bias on the bottleneck. Every
new kernel starts at zero: an untrained guided model gives exactly the colors of the automatic
generator its weights came from, hints or not.
"""

import keras
from keras import layers

from kcolor.color import ab_bins
from kcolor.color.hints import palette_size

HINT_AB_INPUT = "hint_ab"
HINT_MASK_INPUT = "hint_mask"
PALETTE_INPUT = "palette"
GUIDANCE_INPUTS = (HINT_AB_INPUT, HINT_MASK_INPUT, PALETTE_INPUT)


def guidance_inputs():
    """The three `keras.Input`s a guided generator takes after the lightness."""
    bins = len(ab_bins.in_gamut_bins())
    return (
        keras.Input(shape=(None, None, 2), name=HINT_AB_INPUT),
        keras.Input(shape=(None, None, 1), name=HINT_MASK_INPUT),
        keras.Input(shape=(palette_size(range(bins)),), name=PALETTE_INPUT),
    )


def apply_hint_maps(hint_ab, hint_mask, levels):
    """The local hints (ab and mask concatenated) at 1, 1/2, ... 1/2**levels of the input size.

    Average pooling keeps the share of each cell covered by points in the mask channel, so a
    deep level learns how much to trust a pooled color."""
    hints = layers.Concatenate(name="hints_concat")([hint_ab, hint_mask])
    maps = [hints]
    for level in range(1, levels + 1):
        maps.append(layers.AveragePooling2D(2**level, name=f"hints_pool{level}")(hints))
    return maps


def apply_hint_injection(x, hint_map, name):
    """`x + conv3x3(hint_map)`, the kernel zero at start (the automatic colors are kept)."""
    injected = layers.Conv2D(
        x.shape[-1], 3, padding="same", use_bias=False, kernel_initializer="zeros", name=name
    )(hint_map)
    return layers.Add(name=f"{name}_add")([x, injected])


def apply_palette_bias(x, palette, name="palette"):
    """`x + dense(palette)` broadcast over the map, zero at start."""
    width = x.shape[-1]
    bias = layers.Dense(width, kernel_initializer="zeros", name=f"{name}_dense")(palette)
    bias = layers.Reshape((1, 1, width), name=f"{name}_map")(bias)
    return layers.Add(name=f"{name}_add")([x, bias])


def guided_copy(generator):
    """A guided generator with the weights of `generator` (automatic or guided), layer by layer;
    its guidance layers are new (zero) when `generator` has none.

    Raises:
        ValueError: `generator` has no guided form (not a U-Net).
    """
    if not getattr(generator, "guidable", False):
        raise ValueError(f"{type(generator).__name__} has no guided form (use a U-Net)")
    config = generator.get_config()
    guided = type(generator).from_config({**config, "guided": True})
    for layer in generator.layers:
        if layer.weights:
            guided.get_layer(layer.name).set_weights(layer.get_weights())
    return guided
