"""Pick a `tf.distribute` strategy by name.

- "default": one device (the first GPU if any, else the CPU).
- "mirrored": all local GPUs (or the logical CPU devices configured for tests), synchronous.
- "multi-worker": MultiWorkerMirroredStrategy across machines; each worker reads `TF_CONFIG`
  (`{"cluster": {"worker": ["host1:port", ...]}, "task": {"type": "worker", "index": i}}`) and
  runs the same command. Worker 0 (the chief) owns the run folder.
- "tpu": TPUStrategy on the TPU found by TPUClusterResolver (Cloud TPU VM or `TPU_NAME`).
- "auto": "mirrored" when more than one GPU is visible, else "default".
"""

import os

import tensorflow as tf

from kcolor.worker import worker_identity  # noqa: F401  (part of this module's API)


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
