"""Plain CNN colorizer: a convolutional encoder-decoder without skip connections."""

import keras

from kcolor.models.blocks import apply_ab_head, apply_conv_block, apply_upsample, lightness_input


@keras.saving.register_keras_serializable(package="kcolor")
class CNNColorizer(keras.Model):
    """Encoder-decoder without skips: every detail must pass through the bottleneck.

    The study's CNN squeezed everything through a 9-value fully connected layer and came out
    sepia; this one keeps a convolutional bottleneck, so it works at any size and keeps spatial
    information (but, lacking skips, still blurs ab). H and W must be multiples of
    `2 ** len(filters)` (`size_multiple`).

    Args:
        filters: channels of each stride-2 encoder stage; the decoder mirrors them.
        conv: "plain" or "separable" 3x3 convolutions.
        norm: "batch", "group", "instance" or "none".
    """

    def __init__(
        self, filters=(32, 64, 128, 256), conv="plain", norm="batch", name="cnn_colorizer", **kwargs
    ):
        filters = tuple(int(f) for f in filters)
        inputs = lightness_input()
        x = inputs
        for stage, width in enumerate(filters):
            x = apply_conv_block(
                x, width, conv if stage else "plain", norm, f"enc{stage}", strides=2
            )
        for stage in reversed(range(len(filters))):
            width = filters[stage - 1] if stage else filters[0]
            x = apply_upsample(x, width, f"dec{stage}")
            x = apply_conv_block(x, width, conv, norm, f"dec{stage}")
        outputs = apply_ab_head(x)
        super().__init__(inputs=inputs, outputs=outputs, name=name, **kwargs)
        self.filters = filters
        self.conv = conv
        self.norm = norm

    @property
    def size_multiple(self):
        """Input height and width must be multiples of this."""
        return 2 ** len(self.filters)

    def get_config(self):
        return {
            "filters": list(self.filters),
            "conv": self.conv,
            "norm": self.norm,
            "name": self.name,
            "trainable": self.trainable,
        }
