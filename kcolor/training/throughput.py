"""How fast a model trains here: images/s of `fit` steps on one batch held in memory.

Used by bench/train_throughput.py and by tools/gpu_campaign.py, which sizes a GPU run to fill
its lease. The batch is served by a `keras.utils.PyDataset`, the same on every Keras backend;
the input pipeline is measured apart (bench/pipeline_throughput.py).
"""

import time

import keras


class RepeatedBatch(keras.utils.PyDataset):
    """The same `(x, y)` batch, `steps` times."""

    def __init__(self, batch, steps):
        super().__init__()
        self.batch = batch
        self.steps = steps

    def __len__(self):
        return self.steps

    def __getitem__(self, index):
        return self.batch


def training_rate(model, batch, seconds, warmup_steps=3):
    """`(images/s, timed steps)` of `model.fit` on `batch` for about `seconds`, after
    `warmup_steps` untimed steps (tracing and compiling)."""
    model.fit(RepeatedBatch(batch, warmup_steps), epochs=1, verbose=0)
    start_step = time.perf_counter()
    model.fit(RepeatedBatch(batch, 2), epochs=1, verbose=0)
    per_step = (time.perf_counter() - start_step) / 2
    steps = max(2, int(seconds / per_step))
    start = time.perf_counter()
    model.fit(RepeatedBatch(batch, steps), epochs=1, verbose=0)
    return steps * len(batch[0]) / (time.perf_counter() - start), steps
