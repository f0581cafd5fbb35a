"""Run the training campaign's stages in order, resuming whatever a stop left unfinished.

Usage (from the repo root; docs/training.md, "The training campaign"):
    export KCOLOR_RUNS=~/kcolor-runs          # outside the clone; survives a new checkout
    python tools/campaign_lists.py $KCOLOR_RUNS/lists
    nice -n 19 python tools/campaign.py --set rebalance_mix=0.8 &

Each stage of configs/campaign/stages.yaml is one `kcolor train --resume` run in
$KCOLOR_RUNS/campaign/STAGE, started from the previous stage's generator (the first from
--init: the shipped default unless told otherwise, so a lost folder costs only the unshipped
progress). A finished stage (its generator.keras written after its last epoch) is skipped.
`--set` overrides go to every stage (the ablation winner's settings). The cumulative budget of
the last stage (its budget.json) is printed at the end.
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # run as a script from a clone: use this clone's kcolor

STAGES_FILE = REPO_ROOT / "configs" / "campaign" / "stages.yaml"


def stage_done(run_dir, recipe_epochs):
    """A stage is done when its generator is saved and its budget counts every epoch."""
    from kcolor.training.budget import read_budget

    budget = read_budget(run_dir)
    return (
        (Path(run_dir) / "generator.keras").is_file()
        and budget is not None
        and budget["run"].get("epochs", 0) >= recipe_epochs
    )


def stage_commands(stages, root, lists, init, color_prior, assignments):
    """`(name, run_dir, argv or None)` per stage; None for a finished stage."""
    from kcolor.training.config import read_yaml

    plan, previous = [], init
    for stage in stages:
        run_dir = Path(root) / stage["name"]
        epochs = read_yaml(REPO_ROOT / stage["recipe"])["epochs"]
        argv = [sys.executable, "-m", "kcolor.cli.main", "train", "--resume"]
        argv += ["--config", str(REPO_ROOT / stage["recipe"]), "--run-dir", str(run_dir)]
        argv += ["--data", str(Path(lists) / "train.txt")]
        argv += ["--val-data", str(Path(lists) / "val-general.txt")]
        argv += ["--init-generator", str(previous)]
        if color_prior:
            argv += ["--color-prior", str(color_prior)]
        for assignment in assignments:
            argv += ["--set", assignment]
        plan.append((stage["name"], run_dir, None if stage_done(run_dir, epochs) else argv))
        previous = run_dir
    return plan


def main(argv=None):
    from kcolor.training.config import read_yaml

    runs_root = Path(os.environ.get("KCOLOR_RUNS", REPO_ROOT / "runs"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=str(runs_root / "campaign"), help="stage folders")
    parser.add_argument("--lists", default=str(runs_root / "lists"), help="campaign_lists.py")
    parser.add_argument("--init", default="default", help="first stage's generator")
    parser.add_argument("--color-prior", help="color_prior.npz of train.txt (else counted)")
    parser.add_argument("--stages", default=str(STAGES_FILE))
    parser.add_argument("--set", dest="assignments", action="append", default=[])
    parser.add_argument("--dry-run", action="store_true", help="print the plan only")
    args = parser.parse_args(argv)
    stages = read_yaml(args.stages)["stages"]
    plan = stage_commands(
        stages, args.root, args.lists, args.init, args.color_prior, args.assignments
    )
    for name, run_dir, command in plan:
        if command is None:
            print(f"{name}: done ({run_dir})", flush=True)
            continue
        print(f"{name}: {' '.join(command)}", flush=True)
        if args.dry_run:
            continue
        log = Path(run_dir).with_suffix(".log")
        Path(run_dir).parent.mkdir(parents=True, exist_ok=True)
        with open(log, "a", encoding="utf-8") as handle:
            if subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT).returncode:
                raise SystemExit(f"{name} stopped; see {log}; run this again to resume it")
    last = Path(plan[-1][1]) / "budget.json"
    if last.is_file():
        print(f"budget: {json.loads(last.read_text())['cumulative']}")


if __name__ == "__main__":
    main()
