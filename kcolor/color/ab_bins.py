"""Quantized ab colors for the color-class objective: bins, soft targets, rebalancing, decoding.

Zhang, Isola and Efros, "Colorful Image Colorization" (ECCV 2016) predict a distribution over
quantized ab colors instead of regressing one ab value: a per-pixel regression loss averages the
plausible colors of an ambiguous object (a car could be red or blue) into brown. The pieces:

- bins: the centers of a grid of `GRID` Lab units in ab whose cells hold at least one sRGB
  color: 262 with a grid of 10 (the paper reports 313, a set wider than sRGB);
- soft targets: each true ab spread over its `NEIGHBORS` nearest bins with a Gaussian of
  `SOFT_SIGMA` (Lab units);
- rebalancing: per-bin loss weights from the training pool's ab histogram, smoothed with a
  Gaussian of `PRIOR_SIGMA`, mixed with uniform (`PRIOR_MIX`), inverted and normalized so that
  their mean over the pool's pixels is 1 (the paper's convention: the loss keeps its scale);
- decoding: the annealed mean, the expectation of ab under `softmax(logits / T)`; T = 1 is the
  mean, T -> 0 the mode, `TEMPERATURE` = 0.38 the paper's compromise.

Bins, prior and weights are NumPy (computed once); the soft encoding, the loss values and the
decoding are `keras.ops`, so they run inside any Keras backend and the decoding exports to
TFLite with builtin ops (softmax and a matrix product). All ab here are in Lab units.
"""

import functools

import numpy as np
from keras import ops

from kcolor.color.lab_math import rgb_to_lab

GRID = 10.0
AB_LIMIT = 110.0
NEIGHBORS = 5
SOFT_SIGMA = 5.0
PRIOR_SIGMA = 5.0
PRIOR_MIX = 0.5
TEMPERATURE = 0.38


@functools.lru_cache(maxsize=4)
def _gamut_bins(grid, samples):
    steps = np.linspace(0.0, 1.0, samples)
    rgb = np.stack(np.meshgrid(steps, steps, steps, indexing="ij"), axis=-1).reshape(-1, 3)
    cells = np.unique(np.round(rgb_to_lab(rgb)[:, 1:] / grid).astype(np.int64), axis=0)
    return (cells * grid).astype(np.float32)


def in_gamut_bins(grid=GRID, samples=128):
    """ab bin centers (multiples of `grid`) whose cell holds at least one sRGB color.

    A cell is the square of side `grid` around its center, i.e. the colors that quantize to it,
    so every sRGB color has its own nearest bin in the set. The sRGB cube is scanned on a grid
    of `samples` steps per channel (128: 2.1 M colors).

    Args:
        grid: bin width in Lab units.
        samples: steps per R, G, B channel of the scan.

    Returns:
        float32 array `(Q, 2)` of (a, b) centers in Lab units, sorted by a then b. Q = 262 for
        a grid of 10; Zhang et al. report 313, a set wider than the sRGB gamut.
    """
    return _gamut_bins(float(grid), int(samples)).copy()


def nearest_bin(ab, centers):
    """Index of the nearest bin center for each ab `(..., 2)` (NumPy)."""
    ab = np.asarray(ab, np.float32)
    d2 = np.sum(ab**2, axis=-1, keepdims=True) - 2.0 * ab @ centers.T + np.sum(centers**2, axis=-1)
    return np.argmin(d2, axis=-1)


def _squared_distances(ab, centers):
    """`|ab - c|^2` for every bin: `(..., 2)` and `(Q, 2)` -> `(..., Q)`, via one matmul."""
    centers = ops.convert_to_tensor(centers, "float32")
    cross = ops.matmul(ab, ops.transpose(centers))
    d2 = ops.sum(ab * ab, axis=-1, keepdims=True) - 2.0 * cross + ops.sum(centers**2, axis=-1)
    return ops.maximum(d2, 0.0)


def soft_encode(ab, centers, neighbors=NEIGHBORS, sigma=SOFT_SIGMA):
    """Soft class targets: ab spread over its `neighbors` nearest bins with a Gaussian kernel.

    Args:
        ab: `(..., 2)` in Lab units.
        centers: `(Q, 2)` bin centers (`in_gamut_bins()`).
        neighbors: bins that share each pixel's mass.
        sigma: Gaussian width in Lab units.

    Returns:
        `(targets, nearest)`: float32 `(..., Q)` summing to 1 over the last axis, and the int
        index `(...)` of the nearest bin (what the rebalancing weights are looked up by).
    """
    ab = ops.cast(ab, "float32")
    d2 = _squared_distances(ab, centers)
    # Bins tie (an ab on a bin center has several neighbors at the same distance). A per-bin
    # offset of 0.01 * index (Lab units squared) picks exactly `neighbors` of them; it is larger
    # than float32 noise in d2 and too small to matter for the Gaussian weights, which use d2.
    tie_break = ops.arange(ops.shape(centers)[0], dtype="float32") * 1e-2
    ranked = d2 + tie_break
    neg_top, nearest = ops.top_k(-ranked, neighbors)
    chosen = ranked <= -neg_top[..., -1:]
    # Subtracting the nearest distance keeps exp() away from underflow far from every bin.
    nearest_d2 = ops.min(d2, axis=-1, keepdims=True)
    kernel = ops.where(chosen, ops.exp(-(d2 - nearest_d2) / (2.0 * sigma * sigma)), 0.0)
    return kernel / ops.sum(kernel, axis=-1, keepdims=True), nearest[..., 0]


def smoothed_prior(counts, centers, sigma=PRIOR_SIGMA):
    """Bin probabilities from raw counts, smoothed by a Gaussian of `sigma` Lab units in ab."""
    counts = np.asarray(counts, np.float64)
    if counts.sum() <= 0:
        raise ValueError("the ab histogram is empty: no colored pixels were counted")
    probs = counts / counts.sum()
    d2 = np.sum((centers[:, None, :] - centers[None, :, :]) ** 2, axis=-1)
    kernel = np.exp(-d2 / (2.0 * sigma * sigma))
    smoothed = kernel @ probs
    return smoothed / smoothed.sum()


def rebalancing_weights(prior, mix=PRIOR_MIX):
    """Per-bin loss weights `w ~ 1 / ((1 - mix) * prior + mix / Q)`, with `sum(prior * w) = 1`.

    The normalization makes the expected weight of a training pixel 1 (mean 1 over the pool),
    as in Zhang et al.; rare, saturated colors weigh more than common desaturated ones.
    """
    prior = np.asarray(prior, np.float64)
    weights = 1.0 / ((1.0 - mix) * prior + mix / len(prior))
    return (weights / np.sum(prior * weights)).astype(np.float32)


def annealed_mean(logits, centers, temperature=TEMPERATURE):
    """Decode class logits `(..., Q)` to ab `(..., 2)` in Lab units: E[ab] under softmax(z / T)."""
    probs = ops.softmax(ops.cast(logits, "float32") / temperature, axis=-1)
    return ops.matmul(probs, ops.convert_to_tensor(centers, "float32"))


def class_loss_values(ab, logits, centers, weights):
    """Per-pixel rebalanced cross-entropy between soft targets of `ab` and `softmax(logits)`.

    Args:
        ab: true ab `(..., 2)` in Lab units.
        logits: `(..., Q)` raw class scores.
        centers: `(Q, 2)` bin centers; weights: `(Q,)` rebalancing weights.

    Returns:
        float32 `(...)`: `-w[nearest bin] * sum_q target_q * log softmax(logits)_q`.
    """
    targets, nearest = soft_encode(ab, centers)
    log_probs = ops.log_softmax(ops.cast(logits, "float32"), axis=-1)
    cross_entropy = -ops.sum(targets * log_probs, axis=-1)
    return cross_entropy * ops.take(ops.convert_to_tensor(weights, "float32"), nearest)
