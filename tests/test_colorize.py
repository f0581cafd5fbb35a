"""Colorizer, kcolor colorize and kcolor export: full resolution, exact lightness, bad inputs,
atomic writes, overwrite rules, every quantization's parity."""

import numpy as np
import pytest
from click.testing import CliRunner
from fixtures_images import EXPECTED, colorful_pattern
from kcolor.cli.main import main
from PIL import Image
from skimage import color as skcolor


def test_output_has_input_size_and_lightness(small_run, shared_data):
    from kcolor import Colorizer

    colorizer = Colorizer.load(str(small_run))
    source = shared_data / "kodak24" / "kodim05.png"
    original = np.asarray(Image.open(source).convert("RGB"))
    for given in (source, Image.open(source), original):
        out = colorizer.colorize(given)
        assert out.size == (original.shape[1], original.shape[0]) and out.mode == "RGB"
    out = np.asarray(out)
    l_in = skcolor.rgb2lab(original)[..., 0]
    l_out = skcolor.rgb2lab(out)[..., 0]
    assert np.abs(l_out - l_in).mean() < 0.3  # 8-bit rounding; clipping of rare out-of-gamut
    assert np.percentile(np.abs(l_out - l_in), 99) < 1.0
    assert np.abs(skcolor.rgb2lab(out)[..., 1:]).mean() > 0.5  # it did add color


def test_alpha_gray_and_odd_sizes(small_run):
    from kcolor import Colorizer

    colorizer = Colorizer.load(str(small_run))
    rgba = np.concatenate([colorful_pattern(37, 53), np.full((37, 53, 1), 77, np.uint8)], -1)
    out = colorizer.colorize(rgba)
    assert out.mode == "RGBA" and out.size == (53, 37)
    assert np.all(np.asarray(out)[..., 3] == 77)
    gray = colorizer.colorize(np.full((5, 3000), 128, np.uint8))  # tiny and very wide
    assert gray.size == (3000, 5)


def test_cli_batch_handles_every_kind_of_file(small_run, awkward_folder, tmp_path):
    out = tmp_path / "out"
    args = [
        "colorize",
        str(awkward_folder),
        "-o",
        str(out),
        "--model",
        str(small_run),
        "--recursive",
    ]
    result = CliRunner().invoke(main, args)
    bad = [name for name, kind in EXPECTED.items() if kind == "bad"]
    assert result.exit_code == 1  # some inputs were bad
    for name in bad:
        assert sum(name in line and "error" in line for line in result.output.splitlines()) == 1
    written = {p.relative_to(out / awkward_folder.name).as_posix() for p in out.rglob("*.png")}
    good = {name for name, kind in EXPECTED.items() if kind in ("used", "gray")}
    assert written == {name.rsplit(".", 1)[0] + ".png" for name in good}
    assert not list(out.rglob(".*tmp*"))  # no temporary files left behind
    rotated = Image.open(out / awkward_folder.name / "exif_rotated.png")
    assert rotated.size == (48, 64)  # upright: 48 wide, 64 tall
    assert Image.open(out / awkward_folder.name / "rgba.png").mode == "RGBA"
    # photo.webp, photo.tif and photo.bmp all map to photo.png: the first wins, the other two
    # are reported instead of silently overwriting each other.
    assert result.output.count("another input already writes") == 2
    n_written = len(written)
    assert f"{n_written} written" in result.output
    assert f"{len(bad) + 2} failed" in result.output

    before = (out / awkward_folder.name / "cmyk.png").stat().st_mtime_ns
    again = CliRunner().invoke(main, args)
    assert f"{n_written} skipped" in again.output
    assert (out / awkward_folder.name / "cmyk.png").stat().st_mtime_ns == before
    forced = CliRunner().invoke(main, [*args, "--overwrite"])
    assert f"{n_written} written" in forced.output


def test_never_overwrites_inputs_and_rejects_bad_options(small_run, tmp_path):
    photo = tmp_path / "photo.png"
    Image.fromarray(colorful_pattern(32, 32)).save(photo)
    original = photo.read_bytes()
    result = CliRunner().invoke(
        main,
        [
            "colorize",
            str(photo),
            "-o",
            str(tmp_path),
            "--model",
            str(small_run),
            "--overwrite",
        ],
    )
    assert result.exit_code == 1 and "would overwrite an input" in result.output
    assert photo.read_bytes() == original
    result = CliRunner().invoke(
        main,
        [
            "colorize",
            str(photo),
            "-o",
            str(tmp_path / "o"),
            "--backend",
            "tflite",
            "--model",
            str(small_run),
        ],
    )
    assert result.exit_code != 0 and ".tflite" in result.output
    import kcolor.shipped

    with pytest.MonkeyPatch.context() as patch:  # a kcolor built without a shipped model
        patch.setattr(kcolor.shipped, "_manifest", lambda: {})
        result = CliRunner().invoke(main, ["colorize", str(photo), "-o", str(tmp_path / "o")])
    assert result.exit_code != 0 and "no 'default' model ships" in result.output


def test_failed_write_leaves_no_partial_file(small_run, tmp_path, monkeypatch):
    import kcolor.fileio

    photo = tmp_path / "photo.png"
    Image.fromarray(colorful_pattern(32, 32)).save(photo)

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(kcolor.fileio.os, "replace", broken_replace)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["colorize", str(photo), "-o", str(out), "--model", str(small_run)]
    )
    assert result.exit_code == 1 and "disk full" in result.output
    assert not (out / "photo.png").exists()


@pytest.mark.parametrize(
    "quantize, bar", [("none", 45), ("fp16", 40), ("dynamic", 30), ("int8", 30)]
)
def test_every_quantization_exports_runs_and_meets_its_parity_bar(
    small_run, shared_data, tmp_path, quantize, bar
):
    from ai_edge_litert.interpreter import Interpreter

    out = tmp_path / f"m-{quantize}.tflite"
    result = CliRunner().invoke(
        main,
        [
            "export",
            str(small_run),
            "--format",
            "tflite",
            "--quantize",
            quantize,
            "--calibration-data",
            str(shared_data / "set14"),
            "--size",
            "64",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("parity"))
    print(quantize, line)
    psnr = float("inf") if "identical" in line else float(line.split("PSNR ")[1].split(" dB")[0])
    assert psnr >= bar
    interpreter = Interpreter(model_path=str(out))
    runner = interpreter.get_signature_runner("colorize")
    lightness = np.full((1, 64, 64, 1), 50.0, np.float32)
    assert runner(lightness=lightness)["ab"].shape == (1, 64, 64, 2)
    ops = {op["op_name"] for op in interpreter._get_ops_details()}
    assert not any(name.startswith("Flex") or name == "CUSTOM" for name in ops), ops


def test_tflite_backend_and_savedmodel_colorize_at_full_resolution(
    small_run, shared_data, tmp_path
):
    tflite = tmp_path / "m.tflite"
    saved = tmp_path / "saved"
    for fmt, path in (("tflite", tflite), ("savedmodel", saved)):
        result = CliRunner().invoke(
            main, ["export", str(small_run), "--format", fmt, "--size", "64", "-o", str(path)]
        )
        assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        [
            "colorize",
            str(shared_data / "set5"),
            "-o",
            str(out),
            "--backend",
            "tflite",
            "--model",
            str(tflite),
        ],
    )
    assert result.exit_code == 0, result.output
    for source in (shared_data / "set5").glob("*.png"):
        assert Image.open(out / "set5" / source.name).size == Image.open(source).size
    from kcolor import Colorizer

    via_saved = Colorizer.load(str(saved)).colorize(shared_data / "set5" / "bird.png")
    via_lite = Image.open(out / "set5" / "bird.png")
    diff = np.abs(np.asarray(via_saved, int) - np.asarray(via_lite, int))
    assert diff.mean() < 1.0


def test_banded_bilinear_upsampling_matches_tf_image_resize():
    import tensorflow as tf

    from kcolor.colorizer import _bilinear_coordinates

    small = np.random.default_rng(0).random((37, 53, 2)).astype(np.float32)
    height, width = 301, 450
    col_low, col_high, col_w = _bilinear_coordinates(53, width)
    row_low, row_high, row_w = _bilinear_coordinates(37, height)
    wide = small[:, col_low] * (1 - col_w[np.newaxis]) + small[:, col_high] * col_w[np.newaxis]
    ours = wide[row_low] * (1 - row_w[..., np.newaxis]) + wide[row_high] * row_w[..., np.newaxis]
    reference = tf.image.resize(small[np.newaxis], [height, width], method="bilinear")[0]
    np.testing.assert_allclose(ours, reference.numpy(), atol=1e-5)
