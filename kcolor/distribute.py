"""Pick a `tf.distribute` strategy by name.

- "default": one device (the first GPU if any, else the CPU).
- "mirrored": all local GPUs (or the logical CPU devices configured for tests), synchronous.
- "multi-worker": MultiWorkerMirroredStrategy across machines; each worker reads `TF_CONFIG`
  (`{"cluster": {"worker": ["host1:port", ...]}, "task": {"type": "worker", "index": i}}`) and
  runs the same command. Worker 0 (the chief) owns the run folder.
- "tpu": TPUStrategy on the TPU found by TPUClusterResolver (Cloud TPU VM or `TPU_NAME`).
- "auto": "mirrored" when more than one GPU is visible, else "default".
"""

import json
import os

import tensorflow as tf


def make_strategy(name="auto"):
    """Return the strategy for `name`; see the module docstring."""
    if name == "auto":
        name = "mirrored" if len(tf.config.list_logical_devices("GPU")) > 1 else "default"
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi-worker":
        if "TF_CONFIG" not in os.environ:
            raise ValueError("strategy multi-worker needs TF_CONFIG describing the cluster")
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    raise ValueError(f"unknown strategy {name!r}")


def worker_identity():
    """`(is_chief, task_index)` from TF_CONFIG; a single process is the chief."""
    config = json.loads(os.environ.get("TF_CONFIG", "") or "{}")
    task = config.get("task", {})
    task_type, index = task.get("type", "worker"), int(task.get("index", 0))
    if "chief" in config.get("cluster", {}):
        return task_type == "chief", index
    return task_type == "worker" and index == 0, index
