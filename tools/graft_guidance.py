"""A guided generator with one model's trunk and another's hint and palette paths.

Usage (from the repo root):
    python tools/graft_guidance.py TRUNK GUIDED OUT.keras

TRUNK is the automatic (or guided) generator whose colors without points are kept exactly (a
.keras file, a run folder, or `default`); GUIDED a trained guided generator (.keras or run
folder) whose guidance layers (`kcolor.models.guidance.is_guidance_layer`) are copied. The
guided stage that co-trained its trunk lost 0.3 dB at 0 points on coco_val2017 against the
shipped default; a graft onto the default's trunk, then trained with `guidance_only`, keeps the
default's automatic colors exactly (docs/guided.md).
"""

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # kcolor from this checkout


def _generator(spec):
    from kcolor.models.predictors import load_predictor
    from kcolor.models.shipped_generator import load_shipped_generator, names_shipped_model

    if names_shipped_model(spec):
        return load_shipped_generator(spec)
    return load_predictor(spec, backend="keras").model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trunk")
    parser.add_argument("guided")
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)

    from kcolor.models.guidance import guided_copy, is_guidance_layer

    grafted = guided_copy(_generator(args.trunk))
    source = _generator(args.guided)
    copied = [layer.name for layer in grafted.layers if layer.weights and is_guidance_layer(layer)]
    for name in copied:
        grafted.get_layer(name).set_weights(source.get_layer(name).get_weights())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    grafted.save(args.out)
    print(f"wrote {args.out}: the trunk of {args.trunk}, {', '.join(copied)} from {args.guided}")
    _record_budget(args.out, args.guided)


def _record_budget(out, guided):
    """A budget.json beside OUT (unless its folder has one): what the graft cost, so a run that
    starts from it counts its lineage. GUIDED's run started from the trunk's lineage (stage 1
    from the shipped default), so its totals hold both."""
    import json

    from kcolor.training.budget import BUDGET_FILE, init_budget, weights_budget

    path = out.parent / BUDGET_FILE
    if path.exists():
        print(f"{path} exists: not replaced; the graft's budget is that of {guided}")
        return
    record = {"cumulative": init_budget(guided)}
    weights = weights_budget(guided)
    if weights:
        record["weights"] = weights
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {path}: {record}")


if __name__ == "__main__":
    main()
