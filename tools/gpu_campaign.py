"""Train the campaign's recipe on a lent GPU machine (Keras on JAX, bf16) in one short run.

The GPU machine has JAX but no TensorFlow and no Keras, cannot reach the network, and receives
only the repository's working tree plus carried ignored paths, 64 MiB in all. So the work is in
two steps (docs/training.md, "The GPU machine"):

1. Here, `pack`: photos from a training list, resized to the crop's short side (as the CPU
   pipeline resizes them) and stored as WebP, until the pack fills `--max-mb`; the validation
   photos; the starting generator as `.keras` (`--init default` is the shipped model); the
   color prior; `pack.json` with the recipe and the budget so far. It checks that the working
   tree, the pack and the wheels travel within 64 MiB.

       python tools/gpu_campaign.py pack --data LISTS/train.txt --val-data LISTS/val-general.txt \\
           --init default --color-prior PRIOR.npz --out gpu-pack

2. There, `train`: installs nothing itself (the device command installs the carried wheels
   first), measures the step rate on the GPU for a few seconds, sizes the run to fill
   `--minutes` (at most `--max-passes` over the packed photos), trains with kcolor's own
   `train()` on the JAX backend with bf16, and writes the generator, history.csv and budget.json
   to `--out`. A time limit stops it at an epoch end in any case.

       python tools/gpu_campaign.py train --pack gpu-pack --out $OUT --minutes 7.5

`python tools/gpu_campaign.py command` prints the device command (wheels + train) to paste.
"""

import argparse
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # run as a script from a clone: use this clone's kcolor

TRAVEL_LIMIT_BYTES = 64 * 2**20  # the device tool's limit on what travels
PACK_RECIPE = REPO_ROOT / "configs" / "campaign" / "gpu-128.yaml"
WHEELS_DIR = ".whl"
DEVICE_COMMAND = (
    "python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade "
    "--target .pysite .whl/*.whl && export PYTHONPATH=$PWD/.pysite:$PWD || exit; "
    "PYTHONUNBUFFERED=1 python3 tools/gpu_campaign.py train --pack gpu-pack --out $OUT "
    "--minutes {minutes} 2>&1 | tail -c 20000 > $OUT/train.log; tail -40 $OUT/train.log"
)


# -- pack (this machine) ------------------------------------------------------------------


def tree_bytes(repo=REPO_ROOT):
    """Bytes of what travels without carry: tracked files and untracked files git keeps."""
    listing = subprocess.run(
        ["git", "-C", str(repo), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout
    total = 0
    for name in listing.split(b"\0"):
        path = Path(repo) / os.fsdecode(name)
        if name and path.is_file():
            total += path.stat().st_size
    return total


def folder_bytes(folder):
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())


def encode_photo(path, short_side, quality):
    """WebP bytes of a color photo with its short side resized to `short_side` (antialiased
    bilinear, as PhotoBatches resizes), or None for a file the pipeline would skip."""
    from PIL import Image

    from kcolor.color.photo_filters import is_grayscale
    from kcolor.image_io import ImageDecodeError, read_rgb

    try:
        rgb = read_rgb(path)
    except ImageDecodeError:
        return None
    if is_grayscale(rgb):
        return None
    image = Image.fromarray(rgb)
    scale = short_side / min(image.size)
    size = tuple(max(short_side, round(side * scale)) for side in image.size)
    image = image.resize(size, Image.BILINEAR, reducing_gap=None)
    buffer = io.BytesIO()
    image.save(buffer, format="WEBP", quality=quality, method=6)
    return buffer.getvalue()


def _list_paths(source):
    from kcolor.data.sources import parse_source

    parsed = parse_source(source)
    return [parsed.root / rel for rel in parsed.relpaths]


def _ordered_by_hash(paths):
    """A fixed shuffle (by path name hash), so a smaller pack is a prefix of a larger one."""
    from kcolor.data.sources import hash_fraction

    return sorted(paths, key=lambda p: hash_fraction(Path(p).name))


def write_init_generator(init, out_path):
    """The starting generator as a `.keras` file: a run folder's, a `.keras` file, or the
    shipped model's (rebuilt with TensorFlow here, as the GPU machine has none)."""
    from kcolor.inference.export import load_generator
    from kcolor.models.shipped_generator import load_shipped_generator, names_shipped_model

    generator = load_shipped_generator(init) if names_shipped_model(init) else load_generator(init)
    generator.save(out_path)


def pack(args):
    from kcolor.training.budget import init_budget, weights_budget
    from kcolor.training.config import read_yaml

    if args.image_size is None:
        args.image_size = int(read_yaml(PACK_RECIPE)["image_size"])
    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        raise SystemExit(f"{out} is not empty: pass a new --out or remove it")
    (out / "train").mkdir(parents=True, exist_ok=True)
    (out / "val").mkdir(exist_ok=True)
    write_init_generator(args.init, out / "init.keras")
    if args.color_prior:
        (out / "color_prior.npz").write_bytes(Path(args.color_prior).read_bytes())
    wheels = folder_bytes(REPO_ROOT / WHEELS_DIR) if (REPO_ROOT / WHEELS_DIR).is_dir() else 0
    val_count = 0
    for index, path in enumerate(_list_paths(args.val_data)):
        data = encode_photo(path, args.image_size, args.quality)
        if data:
            (out / "val" / f"{index:05d}.webp").write_bytes(data)
            val_count += 1
    tree = tree_bytes()
    fixed = tree + wheels + folder_bytes(out) + 64 * 1024  # + pack.json, margin
    room = min(args.max_mb * 2**20, TRAVEL_LIMIT_BYTES - fixed)
    if room <= 0:
        raise SystemExit(
            f"nothing fits: the tree ({tree / 2**20:.1f} MiB), wheels and init model "
            f"already take {fixed / 2**20:.1f} of {TRAVEL_LIMIT_BYTES / 2**20:.0f} MiB"
        )
    used = count = 0
    for path in _ordered_by_hash(_list_paths(args.data)):
        data = encode_photo(path, args.image_size, args.quality)
        if data is None:
            continue
        if used + len(data) > room:
            break
        (out / "train" / f"{count:06d}.webp").write_bytes(data)
        used += len(data)
        count += 1
        if args.limit and count >= args.limit:
            break
    record = {
        "photos": count,
        "val_photos": val_count,
        "image_size": args.image_size,
        "quality": args.quality,
        "data": str(args.data),
        "val_data": str(args.val_data),
        "init": str(args.init),
        "init_budget": init_budget(args.init),
        "recipe": PACK_RECIPE.relative_to(REPO_ROOT).as_posix(),
    }
    (out / "pack.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    # init.keras's budgets, where kcolor.training.budget looks for them (beside the model).
    budget = {"cumulative": record["init_budget"]}
    weights = weights_budget(args.init)
    if weights is not None:
        budget["weights"] = weights
    (out / "budget.json").write_text(json.dumps(budget, indent=2) + "\n", encoding="utf-8")
    total = tree + wheels + folder_bytes(out)
    print(
        f"packed {count} training and {val_count} validation photos into {out} "
        f"({folder_bytes(out) / 2**20:.1f} MiB); travels: {total / 2**20:.1f} of "
        f"{TRAVEL_LIMIT_BYTES / 2**20:.0f} MiB with the tree and {wheels / 2**20:.1f} MiB of wheels"
    )
    if total > TRAVEL_LIMIT_BYTES:
        raise SystemExit("the pack does not travel: lower --max-mb")


# -- train (the GPU machine) --------------------------------------------------------------


def measure_rate(config, prior, seconds):
    """Training images/s of the recipe's model on this machine (synthetic batches, after the
    compile), to size a run that fills the lease."""
    import numpy as np

    from kcolor.training.model_build import build_model
    from kcolor.training.throughput import training_rate

    model, _, _ = build_model(config, has_validation=False, color_prior=prior)
    size, batch = config.image_size, config.batch_size
    rng = np.random.default_rng(0)
    data = (
        rng.uniform(-1, 1, (batch, size, size, 1)).astype("float32"),
        rng.uniform(-0.3, 0.3, (batch, size, size, 2)).astype("float32"),
    )

    rate, _ = training_rate(model, data, seconds)
    return rate


def plan_steps(rate, seconds, batch_size, photos, max_passes, epochs):
    """`(epochs, steps_per_epoch)` that fill `seconds` at `rate` images/s, at most
    `max_passes` over `photos`, at least one step per epoch."""
    crops = min(rate * seconds, max_passes * photos)
    steps = max(epochs, int(crops // batch_size))
    return epochs, max(1, steps // epochs)


def train(args):
    started = time.monotonic()
    from kcolor.training.backend import keep_tensorflow_out, use_backend

    backend = os.environ.get("KERAS_BACKEND", "jax")
    if backend != "tensorflow":
        keep_tensorflow_out()  # as `kcolor train --backend jax` does; the GPU machine has none
    use_backend(backend)
    from kcolor.color.prior import ColorPrior
    from kcolor.training.config import config_from_dict, read_yaml
    from kcolor.training.run import train as train_run

    pack_dir = Path(args.pack).resolve()
    record = json.loads((pack_dir / "pack.json").read_text(encoding="utf-8"))
    values = read_yaml(REPO_ROOT / record["recipe"])
    values.update(
        data=str(pack_dir / "train"),
        val_data=str(pack_dir / "val"),
        init_generator=str(pack_dir / "init.keras"),
        image_size=record["image_size"],
        backend=backend,
        run_dir=str(Path(args.out).resolve() / "run"),
    )
    if (pack_dir / "color_prior.npz").is_file():
        values["color_prior"] = str(pack_dir / "color_prior.npz")
    if args.batch_size:
        values["batch_size"] = args.batch_size
    if args.precision:
        values["mixed_precision"] = args.precision
    config = config_from_dict(values)
    prior = ColorPrior.load(config.color_prior) if config.color_prior else None

    import keras

    print(f"backend {keras.backend.backend()}, devices {keras.distribution.list_devices()}")
    if args.steps:
        epochs, per_epoch = min(args.epochs, args.steps), max(1, args.steps // args.epochs)
    else:
        rate = measure_rate(config, prior, args.probe_seconds)
        left = args.minutes * 60 - (time.monotonic() - started) - args.reserve_seconds
        epochs, per_epoch = plan_steps(
            rate, left, config.batch_size, record["photos"], args.max_passes, args.epochs
        )
        print(f"probe: {rate:.0f} images/s; planned {epochs} x {per_epoch} steps in {left:.0f} s")
    left_minutes = (args.minutes * 60 - (time.monotonic() - started) - 30) / 60
    config = config_from_dict(
        {
            **values,
            "epochs": epochs,
            "steps_per_epoch": per_epoch,
            "time_limit_minutes": max(0.1, left_minutes),
        }
    )
    result = train_run(config, resume=True)
    out = Path(args.out)
    for name in ("generator.keras", "history.csv", "budget.json"):
        source = Path(result.run_dir) / name
        if source.is_file():
            (out / name).write_bytes(source.read_bytes())
    budget = json.loads((out / "budget.json").read_text(encoding="utf-8"))
    print(f"trained {result.epochs_run} epoch(s); budget so far: {budget['cumulative']}")


def command(args):
    print(DEVICE_COMMAND.format(minutes=args.minutes))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="verb", required=True)
    p = sub.add_parser("pack", help="pack photos, init model and prior (on this machine)")
    p.add_argument("--data", required=True, help="training list or folder")
    p.add_argument("--val-data", required=True, help="validation list or folder")
    p.add_argument("--init", default="default", help="run folder, .keras, or 'default'")
    p.add_argument("--color-prior", help="color_prior.npz of the training photos")
    p.add_argument("--out", default=str(REPO_ROOT / "gpu-pack"))
    p.add_argument("--image-size", type=int, help="crop side (default: the recipe's)")
    p.add_argument("--quality", type=int, default=75, help="WebP quality")
    p.add_argument("--max-mb", type=float, default=64.0, help="photos' share of the 64 MiB")
    p.add_argument("--limit", type=int, help="at most this many training photos")
    p.set_defaults(run=pack)
    t = sub.add_parser("train", help="train from a pack (on the GPU machine)")
    t.add_argument("--pack", default=str(REPO_ROOT / "gpu-pack"))
    t.add_argument("--out", required=True, help="where generator.keras etc. are written")
    t.add_argument("--minutes", type=float, default=7.5, help="whole run, start to save")
    t.add_argument("--epochs", type=int, default=12)
    t.add_argument("--batch-size", type=int, default=256)
    t.add_argument("--precision", default="bf16", help="off, bf16 or fp16")
    t.add_argument("--max-passes", type=float, default=60.0)
    t.add_argument("--probe-seconds", type=float, default=15.0)
    t.add_argument("--reserve-seconds", type=float, default=60.0, help="for saving, validation")
    t.add_argument("--steps", type=int, help="fixed total steps instead of the probe (tests)")
    t.set_defaults(run=train)
    c = sub.add_parser("command", help="print the device command")
    c.add_argument("--minutes", type=float, default=7.5)
    c.set_defaults(run=command)
    args = parser.parse_args(argv)
    args.run(args)


if __name__ == "__main__":
    main()
