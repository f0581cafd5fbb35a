"""Small `apply_*` building blocks shared by the kcolor architectures (Keras functional API)."""

import keras
from keras import layers

NORMS = ("batch", "group", "instance", "none")
CONVS = ("plain", "separable")


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


def lightness_input(name="lightness"):
    """The (None, None, 1) normalized-L input every generator takes."""
    return keras.Input(shape=(None, None, 1), name=name)
