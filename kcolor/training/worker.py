"""Which worker of a multi-worker run this process is (from TF_CONFIG), without TensorFlow."""

import json
import os


def worker_identity():
    """`(is_chief, task_index)` from TF_CONFIG; a single process is the chief."""
    config = json.loads(os.environ.get("TF_CONFIG", "") or "{}")
    task = config.get("task", {})
    task_type, index = task.get("type", "worker"), int(task.get("index", 0))
    if "chief" in config.get("cluster", {}):
        return task_type == "chief", index
    return task_type == "worker" and index == 0, index
