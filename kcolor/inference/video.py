"""Colorize a video file: frames streamed through the Colorizer, audio and metadata kept.

Each frame is colorized as a photo is (the network sees a small copy; its colors are joined with
the frame's full-resolution lightness), with a temporal filter on the small ab map between the
two (`kcolor.inference.temporal`). Two stages overlap on the cores, joined by a bounded queue
(`PIPELINE_DEPTH` frames), so memory does not grow with the film's length: a reader thread
decodes, runs the network and the filter (FFmpeg, LiteRT and OpenCV release the GIL); the
calling thread joins at full resolution, encodes and writes, in the input's order. The output
has the input's size, frame rate, timestamps and frame count; audio packets are copied
unchanged (no re-encoding); the video is re-encoded (H.264, VP9 for WebM) at a high quality.
The file is written under a temporary name and renamed, so an interrupted run leaves no
partial file.
"""

import contextlib
import queue
import threading
from pathlib import Path

from kcolor.fileio import atomic_path
from kcolor.inference.temporal import TemporalFilter
from kcolor.names import VIDEO_NETWORK_EVERY
from kcolor.video_io import VideoDecodeError, error_reason, import_av, open_video

# Encoder per output container: H.264 where the container holds it, VP9 for WebM.
_CODECS = {".webm": "libvpx-vp9"}
_DEFAULT_CODEC = "libx264"
_QUALITY = {"libx264": {"crf": "16", "preset": "veryfast"}, "libvpx-vp9": {"crf": "24", "b": "0"}}
_KEPT_METADATA = ("language", "title", "creation_time", "handler_name")
PIPELINE_DEPTH = 4  # frames between the two stages: enough to overlap, memory stays flat
_END = object()


def colorize_video(
    colorizer,
    source,
    destination,
    temporal="flow",
    progress=None,
    palette=None,
    network_every=VIDEO_NETWORK_EVERY,
):
    """Colorize the video `source` into `destination` (its extension picks the container).

    Args:
        colorizer: a `Colorizer`.
        temporal: "flow" (default), "blend" or "off" (`kcolor.inference.temporal`), or a
            `TemporalFilter` with its own settings.
        progress: called as `progress(frames_done, frames_total_or_None)` after each frame.
        palette: a reference photo's palette (`Colorizer.reference_palette`) for a guided
            model; a palette has no positions, so it fits every frame (points do not).
        network_every: run the network on every Nth frame only; the frames between take the
            previous colors moved along the motion (the temporal filter's flow), and a scene
            cut always gets the network. 1: every frame. Ignored with temporal "off" (every
            frame then gets the network).

    Returns:
        dict: `frames`, `scene_cuts`, `seconds` of video.

    Raises:
        VideoDecodeError: unreadable, truncated or corrupt input (nothing is written).
    """
    av = import_av()
    smoother = temporal if isinstance(temporal, TemporalFilter) else TemporalFilter(temporal)
    destination = Path(destination)
    rotation = _display_rotation(source)
    with open_video(source) as reader:
        video_in = reader.streams.video[0]
        video_in.thread_type = "AUTO"
        audio_in = [s for s in reader.streams if s.type == "audio"]
        total = video_in.frames or None
        with atomic_path(destination, prefix=".tmp-", suffix="") as tmp:
            with av.open(str(tmp), "w", format=_container_format(destination)) as writer:
                video_out = _add_video_stream(writer, video_in, destination)
                if rotation:
                    video_out.set_display_rotation(rotation)
                audio_out = {s.index: writer.add_stream_from_template(s) for s in audio_in}
                frames = 0
                predicted = _predicted(
                    reader, video_in, audio_in, colorizer, smoother, palette, network_every
                )
                # closing(): whatever ends the loop (an error, Ctrl-C), the reader thread is
                # stopped and joined here, before the input is closed under it.
                try:
                    with contextlib.closing(predicted):
                        for item in predicted:
                            if item[0] == "audio":
                                item[1].stream = audio_out[item[1].stream.index]
                                writer.mux(item[1])
                                continue
                            _, frame, rgb, ab = item
                            colored = _finish_frame(av, colorizer, frame, rgb, ab)
                            writer.mux(video_out.encode(colored))
                            frames += 1
                            if progress:
                                progress(frames, total)
                    writer.mux(video_out.encode(None))
                except av.error.FFmpegError as err:
                    raise VideoDecodeError(source, f"cannot decode ({error_reason(err)})") from None
            if frames == 0:
                raise VideoDecodeError(source, "no video frames could be decoded")
    duration = float(frames / video_in.average_rate) if video_in.average_rate else None
    return {"frames": frames, "scene_cuts": smoother.cuts, "seconds": duration}


def _predicted(reader, video_in, audio_in, colorizer, smoother, palette, network_every):
    """The film's packets in demux order: ("audio", packet), or ("video", frame, rgb, ab) with
    the frame's filtered small ab. Produced by a reader thread, at most PIPELINE_DEPTH ahead; an
    error there (a damaged file, Ctrl-C in a test's stand-in) is raised here, in order."""
    items = queue.Queue(PIPELINE_DEPTH)
    stop = threading.Event()

    def put(item):
        while not stop.is_set():
            try:
                items.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read():
        index = 0
        try:
            for packet in reader.demux(video_in, *audio_in):
                if packet.stream.type == "audio":
                    # The demuxer's flush packet has no dts: nothing to copy.
                    if packet.dts is not None and not put(("audio", packet)):
                        return
                    continue
                for frame in packet.decode():
                    key = index % max(1, int(network_every)) == 0
                    rgb, ab = _predict_frame(colorizer, smoother, frame, palette, key)
                    index += 1
                    if not put(("video", frame, rgb, ab)):
                        return
            put((_END,))
        except BaseException as err:  # handed to the consumer, which raises it
            put(("error", err))

    thread = threading.Thread(target=read, name="kcolor-video-reader", daemon=True)
    thread.start()
    try:
        while True:
            item = items.get()
            if item[0] is _END:
                return
            if item[0] == "error":
                raise item[1]
            yield item
    finally:
        stop.set()
        thread.join()


def _predict_frame(colorizer, smoother, frame, palette=None, key=True):
    """A decoded frame's pixels and its small ab, filtered along the film (reader thread); a
    frame that is not `key` skips the network unless the filter needs it (a scene cut)."""
    rgb = frame.to_ndarray(format="rgb24")
    if not key:
        lightness = colorizer.small_lightness(rgb)
        if not smoother.needs_prediction(lightness):
            return rgb, smoother(lightness)
    lightness, ab = colorizer.predict_small(rgb, palette=palette)
    return rgb, smoother(lightness, ab)


def _finish_frame(av, colorizer, frame, rgb, ab):
    """The colorized frame at full resolution, with the input's timestamp (calling thread;
    one thread for the join: the reader has the other core)."""
    out = av.VideoFrame.from_ndarray(colorizer.join(rgb, ab, threads=1), format="rgb24")
    out.pts, out.time_base = frame.pts, frame.time_base
    return out


def _display_rotation(source):
    """The rotation a player applies (the display matrix, as degrees), read from the first
    frame; the output carries the same, so the colorized film shows upright as the input."""
    av = import_av()
    with open_video(source) as reader:
        try:
            for frame in reader.decode(video=0):
                return int(round(frame.rotation or 0))
        except av.error.FFmpegError:
            return 0  # the frame loop reports the damage, naming the file
    return 0


def _add_video_stream(writer, video_in, destination):
    codec = _CODECS.get(destination.suffix.lower(), _DEFAULT_CODEC)
    rate = video_in.average_rate or video_in.guessed_rate
    stream = writer.add_stream(codec, rate=rate, options=dict(_QUALITY.get(codec, {})))
    width, height = video_in.codec_context.width, video_in.codec_context.height
    stream.width, stream.height = width, height
    # 4:2:0 needs even sides; odd-sized videos keep full chroma instead.
    stream.pix_fmt = "yuv420p" if width % 2 == 0 and height % 2 == 0 else "yuv444p"
    stream.time_base = video_in.time_base
    for key in _KEPT_METADATA:
        if key in video_in.metadata:
            stream.metadata[key] = video_in.metadata[key]
    return stream


def _container_format(destination):
    """FFmpeg's muxer for the extension (m4v and mov are written as MP4-family files)."""
    suffix = destination.suffix.lower()
    return {".m4v": "mp4", ".mkv": "matroska", ".mov": "mov", ".webm": "webm"}.get(
        suffix, suffix.lstrip(".") or "mp4"
    )
