"""Plan and run a batch of colorizations: inputs to outputs, existing files, per-file errors."""

import errno
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from tqdm import tqdm  # not tqdm.auto: its notebook probe cost 40 ms of every start

from kcolor.image_io import ImageDecodeError, is_image_path
from kcolor.inference.hints_file import HintsFileError, sidecar_path
from kcolor.names import VIDEO_NETWORK_EVERY
from kcolor.video_io import VIDEO_EXTENSIONS, is_video_path

COMPARE_SUFFIX = "-compare"


class Job(NamedTuple):
    """One photo or video to colorize: where the colorized result goes, and the side-by-side
    comparison (gray | colorized) beside a photo with `--compare` (else None). The format of
    each output follows its file name's extension. `video` is decided once, when planning
    (finding a video by its content reads the file). `hints` is the photo's hints file: the
    one given, or its sidecar (`photo.hints.json` beside `photo.jpg`)."""

    source: Path
    destination: Path
    side_by_side: Path | None = None
    video: bool = False
    hints: Path | None = None

    @property
    def outputs(self):
        return [path for path in (self.destination, self.side_by_side) if path is not None]


@dataclass
class Plan:
    """What a colorize run will do.

    Attributes:
        jobs: `[Job]`.
        problems: one-line messages for inputs that cannot be colorized (missing, would
            overwrite an input, two inputs with one output); each counts as failed.
        notes: one-line remarks that are not errors (photos left in subfolders).
    """

    jobs: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    notes: list = field(default_factory=list)


def is_output_file(out, inputs):
    """One input file and an `-o` with an image (or, for a video, a video) extension: write
    that file, not a folder."""
    if len(inputs) != 1 or not Path(inputs[0]).is_file():
        return False
    if is_video_path(inputs[0]):
        return Path(out).suffix.lower() in VIDEO_EXTENSIONS
    return is_image_path(out)


def side_by_side_path(destination):
    """`photo.png` -> `photo-compare.png`: the comparison never replaces the colorized photo."""
    return destination.with_name(f"{destination.stem}{COMPARE_SUFFIX}{destination.suffix}")


def plan_outputs(inputs, out, recursive, out_format, compare=False, hints=None, sidecars=True):
    """Pair each input photo with its output paths.

    Files map to `OUT/name`; folders map their photos to `OUT/folder_name/relative_path`
    (subfolders only with `recursive`; never the output folder itself when it lies inside an
    input folder). A photo's suffix follows `out_format` ("same" keeps each input's; "mp4"
    leaves photos as PNG); a video keeps its container unless `out_format` is "mp4". One
    input file with an `out` that has an image (video) extension is written to `out` itself,
    in that format. With `compare`, a side-by-side `-compare` image is written beside each
    colorized photo (not for videos). `hints` is the hints file of a single photo input; with
    `sidecars`, every other photo takes its `photo.hints.json` when there is one (a video's is
    refused: points have no place in a moving picture).

    Returns:
        Plan.
    """
    out = Path(out)
    plan = Plan()
    single_file = is_output_file(out, inputs)
    if single_file:
        pairs = [(Path(inputs[0]), out)]
    else:
        pairs = []
        for item in map(Path, inputs):
            if item.is_dir():
                pairs += _folder_pairs(item, out, recursive, plan)
            elif item.exists():
                pairs.append((item, out / item.name))
            else:
                plan.problems.append(f"{item}: no such file or folder")
    videos = {source: is_video_path(source) for source, _ in pairs}
    if not single_file:
        pairs = [(s, _output_name(d, out_format, videos[s])) for s, d in pairs]
    sources = {p.resolve() for p, _ in pairs}
    seen = set()
    for source, destination in pairs:
        video = videos[source]
        side = side_by_side_path(destination) if compare and not video else None
        job_hints = Path(hints) if hints is not None else None
        sidecar = sidecar_path(source)
        if job_hints is None and sidecars and sidecar.is_file():
            if video:
                plan.notes.append(
                    f"{sidecar}: ignored: color points do not apply to a video (a --reference "
                    "photo does)"
                )
            else:
                job_hints = sidecar
        job = Job(source, destination, side, video, job_hints)
        resolved = [path.resolve() for path in job.outputs]
        if any(path in sources for path in resolved):
            plan.problems.append(
                f"{source}: its output {destination} would overwrite an input; "
                "choose another -o folder"
            )
        elif any(path in seen for path in resolved):
            plan.problems.append(f"{source}: another input already writes {destination}")
        else:
            seen.update(resolved)
            plan.jobs.append(job)
    return plan


def _output_name(destination, out_format, video):
    """The output's suffix: photos follow `out_format`, videos keep theirs unless "mp4"."""
    if video:
        if out_format == "mp4" or destination.suffix.lower() not in VIDEO_EXTENSIONS:
            return destination.with_suffix(".mp4")  # a video found by content (film.dat)
        return destination
    if out_format == "same":
        return destination
    return destination.with_suffix(".png" if out_format == "mp4" else f".{out_format}")


def _folder_pairs(folder, out, recursive, plan):
    out_resolved = out.resolve()
    inside_out = []

    def photos(pattern):
        found = []
        for p in sorted(folder.glob(pattern)):
            if not p.is_file() or not (is_image_path(p) or p.suffix.lower() in VIDEO_EXTENSIONS):
                continue
            if any(part.startswith(".") for part in p.relative_to(folder).parts):
                continue
            if out_resolved in p.resolve().parents:  # an earlier run's output, not an input
                inside_out.append(p)
                continue
            found.append(p)
        return found

    files = photos("**/*" if recursive else "*")
    if inside_out:
        plan.notes.append(f"{folder}: the output folder {out} inside it is left out")
    if not recursive:
        deeper = len(photos("**/*")) - len(files)
        if deeper:
            plan.notes.append(
                f"{folder}: {deeper} photo(s) in subfolders left out (use --recursive)"
            )
    if not files:
        plan.problems.append(f"{folder}: no photos found")
        return []
    return [(f, out / folder.resolve().name / f.relative_to(folder)) for f in files]


def colorize_paths(
    colorizer,
    jobs,
    overwrite=False,
    temporal="flow",
    palette=None,
    network_every=VIDEO_NETWORK_EVERY,
):
    """Colorize every job; bad files are reported on stderr, one line each, and skipped.

    A job whose outputs all exist is skipped unless `overwrite`; one with an output missing
    writes just that one. Videos are colorized frame by frame with the `temporal` filter and a
    progress bar of their own. A full disk stops the batch (every later photo would fail the
    same way). Each photo's hints file is checked before its outputs are written; `palette` (a
    reference photo's) guides every photo and video.

    Returns:
        dict of counts `written`, `skipped`, `failed`, and `interrupted` (Ctrl-C: the photo
        being written is dropped whole, the ones before it are kept).
    """
    from kcolor.inference import colorizer as colorizer_module

    summary = {"written": 0, "skipped": 0, "failed": 0, "interrupted": False}
    bar = _batch_bar(jobs)
    try:
        for job in bar:
            wanted = job.outputs
            if not overwrite:
                wanted = [path for path in wanted if not path.exists()]
            if not wanted:
                summary["skipped"] += 1
                continue
            try:
                job.destination.parent.mkdir(parents=True, exist_ok=True)
                if job.video:
                    _colorize_video_job(colorizer, job, temporal, palette, network_every)
                    summary["written"] += 1
                    continue
                colorizer_module.colorize_file(
                    colorizer,
                    job.source,
                    job.destination if job.destination in wanted else None,
                    side_by_side=job.side_by_side if job.side_by_side in wanted else None,
                    hints=job.hints,
                    palette=palette,
                )
                summary["written"] += 1
            except (ImageDecodeError, HintsFileError) as err:
                summary["failed"] += 1
                _report(f"error: {err}")
            except (OSError, ValueError) as err:
                summary["failed"] += 1
                reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
                _report(f"error: {job.source}: {reason} (writing {job.destination})")
                if isinstance(err, OSError) and err.errno == errno.ENOSPC:
                    _report(f"error: no space left in {job.destination.parent}: stopping")
                    break
    except KeyboardInterrupt:
        summary["interrupted"] = True
    finally:
        bar.close()
    return summary


def _batch_bar(jobs):
    """The batch's bar, counted in what it holds (photos, videos, or files when mixed), on a
    terminal only; none for a single input (a film has its own frames bar: an outer "0/1
    photo/s" beside it only confused)."""
    jobs = list(jobs)
    videos = sum(1 for job in jobs if job.video)
    unit = "photo" if not videos else "video" if videos == len(jobs) else "file"
    disable = True if len(jobs) < 2 else None  # None: off unless stderr is a terminal
    return tqdm(jobs, unit=unit, desc="colorizing", disable=disable)


def _colorize_video_job(colorizer, job, temporal, palette, network_every):
    """One video, with a frames / fps / ETA bar (on a terminal)."""
    from kcolor.inference.video import colorize_video

    bar = tqdm(unit="frame", desc=job.source.name, disable=None, leave=False)

    def progress(done, total):
        if total and bar.total != total:
            bar.total = total
        bar.update(done - bar.n)

    try:
        colorize_video(
            colorizer,
            job.source,
            job.destination,
            temporal=temporal,
            progress=progress,
            palette=palette,
            network_every=network_every,
        )
    finally:
        bar.close()


def _report(message):
    """One line on stderr, above the progress bar instead of glued to it."""
    import sys

    tqdm.write(message, file=sys.stderr)
