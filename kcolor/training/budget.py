"""The training budget of a run and of everything it started from, in `RUN_DIR/budget.json`.

A model's quality is read beside what it cost, and a campaign spans many runs, stages and
machines. Each run records its own work (crops seen, wall-clock hours on the CPU, minutes on a
GPU) per finished epoch, and the cumulative budget: its own plus that of the generator it
started from (`--init-generator`: a run folder's `budget.json`, or the shipped model's budget in
`kcolor/shipped.json`). A killed epoch is run again on `--resume` and counted once.

    {"run": {"crops": 200000, "steps": 12500, "cpu_hours": 0.5, "gpu_minutes": 0.0,
             "epochs": 25},
     "init": {"crops": 48000, "cpu_hours": 1.17, "gpu_minutes": 0.0},
     "cumulative": {"crops": 248000, "cpu_hours": 1.67, "gpu_minutes": 0.0}}
"""

import json
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
    one) with a budget.json, or a shipped model; empty when unknown."""
    if not init_generator:
        return empty_budget()
    from kcolor.models.shipped_generator import names_shipped_model, shipped_budget

    if names_shipped_model(init_generator):
        return add_budgets(shipped_budget(init_generator))
    recorded = read_budget(folder_of(init_generator))
    return add_budgets(recorded["cumulative"]) if recorded else empty_budget()


def budget_through_epoch(record, epoch):
    """Cumulative budget of a run's weights after its first `epoch` epochs (a kept checkpoint
    released instead of the run's end): what it started from plus those epochs' own work."""
    run = record["run"]
    per_epoch = run.get("per_epoch", {})
    if epoch < 1 or any(str(e) not in per_epoch for e in range(1, epoch + 1)):
        raise ValueError(f"epoch {epoch} is not in the budget's {len(per_epoch)} recorded epochs")
    crops_per_step = run["crops"] / run["steps"]
    done = [per_epoch[str(e)] for e in range(1, epoch + 1)]
    own = {
        "crops": int(round(sum(e["steps"] for e in done) * crops_per_step)),
        "cpu_hours": sum(e["seconds"] for e in done if e["device"] == "cpu") / 3600,
        "gpu_minutes": sum(e["seconds"] for e in done if e["device"] != "cpu") / 60,
    }
    return add_budgets(record["init"], own)


def write_budget(run_dir, run, init):
    """Write `run`, `init` and their sum as RUN_DIR/budget.json (atomically)."""
    record = {"run": run, "init": init, "cumulative": add_budgets(run, init)}
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
