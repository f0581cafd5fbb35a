"""Levin, Lischinski and Weiss, "Colorization using Optimization" (SIGGRAPH 2004): the classical
propagation of color scribbles by lightness affinity, the baseline a guided network must beat.

Each pixel's color is asked to be the weighted mean of its 3x3 neighbors', with weights
`exp(-(Y_r - Y_s)^2 / sigma_r^2)` that fall across lightness edges; scribbled pixels keep their
color. One sparse linear system per channel, solved with SciPy (one LU factorization for both
channels). Constants follow the authors' `getColorExact.m`: sigma_r^2 is 0.6 times the window's
variance, raised so the closest neighbor weighs at least 0.01, and at least 2e-6.
"""

import numpy as np

_VARIANCE_SCALE = 0.6
_MIN_NEIGHBOR_WEIGHT = 0.01
_MIN_SIGMA2 = 2e-6
_OFFSETS = tuple((dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0))


def affinity_matrix(lightness, constrained):
    """The sparse system matrix: identity rows at `constrained` pixels, `1` on the diagonal and
    minus the normalized affinities to the 3x3 neighbors elsewhere.

    Args:
        lightness: `(H, W)` in [0, 1] (their Y).
        constrained: `(H, W)` bool, the scribbled pixels.

    Returns:
        `scipy.sparse.csc_matrix` of shape `(H*W, H*W)`.
    """
    import scipy.sparse

    height, width = lightness.shape
    padded = np.pad(lightness.astype(np.float64), 1, constant_values=np.nan)
    neighbors = np.stack(
        [padded[1 + dy : 1 + dy + height, 1 + dx : 1 + dx + width] for dy, dx in _OFFSETS]
    )
    center = lightness.astype(np.float64)
    window = np.concatenate([neighbors, center[np.newaxis]])
    variance = np.nanvar(window, axis=0)
    squared = (neighbors - center) ** 2
    closest = np.nanmin(squared, axis=0)
    sigma2 = np.maximum(_VARIANCE_SCALE * variance, -closest / np.log(_MIN_NEIGHBOR_WEIGHT))
    sigma2 = np.maximum(sigma2, _MIN_SIGMA2)
    weights = np.exp(-squared / sigma2)
    weights = np.where(np.isnan(weights), 0.0, weights)
    weights /= weights.sum(axis=0)

    index = np.arange(height * width).reshape(height, width)
    padded_index = np.pad(index, 1, constant_values=-1)
    columns = np.stack(
        [padded_index[1 + dy : 1 + dy + height, 1 + dx : 1 + dx + width] for dy, dx in _OFFSETS]
    )
    free = ~constrained
    keep = (columns >= 0) & free[np.newaxis]
    rows = np.broadcast_to(index, columns.shape)[keep]
    matrix = scipy.sparse.coo_matrix(
        (-weights[keep], (rows, columns[keep])), shape=(height * width, height * width)
    )
    return (matrix + scipy.sparse.identity(height * width)).tocsc()


def propagate_colors(lightness, hint_ab, hint_mask):
    """Colors everywhere from colors at the hint pixels (Levin et al. 2004).

    Args:
        lightness: `(H, W)` in [0, 1].
        hint_ab: `(H, W, 2)` colors at the hints (any units; the result keeps them).
        hint_mask: `(H, W)` or `(H, W, 1)`, nonzero at the hints.

    Returns:
        float32 `(H, W, 2)`; zeros when there is no hint (nothing to propagate).
    """
    import scipy.sparse.linalg

    constrained = np.asarray(hint_mask).reshape(lightness.shape) > 0
    if not constrained.any():
        return np.zeros((*lightness.shape, 2), np.float32)
    solver = scipy.sparse.linalg.splu(affinity_matrix(lightness, constrained))
    rhs = np.where(constrained[..., np.newaxis], hint_ab, 0.0).reshape(-1, 2).astype(np.float64)
    return solver.solve(rhs).reshape(*lightness.shape, 2).astype(np.float32)
