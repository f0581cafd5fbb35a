"""A before/after strip of video frames for the README: gray frames on top, colorized below.

Usage:
    python tools/video_strip.py GRAY.mp4 COLORIZED.mp4 -o docs/images/video-strip.jpg
"""

import argparse
from pathlib import Path

import numpy as np
from PIL import Image


def pick_frames(path, count):
    """`count` evenly spaced frames of the video (decoded in one pass, only those kept)."""
    import av

    with av.open(str(path)) as container:
        total = sum(1 for _ in container.decode(video=0))
    wanted = {round(i * (total - 1) / max(1, count - 1)) for i in range(count)}
    with av.open(str(path)) as container:
        return [
            frame.to_ndarray(format="rgb24")
            for index, frame in enumerate(container.decode(video=0))
            if index in wanted
        ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gray", type=Path)
    parser.add_argument("colorized", type=Path)
    parser.add_argument("-o", "--out", type=Path, required=True)
    parser.add_argument("--frames", type=int, default=4)
    parser.add_argument("--width", type=int, default=320, help="width of each frame in the strip")
    args = parser.parse_args()

    rows = []
    for path in (args.gray, args.colorized):
        frames = [Image.fromarray(f) for f in pick_frames(path, args.frames)]
        height = round(frames[0].height * args.width / frames[0].width)
        rows.append(
            np.hstack([np.asarray(f.resize((args.width, height), Image.LANCZOS)) for f in frames])
        )
    strip = Image.fromarray(np.vstack(rows))
    is_jpeg = args.out.suffix.lower() in (".jpg", ".jpeg")
    strip.save(args.out, **({"quality": 85} if is_jpeg else {}))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
