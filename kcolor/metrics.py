"""Image quality and color statistics, with their conventions stated.

Each function works on a single image `(H, W, 3)` or a batch `(B, H, W, 3)` and returns one value
per image, so callers can average over every image rather than over the first of a batch.
"""

import tensorflow as tf


def colorfulness(rgb):
    """Colorfulness of Hasler and Suesstrunk (2003), the "M^(3)" metric.

    Convention: `rgb` is sRGB in [0, 1]; the metric is computed on the 0-255 scale as in the paper,
    `M = sqrt(std_rg^2 + std_yb^2) + 0.3 * sqrt(mean_rg^2 + mean_yb^2)` with `rg = R - G` and
    `yb = (R + G) / 2 - B`. A gray image scores 0; natural photos mostly score 20 to 80.

    Args:
        rgb: float tensor `(..., H, W, 3)` in [0, 1].

    Returns:
        float32 tensor of shape `(...)`: one value per image.

    Reference:
        D. Hasler, S. Suesstrunk, "Measuring colourfulness in natural images",
        Proc. SPIE 5007, 2003.
    """
    rgb = tf.convert_to_tensor(rgb, dtype=tf.float32) * 255.0
    red, green, blue = tf.unstack(rgb, axis=-1)
    rg = red - green
    yb = 0.5 * (red + green) - blue
    axes = [-2, -1]
    mean_rg, var_rg = tf.nn.moments(rg, axes=axes)
    mean_yb, var_yb = tf.nn.moments(yb, axes=axes)
    spread = tf.sqrt(var_rg + var_yb)
    center = tf.sqrt(tf.square(mean_rg) + tf.square(mean_yb))
    return spread + 0.3 * center
