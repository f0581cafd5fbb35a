"""User guidance for a guided generator, as arrays: local color points and a global palette.

Zhang, Zhu, Isola, Geng, Lin, Yu and Efros, "Real-Time User-Guided Image Colorization with
Learned Deep Priors" (SIGGRAPH 2017) feed the network two kinds of hints:

- local hints: a map of ab values and a mask, set on small square patches where the user put a
  color point and zero elsewhere;
- a global hint: the ab distribution of a reference ("color like this photo"), here a histogram
  over the model's ab bins (`kcolor.color.ab_bins.in_gamut_bins`) plus an on/off flag.

This module is pure NumPy and seeded by the caller's `numpy.random.Generator`:
- `simulate_hints`: the training recipe (Zhang 2017's `add_color_patches_rand_gt`): points are
  added while a draw stays under 1 - `STOP_PROBABILITY` (geometric: 1/8 of crops get none,
  7 on average), patch sides uniform in 1..9 px, centers Gaussian around the middle with sigma a
  quarter of the free span, each hint the patch's mean true ab;
- `sweep_hints`: the evaluation sweep (their `test_sweep.py`): exactly N patches of 6 x 6 px,
  placed the same way;
- `palette_histogram`: the global hint of a photo's ab.

Units: ab in Lab units unless a name says normalized; the caller scales. Patches are
`(top, left, side)` in pixels of the array they index.
"""

import numpy as np

STOP_PROBABILITY = 1.0 / 8.0
PATCH_SIDES = tuple(range(1, 10))
SWEEP_PATCH_SIDE = 6
MAX_POINTS = 128  # a geometric count with mean 7 passes 128 once in about 27 million crops
PALETTE_STRIDE = 4  # Zhang 2017 compute the global histogram at 1/4 resolution


def sample_patches(height, width, rng, count=None, sides=PATCH_SIDES):
    """Patches `(top, left, side)` placed as Zhang 2017 do.

    Args:
        height, width: the image's size in pixels.
        rng: a `numpy.random.Generator`.
        count: None for the training recipe's geometric count (keep adding while a uniform
            draw is under 1 - STOP_PROBABILITY, at most MAX_POINTS), or an exact count.
        sides: patch sides to draw from, uniformly.

    Returns:
        int array `(n, 3)`.
    """
    if count is None:
        count = 0
        while count < MAX_POINTS and rng.random() < 1.0 - STOP_PROBABILITY:
            count += 1
    patches = np.zeros((count, 3), np.int64)
    for index in range(count):
        side = int(rng.choice(sides))
        side = min(side, height, width)
        top = _gaussian_start(height, side, rng)
        left = _gaussian_start(width, side, rng)
        patches[index] = (top, left, side)
    return patches


def _gaussian_start(extent, side, rng):
    """A patch start on one axis: normal around the middle of the free span, sigma a quarter
    of it, clipped into the image (their `np.clip(np.random.normal(...))`)."""
    free = extent - side + 1
    return int(np.clip(rng.normal(free / 2.0, free / 4.0), 0, extent - side))


def paint_patches(ab, patches):
    """The hint map and mask of `patches`, each patch filled with its mean `ab`.

    Where patches overlap the later one wins, as when a user paints over a point.

    Args:
        ab: `(H, W, 2)` true colors (any units; the hints keep them).
        patches: `(n, 3)` from `sample_patches`.

    Returns:
        `(hint_ab (H, W, 2), hint_mask (H, W, 1))`, float32, zero away from the patches.
    """
    height, width = ab.shape[:2]
    hint_ab = np.zeros((height, width, 2), np.float32)
    mask = np.zeros((height, width, 1), np.float32)
    for top, left, side in patches:
        window = (slice(top, top + side), slice(left, left + side))
        hint_ab[window] = ab[window].reshape(-1, 2).mean(axis=0)
        mask[window] = 1.0
    return hint_ab, mask


def simulate_hints(ab, rng):
    """Training hints for one crop (Zhang 2017's recipe; see the module docstring)."""
    patches = sample_patches(ab.shape[0], ab.shape[1], rng)
    return paint_patches(ab, patches)


def sweep_hints(ab, count, rng, side=SWEEP_PATCH_SIDE):
    """Evaluation hints: exactly `count` patches of `side` px, Gaussian centers, mean true ab."""
    patches = sample_patches(ab.shape[0], ab.shape[1], rng, count=count, sides=(side,))
    return paint_patches(ab, patches)


def sweep_rng(seed, image_index, count):
    """The generator of one photo's sweep draw at one point count: a function of the three
    numbers only, so every model sees the same points, and each count draws anew."""
    return np.random.default_rng([int(seed), int(image_index), int(count)])


def palette_size(centers):
    """Length of a palette vector: one value per ab bin, then the on/off flag."""
    return len(centers) + 1


def palette_histogram(ab, centers, stride=PALETTE_STRIDE):
    """The global hint of a photo: the share of its pixels nearest each ab bin, then flag 1.

    Args:
        ab: `(H, W, 2)` in Lab units.
        centers: `(Q, 2)` bin centers in Lab units.
        stride: pixels are read every `stride` rows and columns.

    Returns:
        float32 `(Q + 1,)`: shares summing to 1, then 1.0.
    """
    pixels = np.asarray(ab, np.float32)[::stride, ::stride].reshape(-1, 2)
    counts = np.bincount(nearest_grid_bin(pixels, centers), minlength=len(centers))
    shares = counts.astype(np.float32) / max(1, counts.sum())
    return np.concatenate([shares, [1.0]]).astype(np.float32)


def nearest_grid_bin(ab, centers, grid=10.0):
    """Index of the nearest bin for each ab `(n, 2)` when the bins are cells of a `grid`
    (kcolor.color.ab_bins): the rounded cell when it is a bin, else the nearest bin by distance.

    No matrix product on purpose: it runs per crop inside tf.data's parallel map, where
    OpenBLAS's threads (numpy's matmul) fought TensorFlow's for the two cores.
    """
    keys = np.rint(np.asarray(centers) / grid).astype(np.int64)
    low = keys.min(axis=0)
    table = np.full(tuple(keys.max(axis=0) - low + 1), -1, np.int64)
    table[tuple((keys - low).T)] = np.arange(len(keys))
    cells = np.rint(np.asarray(ab) / grid).astype(np.int64) - low
    inside = np.all((cells >= 0) & (cells < table.shape), axis=1)
    index = np.full(len(cells), -1, np.int64)
    index[inside] = table[tuple(cells[inside].T)]
    missing = index < 0
    if missing.any():
        d2 = ((np.asarray(ab)[missing, np.newaxis, :] - centers[np.newaxis]) ** 2).sum(axis=-1)
        index[missing] = np.argmin(d2, axis=1)
    return index


def no_palette(centers):
    """The palette input that means "no reference": all zeros, flag 0."""
    return np.zeros(palette_size(centers), np.float32)


def training_guidance(ab, ab_other, rng, centers, palette_fraction):
    """One training crop's guidance: simulated points from its own `ab`, and on a
    `palette_fraction` share of crops the palette of `ab_other` (another crop or flip of the same
    photo: its colors without their positions), else no palette. All ab in Lab units.

    Returns:
        `(hint_ab (H, W, 2), hint_mask (H, W, 1), palette (Q + 1,))`, float32.
    """
    hint_ab, mask = simulate_hints(ab, rng)
    if rng.random() < palette_fraction:
        palette = palette_histogram(ab_other, centers)
    else:
        palette = no_palette(centers)
    return hint_ab, mask, palette


def merged_suggestions(probs, centers, k, radius=15.0):
    """The `k` most likely colors of one pixel's ab distribution, nearby bins merged.

    Bins are taken in order of probability; each unclaimed one claims the unclaimed bins within
    `radius` Lab units (15: its 8 grid neighbors), and the group's color is their
    probability-weighted mean. Zhang 2017's interface shows such a short list at a click.

    Args:
        probs: `(Q,)` probabilities. centers: `(Q, 2)` in Lab units.

    Returns:
        list of `(ab (2,), probability)`, most likely first.
    """
    probs = np.asarray(probs, np.float64)
    free = np.ones(len(probs), bool)
    groups = []
    for seed in np.argsort(-probs, kind="stable"):  # ties (int8 outputs) by bin, as the page
        if not free[seed]:
            continue
        near = free & (np.linalg.norm(centers - centers[seed], axis=-1) <= radius)
        free &= ~near
        mass = probs[near].sum()
        groups.append((probs[near] @ centers[near] / max(mass, 1e-12), float(mass)))
    groups.sort(key=lambda group: -group[1])
    return groups[:k]


class Guidance:
    """A batch of guidance for a guided generator, in its input units: `hint_ab` normalized ab
    `(B, H, W, 2)`, `hint_mask` `(B, H, W, 1)`, `palette` `(B, Q + 1)`.

    Predictors take it beside the lightness (`predict_ab(l_norm, guidance)`); automatic ones
    ignore it.
    """

    def __init__(self, hint_ab, hint_mask, palette):
        self.hint_ab = np.asarray(hint_ab, np.float32)
        self.hint_mask = np.asarray(hint_mask, np.float32)
        self.palette = np.asarray(palette, np.float32)

    @classmethod
    def empty(cls, batch, height, width, centers):
        """No points and no palette: the automatic colors."""
        return cls(
            np.zeros((batch, height, width, 2), np.float32),
            np.zeros((batch, height, width, 1), np.float32),
            np.zeros((batch, palette_size(centers)), np.float32),
        )

    def arrays(self):
        return [self.hint_ab, self.hint_mask, self.palette]

    def padded(self, height, width):
        """Zero-padded at the bottom and right to `height` x `width` (no hint in the padding)."""
        pad = ((0, 0), (0, height - self.hint_ab.shape[1]), (0, width - self.hint_ab.shape[2]))
        return Guidance(
            np.pad(self.hint_ab, (*pad, (0, 0))),
            np.pad(self.hint_mask, (*pad, (0, 0))),
            self.palette,
        )
