"""Video colorization quality: per-frame PSNR and colorfulness, and the warping error (flicker),
for each temporal filter setting, on color clips made gray.

Clips: any color video (the shared bikes.mp4 and bigbuckbunny.mp4), or a clip made by panning
and zooming across a color photo (`--panzoom PHOTO`: 60 frames of 640x360 at 25 fps). Each clip
is made gray (Pillow's L), colorized with every setting, and scored against the color original
(kcolor.evaluation.video_metrics: DIS flow of the true frames, the truth's own warping error as
the floor).

Usage:
    python bench/video_quality.py ../shared/video/bikes.mp4 --panzoom PHOTO \\
        --settings off flow:0.8:6 blend:0.5 --json docs/results/video-quality.json
A setting is METHOD[:STRENGTH[:SIGMA_L]] (kcolor.inference.temporal).
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))


def make_panzoom(photo, destination, frames=60, size=(640, 360), fps=25):
    """A color clip that pans across `photo` and zooms in by 1.3x: known, smooth motion."""
    import av
    from PIL import Image

    image = Image.open(photo).convert("RGB")
    width, height = size
    scale = max(width * 1.4 / image.width, height * 1.4 / image.height)
    image = image.resize((round(image.width * scale), round(image.height * scale)), Image.LANCZOS)
    with av.open(str(destination), "w") as writer:
        stream = writer.add_stream("libx264", rate=fps, options={"crf": "10", "preset": "veryfast"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for index in range(frames):
            progress = index / max(1, frames - 1)
            zoom = 1.0 + 0.3 * progress
            box_w, box_h = image.width / 1.4 / zoom, image.height / 1.4 / zoom
            left = progress * (image.width - box_w)
            top = 0.5 * progress * (image.height - box_h)
            crop = image.resize(
                (width, height), Image.BILINEAR, box=(left, top, left + box_w, top + box_h)
            )
            writer.mux(stream.encode(av.VideoFrame.from_ndarray(np.asarray(crop), format="rgb24")))
        writer.mux(stream.encode(None))
    return destination


def make_gray(source, destination):
    """`source` with every frame made gray (Pillow's L), audio dropped."""
    import av
    from PIL import Image

    with av.open(str(source)) as reader, av.open(str(destination), "w") as writer:
        video_in = reader.streams.video[0]
        out = writer.add_stream("libx264", rate=video_in.average_rate, options={"crf": "10"})
        out.width, out.height = video_in.codec_context.width, video_in.codec_context.height
        out.pix_fmt, out.time_base = "yuv420p", video_in.time_base
        for frame in reader.decode(video_in):
            gray = Image.fromarray(frame.to_ndarray(format="rgb24")).convert("L").convert("RGB")
            new = av.VideoFrame.from_ndarray(np.asarray(gray), format="rgb24")
            new.pts, new.time_base = frame.pts, frame.time_base
            writer.mux(out.encode(new))
        writer.mux(out.encode(None))
    return destination


def parse_setting(text):
    method, *numbers = text.split(":")
    keys = ("strength", "sigma_l")
    return method, {key: float(value) for key, value in zip(keys, numbers, strict=False)}


def colorize_with(colorizer, source, destination, method, options, network_every=1):
    """`colorize_video` with a TemporalFilter of the given settings."""
    from kcolor.inference.temporal import TemporalFilter
    from kcolor.inference.video import colorize_video

    return colorize_video(
        colorizer,
        source,
        destination,
        temporal=TemporalFilter(method, **options),
        network_every=network_every,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("videos", nargs="*", type=Path, help="color videos")
    parser.add_argument("--panzoom", nargs="*", default=[], type=Path, help="color photos")
    parser.add_argument("--settings", nargs="+", default=["off", "flow"])
    parser.add_argument("--model", default="default")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument(
        "--network-every", type=int, default=1, help="run the network on every Nth frame"
    )
    args = parser.parse_args()

    from kcolor import Colorizer
    from kcolor.evaluation.video_metrics import score_video

    colorizer = Colorizer.load(args.model)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        clips = [(video.stem, video) for video in args.videos]
        clips += [
            (f"panzoom-{photo.stem}", make_panzoom(photo, tmp / f"panzoom-{photo.stem}.mp4"))
            for photo in args.panzoom
        ]
        for name, truth in clips:
            gray = make_gray(truth, tmp / f"{name}-gray.mp4")
            for setting in args.settings:
                method, options = parse_setting(setting)
                out = tmp / f"{name}-{setting.replace(':', '_')}.mp4"
                start = time.perf_counter()
                info = colorize_with(colorizer, gray, out, method, options, args.network_every)
                seconds = time.perf_counter() - start
                scores = score_video(out, truth)
                row = {"clip": name, "setting": setting, **scores, "scene_cuts": info["scene_cuts"]}
                row["network_every"] = args.network_every
                row["fps_with_scoring_load"] = info["frames"] / seconds
                results.append(row)
                print(
                    f"{name:24s} {setting:14s} PSNR {scores['psnr']:.2f}  colorfulness "
                    f"{scores['colorfulness']:.1f} (truth {scores['true_colorfulness']:.1f})  "
                    f"warping error {scores['warping_error']:.3f} (truth "
                    f"{scores['warping_error_truth']:.3f}, x"
                    f"{scores['warping_error'] / scores['warping_error_truth']:.2f})  "
                    f"cuts {info['scene_cuts']}",
                    flush=True,
                )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"model": args.model, "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
