"""The study's report figures with matplotlib: loss curves of runs, bar charts of evaluations,
PSNR against color points for hint sweeps."""

import csv
import io
import json
from pathlib import Path

from kcolor.fileio import atomic_write_bytes


def _figure():
    import matplotlib

    matplotlib.use("Agg")  # files only; never needs a display
    import matplotlib.pyplot as plt

    return plt


def _read_history(run_dir):
    path = Path(run_dir) / "history.csv"
    if not path.is_file():
        raise FileNotFoundError(f"{run_dir}: no history.csv (is it a kcolor run folder?)")
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def plot_histories(run_dirs, out_path):
    """Train (solid) and validation (dashed) ab error per epoch, one color per run.

    Runs with different losses (mse, l1, huber, GAN) have losses on different scales, so this
    plots the one quantity they all log: the mean absolute error of normalized ab (`ab_mae` of
    regression runs, the `l1` term of GAN runs); `loss` only for a history with neither.
    """
    _save(history_figure(run_dirs), out_path)


def history_figure(run_dirs):
    """The figure of `plot_histories`; every point has a marker, so a one-epoch run shows."""
    plt = _figure()
    fig, ax = plt.subplots(figsize=(8, 5))
    for index, run_dir in enumerate(run_dirs):
        rows = _read_history(run_dir)
        key = next((k for k in ("ab_mae", "l1", "loss") if k in rows[0]), None)
        if key is None:
            raise ValueError(f"{run_dir}: history.csv has no ab_mae, l1 or loss column")
        epochs = [int(row["epoch"]) for row in rows]
        colour = f"C{index % 10}"
        label = Path(run_dir).name
        values = [float(row[key]) for row in rows]
        ax.plot(epochs, values, color=colour, marker="o", label=f"{label} {key}")
        if f"val_{key}" in rows[0]:
            ax.plot(
                epochs,
                [float(row[f"val_{key}"]) for row in rows],
                color=colour,
                linestyle="--",
                marker="s",
                label=f"{label} val_{key}",
            )
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean |ab error| (normalized ab, x110 for Lab units)")
    ax.set_title("Training (solid) and validation (dashed) ab error")
    ax.legend(fontsize="small")
    return fig


# Zhang et al. 2017's released sweep, the mean of colorization-pytorch's
# resources/psnrs_siggraph.npy (their model, 1,000 ImageNet validation photos squashed to
# 256 x 256, 6x6-px points): a reference curve on other photos, not a score on ours.
ZHANG_2017_SWEEP = {
    0: 24.43, 1: 25.37, 2: 26.20, 3: 26.69, 4: 27.08, 5: 27.39, 6: 27.65, 8: 28.10,
    10: 28.42, 13: 28.79, 16: 29.04, 20: 29.34, 25: 29.60, 32: 29.91, 40: 30.17,
    50: 30.42, 63: 30.68, 79: 30.90, 100: 31.13,
}  # fmt: skip


def sweep_figure(json_paths):
    """PSNR against the number of color points, a line per model, from `kcolor evaluate
    --hints --json` files, with Zhang et al. 2017's published curve (dashed, ImageNet)."""
    plt = _figure()
    fig, ax = plt.subplots(figsize=(8, 5))
    index = 0
    for path in json_paths:
        report = json.loads(Path(path).read_text(encoding="utf-8"))
        if report.get("protocol") != "hint sweep":
            raise ValueError(f"{path}: not a hint sweep (kcolor evaluate --hints --json)")
        tag = f" ({Path(path).stem})" if len(json_paths) > 1 else ""
        models = dict.fromkeys(row["model"] for row in report["results"])
        for model in models:
            rows = [r for r in report["results"] if r["model"] == model and "psnr" in r["metrics"]]
            points = [r["points"] for r in rows]
            values = [r["metrics"]["psnr"]["mean"] for r in rows]
            ax.plot(points, values, marker="o", color=f"C{index % 10}", label=model + tag)
            index += 1
    reference = sorted(ZHANG_2017_SWEEP.items())
    ax.plot(
        [p for p, _ in reference],
        [v for _, v in reference],
        linestyle="--",
        color="gray",
        label="Zhang et al. 2017 (their model on ImageNet, not these photos)",
    )
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xlabel("color points per photo (6x6 px)")
    ax.set_ylabel("PSNR (dB, sRGB)")
    ax.set_title("What a few color points buy")
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def plot_metrics(json_paths, out_path):
    """One bar chart per metric, a bar per model, from `kcolor evaluate --json` files."""
    _save(metrics_figure(json_paths), out_path)


def metrics_figure(json_paths):
    """The figure of `plot_metrics`; hint sweeps get `sweep_figure` instead."""
    reports = [json.loads(Path(path).read_text(encoding="utf-8")) for path in json_paths]
    if any(report.get("protocol") == "hint sweep" for report in reports):
        return sweep_figure(json_paths)
    plt = _figure()
    entries = []
    for report in reports:
        tag = f" ({report['protocol']})" if len(json_paths) > 1 else ""
        entries += [(r["model"] + tag, r["metrics"]) for r in report["results"]]
    names = list(dict.fromkeys(name for _, m in entries for name in m))
    if not names:
        raise ValueError("the evaluation files hold no metrics")
    fig, axes = plt.subplots(1, len(names), figsize=(4 * len(names), 4), squeeze=False)
    for ax, name in zip(axes[0], names, strict=True):
        labels = [label for label, m in entries if name in m]
        values = [m[name]["mean"] for _, m in entries if name in m]
        errors = [m[name].get("std") or 0.0 for _, m in entries if name in m]
        ax.bar(
            range(len(values)),
            values,
            yerr=errors,
            color=[f"C{i % 10}" for i in range(len(values))],
        )
        ax.set_xticks(range(len(values)), labels, rotation=30, ha="right", fontsize="small")
        ax.set_title(name)
    fig.tight_layout()
    return fig


def scores_by_budget_figure(series, references=None, metrics=("psnr", "colorfulness", "cast")):
    """One panel per metric: each run's scored checkpoints (mean over images) against the
    cumulative crops its lineage's runs had spent, and reference models as horizontal lines.

    A campaign is judged by what its budget bought; its checkpoints swing from epoch to epoch,
    so a figure of all of them shows that spread beside any one chosen point. A reference far
    outside the checkpoints' range (gray's colorfulness of 0) is named in the legend with its
    value instead of a line, so it does not flatten the curves.

    Args:
        series: {label: [(crops, {metric: {"mean": ...}}), ...]}, one line per run.
        references: {label: {metric: {"mean": ...}}} (gray, the shipped default, ...).
    """
    plt = _figure()
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 4), squeeze=False)
    for ax, name in zip(axes[0], metrics, strict=True):
        values = []
        for index, (label, points) in enumerate(series.items()):
            points = sorted((p for p in points if name in p[1]), key=lambda p: p[0])
            ys = [scores[name]["mean"] for _, scores in points]
            values += ys
            ax.plot(
                [crops / 1000 for crops, _ in points],
                ys,
                color=f"C{index % 10}",
                marker="o",
                markersize=3,
                label=label,
            )
        low, high = min(values, default=0.0), max(values, default=0.0)
        margin = max(high - low, 1e-6)
        for index, (label, scores) in enumerate((references or {}).items()):
            if name not in scores:
                continue
            value = scores[name]["mean"]
            colour = f"C{(index + len(series)) % 10}"
            if low - margin <= value <= high + margin:
                ax.axhline(value, color=colour, linestyle="--", label=f"{label} {value:.2f}")
            else:
                ax.plot(
                    [], [], color=colour, linestyle=":", label=f"{label} {value:.2f} (off axis)"
                )
        ax.set_xlabel("crops the runs had spent (thousands, cumulative)")
        ax.set_title(name)
        ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def png_bytes(fig):
    """The figure as PNG bytes (the figure is closed)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    _figure().close(fig)
    return buffer.getvalue()


def _save(fig, out_path):
    atomic_write_bytes(out_path, png_bytes(fig))
