"""Small `apply_*` building blocks shared by the kcolor architectures (Keras functional API)."""

import keras
from keras import layers

from kcolor.color import ab_bins
from kcolor.color.lab_scale import AB_SCALE
from kcolor.models.annealed_mean import AnnealedMean

NORMS = ("batch", "group", "instance", "none")
CONVS = ("plain", "separable")
HEADS = ("regression", "classification")
CLASS_LOGITS_LAYER = "ab_logits"


def apply_norm(x, norm, name):
    """Normalization layer by name; "instance" is GroupNormalization with one group per channel."""
    if norm == "batch":
        return layers.BatchNormalization(name=f"{name}_bn")(x)
    if norm == "group":
        groups = min(8, x.shape[-1])
        return layers.GroupNormalization(groups=groups, name=f"{name}_gn")(x)
    if norm == "instance":
        return layers.GroupNormalization(groups=-1, name=f"{name}_in")(x)
    if norm == "none":
        return x
    raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")


def apply_conv(x, filters, conv, name, kernel_size=3, strides=1):
    """A 3x3 convolution, plain or depthwise-separable; no bias (a norm layer follows)."""
    if conv == "plain":
        return layers.Conv2D(
            filters, kernel_size, strides=strides, padding="same", use_bias=False, name=name
        )(x)
    if conv == "separable":
        return layers.SeparableConv2D(
            filters, kernel_size, strides=strides, padding="same", use_bias=False, name=name
        )(x)
    raise ValueError(f"conv must be one of {CONVS}, got {conv!r}")


def apply_conv_block(x, filters, conv, norm, name, strides=1):
    """conv -> norm -> ReLU, twice; the first conv may downsample with `strides`."""
    x = apply_conv(x, filters, conv, f"{name}_conv1", strides=strides)
    x = layers.ReLU(name=f"{name}_relu1")(apply_norm(x, norm, f"{name}_1"))
    x = apply_conv(x, filters, conv, f"{name}_conv2")
    return layers.ReLU(name=f"{name}_relu2")(apply_norm(x, norm, f"{name}_2"))


def apply_upsample(x, filters, name):
    """Bilinear x2 upsampling, then a 1x1 projection (no transposed-conv checkerboards)."""
    x = layers.UpSampling2D(2, interpolation="bilinear", name=f"{name}_up")(x)
    return layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_proj")(x)


def apply_ab_head(x, name="ab_head"):
    """1x1 conv to 2 channels, then tanh: bounded ab, float32 even under mixed precision."""
    x = layers.Conv2D(2, 1, name=f"{name}_conv", dtype="float32")(x)
    return layers.Activation("tanh", name=f"{name}_tanh", dtype="float32")(x)


def apply_class_head(x, temperature=ab_bins.TEMPERATURE):
    """1x1 conv to one logit per ab bin (layer `ab_logits`), decoded by the annealed mean.

    Training fits the logits (`kcolor.training.losses.ColorClassLoss`); the model's output stays
    normalized ab, so evaluation, colorize and export see a regression model.
    """
    centers = ab_bins.in_gamut_bins()
    logits = layers.Conv2D(len(centers), 1, name=CLASS_LOGITS_LAYER, dtype="float32")(x)
    return AnnealedMean(centers / AB_SCALE, temperature, name="ab_annealed_mean")(logits)


def apply_output_head(x, head, temperature=ab_bins.TEMPERATURE, stride=1):
    """The generator's last stage by name: "regression" (tanh ab) or "classification".

    With `stride` > 1, `x` is at 1/stride of the input size and the ab are upsampled to it
    (bilinear: ab vary slowly, and the full-resolution L carries the detail).
    """
    if head == "regression":
        ab = apply_ab_head(x)
    elif head == "classification":
        ab = apply_class_head(x, temperature)
    else:
        raise ValueError(f"head must be one of {HEADS}, got {head!r}")
    if stride == 1:
        return ab
    return layers.UpSampling2D(stride, interpolation="bilinear", name="ab_upsample")(ab)


def stride_level(stride, levels):
    """log2 of a head stride, checked: a power of two reached within `levels` halvings."""
    level = int(stride).bit_length() - 1
    if stride < 1 or 2**level != stride or level > levels:
        raise ValueError(f"head_stride must be a power of two up to {2**levels}, got {stride}")
    return level


def lightness_input(name="lightness"):
    """The (None, None, 1) normalized-L input every generator takes."""
    return keras.Input(shape=(None, None, 1), name=name)
