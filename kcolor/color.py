"""sRGB <-> CIELAB (D65, 2 degree observer) in plain TensorFlow ops, and the network normalization.

TensorFlow has no Lab conversion, and tensorflow-io's native ops do not load on TF 2.21, so the
conversion is written with elementwise ops, `tf.where` and `tf.tensordot` only. The same functions
therefore run inside `tf.data`, inside Keras models and inside a TFLite graph (builtin ops only).
They accept any leading shape: `(H, W, 3)`, `(B, H, W, 3)`, or `(N, 3)`.

Constants follow scikit-image (`skimage.color.rgb2lab` / `lab2rgb`), which the tests use as the
reference: the sRGB matrix of IEC 61966-2-1 and the D65 white (0.95047, 1.0, 1.08883).

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

import tensorflow as tf

from kcolor.lab_scale import AB_SCALE, L_CENTER, L_SCALE

# sRGB (linear) -> XYZ, rows are X, Y, Z; the same values scikit-image uses.
_XYZ_FROM_RGB = (
    (0.412453, 0.357580, 0.180423),
    (0.212671, 0.715160, 0.072169),
    (0.019334, 0.119193, 0.950227),
)
_D65_WHITE = (0.95047, 1.0, 1.08883)

# CIE f(t) break points as scikit-image writes them.
_LAB_EPSILON = 0.008856
_LAB_KAPPA_SLOPE = 7.787
_LAB_OFFSET = 16.0 / 116.0
_LAB_CUBE_BREAK = 0.2068966  # f(_LAB_EPSILON): above it, f^-1(t) = t ** 3


def _rgb_to_xyz_matrix():
    """Return the 3x3 matrix M with xyz = rgb @ M, already divided by the white point."""
    m = tf.constant(_XYZ_FROM_RGB, dtype=tf.float32)
    white = tf.constant(_D65_WHITE, dtype=tf.float32)
    return tf.transpose(m) / white[tf.newaxis, :]


def _xyz_to_rgb_matrix():
    """Return the inverse of `_rgb_to_xyz_matrix()` (white-normalized XYZ -> linear sRGB)."""
    return tf.linalg.inv(_rgb_to_xyz_matrix())


def srgb_to_linear(rgb):
    """Undo the sRGB transfer curve. Input and output in [0, 1]."""
    rgb = tf.convert_to_tensor(rgb, dtype=tf.float32)
    high = tf.pow((tf.maximum(rgb, 0.04045) + 0.055) / 1.055, 2.4)
    return tf.where(rgb > 0.04045, high, rgb / 12.92)


def linear_to_srgb(linear):
    """Apply the sRGB transfer curve; input is clipped to [0, 1] first, so never NaN."""
    linear = tf.clip_by_value(tf.convert_to_tensor(linear, dtype=tf.float32), 0.0, 1.0)
    high = 1.055 * tf.pow(tf.maximum(linear, 0.0031308), 1.0 / 2.4) - 0.055
    return tf.where(linear > 0.0031308, high, linear * 12.92)


def rgb_to_lab(rgb):
    """Convert sRGB in [0, 1] to CIELAB (L in [0, 100], a and b roughly in [-110, 110]).

    Args:
        rgb: float tensor `(..., 3)` with values in [0, 1] (convert uint8 with `/ 255` first).

    Returns:
        float32 tensor `(..., 3)` holding L, a, b.

    Example:
        >>> rgb_to_lab([[1.0, 1.0, 1.0]])  # white: L=100, a=b=0
    """
    linear = srgb_to_linear(rgb)
    xyz = tf.tensordot(linear, _rgb_to_xyz_matrix(), axes=1)
    cube_root = tf.pow(tf.maximum(xyz, _LAB_EPSILON), 1.0 / 3.0)
    f = tf.where(xyz > _LAB_EPSILON, cube_root, _LAB_KAPPA_SLOPE * xyz + _LAB_OFFSET)
    fx, fy, fz = tf.unstack(f, axis=-1)
    lightness = 116.0 * fy - 16.0
    a = 500.0 * (fx - fy)
    b = 200.0 * (fy - fz)
    return tf.stack([lightness, a, b], axis=-1)


def _lab_to_linear(lab):
    """CIELAB to linear sRGB, unclipped (values outside [0, 1] are out of gamut)."""
    lab = tf.convert_to_tensor(lab, dtype=tf.float32)
    lightness, a, b = tf.unstack(lab, axis=-1)
    fy = (lightness + 16.0) / 116.0
    fx = fy + a / 500.0
    fz = tf.maximum(fy - b / 200.0, 0.0)  # z < 0 is outside every gamut; scikit-image clips it too
    f = tf.stack([fx, fy, fz], axis=-1)
    xyz = tf.where(f > _LAB_CUBE_BREAK, f * f * f, (f - _LAB_OFFSET) / _LAB_KAPPA_SLOPE)
    return tf.tensordot(xyz, _xyz_to_rgb_matrix(), axes=1)


def lab_to_rgb(lab):
    """Convert CIELAB to sRGB in [0, 1]; colors outside the sRGB gamut are clipped, never NaN.

    Args:
        lab: float tensor `(..., 3)` holding L, a, b.

    Returns:
        float32 tensor `(..., 3)` with values in [0, 1].
    """
    return linear_to_srgb(_lab_to_linear(lab))


def lab_to_rgb_keep_lightness(lab, steps=6):
    """Like `lab_to_rgb`, but out-of-gamut colors lose chroma instead of being clipped.

    Clipping R, G, B separately changes lightness and hue; scaling a and b down (bisection on
    the factor, `steps` halvings) until the color fits keeps L and hue, so a colorized photo
    keeps the input's lightness. In-gamut colors are unchanged. Eager only (it has Python
    control flow); the Colorizer uses it, TFLite graphs use `lab_to_rgb`.
    """
    lab = tf.convert_to_tensor(lab, dtype=tf.float32)
    tolerance = 1e-4

    def fits(lightness, ab, factor):
        linear = _lab_to_linear(tf.concat([lightness, ab * factor], axis=-1))
        return tf.reduce_all(
            (linear >= -tolerance) & (linear <= 1.0 + tolerance), -1, keepdims=True
        )

    linear = _lab_to_linear(lab)
    inside = tf.reduce_all((linear >= -tolerance) & (linear <= 1.0 + tolerance), axis=-1)
    if bool(tf.reduce_all(inside)):
        return linear_to_srgb(linear)
    # Bisect only the out-of-gamut pixels (usually few), then put them back.
    where = tf.where(tf.logical_not(inside))
    outside = tf.gather_nd(lab, where)
    lightness, ab = outside[:, :1], outside[:, 1:]
    low, high = tf.zeros_like(lightness), tf.ones_like(lightness)
    for _ in range(steps):
        middle = (low + high) / 2.0
        ok = fits(lightness, ab, middle)
        low, high = tf.where(ok, middle, low), tf.where(ok, high, middle)
    fixed = _lab_to_linear(tf.concat([lightness, ab * low], axis=-1))
    return linear_to_srgb(tf.tensor_scatter_nd_update(linear, where, fixed))


def normalize_l(lightness):
    """Map L in [0, 100] to the network's input range [-1, 1]."""
    return (tf.convert_to_tensor(lightness, dtype=tf.float32) - L_CENTER) / L_SCALE


def denormalize_l(l_norm):
    """Inverse of `normalize_l`."""
    return tf.convert_to_tensor(l_norm, dtype=tf.float32) * L_SCALE + L_CENTER


def normalize_ab(ab):
    """Map a, b (Lab units) to the network's target range (divide by AB_SCALE = 110)."""
    return tf.convert_to_tensor(ab, dtype=tf.float32) / AB_SCALE


def denormalize_ab(ab_norm):
    """Inverse of `normalize_ab`."""
    return tf.convert_to_tensor(ab_norm, dtype=tf.float32) * AB_SCALE


def rgb_to_normalized_lab(rgb):
    """Split sRGB in [0, 1] into the network's normalized `(L, ab)` pair.

    Returns:
        `(l_norm, ab_norm)` with shapes `(..., 1)` and `(..., 2)`.
    """
    lab = rgb_to_lab(rgb)
    return normalize_l(lab[..., :1]), normalize_ab(lab[..., 1:])


def normalized_lab_to_uint8(l_norm, ab_norm):
    """Normalized `(L, ab)` to 8-bit sRGB (rounded, gamut-clipped): what metrics and grids see."""
    return tf.cast(tf.round(normalized_lab_to_rgb(l_norm, ab_norm) * 255.0), tf.uint8)


def normalized_lab_to_rgb(l_norm, ab_norm):
    """Join normalized `L (..., 1)` and `ab (..., 2)` back into sRGB in [0, 1]."""
    lab = tf.concat([denormalize_l(l_norm), denormalize_ab(ab_norm)], axis=-1)
    return lab_to_rgb(lab)
