"""The guided generator's extra inputs and where they enter (Zhang et al. 2017's local and global
hints; the arrays are made by kcolor.color.hints).

Inputs beside the lightness: `hint_ab` (normalized ab, zero away from the points), `hint_mask`
(1 on the points) and `palette` (a histogram over the ab bins, then an on/off flag).

The local hints are average-pooled to every encoder level and enter each through a 3x3
convolution added to that level's features, so a point reaches a region as wide as the deepest
level's receptive field, not only the pixels the first convolution sees (colorization-pytorch
issue #74: a hint colored a tiny area). Pooling dilutes a 6-px point to a seventh of a cell at
1/16, so each level also gets the points' undiluted color (`HintPeakColor`).
The palette enters as a bias on the bottleneck. Every new kernel starts at zero: an untrained
guided model gives exactly the colors of the automatic generator its weights came from, hints
or not. Their outputs are multiplied by `GUIDANCE_GAIN`: Adam moves each weight by about the
learning rate per step, so without it the new paths grew too slowly to be used (measured: after
4,000 crops at a peak LR of 1e-4, 100 points moved PSNR by 0.03 dB on kodak24).
"""

import keras
from keras import layers, ops

from kcolor.color import ab_bins
from kcolor.color.hints import palette_size

HINT_AB_INPUT = "hint_ab"
HINT_MASK_INPUT = "hint_mask"
PALETTE_INPUT = "palette"
GUIDANCE_INPUTS = (HINT_AB_INPUT, HINT_MASK_INPUT, PALETTE_INPUT)
GUIDANCE_GAIN = 20.0


def guidance_inputs():
    """The three `keras.Input`s a guided generator takes after the lightness."""
    bins = len(ab_bins.in_gamut_bins())
    return (
        keras.Input(shape=(None, None, 2), name=HINT_AB_INPUT),
        keras.Input(shape=(None, None, 1), name=HINT_MASK_INPUT),
        keras.Input(shape=(palette_size(range(bins)),), name=PALETTE_INPUT),
    )


_COLOR_OFFSET = 2.0  # normalized ab lie in [-1, 1]: ab + 2 > 0 on every point


@keras.saving.register_keras_serializable(package="kcolor")
class HintPeakColor(keras.layers.Layer):
    """The points' color in each `pool` x `pool` cell, undiluted by pooling: per channel, the
    largest `ab + 2` over the cell's points, minus 2 (0 where no point falls). One point per
    cell gives its exact color. Max pooling, not `sum(ab) / sum(mask)`: a division by the
    quantized mask fails in a full-int8 TFLite graph.

    Args:
        pool: the cell side (1: the hints themselves).
    """

    def __init__(self, pool, **kwargs):
        super().__init__(**kwargs)
        self.pool = int(pool)

    def call(self, hints):
        ab, mask = hints[..., :2], hints[..., 2:]
        shifted = (ab + _COLOR_OFFSET) * mask
        if self.pool > 1:
            shifted = ops.max_pool(shifted, self.pool, strides=self.pool)
            mask = ops.max_pool(mask, self.pool, strides=self.pool)
        return shifted - _COLOR_OFFSET * mask

    def compute_output_shape(self, input_shape):
        batch, height, width, _ = input_shape
        if self.pool > 1:
            height = None if height is None else height // self.pool
            width = None if width is None else width // self.pool
        return (batch, height, width, 2)

    def get_config(self):
        return {**super().get_config(), "pool": self.pool}


def apply_hint_maps(hint_ab, hint_mask, levels):
    """The local hints at 1/2, ... 1/2**levels of the input size (index = level; none at full
    size): pooled ab and mask (the share of each cell covered by points), and the points' color
    (`HintPeakColor`)."""
    hints = layers.Concatenate(name="hints_concat")([hint_ab, hint_mask])
    maps = [None]  # level 0 (full size) takes no hints
    for level in range(1, levels + 1):
        pooled = layers.AveragePooling2D(2**level, name=f"hints_pool{level}")(hints)
        color = HintPeakColor(2**level, name=f"hints_color{level}")(hints)
        maps.append(layers.Concatenate(name=f"hints_maps{level}")([pooled, color]))
    return maps


def apply_hint_injection(x, hint_map, name):
    """`x + GAIN * conv3x3(hint_map)`, the kernel zero at start (the automatic colors kept)."""
    injected = layers.Conv2D(
        x.shape[-1], 3, padding="same", use_bias=False, kernel_initializer="zeros", name=name
    )(hint_map)
    injected = layers.Rescaling(GUIDANCE_GAIN, name=f"{name}_gain")(injected)
    return layers.Add(name=f"{name}_add")([x, injected])


def apply_palette_bias(x, palette, name="palette"):
    """`x + GAIN * dense(palette)` broadcast over the map, zero at start."""
    width = x.shape[-1]
    # No bias: without a palette (all zeros, flag 0) the path adds exactly 0, so a guided model
    # with no points and no palette is its automatic twin (kcolor.models.guidance.automatic_twin);
    # the flag's weight is the bias when a palette is on.
    bias = layers.Dense(width, use_bias=False, kernel_initializer="zeros", name=f"{name}_dense")(
        palette
    )
    bias = layers.Rescaling(GUIDANCE_GAIN, name=f"{name}_gain")(bias)
    bias = layers.Reshape((1, 1, width), name=f"{name}_map")(bias)
    return layers.Add(name=f"{name}_add")([x, bias])


def is_guidance_layer(layer):
    """True for the layers a guided copy adds (their names start with "hints" or "palette")."""
    return layer.name.startswith(("hints", "palette"))


def automatic_twin(generator):
    """The automatic generator inside a guided one: same weights, no guidance inputs. It gives
    exactly the guided model's colors without points or palette (every guidance path adds 0
    then), at the automatic model's cost."""
    config = {**generator.get_config(), "guided": False}
    twin = type(generator).from_config(config)
    for layer in twin.layers:
        if layer.weights:
            layer.set_weights(generator.get_layer(layer.name).get_weights())
    return twin


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
