"""Blend two generators of one architecture weight by weight (network interpolation).

Usage (from the repo root):
    python tools/interpolate_generators.py runs/default-l1 runs/default-gan --alpha 0.3 \
        -o runs/default-blend-0.3.keras

Why: a GAN fine-tune adds color but also wrong tints; its regression-trained start is dull but
safe. Because the fine-tune starts from the regression weights, the two sit close together and
every weight-wise blend theta = (1 - alpha) * theta_A + alpha * theta_B is a working generator
between them (ESRGAN's "network interpolation", Wang et al. 2018), so alpha trades color for
fidelity without any training. Measure the blend like any other model with `kcolor evaluate`.
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def interpolate(model_a, model_b, alpha):
    """A copy of `model_a` whose weights are (1 - alpha) * A + alpha * B."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    weights_a, weights_b = model_a.get_weights(), model_b.get_weights()
    shapes_a, shapes_b = [w.shape for w in weights_a], [w.shape for w in weights_b]
    if model_a.get_config() != model_b.get_config() or shapes_a != shapes_b:
        raise ValueError("the two generators must have the same architecture")
    blend = type(model_a).from_config(model_a.get_config())
    blend.set_weights(
        [(1.0 - alpha) * a + alpha * b for a, b in zip(weights_a, weights_b, strict=True)]
    )
    return blend


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_a", help="run folder or .keras (alpha 0)")
    parser.add_argument("model_b", help="run folder or .keras (alpha 1)")
    parser.add_argument("--alpha", type=float, required=True, help="weight of model_b, in [0, 1]")
    parser.add_argument("-o", "--out", required=True, help=".keras file to write")
    args = parser.parse_args()

    from kcolor.inference.export import load_generator

    blend = interpolate(load_generator(args.model_a), load_generator(args.model_b), args.alpha)
    blend.save(args.out)
    print(f"wrote {args.out}: (1 - {args.alpha}) * {args.model_a} + {args.alpha} * {args.model_b}")


if __name__ == "__main__":
    main()
