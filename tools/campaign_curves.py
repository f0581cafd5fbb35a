"""Plot a campaign's scored checkpoints against the crops its runs had spent to reach them.

Usage (from the repo root):
    python tools/campaign_curves.py $KCOLOR_RUNS/campaign/stage7-192-l1w20n5 \
        $KCOLOR_RUNS/campaign/stage8-192-l1w20n5 --data $KCOLOR_RUNS/lists/val-general.txt \
        --reference docs/results/v4-ship-valgeneral.json --name gray=gray \
        --name default="shipped default" -o docs/results/curves-campaign.png

Reads the scores of each RUN/eval/epochN-tT.keras (tools/score_checkpoints.py writes one JSON
per epoch) and places epoch N at the cumulative crops of RUN/budget.json after it (what the runs
before it spent, plus its first N epochs; kcolor.training.budget.weights_budget counts the
smaller figure the weights were trained on). Reference models (a `kcolor evaluate --json` file
of the same photos) are drawn as horizontal lines, only those named by --name.
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this clone's kcolor


def scored_epochs(run_dir, temperature, photos, image_size):
    """({epoch: (crops, metrics)}, {image counts}) of the run's epochs scored at `temperature`
    on the photo list named `photos` at `image_size`: the rows of RUN/eval's evaluate JSONs
    that scored the run's own RUN/eval/epochN-tT.keras copies (one JSON per epoch from
    tools/score_checkpoints.py, or a JSON of several models)."""
    from kcolor.training.budget import SCORED_COPY, budget_through_epoch, read_budget

    record = read_budget(run_dir)
    if record is None:
        raise SystemExit(f"{run_dir}: no budget.json (is it a kcolor run folder?)")
    points, sets = {}, set()
    for path in sorted((Path(run_dir) / "eval").glob("*.json")):
        report = json.loads(path.read_text(encoding="utf-8"))
        if Path(report.get("data", "")).name != photos or report.get("image_size") != image_size:
            continue
        for row in report.get("results", []):
            model = Path(row["model"])
            match = SCORED_COPY.match(model.name)
            if not match or model.parent.parent.name != Path(run_dir).name:
                continue
            if float(match.group(2)) != temperature:
                continue
            epoch = int(match.group(1))
            crops = budget_through_epoch(record, epoch)["crops"]
            points.setdefault(epoch, (crops, row["metrics"]))
            sets.add(report["n_images"])
    return points, sets


def at_colorfulness(points, level):
    """PSNR and cast of a run's checkpoints read at one colorfulness: the least-squares line
    through (colorfulness, metric) over its epochs, at `level`. Epochs swing along a line
    (more color, more cast, less PSNR), so runs compare fairly at one point of it."""
    import numpy as np

    color = np.array([metrics["colorfulness"]["mean"] for _, metrics in points]) - level
    read = {}
    for name in ("psnr", "cast"):
        values = np.array([metrics[name]["mean"] for _, metrics in points])
        slope, intercept = np.polyfit(color, values, 1)
        read[name] = (float(intercept), float(slope))
    return read


def reference_scores(json_path, names):
    """{label: metrics} of the models `names` ({model spec: label}) in an evaluate JSON."""
    report = json.loads(Path(json_path).read_text(encoding="utf-8"))
    by_model = {row["model"]: row["metrics"] for row in report["results"]}
    missing = sorted(set(names) - set(by_model))
    if missing:
        raise SystemExit(f"{json_path}: no model {', '.join(missing)} (it has {sorted(by_model)})")
    return {label: by_model[model] for model, label in names.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="run folders, in the campaign's order")
    parser.add_argument("--temperature", type=float, default=0.4)
    parser.add_argument(
        "--data", required=True, help="the validation list the checkpoints were scored on"
    )
    parser.add_argument("--image-size", type=int, default=256)
    parser.add_argument("--reference", help="kcolor evaluate --json file of the same photos")
    parser.add_argument(
        "--name",
        action="append",
        default=[],
        metavar="MODEL=LABEL",
        help="a model of --reference to draw, and its label (repeatable)",
    )
    parser.add_argument(
        "--at-colorfulness",
        type=float,
        default=25.0,
        help="also print each run's PSNR and cast read at this colorfulness (a line fitted "
        "through its epochs; the shipping rule's floor by default)",
    )
    parser.add_argument("-o", "--out", required=True, help="PNG to write")
    args = parser.parse_args()
    names = dict(item.split("=", 1) for item in args.name)
    if names and not args.reference:
        parser.error("--name needs --reference")
    from kcolor.evaluation.plots import png_bytes, scores_by_budget_figure
    from kcolor.fileio import atomic_write_bytes

    series, sets = {}, set()
    for run in args.runs:
        points, run_sets = scored_epochs(
            run, args.temperature, Path(args.data).name, args.image_size
        )
        if not points:
            raise SystemExit(f"{run}: no epoch scored at T {args.temperature:g}")
        series[run.name] = list(points.values())
        sets |= run_sets
    if len(sets) > 1:
        raise SystemExit(f"the scores count different numbers of photos: {sorted(sets)}")
    references = reference_scores(args.reference, names) if names else None
    atomic_write_bytes(args.out, png_bytes(scores_by_budget_figure(series, references)))
    print(f"wrote {args.out} ({sum(len(p) for p in series.values())} checkpoints)")
    for label, points in series.items():
        if len(points) < 3:
            continue
        read = at_colorfulness(points, args.at_colorfulness)
        print(
            f"{label}: {len(points)} epochs; at colorfulness {args.at_colorfulness:g}: "
            f"PSNR {read['psnr'][0]:.3f} dB ({read['psnr'][1]:+.3f} per point), "
            f"cast {read['cast'][0]:.3f} ({read['cast'][1]:+.3f} per point)"
        )


if __name__ == "__main__":
    main()
