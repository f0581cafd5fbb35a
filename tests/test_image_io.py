"""Decoding every kind of file users have into upright 8-bit RGB, or a one-line error."""

import numpy as np
import pytest
from fixtures_images import colorful_pattern
from PIL import Image

from kcolor.image_io import ImageDecodeError, read_rgb


def _close(a, b, tolerance):
    return np.abs(a.astype(int) - b.astype(int)).mean() < tolerance


def test_exif_rotated_jpeg_is_turned_upright(awkward_folder):
    stored = colorful_pattern(48, 64)  # 48 rows x 64 columns as stored
    upright = read_rgb(awkward_folder / "exif_rotated.jpg")
    # Orientation 6 means: rotate 90 degrees clockwise to display.
    assert upright.shape == (64, 48, 3)
    assert _close(upright, np.rot90(stored, k=-1), 4)


def test_cmyk_jpeg_keeps_its_colors(awkward_folder):
    rgb = read_rgb(awkward_folder / "cmyk.jpg")
    expected = np.asarray(Image.fromarray(colorful_pattern(48, 64)).convert("CMYK").convert("RGB"))
    assert rgb.shape == (48, 64, 3)
    assert _close(rgb, expected, 4)


def test_rgba_drops_alpha_and_keeps_rgb(awkward_folder):
    rgb = read_rgb(awkward_folder / "rgba.png")
    np.testing.assert_array_equal(rgb, colorful_pattern(48, 64))


def test_sixteen_bit_pngs_are_scaled_not_clipped(awkward_folder):
    rgb16 = read_rgb(awkward_folder / "rgb16.png")
    assert _close(rgb16, colorful_pattern(48, 64), 1)
    gray16 = read_rgb(awkward_folder / "gray16.png")
    assert gray16.dtype == np.uint8 and gray16.shape == (48, 64, 3)
    expected = np.rint(np.linspace(0, 65535, 48 * 64).reshape(48, 64) / 257)
    assert np.abs(gray16[..., 0] - expected).max() <= 1
    assert gray16.max() == 255 and gray16.min() == 0


def test_palette_gif_and_grayscale_expand_to_rgb(awkward_folder):
    assert read_rgb(awkward_folder / "palette.gif").shape == (48, 64, 3)
    gray = read_rgb(awkward_folder / "gray.jpg")
    assert gray.shape == (48, 64, 3)
    assert np.array_equal(gray[..., 0], gray[..., 2])


@pytest.mark.parametrize(
    "name, words",
    [("truncated.jpg", "truncated"), ("empty.jpg", "empty"), ("text.jpg", "not an image")],
)
def test_bad_files_raise_one_line_errors(awkward_folder, name, words):
    with pytest.raises(ImageDecodeError) as info:
        read_rgb(awkward_folder / name)
    message = str(info.value)
    assert name in message and words in message and "\n" not in message


def test_large_jpeg_decodes_at_reduced_scale_but_not_below_min_size(tmp_path):
    path = tmp_path / "big.jpg"
    Image.fromarray(colorful_pattern(1200, 1600)).save(path, quality=90)
    reduced = read_rgb(path, min_size=256)
    assert min(reduced.shape[:2]) >= 256
    assert reduced.shape[0] < 1200


@pytest.mark.parametrize("name", ["photo.webp", "photo.tif", "photo.bmp"])
def test_other_formats_decode(awkward_folder, name):
    assert _close(read_rgb(awkward_folder / name), colorful_pattern(48, 64), 2)


def test_decompression_bomb_is_refused_not_decoded(awkward_folder, monkeypatch):
    # Pillow's limit is ~89 MP (warning) / ~179 MP (error); lower it instead of writing a huge file.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    with pytest.raises(ImageDecodeError, match="too large"):
        read_rgb(awkward_folder / "photo.bmp")
