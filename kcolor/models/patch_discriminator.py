"""Conditional PatchGAN discriminator on (L, ab), as in pix2pix."""

import keras
from keras import layers

from kcolor.models.blocks import NORMS, apply_norm


@keras.saving.register_keras_serializable(package="kcolor")
class PatchDiscriminator(keras.Model):
    """Scores overlapping patches of an (L, ab) image as real or fake (one logit per patch).

    Conditional: it sees the lightness with the colors, so it judges whether these colors fit
    this photo. With the default 3 stride-2 stages and 4x4 kernels the receptive field is 70 px.

    Args:
        filters: channels of the stride-2 stages; one stride-1 stage follows with twice the last.
        norm: "batch" (pix2pix), "instance", "group", "none", or "spectral" (spectral
            normalization of every conv, no activation normalization).

    Inputs: `[l_norm (B, H, W, 1), ab_norm (B, H, W, 2)]`; output: logits `(B, H/8, W/8, 1)`
    for the default filters.
    """

    def __init__(self, filters=(64, 128, 256), norm="batch", name="patch_discriminator", **kwargs):
        filters = tuple(int(f) for f in filters)
        if norm not in NORMS + ("spectral",):
            raise ValueError(f"norm must be one of {NORMS + ('spectral',)}, got {norm!r}")
        lightness = keras.Input(shape=(None, None, 1), name="lightness")
        ab = keras.Input(shape=(None, None, 2), name="ab")
        x = layers.Concatenate(name="lab")([lightness, ab])
        widths = filters + (filters[-1] * 2,)
        for stage, width in enumerate(widths):
            strides = 2 if stage < len(filters) else 1
            x = self._conv(x, width, strides, norm, f"stage{stage}")
            if stage and norm != "spectral":
                x = apply_norm(x, norm, f"stage{stage}")
            x = layers.LeakyReLU(0.2, name=f"stage{stage}_lrelu")(x)
        logits = self._conv(x, 1, 1, norm, "logits", use_bias=True, dtype="float32")
        super().__init__(inputs=[lightness, ab], outputs=logits, name=name, **kwargs)
        self.filters = filters
        self.norm = norm

    @staticmethod
    def _conv(x, width, strides, norm, name, use_bias=None, dtype=None):
        use_bias = (norm in ("none", "spectral")) if use_bias is None else use_bias
        conv = layers.Conv2D(
            width, 4, strides=strides, padding="same", use_bias=use_bias, name=name, dtype=dtype
        )
        if norm == "spectral":
            conv = layers.SpectralNormalization(conv, name=f"{name}_sn", dtype=dtype)
        return conv(x)

    def get_config(self):
        return {
            "filters": list(self.filters),
            "norm": self.norm,
            "name": self.name,
            "trainable": self.trainable,
        }
