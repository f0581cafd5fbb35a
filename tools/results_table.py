"""Print `kcolor evaluate --json` files as Markdown tables for docs/results.md.

Usage (from the repo root):
    python tools/results_table.py docs/results/coco-standard.json [--names runs/x=x ...]

One table per protocol, data and image size: files that share them (evaluations of different
models on the same images) are merged into one table, a row per model (mean +- std per metric),
then the ground truth's colorfulness when a file has it. Metrics missing from a file (FID
offline) print as "n/a", never as a number.
"""

import argparse
import json

ORDER = ("mse", "psnr", "ssim", "fid", "colorfulness", "auc", "cast")
DIGITS = {"mse": 5, "psnr": 2, "ssim": 4, "fid": 1, "colorfulness": 1, "auc": 4, "cast": 2}


def markdown_table(report, names=None, mse_digits=None):
    """Markdown for one evaluate report; `names` maps model specs to display names."""
    names = names or {}
    rows = report["results"] + ([report["reference"]] if report.get("reference") else [])
    metrics = [m for m in ORDER if any(m in row["metrics"] for row in rows)]
    if "fid" not in metrics:
        metrics.insert(metrics.index("ssim") + 1 if "ssim" in metrics else len(metrics), "fid")
    lines = ["| model | " + " | ".join(metrics) + " |", "|---" * (len(metrics) + 1) + "|"]
    for row in rows:
        cells = [_cell(row["metrics"].get(m), m, mse_digits) for m in metrics]
        lines.append(f"| {names.get(row['model'], row['model'])} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(
        f"{report['n_images']} images of `{report['data']}` at {report['image_size']} px, "
        f"protocol `{report['protocol']}`; mean +- std over images."
    )
    return "\n".join(lines)


def merge_reports(reports):
    """Reports grouped by (protocol, data, image size, image count), results concatenated."""
    merged = {}
    for report in reports:
        key = (report["protocol"], report["data"], report["image_size"], report["n_images"])
        if key not in merged:
            merged[key] = {**report, "results": []}
        seen = {row["model"] for row in merged[key]["results"]}
        merged[key]["results"] += [row for row in report["results"] if row["model"] not in seen]
        merged[key]["reference"] = merged[key].get("reference") or report.get("reference")
    return list(merged.values())


def _cell(value, metric, mse_digits):
    if value is None:
        return "n/a"
    digits = mse_digits if metric == "mse" and mse_digits is not None else DIGITS[metric]
    text = f"{value['mean']:.{digits}f}"
    if value.get("std") is not None:
        text += f" +- {value['std']:.{digits}f}"
    return text


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reports", nargs="+", help="kcolor evaluate --json files")
    parser.add_argument("--names", nargs="*", default=[], help="SPEC=NAME display names")
    args = parser.parse_args()
    names = dict(item.split("=", 1) for item in args.names)
    reports = []
    for path in args.reports:
        with open(path) as f:
            reports.append(json.load(f))
    for report in merge_reports(reports):
        mse_digits = 5 if report["protocol"] == "seed" else 1
        print(markdown_table(report, names, mse_digits))
        print()


if __name__ == "__main__":
    main()
