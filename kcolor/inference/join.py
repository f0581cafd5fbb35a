"""The full-resolution join: the network's small ab map, upsampled bilinearly to the photo's
size, joined with the photo's own lightness and converted to 8-bit sRGB (out-of-gamut colors
lose chroma, not lightness). Photos, video frames and the Python API all go through it.

Written for speed in NumPy, float32 throughout (docs/benchmarks.md, "The full-resolution join"):
- the photo's lightness comes from 256-entry tables of its 8-bit levels (f(Y) and Y), so no
  cube root runs per pixel for a gray photo;
- CIE f^-1 is the line below the break plus the cube's excess above it (the line is the
  cube's tangent at the break), so no `np.where` (about 40x slower than an add here);
- linear RGB goes to 8-bit sRGB through a 65,536-entry table instead of a power per channel;
- only out-of-gamut pixels (often a third of a photo: dark tones with color) are bisected on
  their chroma, as `kcolor.color.lab_math.lab_to_rgb_keep_lightness` does, on that subset alone;
- bands of rows run on one thread per core (NumPy releases the GIL).
`reference_join` is the same join written plainly with `kcolor.color.lab_math` over whole
images (the code before this module, unbanded): tests/test_join.py holds the two within one
level on at least 99.9% of pixels, and bench/join_bench.py times them.
"""

import functools
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from kcolor.color import lab_math

_THREADED_PIXELS = 1_000_000  # from this size up the bands run on every core
BAND_ROWS = 64  # rows per band: small enough to stay in cache, large enough to amortize calls
GAMUT_STEPS = 6  # chroma halvings for an out-of-gamut pixel (lab_to_rgb_keep_lightness's)
_GAMUT_TOLERANCE = np.float32(1e-4)
_SRGB_LEVELS = 65536  # linear [0, 1] steps of the sRGB encoding table
_CUBE_BREAK = np.float32(lab_math.LAB_CUBE_BREAK)
_THREE_CUBE_BREAK = np.float32(3.0 * lab_math.LAB_CUBE_BREAK)
_OFFSET = np.float32(lab_math.LAB_OFFSET)
_INVERSE_SLOPE = np.float32(1.0 / lab_math.LAB_KAPPA_SLOPE)
_XYZ_TO_RGB = lab_math.XYZ_TO_RGB.astype(np.float32)
_A_UNITS = np.float32(lab_math.AB_SCALE / 500.0)  # normalized a -> the f(X) - f(Y) it adds
_B_UNITS = np.float32(lab_math.AB_SCALE / 200.0)


@functools.cache
def _tables():
    """Per 8-bit level: linear value and f(Y) of a gray of that level; and the sRGB encoding
    table (linear step -> 8-bit level). Built on first use, not at import."""
    linear = lab_math.srgb_to_linear(np.arange(256, dtype=np.float32) / 255.0)
    steps = (np.arange(_SRGB_LEVELS, dtype=np.float64) / (_SRGB_LEVELS - 1)).astype(np.float32)
    encode = np.round(lab_math.linear_to_srgb(steps) * 255.0).astype(np.uint8)
    return linear.astype(np.float32), _f(linear), encode


def _f(y):
    """CIE f of Y `(n,)` float32 (lab_math.rgb_to_lab's pieces): cube root above epsilon."""
    f_y = np.where(
        y > lab_math.LAB_EPSILON, np.cbrt(y), lab_math.LAB_KAPPA_SLOPE * y + lab_math.LAB_OFFSET
    )
    return f_y.astype(np.float32)


def _f_inverse(t):
    """CIE f^-1 (`lab_math`'s two pieces) with arithmetic only: the line, plus (t - break)^2 *
    (t - break + 3 * break) above the break, which is exactly cube minus line there."""
    excess = t - _CUBE_BREAK
    np.maximum(excess, np.float32(0.0), out=excess)
    cube_part = excess + _THREE_CUBE_BREAK
    cube_part *= excess
    cube_part *= excess
    line = t - _OFFSET
    line *= _INVERSE_SLOPE
    line += cube_part
    return line


def _linear_rgb(f_y, y, a_units, b_units):
    """Linear RGB `(3, n)` of pixels given f(Y), Y and the a, b terms in f units."""
    x = _f_inverse(f_y + a_units)
    f_z = f_y - b_units
    np.maximum(f_z, np.float32(0.0), out=f_z)  # z < 0 is outside every gamut (lab_to_linear's)
    z = _f_inverse(f_z)
    rgb = np.empty((3, f_y.size), np.float32)
    for channel in range(3):
        out = rgb[channel]
        np.multiply(x, _XYZ_TO_RGB[0, channel], out=out)
        out += y * _XYZ_TO_RGB[1, channel]
        out += z * _XYZ_TO_RGB[2, channel]
    return rgb


def _outside_gamut(rgb):
    low = np.minimum(np.minimum(rgb[0], rgb[1]), rgb[2])
    high = np.maximum(np.maximum(rgb[0], rgb[1]), rgb[2])
    return (low < -_GAMUT_TOLERANCE) | (high > np.float32(1.0) + _GAMUT_TOLERANCE)


def _fit_gamut(f_y, y, a_units, b_units):
    """Linear RGB of out-of-gamut pixels with their chroma scaled down until they fit: the
    bisection of `lab_to_rgb_keep_lightness` (the largest of 64 steps that fits)."""
    low = np.zeros_like(f_y)
    high = np.ones_like(f_y)
    for _ in range(GAMUT_STEPS):
        middle = (low + high) * np.float32(0.5)
        fits = ~_outside_gamut(_linear_rgb(f_y, y, a_units * middle, b_units * middle))
        low = np.where(fits, middle, low)
        high = np.where(fits, high, middle)
    return _linear_rgb(f_y, y, a_units * low, b_units * low)


def _lightness_terms(rgb_rows, linear_table, f_y_table):
    """f(Y) and Y `(n,)` of 8-bit sRGB pixels `(rows, W, 3)`: table lookups for gray pixels;
    a color photo (colorized from its lightness) pays a cube root."""
    red, green, blue = (rgb_rows[..., c].reshape(-1) for c in range(3))
    if np.array_equal(red, green) and np.array_equal(green, blue):
        return np.take(f_y_table, red), np.take(linear_table, red)
    weights = lab_math.XYZ_FROM_RGB[1].astype(np.float32)
    y = np.take(linear_table, red) * weights[0]
    y += np.take(linear_table, green) * weights[1]
    y += np.take(linear_table, blue) * weights[2]
    return _f(y), y


def _bilinear_coordinates(size_in, size_out):
    """Source indices and weights of a bilinear resize with half-pixel centers (the convention
    of `tf.image.resize(method="bilinear")`)."""
    position = (np.arange(size_out, dtype=np.float64) + 0.5) * (size_in / size_out) - 0.5
    position = np.clip(position, 0.0, size_in - 1)
    low = np.floor(position).astype(np.int64)
    high = np.minimum(low + 1, size_in - 1)
    return low, high, (position - low).astype(np.float32)


def join_full_resolution(rgb, ab_small, threads=None):
    """`(H, W, 3)` uint8 sRGB: the normalized ab `(h, w, 2)` upsampled to the size of `rgb`
    (uint8 `(H, W, 3)`) and joined with its lightness.

    Args:
        threads: bands joined at once (default: one per core from 1 megapixel up; one below,
            where starting threads cost more than they save).
    """
    height, width = rgb.shape[:2]
    linear_table, f_y_table, encode = _tables()
    # Columns first, on the small map (h x W per channel), in f units; rows band by band.
    col_low, col_high, col_weight = _bilinear_coordinates(ab_small.shape[1], width)
    ab_small = ab_small.astype(np.float32)
    wide = ab_small[:, col_low] * (1 - col_weight[:, np.newaxis])
    wide += ab_small[:, col_high] * col_weight[:, np.newaxis]
    wide_a = np.ascontiguousarray(wide[..., 0]) * _A_UNITS
    wide_b = np.ascontiguousarray(wide[..., 1]) * _B_UNITS
    row_low, row_high, row_weight = _bilinear_coordinates(ab_small.shape[0], height)
    out = np.empty((height, width, 3), np.uint8)

    def join_band(top):
        rows = slice(top, top + BAND_ROWS)
        low, high = row_low[rows], row_high[rows]
        weight = row_weight[rows][:, np.newaxis]
        a_units = (wide_a[low] + (wide_a[high] - wide_a[low]) * weight).reshape(-1)
        b_units = (wide_b[low] + (wide_b[high] - wide_b[low]) * weight).reshape(-1)
        f_y, y = _lightness_terms(rgb[rows], linear_table, f_y_table)
        linear = _linear_rgb(f_y, y, a_units, b_units)
        outside = np.flatnonzero(_outside_gamut(linear))
        if outside.size:
            linear[:, outside] = _fit_gamut(
                f_y[outside], y[outside], a_units[outside], b_units[outside]
            )
        band = out[rows].reshape(-1, 3)
        for channel in range(3):
            level = np.clip(linear[channel], 0.0, 1.0)
            level *= np.float32(_SRGB_LEVELS - 1)
            level += np.float32(0.5)
            band[:, channel] = np.take(encode, level.astype(np.uint16))

    bands = range(0, height, BAND_ROWS)
    if threads is None:
        threads = (os.cpu_count() or 1) if height * width >= _THREADED_PIXELS else 1
    workers = min(len(bands), threads)
    if workers <= 1:
        for top in bands:
            join_band(top)
        return out
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(join_band, bands))
    return out


def reference_join(rgb, ab_small):
    """The join written the obvious way, for tests and benchmarks: whole-image float arrays,
    `lab_math.rgb_to_lab` for the lightness, `lab_math.lab_to_rgb_keep_lightness` for the colors.
    Slow (about 3 s for 12 MP, bench/join_bench.py) and memory-hungry; `join_full_resolution`
    is what kcolor runs."""
    lab = reference_lab(rgb, ab_small)
    return np.round(lab_math.lab_to_rgb_keep_lightness(lab) * 255.0).astype(np.uint8)


def reference_lab(rgb, ab_small):
    """The full-size Lab `(H, W, 3)` float32 the join converts: the photo's L and the ab map
    upsampled whole (bilinear, half-pixel centers), in Lab units."""
    height, width = rgb.shape[:2]
    col_low, col_high, col_w = _bilinear_coordinates(ab_small.shape[1], width)
    row_low, row_high, row_w = _bilinear_coordinates(ab_small.shape[0], height)
    col_w, row_w = col_w[np.newaxis, :, np.newaxis], row_w[:, np.newaxis, np.newaxis]
    wide = ab_small[:, col_low] * (1 - col_w) + ab_small[:, col_high] * col_w
    ab = wide[row_low] * (1 - row_w) + wide[row_high] * row_w
    lightness = lab_math.rgb_to_lab(rgb.astype(np.float32) / 255.0)[..., :1]
    return np.concatenate([lightness, ab * lab_math.AB_SCALE], axis=-1).astype(np.float32)
