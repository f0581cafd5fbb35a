"""The hints file: a user's color points for one photo, read and checked in one place (the CLI,
the Python API and the page's reader follow it).

Format, version 1 (JSON, UTF-8, at most 1 MB and 10,000 points):

    {"version": 1, "points": [{"x": 120, "y": 40, "color": "#b03a2e", "size": 6}]}

- `x`, `y`: the pixel at the point's center, in the photo's own pixels after EXIF rotation,
  origin top-left: 0 <= x < width, 0 <= y < height;
- `color`: sRGB as `#rrggbb` (or `#rgb`); the network takes its ab, the photo keeps its lightness;
- `size` (optional): the side of the square patch, in the photo's pixels; default
  `short side * 6 / 256`, the sweep's 6-px patch at the network's 256 px.

A bad file is one `HintsFileError` line naming the file and the point; nothing is guessed.
"""

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kcolor.color import lab_math

HINTS_VERSION = 1
MAX_HINTS_BYTES = 1_000_000
MAX_POINTS = 10_000
HINTS_SUFFIX = ".hints.json"
DEFAULT_SIDE_PER_256 = 6.0
_FILE_KEYS = {"version", "points"}
_POINT_KEYS = {"x", "y", "color", "size"}
_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


class HintsFileError(ValueError):
    """A hints file that cannot be used; the message names the file and the point."""


@dataclass(frozen=True)
class ColorPoint:
    """One color point in photo pixels: center `(x, y)`, sRGB `color` "#rrggbb", patch `size`
    (None: the default for the photo's size)."""

    x: float
    y: float
    color: str
    size: float | None = None

    def ab(self):
        """The color's (a, b) in Lab units."""
        rgb = np.array([int(self.color[i : i + 2], 16) for i in (1, 3, 5)], np.float32) / 255.0
        return lab_math.rgb_to_lab(rgb)[1:]


def sidecar_path(photo):
    """`photo.hints.json` beside `photo.jpg`: the photo's name without its extension."""
    photo = Path(photo)
    return photo.with_name(photo.stem + HINTS_SUFFIX)


def read_hints_file(path, width, height):
    """The checked points of a hints file for a photo of `width` x `height` pixels.

    Raises:
        HintsFileError: missing, too large, not JSON, or a bad key, point, color or size.
    """
    path = Path(path)
    if not path.is_file():
        raise HintsFileError(f"{path}: no such hints file")
    if path.stat().st_size > MAX_HINTS_BYTES:
        raise HintsFileError(
            f"{path}: {path.stat().st_size:,} bytes, over the {MAX_HINTS_BYTES:,}-byte limit "
            "of a hints file"
        )
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise HintsFileError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as err:
        raise HintsFileError(
            f"{path}: invalid JSON at line {err.lineno} column {err.colno}: {err.msg}"
        ) from None
    return parse_hints(data, width, height, name=str(path))


def parse_hints(data, width, height, name="hints"):
    """The checked points of an already-parsed hints document (see the module docstring)."""
    if not isinstance(data, dict):
        raise HintsFileError(f"{name}: expected a JSON object with version and points")
    unknown = sorted(set(data) - _FILE_KEYS)
    if unknown:
        raise HintsFileError(f"{name}: unknown key {unknown[0]!r} (expected version, points)")
    if data.get("version") != HINTS_VERSION:
        raise HintsFileError(
            f"{name}: version {data.get('version')!r} is not supported (expected {HINTS_VERSION})"
        )
    points = data.get("points")
    if not isinstance(points, list):
        raise HintsFileError(f"{name}: points must be a list")
    if len(points) > MAX_POINTS:
        raise HintsFileError(f"{name}: {len(points):,} points, over the limit of {MAX_POINTS:,}")
    return [_parse_point(point, index, width, height, name) for index, point in enumerate(points)]


def _parse_point(point, index, width, height, name):
    where = f"{name}: point {index + 1}"
    if not isinstance(point, dict):
        raise HintsFileError(f"{where}: expected an object with x, y and color")
    unknown = sorted(set(point) - _POINT_KEYS)
    if unknown:
        raise HintsFileError(f"{where}: unknown key {unknown[0]!r} (expected x, y, color, size)")
    for key in ("x", "y", "color"):
        if key not in point:
            raise HintsFileError(f"{where}: missing {key}")
    x, y = (_number(point[key], key, where) for key in ("x", "y"))
    if not (0 <= x < width and 0 <= y < height):
        raise HintsFileError(
            f"{where}: ({x:g}, {y:g}) is outside the {width}x{height} photo "
            f"(x in 0..{width - 1}, y in 0..{height - 1})"
        )
    color = point["color"]
    if not isinstance(color, str) or not _COLOR.match(color):
        raise HintsFileError(f"{where}: color {color!r} is not an sRGB #rrggbb color")
    if len(color) == 4:
        color = "#" + "".join(c * 2 for c in color[1:])
    size = point.get("size")
    if size is not None:
        size = _number(size, "size", where)
        if size <= 0 or size > max(width, height):
            raise HintsFileError(f"{where}: size {size:g} must be in (0, {max(width, height)}]")
    return ColorPoint(float(x), float(y), color.lower(), None if size is None else float(size))


def _number(value, key, where):
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise HintsFileError(f"{where}: {key} must be a number, got {value!r}")
    return float(value)


def default_side(width, height):
    """A point's patch side in photo pixels when its file gives none."""
    return min(width, height) * DEFAULT_SIDE_PER_256 / 256.0


def hint_maps(points, width, height, scale, shape):
    """The hint map (Lab-unit ab) and mask of `points` on the network's grid.

    Args:
        points: `ColorPoint`s in photo pixels.
        width, height: the photo's size.
        scale: network pixels per photo pixel.
        shape: `(h, w)` of the network's (unpadded) input.

    Returns:
        `(hint_ab (h, w, 2), hint_mask (h, w, 1))`, float32; later points win where they overlap.
    """
    small_h, small_w = shape
    hint_ab = np.zeros((small_h, small_w, 2), np.float32)
    mask = np.zeros((small_h, small_w, 1), np.float32)
    for point in points:
        side = (point.size or default_side(width, height)) * scale
        side = max(1, min(int(round(side)), small_h, small_w))
        center_x, center_y = (point.x + 0.5) * scale, (point.y + 0.5) * scale
        left = int(np.clip(round(center_x - side / 2.0), 0, small_w - side))
        top = int(np.clip(round(center_y - side / 2.0), 0, small_h - side))
        hint_ab[top : top + side, left : left + side] = point.ab()
        mask[top : top + side, left : left + side] = 1.0
    return hint_ab, mask


def write_hints_file(path, points):
    """Write points as a version-1 hints file, atomically (what the page's "Save points" writes)."""
    from kcolor.fileio import atomic_write_bytes

    entries = []
    for point in points:
        entry = {"x": point.x, "y": point.y, "color": point.color}
        if point.size is not None:
            entry["size"] = point.size
        entries.append(entry)
    text = json.dumps({"version": HINTS_VERSION, "points": entries}, indent=1) + "\n"
    atomic_write_bytes(path, text.encode("utf-8"))
