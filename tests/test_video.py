"""`kcolor colorize film.mp4` (issue 20): frames, rate, size, audio and rotation kept, lightness
untouched, bad files reported, Ctrl-C clean, and steadier colors than frame by frame."""

import numpy as np
import pytest
from click.testing import CliRunner
from kcolor.cli.main import main

av = pytest.importorskip("av")
pytest.importorskip("cv2")

VIDEO_DIR_NAME = "video"
FRAMES = 16


def _gray_clip(source, destination, frames, rotation=0, keep_audio=True):
    """The first `frames` frames of `source`, made gray (Pillow's L), with the audio of those
    seconds copied as is: what an old film looks like to kcolor."""
    from PIL import Image

    with av.open(str(source)) as reader, av.open(str(destination), "w") as writer:
        video_in = reader.streams.video[0]
        audio_in = [s for s in reader.streams if s.type == "audio"] if keep_audio else []
        out = writer.add_stream("libx264", rate=video_in.average_rate, options={"crf": "12"})
        out.width, out.height = video_in.codec_context.width, video_in.codec_context.height
        out.pix_fmt, out.time_base = "yuv420p", video_in.time_base
        if rotation:
            out.set_display_rotation(rotation)
        audio_out = {s.index: writer.add_stream_from_template(s) for s in audio_in}
        end = frames / video_in.average_rate
        done = 0
        for packet in reader.demux(video_in, *audio_in):
            if packet.stream.type == "audio":
                if packet.dts is not None and packet.pts * packet.time_base < end:
                    packet.stream = audio_out[packet.stream.index]
                    writer.mux(packet)
                continue
            for frame in packet.decode():
                if done < frames:
                    rgb = frame.to_ndarray(format="rgb24")
                    gray = np.asarray(Image.fromarray(rgb).convert("L").convert("RGB"))
                    new = av.VideoFrame.from_ndarray(gray, format="rgb24")
                    new.pts, new.time_base = frame.pts, frame.time_base
                    writer.mux(out.encode(new))
                    done += 1
        writer.mux(out.encode(None))
    return destination


@pytest.fixture(scope="session")
def clips(shared_data, tmp_path_factory):
    """Short gray clips of the two shared videos (bikes: 640x272; bigbuckbunny: with audio)."""
    videos = shared_data.parent / VIDEO_DIR_NAME
    if not (videos / "bikes.mp4").is_file():
        pytest.skip(f"{videos} not found")
    folder = tmp_path_factory.mktemp("clips")
    return {
        "bikes": _gray_clip(videos / "bikes.mp4", folder / "bikes.mp4", FRAMES),
        "bunny": _gray_clip(videos / "bigbuckbunny.mp4", folder / "bunny.mp4", FRAMES),
        "rotated": _gray_clip(videos / "bikes.mp4", folder / "rotated.mp4", 4, rotation=90),
        "bikes_color": videos / "bikes.mp4",
    }


def _frames(path):
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def _audio_packets(path):
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return []
        return [bytes(p) for p in container.demux(audio=0) if p.size]


def _colorize(*args):
    return CliRunner().invoke(main, ["colorize", *map(str, args)])


def test_video_keeps_frames_rate_size_audio_and_lightness(clips, tmp_path):
    result = _colorize(clips["bunny"], clips["bikes"], "-o", tmp_path)
    assert result.exit_code == 0, result.output
    assert "2 written" in result.output
    for name in ("bunny", "bikes"):
        source, output = clips[name], tmp_path / f"{name}.mp4"
        with av.open(str(source)) as a, av.open(str(output)) as b:
            va, vb = a.streams.video[0], b.streams.video[0]
            assert vb.average_rate == va.average_rate
            assert (vb.codec_context.width, vb.codec_context.height) == (
                va.codec_context.width,
                va.codec_context.height,
            )
        before, after = _frames(source), _frames(output)
        assert len(after) == len(before) == FRAMES
        # The lightness is the input's, within the codec's noise; the colors are new.
        from kcolor.color import lab_math

        l_in = lab_math.rgb_to_lab(np.stack(before) / 255.0)[..., 0]
        lab_out = lab_math.rgb_to_lab(np.stack(after) / 255.0)
        assert np.abs(lab_out[..., 0] - l_in).mean() < 1.5
        assert np.hypot(lab_out[..., 1], lab_out[..., 2]).mean() > 2
    assert _audio_packets(tmp_path / "bunny.mp4") == _audio_packets(clips["bunny"]) != []


def test_rotation_is_kept(clips, tmp_path):
    out = tmp_path / "rotated-color.mp4"
    result = _colorize(clips["rotated"], "-o", out)
    assert result.exit_code == 0, result.output
    with av.open(str(out)) as container:
        assert next(container.decode(video=0)).rotation == 90


def test_a_video_is_found_by_its_content(clips, tmp_path):
    disguised = tmp_path / "film.dat"
    disguised.write_bytes(clips["bikes"].read_bytes())
    result = _colorize(disguised, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert len(_frames(tmp_path / "out" / "film.mp4")) == FRAMES


def test_a_bad_video_is_one_line_and_the_batch_goes_on(clips, tmp_path, shared_data):
    truncated = tmp_path / "truncated.mp4"
    data = clips["bikes"].read_bytes()
    truncated.write_bytes(data[: len(data) // 3])
    garbage = tmp_path / "garbage.mkv"
    garbage.write_bytes(b"\x1a\x45\xdf\xa3" + bytes(range(256)) * 8)
    damaged = tmp_path / "damaged.mp4"  # a readable header, scrambled frames
    scrambled = bytearray(data)
    for index in range(len(scrambled) // 4, len(scrambled) * 3 // 4, 5):
        scrambled[index] = (scrambled[index] * 31 + 7) % 256
    damaged.write_bytes(bytes(scrambled))
    from kcolor.image_io import is_image_path

    photo = sorted(p for p in (shared_data / "set5").iterdir() if is_image_path(p))[0]
    out = tmp_path / "out"
    result = _colorize(truncated, garbage, damaged, photo, "-o", out)
    assert result.exit_code == 1, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 3 and "Traceback" not in result.output
    assert [str(truncated), str(garbage), str(damaged)] == [e.split(": ")[1] for e in errors]
    assert "1 written" in result.output and "3 failed" in result.output
    assert sorted(p.name for p in out.rglob("*")) == [photo.with_suffix(".png").name]


def test_progress_bars_count_frames_for_a_film_and_files_for_a_batch(
    clips, tmp_path, shared_data, monkeypatch
):
    """Issue 30, item 10: no "0/1 photo/s" bar while a film is colorized."""
    import kcolor.inference.batch as batch

    bars = []

    class RecordingBar(batch.tqdm):
        def __init__(self, *args, **kwargs):
            bars.append((kwargs.get("unit"), kwargs.get("disable")))
            super().__init__(*args, **{**kwargs, "disable": True})

    monkeypatch.setattr(batch, "tqdm", RecordingBar)
    assert _colorize(clips["rotated"], "-o", tmp_path / "one").exit_code == 0
    assert bars == [("video", True), ("frame", None)]  # the film's own frames bar only
    bars.clear()
    photo = shared_data / "set5" / "baby.png"
    assert _colorize(clips["rotated"], photo, "-o", tmp_path / "two").exit_code == 0
    assert bars == [("file", None), ("frame", None)]


@pytest.mark.parametrize("stage", ["_predict_frame", "_finish_frame"])  # reader / writer thread
def test_ctrl_c_in_a_video_leaves_no_partial_file(clips, tmp_path, monkeypatch, stage):
    import kcolor.inference.video as video

    real = getattr(video, stage)
    calls = []

    def interrupted(*args):
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(video, stage, interrupted)
    out = tmp_path / "out"
    result = _colorize(clips["bikes"], "-o", out)
    assert result.exit_code == 130
    assert "interrupted" in result.output
    assert list(out.iterdir()) == []  # neither the film nor its temporary file


def test_temporal_filter_lowers_the_warping_error_and_keeps_psnr(clips, tmp_path):
    """The flow filter flickers less than frame-by-frame colorization without costing much
    PSNR, scored against the color original with the DIS flow of the truth. (On 16 frames the
    filter has little history to work with; the full clips' figures are in docs/results.md.)
    The network runs on every frame here: the filter itself is under test (the default, every
    3rd frame, costs 0.7 dB on these opening frames of bikes and is measured on whole clips in
    docs/benchmarks.md)."""
    from kcolor.evaluation.video_metrics import score_video

    scores = {}
    for temporal in ("off", "flow"):
        out = tmp_path / f"{temporal}.mp4"
        result = _colorize(
            clips["bikes"], "-o", out, "--temporal", temporal, "--network-every", "1"
        )
        assert result.exit_code == 0, result.output
        scores[temporal] = score_video(out, clips["bikes_color"])
    assert scores["flow"]["frames"] == FRAMES and scores["flow"]["pairs_scored"] >= FRAMES - 2
    assert scores["flow"]["warping_error"] < 0.85 * scores["off"]["warping_error"]
    assert scores["flow"]["psnr"] > scores["off"]["psnr"] - 0.5


def test_python_api_reports_progress(clips, tmp_path):
    from kcolor import Colorizer

    seen = []
    info = Colorizer.load().colorize_video(
        clips["bikes"], tmp_path / "api.mkv", progress=lambda done, total: seen.append(done)
    )
    assert info["frames"] == FRAMES and seen == list(range(1, FRAMES + 1))
    with av.open(str(tmp_path / "api.mkv")) as container:
        assert container.format.name.startswith("matroska")


def test_missing_pyav_is_a_one_line_hint(clips, tmp_path):
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['av'] = None\n"
        "from kcolor.cli.main import main\n"
        f"main(['colorize', {str(clips['bikes'])!r}, '-o', {str(tmp_path / 'o')!r}])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 1
    assert "pip install 'kcolor[video]'" in done.stderr and "Traceback" not in done.stderr


def _moving_noisy_frames(steps=8):
    """A smooth pattern moving 2 px right per frame, its true colors, and noisy predictions."""
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(0)
    scene = gaussian_filter(rng.random((80, 160)), 4)
    scene = (scene - scene.min()) / (scene.max() - scene.min()) * 80 + 10
    colors = np.stack([scene / 100, 0.5 - scene / 100], axis=-1).astype(np.float32)
    for step in range(steps):
        truth = np.roll(colors, 2 * step, axis=1)
        noisy = truth + rng.normal(0, 0.05, truth.shape).astype(np.float32)
        yield np.roll(scene, 2 * step, axis=1).astype(np.float32), truth, noisy


def test_temporal_filter_follows_motion_and_restarts_at_a_cut():
    """On synthetic frames: noise shrinks along the motion (where "blend", which ignores the
    motion, smears), and a new scene starts from its own colors."""
    from kcolor.inference.temporal import TemporalFilter

    last_error = {}
    for method in ("flow", "blend", "off"):
        smoother = TemporalFilter(method)
        for lightness, truth, noisy in _moving_noisy_frames():
            error = np.abs(smoother(lightness, noisy) - truth)[10:-10, 20:-20].mean()
        last_error[method] = error
    assert last_error["flow"] < 0.5 * last_error["off"] < 0.5 * last_error["blend"]
    other = np.full((80, 160), 90.0, np.float32)  # a bright new scene: a cut
    fresh = np.full((80, 160, 2), 0.3, np.float32)
    smoother = TemporalFilter("flow")
    for lightness, _, noisy in _moving_noisy_frames(3):
        smoother(lightness, noisy)
    np.testing.assert_array_equal(smoother(other, fresh), fresh)
    assert smoother.cuts == 1


def test_mixed_inputs_keep_or_convert_containers(clips, tmp_path, shared_data):
    """A .mov stays a .mov beside the photos' PNGs; --format mp4 makes it an .mp4."""
    from kcolor.image_io import is_image_path

    movie = _gray_clip(clips["bikes_color"], tmp_path / "home.mov", 4, keep_audio=False)
    photo = sorted(p for p in (shared_data / "set5").iterdir() if is_image_path(p))[0]
    for fmt, expected in (("png", "home.mov"), ("mp4", "home.mp4")):
        out = tmp_path / f"out-{fmt}"
        result = _colorize(movie, photo, "-o", out, "--format", fmt)
        assert result.exit_code == 0, result.output
        assert sorted(p.name for p in out.iterdir()) == sorted([expected, photo.stem + ".png"])
        assert len(_frames(out / expected)) == 4


def test_network_every_second_frame_halves_the_network_and_keeps_every_frame(clips, tmp_path):
    """Issue 31: frames between network runs follow the previous colors along the flow; a
    scene cut always gets the network."""
    from kcolor import Colorizer

    colorizer = Colorizer.load()
    calls = []
    real = colorizer.predict_small
    colorizer.predict_small = lambda *args, **kwargs: calls.append(1) or real(*args, **kwargs)
    out = tmp_path / "every2.mp4"
    info = colorizer.colorize_video(clips["bikes"], out, network_every=2)
    assert info["frames"] == FRAMES and len(_frames(out)) == FRAMES
    # Every other frame, plus any cut that fell between them.
    assert FRAMES // 2 <= len(calls) <= FRAMES // 2 + info["scene_cuts"]
    frames = np.stack(_frames(out)).astype(np.int16)
    assert np.abs(frames[..., 0] - frames[..., 2]).mean() > 1.0  # colored, not gray
    result = _colorize(clips["rotated"], "-o", tmp_path / "cli", "--network-every", "3")
    assert result.exit_code == 0, result.output


def test_a_scene_cut_always_asks_for_the_network():
    from kcolor.inference.temporal import TemporalFilter

    smoother = TemporalFilter("flow")
    dark = np.full((24, 32), 20.0, np.float32)
    bright = np.full((24, 32), 80.0, np.float32)
    assert smoother.needs_prediction(dark)  # the first frame
    smoother(dark, np.zeros((24, 32, 2), np.float32))
    assert not smoother.needs_prediction(dark + 1.0)
    assert smoother.needs_prediction(bright)  # a cut
    assert TemporalFilter("off").needs_prediction(dark)
    moved = smoother(dark + 1.0)  # a skipped frame: the previous colors, moved
    assert moved.shape == (24, 32, 2)
