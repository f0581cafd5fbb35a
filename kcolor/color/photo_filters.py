"""Which photos training skips: grayscale ones, and (optionally) near-gray ones.

Written once for any NumPy-like namespace (`xp`: numpy for the PyDataset pipeline,
`kcolor.color.tf_numpy.TF_NUMPY` inside tf.data), so both pipelines skip the same photos.
"""

import numpy as np

from kcolor.color.lab_math import as_float32

# A photo counts as grayscale when fewer than 1% of its pixels have a channel spread
# (max - min of R, G, B on 0-255) above 8 and the mean spread is below 3. This is the rule that
# flags the grayscale images in ../shared/data/manifest.csv, so the two agree.
GRAY_PIXEL_SPREAD = 8.0
GRAY_MAX_COLORED_SHARE = 0.01
GRAY_MAX_MEAN_SPREAD = 3.0


def is_grayscale(rgb255, xp=np):
    """Whether an image `(H, W, 3)` on the 0-255 scale holds no color (see GRAY_* above)."""
    rgb255 = as_float32(rgb255, xp)
    spread = xp.max(rgb255, axis=-1) - xp.min(rgb255, axis=-1)
    colored_share = xp.mean(as_float32(spread > GRAY_PIXEL_SPREAD, xp))
    return xp.logical_and(
        colored_share < GRAY_MAX_COLORED_SHARE, xp.mean(spread) < GRAY_MAX_MEAN_SPREAD
    )


def colorfulness(rgb, xp=np):
    """Colorfulness of Hasler and Suesstrunk (2003), the "M^(3)" metric, one value per image.

    Convention: `rgb` is sRGB in [0, 1] `(..., H, W, 3)`; the metric is computed on the 0-255
    scale as in the paper, `M = sqrt(std_rg^2 + std_yb^2) + 0.3 * sqrt(mean_rg^2 + mean_yb^2)`
    with `rg = R - G`, `yb = (R + G) / 2 - B` and population statistics. A gray image scores 0;
    natural photos mostly score 20 to 80.

    Reference:
        D. Hasler, S. Suesstrunk, "Measuring colourfulness in natural images",
        Proc. SPIE 5007, 2003.
    """
    rgb = as_float32(rgb, xp) * 255.0
    red, green, blue = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    rg = red - green
    yb = 0.5 * (red + green) - blue
    axes = (-2, -1)
    spread = xp.sqrt(xp.var(rg, axis=axes) + xp.var(yb, axis=axes))
    center = xp.sqrt(xp.square(xp.mean(rg, axis=axes)) + xp.square(xp.mean(yb, axis=axes)))
    return spread + 0.3 * center
