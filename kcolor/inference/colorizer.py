"""`Colorizer`: full-resolution colorization of any photo with any kcolor generator.

The network sees a small copy of the photo; its colors are upsampled and joined with the
original full-resolution lightness (as richzhang/colorization does), so the output keeps every
detail and the input's exact lightness, and the network's cost does not grow with the photo.

Steps for a photo of H x W:
1. decode upright (EXIF), 8-bit sRGB; keep alpha and metadata (EXIF, ICC) aside;
2. shrink so the long side is `size` (antialiased), compute its L, pad by reflection to the
   network's size multiple (or to a fixed-size model's input) and predict ab;
3. crop the padding, upsample ab bilinearly to H x W;
4. join with the full-resolution L in bands of rows (bounded memory), convert to sRGB;
   out-of-gamut colors lose chroma rather than being clipped, so lightness is kept
   (`kcolor.inference.join`).
"""

from pathlib import Path

import numpy as np
from PIL import Image

from kcolor.color import lab_math
from kcolor.image_io import ImageDecodeError, open_image, to_rgb_array
from kcolor.inference.join import join_full_resolution
from kcolor.models.predictors import load_predictor
from kcolor.names import VIDEO_NETWORK_EVERY
from kcolor.png_writer import encode_png

DEFAULT_SIZE = 256
DEFAULT_MODEL = "default"


class Colorizer:
    """Colorizes photos at their full resolution.

    Example:
        >>> from kcolor import Colorizer
        >>> colorizer = Colorizer.load("runs/default-l1")  # or a .keras / .tflite path
        >>> colorizer.colorize("grandma.jpg").save("grandma-color.png")
    """

    def __init__(self, predictor, size=DEFAULT_SIZE):
        self.predictor = predictor
        self.size = int(size)

    @classmethod
    def load(cls, model=DEFAULT_MODEL, size=DEFAULT_SIZE, num_threads=None, backend="auto"):
        """A Colorizer for "default" (the shipped model, sha256-verified), a run folder,
        `.keras`, SavedModel folder or `.tflite`. The shipped model runs as its fp32 `.tflite`
        (no TensorFlow or Keras import) unless `backend="keras"` asks for its SavedModel;
        `.tflite` paths always run in LiteRT (`kcolor.models.predictors.load_predictor`)."""
        return cls(load_predictor(str(model), num_threads=num_threads, backend=backend), size=size)

    @property
    def guided(self):
        """Whether the model takes color points and a reference palette."""
        return bool(getattr(self.predictor, "guided", False))

    def colorize(self, image, hints=None, reference=None):
        """Colorize a path, a PIL image or a uint8 array `(H, W)`, `(H, W, 3)` or `(H, W, 4)`.

        Args:
            hints: color points for a guided model: a hints file path, its parsed JSON
                (`{"version": 1, "points": [...]}`, kcolor.inference.hints_file) or a list of
                `ColorPoint`; coordinates in the photo's pixels after EXIF rotation.
            reference: a color photo (path, PIL image or array) whose palette the colors follow.

        Returns:
            A PIL image of the input's size: RGB, or RGBA when the input had alpha (kept as is).

        Raises:
            kcolor.inference.hints_file.HintsFileError: bad hints (the message says which).
            ValueError: hints or a reference for a model that takes none.
        """
        pil = _as_pil(image)
        palette = self.reference_palette(reference) if reference is not None else None
        return _colorize_pil(self, pil, hints, palette)

    def colorize_video(
        self,
        source,
        destination,
        temporal="flow",
        progress=None,
        reference=None,
        network_every=VIDEO_NETWORK_EVERY,
    ):
        """Colorize a video file into `destination` (its extension picks the container), with
        steady colors along time; audio, frame rate, size and rotation are kept.

        Args:
            temporal: "flow" (default), "blend" or "off" (`kcolor.inference.temporal`).
            progress: called as `progress(frames_done, frames_total_or_None)` per frame.
            reference: a color photo whose palette every frame follows (guided models).
            network_every: run the network on every Nth frame (default 3); the frames between
                follow the previous colors along the motion (`kcolor.inference.video`); 1 runs
                it on every frame.

        Returns:
            dict: `frames`, `scene_cuts`, `seconds`.

        Example:
            >>> Colorizer.load().colorize_video("film.mp4", "film-color.mp4")
        """
        from kcolor.inference.video import colorize_video

        palette = self.reference_palette(reference) if reference is not None else None
        return colorize_video(
            self,
            source,
            destination,
            temporal=temporal,
            progress=progress,
            palette=palette,
            network_every=network_every,
        )

    def colorize_array(self, rgb, points=None, palette=None):
        """`(H, W, 3)` uint8 sRGB in, colorized `(H, W, 3)` uint8 out, lightness kept.

        `points` (a list of `ColorPoint`) and `palette` (`reference_palette`) guide a guided
        model."""
        _, ab_small = self.predict_small(rgb, points=points, palette=palette)
        return self.join(rgb, ab_small)

    def suggest_colors(self, image, x, y, k=6, hints=None, reference=None):
        """The `k` colors the model finds most likely at pixel `(x, y)` of the photo (after EXIF
        rotation), nearby ab bins merged, with their probabilities: what a user picks from.

        Returns:
            list of `(hex sRGB "#rrggbb", probability)`, most likely first; each color has
            the photo's own lightness at that pixel.

        Raises:
            ValueError: `(x, y)` outside the photo, or a model with no color-class head or that
                cannot give its distribution (a .tflite automatic export).

        Example:
            >>> Colorizer.load().suggest_colors("grandma.jpg", 120, 40)
            [('#7a5a3f', 0.41), ('#5b6b3a', 0.22), ...]
        """
        from kcolor.color.hints import merged_suggestions

        rgb = to_rgb_array(_as_pil(image))
        height, width = rgb.shape[:2]
        if not (0 <= x < width and 0 <= y < height):
            raise ValueError(f"({x}, {y}) is outside the {width}x{height} photo")
        if not hasattr(self.predictor, "predict_distribution"):
            raise ValueError(f"{self.predictor.name} cannot give its color distribution")
        points = self.read_points(hints, width, height)
        palette = self.reference_palette(reference) if reference is not None else None
        lightness, l_norm, padded_shape, guidance = self._network_input(rgb, points, palette)
        probs, centers = self.predictor.predict_distribution(l_norm[np.newaxis], guidance)
        scale = lightness.shape[0] / height
        row = min(int((y + 0.5) * scale * probs.shape[1] / padded_shape[0]), probs.shape[1] - 1)
        col = min(int((x + 0.5) * scale * probs.shape[2] / padded_shape[1]), probs.shape[2] - 1)
        point_l = lightness[min(int((y + 0.5) * scale), lightness.shape[0] - 1)][
            min(int((x + 0.5) * scale), lightness.shape[1] - 1)
        ]
        suggestions = []
        for ab, probability in merged_suggestions(probs[0, row, col], centers, k):
            lab = np.array([[point_l, ab[0], ab[1]]], np.float32)
            srgb = np.round(lab_math.lab_to_rgb_keep_lightness(lab)[0] * 255.0).astype(int)
            suggestions.append(("#" + "".join(f"{v:02x}" for v in srgb), probability))
        return suggestions

    def reference_palette(self, reference):
        """The palette of a color photo (path, PIL image or uint8 array): the share of its
        pixels in each ab bin, at the network's working size, with the "on" flag."""
        from kcolor.color.ab_bins import in_gamut_bins
        from kcolor.color.hints import palette_histogram

        self.require_guided("a reference photo")
        rgb = to_rgb_array(_as_pil(reference))
        scale = min(1.0, self._working_size() / max(rgb.shape[:2]))
        size = (max(1, round(rgb.shape[1] * scale)), max(1, round(rgb.shape[0] * scale)))
        small = np.asarray(Image.fromarray(rgb).resize(size, Image.BILINEAR), np.float32) / 255.0
        return palette_histogram(lab_math.rgb_to_lab(small)[..., 1:], in_gamut_bins())

    def read_points(self, hints, width, height):
        """Checked `ColorPoint`s for a `width` x `height` photo from a hints file path, a parsed
        hints document or a list of points (None: no points).

        Raises:
            kcolor.inference.hints_file.HintsFileError: bad hints. ValueError: not guided."""
        from kcolor.inference.hints_file import parse_hints, read_hints_file

        if hints is None:
            return None
        self.require_guided("color points")
        if isinstance(hints, str | Path):
            return read_hints_file(hints, width, height)
        if isinstance(hints, dict):
            return parse_hints(hints, width, height)
        return parse_hints(
            {"version": 1, "points": [_point_entry(p) for p in hints]}, width, height
        )

    def require_guided(self, what):
        """Raise ValueError, naming the model, unless it takes guidance."""
        if not self.guided:
            raise ValueError(
                f"{self.predictor.name} takes no {what}: use a guided model (trained with "
                "--set model.guided=true)"
            )

    def _guidance(self, points, palette, rgb_shape, small_shape, padded_shape):
        """The batch of one `Guidance` at the network's padded size (Lab ab normalized)."""
        from kcolor.color.ab_bins import in_gamut_bins
        from kcolor.color.hints import Guidance, no_palette
        from kcolor.inference.hints_file import hint_maps

        height, width = rgb_shape[:2]
        hint_ab, mask = hint_maps(points or [], width, height, small_shape[0] / height, small_shape)
        if palette is None:
            palette = no_palette(in_gamut_bins())
        guidance = Guidance(
            hint_ab[np.newaxis] / lab_math.AB_SCALE, mask[np.newaxis], palette[np.newaxis]
        )
        return guidance.padded(*padded_shape)

    def join(self, rgb, ab_small, threads=None):
        """Upsample normalized ab `(h, w, 2)` to the photo's size and join it with the photo's
        own lightness: `(H, W, 3)` uint8 sRGB (`threads`: see `join_full_resolution`)."""
        return join_full_resolution(rgb, ab_small, threads=threads)

    def predict_small(self, rgb, points=None, palette=None):
        """The photo shrunk to long side `size` (or the model's fixed input): its lightness
        `(h, w)` in [0, 100] and the predicted normalized ab `(h, w, 2)`, guided by `points`
        and `palette` when given."""
        lightness, padded, _, guidance = self._network_input(rgb, points, palette)
        small_h, small_w = lightness.shape
        ab = self.predictor.predict_ab(padded[np.newaxis], guidance)[0]
        return lightness, ab[:small_h, :small_w]

    def small_lightness(self, rgb):
        """The lightness `(h, w)` in [0, 100] of the small copy the network would see."""
        return self._network_input(rgb, None, None)[0]

    def _working_size(self):
        """The long side of the small copy the network reads: a fixed-size model's input (the
        page's too), else `size`."""
        fixed = getattr(self.predictor, "input_size", None)
        return min(fixed) if fixed else self.size

    def _network_input(self, rgb, points, palette):
        """What the network reads for a photo: its small lightness `(h, w)` in [0, 100], the
        padded normalized L `(H', W', 1)`, the padded size, and the `Guidance` (or None)."""
        height, width = rgb.shape[:2]
        fixed = getattr(self.predictor, "input_size", None)
        scale = min(1.0, self._working_size() / max(height, width))
        small_h, small_w = max(1, round(height * scale)), max(1, round(width * scale))
        small = np.asarray(Image.fromarray(rgb).resize((small_w, small_h), Image.BILINEAR))
        l_norm, _ = lab_math.rgb_to_normalized_lab(small.astype(np.float32) / 255.0)
        if fixed:
            target_h, target_w = fixed
        else:
            multiple = getattr(self.predictor, "size_multiple", 16)
            target_h = -(-small_h // multiple) * multiple
            target_w = -(-small_w // multiple) * multiple
        padded = _reflect_pad(l_norm, target_h, target_w)
        guidance = None
        if points or palette is not None:
            shapes = (rgb.shape, (small_h, small_w), (target_h, target_w))
            guidance = self._guidance(points, palette, *shapes)
        lightness = l_norm[..., 0] * lab_math.L_SCALE + lab_math.L_CENTER
        return lightness, padded, (target_h, target_w), guidance


def _colorize_pil(colorizer, pil, hints, palette):
    """A PIL photo colorized, its alpha kept as is; hints are checked before any work."""
    rgb = to_rgb_array(pil)
    points = colorizer.read_points(hints, rgb.shape[1], rgb.shape[0])
    out = Image.fromarray(colorizer.colorize_array(rgb, points=points, palette=palette))
    if pil.mode in ("RGBA", "LA", "PA"):
        out.putalpha(pil.getchannel("A"))
    return out


def _point_entry(point):
    """A hints-file entry from a `ColorPoint` or a dict of the file's keys."""
    if isinstance(point, dict):
        return point
    entry = {"x": point.x, "y": point.y, "color": point.color}
    return entry if point.size is None else {**entry, "size": point.size}


def _as_pil(image):
    if isinstance(image, Image.Image):
        return image
    if isinstance(image, str | Path):
        return open_image(image)
    array = np.asarray(image)
    if array.dtype != np.uint8 or array.ndim not in (2, 3):
        raise ValueError("arrays must be uint8 (H, W), (H, W, 3) or (H, W, 4)")
    return Image.fromarray(array)


def _reflect_pad(image, target_h, target_w):
    """Pad `(h, w, c)` at the bottom and right to the target size by reflection (edge-repeat
    when the image is too small to reflect)."""
    pad_h, pad_w = target_h - image.shape[0], target_w - image.shape[1]
    if pad_h == 0 and pad_w == 0:
        return image
    mode = "reflect" if pad_h < image.shape[0] and pad_w < image.shape[1] else "edge"
    return np.pad(image, ((0, pad_h), (0, pad_w), (0, 0)), mode=mode)


def colorize_file(colorizer, source, destination, side_by_side=None, hints=None, palette=None):
    """Colorize one file and write it atomically; EXIF and ICC are kept where the format allows.

    Args:
        destination: where the colorized photo goes (None: only the comparison); its
            extension picks the format.
        side_by_side: where a gray | colorized comparison goes, if anywhere.
        hints: a hints file for this photo (checked before anything is written).
        palette: a reference palette (`Colorizer.reference_palette`).

    Raises:
        ImageDecodeError: unreadable input, or an output format that cannot hold the image.
        kcolor.inference.hints_file.HintsFileError: bad hints (nothing is written).
    """
    pil = open_image(source)
    result = _colorize_pil(colorizer, pil, hints, palette)
    if destination is not None:
        _write_image(result, pil, destination)
    if side_by_side is not None:
        gray = pil.convert("L").convert(result.mode)
        side = Image.new(result.mode, (result.width * 2, result.height))
        side.paste(gray, (0, 0))
        side.paste(result, (result.width, 0))
        _write_image(side, pil, side_by_side)


_PNG_WRITER_MODES = ("L", "LA", "RGB", "RGBA")
_FORMATS = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG", "tif": "TIFF", "tiff": "TIFF"}


def _write_image(image, original, path):
    """Encode `image` in the format `path`'s extension names, with `original`'s EXIF and ICC."""
    import io

    from kcolor.fileio import atomic_write_bytes

    suffix = Path(path).suffix.lstrip(".").lower()
    fmt = _FORMATS.get(suffix, suffix.upper())
    if fmt == "JPEG" and image.mode == "RGBA":
        image = image.convert("RGB")  # JPEG has no alpha
    options = {}
    if original.info.get("icc_profile"):
        options["icc_profile"] = original.info["icc_profile"]
    exif = original.getexif()
    if exif:
        options["exif"] = exif.tobytes()
    if fmt == "JPEG":
        options["quality"] = 95
    if fmt == "PNG" and image.mode in _PNG_WRITER_MODES:
        # kcolor.png_writer: "Up" filter, deflate on every core (a 12 MP photo in 0.05 s, not
        # Pillow's 0.7 s at level 1, and a smaller file).
        data = encode_png(np.asarray(image), **options)
        atomic_write_bytes(path, data)
        return
    buffer = io.BytesIO()
    try:
        image.save(buffer, format=fmt, **options)
    except (OSError, ValueError, KeyError) as err:
        raise ImageDecodeError(path, f"cannot write as {fmt}: {err}") from None
    atomic_write_bytes(path, buffer.getvalue())
