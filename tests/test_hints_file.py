"""Hints files (kcolor.inference.hints_file) through the Python API and `kcolor colorize`:
every bad case is one line naming the file (and the point) and writes nothing."""

import json

import numpy as np
import pytest
from click.testing import CliRunner
from kcolor.cli.main import main
from PIL import Image

from kcolor.inference.hints_file import (
    MAX_POINTS,
    ColorPoint,
    HintsFileError,
    hint_maps,
    parse_hints,
    read_hints_file,
    sidecar_path,
)


@pytest.fixture(scope="module")
def guided_model(tmp_path_factory):
    """A tiny untrained guided generator with a class head, saved as .keras."""
    from kcolor.models import build_generator

    model = build_generator("default", head="classification", filters=(8, 16, 32), guided=True)
    path = tmp_path_factory.mktemp("guided") / "guided.keras"
    model.save(path)
    return path


@pytest.fixture()
def photo(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 255, (48, 64, 3), dtype=np.uint8)
    path = tmp_path / "in" / "photo.jpg"
    path.parent.mkdir()
    Image.fromarray(rgb).save(path)
    return path


def _write(path, document):
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


GOOD = {"version": 1, "points": [{"x": 10, "y": 20, "color": "#b03a2e", "size": 6}]}
BAD_CASES = {
    "invalid JSON": ('{"version": 1, "points": [', "invalid JSON at line 1"),
    "unknown key": (
        {"version": 1, "points": [{"x": 1, "y": 1, "color": "#fff", "colour": "#fff"}]},
        "point 1: unknown key 'colour'",
    ),
    "outside": (
        {"version": 1, "points": [GOOD["points"][0], {"x": 64, "y": 5, "color": "#ffffff"}]},
        "point 2: (64, 5) is outside the 64x48 photo",
    ),
    "bad color": ({"version": 1, "points": [{"x": 1, "y": 1, "color": "red"}]}, "not an sRGB"),
    "too many": (
        {"version": 1, "points": [{"x": 1, "y": 1, "color": "#fff"}] * (MAX_POINTS + 1)},
        "10,001 points, over the limit of 10,000",
    ),
    "too large": ('{"version": 1, "points": []}' + " " * 1_000_001, "over the 1,000,000-byte"),
    "bad version": ({"version": 2, "points": []}, "version 2 is not supported"),
}


def test_good_points_parse_and_land_on_the_network_grid(tmp_path):
    points = read_hints_file(_write(tmp_path / "h.json", GOOD), 64, 48)
    assert points == [ColorPoint(10.0, 20.0, "#b03a2e", 6.0)]
    # At half size the 6-px patch becomes 3 px centered on (10.5, 20.5) / 2.
    hint_ab, mask = hint_maps(points, 64, 48, 0.5, (24, 32))
    rows, cols = np.nonzero(mask[..., 0])
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (9, 11, 4, 6)
    np.testing.assert_allclose(hint_ab[10, 5], points[0].ab(), atol=1e-5)
    assert points[0].ab()[0] > 30  # a red: positive a
    # Default size: the short side x 6 / 256.
    default = parse_hints({"version": 1, "points": [{"x": 5, "y": 5, "color": "#abc"}]}, 512, 256)
    assert default[0].color == "#aabbcc" and default[0].size is None
    assert hint_maps(default, 512, 256, 1.0, (256, 512))[1].sum() == 36


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_each_bad_hints_file_is_one_line_and_writes_nothing(case, photo, guided_model, tmp_path):
    document, expected = BAD_CASES[case]
    hints = _write(tmp_path / "bad.hints.json", document)
    with pytest.raises(HintsFileError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        read_hints_file(hints, 64, 48)
    out = tmp_path / "out"
    args = ["colorize", str(photo), "--hints", str(hints), "-o", str(out)]
    result = CliRunner().invoke(main, [*args, "--model", str(guided_model)])
    assert result.exit_code == 1
    message = result.output.strip()
    assert "\n" not in message and str(hints) in message and expected in message
    assert not out.exists()


def test_folder_photos_use_their_sidecars_and_a_bad_one_fails_alone(photo, guided_model, tmp_path):
    other = photo.with_name("other.png")
    Image.open(photo).save(other)
    _write(sidecar_path(photo), GOOD)
    _write(sidecar_path(other), BAD_CASES["outside"][0])
    out = tmp_path / "out"
    args = ["colorize", str(photo.parent), "-o", str(out), "--model", str(guided_model)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert "other.hints.json: point 2" in result.output
    assert (out / "in" / "photo.png").is_file() and not (out / "in" / "other.png").exists()


def test_points_or_a_reference_for_an_automatic_model_are_refused_at_once(photo, tmp_path):
    from kcolor.models import build_generator

    automatic = tmp_path / "automatic.keras"
    build_generator("default", head="classification", filters=(8, 16, 32)).save(automatic)
    hints = _write(tmp_path / "h.json", GOOD)
    out = tmp_path / "out"
    colorize = ["colorize", str(photo), "-o", str(out), "--model", str(automatic)]
    for option in (["--hints", str(hints)], ["--reference", str(photo)]):
        result = CliRunner().invoke(main, [*colorize, *option])
        assert result.exit_code == 1 and "takes no" in result.output
    # A sidecar beside a photo for an automatic model is noted, and today's colors written.
    _write(sidecar_path(photo), GOOD)
    result = CliRunner().invoke(main, colorize)
    assert result.exit_code == 0 and "are ignored" in result.output


def test_points_on_a_video_are_refused(tmp_path, guided_model):
    video = tmp_path / "film.mp4"
    video.write_bytes(b"\x00" * 64)
    hints = _write(tmp_path / "h.json", GOOD)
    args = ["colorize", str(video), "--hints", str(hints), "-o", str(tmp_path / "out")]
    result = CliRunner().invoke(main, [*args, "--model", str(guided_model)])
    assert result.exit_code == 2 and "do not apply to a video" in result.output


def test_python_api_takes_points_and_a_reference(photo, guided_model):
    from kcolor import Colorizer

    colorizer = Colorizer.load(guided_model)
    plain = colorizer.colorize(photo)
    guided = colorizer.colorize(photo, hints=GOOD, reference=photo)
    same = colorizer.colorize(photo, hints=[ColorPoint(10, 20, "#b03a2e", 6)], reference=photo)
    assert plain.size == guided.size == (64, 48)
    np.testing.assert_array_equal(np.asarray(guided), np.asarray(same))
    suggestions = colorizer.suggest_colors(photo, 10, 20, k=4)
    assert len(suggestions) == 4 and all(h.startswith("#") and len(h) == 7 for h, _ in suggestions)
    probabilities = [p for _, p in suggestions]
    assert probabilities == sorted(probabilities, reverse=True) and sum(probabilities) <= 1 + 1e-6
    with pytest.raises(ValueError, match="outside"):
        colorizer.suggest_colors(photo, 64, 0)


def test_a_red_point_on_a_neutral_wall_turns_that_region_red_through_the_cli(shared_data, tmp_path):
    """Issue 29 with the shipped (guided) default: kodim03's pale wall at the right, one red
    point, and the wall around it turns red; far from it the automatic colors stay."""
    from kcolor.color import lab_math

    gray = tmp_path / "kodim03.png"
    truth = Image.open(shared_data / "kodak24" / "kodim03.png").convert("RGB")
    truth.convert("L").save(gray)
    hints = _write(
        tmp_path / "wall.hints.json",
        {"version": 1, "points": [{"x": 728, "y": 232, "color": "#c0392b"}]},
    )
    for name, extra in (("auto", []), ("red", ["--hints", str(hints)])):
        result = CliRunner().invoke(
            main, ["colorize", str(gray), "-o", str(tmp_path / name), *extra]
        )
        assert result.exit_code == 0, result.output

    def lab(path):
        return lab_math.rgb_to_lab(np.asarray(Image.open(path).convert("RGB"), np.float32) / 255)

    wall = (slice(208, 256), slice(704, 752))
    far = (slice(0, 96), slice(0, 96))
    truth_lab, auto, red = (
        lab(shared_data / "kodak24" / "kodim03.png"),
        lab(tmp_path / "auto" / "kodim03.png"),
        lab(tmp_path / "red" / "kodim03.png"),
    )
    assert np.hypot(truth_lab[wall][..., 1], truth_lab[wall][..., 2]).mean() < 6  # neutral
    assert (
        red[wall][..., 1].mean() > 20 and red[wall][..., 1].mean() - auto[wall][..., 1].mean() > 20
    )
    assert np.abs(red[far][..., 1:] - auto[far][..., 1:]).mean() < 3
