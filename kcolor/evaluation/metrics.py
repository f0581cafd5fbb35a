"""Image quality and color statistics, with their conventions stated.

Each function works on a single image `(H, W, 3)` or a batch `(B, H, W, 3)` and returns one value
per image, so callers can average over every image rather than over the first of a batch.
"""

import tensorflow as tf

from kcolor.color import photo_filters
from kcolor.color.tf_numpy import TF_NUMPY
from kcolor.names import NEUTRAL_CHROMA


def colorfulness(rgb):
    """Colorfulness of Hasler and Suesstrunk (2003), one float32 value per image: see
    `kcolor.color.photo_filters.colorfulness` (sRGB in [0, 1], computed on the 0-255 scale)."""
    return photo_filters.colorfulness(rgb, TF_NUMPY)


def psnr_rgb(predicted, truth):
    """PSNR in dB on 8-bit sRGB, data_range 255, one value per image.

    Convention (standard, e.g. scikit-image's `peak_signal_noise_ratio(data_range=255)`):
    `10 * log10(255^2 / MSE)` with MSE over all pixels and the 3 channels of each image.

    Args:
        predicted, truth: uint8 (or float on the 0-255 scale) tensors `(..., H, W, 3)`.
    """
    predicted = tf.cast(predicted, tf.float64)
    truth = tf.cast(truth, tf.float64)
    mse = tf.reduce_mean(tf.square(predicted - truth), axis=[-3, -2, -1])
    return 10.0 * tf.math.log(255.0**2 / mse) / tf.math.log(tf.constant(10.0, tf.float64))


def ssim_rgb(predicted, truth):
    """SSIM of Wang et al. (2004) on 8-bit sRGB, one value per image.

    Convention: Gaussian window 11x11 with sigma 1.5, K1 = 0.01, K2 = 0.03, data_range 255,
    computed per channel on the valid region (no padding) and averaged over the 3 channels.
    Matches scikit-image's `structural_similarity(gaussian_weights=True, sigma=1.5,
    use_sample_covariance=False, data_range=255, channel_axis=-1)`.

    Args:
        predicted, truth: uint8 (or float on the 0-255 scale) tensors `(..., H, W, 3)`,
            H and W at least 11.

    Reference:
        Z. Wang et al., "Image quality assessment: from error visibility to structural
        similarity", IEEE TIP 13(4), 2004.
    """
    predicted = tf.cast(predicted, tf.float32)
    truth = tf.cast(truth, tf.float32)
    return tf.image.ssim(predicted, truth, max_val=255.0, filter_size=11, filter_sigma=1.5)


def ab_mse(predicted_ab, true_ab):
    """Mean squared error of a and b in Lab units (not normalized), one value per image.

    Args:
        predicted_ab, true_ab: float tensors `(..., H, W, 2)` in Lab units.
    """
    diff = tf.cast(predicted_ab, tf.float64) - tf.cast(true_ab, tf.float64)
    return tf.reduce_mean(tf.square(diff), axis=[-3, -2, -1])


AUC_MAX_THRESHOLD = 150


def ab_auc(predicted_ab, true_ab, max_threshold=AUC_MAX_THRESHOLD):
    """Raw accuracy AuC of Zhang et al. (2016), one value per image, in [0, 1].

    Convention: the ab error of each pixel is its Euclidean distance in Lab units; for every
    integer threshold t = 0, 1, ..., `max_threshold` the share of pixels with error <= t is
    taken; AuC is the mean of those 151 shares (the area under the cumulative error curve,
    normalized). A pixel with error e counts in `max(0, max_threshold + 1 - ceil(e))` of the
    thresholds, which is how it is computed here without a loop.

    Args:
        predicted_ab, true_ab: float tensors `(..., H, W, 2)` in Lab units.

    Reference:
        R. Zhang, P. Isola, A. A. Efros, "Colorful Image Colorization", ECCV 2016 (Table 1).
    """
    diff = tf.cast(predicted_ab, tf.float64) - tf.cast(true_ab, tf.float64)
    error = tf.sqrt(tf.reduce_sum(tf.square(diff), axis=-1))
    passed = tf.maximum(0.0, max_threshold + 1.0 - tf.math.ceil(error))
    return tf.reduce_mean(passed, axis=[-2, -1]) / (max_threshold + 1.0)


def neutral_chroma_sums(predicted_ab, true_ab, threshold=NEUTRAL_CHROMA):
    """Per-image sum of predicted chroma over truly neutral pixels, and their count.

    The color-cast metric (`cast`) is `sum(sums) / sum(counts)` over a whole set: the mean
    chroma a model paints on pixels whose true chroma `sqrt(a^2 + b^2)` is under `threshold`
    Lab units (white walls, grey sky, paper). Gray output scores 0; a warm cast shows as a high
    value. Pooled over pixels, so an image with few neutral pixels weighs little.

    Args:
        predicted_ab, true_ab: float tensors `(..., H, W, 2)` in Lab units.

    Returns:
        `(sums, counts)`, float64 tensors of shape `(...)`.
    """
    predicted = tf.cast(predicted_ab, tf.float64)
    truth = tf.cast(true_ab, tf.float64)
    neutral = tf.cast(tf.norm(truth, axis=-1) < threshold, tf.float64)
    chroma = tf.norm(predicted, axis=-1)
    return tf.reduce_sum(chroma * neutral, axis=[-2, -1]), tf.reduce_sum(neutral, axis=[-2, -1])


# The study's ("seed") protocol: non-standard conventions, reproduced so our numbers can stand in
# its table. Its ab values are scaled to [0, 1] as (ab + 128) / 255.


def seed_scale_ab(ab):
    """The study's ab scaling: (ab + 128) / 255, Lab units in, about [0, 1] out."""
    return (tf.cast(ab, tf.float64) + 128.0) / 255.0


def seed_ab_mse(predicted_ab, true_ab):
    """The study's MSE: on (ab + 128) / 255, averaged over pixels, channels and the whole batch.

    Returns one value for the batch (the study averaged per batch, then over batches).
    """
    return tf.reduce_mean(tf.square(seed_scale_ab(predicted_ab) - seed_scale_ab(true_ab)))


def seed_psnr(batch_mse):
    """The study's PSNR, `20 * log10(1 / MSE)` of its batch ab MSE. Non-standard: twice
    `10 * log10(1 / MSE)`, the usual PSNR for data in [0, 1]."""
    batch_mse = tf.cast(batch_mse, tf.float64)
    return 20.0 * tf.math.log(1.0 / batch_mse) / tf.math.log(tf.constant(10.0, tf.float64))


SEED_SSIM_WINDOW = 11


def seed_ssim_ab(predicted_ab, true_ab):
    """The study's SSIM: on the two ab channels scaled by `seed_scale_ab`, one value per image.

    Convention: scikit-image's uniform-window SSIM with win_size 11, data_range 1, sample
    covariance (N / (N - 1)), valid region only, averaged over the 2 channels; i.e.
    `structural_similarity(x, y, win_size=11, data_range=1, channel_axis=-1)`.

    Args:
        predicted_ab, true_ab: `(B, H, W, 2)` in Lab units, H and W at least 11.
    """
    x = tf.cast(seed_scale_ab(predicted_ab), tf.float64)
    y = tf.cast(seed_scale_ab(true_ab), tf.float64)
    window = SEED_SSIM_WINDOW
    n = float(window * window)

    def mean_filter(z):
        return tf.nn.avg_pool2d(z, window, strides=1, padding="VALID")

    ux, uy = mean_filter(x), mean_filter(y)
    cov_norm = n / (n - 1.0)
    vx = cov_norm * (mean_filter(x * x) - ux * ux)
    vy = cov_norm * (mean_filter(y * y) - uy * uy)
    vxy = cov_norm * (mean_filter(x * y) - ux * uy)
    c1, c2 = (0.01 * 1.0) ** 2, (0.03 * 1.0) ** 2
    ssim_map = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
    return tf.reduce_mean(ssim_map, axis=[1, 2, 3])
