"""The training budget of a run and of everything it started from, in `RUN_DIR/budget.json`.

A model's quality is read beside what it cost, and a campaign spans many runs, stages and
machines. Each run records its own work (crops seen, wall-clock hours on the CPU, minutes on a
GPU) per finished epoch, and the cumulative budget: its own plus that of the generator it
started from (`--init-generator`: a run folder's `budget.json`, or the shipped model's budget in
`kcolor/shipped.json`). A killed epoch is run again on `--resume` and counted once.

    {"run": {"crops": 200000, "steps": 12500, "cpu_hours": 0.5, "gpu_minutes": 0.0,
             "epochs": 25},
     "init": {"crops": 48000, "cpu_hours": 1.17, "gpu_minutes": 0.0},
     "init_weights": {"crops": 48000, "cpu_hours": 1.17, "gpu_minutes": 0.0},
     "cumulative": {"crops": 248000, "cpu_hours": 1.67, "gpu_minutes": 0.0}}

Two totals answer two questions. "cumulative" is what the campaign spent to make a run: every
epoch of every run in its lineage, the ones not kept included. A run keeps its best validation
epoch, though, and the next run starts from that, so the weights themselves were trained on
less: `weights_budget` counts only the epochs the kept weights went through ("init_weights" is
that total for the run's start). A model card states both.
"""

import json
import re
from pathlib import Path

from kcolor.fileio import atomic_path
from kcolor.training.run_folder import folder_of

BUDGET_FILE = "budget.json"
TOTALS = ("crops", "cpu_hours", "gpu_minutes")


def empty_budget():
    return {name: 0 if name == "crops" else 0.0 for name in TOTALS}


def add_budgets(*budgets):
    """Sum of the `TOTALS` of several budget dicts (missing keys count 0)."""
    total = empty_budget()
    for budget in budgets:
        for name in TOTALS:
            total[name] += (budget or {}).get(name, 0)
    total["cpu_hours"] = round(total["cpu_hours"], 4)
    total["gpu_minutes"] = round(total["gpu_minutes"], 3)
    return total


def read_budget(run_dir):
    """The budget.json of a run folder, or None."""
    path = Path(run_dir) / BUDGET_FILE
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def init_budget(init_generator):
    """Cumulative budget of what `--init-generator` names: a run folder (or a .keras file in
    one; an epoch's checkpoint counts the run through that epoch) with a budget.json, or a
    shipped model; empty when unknown."""
    if not init_generator:
        return empty_budget()
    from kcolor.models.shipped_generator import names_shipped_model, shipped_budget

    if names_shipped_model(init_generator):
        return add_budgets(shipped_budget(init_generator))
    recorded = read_budget(folder_of(init_generator))
    if not recorded:
        return empty_budget()
    epoch = checkpoint_epoch(init_generator)
    return budget_through_epoch(recorded, epoch) if epoch else add_budgets(recorded["cumulative"])


def own_through_epoch(run, epoch):
    """A run's own work in its first `epoch` epochs (`run` is budget.json's "run")."""
    per_epoch = run.get("per_epoch", {})
    if epoch < 1 or any(str(e) not in per_epoch for e in range(1, epoch + 1)):
        raise ValueError(f"epoch {epoch} is not in the budget's {len(per_epoch)} recorded epochs")
    crops_per_step = run["crops"] / run["steps"]
    done = [per_epoch[str(e)] for e in range(1, epoch + 1)]
    return add_budgets(
        {
            "crops": int(round(sum(e["steps"] for e in done) * crops_per_step)),
            "cpu_hours": sum(e["seconds"] for e in done if e["device"] == "cpu") / 3600,
            "gpu_minutes": sum(e["seconds"] for e in done if e["device"] != "cpu") / 60,
        }
    )


def budget_through_epoch(record, epoch):
    """Cumulative budget of a run's weights after its first `epoch` epochs (a kept checkpoint
    released instead of the run's end): what it started from plus those epochs' own work."""
    return add_budgets(record["init"], own_through_epoch(record["run"], epoch))


EPOCH_CHECKPOINT = re.compile(r"^epoch-(\d+)\.weights\.h5$")  # RUN/checkpoints/epoch-007.weights.h5
SCORED_COPY = re.compile(r"^epoch(\d+)-t([0-9.]+)\.keras$")  # RUN/eval/epoch7-t0.4.keras (epoch, T)
CHECKPOINT_NAMES = (EPOCH_CHECKPOINT, SCORED_COPY)


def checkpoint_epoch(path):
    """The epoch an epoch checkpoint (or its scored copy) holds, from its name; else None."""
    for pattern in CHECKPOINT_NAMES:
        match = pattern.match(Path(path).name)
        if match:
            return int(match.group(1))
    return None


def _run_config(run_dir):
    """The run's config.yaml as a dict ({} when it has none)."""
    from kcolor.training.config import read_yaml

    config_path = Path(run_dir) / "config.yaml"
    return read_yaml(config_path) if config_path.is_file() else {}


def kept_epoch(run_dir, record, config):
    """The epoch whose weights the run's generator.keras holds: the best validation epoch
    (checkpoints/best.txt) when the run restored it (`config`, its config.yaml), else its last
    recorded epoch."""
    best = Path(run_dir) / "checkpoints" / "best.txt"
    if config.get("restore_best", True) and config.get("arch") != "gan" and best.is_file():
        match = re.search(r"epoch (\d+)", best.read_text())
        if match:
            return int(match.group(1))
    return max(int(e) for e in record["run"]["per_epoch"])


def weights_budget(path):
    """What the weights at `path` were trained on: a shipped model's recorded total, or for a
    run folder, its generator.keras or an epoch checkpoint in it, the start's own weights budget
    plus the run's epochs up to the one those weights hold. None when that is not recorded (a
    file from no run folder; a run recorded before "init_weights" that began from a shipped name,
    which then may have meant another model)."""
    if not path:
        return empty_budget()
    from kcolor.models.shipped_generator import names_shipped_model, shipped_weights_budget

    if names_shipped_model(str(path)):
        recorded = shipped_weights_budget(str(path))
        return add_budgets(recorded) if recorded else None
    folder = folder_of(path)
    record = read_budget(folder)
    if record is None:
        return None
    if "run" not in record:  # totals only, beside a model from elsewhere (a GPU pack's start)
        return add_budgets(record["weights"]) if "weights" in record else None
    config = _run_config(folder)
    epoch = checkpoint_epoch(path) or kept_epoch(folder, record, config)
    start = record.get("init_weights")
    if start is None:  # recorded before init_weights: follow the run's own --init-generator
        init = config.get("init_generator")
        if init and names_shipped_model(str(init)):
            return None
        start = weights_budget(init)
        if start is None:
            return None
    return add_budgets(start, own_through_epoch(record["run"], epoch))


def write_budget(run_dir, run, init, init_weights=None):
    """Write `run`, `init` (and `init_weights`, when known) and the cumulative sum of `run` and
    `init` as RUN_DIR/budget.json (atomically)."""
    record = {"run": run, "init": init}
    if init_weights is not None:
        record["init_weights"] = init_weights
    record["cumulative"] = add_budgets(run, init)
    path = Path(run_dir) / BUDGET_FILE
    with atomic_path(path) as tmp:
        Path(tmp).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return record


def describe(budget):
    """One line for a model card: "1,234,000 crops (12.5 CPU hours, 9.0 GPU minutes)"."""
    return (
        f"{int(budget['crops']):,} crops ({budget['cpu_hours']:.1f} CPU hours on 2 cores, "
        f"{budget['gpu_minutes']:.1f} GPU minutes)"
    )
