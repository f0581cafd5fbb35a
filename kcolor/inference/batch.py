"""Plan and run a batch of colorizations: inputs to outputs, existing files, per-file errors."""

import errno
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from tqdm.auto import tqdm

from kcolor.image_io import ImageDecodeError, is_image_path

COMPARE_SUFFIX = "-compare"


class Job(NamedTuple):
    """One photo to colorize: where the colorized photo goes, and the side-by-side comparison
    (gray | colorized) beside it with `--compare` (else None). The format of each output
    follows its file name's extension."""

    source: Path
    destination: Path
    side_by_side: Path | None = None


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
    """One input file and an `-o` with an image extension: write that file, not a folder."""
    return len(inputs) == 1 and Path(inputs[0]).is_file() and is_image_path(out)


def side_by_side_path(destination):
    """`photo.png` -> `photo-compare.png`: the comparison never replaces the colorized photo."""
    return destination.with_name(f"{destination.stem}{COMPARE_SUFFIX}{destination.suffix}")


def plan_outputs(inputs, out, recursive, out_format, compare=False):
    """Pair each input photo with its output paths.

    Files map to `OUT/name`; folders map their photos to `OUT/folder_name/relative_path`
    (subfolders only with `recursive`; never the output folder itself when it lies inside an
    input folder). The suffix follows `out_format` ("same" keeps each input's). One input file
    with an `out` that has an image extension is written to `out` itself, in that format.
    With `compare`, a side-by-side `-compare` image is written beside each colorized photo.

    Returns:
        Plan.
    """
    out = Path(out)
    plan = Plan()
    if is_output_file(out, inputs):
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
        if out_format != "same":
            pairs = [(source, dest.with_suffix(f".{out_format}")) for source, dest in pairs]
    sources = {p.resolve() for p, _ in pairs}
    seen = set()
    for source, destination in pairs:
        job = Job(source, destination, side_by_side_path(destination) if compare else None)
        outputs = [path for path in job[1:] if path is not None]
        resolved = [path.resolve() for path in outputs]
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


def _folder_pairs(folder, out, recursive, plan):
    out_resolved = out.resolve()
    inside_out = []

    def photos(pattern):
        found = []
        for p in sorted(folder.glob(pattern)):
            if not p.is_file() or not is_image_path(p):
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


def colorize_paths(colorizer, jobs, overwrite=False):
    """Colorize every job; bad files are reported on stderr, one line each, and skipped.

    A job whose outputs all exist is skipped unless `overwrite`; one with an output missing
    writes just that one. A full disk stops the batch (every later photo would fail the same
    way).

    Returns:
        dict of counts `written`, `skipped`, `failed`, and `interrupted` (Ctrl-C: the photo
        being written is dropped whole, the ones before it are kept).
    """
    from kcolor.inference import colorizer as colorizer_module

    summary = {"written": 0, "skipped": 0, "failed": 0, "interrupted": False}
    bar = tqdm(jobs, unit="photo", desc="colorizing", disable=None)  # None: off unless a tty
    try:
        for job in bar:
            wanted = [path for path in job[1:] if path is not None]
            if not overwrite:
                wanted = [path for path in wanted if not path.exists()]
            if not wanted:
                summary["skipped"] += 1
                continue
            try:
                job.destination.parent.mkdir(parents=True, exist_ok=True)
                colorizer_module.colorize_file(
                    colorizer,
                    job.source,
                    job.destination if job.destination in wanted else None,
                    side_by_side=job.side_by_side if job.side_by_side in wanted else None,
                )
                summary["written"] += 1
            except ImageDecodeError as err:
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


def _report(message):
    """One line on stderr, above the progress bar instead of glued to it."""
    import sys

    tqdm.write(message, file=sys.stderr)
