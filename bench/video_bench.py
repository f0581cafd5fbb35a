"""Video colorization speed: frames/s of `colorize_video` end to end, and where the time goes.

Each clip is made gray first (as a user's old film would be), then colorized with the shipped
model (fp32 .tflite in LiteRT) for each temporal setting; the best of `--repeats` runs is kept.
Stages are timed by wrapping the colorizer's steps: network (shrink, Lab, LiteRT), temporal
filter, full-resolution join; the rest is decoding, color conversion and encoding.

Usage:
    python bench/video_bench.py ../shared/video/bikes.mp4 ../shared/video/bigbuckbunny.mp4 \
        [--model tflite/default-int8.tflite] [--code-root OTHER_CHECKOUT]

Since the video path became two overlapping stages (kcolor.inference.video), the stage times
add up to more than the wall time: "rest" is then negative and means the overlap. `--code-root`
imports kcolor from another checkout (a `git worktree` of an older commit) to time it the same
way. `--scale WIDTHxHEIGHT` resizes the gray clip first (for 1080p figures from a 720p clip).
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "bench"))


class StageTimer:
    """Wraps methods to add up their wall-clock seconds."""

    def __init__(self):
        self.seconds = {}

    def wrap(self, name, function):
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start

        return timed


def run_once(colorizer, gray, out, temporal, network_every=1):
    from kcolor.inference.temporal import TemporalFilter
    from kcolor.inference.video import colorize_video

    timer = StageTimer()

    class TimedFilter(TemporalFilter):
        __call__ = timer.wrap("temporal", TemporalFilter.__call__)

    # Instance attributes shadow the methods for this run only.
    colorizer.predict_small = timer.wrap("network", colorizer.predict_small)
    colorizer.join = timer.wrap("join", colorizer.join)
    try:
        start = time.perf_counter()
        info = colorize_video(
            colorizer, gray, out, temporal=TimedFilter(temporal), network_every=network_every
        )
        total = time.perf_counter() - start
    finally:
        del colorizer.predict_small, colorizer.join
    return info["frames"], total, timer.seconds


def scaled(source, destination, size):
    """`source` resized to WIDTHxHEIGHT (bicubic), as a film scanned at that size would be."""
    import av
    from PIL import Image

    width, height = (int(v) for v in size.split("x"))
    with av.open(str(source)) as reader, av.open(str(destination), "w") as writer:
        video_in = reader.streams.video[0]
        out = writer.add_stream("libx264", rate=video_in.average_rate, options={"crf": "12"})
        out.width, out.height, out.pix_fmt = width, height, "yuv420p"
        out.time_base = video_in.time_base
        for frame in reader.decode(video_in):
            image = frame.to_image().resize((width, height), Image.BICUBIC)
            new = av.VideoFrame.from_image(image)
            new.pts, new.time_base = frame.pts, frame.time_base
            writer.mux(out.encode(new))
        writer.mux(out.encode(None))
    return destination


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("videos", nargs="+", type=Path)
    parser.add_argument("--settings", nargs="+", default=["off", "flow"])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--model", default="default", help="'default' or a .tflite file")
    parser.add_argument("--code-root", type=Path, default=REPO_ROOT)
    parser.add_argument("--scale", help="resize the gray clip to WIDTHxHEIGHT first")
    parser.add_argument("--network-every", type=int, default=1, help="1: every frame")
    args = parser.parse_args()

    import av
    from video_quality import make_gray  # (puts this checkout on sys.path)

    sys.path.insert(0, str(args.code_root.resolve()))  # ahead of it: kcolor comes from there

    from kcolor import Colorizer

    colorizer = Colorizer.load(args.model)
    import kcolor

    print(f"cores: {os.cpu_count()}; model: {args.model} (LiteRT); kcolor from {kcolor.__file__}")
    with tempfile.TemporaryDirectory() as tmp:
        for video in args.videos:
            gray = make_gray(video, Path(tmp) / f"{video.stem}-gray.mp4")
            if args.scale:
                gray = scaled(gray, Path(tmp) / f"{video.stem}-{args.scale}.mp4", args.scale)
            with av.open(str(gray)) as container:
                stream = container.streams.video[0]
                size = f"{stream.codec_context.width}x{stream.codec_context.height}"
            for temporal in args.settings:
                best = None
                for _ in range(args.repeats):
                    frames, total, stages = run_once(
                        colorizer,
                        gray,
                        Path(tmp) / f"out-{temporal}.mp4",
                        temporal,
                        args.network_every,
                    )
                    if best is None or total < best[1]:
                        best = (frames, total, stages)
                frames, total, stages = best
                rest = total - sum(stages.values())
                parts = ", ".join(
                    f"{name} {1000 * seconds / frames:.1f}"
                    for name, seconds in [*sorted(stages.items()), ("decode+encode+rest", rest)]
                )
                print(
                    f"{video.name} {size} --temporal {temporal}: {frames / total:.1f} frames/s "
                    f"({frames} frames in {total:.1f} s; ms per frame: {parts})",
                    flush=True,
                )


if __name__ == "__main__":
    main()
