"""Where and in which precision a run trains: the device strategy and the dtype policy.

Under TensorFlow, a `tf.distribute` strategy picked by name (`--strategy`):

- "default": one device (the first GPU if any, else the CPU).
- "mirrored": all local GPUs (or the logical CPU devices configured for tests), synchronous.
- "multi-worker": MultiWorkerMirroredStrategy across machines; each worker reads `TF_CONFIG`
  (`{"cluster": {"worker": ["host1:port", ...]}, "task": {"type": "worker", "index": i}}`) and
  runs the same command. Worker 0 (the chief) owns the run folder.
- "tpu": TPUStrategy on the TPU found by TPUClusterResolver (Cloud TPU VM or `TPU_NAME`).
- "auto": "mirrored" when more than one GPU is visible, else "default".

Under JAX, `keras.distribution.DataParallel` over the local devices; under torch, one device.
"""

import contextlib
import logging
import os

import keras

from kcolor.training.errors import TrainingError

log = logging.getLogger(__name__)


def make_strategy(name="auto"):
    """Return the tf.distribute strategy for `name`; see the module docstring."""
    import tensorflow as tf

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


def strategy_for(config):
    """A tf.distribute strategy under TensorFlow; under JAX, `keras.distribution.DataParallel`
    over all local devices when there are several (the batch is split across them)."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        return make_strategy(config.strategy)
    if config.strategy in ("multi-worker", "tpu"):
        raise TrainingError(
            f"--strategy {config.strategy} is tf.distribute: use --backend tensorflow"
        )
    if backend != "jax" or config.strategy == "default":
        return SingleDevice()
    devices = keras.distribution.list_devices()
    if len(devices) > 1:
        if config.batch_size % len(devices):
            raise TrainingError(
                f"--batch-size {config.batch_size} does not split over {len(devices)} devices: "
                f"pass a multiple of {len(devices)}"
            )
        log.info("data parallel over %d devices: %s", len(devices), ", ".join(devices))
        keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
    return SingleDevice()


class SingleDevice:
    """Stands in for a tf.distribute strategy where Keras distributes by itself (JAX, torch)."""

    def scope(self):
        return contextlib.nullcontext()


def device_kind():
    """The device kind Keras trains on, for budget.json: "cpu", or "gpu" / "tpu"."""
    platforms = {device.split(":")[0].lower() for device in keras.distribution.list_devices()}
    accelerators = sorted(platforms - {"cpu"})
    return accelerators[0] if accelerators else "cpu"


def set_precision(mode):
    policy = {"off": "float32", "bf16": "mixed_bfloat16", "fp16": "mixed_float16"}[mode]
    keras.mixed_precision.set_global_policy(policy)


def work_around_keras_multi_worker_bugs(model, strategy):
    """Make Keras 3 `fit` run under MultiWorkerMirroredStrategy (keras-team/keras#20585).

    Keras 3.15 fails there twice: its eager "symbolic build" reduces the first batch with
    `strategy.reduce`, and it reduces each scalar loss and metric with `axis=0`. Without a stored
    strategy Keras builds while tracing instead (taking the strategy from the scope), and scalar
    logs are averaged over replicas with `axis=None`. Only used for this strategy.
    """
    import tensorflow as tf

    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return
    from keras.src.backend.tensorflow import trainer as tf_trainer

    model._distribute_strategy = None
    original = getattr(
        tf_trainer.reduce_per_replica, "kcolor_original", tf_trainer.reduce_per_replica
    )

    def reduce_per_replica(values, strategy, reduction):
        if reduction in ("auto", "mean") and isinstance(
            strategy, tf.distribute.MultiWorkerMirroredStrategy
        ):
            return keras.tree.map_structure(
                lambda value: strategy.reduce("MEAN", value, axis=None), values
            )
        return original(values, strategy, reduction)

    reduce_per_replica.kcolor_original = original
    tf_trainer.reduce_per_replica = reduce_per_replica
