"""An ImageNet encoder's features for the U-Net: what the photo shows, to pick its colors.

Iizuka, Simo-Serra and Ishikawa ("Let there be Color!", SIGGRAPH 2016) fuse a global image
feature into the colorization network's middle: knowing "beach" or "forest" makes sand and leaves
easier to color. The only ImageNet encoder available offline here is Keras' MobileNet v1 at width
0.25 (218 k parameters, about 5 M multiply-adds at 128 px), so that is the one used. It is
frozen unless a run fine-tunes it (`train_semantic_encoder`); its BatchNorm statistics stay
ImageNet's either way.
"""

import keras
from keras import layers

SEMANTIC_ENCODERS = ("mobilenet",)
SEMANTIC_ENCODER_LAYER = "semantic_encoder"

_WEIGHTS_FILE = "mobilenet_2_5_224_tf_no_top.h5"

# MobileNet v1 layers whose outputs have 1/8, 1/16 and 1/32 of the input size.
_MOBILENET_MAPS = {8: "conv_pw_5_relu", 16: "conv_pw_11_relu", 32: "conv_pw_13_relu"}


def build_semantic_encoder(stride, weights="imagenet"):
    """Frozen MobileNet-0.25 on L replicated to RGB: outputs its map at `stride` and at 1/32.

    Args:
        stride: the U-Net bottleneck's downsampling (8, 16 or 32).
        weights: "imagenet" (Keras downloads the file once into `$KERAS_HOME/models/`), a local
            path to that same `.h5` file, or None (random; used when a saved model is reloaded,
            whose file holds the trained weights).
    """
    if stride not in _MOBILENET_MAPS:
        raise ValueError(
            f"a MobileNet prior needs a bottleneck at 1/8, 1/16 or 1/32, not 1/{stride}"
        )
    try:
        backbone = keras.applications.MobileNet(
            input_shape=(None, None, 3), alpha=0.25, include_top=False, weights=weights
        )
    except Exception as err:  # Keras' get_file raises a bare Exception when offline
        if weights != "imagenet" or "URL fetch failure" not in str(err):
            raise
        raise ValueError(
            f"the MobileNet prior needs ImageNet weights ({_WEIGHTS_FILE}) and Keras could "
            "not download them (offline?): pass the file with --set "
            "model.semantic_weights=PATH, or put it in $KERAS_HOME/models/"
        ) from None
    outputs = [backbone.get_layer(_MOBILENET_MAPS[stride]).output, backbone.output]
    encoder = keras.Model(backbone.inputs, outputs, name=SEMANTIC_ENCODER_LAYER)
    encoder.trainable = False
    return encoder


def apply_semantic_fusion(x, lightness, stride, filters, weights, name="semantic"):
    """Concatenate the encoder's map at x's size to x, and add its global feature after a conv.

    Args:
        x: the U-Net's pooled features entering the bottleneck, at 1/stride of the input.
        lightness: the normalized L input in [-1, 1] (MobileNet's own input range).
        stride: x's downsampling (8, 16 or 32).
        filters: bottleneck width.
        weights: see `build_semantic_encoder`.

    Returns:
        `(x_with_map, global_bias)`: features to feed the bottleneck block, and a `(B, 1, 1,
        filters)` term to add to its output (concat + 1x1 conv of Iizuka et al., as a sum).
    """
    encoder = build_semantic_encoder(stride, weights)
    rgb = layers.Concatenate(name=f"{name}_gray_rgb")([lightness, lightness, lightness])
    local_map, deepest = encoder(rgb, training=False)
    x = layers.Concatenate(name=f"{name}_concat")([x, local_map])
    global_feature = layers.GlobalAveragePooling2D(name=f"{name}_pool")(deepest)
    global_feature = layers.Dense(filters, activation="relu", name=f"{name}_global")(global_feature)
    return x, layers.Reshape((1, 1, filters), name=f"{name}_global_map")(global_feature)
