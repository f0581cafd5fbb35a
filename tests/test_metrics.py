"""Colorfulness against a direct NumPy transcription of Hasler and Suesstrunk (2003)."""

import numpy as np
from PIL import Image

from kcolor.evaluation.metrics import colorfulness


def _reference_colorfulness(rgb255):
    r, g, b = (rgb255[..., i].astype(np.float64) for i in range(3))
    rg = r - g
    yb = 0.5 * (r + g) - b
    return np.sqrt(rg.std() ** 2 + yb.std() ** 2) + 0.3 * np.sqrt(rg.mean() ** 2 + yb.mean() ** 2)


def test_colorfulness_matches_reference_on_real_photos(shared_data):
    photos = sorted((shared_data / "kodak24").glob("*.png"))[:4]
    images = [np.asarray(Image.open(p).convert("RGB").resize((96, 64))) for p in photos]
    ours = colorfulness(np.stack(images).astype(np.float32) / 255.0).numpy()
    reference = np.array([_reference_colorfulness(img) for img in images])
    assert ours.shape == (len(images),)
    np.testing.assert_allclose(ours, reference, rtol=1e-4)
    assert np.all(reference > 5)


def test_gray_image_has_zero_colorfulness():
    gray = np.repeat(np.random.default_rng(0).random((32, 32, 1)), 3, axis=-1).astype(np.float32)
    assert abs(float(colorfulness(gray))) < 1e-3
