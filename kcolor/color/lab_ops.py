"""sRGB <-> CIELAB and the network normalization on backend tensors (`keras.ops`).

These are `kcolor.color.lab_math` bound to `keras.ops`, so they run on the active Keras backend:
inside `tf.data` and TFLite graphs under TensorFlow (builtin ops only), and on JAX or PyTorch
tensors. NumPy callers (the TensorFlow-free colorize path, the PyDataset pipeline) call
`kcolor.color.lab_math` directly. Inputs may have any leading shape: `(H, W, 3)`, `(B, H, W, 3)`,
`(N, 3)`.

Network normalization (the only place it is defined):

| quantity | Lab range            | normalized as      | normalized range              |
|----------|----------------------|--------------------|-------------------------------|
| L        | [0, 100]             | L / 50 - 1         | [-1, 1]                       |
| a, b     | sRGB gamut within    | ab / 110           | a in [-0.78, 0.89],           |
|          | a [-86.2, 98.2],     |                    | b in [-0.98, 0.86]            |
|          | b [-107.9, 94.5]     |                    | (tanh output [-1, 1] covers)  |

AB_SCALE = 110 is the value richzhang/colorization uses: every sRGB color maps into [-1, 1], so a
`tanh` output can reach the whole gamut without wasting much range outside it.
"""

from keras import ops

from kcolor.color import lab_math
from kcolor.color.lab_math import lab_to_rgb_keep_lightness
from kcolor.color.lab_scale import AB_SCALE, L_CENTER, L_SCALE

__all__ = [
    "AB_SCALE",
    "L_CENTER",
    "L_SCALE",
    "denormalize_ab",
    "denormalize_l",
    "lab_to_rgb",
    "lab_to_rgb_keep_lightness",
    "normalize_ab",
    "normalize_l",
    "normalized_lab_to_rgb",
    "normalized_lab_to_uint8",
    "rgb_to_lab",
    "rgb_to_normalized_lab",
]


def rgb_to_lab(rgb):
    """Convert sRGB in [0, 1] to CIELAB (L in [0, 100], a and b roughly in [-110, 110]).

    Example:
        >>> rgb_to_lab([[1.0, 1.0, 1.0]])  # white: L=100, a=b=0
    """
    return lab_math.rgb_to_lab(rgb, ops)


def lab_to_rgb(lab):
    """Convert CIELAB to sRGB in [0, 1]; colors outside the sRGB gamut are clipped, never NaN."""
    return lab_math.lab_to_rgb(lab, ops)


def normalize_l(lightness):
    """Map L in [0, 100] to the network's input range [-1, 1]."""
    return (lab_math.as_float32(lightness, ops) - L_CENTER) / L_SCALE


def denormalize_l(l_norm):
    """Inverse of `normalize_l`."""
    return lab_math.as_float32(l_norm, ops) * L_SCALE + L_CENTER


def normalize_ab(ab):
    """Map a, b (Lab units) to the network's target range (divide by AB_SCALE = 110)."""
    return lab_math.as_float32(ab, ops) / AB_SCALE


def denormalize_ab(ab_norm):
    """Inverse of `normalize_ab`."""
    return lab_math.as_float32(ab_norm, ops) * AB_SCALE


def rgb_to_normalized_lab(rgb):
    """Split sRGB in [0, 1] into the network's normalized `(l_norm, ab_norm)` pair, shapes
    `(..., 1)` and `(..., 2)`."""
    return lab_math.rgb_to_normalized_lab(rgb, ops)


def normalized_lab_to_rgb(l_norm, ab_norm):
    """Join normalized `L (..., 1)` and `ab (..., 2)` back into sRGB in [0, 1]."""
    return lab_math.normalized_lab_to_rgb(l_norm, ab_norm, ops)


def normalized_lab_to_uint8(l_norm, ab_norm):
    """Normalized `(L, ab)` to 8-bit sRGB (rounded, gamut-clipped): what metrics and grids see."""
    return lab_math.normalized_lab_to_uint8(l_norm, ab_norm, ops)
