"""A run folder's fixed names and what `--resume` reads back; no Keras or TensorFlow, so the
CLI can answer "is this run finished?" in a fraction of a second."""

import json
from pathlib import Path

GENERATOR_FILE = "generator.keras"


def folder_of(init_generator):
    """The run folder an `--init-generator` path names: the folder itself, a .keras file's, or
    for an epoch's file in RUN/checkpoints or RUN/eval (tools/score_checkpoints.py), RUN."""
    path = Path(init_generator)
    if path.is_dir():
        return path
    return path.parent.parent if path.parent.name in ("checkpoints", "eval") else path.parent


def resume_point(run_dir):
    """`(epoch, step)` a `--resume` of `run_dir` continues from (1-based epoch; step 0 means
    the epoch starts afresh), or None when the folder holds no backup."""
    metadata = Path(run_dir) / "backup" / "training_metadata.json"
    if not metadata.is_file():
        return None
    state = json.loads(metadata.read_text())
    return int(state.get("epoch", 0)) + 1, int(state.get("batch", 0))


def run_is_complete(run_dir, epochs):
    """The run in `run_dir` trained all `epochs` and saved its generator."""
    point = resume_point(run_dir)
    return point is not None and point[0] > epochs and (Path(run_dir) / GENERATOR_FILE).is_file()
