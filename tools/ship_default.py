"""Release a trained generator as kcolor's default model.

Usage (from the repo root):
    python tools/ship_default.py GENERATOR.keras --calibration-data ../shared/data/coco_train2017 \
        --eval-data ../shared/data/coco_val2017 --budget "..." [--notes "..."]

Writes savedmodels/default (SavedModel), tflite/default-{fp32,fp16,int8}.tflite, the sha256
manifest kcolor/shipped.json (what `Colorizer.load("default")` verifies), SHA256SUMS files and a
MODEL_CARD.md in both folders, with parity and evaluation numbers measured here.
"""

import argparse
import json
import os
import shutil
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = Path(__file__).resolve().parents[1]
# Licence notes of each shared training set (from its SOURCE.md), for the model card.
SET_LICENCES = {
    "imagenet_sample_1000": "ImageNet ILSVRC-2012 sample, one image per class: ImageNet terms "
    "of access, non-commercial research and educational use only.",
    "ade20k_val": "ADE20K / MIT Scene Parsing validation images: non-commercial research use; "
    "the photos remain their owners' (SUN and Places).",
    "coco_train2017": "MS COCO 2017 sample: each image is a Flickr photo under its own Creative "
    "Commons licence (several NonCommercial and/or NoDerivatives); COCO Terms of Use.",
    "bsds500": "Berkeley Segmentation Data Set 500: distributed by UC Berkeley for research "
    "(Corel photos), no open licence.",
    "intel_scenes": "Intel Image Classification (outdoor scenes): no licence stated, published "
    "by Intel for a public challenge: research use only.",
    "sports100": "100 Sports Image Classification (Kaggle lists CC0; photos collected from the "
    "web) plus sports photos of unknown origin: research use only.",
    "pets": "Asirra / Kaggle cats-vs-dogs and breed sets: research use only.",
}
DEFAULT_SETS = ("imagenet_sample_1000", "ade20k_val", "coco_train2017", "bsds500")


def training_data_text(sets):
    """The model card's training-data section for the shared sets in `sets`."""
    lines = [f"- {name} ({SET_LICENCES[name]})" for name in sets]
    return "\n".join(lines) + (
        "\n\nGrayscale photos (flagged in ../shared/data/manifest.csv) were excluded. Because "
        "of these terms, the weights are for research and personal use; check them before any "
        "commercial use."
    )


def budget_text(spent, weights):
    """The model card's budget figures: what the released weights were trained on, and what
    the runs of their lineage spent in all (epochs not kept included)."""
    from kcolor.training.budget import describe

    if not spent:
        return ""
    if not weights:
        return f"; in all {describe(spent)}, epochs not kept included"
    return (
        f"; the released weights were trained on {describe(weights)}; the runs of their "
        f"lineage spent {describe(spent)} in all, epochs not kept included"
    )


def encoder_fine_tuned(run_dir):
    """Whether any run in the lineage of `run_dir` (its config.yaml, then the run folder its
    init_generator names, and so on) trained the ImageNet encoder (`train_semantic_encoder`):
    a release rebuilt at another temperature no longer carries the layer's trainable flag."""
    from kcolor.training.config import read_yaml
    from kcolor.training.run_folder import folder_of

    folder, seen = Path(run_dir), set()
    while (folder / "config.yaml").is_file() and folder not in seen:
        seen.add(folder)
        config = read_yaml(folder / "config.yaml")
        if config.get("train_semantic_encoder"):
            return True
        if not config.get("init_generator"):
            break
        folder = folder_of(config["init_generator"])
    return False


def _head_text(config, encoder_tuned=False):
    """How the generator's output is made, for the model card."""
    if config.get("head") == "classification":
        text = (
            f"a color-class head (262 ab bins, at 1/{config.get('head_stride', 1)} size) "
            f"decoded by the annealed mean at T {config.get('temperature')}"
        )
    else:
        text = "a tanh output"
    if config.get("semantic"):
        encoder = "an ImageNet MobileNet-0.25 fine-tuned in training"
        if not encoder_tuned:
            encoder = "a frozen ImageNet MobileNet-0.25"
        text += f", and {encoder} fused at the bottleneck"
    return text


def _guided_text():
    return """
- Guided (docs/guided.md): every file also has the signatures `colorize_guided` (inputs
  `lightness`, `hint_ab` in Lab units, `hint_mask`, `palette` [1, 263]; output `ab`) and
  `suggest` (the same inputs; output `probabilities`, the class head's distribution at 1/2
  size). `colorize`, the first signature, runs without the guidance paths: without points or
  palette the colors are the automatic model's."""


def _guided_parity(parity):
    """The card's parity with points and palettes ("" for an automatic model)."""
    guided = [
        f"{v} {parity[v + ' guided']:.1f} dB"
        for v in ("fp32", "fp16", "int8")
        if v + " guided" in parity
    ]
    return "; with simulated points and palettes: " + ", ".join(guided) if guided else ""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("generator", help=".keras generator or run folder")
    parser.add_argument("--calibration-data", required=True)
    parser.add_argument("--eval-data", required=True)
    parser.add_argument("--budget", required=True, help="training budget, for the model card")
    parser.add_argument(
        "--budget-from",
        metavar="RUN",
        help="a run folder whose budget.json (cumulative crops, CPU hours, GPU minutes) is "
        "stated in the model card and recorded in kcolor/shipped.json, with what the released "
        "weights themselves were trained on (the kept epochs of their lineage)",
    )
    parser.add_argument(
        "--budget-epoch",
        type=int,
        metavar="N",
        help="with --budget-from: the released weights are the run's epoch N checkpoint, so "
        "count its start and its first N epochs, not the whole run",
    )
    parser.add_argument("--notes", default="", help="known limitations, for the model card")
    parser.add_argument(
        "--training-sets",
        nargs="+",
        default=list(DEFAULT_SETS),
        choices=sorted(SET_LICENCES),
        help="shared sets the generator was trained on, for the model card's licences",
    )
    args = parser.parse_args()
    if args.budget_epoch and not args.budget_from:
        parser.error("--budget-epoch needs --budget-from RUN")

    from kcolor.evaluation.protocols import evaluate, format_table
    from kcolor.inference.export import (
        export_savedmodel,
        export_tflite,
        load_generator,
        parity_psnr,
        variable_order,
    )
    from kcolor.models.costs import model_costs
    from kcolor.models.shipped_generator import config_for_manifest
    from kcolor.shipped import file_sha256, tree_sha256
    from kcolor.training.budget import (
        add_budgets,
        budget_through_epoch,
        read_budget,
        weights_budget,
    )
    from kcolor.training.run_folder import folder_of

    generator = load_generator(args.generator)
    guided = bool(getattr(generator, "guided", False))
    saved = REPO / "savedmodels" / "default"
    shutil.rmtree(saved, ignore_errors=True)
    export_savedmodel(generator, saved)
    manifest = {
        "default": {"savedmodel": {"folder": "default", "sha256": tree_sha256(saved)}, "tflite": {}}
    }
    # What `--init-generator default` needs to rebuild the generator and count its budget.
    manifest["default"]["generator"] = config_for_manifest(generator)
    manifest["default"]["generator_weights"] = {"variable_order": variable_order(generator, saved)}
    budget = weights = None
    if args.budget_from:
        record = read_budget(args.budget_from)
        if args.budget_epoch:
            budget = budget_through_epoch(record, args.budget_epoch)
            epoch_file = f"checkpoints/epoch-{args.budget_epoch:03d}.weights.h5"
            weights = weights_budget(Path(args.budget_from) / epoch_file)
        else:
            budget = add_budgets(record["cumulative"])
            weights = weights_budget(args.budget_from)
        manifest["default"]["budget"] = budget
        if weights:
            manifest["default"]["weights_budget"] = weights
    parity = {}
    for variant, quantize in (("fp32", "none"), ("fp16", "fp16"), ("int8", "int8")):
        path = REPO / "tflite" / f"default-{variant}.tflite"
        export_tflite(generator, path, quantize=quantize, calibration_data=args.calibration_data)
        manifest["default"]["tflite"][variant] = {"file": path.name, "sha256": file_sha256(path)}
        parity[variant] = parity_psnr(generator, path, args.eval_data, limit=16)
        if guided:
            parity[f"{variant} guided"] = parity_psnr(
                generator, path, args.eval_data, limit=16, guided=True
            )
    (REPO / "kcolor" / "shipped.json").write_text(json.dumps(manifest, indent=2) + "\n")

    standard = evaluate(
        ["gray", os.path.relpath(saved)],
        args.eval_data,
        metric_names=["mse", "psnr", "ssim", "colorfulness"],
        progress=False,
    )
    seed = evaluate(
        ["gray", os.path.relpath(saved)],
        args.eval_data,
        protocol="seed",
        metric_names=["mse", "psnr", "ssim"],
        progress=False,
    )
    costs = model_costs(generator)
    config = generator.get_config()
    tuned = encoder_fine_tuned(folder_of(args.budget_from or args.generator))
    sizes = {
        f"default-{v}.tflite": (REPO / "tflite" / f"default-{v}.tflite").stat().st_size
        for v in ("fp32", "fp16", "int8")
    }
    guided_parity = _guided_parity(parity)
    card = f"""# kcolor default model: model card

- Architecture: `{type(generator).__name__}` (filters {tuple(config.get("filters", ()))},
  {config.get("conv", "")} 3x3 convolutions, {config.get("norm", "")} norm), a U-Net from
  normalized L to normalized ab with {_head_text(config, tuned)}; {costs["params"]:,} parameters,
  {costs["macs"] / 1e9:.2f} G multiply-adds per 256x256 image.
- Files: `savedmodels/default` (SavedModel, signature `colorize`: L in [0, 100],
  float32 [1, 256, 256, 1] -> ab in Lab units), `tflite/default-fp32.tflite`
  ({sizes["default-fp32.tflite"] / 1e6:.1f} MB), `default-fp16.tflite`
  ({sizes["default-fp16.tflite"] / 1e6:.1f} MB), `default-int8.tflite`
  ({sizes["default-int8.tflite"] / 1e6:.1f} MB, full integer, calibrated on
  {args.calibration_data}). sha256 in SHA256SUMS and kcolor/shipped.json; kcolor refuses a
  file that does not match.{_guided_text() if guided else ""}
- Training budget: {args.budget}{budget_text(budget, weights)}

## Training data

{training_data_text(args.training_sets)}

## Evaluation ({args.eval_data}, 256 px center crops, grayscale photos skipped)

Standard protocol (docs/evaluation.md):

```
{format_table(standard)}
```

The study's protocol (`--protocol seed`):

```
{format_table(seed)}
```

TFLite parity with the Keras model (final sRGB PSNR on {args.eval_data}, 16 photos): fp32
{parity["fp32"]:.1f} dB, fp16 {parity["fp16"]:.1f} dB, int8 {parity["int8"]:.1f} dB{guided_parity}.

## Known limitations

{args.notes or "-"}
"""
    for folder in ("savedmodels", "tflite"):
        (REPO / folder / "MODEL_CARD.md").write_text(card)
    sums = [
        f"{manifest['default']['tflite'][v]['sha256']}  default-{v}.tflite"
        for v in ("fp32", "fp16", "int8")
    ]
    (REPO / "tflite" / "SHA256SUMS").write_text("\n".join(sums) + "\n")
    (REPO / "savedmodels" / "SHA256SUMS").write_text(
        f"{manifest['default']['savedmodel']['sha256']}  default/ (kcolor.shipped.tree_sha256)\n"
    )
    print(card)


if __name__ == "__main__":
    main()
