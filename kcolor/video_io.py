"""Video files: recognizing them (by content, not only by name) and opening them with PyAV.

PyAV (`pip install 'kcolor[video]'`) ships FFmpeg in its wheels; it is imported only when a video
is actually read, and its absence is one line saying what to install.
"""

from pathlib import Path

from kcolor.image_io import ImageDecodeError

VIDEO_EXTENSIONS = (".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi")

# ISO-BMFF brands of still images (HEIC, AVIF): an `ftyp` box alone does not make a video.
_IMAGE_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"mif1", b"msf1", b"avif", b"avis"}


class VideoDecodeError(ImageDecodeError):
    """A file that is not a readable video (corrupt, truncated, no video stream); one line."""


def sniff_video(path):
    """Whether the file's first bytes are those of an MP4/MOV, Matroska/WebM or AVI container."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except OSError:
        return False
    if len(head) < 12:
        return False
    if head[4:8] == b"ftyp":
        return head[8:12] not in _IMAGE_BRANDS
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"):
        return True  # QuickTime files without an ftyp box
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return True  # EBML: Matroska and WebM
    return head[:4] == b"RIFF" and head[8:12] == b"AVI "


def is_video_path(path):
    """A video by its extension, or by its content when the name says nothing (`film.dat`)."""
    path = Path(path)
    if path.suffix.lower() in VIDEO_EXTENSIONS:
        return True
    return path.is_file() and sniff_video(path)


def import_av():
    """PyAV, or a one-line error saying how to get it."""
    try:
        import av
    except ImportError:
        raise ImportError(
            "colorizing video needs PyAV: pip install 'kcolor[video]' (or pip install av)"
        ) from None
    return av


def open_video(path):
    """Open `path` for reading; a file FFmpeg cannot read, or one without a video stream, is a
    VideoDecodeError naming it."""
    av = import_av()
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as err:
        raise VideoDecodeError(path, f"not a readable video ({error_reason(err)})") from None
    if not container.streams.video:
        container.close()
        raise VideoDecodeError(path, "no video stream")
    return container


def error_reason(err):
    """FFmpeg's own words for an error, without its errno number."""
    text = getattr(err, "strerror", None) or str(err)
    return text.splitlines()[0] if text else type(err).__name__
