"""The hint sweep of "network plus propagation": a model's colors, then the difference between
each hint and the model's color there propagated by Levin et al. 2004 and added
(docs/guided.md, "Network plus propagation: tried, not kept").

Usage (from the repo root):
    python tools/propagation_mix.py MODEL [MODEL ...] --data ../shared/data/coco_val2017 \
        --limit 64 --json mix.json

Each MODEL is scored as itself and as "MODEL+levin"; `levin` and `gray` are scored beside.
"""

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # kcolor from this checkout


class PropagatedDifference:
    """`base`'s colors plus the hints' differences from them, propagated (Levin et al.)."""

    guided = True
    input_size = None

    def __init__(self, base):
        self.base = base
        self.name = f"{base.name}+levin"
        self.size_multiple = base.size_multiple

    def predict_ab(self, l_norm, guidance=None):
        from kcolor.color.lab_scale import L_CENTER, L_SCALE
        from kcolor.color.propagation import propagate_colors

        colors = self.base.predict_ab(l_norm, guidance)
        if guidance is None or not guidance.hint_mask.any():
            return colors
        lightness = (np.asarray(l_norm, np.float32)[..., 0] * L_SCALE + L_CENTER) / 100.0
        return np.stack(
            [
                own + propagate_colors(image, (hint - own) * mask, mask)
                for image, own, hint, mask in zip(
                    lightness, colors, guidance.hint_ab, guidance.hint_mask, strict=True
                )
            ]
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+")
    parser.add_argument("--data", required=True)
    parser.add_argument("--hints", default="0,1,10,100")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    from kcolor.evaluation import hint_sweep
    from kcolor.evaluation.protocols import load_predictors

    models = load_predictors(args.models)
    result = hint_sweep.hint_sweep(
        ["gray", "levin", *models, *(PropagatedDifference(model) for model in models)],
        args.data,
        counts=hint_sweep.parse_counts(args.hints),
        limit=args.limit,
    )
    print(hint_sweep.format_sweep_table(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
