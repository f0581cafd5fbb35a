"""Copy a color-class generator with another annealed-mean temperature (no training).

Usage (from the repo root):
    python tools/set_temperature.py runs/class/generator.keras 0.5 runs/class-t0.5.keras
    # a run's epoch checkpoint, into any generator of the same architecture (e.g. its start):
    python tools/set_temperature.py START.keras 0.4 OUT.keras \
        --weights RUN/checkpoints/epoch-011.weights.h5

The temperature trades vivid colors (low T, near the mode of the predicted distribution) for
fidelity (T = 1, its mean, closer to a regression's dull average). Choose it on a validation
split, never on the report sets.
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="a .keras generator with a classification head")
    parser.add_argument("temperature", type=float)
    parser.add_argument("out", help=".keras file to write")
    parser.add_argument(
        "--weights",
        help="a run's checkpoints/epoch-NNN.weights.h5 to load into the model first, so an "
        "epoch can be scored before (or instead of) the run's final generator",
    )
    args = parser.parse_args()
    from kcolor.fileio import atomic_path
    from kcolor.models.annealed_mean import with_temperature
    from kcolor.models.predictors import load_keras_model

    model = load_keras_model(args.model)
    if args.weights:
        model.load_weights(args.weights)
    copy = with_temperature(model, args.temperature)
    with atomic_path(args.out, prefix=".tmp-", suffix="") as tmp:
        copy.save(tmp)
    source = f", weights {args.weights}" if args.weights else ""
    print(f"wrote {args.out} (temperature {args.temperature}{source})")


if __name__ == "__main__":
    main()
