"""Scores of a colorized video against its color original, frame by frame and along time.

Conventions:
- PSNR: per frame on 8-bit sRGB at full resolution, data_range 255, MSE over all pixels and
  channels (as `kcolor.evaluation.metrics.psnr_rgb`); reported as the mean over frames.
- Colorfulness: Hasler and Suesstrunk on each frame (`kcolor.color.photo_filters`), mean.
- Warping error (flicker): for each pair of consecutive frames, the output's previous frame is
  warped onto the current one by the optical flow of the *true* frames (OpenCV's DIS flow on
  true lightness, at the frames' resolution) and the mean Euclidean ab difference (Lab units)
  is taken over pixels where that flow is trustworthy (the warped true lightness is within
  `L_TOLERANCE` of the true one: no occlusion, no new content). The same measure on the true
  frames is the floor that natural motion and lighting leave. Pairs across a scene cut (the
  true lightness histogram changes by more than the cut threshold) are left out.
The flow here is DIS, not the Farneback flow of the temporal filter, so the filter is not
scored by its own motion estimate.
"""

import numpy as np

from kcolor.color import lab_math, photo_filters

L_TOLERANCE = 3.0  # Lab units


def psnr_255(predicted, truth):
    """PSNR in dB of two uint8 `(H, W, 3)` images, data_range 255."""
    mse = np.mean(np.square(predicted.astype(np.float64) - truth.astype(np.float64)))
    return float("inf") if mse == 0 else float(10.0 * np.log10(255.0**2 / mse))


def _lab(rgb):
    return lab_math.rgb_to_lab(rgb.astype(np.float32) / 255.0)


def _histogram(lightness):
    counts, _ = np.histogram(lightness, bins=32, range=(0.0, 100.0))
    return counts / max(1, counts.sum())


class VideoScores:
    """Feed pairs `(output_rgb, truth_rgb)` in frame order; `summary()` gives the means.

    Args:
        cut: lightness-histogram L1 distance that marks a scene cut (pairs across it skipped).
    """

    def __init__(self, cut=0.5):
        import cv2

        self._cv2 = cv2
        self._flow = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        self.cut = cut
        self.psnr, self.colorfulness, self.true_colorfulness = [], [], []
        self.warp_output, self.warp_truth, self.trusted_share = [], [], []
        self._previous = None

    def update(self, output_rgb, truth_rgb):
        self.psnr.append(psnr_255(output_rgb, truth_rgb))
        self.colorfulness.append(float(photo_filters.colorfulness(output_rgb / 255.0)))
        self.true_colorfulness.append(float(photo_filters.colorfulness(truth_rgb / 255.0)))
        out_lab, true_lab = _lab(output_rgb), _lab(truth_rgb)
        previous, self._previous = self._previous, (out_lab, true_lab)
        if previous is None:
            return
        if np.abs(_histogram(true_lab[..., 0]) - _histogram(previous[1][..., 0])).sum() > self.cut:
            return
        flow = self._true_flow(true_lab[..., 0], previous[1][..., 0])
        warped_out, warped_true = self._warp(previous[0], flow), self._warp(previous[1], flow)
        trusted = np.abs(warped_true[..., 0] - true_lab[..., 0]) < L_TOLERANCE
        if not trusted.any():
            return
        self.trusted_share.append(float(trusted.mean()))
        for store, now, before in (
            (self.warp_output, out_lab, warped_out),
            (self.warp_truth, true_lab, warped_true),
        ):
            distance = np.linalg.norm(now[..., 1:] - before[..., 1:], axis=-1)
            store.append(float(distance[trusted].mean()))

    def _true_flow(self, lightness, previous):
        to_u8 = lambda values: np.clip(values * 2.55, 0, 255).astype(np.uint8)  # noqa: E731
        return self._flow.calc(to_u8(lightness), to_u8(previous), None)

    def _warp(self, image, flow):
        height, width = flow.shape[:2]
        grid_x, grid_y = np.meshgrid(
            np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32)
        )
        return self._cv2.remap(
            np.ascontiguousarray(image, dtype=np.float32),
            grid_x + flow[..., 0],
            grid_y + flow[..., 1],
            interpolation=self._cv2.INTER_LINEAR,
            borderMode=self._cv2.BORDER_REPLICATE,
        )

    def summary(self):
        """Means over frames (and over frame pairs for the warping errors)."""
        mean = lambda values: float(np.mean(values)) if values else float("nan")  # noqa: E731
        return {
            "frames": len(self.psnr),
            "psnr": mean(self.psnr),
            "colorfulness": mean(self.colorfulness),
            "true_colorfulness": mean(self.true_colorfulness),
            "warping_error": mean(self.warp_output),
            "warping_error_truth": mean(self.warp_truth),
            "pairs_scored": len(self.warp_output),
            "trusted_pixel_share": mean(self.trusted_share),
        }


def score_video(output_path, truth_path, cut=0.5):
    """`VideoScores.summary()` of a colorized video file against its color original."""
    from kcolor.video_io import open_video

    scores = VideoScores(cut=cut)
    with open_video(output_path) as output, open_video(truth_path) as truth:
        pairs = zip(output.decode(video=0), truth.decode(video=0), strict=False)
        for out_frame, true_frame in pairs:
            scores.update(
                out_frame.to_ndarray(format="rgb24"), true_frame.to_ndarray(format="rgb24")
            )
    return scores.summary()
