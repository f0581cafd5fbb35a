"""kcolor.png_writer (issue 31): Pillow reads back exactly the pixels written, in one part or
several, with ISA-L or zlib, and the ICC profile and EXIF that colorize keeps."""

import io
import zlib

import numpy as np
import pytest
from PIL import Image

from kcolor import png_writer


def _decoded(data):
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_pixels_round_trip_for_every_channel_count(channels):
    rng = np.random.default_rng(channels)
    pixels = rng.integers(0, 256, (37, 53, channels), dtype=np.uint8)
    image = _decoded(png_writer.encode_png(pixels))
    assert image.mode == {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[channels]
    np.testing.assert_array_equal(np.asarray(image).reshape(pixels.shape), pixels)


@pytest.mark.parametrize("deflate", ["isal", "zlib"])
def test_a_photo_in_several_parts_decodes_exactly(shared_data, monkeypatch, deflate):
    if deflate == "zlib":
        monkeypatch.setattr(png_writer, "_deflate", zlib)
    photo = np.asarray(Image.open(shared_data / "kodak24" / "kodim05.png").convert("RGB"))
    big = np.tile(photo, (2, 2, 1))  # 4.7 MB of scanlines: 4 parts
    data = png_writer.encode_png(big, threads=4)
    np.testing.assert_array_equal(np.asarray(_decoded(data)), big)
    assert len(data) < big.nbytes * 0.8  # compressed, not stored
    one_part = png_writer.encode_png(big, threads=1)
    np.testing.assert_array_equal(np.asarray(_decoded(one_part)), big)


def test_icc_profile_and_exif_are_kept(shared_data):
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = Image.Exif()
    exif[0x010F] = "kcolor test camera"  # Make
    pixels = np.zeros((8, 8, 3), np.uint8)
    image = _decoded(png_writer.encode_png(pixels, icc_profile=icc, exif=exif.tobytes()))
    assert image.info["icc_profile"] == icc
    assert image.getexif()[0x010F] == "kcolor test camera"


def test_not_an_8_bit_image_is_refused():
    with pytest.raises(ValueError, match="uint8"):
        png_writer.encode_png(np.zeros((4, 4, 3), np.uint16))
    with pytest.raises(ValueError, match="uint8"):
        png_writer.encode_png(np.zeros((4, 4, 5), np.uint8))


@pytest.mark.parametrize("out_format", ["png", "jpg"])
def test_colorize_keeps_exif_and_icc_in_png_and_jpg(shared_data, tmp_path, out_format):
    """Issue 31, item 3: `--format jpg` (quality 95) and the fast PNG writer both carry the
    photo's EXIF and ICC profile."""
    from click.testing import CliRunner
    from kcolor.cli.main import main
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = Image.Exif()
    exif[0x010F] = "kcolor test camera"
    photo = tmp_path / "scan.jpg"
    gray = Image.open(shared_data / "kodak24" / "kodim05.png").convert("L").convert("RGB")
    gray.save(photo, quality=92, exif=exif.tobytes(), icc_profile=icc)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["colorize", str(photo), "-o", str(out), "--format", out_format]
    )
    assert result.exit_code == 0, result.output
    written = Image.open(out / f"scan.{out_format}")
    assert written.format == {"png": "PNG", "jpg": "JPEG"}[out_format]
    assert written.size == gray.size
    assert written.getexif()[0x010F] == "kcolor test camera"
    assert written.info["icc_profile"] == icc
