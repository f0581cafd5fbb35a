"""The fast full-resolution join (kcolor.inference.join, issue 31) against the plain one
(`reference_join`: the bilinear upsampling of tf.image.resize, `lab_math.rgb_to_lab` for the
photo's lightness and `lab_math.lab_to_rgb_keep_lightness` for the colors, whole images). At
least 99.9% of pixels within one level, on real photos, gray and color, with the shipped model's
colors and with colors saturated far out of gamut."""

import numpy as np
import pytest
from PIL import Image

from kcolor.color import lab_math
from kcolor.inference.join import _bilinear_coordinates, join_full_resolution, reference_join


def _within_one_level(ours, reference):
    return float(np.mean(np.abs(ours.astype(int) - reference.astype(int)).max(axis=-1) <= 1))


def test_bilinear_coordinates_match_tf_image_resize():
    tf = pytest.importorskip("tensorflow")
    small = np.random.default_rng(0).random((37, 53, 2)).astype(np.float32)
    height, width = 301, 450
    col_low, col_high, col_w = _bilinear_coordinates(53, width)
    row_low, row_high, row_w = _bilinear_coordinates(37, height)
    col_w, row_w = col_w[np.newaxis, :, np.newaxis], row_w[:, np.newaxis, np.newaxis]
    wide = small[:, col_low] * (1 - col_w) + small[:, col_high] * col_w
    ours = wide[row_low] * (1 - row_w) + wide[row_high] * row_w
    reference = tf.image.resize(small[np.newaxis], [height, width], method="bilinear")[0]
    np.testing.assert_allclose(ours, reference.numpy(), atol=1e-5)


@pytest.mark.parametrize("name", ["kodak24/kodim05.png", "kodak24/kodim19.png", "set14/baboon.png"])
@pytest.mark.parametrize("gray", [True, False], ids=["gray", "color"])
def test_join_matches_the_plain_join_on_real_photos(shared_data, name, gray):
    from kcolor import Colorizer

    photo = Image.open(shared_data / name).convert("RGB")
    if gray:
        photo = photo.convert("L").convert("RGB")
    rgb = np.asarray(photo)
    colorizer = Colorizer.load("default")
    _, ab_small = colorizer.predict_small(rgb)
    ours = join_full_resolution(rgb, ab_small)
    assert ours.shape == rgb.shape and ours.dtype == np.uint8
    assert _within_one_level(ours, reference_join(rgb, ab_small)) >= 0.999
    # Lightness kept: the join's L is the photo's (within the 8-bit rounding of the colors).
    lightness = lab_math.rgb_to_lab(rgb / 255.0)[..., 0]
    assert np.abs(lab_math.rgb_to_lab(ours / 255.0)[..., 0] - lightness).mean() < 0.3


def test_join_keeps_lightness_for_colors_far_out_of_gamut(shared_data):
    """Saturated ab (up to 1.0 normalized, 110 Lab units) over dark and bright tones: most pixels
    go through the chroma bisection; one thread and several give the same pixels."""
    rgb = np.asarray(
        Image.open(shared_data / "kodak24" / "kodim23.png").convert("L").convert("RGB")
    )
    rng = np.random.default_rng(31)
    ab_small = rng.uniform(-1.0, 1.0, (24, 36, 2)).astype(np.float32)
    ours = join_full_resolution(rgb, ab_small, threads=1)
    assert _within_one_level(ours, reference_join(rgb, ab_small)) >= 0.999
    np.testing.assert_array_equal(ours, join_full_resolution(rgb, ab_small, threads=2))


def test_join_of_odd_and_tiny_sizes():
    rng = np.random.default_rng(5)
    for height, width in [(1, 1), (3, 200), (129, 7), (65, 64)]:
        rgb = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        ab_small = rng.uniform(-0.4, 0.4, (max(1, height // 4), max(1, width // 4), 2))
        ours = join_full_resolution(rgb, ab_small.astype(np.float32))
        assert ours.shape == (height, width, 3)
        assert _within_one_level(ours, reference_join(rgb, ab_small.astype(np.float32))) >= 0.999
