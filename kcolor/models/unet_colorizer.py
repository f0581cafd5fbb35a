"""U-Net colorizer: encoder-decoder with skip connections, normalized L -> normalized ab."""

import keras
from keras import layers

from kcolor.color.ab_bins import TEMPERATURE
from kcolor.models.blocks import (
    apply_conv_block,
    apply_output_head,
    apply_upsample,
    lightness_input,
    stride_level,
)
from kcolor.models.guidance import (
    apply_hint_injection,
    apply_hint_maps,
    apply_palette_bias,
    guidance_inputs,
)
from kcolor.models.semantic_prior import SEMANTIC_ENCODERS, apply_semantic_fusion


@keras.saving.register_keras_serializable(package="kcolor")
class UNetColorizer(keras.Model):
    guidable = True  # kcolor.models.guidance.guided_copy can add hint inputs

    """U-Net generator with `len(filters) - 1` downsamplings; H and W must be multiples of
    `2 ** (len(filters) - 1)` (`size_multiple`).

    Args:
        filters: channels per level, from the full-resolution level down to the bottleneck.
            The study's U-Net is `(32, 64, 128, 256, 512)` (4 down, 4 up, ~2.6 M parameters
            here with plain convolutions... see docs/models.md for measured counts).
        conv: "plain" or "separable" (depthwise-separable) 3x3 convolutions. The first block
            always uses plain convolutions (a depthwise conv on one input channel is wasteful).
        norm: "batch", "group", "instance" or "none".
        dropout: dropout rate in the bottleneck (0 disables).
        head: "regression" (tanh ab) or "classification" (ab-bin logits decoded by the
            annealed mean at `temperature`; see kcolor.color.ab_bins).
        head_stride: 1, or 2, 4, ...: the head reads the decoder at 1/head_stride of the input
            size and its ab are upsampled bilinearly (Zhang et al. predict at 1/4). A class head
            at full size costs more than the rest of a lean U-Net's training step.
        semantic: None, or "mobilenet": fuse a frozen ImageNet MobileNet-0.25's features into
            the bottleneck (kcolor.models.semantic_prior).
        semantic_weights: "imagenet" (Keras' download cache), a path to the same .h5 file, or
            None. Not saved in the config: a saved model's file already holds those weights.
        guided: also take `[hint_ab, hint_mask, palette]` after the lightness (Zhang et al.
            2017's local and global hints, kcolor.models.guidance); zero-initialized, so an
            untrained guided model colors as the automatic one.

    Example:
        >>> model = UNetColorizer(filters=(8, 16, 32))
        >>> model(np.zeros((1, 32, 32, 1))).shape  # (1, 32, 32, 2)
    """

    def __init__(
        self,
        filters=(32, 64, 128, 256, 512),
        conv="plain",
        norm="batch",
        dropout=0.0,
        head="regression",
        temperature=TEMPERATURE,
        head_stride=1,
        semantic=None,
        semantic_weights="imagenet",
        guided=False,
        name="unet_colorizer",
        **kwargs,
    ):
        filters = tuple(int(f) for f in filters)
        if len(filters) < 2:
            raise ValueError("a U-Net needs at least two levels of filters")
        lightness = lightness_input()
        inputs = lightness
        if guided:
            hint_ab, hint_mask, palette = guidance_inputs()
            inputs = [lightness, hint_ab, hint_mask, palette]
            hint_maps = apply_hint_maps(hint_ab, hint_mask, len(filters) - 1)
        x = lightness
        skips = []
        for level, width in enumerate(filters[:-1]):
            block_conv = "plain" if level == 0 else conv
            x = apply_conv_block(x, width, block_conv, norm, f"down{level}")
            if guided and level > 0:  # not at full size: the class head reads 1/2 and up
                x = apply_hint_injection(x, hint_maps[level], f"hints{level}")
            skips.append(x)
            x = layers.MaxPooling2D(2, name=f"down{level}_pool")(x)
        if semantic is not None:
            if semantic not in SEMANTIC_ENCODERS:
                raise ValueError(f"semantic must be None or one of {SEMANTIC_ENCODERS}")
            stride = 2 ** (len(filters) - 1)
            x, global_bias = apply_semantic_fusion(
                x, lightness, stride, filters[-1], semantic_weights
            )
        x = apply_conv_block(x, filters[-1], conv, norm, "bottleneck")
        if guided:
            x = apply_hint_injection(x, hint_maps[-1], "hints_bottleneck")
            x = apply_palette_bias(x, palette)
        if semantic is not None:
            x = layers.Add(name="semantic_add")([x, global_bias])
        if dropout:
            x = layers.Dropout(dropout, name="bottleneck_dropout")(x)
        head_level = stride_level(head_stride, len(filters) - 1)
        for level in reversed(range(head_level, len(filters) - 1)):
            x = apply_upsample(x, filters[level], f"up{level}")
            x = layers.Concatenate(name=f"up{level}_concat")([x, skips[level]])
            x = apply_conv_block(x, filters[level], conv, norm, f"up{level}")
        outputs = apply_output_head(x, head, temperature, head_stride)
        super().__init__(inputs=inputs, outputs=outputs, name=name, **kwargs)
        self.filters = filters
        self.conv = conv
        self.norm = norm
        self.head = head
        self.temperature = float(temperature)
        self.head_stride = int(head_stride)
        self.semantic = semantic
        self.dropout = dropout
        self.guided = bool(guided)

    @property
    def size_multiple(self):
        """Input height and width must be multiples of this."""
        return 2 ** (len(self.filters) - 1)

    def get_config(self):
        return {
            "filters": list(self.filters),
            "conv": self.conv,
            "norm": self.norm,
            "head": self.head,
            "temperature": self.temperature,
            "head_stride": self.head_stride,
            "semantic": self.semantic,
            "semantic_weights": None,
            "dropout": self.dropout,
            "guided": self.guided,
            "name": self.name,
            "trainable": self.trainable,
        }
