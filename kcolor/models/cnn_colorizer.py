"""Plain CNN colorizer: a convolutional encoder-decoder without skip connections."""

import keras

from kcolor.color.ab_bins import TEMPERATURE
from kcolor.models.blocks import (
    apply_conv_block,
    apply_output_head,
    apply_upsample,
    lightness_input,
    stride_level,
)


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
        head: "regression" (tanh ab) or "classification" (ab-bin logits decoded by the
            annealed mean at `temperature`; see kcolor.color.ab_bins).
        head_stride: 1, or 2, 4, ...: the head reads the decoder at 1/head_stride of the input
            size and its ab are upsampled bilinearly.
    """

    def __init__(
        self,
        filters=(32, 64, 128, 256),
        conv="plain",
        norm="batch",
        head="regression",
        temperature=TEMPERATURE,
        head_stride=1,
        name="cnn_colorizer",
        **kwargs,
    ):
        filters = tuple(int(f) for f in filters)
        inputs = lightness_input()
        x = inputs
        for stage, width in enumerate(filters):
            x = apply_conv_block(
                x, width, conv if stage else "plain", norm, f"enc{stage}", strides=2
            )
        for stage in reversed(range(stride_level(head_stride, len(filters)), len(filters))):
            width = filters[stage - 1] if stage else filters[0]
            x = apply_upsample(x, width, f"dec{stage}")
            x = apply_conv_block(x, width, conv, norm, f"dec{stage}")
        outputs = apply_output_head(x, head, temperature, head_stride)
        super().__init__(inputs=inputs, outputs=outputs, name=name, **kwargs)
        self.filters = filters
        self.conv = conv
        self.norm = norm
        self.head = head
        self.temperature = float(temperature)
        self.head_stride = int(head_stride)

    @property
    def size_multiple(self):
        """Input height and width must be multiples of this."""
        return 2 ** len(self.filters)

    def get_config(self):
        return {
            "filters": list(self.filters),
            "conv": self.conv,
            "norm": self.norm,
            "head": self.head,
            "temperature": self.temperature,
            "head_stride": self.head_stride,
            "name": self.name,
            "trainable": self.trainable,
        }
