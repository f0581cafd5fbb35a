"""Video colorization speed: frames/s of `colorize_video` end to end, and where the time goes.

Each clip is made gray first (as a user's old film would be), then colorized with the shipped
model (fp32 .tflite in LiteRT) for each temporal setting; the best of `--repeats` runs is kept.
Stages are timed by wrapping the colorizer's steps: network (shrink, Lab, LiteRT), temporal
filter, full-resolution join; the rest is decoding, color conversion and encoding.

Usage:
    python bench/video_bench.py ../shared/video/bikes.mp4 ../shared/video/bigbuckbunny.mp4
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
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


def run_once(colorizer, gray, out, temporal):
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
        info = colorize_video(colorizer, gray, out, temporal=TimedFilter(temporal))
        total = time.perf_counter() - start
    finally:
        del colorizer.predict_small, colorizer.join
    return info["frames"], total, timer.seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("videos", nargs="+", type=Path)
    parser.add_argument("--settings", nargs="+", default=["off", "flow"])
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    import av
    from video_quality import make_gray

    from kcolor import Colorizer

    colorizer = Colorizer.load()
    print(f"cores: {os.cpu_count()}; model: shipped default, fp32 .tflite in LiteRT")
    with tempfile.TemporaryDirectory() as tmp:
        for video in args.videos:
            gray = make_gray(video, Path(tmp) / f"{video.stem}-gray.mp4")
            with av.open(str(gray)) as container:
                stream = container.streams.video[0]
                size = f"{stream.codec_context.width}x{stream.codec_context.height}"
            for temporal in args.settings:
                best = None
                for _ in range(args.repeats):
                    frames, total, stages = run_once(
                        colorizer, gray, Path(tmp) / f"out-{temporal}.mp4", temporal
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
