"""Plan and run a batch of colorizations: inputs to outputs, existing files, per-file errors."""

import errno
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from kcolor.image_io import ImageDecodeError, is_image_path

COMPARE_SUFFIX = "-compare"


@dataclass
class Plan:
    """What a colorize run will do.

    Attributes:
        jobs: `[(source, destination)]`.
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


def plan_outputs(inputs, out, recursive, out_format, compare=False):
    """Pair each input photo with its output path.

    Files map to `OUT/name`; folders map their photos to `OUT/folder_name/relative_path`
    (subfolders only with `recursive`). The suffix follows `out_format` ("same" keeps it).
    One input file with an `out` that has an image extension is written to `out` itself.
    Side-by-side comparisons get a `-compare` suffix, so they never replace colorized photos.

    Returns:
        Plan.
    """
    out = Path(out)
    plan = Plan()
    if is_output_file(out, inputs):
        pairs = [(Path(inputs[0]), out)]
        out_format = "same-as-output"
    else:
        pairs = []
        for item in map(Path, inputs):
            if item.is_dir():
                pairs += _folder_pairs(item, out, recursive, plan)
            elif item.exists():
                pairs.append((item, out / item.name))
            else:
                plan.problems.append(f"{item}: no such file or folder")
    sources = {p.resolve() for p, _ in pairs}
    seen = set()
    for source, destination in pairs:
        if out_format not in ("same", "same-as-output"):
            destination = destination.with_suffix(f".{out_format}")
        if compare:
            destination = destination.with_name(
                f"{destination.stem}{COMPARE_SUFFIX}{destination.suffix}"
            )
        resolved = destination.resolve()
        if resolved in sources:
            plan.problems.append(
                f"{source}: its output {destination} would overwrite an input; "
                "choose another -o folder"
            )
        elif resolved in seen:
            plan.problems.append(f"{source}: another input already writes {destination}")
        else:
            seen.add(resolved)
            plan.jobs.append((source, destination))
    return plan


def _folder_pairs(folder, out, recursive, plan):
    def photos(pattern):
        return sorted(
            p
            for p in folder.glob(pattern)
            if p.is_file()
            and is_image_path(p)
            and not any(part.startswith(".") for part in p.relative_to(folder).parts)
        )

    files = photos("**/*" if recursive else "*")
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


def colorize_paths(colorizer, jobs, overwrite=False, compare=False, out_format="png"):
    """Colorize every job; bad files are reported on stderr, one line each, and skipped.

    A full disk stops the batch (every later photo would fail the same way).

    Returns:
        dict of counts `written`, `skipped`, `failed`, and `interrupted` (Ctrl-C: the photo
        being written is dropped whole, the ones before it are kept).
    """
    from kcolor.inference.colorizer import colorize_file

    summary = {"written": 0, "skipped": 0, "failed": 0, "interrupted": False}
    bar = tqdm(jobs, unit="photo", desc="colorizing", disable=None)  # None: off unless a tty
    try:
        for source, destination in bar:
            if destination.exists() and not overwrite:
                summary["skipped"] += 1
                continue
            fmt = (source if out_format == "same" else destination).suffix.lstrip(".").lower()
            fmt = {"tif": "tiff", "jpeg": "jpg"}.get(fmt, fmt)
            try:
                destination.parent.mkdir(parents=True, exist_ok=True)
                colorize_file(colorizer, source, destination, out_format=fmt, compare=compare)
                summary["written"] += 1
            except ImageDecodeError as err:
                summary["failed"] += 1
                _report(f"error: {err}")
            except (OSError, ValueError) as err:
                summary["failed"] += 1
                reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
                _report(f"error: {source}: {reason} (writing {destination})")
                if isinstance(err, OSError) and err.errno == errno.ENOSPC:
                    _report(f"error: no space left in {destination.parent}: stopping")
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
