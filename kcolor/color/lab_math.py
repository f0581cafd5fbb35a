"""sRGB <-> CIELAB (D65, 2 degree observer), written once for any NumPy-like array namespace.

The same functions run on NumPy arrays (`xp=numpy`: the TensorFlow-free colorize path, the
PyDataset pipeline) and on backend tensors (`xp=keras.ops`: `kcolor.color.lab_ops`, used by tf.data,
models and metrics under TensorFlow, JAX or PyTorch). They use elementwise ops, `where` and
`tensordot` only, so under TensorFlow they also fit a TFLite graph with builtin ops.
Inputs may have any leading shape: `(H, W, 3)`, `(B, H, W, 3)`, or `(N, 3)`.

Constants follow scikit-image (`skimage.color.rgb2lab` / `lab2rgb`), which the tests use as the
reference: the sRGB matrix of IEC 61966-2-1 and the D65 white (0.95047, 1.0, 1.08883).
"""

import numpy as np

from kcolor.color.lab_scale import AB_SCALE, L_CENTER, L_SCALE

# sRGB (linear) -> XYZ, rows are X, Y, Z; the same values scikit-image uses.
XYZ_FROM_RGB = np.array(
    [[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169], [0.019334, 0.119193, 0.950227]]
)
D65_WHITE = np.array([0.95047, 1.0, 1.08883])

# CIE f(t) break points as scikit-image writes them.
LAB_EPSILON = 0.008856
LAB_KAPPA_SLOPE = 7.787
LAB_OFFSET = 16.0 / 116.0
LAB_CUBE_BREAK = 0.2068966  # f(LAB_EPSILON): above it, f^-1(t) = t ** 3

# xyz = rgb @ RGB_TO_XYZ (already divided by the white point), and its inverse.
RGB_TO_XYZ = (XYZ_FROM_RGB.T / D65_WHITE[np.newaxis, :]).astype(np.float32)
XYZ_TO_RGB = np.linalg.inv(XYZ_FROM_RGB.T / D65_WHITE[np.newaxis, :]).astype(np.float32)


def as_float32(x, xp=np):
    """`x` as a float32 array of the namespace `xp` (numpy or keras.ops)."""
    if xp is np:
        return np.asarray(x, np.float32)
    return xp.cast(xp.convert_to_tensor(x), "float32")


def srgb_to_linear(rgb, xp=np):
    """Undo the sRGB transfer curve. Input and output in [0, 1]."""
    rgb = as_float32(rgb, xp)
    high = xp.power((xp.maximum(rgb, 0.04045) + 0.055) / 1.055, 2.4)
    return xp.where(rgb > 0.04045, high, rgb / 12.92)


def linear_to_srgb(linear, xp=np):
    """Apply the sRGB transfer curve; input is clipped to [0, 1] first, so never NaN."""
    linear = xp.clip(as_float32(linear, xp), 0.0, 1.0)
    high = 1.055 * xp.power(xp.maximum(linear, 0.0031308), 1.0 / 2.4) - 0.055
    return xp.where(linear > 0.0031308, high, linear * 12.92)


def rgb_to_lab(rgb, xp=np):
    """sRGB in [0, 1] `(..., 3)` to CIELAB `(..., 3)`: L in [0, 100], a and b within +-110."""
    xyz = xp.tensordot(srgb_to_linear(rgb, xp), RGB_TO_XYZ, axes=1)
    cube_root = xp.power(xp.maximum(xyz, LAB_EPSILON), 1.0 / 3.0)
    f = xp.where(xyz > LAB_EPSILON, cube_root, LAB_KAPPA_SLOPE * xyz + LAB_OFFSET)
    fx, fy, fz = f[..., 0], f[..., 1], f[..., 2]
    return xp.stack([116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)], axis=-1)


def lab_to_linear(lab, xp=np):
    """CIELAB to linear sRGB, unclipped (values outside [0, 1] are out of gamut)."""
    lab = as_float32(lab, xp)
    fy = (lab[..., 0] + 16.0) / 116.0
    fx = fy + lab[..., 1] / 500.0
    fz = xp.maximum(fy - lab[..., 2] / 200.0, 0.0)  # z < 0 is outside every gamut (as skimage)
    f = xp.stack([fx, fy, fz], axis=-1)
    xyz = xp.where(f > LAB_CUBE_BREAK, f * f * f, (f - LAB_OFFSET) / LAB_KAPPA_SLOPE)
    return xp.tensordot(xyz, XYZ_TO_RGB, axes=1)


def lab_to_rgb(lab, xp=np):
    """CIELAB to sRGB in [0, 1]; colors outside the sRGB gamut are clipped, never NaN."""
    return linear_to_srgb(lab_to_linear(lab, xp), xp)


def rgb_to_normalized_lab(rgb, xp=np):
    """sRGB in [0, 1] to the network's `(l_norm (..., 1), ab_norm (..., 2))` pair."""
    lab = rgb_to_lab(rgb, xp)
    return (lab[..., :1] - L_CENTER) / L_SCALE, lab[..., 1:] / AB_SCALE


def normalized_lab_to_rgb(l_norm, ab_norm, xp=np):
    """Join normalized `L (..., 1)` and `ab (..., 2)` back into sRGB in [0, 1]."""
    lightness = as_float32(l_norm, xp) * L_SCALE + L_CENTER
    lab = xp.concatenate([lightness, as_float32(ab_norm, xp) * AB_SCALE], axis=-1)
    return lab_to_rgb(lab, xp)


def normalized_lab_to_uint8(l_norm, ab_norm, xp=np):
    """Normalized `(L, ab)` to 8-bit sRGB (rounded, gamut-clipped): what metrics and grids see."""
    rgb = normalized_lab_to_rgb(l_norm, ab_norm, xp) * 255.0
    if xp is np:
        return np.round(rgb).astype(np.uint8)
    return xp.cast(xp.round(rgb), "uint8")


def lab_to_rgb_keep_lightness(lab, steps=6):
    """Like `lab_to_rgb` (NumPy), but out-of-gamut colors lose chroma instead of being clipped.

    Clipping R, G, B separately changes lightness and hue; scaling a and b down (bisection on
    the factor, `steps` halvings) until the color fits keeps L and hue, so a colorized photo
    keeps the input's lightness. In-gamut colors are unchanged.
    """
    lab = np.asarray(lab, np.float32)
    tolerance = 1e-4
    linear = lab_to_linear(lab)
    outside = ~np.all((linear >= -tolerance) & (linear <= 1.0 + tolerance), axis=-1)
    if not outside.any():
        return linear_to_srgb(linear)
    # Bisect only the out-of-gamut pixels (usually few), then put them back.
    lightness, ab = lab[outside][:, :1], lab[outside][:, 1:]
    low, high = np.zeros_like(lightness), np.ones_like(lightness)
    for _ in range(steps):
        middle = (low + high) / 2.0
        trial = lab_to_linear(np.concatenate([lightness, ab * middle], axis=-1))
        ok = np.all((trial >= -tolerance) & (trial <= 1.0 + tolerance), axis=-1, keepdims=True)
        low, high = np.where(ok, middle, low), np.where(ok, high, middle)
    linear[outside] = lab_to_linear(np.concatenate([lightness, ab * low], axis=-1))
    return linear_to_srgb(linear)
