"""Steady colors along a video: a recursive filter on ab that follows the motion.

Colorizing each frame alone makes colors flicker (a shirt red, then brown, then red). Each
frame's predicted ab (at the network's small size) is blended with the previous *output* ab,
warped onto this frame by the optical flow of the lightness (OpenCV's Farneback):

    out_t = w * warp(out_{t-1}) + (1 - w) * ab_t,   w = strength * exp(-(dL / sigma_l)^2)

where dL is the lightness difference between this frame and the warped previous one: where
the flow is wrong (occlusions, new objects) the previous colors are not trusted. A scene cut
(the lightness histogram changes a lot) restarts the filter. Only ab is filtered; the output's
lightness is always the frame's own (the colorizer joins ab with the full-resolution L).

Methods: "flow" (the above), "blend" (the same filter without motion: w = strength), "off".

Frames the network skips (`colorize_video(..., network_every=N)`) get the previous output moved
along the flow (w = 1); a scene cut always gets a fresh prediction (`needs_prediction`).
"""

import numpy as np

TEMPORAL_METHODS = ("flow", "blend", "off")
DEFAULT_STRENGTH = 0.8
DEFAULT_SIGMA_L = 6.0  # Lab units of lightness mismatch at which the previous colors weigh 1/e
DEFAULT_CUT = 0.5  # L1 distance between 32-bin lightness histograms (range 0 to 2)


def import_cv2():
    """OpenCV, or a one-line error saying how to get it."""
    try:
        import cv2
    except ImportError:
        raise ImportError(
            "temporal smoothing needs OpenCV: pip install 'kcolor[video]' "
            "(or opencv-python-headless), or pass --temporal off"
        ) from None
    return cv2


def lightness_histogram(lightness):
    """32-bin histogram of L in [0, 100], summing to 1."""
    counts, _ = np.histogram(lightness, bins=32, range=(0.0, 100.0))
    return counts / max(1, counts.sum())


def is_scene_cut(lightness, previous, threshold=DEFAULT_CUT):
    """Whether two frames' lightness histograms differ by more than `threshold` (L1)."""
    return np.abs(lightness_histogram(lightness) - lightness_histogram(previous)).sum() > threshold


def backward_flow(lightness, previous):
    """Per-pixel displacement `(h, w, 2)` from this frame to the previous one (x, y), from the
    two lightness maps in [0, 100]."""
    cv2 = import_cv2()
    to_u8 = lambda values: np.clip(values * 2.55, 0, 255).astype(np.uint8)  # noqa: E731
    return cv2.calcOpticalFlowFarneback(
        to_u8(lightness), to_u8(previous), None, 0.5, 3, 15, 3, 5, 1.2, 0
    )


def warp(image, flow):
    """Sample `image` (of the previous frame) at this frame's pixels displaced by `flow`."""
    cv2 = import_cv2()
    height, width = flow.shape[:2]
    grid_x, grid_y = np.meshgrid(
        np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32)
    )
    return cv2.remap(
        np.ascontiguousarray(image, dtype=np.float32),
        grid_x + flow[..., 0],
        grid_y + flow[..., 1],
        interpolation=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )


class TemporalFilter:
    """Feed it each frame's small lightness and predicted ab, in order; it returns the ab to use.

    Args:
        method: "flow", "blend" or "off" (see the module docstring).
        strength: weight of the previous colors where the motion is trusted (0 to 1).
        sigma_l: lightness mismatch (Lab units) that lowers that weight to 1/e.
        cut: histogram distance above which a frame starts a new scene.
    """

    def __init__(
        self, method="flow", strength=DEFAULT_STRENGTH, sigma_l=DEFAULT_SIGMA_L, cut=DEFAULT_CUT
    ):
        if method not in TEMPORAL_METHODS:
            raise ValueError(f"temporal method must be one of {TEMPORAL_METHODS}, got {method!r}")
        if method == "flow":
            import_cv2()  # fail before the first frame, not in the middle of a film
        self.method, self.strength, self.sigma_l, self.cut = method, strength, sigma_l, cut
        self.cuts = 0
        self._previous = None  # (lightness, ab) of the last output

    def needs_prediction(self, lightness):
        """Whether this frame must have the network's colors: the first, a new size, a scene
        cut, or any frame when nothing carries colors along ("off")."""
        previous = self._previous
        return (
            self.method == "off"
            or previous is None
            or previous[0].shape != lightness.shape
            or is_scene_cut(lightness, previous[0], self.cut)
        )

    def __call__(self, lightness, ab=None):
        """`lightness (h, w)` in [0, 100] and `ab (h, w, 2)` of one frame -> filtered ab. With
        `ab` None (a frame the network skipped; only when `needs_prediction` is False), the
        previous output moved along the motion ("flow") or kept as it is ("blend"). A fresh
        prediction weighs the same whether or not frames were skipped before it: weighing it
        as the N frames it stands for followed the predictions faster but flickered more
        (warping error +15% on bikes at N = 3; docs/benchmarks.md)."""
        if self.method == "off":
            return ab
        previous = self._previous
        if ab is None:
            if self.method == "flow":
                out = warp(previous[1], backward_flow(lightness, previous[0]))
            else:
                out = previous[1]
        elif previous is None or previous[0].shape != lightness.shape:
            out = ab
        elif is_scene_cut(lightness, previous[0], self.cut):
            self.cuts += 1
            out = ab
        elif self.method == "blend":
            out = self.strength * previous[1] + (1 - self.strength) * ab
        else:
            flow = backward_flow(lightness, previous[0])
            # Lightness and ab of the previous frame, moved in one remap.
            warped = warp(np.dstack([previous[0], previous[1]]), flow)
            warped_ab, mismatch = warped[..., 1:], warped[..., 0] - lightness
            weight = self.strength * np.exp(-np.square(mismatch / self.sigma_l))[..., np.newaxis]
            out = weight * warped_ab + (1 - weight) * ab
        out = out.astype(np.float32)
        self._previous = (lightness, out)
        return out
