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
    assert rotated.getexif().get(0x0112, 1) == 1  # and no Orientation left to turn it again
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


def _photos(folder, names):
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        Image.fromarray(colorful_pattern(32, 32)).save(folder / name)
    return [folder / name for name in names]


def test_outputs_compare_names_summary_and_missing_inputs(small_run, tmp_path):
    (photo,) = _photos(tmp_path / "in", ["photo.png"])
    _photos(tmp_path / "in" / "sub", ["deep.png"])
    out = tmp_path / "out"
    model = ["--model", str(small_run)]
    result = CliRunner().invoke(main, ["colorize", str(tmp_path / "in"), "-o", str(out), *model])
    assert result.exit_code == 0, result.output
    assert f"1 written to {out}, 0 failed" in result.output
    assert "1 photo(s) in subfolders left out (use --recursive)" in result.output
    colorized = (out / "in" / "photo.png").read_bytes()
    args = ["colorize", str(photo), "-o", str(out / "in"), "--compare", "--overwrite", *model]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0 and "skipped" not in result.output
    assert (out / "in" / "photo.png").read_bytes() == colorized  # not replaced by a comparison
    assert Image.open(out / "in" / "photo-compare.png").size == (64, 32)
    # One input and an -o with an image extension: that file, not a folder.
    single = tmp_path / "photo-color.jpg"
    result = CliRunner().invoke(main, ["colorize", str(photo), "-o", str(single), *model])
    assert result.exit_code == 0 and single.is_file()
    assert Image.open(single).format == "JPEG"
    # A missing input is one error; the other photos are still colorized.
    missing = tmp_path / "nope.jpg"
    args = ["colorize", str(missing), str(photo), "-o", str(tmp_path / "o2"), *model]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and f"{missing}: no such file or folder" in result.output
    assert (tmp_path / "o2" / "photo.png").is_file() and "1 failed" in result.output


def test_unwritable_output_is_one_error_before_any_work(small_run, tmp_path):
    photos = _photos(tmp_path / "in", ["a.png", "b.png", "c.png"])
    blocker = tmp_path / "file.txt"
    blocker.write_text("a file where a folder should be")
    out = blocker / "family"
    args = ["colorize", *map(str, photos), "-o", str(out), "--model", str(small_run)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert result.output.count("cannot write to") == 1 and str(out) in result.output


def test_ctrl_c_exits_130_and_says_what_was_written(small_run, tmp_path, monkeypatch):
    import kcolor.inference.colorizer

    photos = _photos(tmp_path / "in", ["a.png", "b.png", "c.png"])
    real = kcolor.inference.colorizer.colorize_file
    calls = []

    def interrupted_on_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(kcolor.inference.colorizer, "colorize_file", interrupted_on_second)
    out = tmp_path / "out"
    args = ["colorize", *map(str, photos), "-o", str(out), "--model", str(small_run)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 130
    assert "interrupted: 1 written" in result.output and "2 not done" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["a.png"]


def test_disk_full_names_the_photo_and_leaves_no_temporary_file(small_run, tmp_path, monkeypatch):
    import errno
    import os

    import kcolor.fileio

    photos = _photos(tmp_path / "in", ["big.png", "bird.png"])

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(kcolor.fileio.os, "fsync", full)
    out = tmp_path / "FULL"
    args = ["colorize", *map(str, photos), "-o", str(out), "--model", str(small_run)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert f"{photos[0]}: No space left on device" in result.output
    assert list(out.iterdir()) == []  # no .big.png.tmp, no half image


def test_atomic_path_removes_its_temporary_file_on_any_failure(tmp_path):
    from kcolor.fileio import atomic_path

    target = tmp_path / "generator.keras"
    target.write_bytes(b"old")
    for error in (OSError(28, "No space left on device"), KeyboardInterrupt()):
        with pytest.raises(type(error)), atomic_path(target, prefix=".tmp-", suffix="") as tmp:
            tmp.write_bytes(b"half")
            raise error
        assert sorted(p.name for p in tmp_path.iterdir()) == ["generator.keras"]
        assert target.read_bytes() == b"old"


def test_corrupt_or_foreign_model_files_are_one_line_errors(small_run, tmp_path):
    good = (small_run / "generator.keras").read_bytes()
    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes(good[: len(good) // 2])
    text = tmp_path / "notes.keras"
    text.write_text("not a model")
    lite = tmp_path / "broken.tflite"
    lite.write_bytes(b"\x00" * 64)
    (photo,) = _photos(tmp_path / "in", ["photo.png"])
    for model in (truncated, text, lite):
        runs = [["colorize", str(photo), "-o", str(tmp_path / "o"), "--model", str(model)]]
        runs.append(["evaluate", str(model), "--data", str(tmp_path / "in"), "--image-size", "32"])
        if model.suffix == ".keras":
            runs.append(["export", str(model), "--format", "tflite", "-o", str(tmp_path / "m")])
        for args in runs:
            result = CliRunner().invoke(main, args)
            assert result.exit_code == 1, (args, result.output)
            assert "the file exists but is not a readable" in result.output, result.output
            assert "Traceback" not in result.output and "File not found" not in result.output


def test_compare_writes_the_photo_and_the_side_by_side_it_names(small_run, tmp_path):
    """Issue 19, items 2 and 4: `-o cmpfile.png --compare` writes cmpfile.png, as it says,
    and cmpfile-compare.png beside it."""
    (photo,) = _photos(tmp_path / "in", ["one.png"])
    target = tmp_path / "cmpfile.png"
    args = ["colorize", str(photo), "-o", str(target), "--compare", "--model", str(small_run)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert f"1 written to {target}" in result.output
    assert Image.open(target).size == (32, 32)
    assert Image.open(tmp_path / "cmpfile-compare.png").size == (64, 32)
    # A folder run writes both for every photo too.
    out = tmp_path / "out"
    args = [
        "colorize",
        str(tmp_path / "in"),
        "-o",
        str(out),
        "--compare",
        "--model",
        str(small_run),
    ]
    assert CliRunner().invoke(main, args).exit_code == 0
    assert sorted(p.name for p in (out / "in").iterdir()) == ["one-compare.png", "one.png"]


def test_an_output_folder_inside_the_input_is_not_colorized_again(small_run, tmp_path):
    """Issue 19, item 3: `colorize nest -o nest/out -r` twice leaves nest/out/nest/out alone."""
    nest = tmp_path / "nest"
    _photos(nest, ["one.png"])
    args = ["colorize", str(nest), "-o", str(nest / "out"), "-r", "--model", str(small_run)]
    first = CliRunner().invoke(main, args)
    second = CliRunner().invoke(main, args)
    assert first.exit_code == 0 and second.exit_code == 0, second.output
    assert "1 skipped" in second.output and "would overwrite an input" not in second.output
    written = sorted(p.relative_to(nest).as_posix() for p in nest.rglob("*.png"))
    assert written == ["one.png", "out/nest/one.png"]


def test_folder_input_with_a_file_name_for_output_is_refused(small_run, tmp_path):
    """Issue 19, item 7: no folder named x.png is made."""
    _photos(tmp_path / "in", ["one.png"])
    out = tmp_path / "x.png"
    args = ["colorize", str(tmp_path / "in"), "-o", str(out), "--model", str(small_run)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "pass a folder for -o" in result.output
    assert not out.exists()


def test_backend_keras_with_a_tflite_model_is_an_error(tmp_path):
    """Issue 19, item 8: both mismatches are errors (the reverse one already was)."""
    (photo,) = _photos(tmp_path / "in", ["one.png"])
    model = tmp_path / "m.tflite"
    model.write_bytes(b"not read")
    args = ["colorize", str(photo), "-o", str(tmp_path / "o"), "--backend", "keras"]
    result = CliRunner().invoke(main, [*args, "--model", str(model)])
    assert result.exit_code == 2 and "--backend keras" in result.output
    result = CliRunner().invoke(main, [*args[:-1], "tflite", "--model", str(tmp_path)])
    assert result.exit_code == 2 and "--backend tflite needs" in result.output
