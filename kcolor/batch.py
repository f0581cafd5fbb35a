"""Plan and run a batch of colorizations: inputs to outputs, existing files, per-file errors."""

from pathlib import Path

from tqdm.auto import tqdm

from kcolor.image_io import ImageDecodeError, is_image_path


def plan_outputs(inputs, out_dir, recursive, out_format):
    """Pair each input photo with its output path.

    Files map to `OUT/name`; folders map their photos to `OUT/folder_name/relative_path`
    (subfolders only with `recursive`). The suffix follows `out_format` ("same" keeps it).

    Returns:
        `(jobs, problems)`: `[(source, destination)]` and one-line messages for inputs that
        cannot be planned (e.g. an output that would overwrite an input).
    """
    out_dir = Path(out_dir)
    pairs = []
    for item in map(Path, inputs):
        if item.is_dir():
            pattern = "**/*" if recursive else "*"
            files = sorted(
                p
                for p in item.glob(pattern)
                if p.is_file()
                and is_image_path(p)
                and not any(part.startswith(".") for part in p.relative_to(item).parts)
            )
            if not files:
                raise ValueError(
                    f"{item}: no photos found"
                    + ("" if recursive else " (use --recursive for subfolders)")
                )
            pairs += [(f, out_dir / item.resolve().name / f.relative_to(item)) for f in files]
        else:
            pairs.append((item, out_dir / item.name))
    sources = {p.resolve() for p, _ in pairs}
    jobs, problems, seen = [], [], set()
    for source, destination in pairs:
        if out_format != "same":
            destination = destination.with_suffix(f".{out_format}")
        resolved = destination.resolve()
        if resolved in sources:
            problems.append(
                f"{source}: its output {destination} would overwrite an input; "
                "choose another -o folder"
            )
        elif resolved in seen:
            problems.append(f"{source}: another input already writes {destination}")
        else:
            seen.add(resolved)
            jobs.append((source, destination))
    return jobs, problems


def colorize_paths(colorizer, jobs, overwrite=False, compare=False, out_format="png", report=print):
    """Colorize every job; bad files are reported and skipped. Returns counts."""
    from kcolor.colorizer import colorize_file

    summary = {"written": 0, "skipped": 0, "failed": 0}
    for source, destination in tqdm(jobs, unit="photo", desc="colorizing"):
        if destination.exists() and not overwrite:
            summary["skipped"] += 1
            continue
        fmt = source.suffix.lstrip(".").lower() if out_format == "same" else out_format
        fmt = {"tif": "tiff", "jpeg": "jpg"}.get(fmt, fmt)
        try:
            destination.parent.mkdir(parents=True, exist_ok=True)
            colorize_file(colorizer, source, destination, out_format=fmt, compare=compare)
            summary["written"] += 1
        except (ImageDecodeError, OSError, ValueError) as err:
            summary["failed"] += 1
            report(f"error: {err}")
    return summary
