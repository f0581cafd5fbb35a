"""Decode any image file a user might have into upright 8-bit sRGB, or fail with a one-line reason.

TensorFlow's decoders ignore EXIF orientation, misread CMYK JPEGs, and stop a whole `tf.data`
pipeline on the first corrupt file, so files are decoded here with Pillow instead.
"""

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

# Suffixes searched in folders. Pillow decides per file whether it can really decode it.
IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
)

_SIXTEEN_BIT_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N", "I"})


class ImageDecodeError(ValueError):
    """A file that is not a readable image; the message is one line that names the file."""

    def __init__(self, path, reason):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


def is_image_path(path):
    """Whether a path has one of the suffixes kcolor looks for in folders (case-insensitive)."""
    return Path(path).suffix.lower() in IMAGE_EXTENSIONS


def open_image(path, min_size=None):
    """Open, fully decode and rotate upright one image file.

    Args:
        path: file path.
        min_size: if given, JPEGs may be decoded at a reduced scale (libjpeg's DCT scaling) as long
            as both sides stay >= `min_size`: a large photo decodes several times faster.

    Returns:
        A loaded `PIL.Image.Image` in its stored mode, EXIF orientation applied, first frame only.

    Raises:
        ImageDecodeError: zero-byte, truncated, corrupt, non-image or absurdly large files.
    """
    path = Path(path)
    try:
        if path.stat().st_size == 0:
            raise ImageDecodeError(path, "empty file (0 bytes)")
        with warnings.catch_warnings():
            # Pillow warns above ~89 MP and raises above ~179 MP (decompression-bomb limits).
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                if min_size and img.format == "JPEG":
                    img.draft(None, (int(min_size), int(min_size)))
                img.load()
                return ImageOps.exif_transpose(img)
    except ImageDecodeError:
        raise
    except UnidentifiedImageError:
        raise ImageDecodeError(path, "not an image Pillow can read") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise ImageDecodeError(path, f"too large to decode safely ({err})") from None
    except FileNotFoundError:
        raise ImageDecodeError(path, "no such file") from None
    except (OSError, SyntaxError, ValueError, EOFError) as err:
        # Pillow raises OSError for truncated data and SyntaxError/ValueError for broken headers.
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ImageDecodeError(path, f"corrupt or truncated image ({reason})") from None


def to_rgb_array(img):
    """Convert a PIL image of any mode to an `(H, W, 3)` uint8 sRGB array.

    Grayscale and palette images are expanded, alpha is dropped, CMYK is converted by Pillow,
    16-bit grayscale is scaled (not clipped) to 8 bits.
    """
    if img.mode in _SIXTEEN_BIT_MODES:
        values = np.asarray(img, dtype=np.float64)
        # Mode "I" is 32-bit; 16-bit PNGs arrive as "I;16" in Pillow >= 10, as "I" in older ones.
        scale = 257.0 if values.max(initial=0) > 255 else 1.0
        gray = np.clip(np.rint(values / scale), 0, 255).astype(np.uint8)
        return np.repeat(gray[..., np.newaxis], 3, axis=-1)
    if img.mode == "F":
        values = np.asarray(img, dtype=np.float64)
        scale = 255.0 if values.max(initial=0) <= 1.0 else 1.0
        gray = np.clip(np.rint(values * scale), 0, 255).astype(np.uint8)
        return np.repeat(gray[..., np.newaxis], 3, axis=-1)
    if img.mode == "P":
        img = img.convert("RGBA")  # resolves palette transparency before alpha is dropped
    if img.mode != "RGB":
        img = img.convert("RGB")
    return np.asarray(img, dtype=np.uint8)


def read_rgb(path, min_size=None):
    """Decode a file to an upright `(H, W, 3)` uint8 sRGB array; see `open_image` for the errors."""
    img = open_image(path, min_size=min_size)
    try:
        return to_rgb_array(img)
    except (OSError, ValueError) as err:
        raise ImageDecodeError(path, f"cannot convert mode {img.mode} to RGB ({err})") from None
