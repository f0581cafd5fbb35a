"""Frechet Inception Distance: running Gaussian statistics, the distance, and Inception features.

Memory stays bounded over any number of images: only the feature sum and the sum of outer
products are kept (2048 + 2048^2 float64 values, 32 MB per image set), never the images.
"""

import os

import numpy as np
import scipy.linalg

WEIGHTS_ENV = "KCOLOR_INCEPTION_WEIGHTS"
INCEPTION_SIZE = 299


class InceptionWeightsUnavailable(RuntimeError):
    """No InceptionV3 ImageNet weights could be found or downloaded."""


class GaussianStats:
    """Accumulates the mean and covariance of feature vectors, batch by batch."""

    def __init__(self, dim):
        self.count = 0
        self._sum = np.zeros(dim, np.float64)
        self._outer = np.zeros((dim, dim), np.float64)

    def update(self, features):
        features = np.asarray(features, np.float64)
        self.count += features.shape[0]
        self._sum += features.sum(axis=0)
        self._outer += features.T @ features

    @property
    def mean(self):
        return self._sum / self.count

    @property
    def cov(self):
        """Sample covariance (divides by n - 1), as the reference FID implementations do."""
        mean = self.mean
        return (self._outer - self.count * np.outer(mean, mean)) / (self.count - 1)


def frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):
    """`|mu1 - mu2|^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2))` via scipy's matrix square root.

    When S1 S2 is singular (fewer images than dimensions) the square root can come out
    non-finite; then `eps` is added to both diagonals, as pytorch-fid does.
    """
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    sigma1, sigma2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
    covmean = scipy.linalg.sqrtm(sigma1 @ sigma2)
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = scipy.linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    covmean = np.real(covmean)
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean))


def frechet_distance_eig(mu1, sigma1, mu2, sigma2):
    """The same distance through eigenvalues: Tr((S1 S2)^(1/2)) = sum sqrt(eig(A S2 A)),
    A = S1^(1/2) (symmetric). An independent route, used to check `frechet_distance`."""
    values, vectors = np.linalg.eigh(np.asarray(sigma1, np.float64))
    root1 = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    inner = np.linalg.eigvalsh(root1 @ np.asarray(sigma2, np.float64) @ root1)
    diff = np.asarray(mu1, np.float64) - np.asarray(mu2, np.float64)
    trace_root = np.sqrt(np.clip(inner, 0, None)).sum()
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_root)


def resolve_inception_weights(path=None):
    """Weights for InceptionV3 with its top: a path (argument, then $KCOLOR_INCEPTION_WEIGHTS),
    else "imagenet" (Keras downloads and caches them; fails offline)."""
    path = path or os.environ.get(WEIGHTS_ENV)
    if path:
        if not os.path.isfile(path):
            raise InceptionWeightsUnavailable(f"Inception weights file not found: {path}")
        return str(path)
    return "imagenet"


class InceptionFeatures:
    """Keras InceptionV3 features of sRGB images resized to 299x299.

    Args:
        weights: "imagenet", a weights file of the full InceptionV3 (with its top, e.g.
            `inception_v3_weights_tf_dim_ordering_tf_kernels.h5`), or None (random; tests only).

    `pool3(rgb)` gives the 2048-d global-average-pool features (the standard FID layer);
    `logits(x)` the 1000 pre-softmax class logits (the study's FID variant).
    """

    def __init__(self, weights="imagenet"):
        import keras

        try:
            model = keras.applications.InceptionV3(
                include_top=True, weights=weights, classifier_activation=None
            )
        except Exception as err:  # Keras raises a bare Exception when the download fails
            reason = "download failed" if weights == "imagenet" else type(err).__name__
            raise InceptionWeightsUnavailable(
                f"cannot load InceptionV3 ImageNet weights ({reason}). Offline, download "
                "inception_v3_weights_tf_dim_ordering_tf_kernels.h5 elsewhere and pass "
                f"--inception-weights PATH or set {WEIGHTS_ENV}"
            ) from None
        self.pool3_layer = model.get_layer("avg_pool")
        self.model = keras.Model(model.input, [self.pool3_layer.output, model.output])

    def _run(self, images):
        import tensorflow as tf

        x = tf.image.resize(tf.cast(images, tf.float32), [INCEPTION_SIZE, INCEPTION_SIZE])
        # keras.applications.inception_v3.preprocess_input: [0, 255] -> [-1, 1]
        return self.model(x / 127.5 - 1.0, training=False)

    def pool3(self, rgb255):
        """`(N, 2048)` features of sRGB images on the 0-255 scale, `(N, H, W, 3)`."""
        return np.asarray(self._run(rgb255)[0], np.float64)

    def logits(self, images255):
        """`(N, 1000)` logits of 3-channel images on the 0-255 scale."""
        return np.asarray(self._run(images255)[1], np.float64)
