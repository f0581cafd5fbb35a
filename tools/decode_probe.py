"""Score class-head models under another decoding: the annealed mean's hue, with its chroma
pulled toward the expected chroma of the predicted distribution where the model is already sure
there is color. A measurement for docs/results.md, not a shipped option.

Usage (from the repo root):
    python tools/decode_probe.py --alpha 0.5 --gate 15 35 --json OUT.json \\
        RUN/generator-t0.5.keras --data LISTS/val-general.txt

The annealed mean (`E[ab]` under softmax(z / T)) shrinks toward gray where the distribution
has several hues; `E[|ab|]` does not. The probe paints chroma
`|m| + alpha * g(|m|) * (E[|ab|] - |m|)` along the mean's hue `m / |m|`, where the gate `g`
rises from 0 at `|m|` = C0 to 1 at C1 (Lab units), so near-gray predictions stay gray. Every
other argument goes to `kcolor evaluate`, which runs in this process with the probe's decoding.
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this clone's kcolor

from kcolor.color.lab_scale import AB_SCALE  # noqa: E402
from kcolor.fileio import atomic_path  # noqa: E402


def chroma_gated_mean(alpha, gate_from, gate_to):
    """A drop-in for `annealed_mean(logits, centers, temperature)` with the chroma pull."""
    from keras import ops

    def decode(logits, centers, temperature):
        probs = ops.softmax(ops.cast(logits, "float32") / temperature, axis=-1)
        centers = ops.convert_to_tensor(centers, "float32")
        mean = ops.matmul(probs, centers)
        bin_chroma = ops.sqrt(ops.sum(centers * centers, axis=-1, keepdims=True))
        expected_chroma = ops.matmul(probs, bin_chroma)
        mean_chroma = ops.sqrt(ops.sum(mean * mean, axis=-1, keepdims=True))
        low, high = gate_from / AB_SCALE, gate_to / AB_SCALE
        gate = ops.clip((mean_chroma - low) / max(high - low, 1e-6), 0.0, 1.0)
        chroma = mean_chroma + alpha * gate * (expected_chroma - mean_chroma)
        return mean * chroma / ops.maximum(mean_chroma, 1e-4)

    return decode


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alpha", type=float, required=True, help="0: the annealed mean")
    parser.add_argument(
        "--gate",
        type=float,
        nargs=2,
        default=(0.0, 0.0),
        metavar=("C0", "C1"),
        help="mean chroma (Lab units) where the pull starts and where it is full",
    )
    args, evaluate_args = parser.parse_known_args()

    from kcolor.cli.main import main as kcolor_main

    import kcolor.models.annealed_mean as decoding_layer

    decoding_layer.annealed_mean = chroma_gated_mean(args.alpha, *args.gate)
    kcolor_main(["evaluate", *evaluate_args], standalone_mode=False)
    if "--json" in evaluate_args:  # say in the result which decoding produced it
        out = Path(evaluate_args[evaluate_args.index("--json") + 1])
        result = json.loads(out.read_text())
        result["decoding"] = {"alpha": args.alpha, "gate_lab": list(args.gate)}
        with atomic_path(out) as tmp:
            tmp.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
