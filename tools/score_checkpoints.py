"""Score every kept epoch checkpoint of a run on a validation list, one JSON per epoch.

Usage (from the repo root):
    python tools/score_checkpoints.py $KCOLOR_RUNS/campaign/stage9-192-ft \
        --data $KCOLOR_RUNS/lists/val-general.txt --temperature 0.4 [--follow]

A campaign's checkpoints swing from epoch to epoch on the validation split by more than the
shipping rule's margins, so each kept epoch is scored, not only the run's end. For each
RUN/checkpoints/epoch-NNN.weights.h5 without a score yet, this loads the weights into a
generator of the same architecture (the run's own, else the one it started from), sets the
decoding temperature, and writes RUN/eval/epochN-tT.keras (a candidate `tools/ship_default.py`
can release) and RUN/eval/epochN-tT.json (`kcolor evaluate --json`'s format, at 256 px, with
the metrics the shipping rule reads). `--follow` waits for new checkpoints until the run has
saved its generator; run it beside the training, `nice`d. `tools/campaign_curves.py` plots the
JSONs against the budget.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # kcolor from this checkout

METRICS = ("mse", "psnr", "ssim", "colorfulness", "auc", "cast")


def epoch_checkpoints(run_dir):
    """{epoch: path} of the run's kept epoch checkpoints."""
    from kcolor.training.budget import EPOCH_CHECKPOINT

    found = {}
    for path in (Path(run_dir) / "checkpoints").glob("epoch-*.weights.h5"):
        match = EPOCH_CHECKPOINT.match(path.name)
        if match:
            found[int(match.group(1))] = path
    return dict(sorted(found.items()))


def score_stem(epoch, temperature):
    """File stem of an epoch's scored copy: epoch8-t0.4."""
    return f"epoch{epoch}-t{temperature:g}"


def template_generator(run_dir):
    """A generator file with the run's architecture: its own, else its --init-generator's (for
    a run started from a shipped name, that model rebuilt once into RUN/eval/; for a guided run
    from an automatic model, its guided copy, also written once into RUN/eval/)."""
    from kcolor.training.config import read_yaml
    from kcolor.training.run_folder import GENERATOR_FILE

    own = Path(run_dir) / GENERATOR_FILE
    config = Path(run_dir) / "config.yaml"
    guided = config.is_file() and (read_yaml(config).get("model") or {}).get("guided")
    template = _template_file(run_dir)
    if not guided or own.is_file():
        return template
    from kcolor.fileio import atomic_path
    from kcolor.models.guidance import guided_copy
    from kcolor.models.predictors import load_keras_model

    model = load_keras_model(str(template))
    if getattr(model, "guided", False):
        return template
    copy = Path(run_dir) / "eval" / f"{template.stem}-guided.keras"
    if not copy.is_file():
        copy.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(copy, prefix=".tmp-", suffix="") as tmp:
            guided_copy(model).save(tmp)
    return copy


def _template_file(run_dir):
    from kcolor.models.shipped_generator import names_shipped_model, write_shipped_keras
    from kcolor.training.config import read_yaml
    from kcolor.training.run_folder import GENERATOR_FILE, folder_of

    own = Path(run_dir) / GENERATOR_FILE
    if own.is_file():
        return own
    config = Path(run_dir) / "config.yaml"
    init = read_yaml(config).get("init_generator") if config.is_file() else None
    if init and names_shipped_model(str(init)):
        rebuilt = Path(run_dir) / "eval" / f"init-{init}.keras"
        if not rebuilt.is_file():
            rebuilt.parent.mkdir(parents=True, exist_ok=True)
            write_shipped_keras(rebuilt, str(init))
        return rebuilt
    if init:
        path = Path(init)
        candidate = path if path.suffix == ".keras" else folder_of(path) / GENERATOR_FILE
        if candidate.is_file():
            return candidate
    raise SystemExit(f"{run_dir}: no generator to load its checkpoints into; pass --template")


def score_epoch(
    template, checkpoint, temperature, data, image_size, keras_path, json_path, hint_counts=None
):
    """Write `keras_path` (weights of `checkpoint`, decoding at `temperature`) and its
    evaluation as `json_path`; returns the evaluation. With `hint_counts` (a guided run), also
    its hint sweep as `*-sweep.json` beside it (kcolor.evaluation.hint_sweep)."""
    from kcolor.evaluation.protocols import evaluate
    from kcolor.fileio import atomic_path, atomic_write_bytes
    from kcolor.models.annealed_mean import with_temperature
    from kcolor.models.predictors import load_keras_model

    model = load_keras_model(str(template))
    model.load_weights(str(checkpoint))
    with atomic_path(keras_path, prefix=".tmp-", suffix="") as tmp:
        with_temperature(model, temperature).save(tmp)
    result = evaluate(
        [str(keras_path)], data, image_size=image_size, metric_names=list(METRICS), progress=False
    )
    if hint_counts:
        from kcolor.evaluation.hint_sweep import hint_sweep

        sweep = hint_sweep(
            [str(keras_path)], data, hint_counts, image_size=image_size, progress=False
        )
        sweep_path = json_path.with_name(json_path.stem + "-sweep.json")
        atomic_write_bytes(sweep_path, (json.dumps(sweep, indent=2) + "\n").encode("utf-8"))
        print(sweep_line(sweep), flush=True)
    text = json.dumps(result, indent=2) + "\n"
    atomic_write_bytes(json_path, text.encode("utf-8"))
    return result


def sweep_line(sweep):
    """ "  points: PSNR" pairs of a one-model sweep, on one line."""
    return "  sweep: " + ", ".join(
        f"{row['points']} pts {row['metrics']['psnr']['mean']:.2f} dB" for row in sweep["results"]
    )


def summary_line(epoch, result):
    metrics = result["results"][0]["metrics"]
    return f"epoch {epoch}: " + ", ".join(
        f"{name} {metrics[name]['mean']:.3f}" for name in ("psnr", "colorfulness", "cast")
    )


def score_pending(run_dir, template, temperature, data, image_size, epochs=None, hint_counts=None):
    """Score the checkpoints (of `epochs` only, if given) that have no JSON yet; returns how
    many were scored."""
    eval_dir = Path(run_dir) / "eval"
    eval_dir.mkdir(exist_ok=True)
    scored = 0
    for epoch, checkpoint in epoch_checkpoints(run_dir).items():
        if epochs and epoch not in epochs:
            continue
        stem = score_stem(epoch, temperature)  # "epoch8-t0.4": no Path.with_suffix on it
        keras_path, json_path = eval_dir / f"{stem}.keras", eval_dir / f"{stem}.json"
        if json_path.is_file():
            continue
        try:
            result = score_epoch(
                template,
                checkpoint,
                temperature,
                data,
                image_size,
                keras_path,
                json_path,
                hint_counts,
            )
        except (OSError, ValueError):
            if checkpoint.is_file():
                raise
            print(f"epoch {epoch}: its checkpoint was rotated out before it was read", flush=True)
            continue
        print(summary_line(epoch, result), flush=True)
        scored += 1
    return scored


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--data", required=True, help="validation photos (a folder or .txt)")
    parser.add_argument("--temperature", type=float, default=0.4)
    parser.add_argument("--image-size", type=int, default=256)
    parser.add_argument("--template", type=Path, help="generator of the run's architecture")
    parser.add_argument(
        "--follow", action="store_true", help="wait for new checkpoints until the run ends"
    )
    parser.add_argument(
        "--epochs",
        type=int,
        nargs="+",
        metavar="N",
        help="score only these epochs (e.g. another temperature for the few near the rule)",
    )
    parser.add_argument(
        "--hints",
        help="guided runs: also run the hint sweep at these point counts (e.g. 0,1,10,100)",
    )
    parser.add_argument("--poll-seconds", type=float, default=60)
    args = parser.parse_args()
    if not any((args.run_dir / name).exists() for name in ("config.yaml", "checkpoints")):
        parser.error(f"{args.run_dir}: no config.yaml or checkpoints/ (is it a kcolor run folder?)")
    from kcolor.quiet import import_tensorflow

    import_tensorflow()
    from kcolor.training.run_folder import GENERATOR_FILE

    template = args.template or template_generator(args.run_dir)
    hint_counts = None
    if args.hints:
        from kcolor.evaluation.hint_sweep import parse_counts

        hint_counts = parse_counts(args.hints)
    while True:
        finished = (args.run_dir / GENERATOR_FILE).is_file()  # read before: no epoch missed
        score_pending(
            args.run_dir,
            template,
            args.temperature,
            args.data,
            args.image_size,
            args.epochs,
            hint_counts,
        )
        if not args.follow or finished:
            return
        time.sleep(args.poll_seconds)


if __name__ == "__main__":
    main()
